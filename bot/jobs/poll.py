"""Flow 2, the poll job: fetch delivery reports and inbound SMS, commit them, then act.

Both reads are destructive at the gateway: what a poll returns exists nowhere
else. So every answer with data is written to `raw_answers` (through `on_raw`,
before it is parsed) and committed; the parsed records are then stored and the
raw row marked parsed in one transaction. A body that cannot be parsed stays
unparsed with its problem recorded; a row left unparsed by a crash or a timeout
between those two steps is parsed again at the start of the next run.

A full page (100 reports, 50 inbound) means more is waiting: the same run asks
again at once, up to MAX_PAGES pages. Busy, unreachable or garbage answers back
off per endpoint, exponentially and capped; nothing here ever raises into the
JobQueue, and every gateway call has a hard timeout so that a stop never hangs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram.ext import Application

from bot import metrics
from bot.handlers.common import Context
from bot.services import Services
from bot.store import InboundRecord, ReportOutcome
from sms_core import INBOUND_PAGE_SIZE, REPORT_PAGE_SIZE, Endpoint, parse_inbound, parse_reports
from sms_core.errors import (
    GatewayBusy,
    GatewayError,
    GatewayProtocolError,
    GatewayRefused,
    GatewayUnavailable,
)
from sms_core.models import InboundPage, ReportPage

log = logging.getLogger(__name__)

MAX_PAGES = 40
"""Pages per endpoint in one run: 4,000 reports or 2,000 SMS; the next run goes on."""
BACKOFF_CAP = 300.0
HOOK_TIMEOUT = 30.0
INBOUND_HOOKS = "inbound_hooks"
"""app.bot_data key: `async hook(app, services, new_records)` called after new SMS are committed."""

Hook = Callable[[Application, Services, list[InboundRecord]], Awaitable[None]]  # type: ignore[type-arg]


def backoff_delay(interval: float, failures: int, cap: float = BACKOFF_CAP) -> float:
    """Seconds to wait after `failures` failed polls in a row: 2, 4, 8... intervals, capped."""
    if failures <= 0:
        return 0.0
    return min(interval * 2 ** min(failures, 30), max(cap, interval))


def call_timeout(timeout: float, attempts: int, backoff: float) -> float:
    """A hard bound on one SmsGateway read: every attempt (each cut at 2 x timeout) and its pauses."""
    pauses = sum(backoff * 2 ** i for i in range(max(attempts - 1, 0)))
    return attempts * 2 * timeout + pauses + 1.0


@dataclass
class _EndpointState:
    failures: int = 0
    resume_at: float = 0.0  # monotonic; no poll of this endpoint before


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """What one run stored (for the forward job and for tests)."""

    inbound: tuple[InboundRecord, ...] = ()
    reports: int = 0
    touched_sends: tuple[int, ...] = ()
    errors: tuple[str, ...] = ()

    @property
    def stored_anything(self) -> bool:
        return bool(self.inbound or self.reports)


@dataclass
class _Run:
    inbound: list[InboundRecord] = field(default_factory=list)
    reports: int = 0
    touched: set[int] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)

    def outcome(self) -> PollOutcome:
        return PollOutcome(tuple(self.inbound), self.reports, tuple(sorted(self.touched)),
                           tuple(self.errors))


_KINDS = {"reports": Endpoint.REPORTS, "inbound": Endpoint.INBOUND}
_PAGE = {"reports": REPORT_PAGE_SIZE, "inbound": INBOUND_PAGE_SIZE}


class Poller:
    """The poll job's state between runs: per-endpoint backoff, and a lock (never two at once)."""

    def __init__(self, interval: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self.lock = asyncio.Lock()
        self.state = {kind: _EndpointState() for kind in _KINDS}

    async def run(self, app: Application, services: Services) -> PollOutcome:  # type: ignore[type-arg]
        if self.lock.locked():
            return PollOutcome()
        async with self.lock:
            run = _Run()
            await self._recover(services, run)
            for kind in _KINDS:
                state = self.state[kind]
                if self.clock() < state.resume_at:
                    continue
                await self._drain(app, services, kind, run)
            self._health(services, run)
            await _hook_new_inbound(app, services)
            return run.outcome()

    # -- one endpoint ------------------------------------------------------------------

    async def _drain(self, app: Application, services: Services, kind: str, run: _Run) -> None:  # type: ignore[type-arg]
        gateway = services.gateway
        limit = call_timeout(gateway.timeout, gateway.max_attempts, gateway.backoff)
        fetch = gateway.fetch_inbound_page if kind == "inbound" else gateway.fetch_report_page
        for page_no in range(1, MAX_PAGES + 1):
            raw_id: int | None = None

            async def on_raw(endpoint: str, body: str) -> None:
                nonlocal raw_id
                raw_id = await services.store.store_raw(endpoint, body)

            try:
                page = await asyncio.wait_for(fetch(on_raw=on_raw), limit)
            except (GatewayError, TimeoutError) as exc:
                await self._failed(services, kind, exc, raw_id, run)
                return
            self.state[kind] = _EndpointState()
            full = await self._store(services, kind, page, raw_id, run)
            if not full:
                return
            if not app.running and page_no > 1:
                return  # stopping: the rest waits at the gateway for the next start
            log.info("%s: a full page; asking again at once (page %d)", kind, page_no)
        log.warning("%s: still full after %d pages; the next run goes on", kind, MAX_PAGES)

    async def _store(self, services: Services, kind: str, page: InboundPage | ReportPage,
                     raw_id: int | None, run: _Run, problem: str | None = None) -> bool:
        """Commit one page; True when it was full (more is waiting).

        With `problem`, the page is what could be read of a damaged answer: its records
        are stored and the raw answer is kept for a person, in the same transaction.
        """
        if isinstance(page, InboundPage):
            records: tuple[Any, ...] = page.messages
        else:
            records = page.reports
        if page.count_mismatch:
            log.warning("%s: the gateway announced %d records but sent %d; keeping the %d records",
                        kind, page.declared, len(records), len(records))
        if not records and raw_id is None:
            metrics.POLLS.labels(kind, "empty").inc()
            return False
        if isinstance(page, InboundPage):
            await self._store_inbound(services, page, raw_id, run, problem)
        else:
            await self._store_reports(services, page, raw_id, run, problem)
        if problem is None:
            metrics.POLLS.labels(kind, "ok").inc()
        return max(len(records), page.declared) >= _PAGE[kind]

    async def _store_inbound(self, services: Services, page: InboundPage, raw_id: int | None,
                             run: _Run, problem: str | None) -> None:
        new_ids = await services.store.store_inbound(page.messages, raw_id, problem)
        if len(new_ids) < len(page.messages):
            log.info("inbound: %d of %d SMS were already stored (a repeated answer)",
                     len(page.messages) - len(new_ids), len(page.messages))
        records = await services.store.inbound_by_ids(new_ids)
        metrics.INBOUND.inc(len(records))
        run.inbound.extend(records)
        if services.settings.inbox_chat_id is None:
            for r in records:
                log.info("inbound SMS %s from %s kept in the store (SMSBOT_INBOX_CHAT_ID is not set)",
                         r.msg_id, r.phone)
        else:
            log.info("inbound: %d new SMS stored", len(records))

    async def _store_reports(self, services: Services, page: ReportPage, raw_id: int | None,
                             run: _Run, problem: str | None) -> None:
        outcome: ReportOutcome = await services.store.store_report_page(page.reports, raw_id, problem)
        metrics.REPORTS.labels("yes").inc(outcome.matched)
        metrics.REPORTS.labels("no").inc(outcome.unmatched)
        run.reports += outcome.stored
        run.touched.update(outcome.touched_sends)
        if outcome.unmatched:
            log.info("reports: %d stored, %d match no known send (kept)", outcome.stored, outcome.unmatched)

    async def _failed(self, services: Services, kind: str, exc: BaseException, raw_id: int | None,
                      run: _Run) -> None:
        if isinstance(exc, GatewayProtocolError):
            result = "garbage"
            await self._keep_damaged(services, kind, exc, raw_id, run)
        elif isinstance(exc, GatewayBusy):
            result = "busy"
        elif isinstance(exc, GatewayUnavailable):
            result = "unavailable"
        elif isinstance(exc, TimeoutError):
            result = "timeout"
        elif isinstance(exc, GatewayRefused):
            result = "refused"
        else:
            result = "error"
        metrics.POLLS.labels(kind, result).inc()
        code = getattr(exc, "code", None)
        metrics.GATEWAY_ERRORS.labels(kind, str(code)).inc()
        state = self.state[kind]
        state.failures += 1
        delay = backoff_delay(self.interval, state.failures)
        state.resume_at = self.clock() + delay
        text = str(exc) or type(exc).__name__
        run.errors.append(f"{kind}: {text}")
        log.warning("poll %s: %s (%s); %d failure(s) in a row, next try in %.1f s%s",
                    kind, text, result, state.failures, delay,
                    "; the answer is kept in raw_answers" if raw_id is not None else "")

    async def _keep_damaged(self, services: Services, kind: str, exc: GatewayProtocolError,
                            raw_id: int | None, run: _Run) -> None:
        """An answer that cannot be read whole: the raw answer is kept as received (a person
        can read it in raw_answers), and the records that could be read go on as usual."""
        problem = str(exc)[:500] or "unreadable answer"
        partial = exc.partial
        if isinstance(partial, InboundPage | ReportPage) and (
                partial.messages if isinstance(partial, InboundPage) else partial.reports):
            await self._store(services, kind, partial, raw_id, run, problem)
        elif raw_id is not None:
            await services.store.mark_raw(raw_id, problem)

    # -- leftovers of an earlier run -----------------------------------------------------

    async def _recover(self, services: Services, run: _Run) -> None:
        """Parse raw answers committed but never parsed (a crash or timeout in between)."""
        for raw_id, endpoint, body, problem in await services.store.unparsed_raw():
            if problem is not None:
                continue  # unreadable: kept for a person, not retried every run
            kind = "inbound" if endpoint == Endpoint.INBOUND.value else "reports"
            try:
                page: InboundPage | ReportPage = (
                    parse_inbound(body) if kind == "inbound" else parse_reports(body))
            except GatewayProtocolError as exc:
                await self._keep_damaged(services, kind, exc, raw_id, run)
                log.warning("raw answer %d (%s) cannot be read whole: %s; kept", raw_id, kind, exc)
                continue
            except GatewayError as exc:
                await services.store.mark_raw(raw_id, str(exc)[:500] or "unreadable answer")
                log.warning("raw answer %d (%s) cannot be parsed: %s; kept", raw_id, kind, exc)
                continue
            log.warning("raw answer %d (%s) was stored but not parsed by an earlier run; parsing it now",
                        raw_id, kind)
            await self._store(services, kind, page, raw_id, run)

    def _health(self, services: Services, run: _Run) -> None:
        now = time.time()
        if not run.errors:
            services.extras["last_poll_ok"] = now
            services.extras["last_poll_error"] = None
            metrics.LAST_POLL_OK.set(now)
        else:
            services.extras["last_poll_error"] = "; ".join(run.errors)
        last_ok = services.extras.get("last_poll_ok")
        if last_ok is not None:
            metrics.POLL_LAG.set(max(now - last_ok, 0.0))


HOOKED_KEY = "inbound_hooked_upto"


async def _hook_new_inbound(app: Application, services: Services) -> None:  # type: ignore[type-arg]
    """Hand every stored SMS to the hooks once it is committed, durably.

    A mark in the store says how far the hooks got, so SMS stored just before a crash
    are handed over after the restart (at least once; the ack hook is idempotent).
    """
    if not app.bot_data.get(INBOUND_HOOKS):
        return
    mark = int(await services.store.kv_get(HOOKED_KEY) or 0)
    while records := await services.store.inbound_since(mark, 500):
        await _call_hooks(app, services, records)
        mark = records[-1].id
        await services.store.kv_set(HOOKED_KEY, str(mark))


async def _call_hooks(app: Application, services: Services, records: list[InboundRecord]) -> None:  # type: ignore[type-arg]
    for hook in list(app.bot_data.setdefault(INBOUND_HOOKS, [])):
        try:
            await asyncio.wait_for(hook(app, services, list(records)), HOOK_TIMEOUT)
        except Exception:
            log.exception("inbound hook %s failed", getattr(hook, "__qualname__", hook))


def poller_of(services: Services) -> Poller:
    poller = services.extras.get("poller")
    if poller is None:
        poller = services.extras["poller"] = Poller(services.settings.poll_interval)
    return poller


async def poll_job(context: Context) -> None:
    """JobQueue callback: one poll run, then the forward job at once if anything new was stored."""
    app = context.application
    services: Services | None = app.bot_data.get("services")
    if services is None:
        return
    try:
        outcome = await poller_of(services).run(app, services)
    except Exception:  # the store itself failed: logged, the next run tries again
        log.exception("poll run failed")
        services.extras["last_poll_error"] = "the poll run failed; see the log"
        return
    if outcome.stored_anything:
        from bot.jobs.forward import request_forward

        request_forward(app)
