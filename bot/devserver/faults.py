"""Injected failures and delays: the next calls of a method answer 429, 5xx, 409 ... or late.

Method names arrive canonical (``sendMessage``); ``None`` matches any method.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http import HTTPStatus

from .errors import CONFLICT_POLL, ApiError

__all__ = ["FaultPlan", "default_description"]


def default_description(status: int, retry_after: int | None = None) -> str:
    """Telegram's text for an injected failure with no description of its own."""
    if status == 429:
        return f"Too Many Requests: retry after {retry_after or 1}"
    if status == 409:
        return CONFLICT_POLL
    known = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}
    if status in known:
        return known[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"Error {status}"


@dataclass
class _Fault:
    method: str | None
    status: int
    description: str
    retry_after: int | None
    remaining: int


@dataclass
class _Delay:
    method: str | None
    seconds: float
    remaining: int


class FaultPlan:
    """Failures and delays waiting for the calls they apply to, oldest first."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._faults: list[_Fault] = []
        self._delays: list[_Delay] = []

    def fail(
        self,
        method: str | None,
        status: int,
        description: str | None = None,
        retry_after: int | None = None,
        count: int = 1,
    ) -> None:
        """Answer the next ``count`` calls of ``method`` with an error (a 429 with
        ``retry_after``, 1 by default, as Telegram's always carry one)."""
        if status == 429 and retry_after is None:
            retry_after = 1
        text = description or default_description(status, retry_after)
        with self._lock:
            self._faults.append(_Fault(method, status, text, retry_after, count))

    def delay(self, method: str | None, seconds: float, count: int = 1) -> None:
        """Hold the next ``count`` answers to ``method`` for ``seconds``."""
        with self._lock:
            self._delays.append(_Delay(method, seconds, count))

    def clear(self) -> None:
        """Forget pending failures and delays."""
        with self._lock:
            self._faults.clear()
            self._delays.clear()

    def take_fault(self, method: str) -> ApiError | None:
        """The injected failure for this call, if one is pending (and use it up)."""
        with self._lock:
            for fault in self._faults:
                if fault.method in (None, method):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return ApiError(fault.status, fault.description, fault.retry_after)
        return None

    def take_delay(self, method: str) -> float:
        """Seconds to hold this call's answer (0 when none is pending)."""
        with self._lock:
            for delay in self._delays:
                if delay.method in (None, method):
                    delay.remaining -= 1
                    if delay.remaining <= 0:
                        self._delays.remove(delay)
                    return delay.seconds
        return 0.0
