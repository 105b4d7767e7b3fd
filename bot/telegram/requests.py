"""The bot's two HTTP clients for the Bot API, built in one place from Settings.

python-telegram-bot uses one request object for every Bot API call and a second one for
getUpdates (long polling). Both get the same socket options, timeouts and proxy
(SMSBOT_TELEGRAM_PROXY): python-telegram-bot refuses a getUpdates proxy next to a getUpdates
request of our own (bot.telegram.updates.WatchedRequest), so the proxy goes into both objects here.

The proxy is handed to httpx directly and never put into the environment, so the gateway's
client (sms_core.SmsGateway, which honours HTTP(S)_PROXY) never goes through it.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

from telegram.request import HTTPXRequest

from bot.telegram.proxied import ProxiedRequest
from bot.telegram.updates import UpdatesFaults, WatchedRequest
from config import Settings

NODELAY = ((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),)
"""httpx writes a POST's headers and body separately; without TCP_NODELAY, Nagle's algorithm
and the peer's delayed ACK add ~40 ms to every Bot API call. httpx applies them to direct
connections only: through a proxy it opens the proxy's connections with its own defaults."""

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 5.0
"""getUpdates waits this much longer than its long-polling timeout (python-telegram-bot adds them)."""
WRITE_TIMEOUT = 5.0
POOL_TIMEOUT = 1.0
API_CONNECTIONS = 256
"""Concurrent Bot API calls (python-telegram-bot's default); getUpdates needs one connection."""


@dataclass(frozen=True, slots=True)
class TelegramRequests:
    api: HTTPXRequest
    """Every Bot API call but getUpdates."""
    updates: WatchedRequest
    """getUpdates, which tells `UpdatesFaults` when Telegram stops and starts answering."""


def telegram_requests(settings: Settings, faults: UpdatesFaults | None = None) -> TelegramRequests:
    """Both request objects, through SMSBOT_TELEGRAM_PROXY when it is set."""
    options = dict(proxy=settings.telegram_proxy_url, socket_options=NODELAY,
                   connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT,
                   write_timeout=WRITE_TIMEOUT, pool_timeout=POOL_TIMEOUT)
    return TelegramRequests(
        api=ProxiedRequest(connection_pool_size=API_CONNECTIONS, **options),  # type: ignore[arg-type]
        updates=WatchedRequest(faults or UpdatesFaults(), connection_pool_size=1, **options),  # type: ignore[arg-type]
    )
