"""The Bot API stand-in behind real HTTP on loopback (starlette, served by sms_core.httpserver in a thread).

Real HTTP rather than a patched client, so python-telegram-bot's own request
encoding, status-code mapping and timeouts are what the tests exercise.  The
server runs in a background thread with its own event loop: it serves sync
tests, async tests on another loop, and a bot running as a subprocess alike.
"""

from __future__ import annotations

import asyncio
import json
import re
from types import TracebackType
from typing import Any, Self

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sms_core.httpserver import HttpServer

from .api import DEFAULT_TOKEN
from .control import FakeTelegram
from .errors import CONFLICT_POLL, ApiError
from .files import find_by_path
from .params import read_params

__all__ = ["BotApiServer"]

_PATH_RE = re.compile(r"/bot([^/]+)/([^/]+)/?")
_POLL_SLICE = 0.25  # seconds between checks that a long-polling client is still there


def _json_response(body: dict[str, Any], status: int) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False), status_code=status, media_type="application/json"
    )


class BotApiServer(FakeTelegram):
    """A local Telegram for one bot token: ``base_url`` goes into SMSBOT_TELEGRAM_API_URL.

    Use as ``with BotApiServer() as tg:`` or ``async with BotApiServer() as tg:``;
    everything else (chats, pushes, queries, faults) comes from FakeTelegram.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        host: str = "127.0.0.1",
        port: int = 0,
        **options: Any,
    ) -> None:
        super().__init__(token, **options)
        self._app = Starlette(
            routes=[
                Route("/file/bot{token}/{path:path}", self._download, methods=["GET"]),
                Route("/{path:path}", self._endpoint, methods=["GET", "POST"]),
            ]
        )
        self._http = HttpServer(
            self._app, host, port, name="Bot API stand-in",
            timeout_graceful_shutdown=2, timeout_keep_alive=30,
        )

    # ------------------------------------------------------------------ lifecycle

    @property
    def host(self) -> str:
        return self._http.host

    @property
    def port(self) -> int:
        """The TCP port (chosen by the OS when 0 was asked, known once started)."""
        if not self._http.port:
            raise RuntimeError("the server has not been started")
        return self._http.port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What python-telegram-bot's ``base_url`` wants: the URL up to the token."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """What python-telegram-bot's ``base_file_url`` wants: where getFile's files download."""
        return f"{self.url}/file/bot"

    @property
    def running(self) -> bool:
        """True between start() and stop()."""
        return self._http.running

    def start(self) -> Self:
        """Bind and serve in a background thread; returns once connections are accepted.

        May be called again after stop() (same port): that is how a test simulates
        Telegram going away and coming back.
        """
        if self.running:
            return self
        self._state.updates.closing = False
        self._http.start()
        return self

    def stop(self) -> None:
        """Answer waiting long polls, close connections and join the thread."""
        if self.running:
            self._state.updates.closing = True
            self._state.updates.wake_all()
        self._http.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)

    # ------------------------------------------------------------------ HTTP

    async def _endpoint(self, request: Request) -> Response:
        match = _PATH_RE.fullmatch(request.url.path)
        if match is None:
            return _json_response({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
        token, method = match.groups()
        try:
            params = await read_params(request)
        except ApiError as exc:
            params, early = {}, exc
        else:
            early = None
        if token != self.token:
            early = ApiError(401, "Unauthorized")
        if early is None:
            delay = self.take_delay(method)
            if delay > 0:
                await asyncio.sleep(delay)
            early = self.take_fault(method)
        if early is not None:
            self.record(method, params, early.status, early.description)
            return _json_response(early.payload(), early.status)
        try:
            if method.lower() == "getupdates":
                result = await self._long_poll(request, params)
                if result is None:  # the client went away: nobody to answer
                    return Response(status_code=499)
            else:
                result = self.dispatch(method, params)
        except ApiError as exc:
            self.record(method, params, exc.status, exc.description)
            return _json_response(exc.payload(), exc.status)
        self.record(method, params, 200, result=result)
        return _json_response({"ok": True, "result": result}, 200)

    async def _download(self, request: Request) -> Response:
        """A file by the file_path getFile gave, as Telegram serves it (files.py)."""
        if request.path_params["token"] != self.token:
            return _json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
        stored = find_by_path(self._state, request.path_params["path"])
        if stored is None:
            return _json_response({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
        return Response(stored.content, media_type="application/octet-stream")

    async def _long_poll(self, request: Request, params: dict[str, Any]) -> Any:
        """getUpdates: answer as soon as updates exist, else after ``timeout`` seconds.

        A newer getUpdates makes this one answer 409 Conflict, as Telegram does when
        two bot instances poll one token.
        """
        loop = asyncio.get_running_loop()
        event = asyncio.Event()

        def wake() -> None:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # loop already closed during shutdown
                pass

        timeout = params.get("timeout")
        timeout = max(0.0, min(float(timeout), 60.0)) if isinstance(timeout, int | float) else 0.0
        deadline = loop.time() + timeout
        seq = self.begin_poll(wake)
        try:
            while True:
                event.clear()
                if self.poll_superseded(seq):
                    if await request.is_disconnected():
                        return None
                    raise ApiError(409, CONFLICT_POLL)
                updates = self.dispatch("getUpdates", params)
                remaining = deadline - loop.time()
                if updates or self.closing or remaining <= 0:
                    return updates
                try:
                    await asyncio.wait_for(event.wait(), timeout=min(remaining, _POLL_SLICE))
                except TimeoutError:
                    pass
                if await request.is_disconnected():
                    return None
        finally:
            self.end_poll(wake)
