"""uvicorn as a task in the running event loop, without signal handlers of its own.

The socket is bound here, before uvicorn starts, so a taken port is a clear
error at start (uvicorn itself would call sys.exit), and port 0 gets a free
port whose number is then known (tests, the bench).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator
from typing import Any

import uvicorn

from bot.web.errors import WebError
from bot.web.guard import WebLimits, guarded_protocol

log = logging.getLogger(__name__)


class _InLoopServer(uvicorn.Server):
    """uvicorn that leaves SIGINT/SIGTERM to python-telegram-bot's run_polling."""

    def install_signal_handlers(self) -> None:  # uvicorn < 0.29
        return

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:  # uvicorn >= 0.29
        yield


class WebServer:
    """`limits` bound what clients may hold (bot.web.guard); the app's body deadline is the
    route's own (build_web_app(body_timeout=...))."""

    def __init__(self, app: Any, host: str, port: int, *, limits: WebLimits | None = None) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.limits = limits or WebLimits()
        self._server: _InLoopServer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say they are TCP; with
        # proto 0, every answer would wait ~40 ms for the client's delayed ACK (Nagle).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            raise WebError(f"cannot listen on {self.host}:{self.port} (SMSBOT_HTTP_LISTEN): "
                           f"{exc.strerror or exc}; choose another address or stop what uses it") from None
        sock.setblocking(False)
        return sock

    async def start(self, wait: float = 10.0) -> None:
        sock = self._bind()
        self.port = sock.getsockname()[1]
        limits = self.limits
        config = uvicorn.Config(
            self.app, log_config=None, log_level="warning", access_log=False, lifespan="off",
            http=guarded_protocol(limits), server_header=False, timeout_graceful_shutdown=3,
            timeout_keep_alive=limits.keep_alive, h11_max_incomplete_event_size=limits.max_head_size,
            # uvicorn answers 503 once open connections reach its limit, counting the asking
            # one: +1 lets each of the max_connections the guard keeps be served
            limit_concurrency=limits.max_connections + 1,
        )
        server = self._server = _InLoopServer(config)
        self._task = asyncio.create_task(server.serve(sockets=[sock]), name="web-server")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while not server.started:
            if self._task.done() or loop.time() > deadline:
                with contextlib.suppress(BaseException):
                    sock.close()
                raise WebError(f"the HTTP server did not start on {self.url}")
            await asyncio.sleep(0.01)
        log.info("HTTP on %s: /healthz, /metrics%s", self.url,
                 "" if getattr(self.app.state, "alerts_on", False) else "; alerts are off (no SMSBOT_WEBHOOK_TOKEN)")

    async def stop(self, wait: float = 10.0) -> None:
        server, task = self._server, self._task
        self._task = None
        if server is None or task is None:
            return
        server.should_exit = True
        try:
            await asyncio.wait_for(task, wait)
        except (TimeoutError, asyncio.CancelledError):
            server.force_exit = True
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        except Exception:
            log.exception("the HTTP server stopped with an error")
