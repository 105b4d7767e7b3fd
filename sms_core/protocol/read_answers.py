"""The reads' answers: delivery reports, inbound SMS and the balance, and the reads' codes.

A read's codes are not the send's: -3 means "busy, ask again" here, -1 an unknown
account. A page that declares a wrong count keeps its records; a record that cannot
be read raises, with the readable ones as the error's `partial`, because a read
takes its records off the gateway for good.
"""

from __future__ import annotations

import re

from sms_core.errors import POLL_ERRORS, GatewayBusy, GatewayProtocolError
from sms_core.models import DeliveryReport, InboundPage, InboundSms, ReportPage
from sms_core.protocol.body import (
    STRIP,
    decode_body,
    decode_poll_body,
    excerpt,
    read_int,
    unexpected,
)


def _read_code(text: str, head: str, has_records: bool) -> int:
    """The count before the first bar of a read; error codes raise (-3 = busy on reads)."""
    n = read_int(head)
    if n is None:
        raise unexpected(text)
    if n < 0:
        if not has_records:
            if n == -3:
                raise GatewayBusy(-3)
            if n in POLL_ERRORS:
                raise POLL_ERRORS[n]()
        raise unexpected(text)
    return n


def parse_reports(body: bytes | str, encoding: str = "gbk") -> ReportPage:
    """`N|id;phone;status|...` -> ReportPage. A wrong N keeps the records (see count_mismatch).

    Whitespace around a record or a field, and empty records (a trailing or doubled
    bar), are tolerated. A record that cannot be read -- cut short, empty fields, a
    status other than the documented -1, 10 and 20 -- raises rather than being
    skipped, with the records that can be read as the error's `partial`: the caller
    keeps those and the raw body.
    """
    return _read_reports(decode_poll_body(body, encoding, _read_reports))


_REPORT_STATUS = {"-1": -1, "10": 10, "20": 20}


def _read_reports(text: str) -> ReportPage:
    """parse_reports of a decoded answer, record by record."""
    head, bar, rest = text.partition("|")
    declared = _read_code(text, head, bool(bar))
    reports = []
    unreadable: str | None = None
    for record in rest.split("|") if bar else ():
        record = record.strip(STRIP)
        if not record:
            continue  # a trailing or doubled bar
        fields = [f.strip(STRIP) for f in record.split(";")]
        status = _REPORT_STATUS.get(fields[2]) if len(fields) == 3 else None
        if status is None or not fields[0] or not fields[1]:
            unreadable = record if unreadable is None else unreadable
            continue
        reports.append(DeliveryReport(sms_id=fields[0], phone=fields[1], status=status))
    page = ReportPage(reports=tuple(reports), declared=declared)
    if unreadable is not None:
        raise GatewayProtocolError("unreadable delivery report", excerpt(unreadable), partial=page)
    return page


INBOUND_PREFIX = r"(?P<id>[0-9A-Za-z_-]+)[;,](?P<phone>\+?[0-9]{3,20});"
"""The start of an inbound record: `id;phone;` or `id,phone;`."""
_PREFIX_RE = re.compile(INBOUND_PREFIX)


def parse_inbound(body: bytes | str, encoding: str = "gbk") -> InboundPage:
    """`N|id;phone;text|...` (or `id,phone;text`) -> InboundPage.

    The text may hold `|`, `;` and newlines: a record ends only at a `|` followed
    by the next record's `id[;,]phone;` prefix. A wrong N keeps the records.
    (The body's surrounding whitespace is cut, so trailing whitespace of the last
    text is lost; the transport's trailing newline cannot be told from it.)
    """
    return _read_inbound(decode_poll_body(body, encoding, _read_inbound))


_BOUNDARY_RE = re.compile(r"\|[ \t\r\n]*(?=[0-9A-Za-z_-]+[;,]\+?[0-9]{3,20};)")
"""A record boundary: a `|` (and whitespace) before the next record's `id[;,]phone;`."""
_CUT_PREFIX_RE = re.compile(r"\|[ \t\r\n]*(?:[0-9A-Za-z_-]*[0-9][0-9A-Za-z_-]*(?:[;,]\+?[0-9]*)?)?\Z")
"""What is left of a record cut short inside its `id[;,]phone;` prefix (or right after its bar)."""


def _read_inbound(text: str) -> InboundPage:
    """parse_inbound of a decoded answer: split at the record boundaries, then record by record.

    Only the first record can lack its `id[;,]phone;` prefix (every later one starts at a
    boundary, which is that prefix): it is then unreadable, and the others are `partial`.
    """
    head, bar, rest = text.partition("|")
    declared = _read_code(text, head, bool(bar))
    rest = rest.lstrip(STRIP)
    if not rest:
        return InboundPage(messages=(), declared=declared)
    boundaries = list(_BOUNDARY_RE.finditer(rest))
    starts = [0, *(m.end() for m in boundaries)]
    ends = [*(m.start() for m in boundaries), len(rest)]
    messages = []
    unreadable: str | None = None
    for start, end in zip(starts, ends, strict=True):
        record = rest[start:end]
        m = _PREFIX_RE.match(record)
        if m is None:
            unreadable = record
            continue
        messages.append(InboundSms(msg_id=m["id"], phone=m["phone"], text=record[m.end():]))
    page = _inbound_page(messages, declared)
    if unreadable is not None:
        raise GatewayProtocolError("unreadable inbound SMS", excerpt(unreadable), partial=page)
    return page


def _inbound_page(messages: list[InboundSms], declared: int) -> InboundPage:
    """The page of `messages`, unless it was cut short.

    A page that announced more records than it holds and whose last text ends in the
    start of a record (`...|134,1382`) was cut inside that record: the piece is not
    part of the text before it. GatewayProtocolError, with the intact records as
    `partial`.
    """
    if declared > len(messages) and messages:
        last = messages[-1]
        cut = _CUT_PREFIX_RE.search(last.text)
        if cut is not None:
            messages[-1] = InboundSms(last.msg_id, last.phone, last.text[:cut.start()])
            raise GatewayProtocolError("the gateway's answer was cut short", excerpt(cut.group()),
                                       partial=InboundPage(tuple(messages), declared))
    return InboundPage(tuple(messages), declared)


def parse_balance(body: bytes | str, encoding: str = "gbk") -> int:
    """The number of messages the account can still send; 0 is a balance, not an error."""
    text = decode_body(body, encoding)
    n = read_int(text)
    if n is None:
        raise unexpected(text)
    if n < 0:
        if n in (-3, -99):  # not in the vendor's balance table: the other endpoints' "busy"
            raise GatewayBusy(n)  # (a balance read can be repeated safely)
        if n in POLL_ERRORS:
            raise POLL_ERRORS[n]()
        raise unexpected(text)
    return n


__all__ = [
    "INBOUND_PREFIX",
    "parse_balance",
    "parse_inbound",
    "parse_reports",
]
