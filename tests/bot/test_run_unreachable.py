"""`smsbot run` as a process when Telegram cannot be reached at start (blocked, a proxy down):
one line that says so and what to check, short lines for the tries after 1, 2, 4 ... s, no
traceback, and a normal start once Telegram answers; a proxy that refuses its credentials is
a setting to fix (exit code 2), said without them."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from harness import BOT_TOKEN, GATEWAY_PASSWORD, SECRETS
from proxies import Socks5Proxy

from bot.devserver import BotApiServer
from sms_core.sandbox import SandboxGateway, SandboxServer

TEAM = -100500
USER = 7
PROXY_USER = "proxy-USER-k3q"
PROXY_PASSWORD = "proxy-PASS-s3cr3t-9x"
WRONG_PASSWORD = "wrong-PASS-s3cr3t-7y"
CANNOT_REACH = "cannot reach Telegram"
RETRY = "Telegram still unreachable"


def free_port() -> int:
    """A loopback port nothing listens on (the OS just handed it out)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Output:
    """A process's output lines as they come, for tests that wait for a line (never for a time)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, predicate: Callable[[list[str]], Any], timeout: float = 60.0) -> Any:
        with self._changed:
            if not self._changed.wait_for(lambda: predicate(self.lines) or self.proc.poll() is not None, timeout):
                raise TimeoutError(f"no such output after {timeout} s:\n" + "\n".join(self.lines))
            result = predicate(self.lines)
            assert result, "the process ended first:\n" + "\n".join(self.lines)
            return result

    def count(self, text: str) -> int:
        with self._changed:
            return sum(text in line for line in self.lines)

    def finish(self) -> str:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self._thread.join(timeout=30)
        return "\n".join(self.lines)


@pytest.fixture
def env(tmp_path) -> Iterator[dict[str, str]]:
    sandbox = SandboxServer(SandboxGateway(username="team", password=GATEWAY_PASSWORD)).start()
    values = {k: v for k, v in os.environ.items() if not k.startswith("SMSBOT_")}
    values.update(SMSBOT_TELEGRAM_TOKEN=BOT_TOKEN, SMSBOT_GATEWAY_URL=sandbox.url,
                  SMSBOT_GATEWAY_USERNAME="team", SMSBOT_GATEWAY_PASSWORD=GATEWAY_PASSWORD,
                  SMSBOT_ALLOWED_CHAT_IDS=str(TEAM), SMSBOT_DATABASE_PATH=str(tmp_path / "db.sqlite3"),
                  SMSBOT_HTTP_LISTEN="127.0.0.1:0", SMSBOT_POLL_INTERVAL="0.5")
    yield values
    sandbox.stop()


def start_run(values: dict[str, str], cwd) -> Output:
    return Output(subprocess.Popen([sys.executable, "-m", "bot", "run"], env=values, cwd=cwd,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))


def assert_clean(out: str) -> None:
    assert "Traceback" not in out
    for secret in (*SECRETS, PROXY_USER, PROXY_PASSWORD, WRONG_PASSWORD):
        assert secret not in out


def test_run_says_once_that_telegram_is_unreachable_tries_again_and_starts_when_it_answers(env, tmp_path):
    port = free_port()
    run = start_run({**env, "SMSBOT_TELEGRAM_API_URL": f"http://127.0.0.1:{port}/bot"}, tmp_path)
    api = BotApiServer(token=BOT_TOKEN, port=port)
    try:
        run.wait_for(lambda lines: sum(RETRY in line for line in lines) >= 2)
        api.start()  # Telegram comes back on the port the bot keeps trying
        api.add_user(USER, "Op")
        api.add_chat(TEAM, type="supergroup", title="team")
        api.wait_for(api.waiting_polls, timeout=60)
        api.push_message(TEAM, USER, "/id")
        api.wait_for(lambda: any(str(TEAM) in m["text"] for m in api.sent_messages(TEAM)), timeout=30)
    finally:
        out = run.finish()
        api.stop()
    assert run.proc.returncode == 0, out
    assert_clean(out)
    [first] = [line for line in run.lines if CANNOT_REACH in line]
    assert f"at 127.0.0.1:{port} (NetworkError: " in first
    assert "check the network, SMSBOT_TELEGRAM_PROXY" in first and "SMSBOT_TELEGRAM_API_URL" in first
    assert "trying again in 1 s" in first
    retries = [line for line in run.lines if RETRY in line]
    waits = [int(re.search(r"next try in (\d+) s", line)[1]) for line in retries]  # type: ignore[index]
    assert waits[:2] == [2, 4] and waits == sorted(waits)
    [started] = [line for line in run.lines if "Telegram answers" in line]
    assert f"after {len(retries) + 1} failed tries" in started
    assert run.lines.index(started) > run.lines.index(retries[-1])


def test_run_with_the_proxy_down_names_it_masked_and_stops_quietly_on_sigterm(env, tmp_path):
    api = BotApiServer(token=BOT_TOKEN).start()
    proxy_port = free_port()
    proxy = f"socks5://{PROXY_USER}:{PROXY_PASSWORD}@127.0.0.1:{proxy_port}"
    run = start_run({**env, "SMSBOT_TELEGRAM_API_URL": api.base_url, "SMSBOT_TELEGRAM_PROXY": proxy}, tmp_path)
    try:
        run.wait_for(lambda lines: any(RETRY in line for line in lines))
    finally:
        out = run.finish()  # SIGTERM while waiting
        api.stop()
    assert run.proc.returncode == 0, out
    assert_clean(out)
    assert run.count(CANNOT_REACH) == 1
    assert f"through the proxy socks5://<hidden>@127.0.0.1:{proxy_port}" in out
    assert api.calls() == []  # nothing got past the proxy


def test_run_through_a_proxy_that_refuses_the_credentials_exits_2_without_them(env, tmp_path):
    api = BotApiServer(token=BOT_TOKEN).start()
    try:
        with Socks5Proxy(PROXY_USER, PROXY_PASSWORD) as proxy:
            out = subprocess.run([sys.executable, "-m", "bot", "run"],
                                 env={**env, "SMSBOT_TELEGRAM_API_URL": api.base_url,
                                      "SMSBOT_TELEGRAM_PROXY": proxy.url(password=WRONG_PASSWORD)},
                                 cwd=tmp_path, capture_output=True, text=True, timeout=60)
            assert proxy.refused == 1
    finally:
        api.stop()
    assert out.returncode == 2, out.stderr
    assert_clean(out.stdout + out.stderr)
    assert out.stderr.splitlines()[-1] == (
        f"smsbot: the proxy socks5://<hidden>@127.0.0.1:{proxy.port} refused the credentials in "
        "SMSBOT_TELEGRAM_PROXY (Invalid username/password): put the proxy's user name and password in it, "
        "e.g. socks5://USER:PASSWORD@HOST:PORT")
    assert CANNOT_REACH not in out.stderr  # not an outage: nothing to wait for
    assert not (tmp_path / "db.sqlite3").exists()
