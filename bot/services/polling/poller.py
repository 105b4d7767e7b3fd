"""Flow 2, the poll job: fetch delivery reports and inbound SMS, commit them, then act.

Both reads are destructive at the gateway: what a poll returns exists nowhere
else. So every answer with data is written to `raw_answers` (through `on_raw`,
before it is parsed) and committed; the parsed records are then stored and the
raw row marked parsed in one transaction. A body that cannot be parsed stays
unparsed with its problem recorded; a row left unparsed by a crash or a timeout
between those two steps is parsed again at the start of the next run.

Never read what cannot be kept. Before every read the store shows it can keep
the answer (room on its filesystem and a committed write: Store.check_can_keep),
answers spooled earlier are back in the store and raw answers left unparsed are
parsed. Otherwise the gateway is not read: the SMS wait there, and the run says
so once (FaultLog) and /healthz turns unhealthy. An answer read and then refused
by the store goes to the spool beside the store (bot/store/spool.py) and is
replayed before the next read; one the spool refuses too is logged whole at ERROR.

A full page (100 reports, 50 inbound) means more is waiting: the same run asks
again at once, up to MAX_PAGES pages. Busy, unreachable, unanswered or garbage
answers back off per endpoint, exponentially and capped, one log line per fault.
A read that got no answer after it was sent may have cost a page: it is counted
and never repeated at once. Nothing here raises into the JobQueue, and every
gateway call has a hard timeout so that a stop never hangs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot import metrics
from bot.faults import FaultLog
from bot.health import HealthState
from bot.services.polling.handoff import InboundHandoff, InboundHook
from bot.services.polling.pages import PageStore, PollOutcome, Run
from bot.services.polling.spool import Answer, SpoolKeeper
from bot.store import ROOM_FOR_A_PAGE, Store
from bot.store.errors import failure_kind
from sms_core import (
    Endpoint,
    SmsGateway,
)
from sms_core.backoff import Backoff
from sms_core.errors import (
    GatewayBusy,
    GatewayError,
    GatewayProtocolError,
    GatewayRefused,
    GatewayUnavailable,
    PageMaybeLost,
)
from sms_core.models import InboundPage, ReportPage

log = logging.getLogger("bot.jobs.poll")  # the poll job's lines, under its name

MAX_PAGES = 40
"""Pages per endpoint in one run: 4,000 reports or 2,000 SMS; the next run goes on."""
BACKOFF_CAP = 300.0


def backoff_delay(interval: float, failures: int, cap: float = BACKOFF_CAP) -> float:
    """Seconds to wait after `failures` failed polls in a row: 2, 4, 8... intervals, capped."""
    return Backoff(first=2 * interval, cap=max(cap, interval)).delay(failures)


def call_timeout(timeout: float, attempts: int, backoff: float) -> float:
    """A hard bound on one SmsGateway read: every attempt (each cut at 2 x timeout) and its pauses."""
    pauses = Backoff(first=backoff).total(max(attempts - 1, 0))
    return attempts * 2 * timeout + pauses + 1.0


@dataclass
class _EndpointState:
    failures: int = 0
    resume_at: float = 0.0  # monotonic; no poll of this endpoint before
    error: str | None = None
    last_ok: float | None = None  # unix time of the last successful read


_KINDS = {"reports": Endpoint.REPORTS, "inbound": Endpoint.INBOUND}
_NOT_READING = "not reading the gateway until it can"


class Poller:
    """The poll job's state between runs: per-endpoint backoff and health, the store's
    verdict, the spool, and a lock (never two runs at once). `runs` counts finished runs."""

    def __init__(self, store: Store, gateway: SmsGateway, health: HealthState, interval: float, *,
                 read_timeout: float | None = None, inbox_chat_id: int | None = None,
                 hooks: Sequence[InboundHook] = (), keeper: SpoolKeeper | None = None,
                 room: int = ROOM_FOR_A_PAGE, clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time) -> None:
        self.store = store
        self.gateway = gateway
        self.health = health
        self.inbox_chat_id = inbox_chat_id
        self.handoff = InboundHandoff(store, hooks)
        self.pages = PageStore(store, inbox_chat_id)
        self.interval = interval
        self.read_timeout = read_timeout
        self.keeper = keeper or SpoolKeeper(None, clock=clock, wall=wall)
        self.room = room
        self.clock = clock
        self.wall = wall
        self.lock = asyncio.Lock()
        self.state = {kind: _EndpointState() for kind in _KINDS}
        self.faults = {kind: FaultLog(log, f"poll {kind}", clock=clock) for kind in _KINDS}
        self.store_faults = FaultLog(log, "poll", clock=clock)
        self.run_faults = FaultLog(log, "poll run", clock=clock)
        self.store_error: str | None = None
        self.runs = 0

    async def run(self, running: Callable[[], bool] = lambda: True) -> PollOutcome:
        """One run: the store first, then each endpoint until drained (`running()` False: the bot
        is stopping, and a full page waits for the next start), then the inbound hooks."""
        if self.lock.locked():
            return PollOutcome()
        async with self.lock:
            run = Run()
            try:
                ready = await self._catch_up(run)
                for kind in _KINDS:
                    if not ready:
                        break
                    if self.clock() < self.state[kind].resume_at:
                        continue
                    ready = await self._drain(running, kind, run)
                try:
                    await self.handoff.run()
                except Exception as exc:
                    self._store_refused(exc, "the inbound hooks wait")
            finally:
                self.runs += 1
                self._health()
            return run.outcome()

    # -- the store first -----------------------------------------------------------------

    async def _catch_up(self, run: Run) -> bool:
        """Spooled answers into the store and unparsed raw answers parsed, before any new read."""
        try:
            await self.keeper.replay(self.store)
            await self.pages.recover(run)
        except Exception as exc:
            self._store_refused(exc, _NOT_READING)
            return False
        return True

    async def _can_keep(self, kind: str) -> bool:
        try:
            await self.store.check_can_keep(self.room)
        except Exception as exc:
            metrics.POLLS.labels(kind, "store_refused").inc()
            self._store_refused(exc, _NOT_READING)
            return False
        if self.store_error is not None:
            self.store_error = None
            self.store_faults.recovered("the store can keep poll answers again; reading the gateway")
        return True

    def _store_refused(self, exc: BaseException, consequence: str) -> None:
        kind, what = failure_kind(exc)
        self.store_error = what
        self.store_faults.failed(kind, f"the store cannot keep a poll answer: {what}; {consequence}",
                                 next_try=self.interval, exc=exc, level=logging.ERROR)

    # -- one endpoint ------------------------------------------------------------------

    async def _drain(self, running: Callable[[], bool], kind: str, run: Run) -> bool:
        """Read one endpoint until it is empty; False when the store refused (read no more)."""
        gateway = self.gateway
        read_timeout = self.read_timeout or gateway.timeout
        limit = call_timeout(max(gateway.timeout, read_timeout), gateway.max_attempts, gateway.backoff)
        fetch = gateway.fetch_inbound_page if kind == "inbound" else gateway.fetch_report_page
        for page_no in range(1, MAX_PAGES + 1):
            if not await self._can_keep(kind):
                return False
            answer = Answer(kind)
            try:
                page = await asyncio.wait_for(
                    fetch(on_raw=self._on_raw(answer), read_timeout=read_timeout), limit)
            except (GatewayError, TimeoutError) as exc:
                return await self._failed(kind, exc, answer, run, limit)
            if answer.refused:
                await self._store_refused_answer(page, answer, run)
                return False
            try:
                full = await self.pages.store_page(kind, page, answer.raw_id, run)
            except Exception as exc:
                self._store_refused(exc, "the answer is kept in raw_answers and parsed when the store "
                                         f"can write; {_NOT_READING}")
                return False
            self._read_ok(kind)
            if not full:
                return True
            if not running() and page_no > 1:
                return True  # stopping: the rest waits at the gateway for the next start
            log.info("%s: a full page; asking again at once (page %d)", kind, page_no)
        log.warning("%s: still full after %d pages; the next run goes on", kind, MAX_PAGES)
        return True

    def _on_raw(self, answer: Answer) -> Callable[[str, str], Awaitable[None]]:
        """`on_raw` for one read: the answer into raw_answers, else the spool; never raises."""

        async def on_raw(endpoint: str, body: str) -> None:
            try:
                answer.raw_id = await self.store.inbound.store_raw(endpoint, body)
                return
            except Exception as exc:
                answer.refused = True
                answer.store_problem = failure_kind(exc)[1]
                self._store_refused(exc, f"the answer read goes to the spool; {_NOT_READING}")
            await self.keeper.keep(answer, endpoint, body)

        return on_raw

    async def _store_refused_answer(self, page: InboundPage | ReportPage,
                                    answer: Answer, run: Run) -> None:
        """A page read whose raw answer the store refused. Spooled: the replay stores it.
        Otherwise its records may still go in (a passing lock); else it is logged whole."""
        if answer.spooled is not None:
            return
        try:
            await self.pages.store_page(answer.kind, page, None, run)
        except Exception:
            self.keeper.give_up(answer)
            return
        log.warning("poll %s: the raw answer could not be kept, but its records are stored", answer.kind)

    async def _failed(self, kind: str, exc: BaseException, answer: Answer,
                      run: Run, limit: float) -> bool:
        """A read that brought no usable page; False when the store refused its answer."""
        text = str(exc) or type(exc).__name__
        kept = ""
        if isinstance(exc, GatewayProtocolError):
            result = "garbage"
            if answer.refused:
                self.keeper.give_up(answer)
            else:
                try:
                    await self.pages.keep_damaged(kind, exc, answer.raw_id, run)
                except Exception as store_exc:
                    self._store_refused(store_exc, f"the answer is kept in raw_answers; {_NOT_READING}")
                    answer.refused = True
                if answer.raw_id is not None:
                    kept = "; the answer is kept in raw_answers"
        elif isinstance(exc, PageMaybeLost | TimeoutError):
            result = "maybe_lost"
            metrics.PAGES_MAYBE_LOST.labels(kind).inc()
            if isinstance(exc, TimeoutError):
                text = f"no answer within {limit:.0f} s after the request was sent: a page may have been lost"
        elif isinstance(exc, GatewayBusy):
            result = "busy"
        elif isinstance(exc, GatewayUnavailable):
            result = "unavailable"
        elif isinstance(exc, GatewayRefused):
            result = "refused"
        else:
            result = "error"
        metrics.POLLS.labels(kind, result).inc()
        metrics.GATEWAY_ERRORS.labels(kind, str(getattr(exc, "code", None))).inc()
        state = self.state[kind]
        state.failures += 1
        state.error = text
        delay = backoff_delay(self.interval, state.failures)
        state.resume_at = self.clock() + delay
        run.errors.append(f"{kind}: {text}")
        self.faults[kind].failed(result, f"{text} ({result}){kept}", next_try=delay, exc=exc)
        return not answer.refused

    def _read_ok(self, kind: str) -> None:
        state = self.state[kind]
        state.failures, state.resume_at, state.error = 0, 0.0, None
        state.last_ok = self.wall()
        self.faults[kind].recovered()

    # -- what /healthz and /metrics read ---------------------------------------------------

    def _health(self) -> None:
        oks = [s.last_ok for s in self.state.values()]
        last_ok = None if any(t is None for t in oks) else min(t for t in oks if t is not None)
        problems = [f"store: {self.store_error}"] if self.store_error else []
        problems += [f"{kind}: {s.error}" for kind, s in self.state.items() if s.error]
        self.health.last_poll_ok = last_ok
        self.health.last_poll_error = "; ".join(problems) or None
        self.health.poll_store_error = self.store_error
        if last_ok is not None:
            metrics.LAST_POLL_OK.set(last_ok)
            metrics.POLL_LAG.set(max(self.wall() - last_ok, 0.0))
