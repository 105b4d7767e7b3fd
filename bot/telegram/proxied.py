"""Bot API requests that say in words what a proxy (SMSBOT_TELEGRAM_PROXY) did.

Through a proxy, two failures pass for Telegram's own unless they are named: an HTTP proxy
that refuses the credentials answers 407 in Telegram's place, which python-telegram-bot
reports as "Proxy Authentication Required (407). Parsing the server response b'...' failed";
and a SOCKS5 or CONNECT proxy's refusal is an httpx.ProxyError in a NetworkError. Here each
becomes one sentence naming the proxy (its credentials masked) and the setting; a refused
user name or password is a `ProxyRefused`, which `smsbot run` treats as a setting to fix.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import httpx
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from config.forms import masked_url

PROXY_SETTING = "SMSBOT_TELEGRAM_PROXY"

# httpcore's words for a refusal of the credentials: SOCKS5 (RFC 1929), a SOCKS5 proxy that
# wants another method (credentials missing or not wanted), and CONNECT's 407
_REFUSED = ("invalid username/password", "requested ", "407")


class ProxyRefused(NetworkError):
    """The proxy refused SMSBOT_TELEGRAM_PROXY's user name and password (or wants some)."""


class ProxiedRequest(HTTPXRequest):
    """python-telegram-bot's HTTPXRequest through `proxy` (None: directly), with the proxy's
    failures said as the proxy's."""

    def __init__(self, *, proxy: str | None = None, **kwargs: Any) -> None:
        super().__init__(proxy=proxy, **kwargs)
        self.proxy_shown = None if proxy is None else masked_url(proxy)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        try:
            code, payload = await super().do_request(
                url, method, request_data, read_timeout=read_timeout, write_timeout=write_timeout,
                connect_timeout=connect_timeout, pool_timeout=pool_timeout)
        except TimedOut as exc:
            self.timed_out(exc)
            raise
        except NetworkError as exc:
            cause = exc.__cause__
            if self.proxy_shown is None or not isinstance(cause, httpx.ProxyError):
                raise
            detail = str(cause)
            if detail.lower().startswith(_REFUSED):
                raise ProxyRefused(self.refused(detail)) from exc
            raise NetworkError(f"the proxy {self.proxy_shown} failed: {detail}") from exc
        if code == HTTPStatus.PROXY_AUTHENTICATION_REQUIRED and self.proxy_shown is not None:
            raise ProxyRefused(self.refused("407 Proxy Authentication Required"))
        self.answered(code)
        return code, payload

    def answered(self, code: int) -> None:
        """Telegram (or the proxy) answered with HTTP `code`: a hook for subclasses."""

    def timed_out(self, exc: TimedOut) -> None:
        """The request got no answer in time (python-telegram-bot may retry it at once, telling
        no error callback): a hook for subclasses."""

    def refused(self, detail: str) -> str:
        return (f"the proxy {self.proxy_shown} refused the credentials in {PROXY_SETTING} ({detail}): "
                f"put the proxy's user name and password in it, e.g. socks5://USER:PASSWORD@HOST:PORT")
