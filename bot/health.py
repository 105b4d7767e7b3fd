"""What /healthz reads, and who writes it: a few keys of `services.extras`.

| key | value | written by |
|---|---|---|
| `last_poll_ok` | unix time by which every poll endpoint was last read with success, or None | poll job |
| `last_poll_error` | why reads are failing now (store, gateway), or None | poll job |
| `poll_store_error` | why the poll job does not read at all (the store cannot keep an answer), or None | poll job |
| `telegram_ok_at` | unix time of the last Telegram call known to have succeeded | start, alert copies, /healthz |
| `telegram_chats` | chat id -> ChatMark: the last word on a chat the bot must post in | forward job, alert copies, /healthz |

A run that read nothing (backing off, the store refusing, garbage, the gateway
unreachable) never moves `last_poll_ok`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from telegram.error import Forbidden

T = TypeVar("T")

LAST_POLL_OK = "last_poll_ok"
LAST_POLL_ERROR = "last_poll_error"
POLL_STORE_ERROR = "poll_store_error"
TELEGRAM_OK_AT = "telegram_ok_at"
TELEGRAM_CHATS = "telegram_chats"


@dataclass(frozen=True, slots=True)
class ChatMark:
    """The last thing learnt about the bot in one chat. `problem`: the chat refuses the bot
    (kicked, left, may not post); `warning`: it works, but not as it should (no topics)."""

    problem: str | None
    at: float
    warning: str | None = None


def note_chat(extras: dict[str, Any], chat_id: int, problem: str | None, *,
              warning: str | None = None) -> None:
    """Record that `chat_id` took the bot's message (problem None) or refused the bot."""
    marks: dict[int, ChatMark] = extras.setdefault(TELEGRAM_CHATS, {})
    marks[chat_id] = ChatMark(problem, time.time(), warning if problem is None else None)


def chat_mark(extras: dict[str, Any], chat_id: int) -> ChatMark | None:
    return extras.get(TELEGRAM_CHATS, {}).get(chat_id)


def refusal_noted(extras: dict[str, Any], chat_id: int,
                  fn: Callable[[], Awaitable[T]]) -> Callable[[], Awaitable[T]]:
    """`fn` (a Telegram call into `chat_id`) that notes a Forbidden answer (the bot kicked,
    removed, blocked) as the chat's problem before it goes on, and a success as the chat's
    recovery. A problem noted by the /healthz probe (a warning) is kept on success."""

    async def call() -> T:
        try:
            result = await fn()
        except Forbidden as exc:
            note_chat(extras, chat_id, f"Telegram refuses the bot: {exc}")
            raise
        mark = chat_mark(extras, chat_id)
        if mark is None or mark.problem is not None:
            note_chat(extras, chat_id, None)
        return result

    return call
