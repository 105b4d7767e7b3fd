"""What became of each number of a send (/history #ID, the Details button under a status
message), and of one number in each of its sends (/history NUMBER).

A status message counts ("delivered 8/10 · failed 2"); these name the numbers, with the
contact each has in the address book, its state, when its report came and why it failed.
A send's numbers are shown failures first, grouped by state and reason (the reason once per
group), PAGE_SIZE to a page so that a page stays within Telegram's 4,096 characters.
"""

from __future__ import annotations

import enum
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.errors import Reason, Refusal
from bot.i18n import Html, Translator
from bot.services.status_text import number_reason
from bot.store import NumberOutcome, SendRecord
from bot.store.interface import Contacts, Sends
from sms_core.models import ReportStatus
from sms_core.schedule import CST

PAGE_SIZE = 40
"""Numbers on one page: 40 lines of a number, a name and a time, with the headings, fit in
Telegram's 4,096 characters."""

MESSAGE_LIMIT = 4096
TEXT_SHOWN = 80
"""Characters of the SMS text a page repeats (its first line shows which send it is)."""

CALLBACK_PREFIX = "sd:"
"""Callback data of the Details button (`sd:ID`: a new message with page 1) and of the pages'
Prev/Next buttons (`sd:ID:PAGE`: that message shows PAGE)."""

_CALLBACK_RE = re.compile(r"sd:([1-9]\d{0,17})(?::([1-9]\d{0,5}))?")


class Kind(enum.Enum):
    """What became of a number, in the order a send's page lists them."""

    FAILED = "failed"  # the carrier reported it undelivered
    NOT_SENT = "not_sent"  # its request was refused, or failed: certainly not sent
    UNKNOWN = "unknown"  # its request may have arrived: never retried
    WAITING = "waiting"  # accepted, no final report yet
    SENDING = "sending"  # the send is still going out
    DELIVERED = "delivered"


_ORDER = {kind: i for i, kind in enumerate(Kind)}


def kind_of(number: NumberOutcome) -> Kind:
    if number.report_status == ReportStatus.FAILED:
        return Kind.FAILED
    if number.report_status == ReportStatus.DELIVERED:
        return Kind.DELIVERED
    if number.state in ("failed", "refused"):
        return Kind.NOT_SENT
    if number.state == "unknown":
        return Kind.UNKNOWN
    if number.state in ("pending", "sending"):
        return Kind.SENDING
    return Kind.WAITING


def reason_of(number: NumberOutcome, record: SendRecord, tr: Translator) -> Html | None:
    """Why the number did not arrive, or may not have: the report's failure, or the reason its
    request was refused or has an unknown outcome. None for the others."""
    kind = kind_of(number)
    if kind is Kind.FAILED:
        return Html(tr("report_failed_reason", status=int(ReportStatus.FAILED)))
    if kind in (Kind.NOT_SENT, Kind.UNKNOWN):
        return number_reason(number.state, number.reason, number.reason_arg, record, tr)
    return None


def when(ts: float) -> str:
    """A time as /history shows it (China Standard Time)."""
    return datetime.fromtimestamp(ts, CST).strftime("%m-%d %H:%M")


def named(phone: str, names: Mapping[str, str]) -> str:
    """Plain text: a number with its contact's name where the address book has one."""
    name = names.get(phone)
    return f"{name} ({phone})" if name else phone


def shorten(text: str, size: int = TEXT_SHOWN) -> str:
    return text if len(text) <= size else text[:size - 1] + "…"


# -- one send, number by number ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DetailPage:
    """One page of a send's numbers, as Telegram HTML, with the buttons to the others."""

    send_id: int
    page: int
    pages: int
    text: str

    def markup(self, tr: Translator) -> InlineKeyboardMarkup | None:
        """Prev/Next, where there is another page."""
        buttons = []
        if self.page > 1:
            buttons.append(InlineKeyboardButton(tr("prev_button"), callback_data=page_data(self.send_id, self.page - 1)))
        if self.page < self.pages:
            buttons.append(InlineKeyboardButton(tr("next_button"), callback_data=page_data(self.send_id, self.page + 1)))
        return InlineKeyboardMarkup([buttons]) if buttons else None


def page_count(numbers: int) -> int:
    return max(1, -(-numbers // PAGE_SIZE))


def render_detail(record: SendRecord, numbers: Sequence[NumberOutcome], names: Mapping[str, str],
                  page: int, tr: Translator) -> DetailPage:
    """Page `page` (from 1) of the send's numbers: failures first, grouped by state and reason,
    each group in send order under a heading with its count and reason."""
    pages = page_count(len(numbers))
    if not 1 <= page <= pages:
        raise Refusal(Reason.DETAIL_NO_PAGE, id=record.id, page=page, pages=pages)
    groups: dict[tuple[Kind, str], list[NumberOutcome]] = {}
    for number in numbers:
        why = reason_of(number, record, tr) or ""
        groups.setdefault((kind_of(number), why), []).append(number)
    ordered = sorted(groups.items(), key=lambda item: _ORDER[item[0][0]])  # stable: reasons as first met
    flat = [(key, number) for key, members in ordered for number in members]
    shown = flat[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]

    lines = [_head(record, tr)]
    if record.rejected:
        lines.append(tr("status_rejected", rejected=record.rejected))
    current: tuple[Kind, str] | None = None
    for key, number in shown:
        if key != current:
            current = key
            kind, why = key
            lines.append("")
            lines.append(tr(f"detail_{kind.value}", n=len(groups[key]), reason=Html(why)))
        lines.append(_number_line(number, names))
    if pages > 1:
        lines.append("")
        lines.append(tr("detail_page", page=page, pages=pages, id=record.id))
    return DetailPage(record.id, page, pages, _fit(lines))


def _head(record: SendRecord, tr: Translator) -> str:
    by = tr("detail_by", who=record.user_name) if record.user_name else ""
    return tr("detail_head", id=record.id, when=when(record.created_at), by=by, state=tr(f"state_{record.state}"),
              n=record.recipients, delivered=record.delivered, accepted=record.accepted,
              failed=Html(tr("status_failed_part", failed=record.failed) if record.failed else ""),
              text=shorten(record.text))


def _number_line(number: NumberOutcome, names: Mapping[str, str]) -> str:
    line = f"<code>{number.phone}</code>"
    name = names.get(number.phone)
    if name:
        line += " " + html.escape(name, quote=False)
    if number.reported_at is not None and number.report_status in (ReportStatus.DELIVERED, ReportStatus.FAILED):
        line += " · " + when(number.reported_at)
    return line


_TAG = re.compile(r"<[^>]*>")


def plain_length(rendered: str) -> int:
    """Length of an HTML message as Telegram counts it: tags gone, entities decoded, UTF-16."""
    return len(html.unescape(_TAG.sub("", rendered)).encode("utf-16-le")) // 2


def _fit(lines: list[str]) -> str:
    """Whole lines dropped from the end (each line is whole HTML) until Telegram takes it: only
    an address book of very long names could make a page of PAGE_SIZE numbers longer."""
    text = "\n".join(lines)
    if plain_length(text) <= MESSAGE_LIMIT:
        return text
    kept = list(lines)
    while len(kept) > 1 and plain_length("\n".join([*kept, "…"])) > MESSAGE_LIMIT:
        kept.pop()
    return "\n".join([*kept, "…"])


async def send_detail(sends: Sends, contacts: Contacts, send_id: int, page: int, tr: Translator) -> DetailPage:
    """Page `page` of send `send_id`; a Refusal when there is no such send or page."""
    record = await sends.get(send_id)
    if record is None:
        raise Refusal(Reason.DETAIL_NO_SEND, id=send_id)
    numbers = await sends.numbers(send_id)
    names = await contacts.names_for([n.phone for n in numbers])
    return render_detail(record, numbers, names, page, tr)


# -- the buttons ------------------------------------------------------------------------------


def details_data(send_id: int) -> str:
    return f"{CALLBACK_PREFIX}{send_id}"


def page_data(send_id: int, page: int) -> str:
    return f"{CALLBACK_PREFIX}{send_id}:{page}"


def parse_callback(data: str) -> tuple[int, int | None] | None:
    """(send id, page) of a page's button, (send id, None) of a Details button; None if neither."""
    match = _CALLBACK_RE.fullmatch(data)
    if match is None:
        return None
    return int(match[1]), int(match[2]) if match[2] else None


def status_markup(send_id: int, tr: Translator) -> InlineKeyboardMarkup:
    """The Details button under a send's status message; every edit of the message repeats it
    (an edit without a keyboard removes it)."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(tr("details_button"), callback_data=details_data(send_id))]])


# -- one number, send by send ----------------------------------------------------------------


def number_state(number: NumberOutcome, record: SendRecord, tr: Translator) -> str:
    """What became of one number in one send: its state, when its report came, why it failed."""
    kind = kind_of(number)
    at = when(number.reported_at) if number.reported_at is not None else "?"
    return tr(f"number_{kind.value}", when=at, reason=reason_of(number, record, tr) or "")


async def phone_history(sends: Sends, contacts: Contacts, phone: str, tr: Translator, limit: int = 10) -> str | None:
    """The newest sends to `phone`, each with what became of that number; None when there are none."""
    outcomes = {o.send_id: o for o in await sends.phone_outcomes(phone, limit)}
    records = await sends.history([phone], limit)
    if not records:
        return None
    names = await contacts.names_for([phone])
    lines = [
        tr("history_number_line", id=r.id, when=when(r.created_at), text=shorten(r.text),
           state=Html(number_state(outcomes[r.id], r, tr)))
        for r in records if r.id in outcomes
    ]
    return tr("history_for", who=named(phone, names), lines=Html("\n\n".join(lines)))


async def target_names(contacts: Contacts, records: Sequence[SendRecord], sends: Sends,
                       shown: int = 3) -> dict[int, str]:
    """For /history: the first `shown` numbers of each send, named, and how many more."""
    firsts: dict[int, list[str]] = {}
    more: dict[int, int] = {}
    for record in records:
        numbers = await sends.recipients(record.id)
        firsts[record.id] = [r.phone for r in numbers[:shown]]
        more[record.id] = max(len(numbers) - shown, 0)
    names = await contacts.names_for([p for phones in firsts.values() for p in phones])
    return {send_id: ", ".join(named(p, names) for p in phones) + (f" +{more[send_id]}" if more[send_id] else "")
            for send_id, phones in firsts.items()}
