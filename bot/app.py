"""The composition root: builds python-telegram-bot's Application and, in post_init, the Runtime.

Every long-lived object is opened in post_init (bot/runtime.py) and closed in
reverse in post_shutdown, so nothing is left open when the bot stops, and a
second bot on the same store refuses to start.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import BotCommand
from telegram.ext import Application, ApplicationBuilder

from bot.handlers import (
    ack,
    balance,
    basic,
    contacts,
    contacts_file,
    details,
    history,
    reply,
    scheduled,
    sms,
)
from bot.i18n import Translator
from bot.jobs import hold_jobs, schedule_jobs
from bot.logsetup import setup_logging
from bot.runtime import Parts, attach, detach, open_runtime, runtime_of
from bot.telegram.budget import BudgetBook, Rate
from bot.telegram.ratelimit import GroupRateLimiter
from bot.telegram.reach import wait_for_telegram
from bot.telegram.requests import telegram_requests
from bot.telegram.updates import UpdatesFaults
from config import Settings

log = logging.getLogger(__name__)

COMMANDS = ("sms", "scheduled", "balance", "history", "contacts", "groups", "contact", "group", "ack", "id", "help")
# reply: two-way SMS in the inbox; ack: /ack CODE;
# contacts_file takes /contacts import|export (and CSV documents) before contacts' /contacts
HANDLER_MODULES = [basic, sms, scheduled, balance, contacts_file, contacts, history, details, reply, ack]


def rate_limiter(settings: Settings) -> GroupRateLimiter:
    """Telegram's limits, with retries: SMSBOT_INBOX_RATE messages per group in any window,
    answers at once while there is room; the forward job spends the same budget (Runtime.budgets)."""
    return GroupRateLimiter(Rate.parse(settings.inbox_rate))


class SmsBotApplication(Application):  # type: ignore[type-arg]
    """python-telegram-bot's Application, but no job starts once stopping began (bot.jobs.hold_jobs),
    and the updates handled are counted."""

    async def stop(self) -> None:
        hold_jobs(self)
        await super().stop()

    async def process_update(self, update: object) -> None:
        """Every handler's turn at `update`, then it counts as handled (Runtime.handled_updates):
        what a wait for "the bot did not answer" waits for."""
        try:
            await super().process_update(update)
        finally:
            with contextlib.suppress(LookupError):  # no runtime: before post_init or after post_shutdown
                runtime_of(self).handled_updates.note(update)


def build_application(settings: Settings, *, parts: Parts | None = None,
                      **builder_options: Any) -> Application:  # type: ignore[type-arg]
    """The bot, not yet started. `parts`: a test's own clocks, budget or inbound hooks."""
    settings.require_telegram()
    assert settings.telegram_token is not None
    token = settings.telegram_token.get_secret_value()
    setup_logging(settings.log_level, settings.secret_values())
    polling = UpdatesFaults()
    requests = telegram_requests(settings, polling)  # socket options, timeouts, SMSBOT_TELEGRAM_PROXY
    builder = (
        ApplicationBuilder()
        .application_class(SmsBotApplication)
        .token(token)
        .base_url(settings.telegram_api_url)
        .base_file_url(settings.telegram_api_url.removesuffix("/bot") + "/file/bot")
        .rate_limiter(rate_limiter(settings))
        .request(requests.api)
        # a getUpdates outage is one log line, and its end another (bot.telegram.updates)
        .get_updates_request(requests.updates)
        .post_init(_opener(settings, polling, parts or Parts()))
        .post_shutdown(_close)
        .concurrent_updates(False)
    )
    for name, value in builder_options.items():
        builder = getattr(builder, name)(value)
    app = builder.build()
    app.add_error_handler(polling.on_error)  # first: run_polling's getUpdates failures stop there
    for module in HANDLER_MODULES:
        module.register(app, settings)
    return app


def _opener(settings: Settings, polling: UpdatesFaults,
            parts: Parts) -> Callable[[Application], Awaitable[None]]:  # type: ignore[type-arg]
    """post_init: the runtime opened (and attached), Telegram's command menus, the jobs."""

    async def post_init(app: Application) -> None:  # type: ignore[type-arg]
        limiter = app.bot.rate_limiter
        # one budget per group, the limiter's: the forward job spends its backlog from it
        budgets = (limiter.budgets if isinstance(limiter, GroupRateLimiter)
                   else BudgetBook(Rate.parse(settings.inbox_rate)))
        runtime = await open_runtime(app, settings, budgets=budgets, updates_faults=polling, parts=parts)
        attach(app, runtime)  # from here on post_shutdown closes it, whatever fails next
        tr = Translator(settings.language or "en")
        await app.bot.set_my_commands([BotCommand(c, tr(f"commands_{c}")) for c in COMMANDS])
        if settings.language is None:
            zh = Translator("zh")
            await app.bot.set_my_commands([BotCommand(c, zh(f"commands_{c}")) for c in COMMANDS],
                                          language_code="zh")
        schedule_jobs(app, runtime)

    return post_init


async def _close(app: Application) -> None:  # type: ignore[type-arg]
    runtime = detach(app)
    if runtime is not None:
        await runtime.close()


ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]


def run(settings: Settings) -> None:
    """`smsbot run`: long polling until SIGINT/SIGTERM."""
    app = build_application(settings)
    if not wait_for_telegram(app.bot, settings):  # stopped (SIGINT/SIGTERM) while Telegram was away
        return
    app.run_polling(allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)


async def start_in_loop(app: Application, *, poll_timeout: int = 10) -> None:  # type: ignore[type-arg]
    """What run_polling does, inside an event loop someone else runs (the demo, the tests)."""
    await app.initialize()
    await app.post_init(app)
    await app.updater.start_polling(poll_interval=0.0, timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES,
                                    error_callback=runtime_of(app).updates_faults.failed)
    await app.start()


async def stop_in_loop(app: Application) -> None:  # type: ignore[type-arg]
    """Stop in run_polling's order; post_shutdown runs even if an earlier step failed."""
    try:
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
    finally:
        await app.post_shutdown(app)
