"""Connections that cannot hold the server: a deadline for each request head, and a cap.

uvicorn's h11 protocol arms its keep-alive timeout only after a response: a connection that
sends nothing, or half a request head, or one byte of its next request, stays open for as
long as the client likes, and uvicorn's `limit_concurrency` answers 503 to requests over
the limit but accepts (and keeps) every connection. So anyone who can reach the port could
hold open connections until the process runs out of file descriptors, and with them the
bot's own connections to Telegram, the gateway and the store.

`guarded_protocol(limits)` is uvicorn's H11Protocol (passed to uvicorn as `Config(http=...)`,
its public way to choose the protocol class) with two additions:

- a head deadline: from the moment a connection waits for a request head (it opened, or
  its last response went out), the whole head must arrive within `head_timeout` seconds,
  however slowly it trickles in; otherwise the connection is closed;
- a cap: a connection over `max_connections` gets a 503 and is closed at once, before it
  can send anything, so open connections stay bounded whatever the clients do.

The body has its own deadline in the route that reads it (routes.py, a 408), and the head's
size is bounded by h11 (`max_head_size`, a 400 past it).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

HEAD_TIMEOUT = 10.0
BODY_TIMEOUT = 15.0
KEEP_ALIVE = 5
MAX_CONNECTIONS = 256
MAX_HEAD_SIZE = 16 * 1024

_OVER_CAP_BODY = b'{"error": "too many open connections; try again later"}\n'
_OVER_CAP = (b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
             b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(_OVER_CAP_BODY), _OVER_CAP_BODY))


@dataclass(frozen=True, slots=True)
class WebLimits:
    """What one client may hold of the HTTP server; the defaults are the README's."""

    head_timeout: float = HEAD_TIMEOUT
    """Seconds for a whole request head, from the connection or the last response."""
    body_timeout: float = BODY_TIMEOUT
    """Seconds for a whole request body, once the head is in (the webhook answers 408)."""
    keep_alive: int = KEEP_ALIVE
    """Seconds an idle connection is kept after a response (uvicorn's timeout_keep_alive)."""
    max_connections: int = MAX_CONNECTIONS
    """Open connections at once; one more is answered 503 and closed."""
    max_head_size: int = MAX_HEAD_SIZE
    """Bytes of a request head (h11's max_incomplete_event_size); past it a 400."""

    def __post_init__(self) -> None:
        if self.head_timeout <= 0 or self.body_timeout <= 0 or self.keep_alive < 1:
            raise ValueError("web timeouts must be positive (keep_alive at least 1 s)")
        if self.max_connections < 1 or self.max_head_size < 1024:
            raise ValueError("max_connections must be >= 1 and max_head_size >= 1024")


class _GuardedH11(H11Protocol):
    limits = WebLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.smsbot_head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        if len(self.connections) > self.limits.max_connections:
            log.debug("over %d open connections: answered 503 and closed", self.limits.max_connections)
            transport.write(_OVER_CAP)  # type: ignore[attr-defined]
            transport.close()
            return
        self._smsbot_watch_head()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._smsbot_watch_head()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._smsbot_watch_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._smsbot_stop_watch()
        super().connection_lost(exc)

    def _smsbot_waiting_for_head(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _smsbot_watch_head(self) -> None:
        """Arm the deadline when a head is awaited (once: trickled bytes do not extend it);
        drop it once the head is in."""
        if self.transport.is_closing():
            self._smsbot_stop_watch()
        elif not self._smsbot_waiting_for_head():
            self._smsbot_stop_watch()
        elif self.smsbot_head_deadline is None:
            self.smsbot_head_deadline = self.loop.call_later(self.limits.head_timeout, self._smsbot_head_late)

    def _smsbot_stop_watch(self) -> None:
        if self.smsbot_head_deadline is not None:
            self.smsbot_head_deadline.cancel()
            self.smsbot_head_deadline = None

    def _smsbot_head_late(self) -> None:
        self.smsbot_head_deadline = None
        if self._smsbot_waiting_for_head() and not self.transport.is_closing():
            self.transport.close()


def guarded_protocol(limits: WebLimits) -> type[H11Protocol]:
    """uvicorn's h11 protocol class with `limits`' head deadline and connection cap."""
    return type("GuardedH11Protocol", (_GuardedH11,), {"limits": limits})
