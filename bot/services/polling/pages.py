"""Storing what a poll read: a page's records committed with its raw answer, a damaged answer
kept for a person with what could be read of it, and raw answers an earlier run left unparsed."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from bot import metrics
from bot.store import InboundRecord, ReportOutcome, Store
from sms_core import INBOUND_PAGE_SIZE, REPORT_PAGE_SIZE, Endpoint, parse_inbound, parse_reports
from sms_core.errors import GatewayError, GatewayProtocolError
from sms_core.models import InboundPage, ReportPage

log = logging.getLogger("bot.jobs.poll")  # the poll job's lines, under its name

_PAGE = {"reports": REPORT_PAGE_SIZE, "inbound": INBOUND_PAGE_SIZE}


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
class Run:
    """What one run stored so far."""

    inbound: list[InboundRecord] = field(default_factory=list)
    reports: int = 0
    touched: set[int] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)

    def outcome(self) -> PollOutcome:
        return PollOutcome(tuple(self.inbound), self.reports, tuple(sorted(self.touched)),
                           tuple(self.errors))


class PageStore:
    def __init__(self, store: Store, inbox_chat_id: int | None) -> None:
        self.store = store
        self.inbox_chat_id = inbox_chat_id

    async def store_page(self, kind: str, page: InboundPage | ReportPage,
                         raw_id: int | None, run: Run, problem: str | None = None) -> bool:
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
            await self._inbound(page, raw_id, run, problem)
        else:
            await self._reports(page, raw_id, run, problem)
        if problem is None:
            metrics.POLLS.labels(kind, "ok").inc()
        return max(len(records), page.declared) >= _PAGE[kind]

    async def _inbound(self, page: InboundPage, raw_id: int | None, run: Run,
                       problem: str | None) -> None:
        new_ids = await self.store.inbound.store(page.messages, raw_id, problem)
        if len(new_ids) < len(page.messages):
            log.info("inbound: %d of %d SMS were already stored (a repeated answer)",
                     len(page.messages) - len(new_ids), len(page.messages))
        records = await self.store.inbound.by_ids(new_ids)
        metrics.INBOUND.inc(len(records))
        run.inbound.extend(records)
        if self.inbox_chat_id is None:
            for r in records:
                log.info("inbound SMS %s from %s kept in the store (SMSBOT_INBOX_CHAT_ID is not set)",
                         r.msg_id, r.phone)
        else:
            log.info("inbound: %d new SMS stored", len(records))

    async def _reports(self, page: ReportPage, raw_id: int | None, run: Run,
                       problem: str | None) -> None:
        outcome: ReportOutcome = await self.store.sends.store_reports(page.reports, raw_id, problem)
        metrics.REPORTS.labels("yes").inc(outcome.matched)
        metrics.REPORTS.labels("no").inc(outcome.unmatched)
        run.reports += outcome.stored
        run.touched.update(outcome.touched_sends)
        if outcome.unmatched:
            log.info("reports: %d stored, %d match no known send (kept)", outcome.stored, outcome.unmatched)

    async def keep_damaged(self, kind: str, exc: GatewayProtocolError,
                           raw_id: int | None, run: Run) -> None:
        """An answer that cannot be read whole: the raw answer is kept as received (a person
        can read it in raw_answers), and the records that could be read go on as usual."""
        problem = str(exc)[:500] or "unreadable answer"
        partial = exc.partial
        if isinstance(partial, InboundPage | ReportPage) and (
                partial.messages if isinstance(partial, InboundPage) else partial.reports):
            await self.store_page(kind, partial, raw_id, run, problem)
        elif raw_id is not None:
            await self.store.inbound.mark_raw(raw_id, problem)

    async def recover(self, run: Run) -> None:
        """Parse raw answers committed but never parsed (a crash or timeout in between)."""
        for raw_id, endpoint, body, problem in await self.store.inbound.unparsed_raw():
            if problem is not None:
                continue  # unreadable: kept for a person, not retried every run
            kind = "inbound" if endpoint == Endpoint.INBOUND.value else "reports"
            try:
                page: InboundPage | ReportPage = (
                    parse_inbound(body) if kind == "inbound" else parse_reports(body))
            except GatewayProtocolError as exc:
                await self.keep_damaged(kind, exc, raw_id, run)
                log.warning("raw answer %d (%s) cannot be read whole: %s; kept", raw_id, kind, exc)
                continue
            except GatewayError as exc:
                await self.store.inbound.mark_raw(raw_id, str(exc)[:500] or "unreadable answer")
                log.warning("raw answer %d (%s) cannot be parsed: %s; kept", raw_id, kind, exc)
                continue
            log.warning("raw answer %d (%s) was stored but not parsed by an earlier run; parsing it now",
                        raw_id, kind)
            await self.store_page(kind, page, raw_id, run)
