"""The copy of each alert in SMSBOT_ALERT_CHAT_ID: what was texted, to whom, delivery, retries, ack.

The copy is posted and edited from the store (alerts.copy_version vs copy_shown,
and the sum of its sends' status_version vs copy_send_shown), by a loop of its own, so a
slow or rate-limited Telegram never delays an SMS, and a copy Telegram refused
now is shown on a later run. Edits that only move delivery counts are spaced
out (Telegram allows about 20 messages a minute into one group, edits
included); an ack, a retry or a hold-back is shown at once.

The copy is not linked as the send's status message (store.sends.set_status_message):
the forward job would overwrite it with the bare delivery line. See
`status_text`, which the forward job can use to render alert copies instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.health import HealthState
from bot.i18n import Html, Translator
from bot.services.alerts.render import alert_sms, short_label
from bot.services.status_text import render_status
from bot.store import SendRecord, Store
from bot.store.alerts import AlertItemRecord, AlertRecord
from bot.telegram.calls import TelegramDelay, call_telegram
from config import Settings
from sms_core import CST
from sms_core.backoff import Backoff

log = logging.getLogger(__name__)
COPY_BACKOFF = Backoff(first=2.0, cap=60.0)
"""Seconds before an alert copy is tried again after failures in a row: 2, 4, 8 ... 60."""
T = TypeVar("T")

COUNTS_EDIT_INTERVAL = 5.0
"""Seconds between two edits of one copy for delivery counts alone."""
POLL = 1.0
"""Seconds between looks for copies whose delivery counts moved (one indexed query)."""
WINDOW = 24 * 3600.0
"""Copies older than this are no longer edited."""
TELEGRAM_TIMEOUT = 90.0
"""A hard bound on one call, python-telegram-bot's rate limiter's waiting included."""
TELEGRAM_LIMIT = 4096
"""Characters of a message's text (tags gone, entities decoded) Telegram takes; more is a 400."""
NAME_MAX = 60
"""Characters kept of one alert's name in the copy's "Also in this SMS" line."""
VALUE_MAX = 300
"""Characters kept of any other value shown (the SMS, an error, who acknowledged)."""
_TAG = re.compile(r"<[^>]*>")


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, CST).strftime("%m-%d %H:%M:%S")


def _cut(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, an ellipsis where it was cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _short_errors(record: SendRecord) -> SendRecord:
    """The send with its error (a gateway's words) and the error's argument cut for the copy."""
    if len(record.error or "") <= VALUE_MAX and len(record.error_arg or "") <= NAME_MAX:
        return record
    return replace(record, error=_cut(record.error, VALUE_MAX) if record.error else None,
                   error_arg=_cut(record.error_arg, NAME_MAX) if record.error_arg else None)


def plain_length(rendered: str) -> int:
    """Length of an HTML message as Telegram counts it: tags gone, entities decoded, UTF-16."""
    return len(html.unescape(_TAG.sub("", rendered)).encode("utf-16-le")) // 2


def copy_text(alert: AlertRecord, items: list[AlertItemRecord], record: SendRecord | None, tr: Translator, *,
              max_per_hour: int, max_attempts: int, segments: int = 1, segment_size: int = 67,
              encoding: str = "gbk") -> str:
    """The copy's HTML. Every value is escaped by the translator.

    Every value is cut (names to NAME_MAX, the rest to VALUE_MAX), so that the copy always fits
    Telegram's 4,096 characters: a copy Telegram refuses is lost for good. Alerts whose labels
    hold hundreds of characters are common enough (a templated alertname, a long instance).
    """
    new = [i for i in items if i.outcome == "new"] or items
    sms = alert.text or alert_sms(new, alert.code, segments=segments, segment_size=segment_size, encoding=encoding)
    code = Html(tr("alert_copy_code", code=alert.code)) if alert.code is not None else ""
    lines = [tr("alert_copy_head", id=alert.id, group=_cut(alert.group_name, NAME_MAX), code=code,
                text=_cut(sms, VALUE_MAX))]
    more = ""
    if len(new) > 1:
        more = tr("alert_copy_more", names=", ".join(_cut(short_label(i), NAME_MAX) for i in new[1:6])
                  + (" …" if len(new) > 6 else ""))
        lines.append(more)
    lines.extend(status_lines(alert, record, tr, max_per_hour=max_per_hour, max_attempts=max_attempts))
    text = "\n".join(lines)
    if more and plain_length(text) > TELEGRAM_LIMIT:  # cannot happen with the cuts above; never a 400
        text = "\n".join(line for line in lines if line is not more)
    return text


def status_lines(alert: AlertRecord, record: SendRecord | None, tr: Translator, *, max_per_hour: int,
                 max_attempts: int) -> list[str]:
    """Where the alert stands: delivery, retry, hold-back, ack."""
    lines: list[str] = []
    if alert.state in ("stored", "sending") and record is None:
        lines.append(tr("alert_copy_sending"))
    elif record is not None:
        lines.append(render_status(_short_errors(record), tr))
    if alert.state == "failed" and alert.next_attempt_at is not None:
        lines.append(tr("alert_copy_retry", when=_when(alert.next_attempt_at), attempt=alert.attempts + 1,
                        max=max_attempts))
    elif alert.state == "gave_up":
        lines.append(tr("alert_copy_gave_up", attempts=alert.attempts, error=_cut(alert.error or "?", VALUE_MAX)))
    elif alert.state == "error":
        lines.append(tr("alert_copy_error", error=_cut(alert.error or "?", VALUE_MAX)))
    if alert.attempts > 1 and alert.state in ("sent", "partial"):
        lines.append(tr("alert_copy_attempts", attempts=alert.attempts))
    if alert.suppressed:
        lines.append(tr("alert_copy_capped", n=alert.suppressed, max=max_per_hour))
    if alert.acked_at is not None:
        lines.append(tr("alert_copy_acked", who=_cut(alert.acked_by or "?", VALUE_MAX), when=_when(alert.acked_at)))
    if alert.resolved_at is not None:  # acknowledged first or not
        lines.append(tr("alert_copy_resolved", when=_when(alert.resolved_at)))
    return lines


class CopyKeeper:
    """Posts and edits alert copies; its own loop, woken by the dispatcher and by acks."""

    def __init__(self, bot: Bot, settings: Settings, store: Store, health: HealthState, *, max_attempts: int,
                 running: Callable[[], bool] = lambda: True, clock: Callable[[], float] = time.time) -> None:
        self.bot = bot
        self.settings = settings
        self.store = store
        self.health = health
        self.running = running
        self.max_attempts = max_attempts
        self.clock = clock
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._resume_at = 0.0
        self._failures = 0
        self.runs = 0
        """Passes the loop finished (not those skipped while Telegram is waited out)."""

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self.settings.alert_chat_id is None:
            return
        self._stopping = False
        self._task = asyncio.create_task(self._loop(), name="alerts-copies")

    async def stop(self) -> None:
        self._stopping = True
        self.wake()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()  # a copy is at least once: one cut short is posted again later
            with contextlib.suppress(BaseException):
                await task

    async def _loop(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), POLL)
            self._wake.clear()
            if self._stopping or not self.running() or time.monotonic() < self._resume_at:
                continue
            try:
                await self.run_once()
                self._failures = 0
            except TelegramDelay as stop:
                self._failures += 1
                self._resume_at = time.monotonic() + stop.delay
                log.warning("alert copies: %s; next try in %.1f s", stop, stop.delay)
            except Exception:
                self._failures += 1
                self._resume_at = time.monotonic() + COPY_BACKOFF.delay(self._failures)
                log.exception("alert copies: run failed")
            finally:
                self.runs += 1

    async def run_once(self) -> int:
        """Post or edit every copy that is behind; returns how many Telegram accepted."""
        chat_id = self.settings.alert_chat_id
        if chat_id is None:
            return 0
        store = self.store
        done = 0
        now = self.clock()
        for alert in await store.alert_copies.dirty(now - WINDOW, limit=20):
            record = await store.alert_copies.send_totals(alert.id) if alert.send_id is not None else None
            send_version = record.status_version if record is not None else 0
            counts_only = alert.copy_version <= alert.copy_shown
            final = record is None or (record.state != "pending" and record.waiting == 0)
            if (counts_only and not final and alert.copy_edited_at is not None
                    and now - alert.copy_edited_at < COUNTS_EDIT_INTERVAL):
                continue
            items = await store.alert_intake.items(alert.id)
            text = copy_text(alert, items, record, Translator(self.settings.language or "en"),
                             max_per_hour=self.settings.alert_max_per_hour, max_attempts=self.max_attempts,
                             segments=self.settings.alert_max_segments, segment_size=self.settings.segment_size,
                             encoding=self.settings.gateway_encoding)
            if alert.copy_message_id is None:
                try:
                    msg = await self._call(self.health.refusal_noted(chat_id, lambda t=text: (
                        self.bot.send_message(chat_id, t, parse_mode=ParseMode.HTML,
                                                  disable_web_page_preview=True))))
                except BadRequest as exc:
                    if "chat not found" in str(exc).lower() or "rights" in str(exc).lower():
                        self.health.note_chat(chat_id, f"Telegram refuses the bot's messages: {exc}")
                    log.error("the copy of alert %d cannot be posted in %s (%s); not trying again",
                              alert.id, chat_id, exc)
                    await store.alert_copies.mark_shown(alert.id, alert.copy_version, send_version, self.clock())
                    continue
                await store.alert_copies.set_message(alert.id, chat_id, msg.message_id, alert.copy_version, send_version,
                                           self.clock())
            else:
                copy_chat, copy_id = alert.copy_chat_id or chat_id, alert.copy_message_id
                try:
                    await self._call(lambda t=text, c=copy_chat, m=copy_id: self.bot.edit_message_text(
                        t, c, m, parse_mode=ParseMode.HTML, disable_web_page_preview=True))
                except BadRequest as exc:
                    if "not modified" not in str(exc).lower():
                        log.warning("the copy of alert %d cannot be edited (%s); leaving it", alert.id, exc)
                await store.alert_copies.mark_shown(alert.id, alert.copy_version, send_version, self.clock())
            done += 1
        return done

    async def _call(self, fn: Callable[[], Awaitable[T]]) -> T:
        """One Telegram call; BadRequest is the caller's, anything else ends the run for a while."""
        try:
            result = await call_telegram(fn, TELEGRAM_TIMEOUT)
        except TelegramDelay as delay:
            if delay.delay is None:
                delay.delay = COPY_BACKOFF.delay(self._failures + 1)
            raise
        self.health.telegram_ok_at = time.time()
        return result
