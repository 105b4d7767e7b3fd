"""The gateway's endpoints and limits, and the query string of each call.

The query is built here rather than by httpx, because the gateway reads GBK
percent-escapes where httpx would write UTF-8.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from datetime import datetime
from urllib.parse import quote

from sms_core.errors import UnsupportedCharacters
from sms_core.schedule import CST

MAX_NUMBERS_PER_REQUEST = 100
REPORT_PAGE_SIZE = 100
INBOUND_PAGE_SIZE = 50
MAX_TEXT_CHARS = 335


class Endpoint(enum.StrEnum):
    SEND = "/sendsms_txt.asp"
    REPORTS = "/get_report_txt.asp"
    INBOUND = "/get_receive_message_txt.asp"
    BALANCE = "/Get_Account_Balance.asp"


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


__all__ = [
    "INBOUND_PAGE_SIZE",
    "MAX_NUMBERS_PER_REQUEST",
    "MAX_TEXT_CHARS",
    "REPORT_PAGE_SIZE",
    "Endpoint",
    "auth_params",
    "encode_query",
    "format_send_time",
    "send_params",
    "send_query_parts",
]
