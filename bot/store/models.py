"""Every record the store hands out or takes in, as frozen values.

They are the repositories' vocabulary (see interface.py): whichever backend runs the
store, callers see these and nothing of the database (no rows, no cursors).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    phone: str


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    members: tuple[str, ...]  # normalised numbers or contact names


@dataclass(frozen=True, slots=True)
class OutcomeGroup:
    """Numbers of a send that did not (certainly) go out, counted by state and reason.

    `state` is unknown (may have been sent), failed or refused (certainly not sent); `reason`
    an UnknownReason code (timeout, interrupted, ...) or the reason code of a refusal (e.g.
    "insufficient_balance"), None for numbers stored before reasons were;
    `arg` its argument (an HTTP status, a forbidden word)."""

    state: str
    reason: str | None
    arg: str | None
    count: int


@dataclass(frozen=True, slots=True)
class SendRecord:
    id: int
    created_at: float
    origin: str
    chat_id: int | None
    user_id: int | None
    user_name: str | None
    text: str
    segments: int
    scheduled_at: str | None
    state: str
    error: str | None
    accepted: int
    rejected: int
    recipients: int
    delivered: int
    failed: int
    unknown: int
    status_chat_id: int | None
    status_message_id: int | None
    status_thread_id: int | None
    status_version: int
    status_shown: int
    status_edited_at: float | None
    alert_id: int | None
    lang: str = "en"
    error_kind: str | None = None  # the reason code of the error (sms_core), e.g. "forbidden_word", "timeout"
    error_arg: str | None = None  # its argument, e.g. the forbidden word, an HTTP status
    outcomes: tuple[OutcomeGroup, ...] = ()  # the numbers not accepted, by state and reason
    not_sent: tuple[str, ...] = ()  # the numbers that certainly did not go out, in send order

    @property
    def cost(self) -> int:
        return self.accepted * self.segments

    @property
    def waiting(self) -> int:
        """Accepted numbers without a final report yet."""
        return max(self.accepted - self.delivered - self.failed, 0)


@dataclass(frozen=True, slots=True)
class Recipient:
    send_id: int
    phone: str
    chunk: int
    state: str
    report_status: int | None


@dataclass(frozen=True, slots=True)
class NumberOutcome:
    """One number of a send and what became of it.

    `state` is its request's (pending, sending, accepted, refused, failed, unknown);
    `report_status` the last delivery report for it (-1 pending at the carrier, 10 delivered,
    20 failed; None: none came), `reported_at` when; `reason` and `reason_arg` why it did not
    (certainly) go out, as in OutcomeGroup (None for an accepted number)."""

    send_id: int
    phone: str
    state: str
    report_status: int | None
    reported_at: float | None
    reason: str | None
    reason_arg: str | None


@dataclass(frozen=True, slots=True)
class InboundRecord:
    id: int
    received_at: float
    msg_id: str
    phone: str
    text: str
    forwarded_at: float | None


class RawAnswer(NamedTuple):
    """A destructive read's answer kept as received (password blanked) and not parsed yet.
    A named tuple: it unpacks as (id, endpoint, body, problem)."""

    id: int
    endpoint: str
    body: str
    problem: str | None  # why a person must look at it; None when it was never parsed


@dataclass(frozen=True, slots=True)
class Topic:
    """A phone's forum topic in the inbox chat (Telegram calls its id message_thread_id)."""

    phone: str
    chat_id: int
    topic_id: int
    title: str


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    at: float
    kind: str
    chat_id: int | None
    user_id: int | None
    detail: str | None


@dataclass(frozen=True, slots=True)
class Confirmation:
    token: str
    created_at: float
    chat_id: int
    user_id: int
    message_id: int | None
    payload: str
    state: str


@dataclass(frozen=True, slots=True)
class HeldSend:
    """A scheduled send that smsbot holds until its time (see bot/services/scheduled.py).

    `state`: held (waiting), releasing (taken for sending; `send_id` once journaled), released,
    cancelled (`closed_by`), missed (its time passed while the bot was down, too long ago)."""

    id: int
    created_at: float
    due_at: float  # epoch seconds
    origin: str
    chat_id: int
    user_id: int
    user_name: str | None
    lang: str
    numbers: tuple[str, ...]
    text: str
    segments: int
    status_chat_id: int | None
    status_thread_id: int | None
    status_message_id: int | None
    state: str
    send_id: int | None
    closed_at: float | None
    closed_by: int | None
    closed_by_name: str | None
    told: bool

    @property
    def cost(self) -> int:
        return self.segments * len(self.numbers)


@dataclass(frozen=True, slots=True)
class ReportOutcome:
    """What storing one page of reports did."""

    stored: int
    matched: int
    unmatched: int
    touched_sends: tuple[int, ...]


# --- alerts -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlertItemIn:
    """One alert as received, before the store decides its outcome."""

    fingerprint: str
    status: str  # firing | resolved
    name: str
    summary: str
    labels: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class AlertItemRecord:
    alert_id: int
    position: int
    fingerprint: str
    status: str
    name: str
    summary: str
    labels: Mapping[str, str]
    outcome: str  # new | deduplicated | acked | skipped


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """One notification for one contact group: at most one SMS (see store/alerts)."""

    id: int
    received_at: float
    source: str
    group_name: str
    fingerprint: str
    status: str
    name: str
    summary: str
    labels: Mapping[str, str]
    code: int | None
    state: str
    text: str | None
    send_id: int | None
    attempts: int
    next_attempt_at: float | None
    error: str | None
    suppressed: int
    acked_by: str | None
    acked_at: float | None
    closed_at: float | None
    copy_chat_id: int | None
    copy_message_id: int | None
    copy_version: int
    copy_shown: int
    copy_send_shown: int
    copy_edited_at: float | None
    resolved_at: float | None = None  # the monitoring system said it is over (acked or not)


@dataclass(frozen=True, slots=True)
class AlertClaim:
    """An alert taken for one send attempt: who gets it now, who the cap held back."""

    alert: AlertRecord
    phones: tuple[str, ...]
    capped: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SuppressedAlert:
    """An alert the cap held back from a phone, not yet told in a summary."""

    phone: str
    alert_id: int
    name: str
    summary: str
    labels: Mapping[str, str]
    status: str = "firing"  # a held-back resolution is summarised as resolved
