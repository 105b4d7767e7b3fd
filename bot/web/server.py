"""The bot's HTTP server: a task in the bot's event loop, served by sms_core.httpserver.

No signal handlers of its own (SIGINT/SIGTERM belong to python-telegram-bot's run_polling);
the socket is bound before uvicorn starts, so a taken port is a clear error at start naming
SMSBOT_HTTP_LISTEN, and port 0 gets a free port whose number is then known (tests, the bench).
"""

from __future__ import annotations

import logging
from typing import Any

from bot.web.errors import WebError
from bot.web.guard import WebLimits, guarded_protocol
from sms_core.httpserver import HttpServer, ListenError, StartError

log = logging.getLogger(__name__)


class WebServer:
    """`limits` bound what clients may hold (bot.web.guard); the app's body deadline is the
    route's own (build_web_app(body_timeout=...))."""

    def __init__(self, app: Any, host: str, port: int, *, limits: WebLimits | None = None) -> None:
        self.app = app
        self.limits = limits = limits or WebLimits()
        self._http = HttpServer(
            app, host, port, name="HTTP server", setting="SMSBOT_HTTP_LISTEN",
            http=guarded_protocol(limits), server_header=False, timeout_graceful_shutdown=3,
            timeout_keep_alive=limits.keep_alive, h11_max_incomplete_event_size=limits.max_head_size,
            # uvicorn answers 503 once open connections reach its limit, counting the asking
            # one: +1 lets each of the max_connections the guard keeps be served
            limit_concurrency=limits.max_connections + 1,
        )

    @property
    def host(self) -> str:
        return self._http.host

    @property
    def port(self) -> int:
        """The port asked for, or once started the one listened on (a free one for 0)."""
        return self._http.port

    @property
    def url(self) -> str:
        return self._http.url

    async def start(self, wait: float = 10.0) -> None:
        try:
            await self._http.start_in_loop(wait)
        except (ListenError, StartError) as exc:
            raise WebError(str(exc)) from None
        log.info("HTTP on %s: /healthz, /metrics%s", self.url,
                 "" if getattr(self.app.state, "alerts_on", False) else "; alerts are off (no SMSBOT_WEBHOOK_TOKEN)")

    async def stop(self, wait: float = 10.0) -> None:
        await self._http.stop_in_loop(wait)
