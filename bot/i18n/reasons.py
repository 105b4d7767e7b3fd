"""The catalogue key of each reason code, for the codes whose key is not the code itself.

A bot refusal (bot.errors.Reason) is worded by the entry of its own name. sms_core's codes
are worded here, in the reader's language: why a send failed (GatewayReason, UnknownReason,
InputReason: `gw_{code}`, the code a send's row keeps) and why a typed number is refused
(NumberReason: `number_{code}`). sms_core knows nothing of languages; its own messages
stay English.
"""

from __future__ import annotations

from bot.i18n import Html, Translator
from sms_core.errors import NumberReason


def gateway_key(reason: str) -> str:
    """The key of a send's error kind: a GatewayReason, UnknownReason or InputReason code."""
    return f"gw_{reason}"


def number_key(why: NumberReason) -> str:
    return f"number_{why}"


def number_refusal(why: NumberReason, tr: Translator) -> Html:
    """Why a number is refused, in the reader's language (HTML, ready to fill a message)."""
    return Html(tr(number_key(why)))
