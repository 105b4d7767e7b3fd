"""The sandbox's settings: which can be changed, and the check of each value."""

from __future__ import annotations

import math
from typing import Any

from sms_core.sandbox.sending import SINGLE_SMS_CHARS

SETTABLE = (
    "username", "password", "locked", "forbidden_words", "segment_size", "id_style",
    "report_delay", "auto_reports", "fail_numbers", "pending_first", "report_per_segment",
    "inbound_style", "balance",
)
"""What `SandboxGateway.configure` (and POST /_sandbox/config) may change."""

_BOOL_SETTINGS = frozenset({"locked", "auto_reports", "pending_first", "report_per_segment"})


def checked_setting(key: str, value: Any) -> Any:
    """A setting's value of the right type (the control surface takes JSON), or ValueError
    saying what is expected: a wrong type would misbehave later ("false" would lock the
    account, "spam" would forbid each of its letters)."""
    if key in _BOOL_SETTINGS:
        if not isinstance(value, bool):
            raise ValueError(f"{key} must be true or false")
        return value
    if key in ("username", "password"):
        if not isinstance(value, str):
            raise ValueError(f"{key} must be a string")
        return value
    if key in ("forbidden_words", "fail_numbers"):
        if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset) \
                or not all(isinstance(v, str) and v for v in value):
            raise ValueError(f"{key} must be a list of non-empty strings")
        return tuple(value) if key == "forbidden_words" else frozenset(value)
    if key == "balance":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError("balance must be a whole number >= 0")
        return value
    if key == "segment_size":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= SINGLE_SMS_CHARS:
            raise ValueError(f"segment_size must be a whole number from 1 to {SINGLE_SMS_CHARS}")
        return value
    if key == "report_delay":
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < math.inf:
            raise ValueError("report_delay must be a number of seconds >= 0")
        return float(value)
    if key == "id_style" and value not in ("per-number", "batch"):
        raise ValueError("id_style must be 'per-number' or 'batch'")
    if key == "inbound_style" and value not in (";", ",", "mixed"):
        raise ValueError("inbound_style must be ';', ',' or 'mixed'")
    return value


__all__ = ["SETTABLE", "checked_setting"]
