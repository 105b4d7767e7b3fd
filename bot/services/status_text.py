"""The text of a send's status message, edited as delivery reports arrive."""

from __future__ import annotations

import html
from datetime import datetime

from bot.i18n import Html, Translator
from bot.i18n.en import MESSAGES as EN
from bot.i18n.reasons import gateway_key
from bot.store import OutcomeGroup, SendRecord
from sms_core.errors import SmsCoreError, UnknownReason
from sms_core.schedule import CST

RESEND_MAX_CHARS = 1800
"""Characters of numbers the resend command lists at most (about 150 mobile numbers): the
status message, with the SMS text and the other lines, stays within Telegram's 4,096."""


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
        parts.extend(tr("status_unknown", n=count, reason=why)
                     for count, why in _grouped(record, ("unknown",), record.unknown, tr))
    # numbers of requests the gateway refused or that failed (a later chunk, say: balance too low),
    # or that never left (the bot stopped mid-send)
    not_sent = n - record.accepted - record.rejected - record.unknown
    groups = [g for g in record.outcomes if g.state in ("failed", "refused")]
    if record.state in ("failed", "refused") and len(groups) <= 1:
        key = "status_failed" if record.state == "failed" else "status_refused"
        parts.append(tr(key, error=_why(groups[0], record, tr) if groups else error_text(record, tr)))
    elif record.state in ("partial", "unknown", "failed", "refused") and not_sent > 0:
        parts.extend(tr("status_not_sent", n=count, error=why)
                     for count, why in _grouped(record, ("failed", "refused"), not_sent, tr))
        resend = resend_line(record, tr)
        if resend:
            parts.append(resend)
    elif record.state == "partial" and record.error and not record.unknown:
        parts.append(tr("status_refused", error=error_text(record, tr)))
    if not parts:
        parts.append(tr("status_refused", error=error_text(record, tr)))
    return "\n".join(parts)


def _grouped(record: SendRecord, states: tuple[str, ...], total: int, tr: Translator) -> list[tuple[int, Html]]:
    """(count, reason) of the numbers in `states`, one per reason; one line with the send's own
    error when the groups do not account for `total` (a record summed over several sends)."""
    groups = [g for g in record.outcomes if g.state in states]
    if groups and sum(g.count for g in groups) == total:
        merged: dict[Html, int] = {}
        for g in groups:
            why = _why(g, record, tr)
            merged[why] = merged.get(why, 0) + g.count
        return [(count, why) for why, count in merged.items()]
    if states == ("unknown",) and record.error_kind not in set(UnknownReason):
        return [(total, Html(tr("gw_unknown")))]
    return [(total, error_text(record, tr))]


def _why(group: OutcomeGroup, record: SendRecord, tr: Translator) -> Html:
    if group.reason is None:  # stored before reasons were kept per number: the send's error
        if group.state == "unknown" and record.error_kind not in set(UnknownReason):
            return Html(tr("gw_unknown"))
        return error_text(record, tr)
    return gateway_reason(group.reason, group.arg, record.error or "?", tr)


def number_reason(state: str, reason: str | None, arg: str | None, record: SendRecord, tr: Translator) -> Html:
    """Why one number of `record` did not (certainly) go out, worded as its status line words it."""
    return _why(OutcomeGroup(state, reason, arg, 1), record, tr)


def resend_line(record: SendRecord, tr: Translator) -> str | None:
    """The /sms command that sends the text to the numbers that certainly did not get it.

    Offered when repeating the first command would not do: part of the send went out or may
    have. Not for an alert: the alert service sends those numbers again by itself."""
    if record.alert_id is not None or not record.not_sent or not (record.accepted or record.unknown):
        return None
    shown: list[str] = []
    length = 0
    for number in record.not_sent:
        length += len(number) + 1
        if length > RESEND_MAX_CHARS:
            break
        shown.append(number)
    at = f"at {scheduled_when(record.scheduled_at)} " if record.scheduled_at else ""
    command = f"/sms {at}{','.join(shown)}\n{record.text}"
    if len(shown) == len(record.not_sent):
        return tr("status_resend", n=len(shown), command=command)
    return tr("status_resend_part", n=len(record.not_sent), shown=len(shown),
              more=len(record.not_sent) - len(shown), command=command)


def scheduled_when(at: str | datetime) -> str:
    """A scheduled time as the status and the confirm question show it (China Standard Time)."""
    moment = datetime.fromisoformat(at) if isinstance(at, str) else at
    return moment.astimezone(CST).strftime("%Y-%m-%d %H:%M")


def error_text(record: SendRecord, tr: Translator) -> Html:
    """Why the gateway did not take a send, in the reader's language when the kind is known."""
    return gateway_reason(record.error_kind, record.error_arg, record.error or "?", tr)


def gateway_reason(kind: str | None, arg: str | None, fallback: str, tr: Translator) -> Html:
    """A gateway error worded from the catalogue by its kind (the reason code of sms_core's
    error, as a send's row keeps it), else its own text. `arg` is the forbidden word, or the
    HTTP status."""
    key = gateway_key(kind) if kind else ""
    if key in EN:
        return Html(tr(key, word=arg or "", status=arg or "?"))
    return Html(html.escape(fallback, quote=False))


def gateway_error_text(exc: SmsCoreError, tr: Translator) -> Html:
    """An sms_core error met just now (a balance read, a check), worded by its reason."""
    return gateway_reason(exc.reason, exc.reason_arg, str(exc), tr)


def cost_line(tr: Translator, numbers: int, segments: int) -> Html:
    return Html(tr("cost_line", n=numbers, segments=segments, cost=numbers * segments))
