"""How often a row that anyone can cause is written to the audit log: once per source per
minute, with a count of the others.

Two layers use it: the webhook, for refusals before the token is checked (a 401, or a 404
while alerts are off; the source is the client's address), and the access guard, for
updates from strangers (the source is the user and the chat). Neither the web layer nor
the handlers own it: both import it from here.

Why: every audit row is a commit on the store's single thread, the same thread that
commits alerts and inbound SMS. Anyone who can reach the port, or add the bot to a group,
can cause rows without limit, so a flood of them must not queue up commits in front of
real work. The answers themselves are not throttled (every request still gets its 401),
and the webhook's metric counts every one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

WINDOW = 60.0
"""Seconds after a recorded row in which others from the same source are only counted."""
MAX_SOURCES = 1024
"""Sources remembered at once; past that, new sources share one entry (memory stays bounded)."""
OTHERS = "other sources"
"""The source of the shared entry, when MAX_SOURCES are remembered."""


@dataclass(slots=True)
class _Window:
    started: float
    unrecorded: int = 0


@dataclass(frozen=True, slots=True)
class Unrecorded:
    """Events from `source` that were counted and not recorded, in the window after the last row."""

    source: Hashable
    count: int


class AuditThrottle:
    def __init__(self, window: float = WINDOW, *, max_sources: int = MAX_SOURCES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self.max_sources = max_sources
        self.clock = clock
        self._windows: dict[Hashable, _Window] = {}
        self._swept_at: float | None = None

    def admit(self, source: Hashable) -> Unrecorded | None:
        """None: count this event, do not record it. Otherwise record it, with the returned
        count (possibly 0) of events from that source counted since the last row."""
        now = self.clock()
        if source not in self._windows and len(self._windows) >= self.max_sources:
            self._forget_quiet(now)
            if len(self._windows) >= self.max_sources:
                source = OTHERS
        window = self._windows.get(source)
        if window is not None and now - window.started < self.window:
            window.unrecorded += 1
            return None
        self._windows[source] = _Window(now)
        return Unrecorded(source, window.unrecorded if window is not None else 0)

    def overdue(self) -> list[Unrecorded]:
        """Counts of windows that ended with no later event to carry them, at most once per
        window: the caller records them, so a flood that stopped is still on the record."""
        now = self.clock()
        if self._swept_at is None or now - self._swept_at < self.window:
            self._swept_at = now if self._swept_at is None else self._swept_at
            return []
        self._swept_at = now
        out = [Unrecorded(source, w.unrecorded) for source, w in self._windows.items()
               if now - w.started >= self.window and w.unrecorded]
        for entry in out:
            del self._windows[entry.source]
        return out

    def _forget_quiet(self, now: float) -> None:
        """Drop windows that ended with nothing left to tell."""
        for source in [s for s, w in self._windows.items() if now - w.started >= self.window and not w.unrecorded]:
            del self._windows[source]
