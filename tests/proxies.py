"""Two real proxies on 127.0.0.1 for the tests of SMSBOT_TELEGRAM_PROXY, each with a user name
and password, each counting what it relayed.

- `ForwardingHttpProxy`: an HTTP proxy for plain-http targets. For an `http://` Bot API URL
  through an `http://` proxy, httpx sends absolute-form requests (`POST http://host:port/bot...
  HTTP/1.1`), not CONNECT; this proxy checks Proxy-Authorization (Basic), forwards each request
  to its target without the proxy's headers, and relays the answer (one request a connection:
  it answers `Connection: close`). Wrong or missing credentials: 407.
- `Socks5Proxy`: SOCKS5 (RFC 1928), username/password authentication only (RFC 1929), CONNECT
  only; it relays bytes both ways and reads the HTTP request lines going through, so a test
  can see which Bot API methods passed. Wrong credentials: status 1, then the connection ends.

Each serves in a thread of its own with its own event loop (like bot.devserver's BotApiServer),
so sync tests, async tests and a bot in a subprocess can all use it. What they record holds no
token: a Bot API path is kept as its method name (`getUpdates`) only.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import re
import struct
import threading
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import quote

_REQUEST_LINE = re.compile(rb"(GET|POST|PUT|DELETE|HEAD|OPTIONS|PATCH) (\S+) HTTP/1\.[01]\r\n")
_HOP_BY_HOP = {b"proxy-authorization", b"proxy-connection", b"connection", b"keep-alive"}
_HEAD_LIMIT = 1 << 16


@dataclass(frozen=True, slots=True)
class Relayed:
    """One HTTP request the proxy passed on: where to, and the Bot API method (the path's last part)."""

    host: str
    port: int
    http_method: str
    api_method: str


def _api_method(path: str) -> str:
    return path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


class _Proxy:
    scheme = ""

    def __init__(self, username: str, password: str) -> None:
        self.username = username
        self.password = password
        self.port = 0
        self._lock = threading.Lock()
        self._relayed: list[Relayed] = []
        self._connections: list[tuple[str, int]] = []
        self._refused = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- what it saw -----------------------------------------------------------------------
    @property
    def relayed(self) -> list[Relayed]:
        with self._lock:
            return list(self._relayed)

    def api_methods(self) -> list[str]:
        return [r.api_method for r in self.relayed]

    def targets(self) -> set[tuple[str, int]]:
        """Every host:port it connected to on a client's behalf."""
        with self._lock:
            return set(self._connections)

    @property
    def refused(self) -> int:
        """Clients turned away for wrong or missing credentials."""
        with self._lock:
            return self._refused

    def _note(self, *, relayed: Relayed | None = None, connection: tuple[str, int] | None = None,
              refused: bool = False) -> None:
        with self._lock:
            if relayed is not None:
                self._relayed.append(relayed)
            if connection is not None:
                self._connections.append(connection)
            self._refused += refused

    # -- lifecycle -------------------------------------------------------------------------
    def url(self, username: str | None = None, password: str | None = None) -> str:
        """The proxy's URL for SMSBOT_TELEGRAM_PROXY, with these credentials (default: the right
        ones; both empty: none)."""
        user = quote(self.username if username is None else username, safe="")
        secret = quote(self.password if password is None else password, safe="")
        credentials = f"{user}:{secret}@" if user or secret else ""
        return f"{self.scheme}://{credentials}127.0.0.1:{self.port}"

    def start(self) -> Self:
        loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=loop.run_forever, name=f"{self.scheme}-proxy", daemon=True)
        self._thread.start()
        self._loop = loop
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", 0), loop).result(10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        loop, server, thread = self._loop, self._server, self._thread
        if loop is None or server is None or thread is None:
            return

        async def shut() -> None:
            server.close()
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shut(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
        self._loop = self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self.handle(reader, writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass  # the client went away or spoke nonsense: end its connection
        finally:
            self._tasks.discard(task)
            writer.close()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError


class ForwardingHttpProxy(_Proxy):
    """An HTTP proxy for http:// targets (absolute-form requests), with Basic credentials."""

    scheme = "http"

    def _authorized(self, headers: list[tuple[bytes, bytes]]) -> bool:
        expected = b"Basic " + base64.b64encode(f"{self.username}:{self.password}".encode())
        return any(k.lower() == b"proxy-authorization" and v.strip() == expected for k, v in headers)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        request_line, *lines = head[:-4].split(b"\r\n")
        method, target, _version = request_line.split(b" ", 2)
        headers = [(k.strip(), v.strip()) for k, _, v in (line.partition(b":") for line in lines)]
        if not self._authorized(headers):
            self._note(refused=True)
            writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                         b'Proxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n'
                         b"Connection: close\r\n\r\n")
            await writer.drain()
            return
        match = re.fullmatch(rb"http://([^/:]+):(\d+)(/.*)", target)
        if method == b"CONNECT" or match is None:
            writer.write(b"HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            await writer.drain()
            return
        host, port, path = match[1].decode(), int(match[2]), match[3]
        length = next((int(v) for k, v in headers if k.lower() == b"content-length"), 0)
        body = await reader.readexactly(length)
        self._note(relayed=Relayed(host, port, method.decode(), _api_method(path.decode())),
                   connection=(host, port))
        up_reader, up_writer = await asyncio.open_connection(host, port)
        try:
            kept = b"".join(k + b": " + v + b"\r\n" for k, v in headers if k.lower() not in _HOP_BY_HOP)
            up_writer.write(method + b" " + path + b" HTTP/1.1\r\n" + kept + b"Connection: close\r\n\r\n" + body)
            await up_writer.drain()
            answer = await up_reader.readuntil(b"\r\n\r\n")
            status, *answer_lines = answer[:-4].split(b"\r\n")
            kept_answer = b"".join(line + b"\r\n" for line in answer_lines
                                   if line.partition(b":")[0].strip().lower() not in _HOP_BY_HOP)
            writer.write(status + b"\r\n" + kept_answer + b"Connection: close\r\n\r\n")
            while chunk := await up_reader.read(_HEAD_LIMIT):
                writer.write(chunk)
                await writer.drain()
        finally:
            up_writer.close()


class Socks5Proxy(_Proxy):
    """SOCKS5 with username/password authentication, CONNECT only."""

    scheme = "socks5"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        version, count = await reader.readexactly(2)
        methods = await reader.readexactly(count)
        if version != 5 or 2 not in methods:  # 2: username/password (RFC 1929)
            self._note(refused=True)
            writer.write(b"\x05\xff")  # no acceptable method
            await writer.drain()
            return
        writer.write(b"\x05\x02")
        _, user_length = await reader.readexactly(2)
        user = await reader.readexactly(user_length)
        (password_length,) = await reader.readexactly(1)
        password = await reader.readexactly(password_length)
        if (user, password) != (self.username.encode(), self.password.encode()):
            self._note(refused=True)
            writer.write(b"\x01\x01")
            await writer.drain()
            return
        writer.write(b"\x01\x00")
        version, command, _, address_type = await reader.readexactly(4)
        if address_type == 1:
            host = str(ipaddress.IPv4Address(await reader.readexactly(4)))
        elif address_type == 4:
            host = str(ipaddress.IPv6Address(await reader.readexactly(16)))
        else:
            (name_length,) = await reader.readexactly(1)
            host = (await reader.readexactly(name_length)).decode()
        (port,) = struct.unpack("!H", await reader.readexactly(2))
        if command != 1:  # CONNECT only
            writer.write(b"\x05\x07\x00\x01" + bytes(6))
            await writer.drain()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(host, port)
        except OSError:
            writer.write(b"\x05\x05\x00\x01" + bytes(6))  # connection refused
            await writer.drain()
            return
        self._note(connection=(host, port))
        writer.write(b"\x05\x00\x00\x01" + bytes(4) + struct.pack("!H", port))
        await writer.drain()
        try:
            await asyncio.gather(self._requests_to(reader, up_writer, host, port), self._pipe(up_reader, writer))
        finally:
            up_writer.close()

    async def _requests_to(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                           host: str, port: int) -> None:
        """Client to target, noting each HTTP request line that passes."""
        seen = b""
        while chunk := await reader.read(_HEAD_LIMIT):
            seen += chunk
            end = 0
            for match in _REQUEST_LINE.finditer(seen):
                self._note(relayed=Relayed(host, port, match[1].decode(), _api_method(match[2].decode())))
                end = match.end()
            seen = seen[end:][-_HEAD_LIMIT:]
            writer.write(chunk)
            await writer.drain()
        writer.write_eof()

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while chunk := await reader.read(_HEAD_LIMIT):
            writer.write(chunk)
            await writer.drain()
        writer.close()
