"""Runtime: every long-lived object of one bot process, typed, opened in post_init and closed
in reverse in post_shutdown (bot.app).

Handlers and jobs reach it through `runtime_of(context)`; nothing else of the bot
lives in python-telegram-bot's bot_data. The parts are made here with their
collaborators, so a part never looks another up by name: the poller is given its
inbound hooks (the alert acks by SMS), the forwarder its budget (the rate
limiter's), the web server the alert service and the health state.

Tests and benches give their own clock, budget or hooks through `Parts`.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import Application, CallbackContext

from bot.faults import FaultLog
from bot.gateways import gateway_from_settings
from bot.health import HealthState
from bot.inbox.delivery import InboxDelivery
from bot.inbox.topics import Topics
from bot.services.access import AccessPolicy
from bot.services.address_book import AddressBook
from bot.services.alerts.acks import SmsAcks
from bot.services.alerts.copies import CopyKeeper
from bot.services.alerts.service import AlertService
from bot.services.balance import BalanceWatch
from bot.services.confirmations import Confirmations
from bot.services.forwarding import TELEGRAM_TIMEOUT, Forwarder
from bot.services.polling.handoff import InboundHook
from bot.services.polling.poller import Poller
from bot.services.polling.spool import SpoolKeeper
from bot.services.scheduled import ScheduledSends
from bot.services.sending import SendService
from bot.services.status_messages import StatusMessages
from bot.store import Store
from bot.telegram.budget import BudgetBook, Rate
from bot.telegram.calls import RoundCalls
from bot.telegram.updates import UpdatesFaults
from bot.web import HealthChecker, WebServer, build_web_app
from config import Settings
from sms_core import SmsGateway

if TYPE_CHECKING:
    from sms_core.sandbox import SandboxServer

log = logging.getLogger(__name__)

Clock = Callable[[], float]
RUNTIME_KEY = "runtime"
"""The one bot_data key: the application's Runtime, while it is open."""


@dataclass(frozen=True, slots=True)
class Parts:
    """What a test or a bench gives the runtime instead of its defaults."""

    forward_rate: Rate | None = None
    """The forwarder's own budget at this rate (default: the rate limiter's budget)."""
    forward_clock: Clock | None = None
    """The monotonic clock of the forwarder, the inbox and that budget: backoff, phones set aside."""
    confirm_clock: Clock | None = None
    """The wall clock of confirm questions: their age."""
    scheduled_clock: Clock | None = None
    """The wall clock of scheduled sends: when their hour has come, how late they are."""
    inbound_hooks: tuple[InboundHook, ...] = ()
    """More hooks for new inbound SMS, after the alert acks."""
    address_book: Callable[[Store], AddressBook] = AddressBook
    """What every part resolves contacts and groups with (a test's may fail on purpose)."""


@dataclass(frozen=True, slots=True)
class Alerts:
    """Flow 5 while the bot runs: the dispatcher and the chat copies, and its job's faults."""

    service: AlertService
    copies: CopyKeeper
    job_faults: FaultLog


@dataclass(slots=True)
class HandledUpdates:
    """The updates every handler has finished with (bot.app counts them): how many, and the
    newest update_id; updates are handled one at a time, in order."""

    count: int = 0
    newest_id: int = 0

    def note(self, update: object) -> None:
        self.count += 1
        if isinstance(update, Update):
            self.newest_id = max(self.newest_id, update.update_id)


@dataclass(eq=False)
class Runtime:
    settings: Settings
    store: Store
    gateway: SmsGateway
    sandbox: SandboxServer | None
    address_book: AddressBook
    sending: SendService
    confirmations: Confirmations
    scheduled: ScheduledSends
    access: AccessPolicy
    balance: BalanceWatch
    budgets: BudgetBook
    """Telegram's budget per group, owned by the rate limiter (bot/telegram/ratelimit.py)."""
    health: HealthState
    updates_faults: UpdatesFaults
    status_messages: StatusMessages
    forwarder: Forwarder
    alerts: Alerts
    poller: Poller
    web: WebServer
    closers: contextlib.AsyncExitStack = field(repr=False)
    """What open_runtime opened, each closer logged and suppressed on failure."""
    handled_updates: HandledUpdates = field(default_factory=HandledUpdates)

    async def close(self) -> None:
        """Everything opened, in reverse: no new alerts first, then the dispatcher lets an SMS in
        flight finish, then the gateway client, the store, the sandbox. Never raises."""
        await self.closers.aclose()


def runtime_of(where: CallbackContext[Any, Any, Any, Any] | Application[Any, Any, Any, Any, Any, Any]) -> Runtime:
    """The running bot's Runtime, from a handler's or a job's context (or the Application)."""
    app = where if isinstance(where, Application) else where.application
    runtime = app.bot_data.get(RUNTIME_KEY)
    if not isinstance(runtime, Runtime):
        raise LookupError("the bot's runtime is not open (before post_init or after post_shutdown)")
    return runtime


def attach(app: Application[Any, Any, Any, Any, Any, Any], runtime: Runtime) -> None:
    app.bot_data[RUNTIME_KEY] = runtime


def detach(app: Application[Any, Any, Any, Any, Any, Any]) -> Runtime | None:
    runtime = app.bot_data.pop(RUNTIME_KEY, None)
    return runtime if isinstance(runtime, Runtime) else None


def _logged(what: str, close: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[None]]:
    """A closer that logs its failure and lets the next closers run."""

    async def run() -> None:
        try:
            await close()
        except Exception:
            log.exception("closing %s failed", what)

    return run


async def open_runtime(app: Application[Any, Any, Any, Any, Any, Any], settings: Settings, *,
                       budgets: BudgetBook, updates_faults: UpdatesFaults, parts: Parts = Parts(),
                       exclusive: bool = True) -> Runtime:
    """Open every part in order; on a failure, close what was opened and raise."""
    async with contextlib.AsyncExitStack() as stack:
        store = Store(settings.database_path, exclusive=exclusive)
        await store.open()
        stack.push_async_callback(_logged("the store", store.close))
        gateway, sandbox = gateway_from_settings(settings)
        if sandbox is not None:
            stack.callback(sandbox.stop)
        await gateway.__aenter__()
        stack.push_async_callback(_logged("the gateway client", lambda: gateway.__aexit__(None, None, None)))

        interrupted = await store.sends.settle_interrupted()
        if interrupted:
            log.warning("sends interrupted by the last stop: %s; the chunk in flight of each is marked unknown "
                        "(never retried), the chunks never started not sent", interrupted)
        health = HealthState(telegram_ok_at=time.time())  # initialize() has just called getMe
        address_book = parts.address_book(store)
        sending = SendService(store, gateway, address_book, encoding=settings.gateway_encoding,
                              segment_size=settings.segment_size)
        balance = BalanceWatch(settings, store, gateway)
        confirmations = Confirmations(store, settings.confirm_threshold, balance,
                                      clock=parts.confirm_clock or time.time)
        scheduled = ScheduledSends(store, sending, clock=parts.scheduled_clock or time.time)
        status_messages = StatusMessages(store, sending)

        forward_clock = parts.forward_clock or time.monotonic
        if parts.forward_rate is not None:
            budgets = BudgetBook(parts.forward_rate, clock=forward_clock)
        calls = RoundCalls(TELEGRAM_TIMEOUT)
        inbox = InboxDelivery(store, Topics(store, health, calls, clock=forward_clock), budgets, health, calls,
                              language=settings.language, clock=forward_clock)
        forwarder = Forwarder(store, settings.inbox_chat_id, inbox, status_messages, budgets, calls,
                              clock=forward_clock)

        alert_service = AlertService(settings, store, address_book, sending)
        copies = CopyKeeper(app.bot, settings, store, health, max_attempts=alert_service.max_attempts,
                            running=lambda: app.running)
        alert_service.on_change = copies.wake
        await alert_service.start()
        stack.push_async_callback(_logged("the alert dispatcher", alert_service.stop))
        copies.start()
        stack.push_async_callback(_logged("the alert copies", copies.stop))
        alerts = Alerts(alert_service, copies, FaultLog(logging.getLogger("bot.jobs.alerts"), "alerts job"))

        poller = Poller(store, gateway, health, settings.poll_interval, read_timeout=settings.poll_timeout,
                        inbox_chat_id=settings.inbox_chat_id,
                        hooks=(SmsAcks(alert_service, store), *parts.inbound_hooks),
                        keeper=SpoolKeeper.beside(settings.database_path))
        _say_where_inbound_goes(settings)

        host, port = settings.listen_host_port
        checker = HealthChecker(app.bot, settings, store, health)
        web = WebServer(build_web_app(settings, store, alert_service, checker), host, port)
        await web.start()
        stack.push_async_callback(_logged("the HTTP server", web.stop))

        runtime = Runtime(
            settings=settings, store=store, gateway=gateway, sandbox=sandbox, address_book=address_book,
            sending=sending, confirmations=confirmations, scheduled=scheduled,
            access=AccessPolicy.from_settings(settings), balance=balance, budgets=budgets, health=health,
            updates_faults=updates_faults, status_messages=status_messages, forwarder=forwarder,
            alerts=alerts, poller=poller, web=web, closers=stack.pop_all())
    return runtime


def _say_where_inbound_goes(settings: Settings) -> None:
    inbox = settings.inbox_chat_id
    if inbox is None:
        log.warning("SMSBOT_INBOX_CHAT_ID is not set: inbound SMS are kept in the store (and logged) "
                    "and forwarded once it is set")
    else:
        log.info("inbound SMS go to the inbox chat %d, one topic per phone where it is a forum", inbox)
