"""One log line per fault, not per attempt.

A job that fails every second (the gateway down, a corrupt table, Telegram out)
would print a traceback on every run and bury the one line an operator needs.
`FaultLog` says the first failure of a kind at WARNING (or ERROR), counts the
repeats silently, says "still failing" at most once per `repeat_every` seconds
with the count and the time to the next try, and says the recovery once. The
traceback goes to DEBUG only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Fault:
    kind: str
    first_at: float
    said_at: float
    count: int = 1


class FaultLog:
    """Per-subject fault state: `failed()` on each failure, `recovered()` on each success."""

    def __init__(self, logger: logging.Logger, subject: str, *, repeat_every: float = 300.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.log = logger
        self.subject = subject
        self.repeat_every = repeat_every
        self.clock = clock
        self._fault: _Fault | None = None

    @property
    def failing(self) -> bool:
        return self._fault is not None

    @property
    def failures(self) -> int:
        return 0 if self._fault is None else self._fault.count

    def failed(self, kind: str, message: str, *, next_try: float | None = None,
               exc: BaseException | None = None, level: int = logging.WARNING) -> None:
        """One failure of `kind` ("timeout", "store", ...): logged when it is new or changed
        kind, and again only every `repeat_every` seconds while it lasts."""
        now = self.clock()
        fault = self._fault
        when = "" if next_try is None else f"; next try in {next_try:.1f} s"
        if fault is None or fault.kind != kind:
            self._fault = _Fault(kind, now, now)
            self.log.log(level, "%s: %s%s", self.subject, message, when)
        else:
            fault.count += 1
            if now - fault.said_at >= self.repeat_every:
                fault.said_at = now
                self.log.log(level, "%s: still failing (%d times in %.0f s): %s%s", self.subject,
                             fault.count, now - fault.first_at, message, when)
        if exc is not None:
            self.log.debug("%s: %s", self.subject, kind, exc_info=exc)

    def recovered(self, message: str = "working again") -> None:
        fault = self._fault
        if fault is None:
            return
        self._fault = None
        self.log.info("%s: %s after %d failure(s) in %.0f s", self.subject, message, fault.count,
                      self.clock() - fault.first_at)


def fault_kind(exc: BaseException) -> str:
    """A failure's kind for FaultLog: its class and the first line of its message (a missing
    table and a corrupt one are two kinds; the same one again is the same kind)."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:120]}" if text else type(exc).__name__
