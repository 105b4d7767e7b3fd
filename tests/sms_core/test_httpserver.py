"""sms_core.httpserver: the one uvicorn wrapper behind the sandbox, the Bot API stand-in and
the bot's web server, tested over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import errno
import logging
import signal
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sms_core.httpserver import HttpServer, ListenError, StartError, connection_transport

SECRET = "pw-HTTPSERVER-S3CRET-77"


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers `/nodelay` with TCP_NODELAY of its connection, `/drop` by dropping it unanswered,
    anything else with "hello"."""
    if scope["type"] != "http":
        return
    await receive()
    if scope["path"] == "/drop":
        connection_transport(send).abort()
        return
    if scope["path"] == "/nodelay":
        conn = connection_transport(send).get_extra_info("socket")
        body = str(conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)).encode()
    else:
        body = b"hello"
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
def server() -> Iterator[HttpServer]:
    with HttpServer(app, name="test server") as running:
        yield running


def test_port_0_gives_a_free_port_and_a_working_url_in_a_thread(server: HttpServer) -> None:
    assert server.running and server.port != 0 and server.url == f"http://127.0.0.1:{server.port}"
    assert httpx.get(f"{server.url}/", timeout=5).text == "hello"


def test_a_taken_port_is_a_clear_error_naming_the_setting(server: HttpServer) -> None:
    other = HttpServer(app, "127.0.0.1", server.port, setting="SMSBOT_HTTP_LISTEN")
    with pytest.raises(ListenError) as caught:
        other.start()
    message = str(caught.value)
    assert message.startswith(f"cannot listen on 127.0.0.1:{server.port} (SMSBOT_HTTP_LISTEN): ")
    assert "choose another port or stop what uses it" in message
    assert isinstance(caught.value, OSError) and caught.value.errno == errno.EADDRINUSE
    assert not other.running
    assert httpx.get(f"{server.url}/", timeout=5).text == "hello"  # the first one is untouched


@pytest.mark.parametrize(("host", "port"), [("192.0.2.1", 0), ("127.0.0.1", 70000)])
def test_an_address_that_cannot_be_used_says_to_choose_another(host: str, port: int) -> None:
    with pytest.raises(ListenError, match=rf"cannot listen on {host}:{port} \(--port\): .+; choose another address"):
        HttpServer(app, host, port, setting="--port").start()


def test_stop_releases_the_port_and_a_restart_gets_it_again(server: HttpServer) -> None:
    url, port = server.url, server.port
    assert httpx.get(f"{url}/", timeout=5).text == "hello"
    server.stop()
    assert not server.running and server.stopping
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/", timeout=5)
    server.start()  # same object: port 0 asked, the port it got is kept
    assert server.port == port and not server.stopping
    assert httpx.get(f"{url}/", timeout=5).text == "hello"
    server.stop()
    with HttpServer(app, "127.0.0.1", port) as another:
        assert httpx.get(f"{another.url}/", timeout=5).text == "hello"


async def test_in_loop_mode_serves_as_a_task_of_the_running_loop_without_signal_handlers() -> None:
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    server = HttpServer(app, name="loop server")
    await server.start_in_loop()
    try:
        assert f"loop server:{server.port}" in {t.get_name() for t in asyncio.all_tasks()}
        assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
        async with httpx.AsyncClient(timeout=5) as client:
            assert (await client.get(f"{server.url}/")).text == "hello"
    finally:
        await server.stop_in_loop()
    assert not server.running
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient(timeout=5) as client:
            await client.get(f"{server.url}/")


async def test_a_taken_port_in_loop_mode_is_the_same_clear_error(server: HttpServer) -> None:
    with pytest.raises(ListenError, match=f"cannot listen on 127.0.0.1:{server.port}: "):
        await HttpServer(app, "127.0.0.1", server.port).start_in_loop()


def test_accepted_connections_have_tcp_nodelay(server: HttpServer) -> None:
    assert httpx.get(f"{server.url}/nodelay", timeout=5).text != "0"


def test_the_connection_behind_send_can_be_dropped_unanswered(server: HttpServer) -> None:
    """The one reach-in into uvicorn (send.__self__.transport). If this fails, uvicorn changed:
    the sandbox's "drop" and "stall" faults need connection_transport to find another way."""
    with pytest.raises(httpx.RemoteProtocolError):  # no answer at all, not a 500
        httpx.get(f"{server.url}/drop", timeout=5)
    assert httpx.get(f"{server.url}/", timeout=5).text == "hello"


def test_no_access_log_and_no_query_string_in_any_log_line(server: HttpServer,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    root_handlers = list(logging.getLogger().handlers)
    assert httpx.get(f"{server.url}/?us_pwd={SECRET}", timeout=5).text == "hello"
    server.stop()
    assert SECRET not in caplog.text
    assert not [r for r in caplog.records if r.name == "uvicorn.access"]
    assert logging.getLogger().handlers == root_handlers  # logging was left alone


def test_a_server_that_cannot_start_says_so_and_frees_the_port() -> None:
    broken = HttpServer(app, http="no-such-protocol", name="broken server")
    with pytest.raises(StartError, match=r"the broken server did not start on http://127\.0\.0\.1:\d+"):
        broken.start()
    assert not broken.running
    with HttpServer(app, "127.0.0.1", broken.port) as again:
        assert httpx.get(f"{again.url}/", timeout=5).text == "hello"


async def test_a_server_that_cannot_start_in_the_loop_says_so() -> None:
    broken = HttpServer(app, http="no-such-protocol", name="broken server")
    with pytest.raises(StartError, match="the broken server did not start"):
        await broken.start_in_loop()
    assert not broken.running


def test_ipv6_hosts_are_bracketed_in_the_url() -> None:
    assert HttpServer(app, "::1", 8080).url == "http://[::1]:8080"
    assert HttpServer(app, "127.0.0.1", 8080).url == "http://127.0.0.1:8080"


FOREGROUND = textwrap.dedent("""
    import sys
    from sms_core.httpserver import HttpServer

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"hello"})

    server = HttpServer(app)
    try:
        server.run(ready=lambda: print(server.url, flush=True))
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    """)


@pytest.mark.parametrize(("sig", "ending"), [(signal.SIGINT, "interrupted\n"), (signal.SIGTERM, "")])
def test_run_serves_in_the_foreground_until_a_signal(sig: signal.Signals, ending: str) -> None:
    """Ctrl-C stops it and ends in KeyboardInterrupt; SIGTERM stops it and ends the process as
    SIGTERM would."""
    proc = subprocess.Popen([sys.executable, "-c", FOREGROUND], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert httpx.get(url, timeout=5).text == "hello"  # ready() ran once it accepted connections
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert out == ending and "Traceback" not in err
    assert proc.returncode == (0 if sig == signal.SIGINT else -signal.SIGTERM)
