"""The log of every call the bot made and how it was answered: what tests assert on."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

__all__ = ["MAX_CALLS_KEPT", "Call", "CallLog"]

_LOG = logging.getLogger(__name__)
MAX_CALLS_KEPT = 100_000


@dataclass(frozen=True)
class Call:
    """One request the bot made and how it was answered: what tests assert on."""

    method: str
    params: dict[str, Any]
    status: int
    at: float
    description: str | None = None
    result: Any = None

    @property
    def ok(self) -> bool:
        """True when the call was answered 200."""
        return self.status == HTTPStatus.OK


class CallLog:
    """Answered calls (the newest ``MAX_CALLS_KEPT``), the 429 count, and subscribers."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._subscribers: list[Callable[[Call], None]] = []
        self.clear()

    def clear(self) -> None:
        """Forget calls and the 429 count (subscribers stay)."""
        with self._lock:
            self._calls: list[Call] = []
            self._count_429 = 0

    def append(self, call: Call) -> list[Callable[[Call], None]]:
        """Log a call; returns the subscribers to tell, outside the lock (see ``notify``)."""
        with self._lock:
            self._calls.append(call)
            if len(self._calls) > MAX_CALLS_KEPT:
                del self._calls[: len(self._calls) - MAX_CALLS_KEPT]
            if call.status == 429:
                self._count_429 += 1
            return list(self._subscribers)

    @staticmethod
    def notify(subscribers: list[Callable[[Call], None]], call: Call) -> None:
        """Tell each subscriber; one that fails is logged and the others still run."""
        for callback in subscribers:
            try:
                callback(call)
            except Exception:
                _LOG.exception("devserver subscriber failed")

    def subscribe(self, callback: Callable[[Call], None]) -> Callable[[], None]:
        """Add a subscriber; returns the function that removes it."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def calls(self, method: str | None = None) -> list[Call]:
        """Every call so far (or those of one canonical method name), oldest first."""
        with self._lock:
            if method is None:
                return list(self._calls)
            return [c for c in self._calls if c.method == method]

    def count_429(self) -> int:
        """How many calls were answered 429."""
        with self._lock:
            return self._count_429

    def describe(self, last: int = 15) -> str:
        """The last calls, one a line, for failure messages."""
        with self._lock:
            calls = self._calls[-last:]
        lines = []
        for c in calls:
            params = {k: v for k, v in c.params.items() if k != "reply_markup"}
            line = f"  {c.method} -> {c.status}"
            if c.description:
                line += f" {c.description}"
            lines.append(f"{line} {json.dumps(params, ensure_ascii=False, default=str)[:200]}")
        return "\n".join(lines) or "  (no calls)"
