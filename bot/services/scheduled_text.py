"""The words of scheduled sends: their status message while held, /scheduled, a missed send."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.i18n import Html, Translator
from bot.services.status_text import RESEND_MAX_CHARS, cost_line, scheduled_when
from bot.store import HeldSend
from sms_core.schedule import CST

LIST_LIMIT = 10
"""Held sends one /scheduled answer lists (each with its Cancel button); it says how many more."""
TEXT_SHOWN = 100
"""Characters of each text /scheduled shows: ten sends stay well within Telegram's 4,096."""
TARGETS_SHOWN = 5
"""Recipients /scheduled names per send; the rest are counted."""


def when(held: HeldSend) -> str:
    return scheduled_when(datetime.fromtimestamp(held.due_at, CST))


def asker(held: HeldSend) -> str:
    return held.user_name or str(held.user_id)


def held_status(held: HeldSend, tr: Translator) -> str:
    """The status message of a held send: scheduled, not sent yet, what it will cost."""
    return tr("held_status", when=when(held), cost=cost_line(tr, len(held.numbers), held.segments))


def held_cancelled(held: HeldSend, tr: Translator) -> str:
    return tr("held_cancelled", when=when(held), who=held.closed_by_name or str(held.closed_by or "?"))


def held_missed(held: HeldSend, tr: Translator, grace: float) -> str:
    return tr("held_missed", when=when(held), grace=round(grace / 60))


def missed_notice(held: HeldSend, tr: Translator, grace: float) -> str:
    """Tells the asker, by name, that a send was not made, and how to make it now."""
    late = max(round(((held.closed_at or held.due_at) - held.due_at) / 60), 1)
    text = tr("scheduled_missed_notice", who=asker(held), when=when(held), n=len(held.numbers), late=late,
              grace=round(grace / 60))
    numbers = ",".join(held.numbers)
    if len(numbers) <= RESEND_MAX_CHARS:
        text += "\n" + tr("scheduled_missed_command", command=f"/sms {numbers}\n{held.text}")
    return text


def targets(numbers: Sequence[str], names: Mapping[str, str], tr: Translator) -> Html:
    """The first recipients by their address-book name (else the number), and how many more."""
    shown = [html.escape(names.get(n, n), quote=False) for n in numbers[:TARGETS_SHOWN]]
    out = ", ".join(shown)
    if len(numbers) > TARGETS_SHOWN:
        out += " " + tr("scheduled_targets_more", n=len(numbers) - TARGETS_SHOWN)
    return Html(out)


def listing(helds: Sequence[HeldSend], names: Mapping[str, str], tr: Translator, more: int = 0) -> str:
    """/scheduled: each held send with its time, recipients, cost, asker and text."""
    if not helds:
        return tr("scheduled_empty")
    lines = []
    for held in helds:
        text = held.text if len(held.text) <= TEXT_SHOWN else held.text[:TEXT_SHOWN - 1] + "…"
        lines.append(tr("scheduled_line", id=held.id, when=when(held), targets=targets(held.numbers, names, tr),
                        cost=held.cost, who=asker(held), text=text))
    out = tr("scheduled_list", lines=Html("\n".join(lines)))
    if more:
        out += "\n" + tr("scheduled_more", n=more)
    return out
