"""The text of a send's status message, edited as delivery reports arrive."""

from __future__ import annotations

import html
from datetime import datetime

from bot.i18n import Html, Translator
from bot.i18n.en import MESSAGES as EN
from bot.store import SendRecord
from sms_core.schedule import CST


def render_status(record: SendRecord, tr: Translator) -> str:
    n = record.recipients
    parts: list[str] = []
    if record.state == "pending":
        return tr("status_pending", n=n)
    if record.state in ("accepted", "partial") and record.accepted:
        line = tr("status_sent", n=record.accepted, segments=record.segments, cost=record.cost,
                  delivered=record.delivered)
        if record.failed:
            line += tr("status_failed_part", failed=record.failed)
        if record.scheduled_at:
            line += tr("status_scheduled_part", when=scheduled_when(record.scheduled_at))
        if record.waiting == 0:  # a scheduled send too, once its reports came in
            line += tr("status_all_in")
        parts.append(line)
        if record.rejected:
            parts.append(tr("status_rejected", rejected=record.rejected))
    if record.unknown:
        parts.append(tr("status_unknown", n=record.unknown))
    # numbers of requests the gateway refused or that failed (a later chunk, say: balance too low)
    not_sent = n - record.accepted - record.rejected - record.unknown
    if record.state in ("failed", "refused"):
        key = "status_failed" if record.state == "failed" else "status_refused"
        parts.append(tr(key, error=error_text(record, tr)))
    elif record.state == "partial" and not_sent > 0:
        parts.append(tr("status_not_sent", n=not_sent, error=error_text(record, tr)))
    elif record.state == "partial" and record.error and not record.unknown:
        parts.append(tr("status_refused", error=error_text(record, tr)))
    if not parts:
        parts.append(tr("status_refused", error=error_text(record, tr)))
    return "\n".join(parts)


def scheduled_when(at: str | datetime) -> str:
    """A scheduled time as the status and the confirm question show it (China Standard Time)."""
    moment = datetime.fromisoformat(at) if isinstance(at, str) else at
    return moment.astimezone(CST).strftime("%Y-%m-%d %H:%M")


def error_text(record: SendRecord, tr: Translator) -> Html:
    """Why the gateway did not take a send, in the reader's language when the kind is known."""
    return gateway_reason(record.error_kind, record.error_arg, record.error or "?", tr)


def gateway_reason(kind: str | None, arg: str | None, fallback: str, tr: Translator) -> Html:
    """A gateway error worded from the catalogue by its kind (class name), else its own text."""
    key = f"gw_{kind}"
    if kind and key in EN:
        return Html(tr(key, word=arg or ""))
    return Html(html.escape(fallback, quote=False))


def cost_line(tr: Translator, numbers: int, segments: int) -> Html:
    return Html(tr("cost_line", n=numbers, segments=segments, cost=numbers * segments))
