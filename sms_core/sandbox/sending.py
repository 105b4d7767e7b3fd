"""The send's rules: which answer code refuses a send, or what an accepted one costs.

Pure: no state, no lock; the gateway applies the order (charge, ids, reports).
Order of checks (a real site checks the account before it looks at anything
else; the rest follows the vendor's table):

    1. `us_name`/`us_pwd` wrong or missing  -> -7
    2. account locked                       -> -10
    3. no `send_phone` (or only commas)     -> -1
    4. no `send_content`                    -> -2
    5. more than 100 numbers                -> -4
    6. more than 335 characters             -> -8
    7. `send_time` present but not 14 digits of a real date and time -> -2
       (the vendor has no code for it; "your request's content is malformed"
       is the nearest documented meaning, and it is an answer after which the
       client never retries, which is what a client bug deserves)
    8. a forbidden word                     -> -3|WORD
    9. balance < segments x valid numbers   -> -9
   otherwise 0|a|b|d.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

CST = timezone(timedelta(hours=8), "CST")
"""The gateway's clock (kept here on purpose rather than imported from sms_core.schedule)."""

MAX_NUMBERS = 100
MAX_CHARS = 335
SINGLE_SMS_CHARS = 70

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_LANDLINE = re.compile(r"0[0-9]{9,11}")
_SEND_TIME = re.compile(r"[0-9]{14}")


def segments_for(text: str, segment_size: int = 67) -> int:
    """70 characters = 1 SMS; longer text is billed by segments of `segment_size`."""
    n = len(text)
    if n <= SINGLE_SMS_CHARS:
        return 1
    return math.ceil(n / segment_size)


def is_valid_number(number: str) -> bool:
    """What the sandbox accepts: an 11-digit mobile 1[3-9]xxxxxxxxx or a landline 0 + 9..11 digits."""
    return bool(_MOBILE.fullmatch(number) or _LANDLINE.fullmatch(number))


def parse_send_time(raw: str) -> float | None:
    """14 digits YYYYMMDDhhmmss in CST -> epoch seconds; None when malformed."""
    if not _SEND_TIME.fullmatch(raw):
        return None
    try:
        at = datetime(int(raw[0:4]), int(raw[4:6]), int(raw[6:8]), int(raw[8:10]),
                      int(raw[10:12]), int(raw[12:14]), tzinfo=CST)
    except ValueError:
        return None
    return at.timestamp()


@dataclass(frozen=True)
class SendOrder:
    """A send that passed every check: what to send, to whom, when, and its cost."""

    accepted: tuple[str, ...]  # valid numbers, in request order, duplicates kept
    rejected: tuple[str, ...]
    text: str
    send_time: str | None  # the raw 14 digits, if scheduled
    scheduled: float | None  # the same as epoch seconds
    segments: int
    cost: int


def check_send(
    params: Mapping[str, str],
    *,
    username: str,
    password: str,
    locked: bool,
    forbidden_words: Iterable[str],
    segment_size: int,
    balance: int,
) -> SendOrder | str:
    """The order to carry out, or the answer code that refuses the send (see the module's table)."""
    if params.get("us_name") != username or params.get("us_pwd") != password:
        return "-7"
    if locked:
        return "-10"
    numbers = [n.strip() for n in params.get("send_phone", "").split(",")]
    numbers = [n for n in numbers if n]
    if not numbers:
        return "-1"
    text = params.get("send_content", "")
    if text == "":
        return "-2"
    if len(numbers) > MAX_NUMBERS:
        return "-4"
    if len(text) > MAX_CHARS:
        return "-8"
    raw_time = params.get("send_time")
    scheduled: float | None = None
    if raw_time is not None:
        scheduled = parse_send_time(raw_time)
        if scheduled is None:
            return "-2"
    for word in forbidden_words:
        if word and word in text:
            return f"-3|{word}"
    accepted = tuple(n for n in numbers if is_valid_number(n))
    rejected = tuple(n for n in numbers if not is_valid_number(n))
    segments = segments_for(text, segment_size)
    cost = segments * len(accepted)
    if balance < cost:
        return "-9"
    return SendOrder(accepted=accepted, rejected=rejected, text=text, send_time=raw_time,
                     scheduled=scheduled, segments=segments, cost=cost)


__all__ = [
    "CST",
    "MAX_CHARS",
    "MAX_NUMBERS",
    "SINGLE_SMS_CHARS",
    "SendOrder",
    "check_send",
    "is_valid_number",
    "parse_send_time",
    "segments_for",
]
