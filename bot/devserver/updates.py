"""The update queue behind getUpdates: queued updates, confirmation by offset, and the
long polls waiting for them (a newer poll supersedes an older one, as on Telegram)."""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Callable, Mapping
from typing import Any

from .errors import CONFLICT_WEBHOOK, ApiError

__all__ = ["UpdateQueue"]


def _kind(update: Mapping[str, Any]) -> str:
    return next((k for k in update if k != "update_id"), "")


class UpdateQueue:
    """Updates not yet confirmed, the webhook setting, and wake-ups for waiting polls.

    Shares the lock of the state it belongs to; update ids keep growing across clear().
    """

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._ids = itertools.count(1)
        self._wakers: set[Callable[[], None]] = set()
        self._poll_seq = 0
        #: True while the server shuts down: waiting getUpdates answer at once.
        self.closing = False
        self.clear()

    def clear(self) -> None:
        """Forget queued updates, allowed_updates and the webhook (not the id counter)."""
        with self._lock:
            self._updates: list[dict[str, Any]] = []
            self._allowed: list[str] = []
            self.webhook_url = ""

    def push(self, kind: str, payload: dict[str, Any]) -> int:
        """Queue one update (``{"update_id": ..., kind: payload}``) and wake the pollers."""
        with self._lock:
            update_id = next(self._ids)
            self._updates.append({"update_id": update_id, kind: payload})
            for wake in list(self._wakers):
                wake()
            return update_id

    def drop_pending(self) -> None:
        """Forget every queued update (``drop_pending_updates``)."""
        with self._lock:
            self._updates.clear()

    def pending(self) -> list[dict[str, Any]]:
        """Updates queued and not yet confirmed, as copies."""
        with self._lock:
            return copy.deepcopy(self._updates)

    def pending_count(self) -> int:
        """How many updates wait to be confirmed."""
        with self._lock:
            return len(self._updates)

    def wake_all(self) -> None:
        """Make every waiting getUpdates look again (new state, webhook set, shutdown)."""
        with self._lock:
            wakers = list(self._wakers)
        for wake in wakers:
            wake()

    def begin_poll(self, waker: Callable[[], None]) -> int:
        """Start a getUpdates: supersedes the previous one (which then answers 409)."""
        with self._lock:
            self._poll_seq += 1
            seq = self._poll_seq
            wakers = list(self._wakers)
            self._wakers.add(waker)
        for wake in wakers:
            wake()
        return seq

    def end_poll(self, waker: Callable[[], None]) -> None:
        """Stop waking a finished getUpdates."""
        with self._lock:
            self._wakers.discard(waker)

    def superseded(self, seq: int) -> bool:
        """True when a newer getUpdates started after the one numbered ``seq``."""
        with self._lock:
            return seq != self._poll_seq

    def waiting(self) -> int:
        """How many getUpdates are waiting right now."""
        with self._lock:
            return len(self._wakers)

    def take(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Confirm updates below ``offset`` and return the next ``limit`` ones."""
        with self._lock:
            if self.webhook_url:
                raise ApiError(409, CONFLICT_WEBHOOK)
            offset = params.get("offset")
            if isinstance(offset, int) and offset != 0:
                if offset < 0:
                    del self._updates[: max(0, len(self._updates) + offset)]
                else:
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
            allowed = params.get("allowed_updates")
            if isinstance(allowed, list):
                self._allowed = [str(a) for a in allowed]
            if self._allowed:
                wanted = set(self._allowed)
                self._updates = [u for u in self._updates if _kind(u) in wanted]
            limit = params.get("limit") or 100
            limit = max(1, min(100, int(limit)))
            return copy.deepcopy(self._updates[:limit])
