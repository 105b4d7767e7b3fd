"""Delivery reports waiting to be fetched, each from its due time on (carriers take a while)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from sms_core.models import DeliveryReport


@dataclass(order=True)
class _Queued:
    due: float
    seq: int
    report: DeliveryReport = field(compare=False)


class ReportQueue:
    """Reports in the order they fall due (then in the order they were queued).

    Not locked: the gateway that owns it holds its own lock around every call.
    """

    def __init__(self) -> None:
        self._queued: list[_Queued] = []
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._queued)

    def add(self, report: DeliveryReport, due: float) -> None:
        self._queued.append(_Queued(due=due, seq=next(self._seq), report=report))

    def flush(self, now: float) -> None:
        """Make every queued report fetchable from `now` on."""
        for q in self._queued:
            q.due = min(q.due, now)

    def take(self, now: float, limit: int) -> list[DeliveryReport]:
        """Remove and return up to `limit` reports due at `now`, the earliest first."""
        due = sorted(q for q in self._queued if q.due <= now)[:limit]
        if due:
            taken = {id(q) for q in due}
            self._queued = [q for q in self._queued if id(q) not in taken]
        return [q.report for q in due]

    def listing(self, now: float, *, due_only: bool = False) -> list[DeliveryReport]:
        """The queued reports in order (only those due at `now`, if `due_only`), left queued."""
        return [q.report for q in sorted(self._queued) if not due_only or q.due <= now]

    def due_count(self, now: float) -> int:
        return sum(1 for q in self._queued if q.due <= now)


__all__ = ["ReportQueue"]
