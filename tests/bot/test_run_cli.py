"""`smsbot run` as a process: it starts, serves, and a second one on the same store refuses."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
from harness import BOT_TOKEN, GATEWAY_PASSWORD, SECRETS

from bot.devserver import BotApiServer
from sms_core.sandbox import SandboxGateway, SandboxServer

TEAM = -100500


@pytest.fixture
def env(tmp_path):
    sandbox = SandboxServer(SandboxGateway(username="team", password=GATEWAY_PASSWORD)).start()
    api = BotApiServer(token=BOT_TOKEN).start()
    api.add_user(7, "Op")
    api.add_chat(TEAM, type="supergroup", title="team")
    values = {k: v for k, v in os.environ.items() if not k.startswith("SMSBOT_")}
    values.update(SMSBOT_TELEGRAM_TOKEN=BOT_TOKEN, SMSBOT_TELEGRAM_API_URL=api.base_url,
                  SMSBOT_GATEWAY_URL=sandbox.url, SMSBOT_GATEWAY_USERNAME="team",
                  SMSBOT_GATEWAY_PASSWORD=GATEWAY_PASSWORD, SMSBOT_ALLOWED_CHAT_IDS=str(TEAM),
                  SMSBOT_DATABASE_PATH=str(tmp_path / "db.sqlite3"), SMSBOT_HTTP_LISTEN="127.0.0.1:0",
                  SMSBOT_POLL_INTERVAL="0.5")
    yield values, api, sandbox
    api.stop()
    sandbox.stop()


def test_run_serves_and_a_second_run_on_the_same_store_refuses(env, tmp_path):
    values, api, sandbox = env
    first = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=values, cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        api.wait_for(api.waiting_polls, timeout=30)
        api.push_message(TEAM, 7, "/sms 13800138000 from a real process")
        api.wait_for(lambda: any("Sent to 1" in m["text"] for m in api.sent_messages(TEAM)), timeout=30)
        assert len(sandbox.gateway.sent) == 1
        second = subprocess.run([sys.executable, "-m", "bot", "run"], env=values, cwd=tmp_path,
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        assert "already running" in second.stderr
        assert first.poll() is None  # the first one is unharmed
        check = subprocess.run([sys.executable, "-m", "bot", "check"], env=values, cwd=tmp_path,
                               capture_output=True, text=True, timeout=60)
        [store] = [line for line in check.stdout.splitlines() if " store: " in line]
        assert store.startswith("ok") and store.endswith(f"in use by a running smsbot (pid {first.pid})")
    finally:
        first.terminate()
        out, _ = first.communicate(timeout=30)
    assert first.returncode == 0, out
    for secret in SECRETS:
        assert secret not in out


def test_run_with_a_token_telegram_refuses_says_so_without_printing_it(env, tmp_path):
    values, _, _ = env
    wrong = "222222:WRONG-SECRET-tok9"
    out = subprocess.run([sys.executable, "-m", "bot", "run"], env={**values, "SMSBOT_TELEGRAM_TOKEN": wrong},
                         cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert "Telegram refused the token" in out.stderr and "SMSBOT_TELEGRAM_TOKEN" in out.stderr
    assert "WRONG-SECRET" not in out.stdout + out.stderr  # python-telegram-bot's own log quotes it
    assert out.stderr.splitlines()[-1].startswith("smsbot: Telegram refused the token")


def test_run_on_a_taken_http_port_says_so(env, tmp_path):
    values, _, _ = env
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = subprocess.run([sys.executable, "-m", "bot", "run"],
                             env={**values, "SMSBOT_HTTP_LISTEN": f"127.0.0.1:{port}"},
                             cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert f"cannot listen on 127.0.0.1:{port} (SMSBOT_HTTP_LISTEN)" in out.stderr


def test_run_without_a_token_says_where_to_put_it_and_how_to_try_without(env, tmp_path):
    values, _, _ = env
    values = {k: v for k, v in values.items() if k != "SMSBOT_TELEGRAM_TOKEN"}
    out = subprocess.run([sys.executable, "-m", "bot", "run"], env=values, cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2  # a setting to fix, as the README says
    assert out.stderr.splitlines() == [
        "smsbot: SMSBOT_TELEGRAM_TOKEN is not set: put the token @BotFather gave you "
        f"(SMSBOT_TELEGRAM_TOKEN=123456789:AAH...) in {tmp_path / '.env'} or in the environment; "
        "to try smsbot without a token, run `smsbot demo`"]
    assert not (tmp_path / "db.sqlite3").exists()


def test_run_with_a_wrong_setting_names_it_and_exits_2(env, tmp_path):
    values, _, _ = env
    out = subprocess.run([sys.executable, "-m", "bot", "run"], env={**values, "SMSBOT_POLL_INTERVAL": "10s"},
                         cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert out.stderr.splitlines() == [
        "smsbot: invalid settings (in .env or the environment):",
        "  SMSBOT_POLL_INTERVAL='10s': expected a number of seconds greater than 0, e.g. 10"]
