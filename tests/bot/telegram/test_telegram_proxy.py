"""SMSBOT_TELEGRAM_PROXY: the real bot reaches the Bot API double through a real proxy on
loopback (an HTTP forwarding proxy and a SOCKS5 proxy, both with credentials, tests/proxies.py),
the gateway never goes through it, and the proxy's credentials reach no log line or error."""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterator

import pytest
from harness import ADMIN, TEAM_CHAT, Harness, all_logged, assert_no_secrets
from proxies import ForwardingHttpProxy, Socks5Proxy
from pydantic import SecretStr

from bot.checks import Status, check_all
from bot.logsetup import log_handler
from bot.telegram.proxied import ProxyRefused

PROXY_USER = "proxy-USER-k3q"
PROXY_PASSWORD = "proxy-PASS-s3cr3t-9x"
WRONG_PASSWORD = "wrong-PASS-s3cr3t-7y"
PROXY_SECRETS = (PROXY_USER, PROXY_PASSWORD, WRONG_PASSWORD)

KINDS = {"http": ForwardingHttpProxy, "socks5": Socks5Proxy}


@pytest.fixture(params=sorted(KINDS))
def proxy(request: pytest.FixtureRequest) -> Iterator[ForwardingHttpProxy | Socks5Proxy]:
    with KINDS[request.param](PROXY_USER, PROXY_PASSWORD) as started:
        yield started


@pytest.fixture
def handler_output() -> Iterator[io.StringIO]:
    """What our own log handler (bot.logsetup) writes, for the test's length."""
    from bot.logsetup import setup_logging

    setup_logging()
    handler = log_handler()
    assert isinstance(handler, logging.StreamHandler)
    out = io.StringIO()
    previous = handler.setStream(out)
    try:
        yield out
    finally:
        handler.setStream(previous)


def assert_no_proxy_credentials(*texts: str) -> None:
    for text in texts:
        for secret in PROXY_SECRETS:
            assert secret not in text, "a proxy credential leaked"


async def test_the_bot_answers_through_the_proxy_and_the_gateway_goes_direct(proxy, make_harness):
    environ = dict(os.environ)
    h: Harness = await make_harness(telegram_proxy=proxy.url())
    answer = await h.ask("/balance", user=ADMIN)
    assert "10000" in answer["text"]
    await h.until(lambda: {"getMe", "getUpdates", "sendMessage"} <= set(proxy.api_methods()))
    # every connection the proxy made was to the Bot API; the gateway was asked directly
    assert proxy.targets() == {("127.0.0.1", h.api.port)}
    assert h.gateway.request_count() >= 1
    assert all(r.port == h.api.port for r in proxy.relayed)
    # the setting is handed to the bot's HTTP clients, not to the environment the gateway reads
    assert dict(os.environ) == environ


async def test_a_command_and_its_answer_both_pass_the_proxy(proxy, make_harness):
    h: Harness = await make_harness(telegram_proxy=proxy.url())
    before = proxy.api_methods().count("sendMessage")
    answer = await h.ask("/id", chat=TEAM_CHAT)
    assert str(TEAM_CHAT) in answer["text"]
    assert proxy.api_methods().count("sendMessage") == before + 1
    # the getUpdates that brought /id, and the next one (the updater asks again on its own time)
    assert await h.until(lambda: proxy.api_methods().count("getUpdates") >= 2)


@pytest.mark.parametrize("credentials", [{"password": WRONG_PASSWORD}, {"username": "", "password": ""}],
                         ids=["wrong", "missing"])
async def test_wrong_proxy_credentials_are_a_clear_error_without_the_password(proxy, make_harness, credentials):
    with pytest.raises(ProxyRefused) as refused:
        await make_harness(telegram_proxy=proxy.url(**credentials))
    text = str(refused.value)
    assert "SMSBOT_TELEGRAM_PROXY" in text and f"127.0.0.1:{proxy.port}" in text
    assert "refused the credentials" in text
    assert_no_proxy_credentials(text)
    assert proxy.refused >= 1 and proxy.api_methods() == []


async def test_proxy_credentials_appear_in_no_log_line(proxy, make_harness, caplog, handler_output):
    caplog.set_level("DEBUG")
    h: Harness = await make_harness(telegram_proxy=proxy.url(), log_level="DEBUG")
    for chatty in ("httpx", "httpcore"):  # quiet since setup_logging; httpcore's SOCKS5 trace quotes the credentials
        caplog.set_level("DEBUG", logger=chatty)
    await h.ask("/id")
    # the proxy goes away: getUpdates fails (logged once, with the reason) until it is back
    proxy.stop()
    await h.until(lambda: "getUpdates" in all_logged(caplog) and h.runtime.updates_faults.faults.failing)
    logged = all_logged(caplog) + handler_output.getvalue()
    assert "Telegram gives no updates" in logged
    assert_no_proxy_credentials(logged, repr(h.settings), str(h.settings))
    assert_no_secrets(logged)


async def test_check_reaches_telegram_through_the_proxy(proxy, make_harness, tmp_path):
    h: Harness = await make_harness(telegram_proxy=proxy.url())
    results = await check_all(h.settings)
    [token] = [r for r in results if r.name == "telegram token"]
    assert token.status is Status.OK and f"through the proxy {proxy.scheme}://<hidden>@127.0.0.1" in token.detail
    assert proxy.api_methods().count("getMe") >= 2  # the bot's, and the check's own
    assert "getChat" in proxy.api_methods()


async def test_check_with_wrong_proxy_credentials_fails_naming_the_setting(proxy, make_harness):
    h: Harness = await make_harness()
    wrong = h.settings.model_copy(update={"telegram_proxy": SecretStr(proxy.url(password=WRONG_PASSWORD))})
    results = await check_all(wrong)
    [telegram] = [r for r in results if r.name == "telegram"]
    assert telegram.status is Status.FAIL and "SMSBOT_TELEGRAM_PROXY" in telegram.detail
    assert_no_proxy_credentials(*(r.line() for r in results))
    assert all(r.status is Status.SKIPPED for r in results if "chat" in r.name and r.name != "allowed chats")
