"""Webhook bodies -> alerts. Pure: no I/O, every refusal says what is wrong.

Three shapes are understood:

- Prometheus Alertmanager's webhook (version 4): `{"status", "alerts": [{"status",
  "labels", "annotations", "fingerprint", ...}], "groupLabels", ...}`;
- Grafana's unified alerting webhook: the same `alerts` list plus `orgId`, `title`,
  `state`, `message`, and `valueString`/`values` per alert;
- plain JSON from a script: `{"text": "disk full on db-1"}`, optionally with
  `"status"` (firing|resolved), `"fingerprint"` (what makes two posts "the same
  alert" for dedup; by default the text) and `"labels"`.

The label `smsbot_group` on an alert names the contact group that gets it; it
overrides the group in the URL, so one Alertmanager receiver can page several
groups.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.errors import Reason
from bot.services.alerts.errors import NoGroup, NotJson, UnknownShape, UnusableJson

GROUP_LABEL = "smsbot_group"
STATUSES = ("firing", "resolved")
INSTANCE_LABELS = ("instance", "host", "hostname", "pod", "service")
SUMMARY_ANNOTATIONS = ("summary", "description", "message")
_PORT = re.compile(r":\d{1,5}$")
_MAX_VALUE = 1000  # characters kept of one label or annotation
MAX_DEPTH = 64
"""JSON nesting accepted: an Alertmanager or Grafana body is 4 levels deep."""
_SURROGATE = re.compile(r"[\ud800-\udfff]")
"""A lone UTF-16 surrogate: JSON can spell one (`"\\ud800"`), UTF-8 cannot encode it."""
REPLACEMENT = "\ufffd"


@dataclass(frozen=True, slots=True)
class ParsedAlert:
    fingerprint: str
    status: str  # firing | resolved
    name: str  # alertname; "" for a plain text alert
    summary: str
    labels: Mapping[str, str]

    @property
    def group(self) -> str | None:
        return self.labels.get(GROUP_LABEL) or None

    @property
    def instance(self) -> str | None:
        return instance_of(self.labels)


def instance_of(labels: Mapping[str, str]) -> str | None:
    """Where an alert fires, short: the first of instance/host/... labels, without a :port."""
    for key in INSTANCE_LABELS:
        value = labels.get(key)
        if value:
            return _PORT.sub("", value)
    return None


@dataclass(frozen=True, slots=True)
class Notification:
    source: str  # alertmanager | grafana | text
    alerts: tuple[ParsedAlert, ...]


def parse_body(body: bytes) -> Notification:
    """Bytes of a POST -> a Notification, or NotJson / UnusableJson / UnknownShape.

    Whatever the body holds, the answer is a Notification or one of those refusals (a 4xx):
    never an exception that would make the webhook answer 5xx, which Alertmanager retries
    forever for a body that can only fail again.
    """
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NotJson(Reason.WEBHOOK_NOT_UTF8) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotJson(Reason.WEBHOOK_NOT_JSON, detail=exc.msg, line=exc.lineno, column=exc.colno) from None
    except RecursionError:
        raise UnusableJson(Reason.WEBHOOK_TOO_DEEP, depth=MAX_DEPTH) from None
    except ValueError:  # Python's limit on int digits (4300 by default)
        raise UnusableJson(Reason.WEBHOOK_NUMBER_TOO_LONG, digits=sys.get_int_max_str_digits()) from None
    return parse_payload(_clean(data))


def _clean(value: Any, depth: int = 0) -> Any:
    """`value` with every lone surrogate replaced by U+FFFD (it cannot be encoded, hashed into a
    fingerprint or stored), refusing nesting deeper than MAX_DEPTH (which also bounds the
    recursion here)."""
    if isinstance(value, str):
        return _SURROGATE.sub(REPLACEMENT, value) if _SURROGATE.search(value) else value
    if depth >= MAX_DEPTH and isinstance(value, (list, dict)):
        raise UnusableJson(Reason.WEBHOOK_TOO_DEEP, depth=MAX_DEPTH)
    if isinstance(value, list):
        return [_clean(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {_clean(k, depth + 1): _clean(v, depth + 1) for k, v in value.items()}
    return value


def clean_text(text: str) -> str:
    """A string from outside the body (the URL's group) made encodable like the body's."""
    return _SURROGATE.sub(REPLACEMENT, text)


def parse_payload(data: Any) -> Notification:
    if not isinstance(data, dict):
        raise UnknownShape(Reason.WEBHOOK_UNKNOWN_SHAPE)
    if "alerts" in data:
        return _parse_alert_list(data)
    if "text" in data:
        return Notification("text", (_parse_text(data),))
    raise UnknownShape(Reason.WEBHOOK_UNKNOWN_SHAPE)


def _text(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text[:_MAX_VALUE]


def _str_map(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise UnknownShape(Reason.WEBHOOK_NOT_STRINGS, where=where)
    return {str(k)[:_MAX_VALUE]: _text(v) for k, v in value.items()}


def _status(value: Any, default: Any, where: str) -> str:
    status = value if value is not None else default
    if status not in STATUSES:
        raise UnknownShape(Reason.WEBHOOK_BAD_STATUS, where=where, status=repr(str(status)[:20]))
    return status


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def _parse_alert_list(data: dict[str, Any]) -> Notification:
    items = data["alerts"]
    if not isinstance(items, list) or not items:
        raise UnknownShape(Reason.WEBHOOK_NO_ALERTS)
    source = "grafana" if ("orgId" in data or "title" in data) else "alertmanager"
    common = _str_map(data.get("commonLabels"), "commonLabels")
    out = []
    for n, item in enumerate(items):
        where = f"alerts[{n}]"
        if not isinstance(item, dict):
            raise UnknownShape(Reason.WEBHOOK_NOT_OBJECT, where=where)
        labels = {**common, **_str_map(item.get("labels"), f"{where}.labels")}
        annotations = _str_map(item.get("annotations"), f"{where}.annotations")
        status = _status(item.get("status"), data.get("status"), f"{where}.status")
        summary = next((annotations[k] for k in SUMMARY_ANNOTATIONS if annotations.get(k)), "")
        if not summary and source == "grafana":
            summary = _text(item.get("valueString"))
        fingerprint = _text(item.get("fingerprint")) or _fingerprint(
            *(f"{k}={v}" for k, v in sorted(labels.items())))
        out.append(ParsedAlert(fingerprint, status, labels.get("alertname", ""), summary, labels))
    return Notification(source, tuple(out))


def _parse_text(data: dict[str, Any]) -> ParsedAlert:
    text = data["text"]
    if not isinstance(text, str) or not text.strip():
        raise UnknownShape(Reason.WEBHOOK_NO_TEXT)
    labels = _str_map(data.get("labels"), "labels")
    if isinstance(data.get(GROUP_LABEL), str):
        labels[GROUP_LABEL] = data[GROUP_LABEL]
    status = _status(data.get("status"), "firing", "status")
    text = text.strip()[:_MAX_VALUE]
    fingerprint = _text(data.get("fingerprint")) or _fingerprint("text", text)
    return ParsedAlert(fingerprint, status, "", text, labels)


def split_by_group(notification: Notification, path_group: str | None) -> dict[str, tuple[ParsedAlert, ...]]:
    """Group name -> its alerts: the `smsbot_group` label wins over the URL's group."""
    out: dict[str, list[ParsedAlert]] = {}
    for alert in notification.alerts:
        group = clean_text(alert.group or path_group or "").strip().lstrip("@")
        if not group:
            raise NoGroup(GROUP_LABEL)
        out.setdefault(group, []).append(alert)
    return {g: tuple(a) for g, a in out.items()}
