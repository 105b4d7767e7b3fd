"""Settings: every variable of the DESIGN table, lists from env, clear errors, .env.example complete."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[1]


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
    ("SMSBOT_ALLOWED_CHAT_IDS", "team", "SMSBOT_ALLOWED_CHAT_IDS"),
    ("SMSBOT_POLL_INTERVAL", "-1", "SMSBOT_POLL_INTERVAL"),
    ("SMSBOT_HTTP_LISTEN", "8080", "HOST:PORT"),
    ("SMSBOT_GATEWAY_ENCODING", "klingon", "unknown encoding"),
    ("SMSBOT_LANGUAGE", "fr", "SMSBOT_LANGUAGE"),
    ("SMSBOT_GATEWAY_URL", "ftp://x", "http(s) URL"),
    ("SMSBOT_LOG_LEVEL", "verbose", "DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ("SMSBOT_GATEWAY_ENCODING", "rot13", "cannot carry the gateway's queries"),
    ("SMSBOT_GATEWAY_ENCODING", "base64", "cannot carry the gateway's queries"),
    ("SMSBOT_GATEWAY_ENCODING", "utf-16", "cannot carry the gateway's queries"),
    ("SMSBOT_POLL_INTERVAL", "inf", "SMSBOT_POLL_INTERVAL"),
    ("SMSBOT_GATEWAY_TIMEOUT", "nan", "SMSBOT_GATEWAY_TIMEOUT"),
    ("SMSBOT_TELEGRAM_API_URL", "http://127.0.0.1:8081", "ending in /bot"),
])
def test_a_wrong_value_names_the_variable(monkeypatch, var, value, expected):
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert expected in str(err.value)


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
    monkeypatch.setenv("SMSBOT_TELEGRAM_TOKEN", "1:SECRET-token")
    monkeypatch.setenv("SMSBOT_POLL_INTERVAL", "x")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert "pw-S3CRET-xyz" not in str(err.value) and "SECRET-token" not in str(err.value)
    monkeypatch.setenv("SMSBOT_POLL_INTERVAL", "5")
    s = load_settings()
    assert "pw-S3CRET-xyz" not in repr(s) and "SECRET-token" not in repr(s)


def test_a_real_gateway_needs_an_account_but_the_sandbox_does_not():
    with pytest.raises(SettingsError, match="SMSBOT_GATEWAY_USERNAME and SMSBOT_GATEWAY_PASSWORD"):
        Settings(_env_file=None).require_gateway_account()
    Settings(_env_file=None, gateway_url="sandbox").require_gateway_account()


def test_env_example_lists_every_setting():
    example = (ROOT / ".env.example").read_text()
    for name in Settings.model_fields:
        assert f"SMSBOT_{name.upper()}=" in example, name
