"""Flow 1, the only way anything sends an SMS: resolve, validate, cost, journal, send, record.

`/sms`, a reply in a phone's topic and an alert all come through `SendService`,
so the rules hold everywhere: validation before anything is spent; the send is
committed to the journal before the gateway is called, and each chunk of 100
numbers is marked in flight right before its request, so that a send cut short (a
crash, an error) tells the chunk whose outcome is unknown from those never sent; an
unknown outcome is recorded as unknown, with its reason, and never retried by itself.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot import metrics
from bot.services.address_book import AddressBook
from bot.store import SendRecord, Store
from sms_core import ChunkOutcome, ChunkResult, SmsGateway
from sms_core.errors import InputError, NoRecipients, SmsCoreError, UnknownReason
from sms_core.phones import normalize_number
from sms_core.schedule import CST, check_schedule
from sms_core.text import validate_text

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PreparedSend:
    """A send that passed every check: what would go out and what it would cost."""

    numbers: tuple[str, ...]
    text: str
    segments: int
    at: datetime | None = None
    stale: tuple[str, ...] = ()  # group members skipped (Resolved.stale), for the sender to fix

    @property
    def cost(self) -> int:
        return self.segments * len(self.numbers)

    def to_json(self) -> dict[str, Any]:
        """What a confirm question keeps of the send until the click (`stale` was shown already)."""
        return {"numbers": list(self.numbers), "text": self.text, "segments": self.segments,
                "at": self.at.isoformat() if self.at else None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PreparedSend:
        at = data.get("at")
        return cls(tuple(data["numbers"]), data["text"], int(data["segments"]),
                   datetime.fromisoformat(at) if at else None)


@dataclass(frozen=True, slots=True)
class Origin:
    """Who asked, for the journal and the audit log; and where the status message belongs.

    `status_chat_id` (with `status_topic_id`, a forum topic) makes the status message owed
    from the moment the send is journaled: if the caller cannot post it (Telegram failing),
    the forward job does once Telegram answers, so a sender never sees nothing and sends again.
    """

    kind: str  # command | reply | alert | cli
    chat_id: int | None = None
    user_id: int | None = None
    user_name: str | None = None
    alert_id: int | None = None
    lang: str = "en"
    status_chat_id: int | None = None
    status_topic_id: int | None = None


OnJournaled = Callable[[int], Awaitable[None]]


class SendService:
    def __init__(self, store: Store, gateway: SmsGateway, address_book: AddressBook, *,
                 encoding: str = "gbk", segment_size: int = 67) -> None:
        self.store = store
        self.gateway = gateway
        self.address_book = address_book
        self.encoding = encoding
        self.segment_size = segment_size

    async def prepare(self, targets: Sequence[str], text: str, at: datetime | None = None) -> PreparedSend:
        """Every check that can be made before spending anything. Raises InputError or BotError."""
        resolved = await self.address_book.resolve_all(targets)
        info = validate_text(text, encoding=self.encoding, segment_size=self.segment_size)
        when = check_schedule(at) if at is not None else None
        return PreparedSend(resolved.numbers, info.text, info.segments, when, resolved.stale)

    def prepare_numbers(self, numbers: Sequence[str], text: str) -> PreparedSend:
        """For callers that already hold normalised numbers (alerts, replies)."""
        if not numbers:
            raise NoRecipients()
        info = validate_text(text, encoding=self.encoding, segment_size=self.segment_size)
        return PreparedSend(tuple(dict.fromkeys(normalize_number(n) for n in numbers)), info.text, info.segments)

    async def claim(self, chat_id: int, message_id: int) -> bool:
        """True the first time a Telegram message asks for a send: an update that Telegram hands
        out again after a crash never texts twice."""
        return await self.store.claims.claim_message(chat_id, message_id)

    async def execute(self, prepared: PreparedSend, origin: Origin,
                      on_journaled: OnJournaled | None = None) -> SendRecord:
        """Journal, send, record. Never raises for a gateway problem: the record says what happened."""
        send_id = await self.store.sends.journal(
            origin=origin.kind, text=prepared.text, segments=prepared.segments, numbers=prepared.numbers,
            chat_id=origin.chat_id, user_id=origin.user_id, user_name=origin.user_name,
            scheduled_at=prepared.at.astimezone(CST).isoformat() if prepared.at else None,
            alert_id=origin.alert_id, lang=origin.lang,
            status_chat_id=origin.status_chat_id, status_thread_id=origin.status_topic_id,
        )
        if on_journaled is not None:
            await on_journaled(send_id)
        chunk_index = 0

        async def on_chunk_start(index: int, numbers: tuple[str, ...]) -> None:
            await self.store.sends.start_chunk(send_id, index)

        async def on_chunk(chunk: ChunkResult) -> None:
            nonlocal chunk_index
            await self.store.sends.record_chunk(send_id, chunk_index, chunk.outcome.value, chunk.accepted,
                                          chunk.rejected, chunk.ids, *_why(chunk.error))
            _count(chunk, prepared.segments)
            chunk_index += 1

        try:
            result = await self.gateway.send(prepared.numbers, prepared.text, at=prepared.at, on_chunk=on_chunk,
                                             on_chunk_start=on_chunk_start)
        except InputError as exc:  # the gateway client's own checks; prepare() should have caught it
            await self.store.sends.finish(send_id, "refused", *_why(exc))
        except Exception:
            # The journal says which chunk was in flight (unknown, never retried) and which never
            # started (not sent), as after a crash.
            log.exception("send %d ended in an unexpected error", send_id)
            await self.store.sends.settle(send_id, UnknownReason.INTERNAL_ERROR,
                                         error="unexpected error during the send")
        else:
            await self.store.sends.finish(send_id, _overall(result.chunks))
        record = await self.store.sends.get(send_id)
        assert record is not None
        log.info("send %d: %s, %d accepted, %d rejected, %d unknown", send_id, record.state,
                 record.accepted, record.rejected, record.unknown)
        return record


def _why(exc: SmsCoreError | None) -> tuple[str | None, str | None, str | None]:
    """(text for people and logs, kind for the status message's wording, its argument).

    The kind is the error's reason code, never its class name (a class may be renamed; a
    stored code must keep its wording): timeout, http_status (its argument the HTTP status),
    forbidden_word (its argument the word), insufficient_balance, ..."""
    if exc is None:
        return None, None, None
    code = getattr(exc, "code", None)
    text = f"{exc.reason}{f' ({code})' if code is not None else ''}: {exc}"
    return text, str(exc.reason), exc.reason_arg


def _overall(chunks: Sequence[ChunkResult]) -> str:
    outcomes = {c.outcome for c in chunks}
    if outcomes == {ChunkOutcome.ACCEPTED}:
        return "accepted"
    if ChunkOutcome.UNKNOWN in outcomes:
        return "unknown" if ChunkOutcome.ACCEPTED not in outcomes else "partial"
    if ChunkOutcome.ACCEPTED in outcomes:
        return "partial"
    if outcomes == {ChunkOutcome.FAILED}:
        return "failed"
    return "refused"


def _count(chunk: ChunkResult, segments: int) -> None:
    outcome = chunk.outcome.value
    n = chunk.accepted if chunk.outcome is ChunkOutcome.ACCEPTED else len(chunk.numbers)
    metrics.SMS_SENT.labels(outcome).inc(n)
    metrics.SMS_SEGMENTS.labels(outcome).inc(n * segments)
    if chunk.outcome is ChunkOutcome.ACCEPTED and chunk.rejected:
        metrics.SMS_SENT.labels("rejected").inc(chunk.rejected)
    if chunk.error is not None:
        metrics.GATEWAY_ERRORS.labels("send", str(chunk.error.code)).inc()
