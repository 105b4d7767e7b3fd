"""Logging that cannot leak a secret nor be forged: every handler gets a filter that masks
known secret values and escapes control characters.

httpx logs each request URL at INFO, and both the gateway password (in the query
string) and the bot token (in the Bot API path) travel in URLs, as do a proxy's user name
and password (SMSBOT_TELEGRAM_PROXY; Settings.secret_values holds them too), so the filter
sits on the handlers and also rewrites the record's arguments and traceback text.

Values from outside (a webhook's URL path, chat text, a gateway answer) reach log lines
as arguments; one holding CR or LF would write a line of its own that can pass for a
record of ours. The filter escapes every control character and line separator in the
rendered message (bot.escaping), so one record is one line. A traceback keeps its lines
(it is ours, and unreadable on one line) but nothing else: no CR, no U+2028, and no line
that starts like a record.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

from bot.escaping import escape_controls, escape_multiline

_PWD_IN_QUERY = re.compile(r"(us_pwd=)[^&\s'\"]*", re.IGNORECASE)
_TOKEN_IN_PATH = re.compile(r"/bot\d+:[A-Za-z0-9_-]+")
_URL_CREDENTIALS = re.compile(r"(://)[^\s/@'\"]*:[^\s/@'\"]*@")  # scheme://user:password@ (a proxy URL)


class SecretFilter(logging.Filter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 4]

    def add(self, *secrets: str | None) -> None:
        self.secrets.extend(s for s in secrets if s and len(s) >= 4 and s not in self.secrets)

    def scrub(self, text: str) -> str:
        for s in self.secrets:
            text = text.replace(s, "***")
        text = _PWD_IN_QUERY.sub(r"\1***", text)
        text = _URL_CREDENTIALS.sub(r"\1***@", text)
        return _TOKEN_IN_PATH.sub("/bot***", text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        record.msg = escape_controls(self.scrub(message))
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = escape_multiline(self.scrub(record.exc_text))
        return True


_FILTER = SecretFilter()
_HANDLER_MARK = "_smsbot"


def secret_filter() -> SecretFilter:
    return _FILTER


def log_handler() -> logging.Handler | None:
    """The handler setup_logging installed on the root logger (None before it ran)."""
    return next((h for h in logging.getLogger().handlers if getattr(h, _HANDLER_MARK, False)), None)


def setup_logging(level: str = "INFO", secrets: Iterable[str | None] = ()) -> SecretFilter:
    """Configure the root logger once; later calls only add secrets and change the level."""
    _FILTER.add(*[s for s in secrets if s])
    root = logging.getLogger()
    if log_handler() is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        setattr(handler, _HANDLER_MARK, True)
        root.addHandler(handler)
    for h in root.handlers:
        if _FILTER not in h.filters:
            h.addFilter(_FILTER)
    root.setLevel(level.upper())
    # Request lines are noise at INFO and carry credentials: keep them at WARNING.
    for name in ("httpx", "httpcore", "apscheduler", "uvicorn.access"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return _FILTER


def setup_cli_logging(level: str | None, secrets: Iterable[str | None] = ()) -> SecretFilter:
    """Logging for one-shot commands (send, balance, check), which print their own outcome:
    the library's log lines (a refused chunk, a retry) would say it twice, so they show
    only when SMSBOT_LOG_LEVEL asks for them (`level`; None: errors only)."""
    return setup_logging(level or "ERROR", secrets)
