"""`smsbot run` waits for Telegram at start: one line that says what to check, then tries again.

Where Telegram is blocked (mainland China) or the proxy is down, python-telegram-bot's own
start fails at its first call (getMe) with three chained tracebacks and the process ends. Here
`run` makes that first call itself before run_polling: the first failure is one line naming
where it tried, why it failed and what to check (the network, SMSBOT_TELEGRAM_PROXY,
SMSBOT_TELEGRAM_API_URL); then it tries again after 1, 2, 4 ... seconds (60 at most), one short
line per try, no traceback; once Telegram answers, the bot starts as it always does. A token
Telegram refuses ends the wait (cli.py says so), and so does a proxy that refuses its
credentials (a setting to fix: exit code 2); SIGINT or SIGTERM end it quietly.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Iterator

from telegram import Bot
from telegram.error import InvalidToken, RetryAfter, TelegramError

from bot.escaping import host_of
from bot.telegram.calls import retry_seconds
from bot.telegram.proxied import PROXY_SETTING, ProxyRefused
from config import Settings, SettingsError

log = logging.getLogger(__name__)

FIRST_WAIT = 1.0
LONGEST_WAIT = 60.0


def waits(first: float = FIRST_WAIT, longest: float = LONGEST_WAIT) -> Iterator[float]:
    """Seconds before each next try: `first`, doubling, at most `longest`."""
    wait = first
    while True:
        yield wait
        wait = min(longest, 2 * wait)


def where(settings: Settings) -> str:
    """The Bot API's host:port (never its path: the token follows it) and the proxy, if any."""
    host = host_of(settings.telegram_api_url)
    proxy = settings.telegram_proxy_shown
    return f"{host} through the proxy {proxy}" if proxy else host


def what_to_check(settings: Settings) -> str:
    proxy = (PROXY_SETTING if settings.telegram_proxy is not None
             else f"{PROXY_SETTING} (none is set: where Telegram is blocked, as in mainland China, one is needed)")
    return f"check the network, {proxy} and SMSBOT_TELEGRAM_API_URL"


async def reach_telegram(bot: Bot, settings: Settings, stop: asyncio.Event | None = None) -> bool:
    """Initialize `bot` (getMe), trying again until Telegram answers (True) or `stop` is set (False).

    InvalidToken and ProxyRefused pass through: waiting would not change them."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    tries = 0
    started = loop.time()
    delays = waits()
    while True:
        wait = next(delays)
        try:
            await bot.initialize()
        except (InvalidToken, ProxyRefused):
            raise
        except TelegramError as exc:
            if isinstance(exc, RetryAfter):
                wait = max(wait, retry_seconds(exc))
            reason = f"{type(exc).__name__}: {exc}"
        else:
            if tries:
                log.warning("Telegram answers at %s after %d failed %s in %.0f s; starting", where(settings),
                            tries, "try" if tries == 1 else "tries", loop.time() - started)
            return True
        tries += 1
        if tries == 1:
            log.warning("cannot reach Telegram at %s (%s); %s; trying again in %g s, then after twice as long "
                        "each time, at most %g s", where(settings), reason, what_to_check(settings), wait,
                        LONGEST_WAIT)
        else:
            log.warning("Telegram still unreachable after %d tries (%s); next try in %g s", tries, reason, wait)
        try:
            await asyncio.wait_for(stop.wait(), wait)
        except TimeoutError:
            continue
        return False


def wait_for_telegram(bot: Bot, settings: Settings) -> bool:
    """`smsbot run`'s wait, in the event loop that run_polling then goes on with (the bot's HTTP
    clients were opened in it). False: stopped by SIGINT/SIGTERM before Telegram answered."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)  # run_polling takes the current loop
    stop = asyncio.Event()
    handled = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            handled.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no signals here
            pass
    try:
        reached = loop.run_until_complete(reach_telegram(bot, settings, stop))
    except ProxyRefused as exc:
        raise SettingsError(str(exc)) from None
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
    if not reached:
        loop.run_until_complete(bot.shutdown())
        loop.close()
    return reached
