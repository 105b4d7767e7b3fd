"""Values that cross the sms_core boundary. Frozen: nothing downstream edits them."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from sms_core.errors import GatewayError


class ReportStatus(enum.IntEnum):
    PENDING = -1  # no report from the carrier yet: not final
    DELIVERED = 10
    FAILED = 20


@dataclass(frozen=True, slots=True)
class SendAnswer:
    """A parsed `0|a|b|d` answer: `ids` is `d` split on commas (one batch id, or one SMSID per number)."""

    accepted: int
    rejected: int
    ids: tuple[str, ...]


class ChunkOutcome(enum.StrEnum):
    ACCEPTED = "accepted"  # the gateway answered 0|a|b|d
    REFUSED = "refused"  # the gateway answered an error code: nothing sent
    FAILED = "failed"  # the request certainly did not arrive / was not accepted, after retries
    UNKNOWN = "unknown"  # the request may have arrived: never retried


@dataclass(frozen=True, slots=True)
class ChunkResult:
    """One request of at most 100 numbers."""

    numbers: tuple[str, ...]
    outcome: ChunkOutcome
    accepted: int = 0
    rejected: int = 0
    ids: tuple[str, ...] = ()
    error: GatewayError | None = None
    attempts: int = 1


@dataclass(frozen=True, slots=True)
class SendResult:
    chunks: tuple[ChunkResult, ...]
    segments: int = 1

    @property
    def numbers(self) -> tuple[str, ...]:
        return tuple(n for c in self.chunks for n in c.numbers)

    @property
    def accepted(self) -> int:
        return sum(c.accepted for c in self.chunks)

    @property
    def rejected(self) -> int:
        return sum(c.rejected for c in self.chunks)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(i for c in self.chunks for i in c.ids)

    @property
    def unknown(self) -> tuple[str, ...]:
        """Numbers whose fate is unknown (their chunk timed out after sending)."""
        return tuple(n for c in self.chunks if c.outcome is ChunkOutcome.UNKNOWN for n in c.numbers)

    @property
    def ok(self) -> bool:
        return all(c.outcome is ChunkOutcome.ACCEPTED for c in self.chunks)

    @property
    def cost(self) -> int:
        return self.accepted * self.segments


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """One `batch_id;phone;status` record of a report page."""

    sms_id: str
    phone: str
    status: int

    @property
    def final(self) -> bool:
        return self.status != ReportStatus.PENDING

    @property
    def delivered(self) -> bool:
        return self.status == ReportStatus.DELIVERED


@dataclass(frozen=True, slots=True)
class InboundSms:
    msg_id: str
    phone: str
    text: str


@dataclass(frozen=True, slots=True)
class ReportPage:
    """One answer of get_report_txt. `declared` is the count before the first bar."""

    reports: tuple[DeliveryReport, ...]
    declared: int

    @property
    def count_mismatch(self) -> bool:
        return self.declared != len(self.reports)


@dataclass(frozen=True, slots=True)
class InboundPage:
    messages: tuple[InboundSms, ...]
    declared: int

    @property
    def count_mismatch(self) -> bool:
        return self.declared != len(self.messages)


@dataclass(frozen=True, slots=True)
class TextInfo:
    """A validated SMS text: characters and segments (billing units per number)."""

    text: str
    chars: int
    segments: int


@dataclass(frozen=True, slots=True)
class Recipients:
    """Normalised, deduplicated numbers, in the order given."""

    numbers: tuple[str, ...] = field(default_factory=tuple)
