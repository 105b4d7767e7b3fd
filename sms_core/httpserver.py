"""One way to serve an ASGI app with uvicorn, for every HTTP server of the project.

The sandbox gateway, the Bot API stand-in and the bot's own web server all need the same
things from uvicorn, and none of its defaults for them:

- the socket is bound here, before uvicorn starts: a taken or invalid address is a clear
  `ListenError` naming what to change (uvicorn itself would log and call sys.exit), and
  port 0 gets a free port whose number is known at once (`port`, `url`);
- TCP_NODELAY on every connection, or each answer (headers, then body) waits ~40 ms for the
  client's delayed ACK (Nagle);
- no signal handlers (the bot's SIGINT/SIGTERM belong to python-telegram-bot, and a server
  in a background thread cannot have any) and no logging set-up (`log_config=None`): the
  process's logging, secret filter included, is left alone;
- no access log: a query string can hold the gateway password.

A server runs either in the running event loop (`await start_in_loop()`, the bot's web
server) or in a background thread with its own loop (`start()`, the stand-ins, which serve
sync tests, async tests on another loop and bot subprocesses alike), or in the foreground
until Ctrl-C (`run()`, `smsbot sandbox`). It is generic infrastructure: `bot` may import it,
and it knows nothing of `bot`.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, Self

import uvicorn

__all__ = ["HttpServer", "ListenError", "StartError", "bind", "connection_transport"]

log = logging.getLogger(__name__)

_POLL = 0.005  # seconds between checks that a starting server accepts connections


class ListenError(OSError):
    """The address cannot be listened on (taken, not local, not resolvable); says what to change.

    An OSError (errno and strerror are the system's), so callers that catch OSError keep working.
    """

    def __init__(self, host: str, port: int, cause: BaseException, setting: str | None = None) -> None:
        code = getattr(cause, "errno", None)
        super().__init__(code if isinstance(code, int) else errno.EINVAL,
                         (getattr(cause, "strerror", None) or str(cause)).rstrip("."))
        self.host = host
        self.port = port
        self.setting = setting

    def __str__(self) -> str:
        where = f" ({self.setting})" if self.setting else ""
        advice = ("choose another port or stop what uses it" if self.errno == errno.EADDRINUSE
                  else "choose another address")
        return f"cannot listen on {_host_port(self.host, self.port)}{where}: {self.strerror}; {advice}"


class StartError(RuntimeError):
    """The socket is bound but the server did not start serving on it."""


def bind(host: str, port: int, *, setting: str | None = None) -> socket.socket:
    """A bound, non-blocking TCP socket on `host:port` (0: a free port), ready for uvicorn.

    proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted connections only when the
    listening socket says it is TCP (a plain socket.socket() says 0); setting it on the listener
    too makes Linux hand it down. `setting` names what the user changes to pick another address.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
    except (OSError, OverflowError) as exc:  # OverflowError: a port outside 0-65535
        sock.close()
        raise ListenError(host, port, exc, setting) from None
    sock.setblocking(False)
    return sock


def connection_transport(send: Callable[..., Any]) -> asyncio.Transport:
    """The connection behind the ASGI `send` of a request served here, to close it unanswered.

    ASGI has no way to drop a connection without an answer (the sandbox's "drop" and "stall"
    faults need one). uvicorn's `send` is a bound method of its request cycle, whose
    `transport` is the connection: not documented, so this function is the only place that
    knows it, and tests/test_httpserver.py fails if uvicorn changes it.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if not isinstance(transport, asyncio.Transport):
        raise RuntimeError("uvicorn's ASGI send no longer leads to its connection "
                           "(send.__self__.transport): sms_core.httpserver.connection_transport "
                           "needs another way to reach it")
    return transport


class _QuietServer(uvicorn.Server):
    """uvicorn without signal handlers: whoever runs the server decides what a signal does."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class HttpServer:
    """An ASGI app served by uvicorn on `host:port`, in the running loop or in its own thread.

    `name` says which server it is in errors; the serving task or thread is named
    "<name>:<port>". `setting` names what the user changes to listen elsewhere (e.g.
    "SMSBOT_HTTP_LISTEN"). `options` go to uvicorn.Config (http defaults to "h11"; `http=`
    also takes a protocol class); logging, access log, lifespan and websockets are fixed
    here. May be started again after a stop: with port 0 it keeps the port it got first.
    """

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0, *, name: str = "HTTP server",
                 setting: str | None = None, **options: Any) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.name = name
        self.setting = setting
        self.options = {"http": "h11", **options}
        self._server: _QuietServer | None = None
        self._thread: threading.Thread | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        """`http://host:port` (IPv6 hosts in brackets); the real port once started."""
        return f"http://{_host_port(self.host, self.port)}"

    @property
    def running(self) -> bool:
        """True from a start until the server has finished stopping."""
        if self._thread is not None and self._thread.is_alive():
            return True
        return self._task is not None and not self._task.done()

    @property
    def stopping(self) -> bool:
        """True once a stop was asked: long-held requests (long polls, stalls) should let go."""
        return self._server is not None and self._server.should_exit

    def __repr__(self) -> str:
        return f"HttpServer({self.name}, {self.url}, {'running' if self.running else 'stopped'})"

    def _prepare(self) -> tuple[_QuietServer, socket.socket]:
        sock = bind(self.host, self.port, setting=self.setting)
        self.port = sock.getsockname()[1]
        try:
            server = _QuietServer(uvicorn.Config(
                self.app,
                log_config=None,  # leave the process's logging (and its secret filter) alone
                log_level="warning",
                access_log=False,  # it would print query strings, passwords included
                lifespan="off",
                ws="none",
                **self.options,
            ))
        except BaseException:
            sock.close()
            raise
        self._server = server
        return server, sock

    @staticmethod
    async def _serve(server: _QuietServer, sock: socket.socket) -> None:
        try:
            await server.serve(sockets=[sock])
        finally:
            sock.close()

    # --- in the running event loop ---------------------------------------------------

    async def start_in_loop(self, wait: float = 10.0) -> None:
        """Serve as a task of the running loop; returns once connections are accepted."""
        if self.running:
            return
        server, sock = self._prepare()
        task = self._task = asyncio.create_task(self._serve(server, sock), name=f"{self.name}:{self.port}")
        if not await _started(server, task, wait):
            if not task.done():
                await self.stop_in_loop(wait)
            self._task = None
            failure = None if task.cancelled() else task.exception()
            raise StartError(f"the {self.name} did not start on {self.url}") from failure

    async def stop_in_loop(self, wait: float = 10.0) -> None:
        """Stop serving: requests in progress get uvicorn's graceful shutdown, then are cut."""
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
            log.exception("the %s stopped with an error", self.name)

    # --- in a background thread with its own event loop ----------------------------------

    def start(self, timeout: float = 10.0) -> Self:
        """Serve in a background thread; returns once connections are accepted."""
        if self.running:
            return self
        server, sock = self._prepare()
        failure: list[BaseException] = []

        def run() -> None:
            try:
                asyncio.run(self._serve(server, sock))
            except BaseException as exc:  # reported by start()
                failure.append(exc)

        thread = self._thread = threading.Thread(target=run, name=f"{self.name}:{self.port}", daemon=True)
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop(timeout)
                raise StartError(f"the {self.name} did not start on {self.url}") from (
                    failure[0] if failure else None)
            time.sleep(_POLL)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the background thread's server and wait for the thread to end."""
        server, thread = self._server, self._thread
        self._thread = None
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive() and server is not None:
                server.force_exit = True

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # --- in the foreground ---------------------------------------------------------------

    def run(self, ready: Callable[[], None] | None = None) -> None:
        """Serve in this thread until SIGINT or SIGTERM; `ready()` runs once connections are accepted.

        Our own handlers, for the main thread only: the first signal stops gracefully (a second
        Ctrl-C at once); then the signal is raised again under the handler from before, so the
        process ends as it otherwise would (KeyboardInterrupt for Ctrl-C).
        """
        server, sock = self._prepare()
        received: list[int] = []

        def on_signal(sig: int, frame: object) -> None:
            received.append(sig)
            if server.should_exit and sig == signal.SIGINT:
                server.force_exit = True
            server.should_exit = True

        async def serve() -> None:
            task = self._task = asyncio.create_task(self._serve(server, sock), name=f"{self.name}:{self.port}")
            if await _started(server, task, wait=float("inf")) and ready is not None:
                ready()
            await task
            if not server.started:
                raise StartError(f"the {self.name} did not start on {self.url}")

        handled = (signal.SIGINT, signal.SIGTERM)
        previous: dict[int, Any] = {}
        if threading.current_thread() is threading.main_thread():
            previous = {sig: signal.signal(sig, on_signal) for sig in handled}
        try:
            asyncio.run(serve())
        finally:
            self._task = None
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        for sig in reversed(received):
            signal.raise_signal(sig)


async def _started(server: uvicorn.Server, task: asyncio.Task[None], wait: float) -> bool:
    """Whether `server` accepts connections before its task ends or `wait` seconds pass."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while not server.started:
        if task.done() or loop.time() > deadline:
            return False
        await asyncio.sleep(_POLL)
    return True


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
