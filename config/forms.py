"""What each setting expects, and a wrong value said in one line a person can act on:
`SMSBOT_POLL_INTERVAL='10s': expected a number of seconds greater than 0, e.g. 10`.

The line names the variable, shows the value (a secret only as its length, a proxy URL with
its credentials masked) and the form expected; pydantic's own words ("Input should be a valid number ...") never reach the user.
"""

from __future__ import annotations

import re

ENV_PREFIX = "SMSBOT_"

SECONDS = "a number of seconds greater than 0, e.g. {}"
EXPECTED: dict[str, str] = {
    "telegram_token": "the token @BotFather gave you: the bot's id (digits), a colon and 35 letters, "
                      "digits, - or _",
    "telegram_api_url": "an http(s) URL ending in /bot, e.g. https://api.telegram.org/bot or "
                        "http://127.0.0.1:8081/bot (a local Bot API server)",
    "telegram_proxy": "SCHEME://[USER:PASSWORD@]HOST:PORT with the scheme http, https or socks5, e.g. "
                      "socks5://127.0.0.1:1080 or http://user:password@10.0.0.2:3128 (empty: no proxy)",
    "gateway_url": "an http(s) URL, e.g. http://www.112088.net:8088, or the word sandbox",
    "gateway_username": "the gateway account's name (us_name)",
    "gateway_password": "the gateway account's password (us_pwd)",
    "gateway_encoding": "a text encoding that keeps ASCII as it is, e.g. gbk, gb18030 or utf-8",
    "gateway_timeout": SECONDS.format(15),
    "allowed_chat_ids": "chat ids, whole numbers separated by commas, e.g. -1001234567890,42",
    "admin_user_ids": "user ids, positive whole numbers separated by commas, e.g. 42,1001 "
                      "(/id in a private chat with the bot shows yours)",
    "inbox_chat_id": "a group's id, a negative whole number, e.g. -1001234567890 (/id in the group shows it)",
    "alert_chat_id": "a group's id, a negative whole number, e.g. -1001234567890 (/id in the group shows it)",
    "poll_interval": SECONDS.format(10),
    "poll_timeout": SECONDS.format(30),
    "inbox_rate": "MESSAGES/SECONDS, e.g. 20/60",
    "database_path": "the path of the store's file, e.g. data/smsbot.sqlite3",
    "confirm_threshold": "a whole number of messages, 0 or more, e.g. 10",
    "low_balance": "a whole number of messages, 0 or more, e.g. 100",
    "segment_size": "a whole number of characters from 1 to 70, e.g. 67",
    "http_listen": "HOST:PORT with a port from 0 to 65535, e.g. 127.0.0.1:8080",
    "webhook_token": "a random secret of at least 24 characters, e.g. the output of `openssl rand -hex 24`",
    "alert_dedup": "a number of seconds, 0 or more, e.g. 900",
    "alert_max_per_hour": "a whole number, 1 or more, e.g. 10",
    "alert_max_segments": "a whole number from 1 to 5, e.g. 1",
    "alert_send_resolved": "true or false",
    "language": "en or zh (empty: each user's Telegram language)",
    "log_level": "one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
}
"""The expected form of every setting (`poll_timeout` included ahead of its field)."""

CREDENTIAL_URLS = frozenset({"telegram_proxy"})
"""Secret settings that are URLs: shown with their credentials masked, not as a length only
(the scheme, host and port are what a person needs to see to fix them)."""

_TOKEN_HEAD = re.compile(r"\d+:")
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")  # scheme://user:password@host
_LONGEST = 60


def variable(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


def shown(value: object, *, secret: bool, token: bool = False) -> str:
    """The value as the user wrote it, quoted; a secret only as its length (a bot token keeps
    its bot id, which is public: it is the bot's user id)."""
    if secret:
        text = value if isinstance(value, str) else str(value)
        head = m.group(0) if token and (m := _TOKEN_HEAD.match(text)) else ""
        return f"'{head}<hidden, {len(text) - len(head)} characters>'"
    if not isinstance(value, str):
        return repr(value)
    value = _URL_PASSWORD.sub(r"\1<hidden>@", value)  # a database or proxy URL's password
    return repr(value if len(value) <= _LONGEST else value[:_LONGEST] + "...")


def masked_url(url: str) -> str:
    """The URL with everything between `scheme://` and the last `@` (the user name and the
    password) hidden: `socks5://<hidden>@127.0.0.1:1080`. A malformed URL loses more, never less."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    if "@" not in rest:
        return url
    return f"{scheme}{sep}<hidden>@{rest.rpartition('@')[2]}"


def describe(field: str, value: object, reason: str = "", *, secret: bool = False,
             fallback: str = "") -> str:
    """`VAR='value': reason; expected FORM` (the reason only where it adds to the form)."""
    form = EXPECTED.get(field)
    said = "; ".join(p for p in (reason, f"expected {form}" if form else fallback) if p)
    if field in CREDENTIAL_URLS and isinstance(value, str):
        value_shown = shown(masked_url(value.strip()), secret=False)
    else:
        value_shown = shown(value, secret=secret, token=field == "telegram_token")
    return f"{variable(field)}={value_shown}: {said}"
