"""An answer's text: its bytes decoded, a short excerpt for errors, and what every parser reads it with.

The gateway's Windows server writes GBK as code page 936 (where 0x80 is "€"). Whatever
the bytes, the readers here raise GatewayProtocolError, never UnicodeDecodeError or
ValueError, so that a strange answer can never crash a poll job.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from typing import TypeVar

from sms_core.errors import GatewayProtocolError

T = TypeVar("T")

UNEXPECTED = "unexpected answer from the gateway"

_UTF8_BOM = b"\xef\xbb\xbf"
STRIP = " \t\r\n\x0b\x0c\ufeff\x00"
"""What is cut from the ends of a body, a record or a field."""
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
    return text.strip(STRIP)


def decode_poll_body(body: bytes | str, encoding: str, parse: Callable[[str], T]) -> str:
    """decode_body for a poll answer. When its bytes are not valid in the encoding, the error
    carries as `partial` what its records say, with the unreadable bytes shown as U+FFFD:
    the read was destructive, and one odd byte in one SMS must not hide the others."""
    try:
        return decode_body(body, encoding)
    except GatewayProtocolError as err:
        failure = err
    assert isinstance(body, bytes)
    try:
        failure.partial = parse(_decode(body, encoding, lenient=True).strip(STRIP))
    except GatewayProtocolError as err:
        failure.partial = err.partial
    raise failure


def read_int(value: str) -> int | None:
    """A whole number (at most 18 digits, as the gateway's codes and counts are), else None."""
    value = value.strip(STRIP)
    return int(value) if _INT_RE.fullmatch(value) else None


def unexpected(text: str) -> GatewayProtocolError:
    """The error for an answer that fits no documented form, with an excerpt of it."""
    if not text:
        return GatewayProtocolError(f"{UNEXPECTED} (an empty body)")
    return GatewayProtocolError(UNEXPECTED, excerpt(text))


__all__ = [
    "STRIP",
    "UNEXPECTED",
    "decode_body",
    "decode_poll_body",
    "excerpt",
    "read_int",
    "unexpected",
]
