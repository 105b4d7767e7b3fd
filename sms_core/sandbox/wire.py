"""The sandbox's own reading of requests and writing of answers, from the vendor's document.

This module deliberately does NOT use `sms_core.protocol`: the sandbox reads queries
and writes answers on its own, so that a test of the client against the sandbox is a
real cross-check of both sides.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import unquote_to_bytes

from sms_core.models import DeliveryReport, InboundSms

REPORT_PAGE = 100
INBOUND_PAGE = 50

SEND_PATH = "/sendsms_txt.asp"
REPORTS_PATH = "/get_report_txt.asp"
INBOUND_PATH = "/get_receive_message_txt.asp"
BALANCE_PATH = "/Get_Account_Balance.asp"

ENDPOINTS: dict[str, str] = {
    SEND_PATH: "send",
    REPORTS_PATH: "reports",
    INBOUND_PATH: "inbound",
    BALANCE_PATH: "balance",
}
"""Path (exactly as the vendor spells it; the sandbox is case-sensitive, to catch typos) -> name."""


def endpoint_name(endpoint: str | None) -> str | None:
    """Accept "send", "sendsms_txt.asp" or "/sendsms_txt.asp" (and so on) for an endpoint."""
    if endpoint is None or endpoint == "":
        return None
    if endpoint in ENDPOINTS.values():
        return endpoint
    path = endpoint if endpoint.startswith("/") else "/" + endpoint
    if path in ENDPOINTS:
        return ENDPOINTS[path]
    raise ValueError(f"unknown endpoint {endpoint!r}; expected one of {sorted(ENDPOINTS.values())}")


def decode_query(raw: bytes, encoding: str = "gbk") -> tuple[dict[str, str], bool]:
    """Read a raw query string the way a Chinese ASP site does: `+` is a space,
    %XX escapes are bytes, the bytes are GBK. Keys are case-insensitive (ASP's
    Request.QueryString); a repeated key's values are joined with ", " as ASP does.

    Returns (params, all values were valid GBK). An invalid value is decoded with
    replacement characters: garbage text, as the real gateway would store it.
    """
    params: dict[str, str] = {}
    ok = True
    for part in raw.split(b"&"):
        if not part:
            continue
        key_b, _, value_b = part.partition(b"=")
        key_bytes = unquote_to_bytes(key_b.replace(b"+", b" "))
        value_bytes = unquote_to_bytes(value_b.replace(b"+", b" "))
        try:
            key = key_bytes.decode(encoding)
        except UnicodeDecodeError:
            ok = False
            key = key_bytes.decode(encoding, errors="replace")
        try:
            value = value_bytes.decode(encoding)
        except UnicodeDecodeError:
            ok = False
            value = value_bytes.decode(encoding, errors="replace")
        key = key.lower()
        params[key] = f"{params[key]}, {value}" if key in params else value
    return params, ok


def format_reports(reports: Iterable[DeliveryReport | tuple[str, str, int]]) -> str:
    """`N|id;phone;status|...`, or `0` when there is none (the vendor's report page)."""
    records = [
        f"{r.sms_id};{r.phone};{r.status}" if isinstance(r, DeliveryReport)
        else f"{r[0]};{r[1]};{r[2]}"
        for r in reports
    ]
    if not records:
        return "0"
    return f"{len(records)}|" + "|".join(records)


def format_inbound(messages: Iterable[InboundSms | tuple[str, str, str]], style: str = ";") -> str:
    """`N|id;phone;text|...`, or `0`. style ";" as the vendor's prose, "," as its
    example (`133,13798361236;text`), "mixed" alternates the two."""
    if style not in (";", ",", "mixed"):
        raise ValueError(f"unknown inbound style {style!r}; expected ';', ',' or 'mixed'")
    records = []
    for i, m in enumerate(messages):
        msg_id, phone, text = (m.msg_id, m.phone, m.text) if isinstance(m, InboundSms) else m
        sep = style if style != "mixed" else (";" if i % 2 == 0 else ",")
        records.append(f"{msg_id}{sep}{phone};{text}")
    if not records:
        return "0"
    return f"{len(records)}|" + "|".join(records)


__all__ = [
    "BALANCE_PATH",
    "ENDPOINTS",
    "INBOUND_PAGE",
    "INBOUND_PATH",
    "REPORTS_PATH",
    "REPORT_PAGE",
    "SEND_PATH",
    "decode_query",
    "endpoint_name",
    "format_inbound",
    "format_reports",
]
