"""One place that turns Telegram's failures into "stop and come back later".

The jobs that push to Telegram (the forward job, the alert copies) run in rounds:
a 429, an outage or a refusal ends the round and says when to try again; a
BadRequest is about one message and stays the caller's to handle.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot import metrics

T = TypeVar("T")
MAX_BACKOFF = 60.0


class TelegramDelay(Exception):
    """Telegram cannot take more now: end this round, resume after `delay` (None: the caller's backoff)."""

    def __init__(self, reason: str, delay: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay = delay


def retry_seconds(exc: RetryAfter) -> float:
    """Seconds a 429 asks to wait (`retry_after` is an int or a timedelta, by python-telegram-bot's settings)."""
    wait = exc.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


async def call_telegram(fn: Callable[[], Awaitable[T]], limit: float) -> T:
    """One Telegram call, cut after `limit` seconds. BadRequest passes through (BadRequest is a
    NetworkError in python-telegram-bot, so it is caught first); the rest becomes TelegramDelay."""
    try:
        return await asyncio.wait_for(fn(), limit)
    except BadRequest:
        raise
    except RetryAfter as exc:
        metrics.TELEGRAM_RETRIES.labels("429").inc()
        seconds = retry_seconds(exc)
        raise TelegramDelay(f"Telegram asked to wait {seconds:g} s (429)", seconds + 0.1) from None
    except (TimedOut, TimeoutError):
        metrics.TELEGRAM_RETRIES.labels("timeout").inc()
        raise TelegramDelay("Telegram did not answer in time") from None
    except NetworkError as exc:
        metrics.TELEGRAM_RETRIES.labels("network").inc()
        raise TelegramDelay(f"Telegram is unreachable or failing ({exc})") from None
    except Forbidden as exc:
        metrics.TELEGRAM_RETRIES.labels("forbidden").inc()
        raise TelegramDelay(f"Telegram refused the bot ({exc})", MAX_BACKOFF) from None
    except TelegramError as exc:
        metrics.TELEGRAM_RETRIES.labels("other").inc()
        raise TelegramDelay(f"Telegram error ({type(exc).__name__}: {exc})", MAX_BACKOFF) from None


class RoundCalls:
    """The Telegram calls of a job that runs in rounds (the forward job): each call cut after
    `limit` seconds, and `failures`, the rounds in a row that ended in a TelegramDelay (the job
    counts them), back to 0 as soon as Telegram answers anything, a BadRequest included."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.failures = 0

    async def __call__(self, fn: Callable[[], Awaitable[T]]) -> T:
        try:
            result = await call_telegram(fn, self.limit)
        except BadRequest:
            self.failures = 0  # Telegram answered: it is up
            raise
        self.failures = 0
        return result
