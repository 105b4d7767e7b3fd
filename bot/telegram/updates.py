"""getUpdates failing (a Telegram outage, a proxy down): one log line per fault, not per attempt.

python-telegram-bot's Updater tries a failed getUpdates again forever, and logs every
failure with a traceback: "Exception happened while polling for updates" when it was
started without an error callback, or, under run_polling, through the Application's error
handlers. Here every failure goes to one FaultLog instead: the first of a kind at WARNING
with the time to the next try, the repeats counted, the traceback at DEBUG, and the
recovery once, noticed by the getUpdates request that Telegram answers again.

Wiring (bot.app): `WatchedRequest` is the Application's getUpdates request,
`UpdatesFaults.failed` the Updater's error callback (start_in_loop), and
`UpdatesFaults.on_error` the first error handler (run_polling hands getUpdates failures
to the error handlers). The runtime keeps the one UpdatesFaults of the process.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from telegram.error import TelegramError, TimedOut
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.faults import FaultLog
from bot.telegram.proxied import ProxiedRequest

log = logging.getLogger(__name__)

FIRST_WAIT = 1.0
LONGEST_WAIT = 30.0
"""python-telegram-bot's network loop waits 1 s after a failed getUpdates, then 1.5 times
longer after each further failure, up to 30 s (a timeout is tried again at once)."""


class UpdatesFaults:
    """The state of getUpdates: failing (which kind, how often) or working."""

    def __init__(self, logger: logging.Logger = log) -> None:
        self.faults = FaultLog(logger, "getUpdates")
        self._wait = 0.0

    def failed(self, exc: TelegramError) -> None:
        """One failed getUpdates; also the Updater's `error_callback` (a plain function)."""
        if isinstance(exc, TimedOut):
            self._wait = 0.0
        else:
            self._wait = FIRST_WAIT if self._wait == 0 else min(LONGEST_WAIT, 1.5 * self._wait)
        self.faults.failed(type(exc).__name__, f"Telegram gives no updates ({type(exc).__name__}: {exc})",
                           next_try=self._wait, exc=exc)

    def answered(self) -> None:
        """A getUpdates that Telegram answered: working (again)."""
        self._wait = 0.0
        self.faults.recovered("Telegram gives updates again")

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """First error handler: a getUpdates failure (no update, no job: run_polling's error
        callback) goes to the FaultLog and no further; any other error to the next handlers."""
        error = context.error
        if update is None and context.job is None and isinstance(error, TelegramError):
            self.failed(error)
            raise ApplicationHandlerStop


class WatchedRequest(ProxiedRequest):
    """The getUpdates request: tells `faults` when Telegram answers (the recovery) and when a
    request times out (which python-telegram-bot retries at once, telling no error callback)."""

    def __init__(self, faults: UpdatesFaults, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.faults = faults

    def timed_out(self, exc: TimedOut) -> None:
        self.faults.failed(exc)

    def answered(self, code: int) -> None:
        if code == HTTPStatus.OK:
            self.faults.answered()
