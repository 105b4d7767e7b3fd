"""Settings: every variable of the DESIGN table, lists from env, clear errors, .env.example complete."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import Settings, SettingsError, load_settings
from config.forms import EXPECTED, shown
from config.settings import unknown_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for key in list(__import__("os").environ):
        if key.startswith("SMSBOT_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_match_the_design():
    s = load_settings()
    assert s.gateway_url == "http://www.112088.net:8088" and s.gateway_encoding == "gbk"
    assert s.poll_interval == 10 and s.confirm_threshold == 10 and s.low_balance == 100
    assert s.segment_size == 67 and s.http_listen == "127.0.0.1:8080" and s.alert_dedup == 900
    assert s.alert_max_per_hour == 10 and s.alert_max_segments == 1 and s.allowed_chat_ids == []
    assert s.telegram_api_url == "https://api.telegram.org/bot"


def test_comma_separated_ids_from_env(monkeypatch):
    monkeypatch.setenv("SMSBOT_ALLOWED_CHAT_IDS", "-1001, 42 ,7")
    monkeypatch.setenv("SMSBOT_ADMIN_USER_IDS", "5")
    s = load_settings()
    assert s.allowed_chat_ids == [-1001, 42, 7] and s.admin_user_ids == [5]


def test_dotenv_is_read(tmp_path):
    (tmp_path / ".env").write_text("SMSBOT_POLL_INTERVAL=3\nSMSBOT_LANGUAGE=zh\n")
    s = load_settings()
    assert s.poll_interval == 3 and s.language == "zh"


@pytest.mark.parametrize("var,value,expected", [
    ("SMSBOT_ALLOWED_CHAT_IDS", "team", "SMSBOT_ALLOWED_CHAT_IDS='team': 'team' is not a whole number; expected chat ids"),
    ("SMSBOT_POLL_INTERVAL", "-1", "SMSBOT_POLL_INTERVAL='-1': expected a number of seconds greater than 0, e.g. 10"),
    ("SMSBOT_POLL_INTERVAL", "10s", "SMSBOT_POLL_INTERVAL='10s': expected a number of seconds greater than 0, e.g. 10"),
    ("SMSBOT_HTTP_LISTEN", "8080", "SMSBOT_HTTP_LISTEN='8080': expected HOST:PORT with a port from 0 to 65535"),
    ("SMSBOT_HTTP_LISTEN", "127.0.0.1:99999", "SMSBOT_HTTP_LISTEN='127.0.0.1:99999': expected HOST:PORT"),
    ("SMSBOT_GATEWAY_ENCODING", "klingon", "SMSBOT_GATEWAY_ENCODING='klingon': unknown encoding; expected a text "
                                           "encoding that keeps ASCII as it is, e.g. gbk"),
    ("SMSBOT_LANGUAGE", "fr", "SMSBOT_LANGUAGE='fr': expected en or zh"),
    ("SMSBOT_GATEWAY_URL", "ftp://x", "SMSBOT_GATEWAY_URL='ftp://x': expected an http(s) URL"),
    ("SMSBOT_LOG_LEVEL", "verbose", "SMSBOT_LOG_LEVEL='verbose': expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ("SMSBOT_GATEWAY_ENCODING", "rot13", "cannot carry the gateway's queries"),
    ("SMSBOT_GATEWAY_ENCODING", "base64", "cannot carry the gateway's queries"),
    ("SMSBOT_GATEWAY_ENCODING", "utf-16", "cannot carry the gateway's queries"),
    ("SMSBOT_POLL_INTERVAL", "inf", "SMSBOT_POLL_INTERVAL='inf': expected a number of seconds"),
    ("SMSBOT_GATEWAY_TIMEOUT", "nan", "SMSBOT_GATEWAY_TIMEOUT='nan': expected a number of seconds greater than 0"),
    ("SMSBOT_TELEGRAM_API_URL", "http://127.0.0.1:8081", "expected an http(s) URL ending in /bot"),
    ("SMSBOT_CONFIRM_THRESHOLD", "ten", "SMSBOT_CONFIRM_THRESHOLD='ten': expected a whole number of messages, 0 or more"),
    ("SMSBOT_ALERT_SEND_RESOLVED", "maybe", "SMSBOT_ALERT_SEND_RESOLVED='maybe': expected true or false"),
    ("SMSBOT_INBOX_RATE", "lots", "SMSBOT_INBOX_RATE='lots': expected MESSAGES/SECONDS, e.g. 20/60"),
])
def test_a_wrong_value_names_the_variable_the_value_and_the_form_expected(monkeypatch, var, value, expected):
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert expected in str(err.value)
    [problem] = err.value.problems
    assert problem.startswith(f"{var}={value!r}: ") and expected in problem
    assert "Input should" not in problem  # pydantic's own words give way to the form expected


def test_every_setting_has_an_expected_form():
    assert set(Settings.model_fields) <= set(EXPECTED)


def test_every_wrong_variable_gets_its_own_line(monkeypatch):
    monkeypatch.setenv("SMSBOT_POLL_INTERVAL", "10s")
    monkeypatch.setenv("SMSBOT_LANGUAGE", "fr")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert [p.split("=", 1)[0] for p in err.value.problems] == ["SMSBOT_POLL_INTERVAL", "SMSBOT_LANGUAGE"]
    assert str(err.value).splitlines()[1:] == [f"  {p}" for p in err.value.problems]


BOTFATHER_TOKEN = "123456789:AAH" + "SECRET-token-abcdefghijklmnopqrs"  # 35 characters after the colon


@pytest.mark.parametrize("token,reason", [
    ("AAfake-no-colon", "it has no colon"),
    ("123456789:AA...", "that is the README's placeholder"),
    ("123456789:AA\u2026", "that is the README's placeholder"),
    ("bot123:AAHsecret", "the part before the colon is not digits"),
    ("123456789:", "nothing follows the colon"),
    ("123456789:AAH secret+with/odd=chars", "other characters than letters, digits, - and _"),
    ("123456789:AAHshort-SECRET", "the secret after the colon has 15 characters"),
    (BOTFATHER_TOKEN + "x", "the secret after the colon has 36 characters"),
])
def test_a_token_not_of_botfathers_form_is_refused_without_showing_it(monkeypatch, token, reason):
    monkeypatch.setenv("SMSBOT_TELEGRAM_TOKEN", token)
    with pytest.raises(SettingsError) as err:
        load_settings()
    [problem] = err.value.problems
    assert problem.startswith("SMSBOT_TELEGRAM_TOKEN='") and reason in problem
    assert "a colon and 35 letters, digits, - or _" in problem
    bot_id, _, secret = token.partition(":")
    if bot_id.isdigit():  # the bot's id is public (the bot's user id) and helps find the token
        assert problem.startswith(f"SMSBOT_TELEGRAM_TOKEN='{bot_id}:<hidden, {len(secret)} characters>'")
    else:
        assert problem.startswith(f"SMSBOT_TELEGRAM_TOKEN='<hidden, {len(token)} characters>'")
    assert not secret or secret not in problem


def test_a_botfather_token_is_accepted_and_any_form_for_another_bot_api_server(monkeypatch):
    monkeypatch.setenv("SMSBOT_TELEGRAM_TOKEN", f" {BOTFATHER_TOKEN} ")
    assert load_settings().telegram_token.get_secret_value() == BOTFATHER_TOKEN
    # a test double or `smsbot demo` makes its own tokens: only the form digits:secret is required
    monkeypatch.setenv("SMSBOT_TELEGRAM_API_URL", "http://127.0.0.1:8081/bot")
    monkeypatch.setenv("SMSBOT_TELEGRAM_TOKEN", "111:short")
    assert load_settings().telegram_token.get_secret_value() == "111:short"
    monkeypatch.setenv("SMSBOT_TELEGRAM_TOKEN", "111-no-colon")
    with pytest.raises(SettingsError, match="it has no colon"):
        load_settings()


@pytest.mark.parametrize("var,value,expected", [
    ("SMSBOT_INBOX_CHAT_ID", "123456", "SMSBOT_INBOX_CHAT_ID='123456': a positive id is a user's (or a private "
                                       "chat's), not a group's; expected a group's id, a negative whole number"),
    ("SMSBOT_ALERT_CHAT_ID", "42", "SMSBOT_ALERT_CHAT_ID='42': a positive id is a user's"),
    ("SMSBOT_INBOX_CHAT_ID", "0", "0 is no chat's id"),
    ("SMSBOT_ADMIN_USER_IDS", "42,-1001234", "SMSBOT_ADMIN_USER_IDS='42,-1001234': -1001234 is a group's id, "
                                              "not a user's; expected user ids, positive whole numbers"),
    ("SMSBOT_ALLOWED_CHAT_IDS", "-100,0", "0 is no chat's id"),
])
def test_groups_are_negative_and_users_positive(monkeypatch, var, value, expected):
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert expected in str(err.value)


def test_allowed_chats_may_be_groups_or_private_chats(monkeypatch):
    monkeypatch.setenv("SMSBOT_ALLOWED_CHAT_IDS", "-1001234567890,42")
    monkeypatch.setenv("SMSBOT_INBOX_CHAT_ID", "-1009876543210")
    monkeypatch.setenv("SMSBOT_ALERT_CHAT_ID", "-100555")
    s = load_settings()
    assert s.allowed_chat_ids == [-1001234567890, 42] and s.inbox_chat_id == -1009876543210


def test_a_short_webhook_token_is_refused_without_showing_it(monkeypatch):
    monkeypatch.setenv("SMSBOT_WEBHOOK_TOKEN", "short")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert str(err.value).splitlines()[1] == (
        "  SMSBOT_WEBHOOK_TOKEN='<hidden, 5 characters>': it has 5 characters, short enough to be guessed; "
        "expected a random secret of at least 24 characters, e.g. the output of `openssl rand -hex 24`")
    monkeypatch.setenv("SMSBOT_WEBHOOK_TOKEN", "x" * 24)
    assert load_settings().webhook_token.get_secret_value() == "x" * 24


def test_a_missing_token_names_the_env_file_the_variable_and_the_demo(tmp_path):
    with pytest.raises(SettingsError) as err:
        Settings(_env_file=None).require_telegram()
    text = str(err.value)
    assert text.startswith("SMSBOT_TELEGRAM_TOKEN is not set")
    assert f"in {tmp_path / '.env'} or in the environment" in text and "`smsbot demo`" in text


def test_unknown_variables_are_named_with_the_nearest_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("SMSBOT_WEBHOK_TOKEN", "x" * 30)
    monkeypatch.setenv("smsbot_poll_interval", "3")  # read as SMSBOT_POLL_INTERVAL: not unknown
    monkeypatch.setenv("SMSBOT_FROBNICATE", "1")
    (tmp_path / ".env").write_text("SMSBOT_ALOWED_CHAT_IDS=-100\nSMSBOT_LANGUAGE=zh\nOTHER=1\n")
    found = {u.name: u for u in unknown_settings()}
    assert set(found) == {"SMSBOT_WEBHOK_TOKEN", "SMSBOT_FROBNICATE", "SMSBOT_ALOWED_CHAT_IDS"}
    assert found["SMSBOT_WEBHOK_TOKEN"].message() == (
        "SMSBOT_WEBHOK_TOKEN (in the environment) is not a setting: did you mean SMSBOT_WEBHOOK_TOKEN?")
    assert found["SMSBOT_ALOWED_CHAT_IDS"].message() == (
        f"SMSBOT_ALOWED_CHAT_IDS (in {tmp_path / '.env'}) is not a setting: did you mean SMSBOT_ALLOWED_CHAT_IDS?")
    assert found["SMSBOT_FROBNICATE"].suggestion is None
    assert "no such setting" in found["SMSBOT_FROBNICATE"].message()


def test_a_local_bot_api_server_url_is_accepted():
    assert load_settings(telegram_api_url="http://127.0.0.1:8081/bot/").telegram_api_url == \
        "http://127.0.0.1:8081/bot"


def test_a_dotenv_that_is_not_utf8_is_named(tmp_path):
    (tmp_path / ".env").write_bytes("SMSBOT_LANGUAGE=zh\n# 你好\n".encode("gbk"))
    with pytest.raises(SettingsError, match="not UTF-8"):
        load_settings()


def test_a_logging_level_is_read_in_any_case(monkeypatch):
    monkeypatch.setenv("SMSBOT_LOG_LEVEL", " debug ")
    assert load_settings().log_level == "DEBUG"


def test_secrets_are_secret_and_never_in_errors(monkeypatch):
    monkeypatch.setenv("SMSBOT_GATEWAY_PASSWORD", "pw-S3CRET-xyz")
    monkeypatch.setenv("SMSBOT_TELEGRAM_TOKEN", BOTFATHER_TOKEN)
    monkeypatch.setenv("SMSBOT_POLL_INTERVAL", "x")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert "pw-S3CRET-xyz" not in str(err.value) and "SECRET-token" not in str(err.value)
    monkeypatch.setenv("SMSBOT_POLL_INTERVAL", "5")
    s = load_settings()
    assert "pw-S3CRET-xyz" not in repr(s) and "SECRET-token" not in repr(s)


def test_a_wrong_password_value_is_shown_only_as_its_length():
    with pytest.raises(SettingsError) as err:
        load_settings(gateway_password=["123:pw-S3CRET"])  # not text: refused, and still not shown
    assert "S3CRET" not in str(err.value) and "SMSBOT_GATEWAY_PASSWORD='<hidden," in str(err.value)


def test_a_real_gateway_needs_an_account_but_the_sandbox_does_not():
    with pytest.raises(SettingsError, match="SMSBOT_GATEWAY_USERNAME and SMSBOT_GATEWAY_PASSWORD"):
        Settings(_env_file=None).require_gateway_account()
    Settings(_env_file=None, gateway_url="sandbox").require_gateway_account()


def test_env_example_lists_every_setting():
    example = (ROOT / ".env.example").read_text()
    for name in Settings.model_fields:
        assert f"SMSBOT_{name.upper()}=" in example, name


def test_a_password_inside_a_url_is_hidden_in_errors():
    assert shown("postgresql://bot:pw-S3CRET@db:5432/smsbot", secret=False) == \
        "'postgresql://bot:<hidden>@db:5432/smsbot'"
    with pytest.raises(SettingsError) as err:
        load_settings(gateway_url="ftp://team:pw-S3CRET@gateway")
    assert "S3CRET" not in str(err.value) and "ftp://team:<hidden>@gateway" in str(err.value)
