"""Alerts in the bot: /ack CODE, acks by SMS, the webhook server, the dispatcher and its retry job.

`register` wires everything through the composition root's extension points:
post_init/post_shutdown hooks start and stop the HTTP server and the alert
loops, the poll job's inbound hook turns an SMS "1" (or "ack 1") from a
recipient into an acknowledgement, and a JobQueue job retries what the gateway
did not take and sends the hourly cap's summaries.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.alerts.ack_status import ack_answer
from bot.alerts.copies import CopyKeeper
from bot.alerts.service import AlertService
from bot.faults import fault_kind, faults_of
from bot.handlers.common import Context, answer, svc, translator, user_label
from bot.jobs import JOB_KWARGS
from bot.services import Services
from bot.store import InboundRecord
from bot.web import HealthChecker, WebServer, build_web_app

log = logging.getLogger(__name__)

ALERTS = "alerts"
COPIES = "alert_copies"
WEB = "web"
RETRY_INTERVAL = 10.0
_ACK_SMS = re.compile(r"^\s*(?:ack|ok|确认|收到)?\s*#?\s*(\d{1,6})\s*[.!。！]?\s*$", re.IGNORECASE)
_ACK_ARG = re.compile(r"^#?(\d{1,6})$")


def parse_ack_sms(text: str) -> int | None:
    """"1", " 1 ", "ack 1", "ACK #1", "确认1" -> 1; anything else is no ack."""
    m = _ACK_SMS.match(text or "")
    return int(m.group(1)) if m else None


def alert_service(services: Services) -> AlertService | None:
    return services.extras.get(ALERTS)


async def ack_command(update: Update, context: Context) -> None:
    """/ack CODE: acknowledge an open alert (allowed chats only: the guard ran before)."""
    tr = translator(update, context)
    args = context.args or []
    m = _ACK_ARG.match(args[0]) if len(args) == 1 else None
    if m is None:
        await answer(update, tr("ack_usage"))
        return
    service = alert_service(svc(context))
    code = int(m.group(1))
    if service is None:
        await answer(update, tr("ack_unknown", code=code))
        return
    who = user_label(update) or "?"
    result = await service.ack(code, who)
    await answer(update, ack_answer(result.outcome, result.alert, code, who, tr))


async def ack_by_sms(app: Application, services: Services, records: list[InboundRecord]) -> None:  # type: ignore[type-arg]
    """Inbound hook: an SMS that is an alert's code, from one of its recipients, acknowledges it."""
    service = alert_service(services)
    if service is None:
        return
    for record in records:
        code = parse_ack_sms(record.text)
        if code is None:
            continue
        try:
            contact = await services.store.contact_for_phone(record.phone)
            who = f"{contact.name} ({record.phone})" if contact else record.phone
            result = await service.ack(code, who, phone=record.phone)
        except Exception:  # one bad SMS must not keep the others from being acks
            log.exception("SMS ack from %s failed", record.phone)
            continue
        if result.outcome != "done":
            log.info("SMS '%s' from %s is no ack (%s)", record.text[:20], record.phone, result.outcome)


async def alerts_job(context: Context) -> None:
    """JobQueue: retries that came due, cap summaries, housekeeping. Never raises."""
    service = alert_service(svc(context))
    if service is None:
        return
    try:
        await service.run_due()
        await service.prune()
    except Exception as exc:  # the store failed, or a bug: one line per kind; the next run tries again
        faults_of(svc(context).extras, log, "alerts job").failed(
            fault_kind(exc), f"failed ({fault_kind(exc)})", exc=exc, level=logging.ERROR, next_try=RETRY_INTERVAL)
    else:
        faults_of(svc(context).extras, log, "alerts job").recovered()


async def start_alerts(app: Application, services: Services) -> None:  # type: ignore[type-arg]
    """post_init hook: the dispatcher, the chat copies, the HTTP server, the retry job."""
    services.extras["telegram_ok_at"] = time.time()  # initialize() has just called getMe
    service = AlertService(services)
    copies = CopyKeeper(app, services, max_attempts=service.max_attempts)
    service.on_change = copies.wake
    services.extras[ALERTS] = service
    services.extras[COPIES] = copies
    await service.start()
    copies.start()
    host, port = services.settings.listen_host_port
    web = WebServer(build_web_app(services, service, HealthChecker(app.bot, services)), host, port)
    try:
        await web.start()
    except Exception:
        await stop_alerts(app, services)
        raise
    services.extras[WEB] = web
    if app.job_queue is not None:
        app.job_queue.run_repeating(alerts_job, interval=RETRY_INTERVAL, first=RETRY_INTERVAL, name="alerts",
                                    job_kwargs=JOB_KWARGS)


async def stop_alerts(app: Application, services: Services | None) -> None:  # type: ignore[type-arg]
    """post_shutdown hook: no new alerts first, then let an SMS in flight finish."""
    if services is None:
        return
    web: Any = services.extras.pop(WEB, None)
    if web is not None:
        await web.stop()
    copies: Any = services.extras.pop(COPIES, None)
    if copies is not None:
        await copies.stop()
    service = services.extras.pop(ALERTS, None)
    if service is not None:
        await service.stop()


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("ack", ack_command))
    app.bot_data.setdefault("post_init_hooks", []).append(start_alerts)
    app.bot_data.setdefault("post_shutdown_hooks", []).append(stop_alerts)
    app.bot_data.setdefault("inbound_hooks", []).append(ack_by_sms)
