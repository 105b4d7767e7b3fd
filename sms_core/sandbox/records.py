"""What the sandbox logs: every request to a gateway endpoint, and every accepted send."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class RequestRecord:
    """One request to a gateway endpoint, as the sandbox saw it.

    `raw_query` holds the bytes as received, password included: kept in memory
    only (tests check GBK on the wire with it), hidden from repr and from JSON.
    `params` has the password replaced by "***". `gbk_ok` is False when some
    value's bytes were not valid GBK (the real gateway would store mojibake).
    """

    endpoint: str
    path: str
    time: float
    raw_query: bytes = field(repr=False)
    params: dict[str, str]
    gbk_ok: bool
    fault: str | None = None
    answer: str | None = None
    status: int | None = None
    duration: float = 0.0  # seconds spent by the sandbox handling it (server side)

    def to_json(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "path": self.path, "time": self.time,
                "params": self.params, "gbk_ok": self.gbk_ok, "fault": self.fault,
                "answer": self.answer, "status": self.status, "duration": self.duration}


@dataclass(frozen=True)
class SentRecord:
    """One accepted send request (a `0|a|b|d` answer)."""

    time: float
    accepted: tuple[str, ...]  # valid numbers, in request order, duplicates kept
    rejected: tuple[str, ...]
    text: str
    send_time: str | None  # the raw 14 digits, if scheduled
    ids: tuple[str, ...]  # the `d` field split on commas
    batch: str
    segments: int
    charged: int

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        for key in ("accepted", "rejected", "ids"):
            d[key] = list(d[key])
        return d


__all__ = ["RequestRecord", "SentRecord"]
