"""Scheduled sends: the gateway's `send_time` is China Standard Time (UTC+8, no DST).

Pure: `now` can be passed in, so tests never depend on the clock.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from sms_core.errors import InvalidSchedule

CST = timezone(timedelta(hours=8), "CST")
"""The gateway's local time. China has had no daylight saving since 1991."""

MAX_AHEAD = timedelta(days=366)
"""A scheduled time further ahead than this is refused (almost surely a typo)."""

# Full-width forms a Chinese input method produces: digits, colon, dash, space.
_FULLWIDTH = str.maketrans(
    {**{chr(0xFF10 + i): str(i) for i in range(10)}, "：": ":", "－": "-", "\u3000": " "}
)

_SCHEDULE_RE = re.compile(
    r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{1,2})-(?P<d>[0-9]{1,2})"
    r"(?:[ \t]+|T)"
    r"(?P<h>[0-9]{1,2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2}))?"
)


def _show(at: datetime) -> str:
    """YYYY-MM-DD HH:MM in CST, with the seconds when they are not zero (else two times a few
    seconds apart could read the same)."""
    at = at.astimezone(CST)
    return at.strftime("%Y-%m-%d %H:%M:%S" if at.second else "%Y-%m-%d %H:%M")


def _as_cst(at: datetime) -> datetime:
    """A naive datetime is taken as already China Standard Time; an aware one is converted."""
    if at.tzinfo is None or at.utcoffset() is None:
        return at.replace(tzinfo=CST)
    return at.astimezone(CST)


def parse_schedule(text: str) -> datetime:
    """Read "YYYY-MM-DD HH:MM[:SS]" (or with a T) as China Standard Time; aware result in CST."""
    cleaned = text.translate(_FULLWIDTH).strip()
    m = _SCHEDULE_RE.fullmatch(cleaned)
    if m is not None:
        try:
            return datetime(
                int(m["y"]), int(m["mo"]), int(m["d"]), int(m["h"]), int(m["mi"]),
                int(m["s"] or 0), tzinfo=CST,
            )
        except ValueError:
            pass  # e.g. month 13, 24:00, February 30: same answer as a wrong format
    raise InvalidSchedule(
        f"'{text.strip()}' is not a date and time; "
        "write it as YYYY-MM-DD HH:MM (China Standard Time)",
        "format", text=text.strip(),
    )


def check_schedule(at: datetime, now: datetime | None = None) -> datetime:
    """Refuse a time that is not in the future or more than a year ahead; return it in CST.

    The gateway would silently send a past time at once, or hold a typo'd year for
    a year; both are better refused with a clear reason before anything is sent.
    """
    now = _as_cst(now) if now is not None else datetime.now(CST)
    try:
        # whole seconds: the gateway's send_time has no fraction, and would take 0.5 s ahead as now
        at = _as_cst(at).replace(microsecond=0)
    except OverflowError:  # datetime.max / min in another zone: no such time in CST
        at = (datetime.max if at.year > now.year else datetime.min).replace(tzinfo=CST)
    if at <= now:
        raise InvalidSchedule(
            f"{_show(at)} is in the past; give a later time "
            f"(China Standard Time, now {_show(now)})",
            "past", at=_show(at), now=_show(now),
        )
    if at - now > MAX_AHEAD:
        raise InvalidSchedule(
            f"{_show(at)} is more than a year ahead; give a time before "
            f"{_show(now + MAX_AHEAD)} (China Standard Time)",
            "ahead", at=_show(at), limit=_show(now + MAX_AHEAD),
        )
    return at
