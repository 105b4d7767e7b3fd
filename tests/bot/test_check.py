"""`smsbot check` against the sandbox gateway and the Bot API double: a line for every check
(`ok`, `FAIL` with what to do, or `skipped (because ...)`), exit code 2 for settings to fix,
1 for anything else. The store's side is in test_store_access.py."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from harness import BOT_TOKEN, GATEWAY_PASSWORD, SECRETS

from bot.checks import Status, check_all, run_checks
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


def cli_env(sandbox, api, tmp_path, **over: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSBOT_")}
    env.update(SMSBOT_TELEGRAM_TOKEN=BOT_TOKEN, SMSBOT_TELEGRAM_API_URL=api.base_url,
               SMSBOT_GATEWAY_URL=sandbox.url, SMSBOT_GATEWAY_USERNAME="team",
               SMSBOT_GATEWAY_PASSWORD=GATEWAY_PASSWORD, SMSBOT_ALLOWED_CHAT_IDS=str(TEAM),
               SMSBOT_INBOX_CHAT_ID=str(INBOX), SMSBOT_DATABASE_PATH=str(tmp_path / "db.sqlite3"))
    env.update(over)
    return env


def check(env: dict[str, str], cwd) -> subprocess.CompletedProcess[str]:
    out = subprocess.run([sys.executable, "-m", "bot", "check"], env=env, capture_output=True, text=True,
                         timeout=60, cwd=cwd)
    assert "Traceback" not in out.stdout + out.stderr
    for secret in SECRETS:
        assert secret not in out.stdout + out.stderr
    return out


def test_each_failure_says_what_to_do_and_exit_code_is_1(world, tmp_path):
    sandbox, api = world
    api.set_forum(INBOX, False)
    sandbox.gateway.configure(password="changed")
    api.add_chat(-100333, type="supergroup", title="Gone", bot_status="left")
    out = io.StringIO()
    code = run_checks(settings_for(sandbox, api, tmp_path, allowed_chat_ids=[TEAM, -100333]), out)
    text = out.getvalue()
    assert code == 1
    assert "FAIL     gateway: " in text and "SMSBOT_GATEWAY_PASSWORD" in text
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
    proc = check(cli_env(*world, tmp_path), tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == "6 ok, 0 FAIL"
    assert [line.split()[0] for line in proc.stdout.splitlines()[:-1]] == ["ok"] * 6


def test_a_wrong_setting_is_named_with_its_value_and_form_and_the_rest_is_skipped(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSBOT_")}
    env["SMSBOT_POLL_INTERVAL"] = "10s"
    proc = check(env, tmp_path)
    assert proc.returncode == 2  # settings to fix, as the README says
    assert proc.stdout.splitlines() == [
        "FAIL     settings: SMSBOT_POLL_INTERVAL='10s': expected a number of seconds greater than 0, e.g. 10",
        "skipped  store (because the settings are wrong: fix them first)",
        "skipped  gateway (because the settings are wrong: fix them first)",
        "skipped  telegram token (because the settings are wrong: fix them first)",
        "skipped  chats (because the settings are wrong: fix them first)",
        "0 ok, 1 FAIL, 4 skipped",
    ]
    assert list(tmp_path.iterdir()) == []  # not even data/ for the store


@pytest.mark.parametrize("var,value,expected", [
    ("SMSBOT_TELEGRAM_TOKEN", "AAfake-no-colon", "SMSBOT_TELEGRAM_TOKEN='<hidden, 15 characters>': it has no colon"),
    ("SMSBOT_TELEGRAM_TOKEN", "123456789:AA...", "SMSBOT_TELEGRAM_TOKEN='123456789:<hidden, 5 characters>': that is "
                                                 "the README's placeholder"),
    ("SMSBOT_INBOX_CHAT_ID", "100222", "SMSBOT_INBOX_CHAT_ID='100222': a positive id is a user's"),
    ("SMSBOT_ALERT_CHAT_ID", "7", "SMSBOT_ALERT_CHAT_ID='7': a positive id is a user's"),
    ("SMSBOT_WEBHOOK_TOKEN", "short", "SMSBOT_WEBHOOK_TOKEN='<hidden, 5 characters>': it has 5 characters"),
])
def test_a_malformed_token_or_a_positive_group_id_fails_the_settings(world, tmp_path, var, value, expected):
    sandbox, api = world
    over = {var: value}
    if var == "SMSBOT_TELEGRAM_TOKEN":  # Telegram's own API: only BotFather's form is a token there
        over["SMSBOT_TELEGRAM_API_URL"] = "https://api.telegram.org/bot"
    proc = check(cli_env(sandbox, api, tmp_path, **over), tmp_path)
    assert proc.returncode == 2
    assert proc.stdout.splitlines()[0].startswith(f"FAIL     settings: {expected}")
    assert not any(line.startswith("ok") for line in proc.stdout.splitlines())
    if "<hidden" in expected:
        assert value.partition(":")[2] not in proc.stdout or value.partition(":")[2] == ""


def test_a_misspelt_variable_is_named_with_the_nearest_setting_and_the_rest_is_checked(world, tmp_path):
    (tmp_path / ".env").write_text("SMSBOT_WEBHOK_TOKEN=a-long-enough-random-webhook-secret\n")
    proc = check(cli_env(*world, tmp_path, SMSBOT_ALOWED_CHAT_IDS="-1"), tmp_path)
    assert proc.returncode == 2
    lines = proc.stdout.splitlines()
    assert lines[:2] == [
        "FAIL     settings: SMSBOT_ALOWED_CHAT_IDS (in the environment) is not a setting: did you mean "
        "SMSBOT_ALLOWED_CHAT_IDS?",
        f"FAIL     settings: SMSBOT_WEBHOK_TOKEN (in {tmp_path / '.env'}) is not a setting: did you mean "
        "SMSBOT_WEBHOOK_TOKEN?",
    ]
    assert lines[-1] == "5 ok, 2 FAIL"  # store, gateway, token and both chats: checked all the same


def test_telegram_unreachable_still_names_every_chat_as_skipped(world, tmp_path):
    sandbox, api = world
    api.stop()  # nothing listens there now: connection refused
    proc = check(cli_env(sandbox, api, tmp_path, SMSBOT_ALERT_CHAT_ID="-100333"), tmp_path)
    assert proc.returncode == 1
    where = api.base_url.split("://")[1].split("/")[0]
    lines = proc.stdout.splitlines()
    assert any(line.startswith(f"FAIL     telegram: Telegram did not answer at {where}") for line in lines)
    assert lines[-4:] == [
        f"skipped  allowed chat {TEAM} (because Telegram did not answer at {where})",
        f"skipped  inbox chat {INBOX} (because Telegram did not answer at {where})",
        f"skipped  alert chat -100333 (because Telegram did not answer at {where})",
        "3 ok, 1 FAIL, 3 skipped",
    ]


async def test_without_a_token_the_chats_are_skipped_and_the_token_line_says_where_to_put_it(world, tmp_path):
    results = await check_all(settings_for(*world, tmp_path, telegram_token=None))
    by_name = {r.name: r for r in results}
    token = by_name["telegram token"]
    assert token.status is Status.FAIL and ".env" in token.detail and "smsbot demo" in token.detail
    assert by_name[f"allowed chat {TEAM}"].status is Status.SKIPPED
    assert by_name[f"inbox chat {INBOX}"].line() == f"skipped  inbox chat {INBOX} (because there is no token)"


async def test_a_refused_token_skips_the_chats(world, tmp_path):
    results = await check_all(settings_for(*world, tmp_path, telegram_token="111:wrong-token"))
    assert [r.line() for r in results if r.status is Status.SKIPPED] == [
        f"skipped  allowed chat {TEAM} (because Telegram refused the token)",
        f"skipped  inbox chat {INBOX} (because Telegram refused the token)",
    ]


def test_a_group_upgraded_to_a_supergroup_names_its_new_id(world, tmp_path):
    sandbox, api = world
    api.migrate_chat(INBOX, -1009999)
    out = io.StringIO()
    assert run_checks(settings_for(sandbox, api, tmp_path), out) == 1
    assert "became a supergroup with the id -1009999: put -1009999 in SMSBOT_INBOX_CHAT_ID" in out.getvalue()
    assert f"ok       allowed chat {TEAM}" in out.getvalue()  # the other chats are still checked


def test_a_store_path_that_is_a_folder_is_named(world, tmp_path):
    out = io.StringIO()
    assert run_checks(settings_for(*world, tmp_path, database_path=tmp_path), out) == 1
    assert "is a folder; SMSBOT_DATABASE_PATH names the store's file" in out.getvalue()
