"""The gateway's wire format, with no I/O: build query parameters, parse answers.

Every answer is a short text body (see spec/gateway-http-api.md). The parsers
turn it into a value or raise a `GatewayError` subclass -- for *any* input,
never ValueError/IndexError/UnicodeDecodeError -- so a strange answer can never
crash a poll job. Codes are mapped per endpoint: -1 and -3 mean different
things on send and on the reads.
"""

from __future__ import annotations

import codecs
import enum
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TypeVar
from urllib.parse import quote

from sms_core.errors import (
    POLL_ERRORS,
    SEND_ERRORS,
    ForbiddenWord,
    GatewayBusy,
    GatewayProtocolError,
    UnsupportedCharacters,
)
from sms_core.models import DeliveryReport, InboundPage, InboundSms, ReportPage, SendAnswer
from sms_core.schedule import CST

T = TypeVar("T")

MAX_NUMBERS_PER_REQUEST = 100
REPORT_PAGE_SIZE = 100
INBOUND_PAGE_SIZE = 50
MAX_TEXT_CHARS = 335

UNEXPECTED = "unexpected answer from the gateway"


class Endpoint(enum.StrEnum):
    SEND = "/sendsms_txt.asp"
    REPORTS = "/get_report_txt.asp"
    INBOUND = "/get_receive_message_txt.asp"
    BALANCE = "/Get_Account_Balance.asp"


# --- requests ----------------------------------------------------------------


def auth_params(username: str, password: str) -> dict[str, str]:
    """The account parameters every call carries (the password travels in the query)."""
    return {"us_name": username, "us_pwd": password}


def format_send_time(at: datetime) -> str:
    """`send_time`: 14 digits YYYYMMDDhhmmss in China Standard Time, the gateway's clock.

    A naive datetime is taken as already CST; an aware one is converted.
    """
    if at.tzinfo is not None and at.utcoffset() is not None:
        at = at.astimezone(CST)
    # Not strftime: %Y is not zero-padded for years < 1000 on every platform.
    return (
        f"{at.year:04d}{at.month:02d}{at.day:02d}"
        f"{at.hour:02d}{at.minute:02d}{at.second:02d}"
    )


def send_params(
    username: str,
    password: str,
    numbers: Sequence[str],
    text: str,
    at: datetime | None = None,
) -> dict[str, str]:
    """Query parameters of one send request (numbers already normalised, <= 100)."""
    params = auth_params(username, password)
    params["send_phone"] = ",".join(numbers)
    params["send_content"] = text
    if at is not None:
        params["send_time"] = format_send_time(at)
    return params


def send_query_parts(
    auth_query: str,
    text: str,
    at: datetime | None = None,
    encoding: str = "gbk",
) -> tuple[str, str]:
    """(head, tail) of a send's query: `head + "%2C".join(numbers) + tail` is
    `encode_query(send_params(username, password, numbers, text, at), encoding)` for
    numbers in the gateway's form (digits only: nothing to escape), where `auth_query`
    is `encode_query(auth_params(username, password), encoding)`.

    The account, the text and the time are the same in every chunk: encoded once a send.
    """
    rest = {"send_content": text}
    if at is not None:
        rest["send_time"] = format_send_time(at)
    return f"{auth_query}&send_phone=", f"&{encode_query(rest, encoding)}"


def _unencodable(value: str, encoding: str) -> tuple[str, ...]:
    out: dict[str, None] = {}
    for ch in value:
        try:
            ch.encode(encoding)
        except UnicodeError:
            out[ch] = None
    return tuple(out)


def encode_query(params: Mapping[str, str], encoding: str = "gbk") -> str:
    """Percent-encode each value's bytes in the gateway's encoding (GBK), not UTF-8.

    httpx would encode UTF-8 and the gateway would store mojibake, so the client
    builds the query string itself: every byte but the unreserved `A-Z a-z 0-9 _ . - ~`
    becomes `%XX`, which httpx passes on as it is. Raises UnsupportedCharacters for a
    value the encoding cannot hold.
    """
    parts = []
    for key, value in params.items():
        try:
            raw = value.encode(encoding)
        except UnicodeError:
            raise UnsupportedCharacters(_unencodable(value, encoding), encoding) from None
        parts.append(f"{quote(key, safe='')}={quote(raw, safe='')}")
    return "&".join(parts)


# --- answers -----------------------------------------------------------------

_UTF8_BOM = b"\xef\xbb\xbf"
_STRIP = " \t\r\n\x0b\x0c\ufeff\x00"
_INT_RE = re.compile(r"-?[0-9]{1,18}")  # bounded: int() on huge strings raises ValueError
_SECRET_RE = re.compile(r"(?i)(us_pwd(?:=|%3D))[^&\s\"'<>]*")
_WS_RE = re.compile(r"\s+")


def excerpt(text: str, limit: int = 60) -> str:
    """A short, printable, one-line piece of an answer, for error messages and logs.

    Whitespace is collapsed, control characters are escaped, a long text is cut
    with an ellipsis, and a `us_pwd=` value (an error page may echo the request
    URL) is blanked.
    """
    text = _WS_RE.sub(" ", _SECRET_RE.sub(r"\1***", text)).strip()
    pieces = [ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text]
    if sum(map(len, pieces)) <= limit:
        return "".join(pieces)
    out: list[str] = []
    used = 0
    for piece in pieces:
        if used + len(piece) > limit - 1:
            break
        out.append(piece)
        used += len(piece)
    return "".join(out) + "…"


def _cp936_euro(exc: UnicodeError) -> tuple[str, int]:
    """Decode error handler: a lone byte 0x80 is the euro sign, as in Windows code page 936
    (what a Chinese IIS/ASP site writes); Python's GBK codec lacks it. Anything else fails."""
    if isinstance(exc, UnicodeDecodeError) and exc.object[exc.start:exc.start + 1] == b"\x80":
        return "€", exc.start + 1
    raise exc


def _cp936_replace(exc: UnicodeError) -> tuple[str, int]:
    """As _cp936_euro, with every other undecodable byte shown as U+FFFD."""
    try:
        return _cp936_euro(exc)
    except UnicodeDecodeError:
        return "\ufffd", exc.end  # type: ignore[attr-defined]


codecs.register_error("smsbot-cp936", _cp936_euro)
codecs.register_error("smsbot-cp936-replace", _cp936_replace)
_CP936_CODECS = frozenset({"gbk", "gb2312"})


def _decode(body: bytes, encoding: str, lenient: bool) -> str:
    if body.startswith(_UTF8_BOM):
        body = body[len(_UTF8_BOM):]
    try:
        cp936 = codecs.lookup(encoding).name in _CP936_CODECS
    except LookupError:
        cp936 = False  # let bytes.decode raise what it raises
    if cp936:
        return body.decode(encoding, "smsbot-cp936-replace" if lenient else "smsbot-cp936")
    return body.decode(encoding, "replace" if lenient else "strict")


def decode_body(body: bytes | str, encoding: str = "gbk") -> str:
    """Text of an answer: bytes decoded in the gateway's encoding, surrounding whitespace/BOM cut.

    For GBK, the byte 0x80 reads as "€" (code page 936, which the gateway's Windows server
    speaks); bytes that the encoding cannot read raise GatewayProtocolError.
    """
    if isinstance(body, bytes):
        try:
            text = _decode(body, encoding, lenient=False)
        except UnicodeDecodeError:
            shown = excerpt(body.decode(encoding, errors="backslashreplace"))
            raise GatewayProtocolError(
                f"the gateway's answer is not valid {encoding.upper()}", shown
            ) from None
    else:
        text = body
    return text.strip(_STRIP)


def _read_text(body: bytes | str, encoding: str, parse: Callable[[str], T]) -> str:
    """decode_body for a poll answer. When its bytes are not valid in the encoding, the error
    carries as `partial` what its records say, with the unreadable bytes shown as U+FFFD:
    the read was destructive, and one odd byte in one SMS must not hide the others."""
    try:
        return decode_body(body, encoding)
    except GatewayProtocolError as err:
        failure = err
    assert isinstance(body, bytes)
    try:
        failure.partial = parse(_decode(body, encoding, lenient=True).strip(_STRIP))
    except GatewayProtocolError as err:
        failure.partial = err.partial
    raise failure


def _int(value: str) -> int | None:
    value = value.strip(_STRIP)
    return int(value) if _INT_RE.fullmatch(value) else None


def _unexpected(text: str) -> GatewayProtocolError:
    if not text:
        return GatewayProtocolError(f"{UNEXPECTED} (an empty body)")
    return GatewayProtocolError(UNEXPECTED, excerpt(text))


def parse_send(body: bytes | str, encoding: str = "gbk") -> SendAnswer:
    """`0|a|b|d` -> SendAnswer; an error code -> its exception (-3 carries the forbidden word).

    Error codes must stand alone (only -3 has a payload), so that `-99`, the one
    code after which a send is retried, is never read into a longer answer.
    """
    text = decode_body(body, encoding)
    parts = text.split("|")
    code = _int(parts[0])
    if code is None:
        raise _unexpected(text)
    if code == 0:
        if len(parts) == 5 and not parts[4].strip(_STRIP):
            del parts[4]  # `0|a|b|d|`: a trailing bar, as report pages may have
        if len(parts) != 4:
            raise _unexpected(text)
        accepted, rejected = _int(parts[1]), _int(parts[2])
        if accepted is None or rejected is None or accepted < 0 or rejected < 0:
            raise _unexpected(text)
        ids = tuple(i for i in (p.strip(_STRIP) for p in parts[3].split(",")) if i)
        if accepted > 0 and not ids:
            raise _unexpected(text)
        return SendAnswer(accepted=accepted, rejected=rejected, ids=ids)
    if code == -3:
        word = text.split("|", 1)[1].strip(_STRIP + "|") if len(parts) > 1 else ""
        raise ForbiddenWord(word)
    if len(parts) == 1:
        if code == -99:
            raise GatewayBusy(-99)
        if code in SEND_ERRORS:
            raise SEND_ERRORS[code]()
    raise _unexpected(text)



def _read_code(text: str, head: str, has_records: bool) -> int:
    """The count before the first bar of a read; error codes raise (-3 = busy on reads)."""
    n = _int(head)
    if n is None:
        raise _unexpected(text)
    if n < 0:
        if not has_records:
            if n == -3:
                raise GatewayBusy(-3)
            if n in POLL_ERRORS:
                raise POLL_ERRORS[n]()
        raise _unexpected(text)
    return n


def parse_reports(body: bytes | str, encoding: str = "gbk") -> ReportPage:
    """`N|id;phone;status|...` -> ReportPage. A wrong N keeps the records (see count_mismatch).

    Whitespace around a record or a field, and empty records (a trailing or doubled
    bar), are tolerated. A record that cannot be read -- cut short, empty fields, a
    status other than the documented -1, 10 and 20 -- raises rather than being
    skipped, with the records that can be read as the error's `partial`: the caller
    keeps those and the raw body.
    """
    return _read_reports(_read_text(body, encoding, _read_reports))


_REPORT_STATUS = {"-1": -1, "10": 10, "20": 20}


def _read_reports(text: str) -> ReportPage:
    """parse_reports of a decoded answer, record by record."""
    head, bar, rest = text.partition("|")
    declared = _read_code(text, head, bool(bar))
    reports = []
    unreadable: str | None = None
    for record in rest.split("|") if bar else ():
        record = record.strip(_STRIP)
        if not record:
            continue  # a trailing or doubled bar
        fields = [f.strip(_STRIP) for f in record.split(";")]
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
    return _read_inbound(_read_text(body, encoding, _read_inbound))


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
    rest = rest.lstrip(_STRIP)
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
    n = _int(text)
    if n is None:
        raise _unexpected(text)
    if n < 0:
        if n in (-3, -99):  # not in the vendor's balance table: the other endpoints' "busy"
            raise GatewayBusy(n)  # (a balance read can be repeated safely)
        if n in POLL_ERRORS:
            raise POLL_ERRORS[n]()
        raise _unexpected(text)
    return n


__all__ = [
    "INBOUND_PAGE_SIZE",
    "INBOUND_PREFIX",
    "MAX_NUMBERS_PER_REQUEST",
    "MAX_TEXT_CHARS",
    "REPORT_PAGE_SIZE",
    "Endpoint",
    "auth_params",
    "decode_body",
    "encode_query",
    "excerpt",
    "format_send_time",
    "parse_balance",
    "parse_inbound",
    "parse_reports",
    "parse_send",
    "send_params",
]
