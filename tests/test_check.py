"""`smsbot check` against the sandbox gateway and the Bot API double."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from harness import BOT_TOKEN, GATEWAY_PASSWORD, SECRETS

from bot.checks import check_all, run_checks
from bot.devserver import BotApiServer
from config import Settings
from sms_core.sandbox import SandboxGateway, SandboxServer

TEAM, INBOX = -100111, -100222


@pytest.fixture
def world():
    sandbox = SandboxServer(SandboxGateway(username="team", password=GATEWAY_PASSWORD)).start()
    api = BotApiServer(token=BOT_TOKEN).start()
    api.add_chat(TEAM, type="supergroup", title="Ops")
    api.add_chat(INBOX, type="supergroup", title="Inbox", is_forum=True)
    yield sandbox, api
    api.stop()
    sandbox.stop()


def settings_for(sandbox, api, tmp_path, **over) -> Settings:
    values = dict(telegram_token=BOT_TOKEN, telegram_api_url=api.base_url, gateway_url=sandbox.url,
                  gateway_username="team", gateway_password=GATEWAY_PASSWORD, allowed_chat_ids=[TEAM],
                  inbox_chat_id=INBOX, database_path=tmp_path / "db.sqlite3")
    values.update(over)
    return Settings(_env_file=None, **values)


async def test_everything_ok_passes(world, tmp_path):
    results = await check_all(settings_for(*world, tmp_path))
    assert all(r.ok for r in results), [r.line() for r in results]
    names = [r.name for r in results]
    assert names[:4] == ["settings", "store", "gateway", "telegram token"]
    assert any("balance 10000" in r.detail for r in results)
    assert any("forum" in r.detail for r in results)


def test_each_failure_says_what_to_do_and_exit_code_is_1(world, tmp_path):
    sandbox, api = world
    api.set_forum(INBOX, False)
    sandbox.gateway.configure(password="changed")
    api.add_chat(-100333, type="supergroup", title="Gone", bot_status="left")
    out = io.StringIO()
    code = run_checks(settings_for(sandbox, api, tmp_path, allowed_chat_ids=[TEAM, -100333]), out)
    text = out.getvalue()
    assert code == 1
    assert "FAIL  gateway" in text and "SMSBOT_GATEWAY_PASSWORD" in text
    assert "make it a forum supergroup" in text
    assert "add it to the chat" in text or "add the bot" in text
    for secret in SECRETS:
        assert secret not in text


def test_no_topic_rights_is_reported(world, tmp_path):
    sandbox, api = world
    api.set_bot_rights(INBOX, "administrator", can_manage_topics=False)
    out = io.StringIO()
    assert run_checks(settings_for(sandbox, api, tmp_path), out) == 1
    assert "manage topics" in out.getvalue()


def test_wrong_token_is_reported(world, tmp_path):
    sandbox, api = world
    out = io.StringIO()
    code = run_checks(settings_for(sandbox, api, tmp_path, telegram_token="111:wrong-token"), out)
    assert code == 1 and "refused the token" in out.getvalue()


def test_cli_check_runs_from_the_environment(world, tmp_path):
    sandbox, api = world
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSBOT_")}
    env.update(SMSBOT_TELEGRAM_TOKEN=BOT_TOKEN, SMSBOT_TELEGRAM_API_URL=api.base_url,
               SMSBOT_GATEWAY_URL=sandbox.url, SMSBOT_GATEWAY_USERNAME="team",
               SMSBOT_GATEWAY_PASSWORD=GATEWAY_PASSWORD, SMSBOT_ALLOWED_CHAT_IDS=str(TEAM),
               SMSBOT_INBOX_CHAT_ID=str(INBOX), SMSBOT_DATABASE_PATH=str(tmp_path / "db.sqlite3"))
    proc = subprocess.run([sys.executable, "-m", "bot", "check"], env=env, capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 FAIL" in proc.stdout
    for secret in SECRETS:
        assert secret not in proc.stdout + proc.stderr


def test_cli_reports_a_wrong_setting_by_name(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSBOT_")}
    env["SMSBOT_POLL_INTERVAL"] = "often"
    proc = subprocess.run([sys.executable, "-m", "bot", "check"], env=env, capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert proc.returncode == 1
    assert "SMSBOT_POLL_INTERVAL" in proc.stdout + proc.stderr


def test_a_group_upgraded_to_a_supergroup_names_its_new_id(world, tmp_path):
    sandbox, api = world
    api.migrate_chat(INBOX, -1009999)
    out = io.StringIO()
    assert run_checks(settings_for(sandbox, api, tmp_path), out) == 1
    assert "became a supergroup with the id -1009999: put -1009999 in SMSBOT_INBOX_CHAT_ID" in out.getvalue()
    assert f"ok    allowed chat {TEAM}" in out.getvalue()  # the other chats are still checked


def test_a_store_path_that_is_a_folder_is_named(world, tmp_path):
    out = io.StringIO()
    assert run_checks(settings_for(*world, tmp_path, database_path=tmp_path), out) == 1
    assert "is a folder; SMSBOT_DATABASE_PATH names the store's file" in out.getvalue()
