"""Alert SMS texts. Pure: the same alert renders the same text on every attempt.

An alert SMS must go out whatever the alert holds, so it is made to fit
SMSBOT_ALERT_MAX_SEGMENTS: characters the gateway's encoding lacks become "?"
(sms_core.text.fit_segments), the description is cut first, and the parts that
matter on a phone at night -- "(+3 more)" and the ack code -- are never cut.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Protocol

from bot.services.alerts.payload import instance_of
from sms_core.text import fit_segments, segments_limit, unencodable_chars

_SPACES = re.compile(r"\s+")


class AlertLike(Protocol):
    @property
    def status(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def labels(self) -> Mapping[str, str]: ...


def _squash(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def describe(alert: AlertLike) -> str:
    """"HighCPU db-1: load 12"; the instance is left out when the summary already names it."""
    name, summary = _squash(alert.name), _squash(alert.summary)
    instance = instance_of(alert.labels)
    head = name
    if instance and instance not in summary and instance not in name:
        head = f"{head} {instance}".strip()
    if head and summary:
        return f"{head}: {summary}"
    return head or summary or "alert"


def short_label(alert: AlertLike) -> str:
    """"HighCPU db-1", for lists (summaries, the chat)."""
    instance = instance_of(alert.labels)
    if alert.name:
        return f"{_squash(alert.name)} {instance}".strip() if instance else _squash(alert.name)
    return _squash(alert.summary)[:40] or "alert"


def lead_of(alerts: Sequence[AlertLike]) -> AlertLike:
    """The alert an SMS names: the first firing one, else the first."""
    return next((a for a in alerts if a.status == "firing"), alerts[0])


def ack_hint(code: int) -> str:
    return f" Reply {code} to ack"


def fit_with_tail(head: str, tail: str, *, segments: int, segment_size: int, encoding: str) -> str:
    """`head` + `tail` in `segments` SMS: the head is cut (with an ellipsis), the tail kept whole."""
    limit = segments_limit(segments, segment_size)
    head = fit_segments(head, segments, segment_size=segment_size, encoding=encoding)
    budget = max(limit - len(tail), 0)
    if len(head) > budget:
        ellipsis = "…" if not unencodable_chars("…", encoding) else "..."
        head = head[: max(budget - len(ellipsis), 0)].rstrip() + ellipsis
    return (head + tail)[:limit] if head else tail.strip()[:limit]


def alert_sms(alerts: Sequence[AlertLike], code: int | None, *, segments: int = 1,
              segment_size: int = 67, encoding: str = "gbk") -> str:
    """"[FIRING] HighCPU db-1: load 12 (+3 more) Reply 1 to ack"."""
    if not alerts:
        raise ValueError("an alert SMS needs at least one alert")
    lead = lead_of(alerts)
    plain = not lead.name  # a script's own words: no tag unless it says it is resolved
    tag = "[RESOLVED]" if lead.status == "resolved" else ("" if plain else "[FIRING]")
    head = f"{tag} {describe(lead)}".strip()
    tail = f" (+{len(alerts) - 1} more)" if len(alerts) > 1 else ""
    if code is not None:
        tail += ack_hint(code)
    return fit_with_tail(head, tail, segments=segments, segment_size=segment_size, encoding=encoding)


def summary_sms(alerts: Sequence[AlertLike], *, segments: int = 1, segment_size: int = 67,
                encoding: str = "gbk") -> str:
    """"3 more alerts suppressed: HighCPU db-1, [RESOLVED] DiskFull db-2, ..." for a phone over
    the hourly cap. A held-back resolution is tagged as its own SMS would have been: named
    bare, it would read as an alert that fires."""
    n = len(alerts)
    head = f"{n} more alert{'s' if n != 1 else ''} suppressed: "
    names = list(dict.fromkeys(
        f"[RESOLVED] {short_label(a)}" if a.status == "resolved" else short_label(a) for a in alerts))
    return fit_segments(head + ", ".join(names), segments, segment_size=segment_size, encoding=encoding)
