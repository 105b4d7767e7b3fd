"""sms_core: the adapter for the 112088 SMS gateway's HTTP API. Knows nothing of Telegram."""

from sms_core.client import SmsGateway
from sms_core.errors import *  # noqa: F403
from sms_core.errors import __doc__ as _errors_doc  # noqa: F401
from sms_core.models import (
    ChunkOutcome,
    ChunkResult,
    DeliveryReport,
    InboundPage,
    InboundSms,
    ReportPage,
    ReportStatus,
    SendAnswer,
    SendResult,
    TextInfo,
)
from sms_core.phones import (
    chunked,
    looks_like_number,
    normalize_number,
    normalize_numbers,
    parse_numbers,
)
from sms_core.protocol.query import (
    INBOUND_PAGE_SIZE,
    MAX_NUMBERS_PER_REQUEST,
    REPORT_PAGE_SIZE,
    Endpoint,
)
from sms_core.protocol.read_answers import parse_balance, parse_inbound, parse_reports
from sms_core.protocol.send_answer import parse_send
from sms_core.schedule import CST, check_schedule, parse_schedule
from sms_core.text import segment_count, unencodable_chars, validate_text

__all__ = [
    "CST",
    "INBOUND_PAGE_SIZE",
    "MAX_NUMBERS_PER_REQUEST",
    "REPORT_PAGE_SIZE",
    "ChunkOutcome",
    "ChunkResult",
    "DeliveryReport",
    "Endpoint",
    "InboundPage",
    "InboundSms",
    "ReportPage",
    "ReportStatus",
    "SendAnswer",
    "SendResult",
    "SmsGateway",
    "TextInfo",
    "check_schedule",
    "chunked",
    "looks_like_number",
    "normalize_number",
    "normalize_numbers",
    "parse_balance",
    "parse_inbound",
    "parse_numbers",
    "parse_reports",
    "parse_schedule",
    "parse_send",
    "segment_count",
    "unencodable_chars",
    "validate_text",
]
