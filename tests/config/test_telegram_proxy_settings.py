"""SMSBOT_TELEGRAM_PROXY as a setting: the forms httpx can use are accepted, a wrong scheme or a
malformed URL is one line naming the variable, the value with its credentials masked and the
form expected, and the credentials are secrets (repr, errors, `smsbot check`, the log filter)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.logsetup import SecretFilter
from config import Settings, SettingsError, load_settings
from config.forms import masked_url

USER = "proxy-USER-k3q"
PASSWORD = "proxy-PASS-s3cr3t-9x"
FORM = ("expected SCHEME://[USER:PASSWORD@]HOST:PORT with the scheme http, https or socks5, e.g. "
        "socks5://127.0.0.1:1080 or http://user:password@10.0.0.2:3128 (empty: no proxy)")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for key in list(os.environ):
        if key.startswith("SMSBOT_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # no stray .env


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:7890",
    "https://proxy.example.com:443",
    "socks5://127.0.0.1:1080",
    f"socks5://{USER}:{PASSWORD}@10.0.0.2:1080",
    "http://u%40corp:p%3Ass@[::1]:3128/",
    "  SOCKS5://127.0.0.1:1080  ",
])
def test_http_https_and_socks5_proxies_are_accepted(monkeypatch, url):
    monkeypatch.setenv("SMSBOT_TELEGRAM_PROXY", url)
    assert load_settings().telegram_proxy_url == url.strip()


def test_no_proxy_by_default_and_empty_means_none(monkeypatch):
    assert load_settings().telegram_proxy is None
    monkeypatch.setenv("SMSBOT_TELEGRAM_PROXY", " ")
    settings = load_settings()
    assert settings.telegram_proxy is None and settings.telegram_proxy_shown is None


@pytest.mark.parametrize("value,reason,masked", [
    (f"socks4://{USER}:{PASSWORD}@127.0.0.1:1080", "socks4:// is not a proxy scheme smsbot can use",
     "socks4://<hidden>@127.0.0.1:1080"),
    (f"socks5h://{USER}:{PASSWORD}@127.0.0.1:1080", "socks5h:// is not a proxy scheme smsbot can use "
     "(write socks5://: the proxy looks Telegram's name up either way)", "socks5h://<hidden>@127.0.0.1:1080"),
    (f"{USER}:{PASSWORD}@127.0.0.1:1080", "it is not a URL: it has no scheme:// in front", "<hidden>@127.0.0.1:1080"),
    (f"http://{USER}:{PASSWORD}@127.0.0.1", "it names no port", "http://<hidden>@127.0.0.1"),
    (f"http://{USER}:{PASSWORD}@127.0.0.1:99999", "the port is not a number from 1 to 65535",
     "http://<hidden>@127.0.0.1:99999"),
    (f"http://{USER}:{PASSWORD}@:3128", "it names no host", "http://<hidden>@:3128"),
    (f"http://{USER}:{PASSWORD}@10.0.0.2:3128/proxy", "a proxy URL ends after the port",
     "http://<hidden>@10.0.0.2:3128/proxy"),
    (f"socks5://{USER}:{PASSWORD}@10.0.0.2:1080 x", "it holds a space", "socks5://<hidden>@10.0.0.2:1080 x"),
    # a password with an unescaped @: everything up to the last @ is hidden
    (f"socks5://{USER}:{PASSWORD}@x@10.0.0.2", "it names no port", "socks5://<hidden>@10.0.0.2"),
])
def test_a_wrong_proxy_names_the_variable_the_masked_value_and_the_form(monkeypatch, value, reason, masked):
    monkeypatch.setenv("SMSBOT_TELEGRAM_PROXY", value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert err.value.problems == (f"SMSBOT_TELEGRAM_PROXY='{masked}': {reason}; {FORM}",)
    assert USER not in str(err.value) and PASSWORD not in str(err.value)


def test_the_credentials_are_secrets_in_repr_and_the_log_filter():
    settings = Settings(_env_file=None, telegram_proxy=f"socks5://{USER}:p%40{PASSWORD}@10.0.0.2:1080")
    for text in (repr(settings), str(settings), str(settings.model_dump()), settings.telegram_proxy_shown):
        assert USER not in text and PASSWORD not in text
    assert settings.telegram_proxy_shown == "socks5://<hidden>@10.0.0.2:1080"
    scrub = SecretFilter(settings.secret_values()).scrub
    # as written, percent-decoded (httpx's Proxy-Authorization, a SOCKS5 trace), or joined
    for leaked in (USER, f"p%40{PASSWORD}", f"p@{PASSWORD}", f"{USER}:p@{PASSWORD}", f"auth=(b'{USER}', b'x')"):
        assert USER not in scrub(leaked) and PASSWORD not in scrub(leaked)
    # a URL's credentials are masked even when they are not the settings' own
    assert scrub("socks5://someone:other-secret@10.0.0.9:1080") == "socks5://***@10.0.0.9:1080"


def test_masked_url_hides_the_credentials_only():
    assert masked_url("http://127.0.0.1:7890") == "http://127.0.0.1:7890"
    assert masked_url(f"socks5://{USER}@10.0.0.2:1080") == "socks5://<hidden>@10.0.0.2:1080"


def test_check_with_a_malformed_proxy_exits_2_with_the_masked_value(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSBOT_")}
    env["SMSBOT_TELEGRAM_PROXY"] = f"socks4://{USER}:{PASSWORD}@127.0.0.1:1080"
    out = subprocess.run([sys.executable, "-m", "bot", "check"], env=env, cwd=tmp_path, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2
    assert (f"FAIL     settings: SMSBOT_TELEGRAM_PROXY='socks4://<hidden>@127.0.0.1:1080': socks4:// is not a "
            f"proxy scheme smsbot can use; {FORM}") in out.stdout.splitlines()
    assert USER not in out.stdout + out.stderr and PASSWORD not in out.stdout + out.stderr
