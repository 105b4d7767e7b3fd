"""Error answers as Telegram gives them: the HTTP status, the description and its parameters.

python-telegram-bot maps the status to an exception (400 BadRequest, 403 Forbidden,
409 Conflict, 429 RetryAfter ...), so every refusal of the double goes through here.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CONFLICT_POLL", "CONFLICT_WEBHOOK", "NOT_MODIFIED", "ApiError", "bad", "too_many"]

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


class ApiError(Exception):
    """An error answer, with the real HTTP status python-telegram-bot maps to an exception."""

    def __init__(self, status: int, description: str, retry_after: int | None = None,
                 migrate_to_chat_id: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    def payload(self) -> dict[str, Any]:
        """The JSON body Telegram sends with this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        if self.migrate_to_chat_id is not None:
            body["parameters"] = {"migrate_to_chat_id": self.migrate_to_chat_id}
        return body


def bad(text: str) -> ApiError:
    """A 400 "Bad Request: ..." answer."""
    return ApiError(400, f"Bad Request: {text}")


def too_many(retry_after: int) -> ApiError:
    """A 429 answer that tells the bot how many seconds to wait."""
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
