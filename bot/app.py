"""The composition root: builds python-telegram-bot's Application from Settings.

Clients are opened in post_init and closed in post_shutdown, so nothing is left
open when the bot stops, and a second bot on the same store refuses to start.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

from telegram import BotCommand
from telegram.ext import Application, ApplicationBuilder

from bot.handlers import ack, balance, basic, contacts, contacts_file, history, reply, sms
from bot.i18n import Translator
from bot.jobs import hold_jobs, schedule_jobs
from bot.jobs.forward import FORWARDER, Forwarder
from bot.logsetup import setup_logging
from bot.services import open_services
from bot.telegram.budget import Rate
from bot.telegram.ratelimit import GroupRateLimiter
from bot.updates import (
    UPDATES_FAULTS,
    UpdatesFaults,
    WatchedRequest,
    on_polling_error,
    updates_faults,
)
from config import Settings

log = logging.getLogger(__name__)

COMMANDS = ("sms", "balance", "history", "contacts", "groups", "contact", "group", "ack", "id", "help")
# reply: two-way SMS in the inbox; ack: the alerts webhook, its jobs and /ack;
# contacts_file takes /contacts import|export (and CSV documents) before contacts' /contacts
HANDLER_MODULES = [basic, sms, balance, contacts_file, contacts, history, reply, ack]
_NODELAY = ((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),)


def rate_limiter(settings: Settings) -> GroupRateLimiter:
    """Telegram's limits, with retries: SMSBOT_INBOX_RATE messages per group in any window,
    answers at once while there is room; the forward job spends the same budget (_post_init)."""
    return GroupRateLimiter(Rate.parse(settings.inbox_rate))


class SmsBotApplication(Application):  # type: ignore[type-arg]
    """python-telegram-bot's Application, but no job starts once stopping began (bot.jobs.hold_jobs)."""

    async def stop(self) -> None:
        hold_jobs(self)
        await super().stop()


def build_application(settings: Settings, **builder_options: Any) -> Application:  # type: ignore[type-arg]
    settings.require_telegram()
    assert settings.telegram_token is not None
    token = settings.telegram_token.get_secret_value()
    setup_logging(settings.log_level, settings.secret_values())
    polling = UpdatesFaults()
    builder = (
        ApplicationBuilder()
        .application_class(SmsBotApplication)
        .token(token)
        .base_url(settings.telegram_api_url)
        .base_file_url(settings.telegram_api_url.removesuffix("/bot") + "/file/bot")
        .rate_limiter(rate_limiter(settings))
        # httpx writes a POST's headers and body separately; without TCP_NODELAY, Nagle's
        # algorithm and the peer's delayed ACK add ~40 ms to every Bot API call.
        .socket_options(_NODELAY)
        # a getUpdates outage is one log line, and its end another (bot.updates)
        .get_updates_request(WatchedRequest(polling, connection_pool_size=1, socket_options=_NODELAY))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .concurrent_updates(False)
    )
    for name, value in builder_options.items():
        builder = getattr(builder, name)(value)
    app = builder.build()
    app.bot_data["settings"] = settings
    app.bot_data[UPDATES_FAULTS] = polling
    app.add_error_handler(on_polling_error)  # first: run_polling's getUpdates failures stop there
    for module in HANDLER_MODULES:
        module.register(app)
    return app



async def _post_init(app: Application) -> None:  # type: ignore[type-arg]
    settings: Settings = app.bot_data["settings"]
    services = await open_services(settings)
    app.bot_data["services"] = services
    limiter = app.bot.rate_limiter
    if isinstance(limiter, GroupRateLimiter):
        # one budget per group, the limiter's: the forward job spends its backlog from it
        services.extras[FORWARDER] = Forwarder(budgets=limiter.budgets)
    interrupted = await services.store.settle_interrupted_sends()
    if interrupted:
        log.warning("sends interrupted by the last stop: %s; the chunk in flight of each is marked unknown "
                    "(never retried), the chunks never started not sent", interrupted)
    tr = Translator(settings.language or "en")
    commands = [BotCommand(c, tr(f"commands_{c}")) for c in COMMANDS]
    await app.bot.set_my_commands(commands)
    if settings.language is None:
        zh = Translator("zh")
        await app.bot.set_my_commands([BotCommand(c, zh(f"commands_{c}")) for c in COMMANDS], language_code="zh")
    schedule_jobs(app)
    for hook in app.bot_data.get("post_init_hooks", []):
        await hook(app, services)


async def _post_shutdown(app: Application) -> None:  # type: ignore[type-arg]
    services = app.bot_data.get("services")
    for hook in app.bot_data.get("post_shutdown_hooks", []):
        try:
            await hook(app, services)
        except Exception:
            log.exception("shutdown hook failed")
    if services is not None:
        await services.close()


ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]


def run(settings: Settings) -> None:
    """`smsbot run`: long polling until SIGINT/SIGTERM."""
    app = build_application(settings)
    app.run_polling(allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)


async def start_in_loop(app: Application, *, poll_timeout: int = 10) -> None:  # type: ignore[type-arg]
    """What run_polling does, inside an event loop someone else runs (the demo, the tests)."""
    await app.initialize()
    await app.post_init(app)
    await app.updater.start_polling(poll_interval=0.0, timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES,
                                    error_callback=updates_faults(app.bot_data).failed)
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
