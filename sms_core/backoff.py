"""Backoff: how long to wait after N failures in a row, for every retry loop and job.

One formula serves both uses: a retry loop inside a call (pause `delay(attempt)` after
attempt `attempt` failed) and a job that skips runs (next run `delay(failures)` from now).

No jitter: one bot speaks to one gateway account and one Telegram bot, so there is no
crowd of clients to spread out, and exact waits keep log lines and tests predictable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    """Waits of `first`, `first * factor`, `first * factor**2`, ... seconds, never above `cap`."""

    first: float
    factor: float = 2.0
    cap: float = math.inf

    def __post_init__(self) -> None:
        if not self.first >= 0:  # also refuses NaN
            raise ValueError(f"first must be 0 or more, not {self.first!r}")
        if not self.factor >= 1:
            raise ValueError(f"factor must be 1 or more, not {self.factor!r}")
        if not self.cap >= 0:
            raise ValueError(f"cap must be 0 or more, not {self.cap!r}")

    def delay(self, failures: int) -> float:
        """Seconds to wait after `failures` failures in a row: 0 before the first failure,
        `first` after it, then `factor` times more each time, up to `cap`."""
        if failures <= 0 or self.first == 0:
            return 0.0
        try:
            wait = self.first * float(self.factor) ** (failures - 1)
        except OverflowError:  # a long outage: the cap has long been reached
            return float(self.cap)
        return float(min(wait, self.cap))

    def total(self, failures: int) -> float:
        """The waits after the first `failures` failures added up: the longest a retry loop
        of `failures + 1` attempts pauses in all (to bound the whole call)."""
        return math.fsum(self.delay(n) for n in range(1, failures + 1))
