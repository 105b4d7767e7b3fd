"""How updates reach the bot: getUpdates (its immediate half; the server does the waiting)
and the webhook methods, which switch getUpdates off while a webhook is set."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import bad
from ..state import State

__all__ = ["HANDLERS"]


def get_updates(state: State, params: Mapping[str, Any]) -> Any:
    return state.updates.take(params)


def set_webhook(state: State, params: Mapping[str, Any]) -> Any:
    url = params.get("url") or ""
    if url and not str(url).startswith("https://"):
        raise bad("bad webhook: An HTTPS URL must be provided for webhook")
    state.updates.webhook_url = str(url)
    if params.get("drop_pending_updates"):
        state.updates.drop_pending()
    state.updates.wake_all()
    return True


def delete_webhook(state: State, params: Mapping[str, Any]) -> Any:
    state.updates.webhook_url = ""
    if params.get("drop_pending_updates"):
        state.updates.drop_pending()
    return True


def get_webhook_info(state: State, params: Mapping[str, Any]) -> Any:
    return {
        "url": state.updates.webhook_url,
        "has_custom_certificate": False,
        "pending_update_count": state.updates.pending_count(),
    }


HANDLERS = {
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "getUpdates": get_updates,
}
