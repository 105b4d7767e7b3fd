"""A phone's backlog joined into as few Telegram messages as fit.

Telegram allows about 20 messages a minute into one group; a phone that sends
thirty SMS while the budget is spent gets them in one or two messages, each SMS
a line with its time. Every value is escaped by the translator (HTML parse mode).
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.i18n import Html, Translator
from bot.store import InboundRecord
from sms_core import CST

TEXT_LIMIT = 3800
"""Characters of one message after entities (Telegram: 4,096); the rest is margin."""

_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True, slots=True)
class Packed:
    """One Telegram message of a phone's backlog: its HTML and the SMS it completes."""

    html: str
    done: tuple[int, ...]


def plain_length(rendered: str) -> int:
    """Length of an HTML message as Telegram counts it: tags gone, entities decoded, UTF-16."""
    text = html.unescape(_TAG.sub("", rendered))
    return len(text.encode("utf-16-le")) // 2


def plain_text(rendered: str) -> str:
    """The same message without markup: a last resort that never fails to parse."""
    return html.unescape(_TAG.sub("", rendered))


def sender_label(phone: str, contact_name: str | None) -> str:
    """Plain text (no HTML): a topic title or a header's sender, 1 to 128 characters."""
    label = f"{contact_name} {phone}" if contact_name else phone
    return (label.strip() or "?")[:128]


def pack(records: Sequence[InboundRecord], tr: Translator, *, header_for: str | None = None,
         limit: int = TEXT_LIMIT, now: float | None = None) -> list[Packed]:
    """Join one phone's consecutive SMS into messages of at most `limit` characters.

    Each line is the SMS's time and its escaped text. With `header_for` (an inbox
    that is no forum) every message starts with the sender and the time. A text
    too long for one message (never from a real gateway) is split over several;
    its SMS counts as done with the last piece.
    """
    now = time.time() if now is None else now
    out: list[Packed] = []
    lines: list[str] = []
    done: list[int] = []
    head = ""
    used = 0

    def flush() -> None:
        nonlocal lines, done, head, used
        if lines:
            out.append(Packed("\n".join([head, *lines] if head else lines), tuple(done)))
        lines, done, head, used = [], [], "", 0

    for record in records:
        when = _when(record.received_at, now)
        pieces = _pieces(record.text, limit // 2) if record.text else [""]
        for i, piece in enumerate(pieces):
            text = Html(tr("inbound_empty")) if not record.text else piece
            line = tr("inbound_line", when=when, text=text)
            size = plain_length(line) + 1
            if lines and used + size > limit:
                flush()
            if not lines and header_for is not None:
                head = tr("inbound_header", sender=header_for, when=when)
                used = plain_length(head) + 1
            lines.append(line)
            used += size
            if i == len(pieces) - 1:
                done.append(record.id)
    flush()
    return out


def _when(ts: float, now: float) -> str:
    at = datetime.fromtimestamp(ts, CST)
    same_day = at.date() == datetime.fromtimestamp(now, CST).date()
    return at.strftime("%H:%M:%S" if same_day else "%m-%d %H:%M")


def _pieces(text: str, size: int) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]
