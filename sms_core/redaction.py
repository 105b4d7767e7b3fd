"""Keeping the gateway password out of log lines, exception texts and stored answers.

The password travels in the query string, so it can show up wherever a URL does: httpx
logs every request URL at INFO, and a gateway's error page may echo the request. Every
live SmsGateway registers its password here (`keep_secret`); `redact` blanks each
registered password, plain or percent-encoded, and every `us_pwd=` value. A logging
filter on the httpx and httpcore loggers applies it to every record (installed at import).
"""

from __future__ import annotations

import logging
import re
import weakref
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import quote

from sms_core.errors import GatewayProtocolError
from sms_core.protocol.body import excerpt

T = TypeVar("T")

_SECRETS: weakref.WeakKeyDictionary[object, frozenset[str]] = weakref.WeakKeyDictionary()
"""Each live owner (an SmsGateway) -> the forms of its password; gone with the owner."""
_PWD_RE = re.compile(r"(?i)(us_pwd(?:=|%3D))[^&\s\"'<>]*")


def secret_forms(password: str, encoding: str) -> frozenset[str]:
    """The password as it may appear in text: plain, and percent-encoded as on the wire."""
    if not password:
        return frozenset()
    forms = {password, quote(password, safe=""), quote(password)}
    try:
        forms.add(quote(password.encode(encoding), safe=""))
    except (UnicodeError, LookupError):
        pass
    return frozenset(f for f in forms if f)


def keep_secret(owner: object, password: str, encoding: str) -> None:
    """Blank `password` (in every form it may take in `encoding`) for as long as `owner` lives."""
    _SECRETS[owner] = secret_forms(password, encoding)


def redact(text: str) -> str:
    """Blank every live gateway's password and every `us_pwd=` value in `text`.

    The passwords first: a password with a space in it would otherwise be cut by the
    `us_pwd=` pattern (which ends at whitespace) and its rest left behind.
    """
    for forms in list(_SECRETS.values()):
        for form in forms:
            if form in text:
                text = text.replace(form, "***")
    return _PWD_RE.sub(r"\1***", text)


def parse_answer(parse: Callable[[bytes | str, str], T], body: bytes | str, encoding: str) -> T:
    """`parse(body, encoding)`, with the password kept out of the excerpt of an unreadable answer.

    An error page may echo the request URL. The excerpt is collapsed and cut to 60
    characters, after which the password may no longer be found whole: so the answer
    is blanked first and the excerpt taken again from it.
    """
    try:
        return parse(body, encoding)
    except GatewayProtocolError as err:
        failure = err
    text = body.decode(encoding, errors="backslashreplace") if isinstance(body, bytes) else body
    cleaned = redact(text)
    if cleaned != text:
        failure = GatewayProtocolError(failure.detail, excerpt(cleaned), partial=failure.partial)
    raise failure


class RedactPasswordFilter(logging.Filter):
    """A logging filter that rewrites a record's message with the password blanked.

    The record's args are merged into its message first, so a URL passed as an
    argument (as httpx does: `logger.info("HTTP Request: %s %s ...", method, url)`)
    is caught too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record: leave it to logging's own error handling
            return True
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = ()
        return True


_FILTER = RedactPasswordFilter()
_HTTP_LOGGERS = (
    "httpx", "httpcore", "httpcore.connection", "httpcore.connection_pool",
    "httpcore.http11", "httpcore.http2", "httpcore.proxy", "httpcore.socks",
)


def install_log_filter() -> None:
    """Attach the filter to httpx's and httpcore's loggers (each one: a logger's filter
    does not apply to records of its children). Idempotent; done at import."""
    for name in _HTTP_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


install_log_filter()
