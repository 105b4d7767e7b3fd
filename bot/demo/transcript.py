"""What the terminal shows of the bot's calls: one line per message, numbered for `:reply N`.

Numbers run across all chats in the order the demo prints the bot's messages (Telegram's
own message ids repeat from chat to chat); an edit keeps its message's number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.demo.world import ALERT_CHAT, DEMO_USER, DEMO_USER_NAME, INBOX_CHAT, TEAM_CHAT, Place
from bot.devserver import BotApiServer, Call

SHOWN = frozenset({"sendMessage", "editMessageText", "editMessageReplyMarkup", "deleteMessage",
                   "createForumTopic", "editForumTopic", "answerCallbackQuery"})
"""The bot calls a person in the chat would notice."""


@dataclass(frozen=True)
class Numbered:
    """A bot message the terminal showed as #number."""

    number: int
    chat_id: int
    message_id: int


class Transcript:
    """Names places, numbers the bot's messages and turns its calls into lines."""

    def __init__(self, api: BotApiServer) -> None:
        self.api = api
        self._numbers: dict[tuple[int, int], int] = {}
        self._messages: dict[int, Numbered] = {}

    def number_of(self, chat_id: int, message_id: int) -> int:
        """The message's number, given on first sight."""
        key = (chat_id, message_id)
        if key not in self._numbers:
            number = len(self._numbers) + 1
            self._numbers[key] = number
            self._messages[number] = Numbered(number, chat_id, message_id)
        return self._numbers[key]

    def message(self, number: int) -> Numbered | None:
        return self._messages.get(number)

    def label(self, chat_id: int, topic_id: int | None = None) -> str:
        """A short name of a place: team, inbox, inbox › TOPIC NAME, alerts, private."""
        if chat_id == TEAM_CHAT:
            return "team"
        if chat_id == ALERT_CHAT:
            return "alerts"
        if chat_id == INBOX_CHAT:
            if topic_id is None:
                return "inbox"
            names = {t["message_thread_id"]: t["name"] for t in self.api.topics(INBOX_CHAT)}
            return f"inbox › {names.get(topic_id, f'topic {topic_id}')}"
        if chat_id == DEMO_USER:
            return "private"
        return f"chat {chat_id}"

    def place_label(self, place: Place) -> str:
        return self.label(place.chat_id, place.topic_id)

    def typed(self, place: Place, text: str, reply_to: int | None = None) -> str:
        """What the demo user wrote, as a piped session's transcript shows it."""
        head, *rest = text.split("\n")
        answering = f" (reply to #{reply_to})" if reply_to is not None else ""
        return "\n".join([f"[{self.place_label(place)}] {DEMO_USER_NAME}{answering}: {head}",
                          *(f"    {line}" for line in rest)])

    def describe(self, call: Call, here: Place) -> str | None:
        """One bot call as the terminal shows it, or None for calls nobody would see."""
        if call.method not in SHOWN or not call.ok:
            return None
        params, result = call.params, call.result
        try:
            chat_id = int(params.get("chat_id", 0))
        except (TypeError, ValueError):
            return None
        if call.method == "answerCallbackQuery":
            return f"[{self.label(here.chat_id)}] (pop-up) {params['text']}" if params.get("text") else None
        if call.method == "createForumTopic" and isinstance(result, dict):
            topic = result.get("message_thread_id")
            return (f'[{self.label(chat_id)}] smsbot opened topic "{result.get("name")}" '
                    f"(:topic {topic} to write in it)")
        if call.method == "editForumTopic":
            return f'[{self.label(chat_id)}] smsbot renamed a topic to "{params.get("name")}"'
        if call.method == "deleteMessage":
            key = (chat_id, _int(params.get("message_id")))
            which = f"#{self._numbers[key]}" if key in self._numbers else "a message"
            return f"[{self.label(chat_id)}] smsbot deleted {which}"
        if not isinstance(result, dict):
            return None
        return self.bot_message(chat_id, result, edited=call.method != "sendMessage")

    def bot_message(self, chat_id: int, message: dict[str, Any], *, edited: bool = False) -> str:
        """A message of the bot (Telegram's Message object) with its number and its buttons."""
        where = self.label(chat_id, message.get("message_thread_id") if message.get("is_topic_message") else None)
        number = self.number_of(chat_id, _int(message.get("message_id")))
        verb = " (edited)" if edited else ""
        body = str(message.get("text", "")).splitlines() or [""]
        lines = [f"[{where}] smsbot #{number}{verb}: {body[0]}", *(f"    {line}" for line in body[1:])]
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            lines.append("    " + " ".join(f"[{b.get('text', '')}]" for b in row)
                         + "   (:press BUTTON)")
        return "\n".join(lines)


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload, no-any-return]
    except (TypeError, ValueError):
        return 0
