"""Control characters in text from outside, made visible before it reaches a log line or an
audit row.

Why: a value from outside (a URL path, a header, chat text, a gateway answer) that holds a
line break would start a line of its own in the log, one that can pass for a record of ours
(`2026-12-06 16:00:00,000 CRITICAL ...`), and the same in an audit row shown one per line.
So every C0 and C1 control character, DEL, and the Unicode line and paragraph separators
(U+2028, U+2029; U+0085 is C1) are written as Python escapes: `\\r`, `\\n`, `\\t`, `\\x1b`,
`\\u2028`. Backslashes are left as they are: a literal `\\n` typed by someone breaks no line.
"""

from __future__ import annotations

import re

_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(code: int) -> str:
    char = chr(code)
    return _SHORT.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


_CONTROLS = [*range(0x00, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029]
_TABLE = {code: _escape(code) for code in _CONTROLS}
_TABLE_KEEP_NEWLINES = {code: text for code, text in _TABLE.items() if code != ord("\n")}
_RECORD_LIKE = re.compile(r"^(?=\d)", re.MULTILINE)


def escape_controls(text: str) -> str:
    """`text` on one line: every control character and line separator escaped."""
    return text.translate(_TABLE)


def escape_multiline(text: str) -> str:
    """Text of our own that spans lines (a traceback): its line feeds are kept, every other
    control character is escaped, and a line that starts with a digit (as a log record's
    time does) is indented, so that nothing inside it passes for a record of its own."""
    return _RECORD_LIKE.sub("  ", text.translate(_TABLE_KEEP_NEWLINES))


def host_of(url: str) -> str:
    """The host:port of a URL, for messages (never its path: a Bot API path holds the token)."""
    return url.split("://", 1)[-1].split("/", 1)[0]
