"""sms_core: the adapter for the 112088 SMS gateway's HTTP API. Knows nothing of Telegram."""

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

__all__ = [
    "ChunkOutcome",
    "ChunkResult",
    "DeliveryReport",
    "InboundPage",
    "InboundSms",
    "ReportPage",
    "ReportStatus",
    "SendAnswer",
    "SendResult",
    "TextInfo",
]
