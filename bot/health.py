"""What /healthz reads about the running bot, and who writes it: one HealthState per runtime.

| field | value | written by |
|---|---|---|
| `last_poll_ok` | unix time by which every poll endpoint was last read with success, or None | poll job |
| `last_poll_error` | why reads are failing now (store, gateway), or None | poll job |
| `poll_store_error` | why the poll job does not read at all (the store cannot keep an answer), or None | poll job |
| `telegram_ok_at` | unix time of the last Telegram call known to have succeeded | start, alert copies, /healthz |
| `chats` | chat id -> ChatMark: the last word on a chat the bot must post in | forward job, alert copies, /healthz |

A run that read nothing (backing off, the store refusing, garbage, the gateway
unreachable) never moves `last_poll_ok`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from telegram.error import Forbidden

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ChatMark:
    """The last thing learnt about the bot in one chat. `problem`: the chat refuses the bot
    (kicked, left, may not post); `warning`: it works, but not as it should (no topics)."""

    problem: str | None
    at: float
    warning: str | None = None


@dataclass
class HealthState:
    """The parts of /healthz that the jobs learn as they run (see the table above)."""

    last_poll_ok: float | None = None
    last_poll_error: str | None = None
    poll_store_error: str | None = None
    telegram_ok_at: float | None = None
    chats: dict[int, ChatMark] = field(default_factory=dict)

    def note_chat(self, chat_id: int, problem: str | None, *, warning: str | None = None) -> None:
        """Record that `chat_id` took the bot's message (problem None) or refused the bot."""
        self.chats[chat_id] = ChatMark(problem, time.time(), warning if problem is None else None)

    def chat_mark(self, chat_id: int) -> ChatMark | None:
        return self.chats.get(chat_id)

    def refusal_noted(self, chat_id: int, fn: Callable[[], Awaitable[T]]) -> Callable[[], Awaitable[T]]:
        """`fn` (a Telegram call into `chat_id`) that notes a Forbidden answer (the bot kicked,
        removed, blocked) as the chat's problem before it goes on, and a success as the chat's
        recovery. A problem noted by the /healthz probe (a warning) is kept on success."""

        async def call() -> T:
            try:
                result = await fn()
            except Forbidden as exc:
                self.note_chat(chat_id, f"Telegram refuses the bot: {exc}")
                raise
            mark = self.chat_mark(chat_id)
            if mark is None or mark.problem is not None:
                self.note_chat(chat_id, None)
            return result

        return call
