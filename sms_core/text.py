"""SMS text: what the gateway can carry (GBK) and what it costs (segments).

The gateway counts characters (code points), not bytes: 70 fit in one SMS, a
longer text is billed in segments of `segment_size` (67 by the usual long-SMS
rule; a setting, since the vendor does not say), at most 335 characters.
"""

from __future__ import annotations

import math
import unicodedata

from sms_core.errors import EmptyText, TextTooLong, UnsupportedCharacters
from sms_core.models import TextInfo

SINGLE_SMS_CHARS = 70
MAX_CHARS = 335
DEFAULT_SEGMENT_SIZE = 67


def unencodable_chars(text: str, encoding: str = "gbk") -> tuple[str, ...]:
    """The distinct characters `encoding` cannot hold, in order of first appearance.

    Checked per code point: a flag or a ZWJ emoji sequence is reported as its parts.
    """
    found: dict[str, None] = {}
    for ch in text:
        if ch in found:
            continue
        try:
            ch.encode(encoding)
        except UnicodeError:
            found[ch] = None
    return tuple(found)


def segment_count(text: str, segment_size: int = DEFAULT_SEGMENT_SIZE) -> int:
    """Billing units per number: 0 for an empty text, 1 up to 70 characters, else ceil(len/size)."""
    n = len(text)
    if n == 0:
        return 0
    if n <= SINGLE_SMS_CHARS:
        return 1
    return math.ceil(n / segment_size)


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n")


_INVISIBLE = str.maketrans({
    "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u2009": " ",  # no-break, figure, narrow, thin
    "\u200b": None, "\ufeff": None, "\ufe0e": None, "\ufe0f": None,  # zero-width, emoji style
})


def _plain(text: str) -> str:
    """What the text shows, in characters an encoding is likelier to hold: composed (NFC: an
    accent typed apart from its letter joins it), the spaces a copy from a web page brings as
    plain spaces, and zero-width characters (emoji variation selectors among them) left out."""
    return unicodedata.normalize("NFC", text).translate(_INVISIBLE)


def validate_text(
    text: str,
    *,
    encoding: str = "gbk",
    segment_size: int = DEFAULT_SEGMENT_SIZE,
    max_chars: int = MAX_CHARS,
) -> TextInfo:
    """Check a text before it is sent: not blank, encodable, not too long.

    The text is kept as typed (CRLF becomes LF, which is also what is counted),
    so what the phone shows is what was written. Only a text that the encoding cannot
    hold as typed is made plain first (see _plain): what it shows stays the same.
    """
    text = _normalise_newlines(text)
    if not text.strip():
        raise EmptyText()
    bad = unencodable_chars(text, encoding)
    if bad:
        text = _plain(text)
        bad = unencodable_chars(text, encoding)
        if bad:
            raise UnsupportedCharacters(bad, encoding)
    if len(text) > max_chars:
        raise TextTooLong(len(text), max_chars)
    return TextInfo(text=text, chars=len(text), segments=segment_count(text, segment_size))


def segments_limit(segments: int, segment_size: int = DEFAULT_SEGMENT_SIZE) -> int:
    """Characters that fit in `segments` SMS: 70 for one, n*segment_size for more (<= 335)."""
    if segments <= 1:
        return SINGLE_SMS_CHARS
    return min(segments * segment_size, MAX_CHARS)


def fit_segments(
    text: str,
    segments: int,
    *,
    segment_size: int = DEFAULT_SEGMENT_SIZE,
    encoding: str = "gbk",
    ellipsis: str = "…",
) -> str:
    """Cut a text to fit in `segments` SMS, ending with `ellipsis` when cut.

    For generated texts (alerts) that must go out whatever they hold: characters
    the encoding lacks become "?", and so do control characters other than a line
    break and a tab (a space) -- a NUL or a bell from a monitoring label has no
    business on a phone; an ellipsis the encoding lacks becomes "...".
    """
    if segments < 1:
        raise ValueError("segments must be at least 1")
    text = _normalise_newlines(text).replace("\t", " ")
    bad = set(unencodable_chars(text, encoding))
    bad.update(ch for ch in set(text) if ch != "\n" and unicodedata.category(ch) == "Cc")
    if bad:
        text = "".join("?" if ch in bad else ch for ch in text)
    limit = segments_limit(segments, segment_size)
    if len(text) <= limit:
        return text
    if unencodable_chars(ellipsis, encoding):
        ellipsis = "..."
    keep = max(limit - len(ellipsis), 0)
    return (text[:keep].rstrip() + ellipsis)[:limit]
