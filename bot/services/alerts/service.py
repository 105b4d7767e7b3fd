"""Flow 5: an alert is committed first, then sent by one dispatcher, retried, capped, acknowledged.

Why one dispatcher (a lock, not a task per alert): the hourly cap is decided per
phone in the order alerts arrived, and two attempts at the same alert must never
overlap. Why commit first: the webhook answers 2xx only for what is in the store,
so Alertmanager retries anything we could not keep, and a restart finds what was
committed but not yet sent.

Retry rule (the house's): an attempt whose numbers *certainly* did not get the
SMS (gateway down or busy after the client's own retries, or balance too low)
is tried again for those numbers, with backoff; a number whose outcome is
unknown is never texted again for that alert.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot import metrics
from bot.errors import BotError, Reason
from bot.services.address_book import AddressBook
from bot.services.alerts.ack_status import CODE_HISTORY, past_outcome
from bot.services.alerts.errors import AlertNotStored, EmptyAlertGroup, UnknownAlertGroup
from bot.services.alerts.payload import ParsedAlert, parse_body, split_by_group
from bot.services.alerts.render import alert_sms, summary_sms
from bot.services.sending import Origin, SendService
from bot.store import SendRecord, Store
from bot.store.alerts import AlertItemIn, AlertRecord, SuppressedAlert
from config import Settings
from sms_core.backoff import Backoff
from sms_core.errors import GatewayReason, InputError

log = logging.getLogger(__name__)

OPEN_TTL = 24 * 3600.0
"""An alert's code can be acknowledged for a day (or until it resolves, or is acknowledged)."""
CODE_REUSE_AFTER = 3600.0
"""A code is not given to a new alert within an hour of its last alert closing (acked, resolved, expired),
so a late reply cannot ack the wrong alert."""
TEXT_ACK_TTL = 24 * 3600.0
"""A plain-text alert never resolves: its ack silences repeats for a day."""
MAX_WAKE = 30.0
SUMMARY_ORIGIN = "cap summary"

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class Received:
    """What one webhook request became: one notification per group."""

    alerts: tuple[AlertRecord, ...]

    def to_json(self) -> dict[str, object]:
        return {"accepted": [{"id": a.id, "group": a.group_name, "state": a.state, "code": a.code}
                             for a in self.alerts]}


@dataclass(frozen=True, slots=True)
class AckResult:
    outcome: str  # done | not_recipient, or why the code takes no ack (ack_status.past_outcome)
    alert: AlertRecord | None = None


def overall_state(states: Sequence[str], held_back: int) -> str:
    """The state of an alert from its recipients' best states (no retry pending)."""
    kinds = set(states)
    if not kinds:
        return "suppressed" if held_back else "error"
    if kinds == {"accepted"}:
        return "sent"
    if "accepted" in kinds:
        return "partial"
    if kinds & {"unknown", "pending"}:
        return "unknown"
    if "refused" in kinds:
        return "refused"
    return "gave_up"


def _retryable_refusal(record: SendRecord | None) -> bool:
    """Refused for a balance too low (-9): nothing went out, and a top-up will let it through."""
    return bool(record and record.error_kind == GatewayReason.INSUFFICIENT_BALANCE)


class AlertService:
    """Receive (commit), dispatch (send, retry, cap), summarise, acknowledge."""

    def __init__(self, settings: Settings, store: Store, address_book: AddressBook, sending: SendService, *,
                 clock: Clock = time.time, retry_base: float = 30.0, retry_cap: float = 600.0,
                 max_attempts: int = 20) -> None:
        self.settings = settings
        self.store = store
        self.address_book = address_book
        self.sending = sending
        self.clock = clock
        self.retry_base = retry_base
        self.retry_cap = retry_cap
        self.max_attempts = max_attempts
        self.lock = asyncio.Lock()
        self.on_change: Callable[[], None] = lambda: None  # the chat copies' wake-up
        self.runs = 0
        """Passes the dispatcher finished (run_due in its loop): what waiting for it counts."""
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    # -- receiving -------------------------------------------------------------------------

    async def receive(self, path_group: str | None, body: bytes) -> Received:
        """Parse, check the groups, commit. Raises AlertError subclasses; nothing is sent here."""
        notification = parse_body(body)
        by_group = split_by_group(notification, path_group)
        batches: list[tuple[str, list[AlertItemIn]]] = []
        for name, alerts in by_group.items():
            try:
                group = await self.store.contacts.get_group(name)
            except Exception as exc:
                raise AlertNotStored(Reason.WEBHOOK_STORE_UNREADABLE) from exc
            if group is None:
                raise UnknownAlertGroup(name)
            if not group.members:
                raise EmptyAlertGroup(group.name)
            batches.append((group.name, [_item_in(a) for a in alerts]))
        try:
            records = await self.store.alert_intake.receive(
                notification.source, batches, now=self.clock(), dedup_window=self.settings.alert_dedup,
                send_resolved=self.settings.alert_send_resolved, open_ttl=OPEN_TTL,
                code_reuse_after=CODE_REUSE_AFTER)
        except Exception as exc:
            log.error("an alert could not be stored (%s); the sender was told to retry", type(exc).__name__)
            raise AlertNotStored(Reason.WEBHOOK_NOT_STORED) from exc
        await self._count_received(records)
        self.wake()
        self.on_change()
        return Received(tuple(records))

    async def _count_received(self, records: Sequence[AlertRecord]) -> None:
        for record in records:
            items = await self.store.alert_intake.items(record.id)
            metrics.ALERTS.labels("received").inc(len(items))
            for outcome, event in (("deduplicated", "deduplicated"), ("acked", "silenced"), ("skipped", "skipped")):
                n = sum(1 for i in items if i.outcome == outcome)
                if n:
                    metrics.ALERTS.labels(event).inc(n)
            log.info("alert %d for @%s stored: %s, %d alert(s)%s", record.id, record.group_name, record.state,
                     len(items), f", code {record.code}" if record.code is not None else "")

    # -- the dispatcher --------------------------------------------------------------------------

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        """Settle attempts a crash interrupted, then dispatch in the background."""
        await self.recover()
        self._stopping = False
        self._task = asyncio.create_task(self._loop(), name="alerts-dispatch")
        self.wake()

    async def stop(self, grace: float = 30.0) -> None:
        """Let an attempt in flight finish (it is journaled either way), then stop."""
        self._stopping = True
        self.wake()
        task, self._task = self._task, None
        if task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), grace)
        except (TimeoutError, asyncio.CancelledError):
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        except Exception:
            log.exception("the alert dispatcher ended with an error")

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                await asyncio.wait_for(self._wake.wait(), await self._next_wake_in())
            except TimeoutError:
                pass
            self._wake.clear()
            if self._stopping:
                return
            try:
                await self.run_due()
            except Exception:  # the store failed, or a bug: logged, tried again shortly
                log.exception("alert dispatch failed; trying again shortly")
                await asyncio.sleep(1.0)
            finally:
                self.runs += 1

    async def _next_wake_in(self) -> float:
        try:
            due = await self.store.alert_delivery.next_retry_at()
        except Exception:
            return MAX_WAKE
        if due is None:
            return MAX_WAKE
        return min(max(due - self.clock(), 0.01), MAX_WAKE)

    async def recover(self) -> None:
        """Alerts left `sending` by a stop: their sends are settled (post_init marks pending sends
        unknown); an alert whose send was never journaled is sent now."""
        for alert in await self.store.alert_intake.in_state("sending"):
            log.warning("alert %d was being sent when the bot stopped; settling it", alert.id)
            await self._settle(alert.id, None)

    async def run_due(self) -> None:
        """Every alert due now (new, or a retry whose time came), in order; then cap summaries."""
        async with self.lock:
            after = 0
            while not self._stopping:
                alert = await self.store.alert_delivery.next_due(self.clock(), after)
                if alert is None:
                    break
                after = alert.id
                try:
                    await self._dispatch(alert)
                except Exception:
                    log.exception("alert %d: dispatch failed; it will be tried again", alert.id)
                    await self._schedule_retry(alert.id, "internal error (see the log)", (), count_attempt=True)
            if not self._stopping:
                await self._summaries()
        await self._gauge()

    async def _gauge(self) -> None:
        with contextlib.suppress(Exception):
            counts = await self.store.alert_intake.counts()
            metrics.ALERTS_PENDING.set(sum(counts.get(s, 0) for s in ("stored", "sending", "failed")))

    async def _phones(self, group_name: str) -> tuple[str, ...]:
        """The group's numbers. A member that no longer resolves (a deleted contact) is skipped
        (Resolved.stale), so one stale entry cannot keep an alert from everyone else."""
        return (await self.address_book.resolve_all([f"@{group_name}"])).numbers

    async def _dispatch(self, alert: AlertRecord) -> None:
        store, settings = self.store, self.settings
        items = [i for i in await store.alert_intake.items(alert.id) if i.outcome == "new"]
        text = alert.text or alert_sms(items, alert.code, segments=settings.alert_max_segments,
                                       segment_size=settings.segment_size, encoding=settings.gateway_encoding)
        try:
            phones = await self._phones(alert.group_name)
        except (BotError, InputError) as exc:
            reason = f"the group @{alert.group_name} cannot be texted ({exc.reason})"
            log.warning("alert %d: %s", alert.id, reason)
            await store.alert_delivery.finish(alert.id, "error", self.clock(), error=reason)
            metrics.ALERTS.labels("error").inc()
            self.on_change()
            return
        claim = await store.alert_delivery.claim(alert.id, phones, text, settings.alert_max_per_hour, self.clock())
        if claim is None:
            return
        if claim.capped:
            metrics.ALERTS.labels("suppressed").inc(len(claim.capped))
            log.info("alert %d: held back from %d phone(s) by the hourly cap", alert.id, len(claim.capped))
            self.on_change()
        if not claim.phones:
            await self._settle(alert.id, None)
            return
        try:
            prepared = self.sending.prepare_numbers(claim.phones, text)
        except InputError as exc:  # a text fit_segments made should always pass; never loop on it
            await store.alert_delivery.finish(alert.id, "error", self.clock(), error=str(exc)[:200], release=claim.phones)
            self.on_change()
            return

        async def journaled(send_id: int) -> None:
            await store.alert_delivery.set_send(alert.id, send_id)

        origin = Origin("alert", user_name=f"alert {alert.id}", alert_id=alert.id,
                        lang=settings.language or "en")
        record = await self.sending.execute(prepared, origin, on_journaled=journaled)
        await self._settle(alert.id, record)

    async def _settle(self, alert_id: int, record: SendRecord | None) -> None:
        """Where the alert stands after an attempt: retry the numbers that certainly did not get it."""
        alert = await self.store.alert_intake.get(alert_id)
        if alert is None:
            return
        states = await self.store.alert_delivery.recipient_states(alert_id)
        if record is None and not states and alert.state == "sending":
            # interrupted before the send was journaled: nothing went out, send it now
            await self.store.alert_quota.release(alert_id)
            await self.store.alert_delivery.finish(alert_id, "stored", self.clock())
            return
        held = await self.store.alert_quota.held_phones(alert_id)
        states = {p: s for p, s in states.items() if p not in held}  # the summary tells those
        retry = [p for p, s in states.items() if s == "failed" or (s == "refused" and _retryable_refusal(record))]
        if retry and alert.acked_at is None:
            error = (record.error if record else None) or "the gateway did not take it"
            await self._schedule_retry(alert_id, error, retry)
            return
        state = overall_state(list(states.values()), alert.suppressed)
        await self.store.alert_delivery.finish(alert_id, state, self.clock(), error=record.error if record else alert.error,
                                      release=retry)
        metrics.ALERTS.labels({"sent": "sent", "partial": "sent"}.get(state, state)).inc()
        log.info("alert %d: %s", alert_id, state)
        self.on_change()

    async def _schedule_retry(self, alert_id: int, error: str, phones: Sequence[str], *,
                              count_attempt: bool = False) -> None:
        alert = await self.store.alert_intake.get(alert_id)
        if alert is None:
            return
        now = self.clock()
        attempts = alert.attempts + (1 if count_attempt else 0)
        if attempts >= self.max_attempts:
            await self.store.alert_delivery.finish(alert_id, "gave_up", now, error=error, release=phones,
                                          count_attempt=count_attempt)
            metrics.ALERTS.labels("gave_up").inc()
            log.error("alert %d: not sent after %d attempts (%s); giving up", alert_id, attempts, error)
        else:
            delay = Backoff(first=self.retry_base, cap=self.retry_cap).delay(max(attempts, 1))
            await self.store.alert_delivery.finish(alert_id, "failed", now, error=error, next_attempt_at=now + delay,
                                          release=phones, count_attempt=count_attempt)
            metrics.ALERTS.labels("failed").inc()
            log.warning("alert %d: attempt %d not sent (%s); %d number(s) again in %.0f s",
                        alert_id, attempts, error, len(phones), delay)
        self.on_change()

    # -- the hourly cap's summaries ----------------------------------------------------------

    async def _summaries(self) -> None:
        """One SMS per phone whose hour reopened, naming what the cap held back from it."""
        settings = self.settings
        due = await self.store.alert_quota.suppressed_due(settings.alert_max_per_hour, self.clock())
        by_phone: dict[str, list[SuppressedAlert]] = {}
        for entry in due:
            by_phone.setdefault(entry.phone, []).append(entry)
        by_set: dict[tuple[int, ...], list[str]] = {}
        for phone, entries in by_phone.items():
            by_set.setdefault(tuple(e.alert_id for e in entries), []).append(phone)
        for alert_ids, phones in by_set.items():
            entries = by_phone[phones[0]]
            text = summary_sms(entries, segments=settings.alert_max_segments,
                               segment_size=settings.segment_size, encoding=settings.gateway_encoding)
            await self._send_summary(phones, list(alert_ids), text)

    async def _send_summary(self, phones: Sequence[str], alert_ids: Sequence[int], text: str) -> None:
        now = self.clock()
        phones = await self.store.alert_quota.claim_summary(phones, self.settings.alert_max_per_hour, now)
        if not phones:
            return
        prepared = self.sending.prepare_numbers(phones, text)

        async def journaled(send_id: int) -> None:  # from here on, never sent twice
            await self.store.alert_quota.mark_summarised(phones, alert_ids, send_id)

        record = await self.sending.execute(
            prepared, Origin("alert", user_name=SUMMARY_ORIGIN, lang=self.settings.language or "en"),
            on_journaled=journaled)
        if record.state == "failed" or (record.state == "refused" and _retryable_refusal(record)):
            await self.store.alert_quota.mark_summarised(phones, alert_ids, None)
            await self.store.alert_quota.release_summary_slots(phones, now)
            log.warning("cap summary to %d phone(s) not sent (%s); tried again later", len(phones), record.error)
            return
        metrics.ALERTS.labels("summary").inc()
        log.info("cap summary of %d alert(s) to %d phone(s): %s", len(alert_ids), len(phones), record.state)

    # -- acknowledging --------------------------------------------------------------------------

    async def ack(self, code: int, who: str, *, phone: str | None = None) -> AckResult:
        """Acknowledge the open alert with `code`; by SMS (`phone`), only one of its recipients may."""
        now = self.clock()
        alert = await self.store.alert_acks.open_by_code(code, now, OPEN_TTL)
        if alert is None:  # what became of the code's last alert says why
            last = await self.store.alert_acks.latest_by_code(code, now - CODE_HISTORY)
            return AckResult(past_outcome(last), last)
        if phone is not None and phone not in await self.store.alert_acks.phones(alert.id):
            log.info("SMS ack of code %d from %s ignored: not a recipient of alert %d", code, phone, alert.id)
            return AckResult("not_recipient", alert)
        expires = now + TEXT_ACK_TTL if alert.source == "text" else None
        acked = await self.store.alert_acks.ack(alert.id, who, now, expires)
        if acked is None:  # someone else, or a resolve, came first
            last = await self.store.alert_intake.get(alert.id)
            return AckResult(past_outcome(last), last)
        metrics.ALERTS.labels("acked").inc()
        await self.store.audit_log.record("alert_ack", detail=f"alert {alert.id} code {code} by {who}"[:200])
        log.info("alert %d (code %d) acknowledged by %s", alert.id, code, who)
        self.on_change()
        return AckResult("done", acked)

    async def prune(self) -> None:
        """Forget cap slots older than the hour they count in."""
        await self.store.alert_quota.prune(self.clock() - 2 * 3600)


def _item_in(alert: ParsedAlert) -> AlertItemIn:
    return AlertItemIn(alert.fingerprint, alert.status, alert.name, alert.summary, dict(alert.labels))
