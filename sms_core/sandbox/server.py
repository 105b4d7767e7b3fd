"""The sandbox gateway over real HTTP: an ASGI app, a background-thread server, a CLI runner.

The four gateway endpoints are plain ASGI (not starlette routing): the query
string must be read as raw bytes and decoded as GBK, and the faults need the
connection itself (to drop it, or to hold it without answering). The control
surface under /_sandbox/ -- a prefix the real gateway does not have -- is a
small starlette app speaking UTF-8 JSON.

Nothing here logs a query string (it holds the password): the servers are
sms_core.httpserver's, with uvicorn's access log off and logging left alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sms_core.httpserver import HttpServer, connection_transport
from sms_core.sandbox.faults import HTTP500_PAGE, FaultMode, busy_answer, garbage_answer
from sms_core.sandbox.state import SandboxGateway
from sms_core.sandbox.wire import ENDPOINTS

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_TICK = 0.05  # how often a stalled or slow request checks for server shutdown


class SandboxApp:
    """ASGI app: the gateway's four endpoints plus the /_sandbox/ control surface."""

    def __init__(self, gateway: SandboxGateway,
                 should_stop: Callable[[], bool] = lambda: False) -> None:
        self.gateway = gateway
        self.should_stop = should_stop
        self.control = build_control_app(gateway)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        if path in ENDPOINTS:
            await self._gateway_call(scope, receive, send, path)
        elif path.startswith("/_sandbox/"):
            await self.control(scope, receive, send)
        else:
            await _respond(send, 404, b"404 - File or directory not found.", "text/plain")

    async def _gateway_call(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        started = time.perf_counter()
        if scope["method"] != "GET":
            await _respond(send, 405, b"405 - Method not allowed", "text/plain")
            return
        await receive()  # the (empty) request body: the request has fully arrived
        gw = self.gateway
        record, fault, params = gw.begin(path, scope.get("query_string", b""))
        mode = fault.mode if fault is not None else None
        status = 200
        ctype = "text/plain; charset=gbk"
        if mode is None or mode is FaultMode.SLOW:
            answer = gw.process(record, params)
        elif mode is FaultMode.BUSY:
            answer = busy_answer(record.endpoint)
        else:
            assert fault is not None
            if fault.process:
                gw.process(record, params)
            if mode in (FaultMode.DROP, FaultMode.STALL):
                gw.finish(record, None, None, time.perf_counter() - started)
                if mode is FaultMode.DROP:
                    await self._drop(send, receive)
                else:
                    await self._stall(send, receive)
                return
            if mode is FaultMode.HTTP500:
                status, answer, ctype = 500, HTTP500_PAGE, "text/html"
            else:
                answer = garbage_answer(record.endpoint, fault.variant)
                if answer.startswith("<"):
                    ctype = "text/html"
        del params
        gw.finish(record, answer, status, time.perf_counter() - started)
        if mode is FaultMode.SLOW:
            assert fault is not None
            await self._sleep(fault.delay)
        await _respond(send, status, answer.encode(gw.encoding, errors="replace"), ctype)

    async def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.should_stop():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            await asyncio.sleep(min(left, _TICK))

    async def _drop(self, send: Send, receive: Receive) -> None:
        # ASGI cannot close a connection unanswered: the one reach-in into uvicorn
        connection_transport(send).abort()
        # Wait for the server to notice the lost connection, so that it does not
        # try to answer 500 on our behalf.
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(receive(), 1.0)

    async def _stall(self, send: Send, receive: Receive) -> None:
        """Hold the request unanswered until the client gives up or the server stops."""
        waiting = asyncio.ensure_future(receive())  # returns http.disconnect when the client leaves
        try:
            while not waiting.done() and not self.should_stop():
                await asyncio.wait({waiting}, timeout=_TICK)
        finally:
            if not waiting.done():
                waiting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await waiting
                await self._drop(send, receive)


async def _respond(send: Send, status: int, body: bytes, content_type: str) -> None:
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", content_type.encode("latin-1")),
                    (b"content-length", str(len(body)).encode("ascii"))],
    })
    await send({"type": "http.response.body", "body": body})


# --- control surface -----------------------------------------------------------


def build_control_app(gateway: SandboxGateway) -> Starlette:
    """The /_sandbox/ JSON API: feed inbound SMS and reports, schedule faults, inspect."""

    async def body(request: Request) -> dict[str, Any]:
        raw = await request.body()
        if not raw:
            return {}
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        return data

    def guarded(handler: Callable[[Request], Awaitable[Any]]) -> Callable[[Request], Awaitable[JSONResponse]]:
        async def endpoint(request: Request) -> JSONResponse:
            try:
                result = await handler(request)
            except (ValueError, KeyError, TypeError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            return JSONResponse(result)
        return endpoint

    async def inbound(request: Request) -> dict[str, Any]:
        data = await body(request)
        messages = data["messages"] if "messages" in data else [data]
        ids = [gateway.add_inbound(str(m["phone"]), str(m["text"]),
                                   msg_id=None if m.get("msg_id") is None else str(m["msg_id"]))
               for m in messages]
        return {"msg_ids": ids}

    async def reports(request: Request) -> dict[str, Any]:
        data = await body(request)
        items = data.get("reports", [])
        for r in items:
            gateway.add_report(str(r["sms_id"]), str(r["phone"]), int(r.get("status", 10)),
                               delay=float(r.get("delay", 0.0)))
        if data.get("flush"):
            gateway.flush_reports()
        return {"queued": len(items)}

    async def faults(request: Request) -> dict[str, Any]:
        if request.method == "DELETE":
            gateway.clear_faults()
            return {"faults": []}
        if request.method == "GET":
            return {"faults": [f.to_json() for f in gateway.faults]}
        data = await body(request)
        fault = gateway.add_fault(
            str(data["mode"]), int(data.get("count", 1)), data.get("endpoint"),
            delay=None if data.get("delay") is None else float(data["delay"]),
            variant=data.get("variant"), process=bool(data.get("process", False)),
        )
        return fault.to_json()

    async def sent(request: Request) -> dict[str, Any]:
        return {"sent": [s.to_json() for s in gateway.sent]}

    async def requests(request: Request) -> dict[str, Any]:
        return {"requests": [r.to_json() for r in gateway.requests]}

    async def state(request: Request) -> dict[str, Any]:
        return gateway.state()

    async def reset(request: Request) -> dict[str, Any]:
        gateway.reset()
        return gateway.state()

    async def balance(request: Request) -> dict[str, Any]:
        data = await body(request)
        gateway.set_balance(int(data["balance"]))
        return {"balance": gateway.balance}

    async def config(request: Request) -> dict[str, Any]:
        gateway.configure(**await body(request))
        return gateway.state()

    return Starlette(routes=[
        Route("/_sandbox/inbound", guarded(inbound), methods=["POST"]),
        Route("/_sandbox/reports", guarded(reports), methods=["POST"]),
        Route("/_sandbox/faults", guarded(faults), methods=["GET", "POST", "DELETE"]),
        Route("/_sandbox/sent", guarded(sent), methods=["GET"]),
        Route("/_sandbox/requests", guarded(requests), methods=["GET"]),
        Route("/_sandbox/state", guarded(state), methods=["GET"]),
        Route("/_sandbox/reset", guarded(reset), methods=["POST"]),
        Route("/_sandbox/balance", guarded(balance), methods=["POST"]),
        Route("/_sandbox/config", guarded(config), methods=["POST"]),
    ])


CONTROL_HELP = """\
control (JSON, under /_sandbox/):
  POST /_sandbox/inbound   {"phone": "13800138000", "text": "..."} or {"messages": [...]}
  POST /_sandbox/reports   {"reports": [{"sms_id": "...", "phone": "...", "status": 10}]}
  POST /_sandbox/faults    {"mode": "busy|slow|garbage|stall|drop|http500", "count": 1,
                            "endpoint": "send|reports|inbound|balance", "delay": 1.0,
                            "variant": "html|empty|truncated", "process": false}
  POST /_sandbox/balance   {"balance": 10000}
  POST /_sandbox/config    {"id_style": "batch", "report_delay": 5, "locked": false, ...}
  POST /_sandbox/reset
  GET  /_sandbox/state | /_sandbox/sent | /_sandbox/requests | /_sandbox/faults"""


# --- servers -------------------------------------------------------------------


def _http_server(app: SandboxApp, host: str, port: int) -> HttpServer:
    return HttpServer(app, host, port, name="sandbox gateway", timeout_graceful_shutdown=2)


class SandboxServer:
    """The sandbox gateway on 127.0.0.1, served by uvicorn in a background thread.

    Its own thread and event loop let sync tests, async tests (in their own
    loop) and a bot subprocess all talk to it. `port=0` picks a free port;
    `url` is known once `start()` returns.
    """

    def __init__(self, gateway: SandboxGateway | None = None, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.gateway = gateway if gateway is not None else SandboxGateway()
        self._http = _http_server(SandboxApp(self.gateway, should_stop=self._should_stop), host, port)

    @property
    def host(self) -> str:
        return self._http.host

    @property
    def port(self) -> int:
        """The TCP port: the one asked for, or the free one chosen once started."""
        return self._http.port

    @property
    def url(self) -> str:
        return self._http.url

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"SandboxServer({self.url}, {state})"

    @property
    def running(self) -> bool:
        return self._http.running

    def start(self, timeout: float = 10.0) -> SandboxServer:
        """Bind, start serving in a thread, and return once it accepts connections."""
        self._http.start(timeout)
        return self

    def _should_stop(self) -> bool:
        return self._http.stopping

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving; stalled requests are let go, open connections closed."""
        self._http.stop(timeout)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> SandboxServer:
        return await asyncio.to_thread(self.start)

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self.stop)


def run_sandbox(host: str = "127.0.0.1", port: int = 8088,
                gateway: SandboxGateway | None = None, **settings: Any) -> None:
    """Serve the sandbox gateway in the foreground (`smsbot sandbox`) until Ctrl-C / SIGTERM.

    `settings` go to SandboxGateway (e.g. report_delay=5, id_style="batch")
    when no gateway is given. `port=0` picks a free port (the one printed).
    A taken or invalid address raises sms_core.httpserver.ListenError (an OSError).
    """
    gw = gateway if gateway is not None else SandboxGateway(**settings)
    http = _http_server(SandboxApp(gw, should_stop=lambda: http.stopping), host, port)

    def ready() -> None:
        url = http.url
        print(f"sandbox SMS gateway on {url}  (Ctrl-C to stop)")
        print("use it with:")
        print(f"  SMSBOT_GATEWAY_URL={url}")
        print(f"  SMSBOT_GATEWAY_USERNAME={gw.username}")
        print(f"  SMSBOT_GATEWAY_PASSWORD={gw.password}")
        print(f"balance {gw.balance}; forbidden words: {', '.join(gw.forbidden_words) or 'none'}")
        print(CONTROL_HELP, flush=True)

    http.run(ready)
