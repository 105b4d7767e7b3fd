"""Rows of the store as frozen values; nothing outside bot/store sees sqlite3.Row."""

from __future__ import annotations

from dataclasses import dataclass


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
    an UnknownReason code (timeout, interrupted, ...) or the kind of a refusal (the class of the
    gateway's error, e.g. "InsufficientBalance"), None for numbers stored before reasons were;
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
    error_kind: str | None = None  # the class of a refusal, e.g. "ForbiddenWord", or an UnknownReason code
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
class InboundRecord:
    id: int
    received_at: float
    msg_id: str
    phone: str
    text: str
    forwarded_at: float | None


@dataclass(frozen=True, slots=True)
class Thread:
    phone: str
    chat_id: int
    thread_id: int
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
class ReportOutcome:
    """What storing one page of reports did."""

    stored: int
    matched: int
    unmatched: int
    touched_sends: tuple[int, ...]
