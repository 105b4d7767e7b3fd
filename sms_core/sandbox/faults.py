"""Scheduled misbehaviour: which calls fail, how, and the broken answers they get."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from sms_core.sandbox.wire import endpoint_name


class FaultMode(enum.StrEnum):
    BUSY = "busy"  # send -> -99, reads -> -3; nothing done
    SLOW = "slow"  # the request is handled, the answer comes after `delay` seconds
    GARBAGE = "garbage"  # an HTML error page, an empty body or a cut-short answer
    STALL = "stall"  # the request is read and counted, then never answered
    DROP = "drop"  # the connection is closed without an answer
    HTTP500 = "http500"  # HTTP 500 with an IIS-style page


GARBAGE_VARIANTS = ("html", "empty", "truncated")


@dataclass
class Fault:
    """The next `count` calls (to `endpoint`, or to any gateway endpoint) misbehave.

    `process`: for stall/drop/garbage/http500, whether the gateway did the work
    (sent the SMS, consumed the page) before failing to answer -- the case in
    which a client that retried would text twice. Busy never processes; slow
    always does.
    """

    mode: FaultMode
    count: int = 1
    endpoint: str | None = None
    delay: float = 1.0
    variant: str = "html"
    process: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"mode": str(self.mode), "count": self.count, "endpoint": self.endpoint,
                "delay": self.delay, "variant": self.variant, "process": self.process}


def make_fault(
    mode: str,
    count: int = 1,
    endpoint: str | None = None,
    *,
    delay: float | None = None,
    variant: str | None = None,
    process: bool = False,
) -> Fault:
    """A checked Fault (ValueError saying what is wrong otherwise); see FaultMode."""
    fault_mode = FaultMode(mode)
    if variant is not None and variant not in GARBAGE_VARIANTS:
        raise ValueError(f"unknown garbage variant {variant!r}; expected {GARBAGE_VARIANTS}")
    if count < 1:
        raise ValueError("count must be at least 1")
    return Fault(
        mode=fault_mode, count=int(count), endpoint=endpoint_name(endpoint),
        delay=1.0 if delay is None else float(delay), variant=variant or "html",
        process=bool(process) or fault_mode is FaultMode.SLOW,
    )


def take_fault(faults: list[Fault], endpoint: str) -> Fault | None:
    """The first fault that applies to a call to `endpoint`, used once (dropped when used up)."""
    for fault in faults:
        if fault.endpoint is None or fault.endpoint == endpoint:
            fault.count -= 1
            if fault.count <= 0:
                faults.remove(fault)
            return fault
    return None


_GARBAGE_HTML = (
    "<html><head><title>HTTP 500 - 内部服务器错误</title></head><body>"
    "<h2>Microsoft VBScript 运行时错误 '800a000d'</h2><p>类型不匹配: 'CInt'</p>"
    "<p>/include/conn.asp，行 42</p></body></html>"
)
HTTP500_PAGE = (
    "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\"><html><head>"
    "<title>500 - 内部服务器错误。</title></head><body><h2>500 - 内部服务器错误。</h2>"
    "<h3>您查找的资源存在问题，因而无法显示。</h3></body></html>"
)
_TRUNCATED = {
    "send": "0|2",
    "reports": "3|6408676;13682250950;20|6408649;137",
    "inbound": "2|133,13798361236;我回复一条|134,1382",
    "balance": "",
}


def busy_answer(endpoint: str) -> str:
    """The vendor's busy code: -99 on send, -3 on the reads (balance has none; -3 too)."""
    return "-99" if endpoint == "send" else "-3"


def garbage_answer(endpoint: str, variant: str) -> str:
    """A body no client can read: empty, an answer cut short, or a server error page."""
    if variant == "empty":
        return ""
    if variant == "truncated":
        return _TRUNCATED[endpoint]
    return _GARBAGE_HTML


__all__ = [
    "GARBAGE_VARIANTS",
    "HTTP500_PAGE",
    "Fault",
    "FaultMode",
    "busy_answer",
    "garbage_answer",
    "make_fault",
    "take_fault",
]
