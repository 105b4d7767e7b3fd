"""What `/ack CODE` answers: the ack it made, or what became of the alert that code was given to.

Why: a code stops taking acks once its alert is acknowledged (by SMS, or by someone else in
chat), resolved, expired or given up on. Whoever types `/ack 1` then wants to know who took it
and when, not to be told that no such alert exists.
"""

from __future__ import annotations

from datetime import datetime

from bot.i18n import Translator
from bot.store.alerts import AlertRecord
from sms_core import CST

CODE_HISTORY = 7 * 24 * 3600.0
"""How far back /ack tells what became of a code's last alert (codes are reused an hour after
their alert closed, so the newest alert given a code is the one it stood for)."""
VALUE_MAX = 300
"""Characters kept of who acknowledged (a contact's name and number, a Telegram name)."""


def past_outcome(alert: AlertRecord | None) -> str:
    """Why the code of `alert` takes no ack: already (acknowledged), resolved, closed (not sent,
    given up), expired (past the day an ack is taken), or unknown (no such alert)."""
    if alert is None:
        return "unknown"
    if alert.acked_at is not None:
        return "already"
    if alert.resolved_at is not None:
        return "resolved"
    if alert.closed_at is not None:
        return "closed"
    return "expired"


def team_time(ts: float) -> str:
    """A moment on the team's clock (China Standard Time), as the alert chat's copies show it."""
    return datetime.fromtimestamp(ts, CST).strftime("%m-%d %H:%M:%S")


def ack_answer(outcome: str, alert: AlertRecord | None, code: int, who: str, tr: Translator) -> str:
    """The answer to `/ack CODE` by `who`, given the outcome of AlertService.ack."""
    if outcome == "done":
        return tr("ack_done", code=code, who=who)
    if alert is None or outcome in ("unknown", "not_recipient"):
        return tr("ack_unknown", code=code)
    if outcome == "already" and alert.acked_at is not None:
        by = _cut(alert.acked_by or "?")
        if alert.resolved_at is not None:
            return tr("ack_already_resolved", code=code, who=by, when=team_time(alert.acked_at),
                      resolved=team_time(alert.resolved_at))
        return tr("ack_already", code=code, who=by, when=team_time(alert.acked_at))
    if outcome == "resolved" and alert.resolved_at is not None:
        return tr("ack_resolved", code=code, when=team_time(alert.resolved_at))
    if outcome == "closed":
        return tr("ack_closed", code=code)
    return tr("ack_expired", code=code, when=team_time(alert.received_at))


def _cut(text: str) -> str:
    return text if len(text) <= VALUE_MAX else text[: VALUE_MAX - 1].rstrip() + "…"
