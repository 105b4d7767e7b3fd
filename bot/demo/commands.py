"""The demo's own commands (`:inbox`, `:reply`, `:alert`, ...) and the user's Telegram messages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from bot.demo.texts import GENERAL, HELP
from bot.demo.transcript import Transcript
from bot.demo.world import (
    ALERT_CHAT,
    ALERT_GROUP,
    DEMO_PHONE,
    DEMO_USER,
    INBOX_CHAT,
    POLL_INTERVAL,
    TEAM_CHAT,
    Place,
    World,
)
from sms_core.errors import InvalidNumber
from sms_core.phones import normalize_number


class Commands:
    """Acts on one typed entry; keeps where the user writes."""

    def __init__(self, world: World, transcript: Transcript, say: Callable[[str], None], *,
                 echo: bool) -> None:
        self.world = world
        self.transcript = transcript
        self.say = say
        self.echo = echo  # a piped session shows what was typed, as a transcript
        self.place = Place(TEAM_CHAT)
        self._actions: dict[str, Callable[[str], Awaitable[None]]] = {
            "help": self._help, "team": self._team, "inbox": self._inbox, "topic": self._topic,
            "reply": self._reply, "phone": self._phone, "sent": self._sent, "alert": self._alert,
            "alerts": self._alerts, "press": self._press, "lang": self._lang, "show": self._show,
        }

    def prompt(self) -> str:
        return f"{self.transcript.place_label(self.place)}> "

    async def handle(self, entry: str) -> bool:
        """One typed entry (lines joined); False ends the demo."""
        text = entry.strip()
        if not text:
            return True
        if not text.startswith(":"):
            self._post(self.place, entry.strip("\r\n"))
            return True
        command, rest = _first_word(text[1:])
        command = command.lower()
        if command in ("quit", "q", "exit"):
            return False
        action = self._actions.get(command)
        if action is None:
            self.say(f"unknown demo command :{command}; :help lists them")
        else:
            await action(rest)
        return True

    def _post(self, place: Place, text: str, reply_to: int | None = None, number: int | None = None) -> None:
        if self.echo:
            self.say(self.transcript.typed(place, text, number))
        try:
            self.world.post(place, text, reply_to=reply_to)
        except (KeyError, ValueError) as exc:  # e.g. the topic or the message was deleted
            self.say(f"cannot write there: {exc}; :team or :inbox")
            return
        if place == Place(INBOX_CHAT) and reply_to is None and not text.startswith("/"):
            self.say(GENERAL.format(phone=DEMO_PHONE))  # the bot ignores it on purpose

    async def _help(self, rest: str) -> None:
        self.say(HELP.format(poll=POLL_INTERVAL, phone=DEMO_PHONE, group=ALERT_GROUP).rstrip("\n"))

    async def _team(self, rest: str) -> None:
        self._move(Place(TEAM_CHAT))

    async def _inbox(self, rest: str) -> None:
        if not rest:
            self._move(Place(INBOX_CHAT))
            topics = self.world.live_topics()
            if topics:
                self.say("topics: " + ", ".join(f'{n} "{name}"' for n, name in topics.items()))
            else:
                self.say("no topics yet: a phone gets one when it first texts (:phone PHONE TEXT)")
            return
        phone = self._phone_number(rest)
        if phone is None:
            return
        topic = await self.world.runtime.store.topics.get(phone, INBOX_CHAT)
        if topic is None or topic.topic_id not in self.world.live_topics():
            self.say(f"{phone} has no topic yet: it gets one when it first texts, e.g. :phone {phone} hello")
            return
        self._move(Place(INBOX_CHAT, topic.topic_id))
        self.say(f"what you write here is texted to {phone}")

    async def _topic(self, rest: str) -> None:
        if not rest.isdigit() or int(rest) not in self.world.live_topics():
            self.say(f"no topic {rest!r} in the inbox; :inbox lists them")
            return
        self._move(Place(INBOX_CHAT, int(rest)))

    def _move(self, place: Place) -> None:
        self.place = place
        self.say(f"now writing in {self.transcript.place_label(place)}")

    async def _reply(self, rest: str) -> None:
        number, text = _first_word(rest)
        number = number.lstrip("#")
        if not number.isdigit() or not text:
            self.say("write it as :reply N TEXT, N being the number the bot's message is shown with "
                     "(smsbot #N), e.g. :reply 4 /sms 13900139000")
            return
        shown = self.transcript.message(int(number))
        if shown is None:
            self.say(f"no message #{number} yet: the bot's messages are shown as smsbot #N")
            return
        # the reply goes where the message is: Telegram puts it in the message's topic
        topic = next((m.get("message_thread_id") for m in self.world.api.messages(shown.chat_id)
                       if m.get("message_id") == shown.message_id and m.get("is_topic_message")), None)
        self._post(Place(shown.chat_id, topic), text, reply_to=shown.message_id,
                   number=shown.number)

    def _phone_number(self, raw: str) -> str | None:
        try:
            return normalize_number(raw)
        except InvalidNumber as exc:
            self.say(f"{raw} is not a number the gateway knows: {exc.why.sentence}")
            return None

    async def _phone(self, rest: str) -> None:
        raw, text = _first_word(rest)
        if not raw or not text:
            self.say(f"write it as :phone PHONE TEXT, e.g. :phone {DEMO_PHONE} hello back")
            return
        phone = self._phone_number(raw)
        if phone is None:
            return
        self.world.sandbox.gateway.add_inbound(phone, text)
        self.say(f"📱 {phone} texts: {text}  (the bot fetches it at its next poll)")

    async def _sent(self, rest: str) -> None:
        sent = self.world.sandbox.gateway.sent
        if not sent:
            self.say("the gateway has sent nothing yet")
            return
        lines = [f"the gateway has sent {len(sent)} SMS request(s):"]
        for n, record in enumerate(sent, 1):
            head = f"  {n}. to {', '.join(record.accepted)}: "
            first, *more = record.text.split("\n")
            lines.append(head + first)
            lines.extend(" " * len(head) + line for line in more)
        lines.append(f"balance left: {self.world.sandbox.gateway.state()['balance']}")
        self.say("\n".join(lines))

    async def _alert(self, rest: str) -> None:
        if not rest:
            self.say("write it as :alert TEXT, e.g. :alert disk full on db-1")
            return
        try:
            answer = await self.world.send_alert(rest)
        except httpx.HTTPError as exc:
            self.say(f"the bot's webhook cannot be reached at {self.world.alert_url}: {type(exc).__name__}")
            return
        if answer.status >= 300:
            self.say(f"the webhook answered HTTP {answer.status}: {answer.body.get('error', answer.body)}")
            return
        lines = [f'POST {self.world.alert_url} {{"text": ...}}: HTTP {answer.status}']
        for alert in answer.body.get("accepted", []):
            line = f"  alert {alert.get('id')} for @{alert.get('group')}: {alert.get('state')}"
            if alert.get("code") is not None:
                line += f"; the phone acknowledges it by answering {alert['code']} " \
                        f"(:phone {DEMO_PHONE} {alert['code']})"
            lines.append(line)
        lines.append('the SMS goes out and a copy appears in "Alerts" (:alerts, :sent)')
        self.say("\n".join(lines))

    async def _alerts(self, rest: str) -> None:
        copies = self.world.api.sent_messages(ALERT_CHAT)
        if not copies:
            self.say('no alert in "Alerts" yet: :alert TEXT sends one')
            return
        self.say(f'"Alerts", where the bot posts a copy of each alert SMS ({len(copies)}), as they read now:\n'
                 + "\n".join(self.transcript.bot_message(ALERT_CHAT, m) for m in copies))

    async def _press(self, rest: str) -> None:
        wanted = rest.casefold()
        for msg in reversed(self.world.api.sent_messages(self.place.chat_id, self.place.topic_id)):
            for row in (msg.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if str(button.get("text", "")).casefold() == wanted and "callback_data" in button:
                        self.world.api.push_callback(self.place.chat_id, DEMO_USER, msg["message_id"],
                                                     button["callback_data"])
                        return
        self.say(f"no button {rest!r} under the bot's messages here")

    async def _lang(self, rest: str) -> None:
        if rest not in ("en", "zh"):
            self.say("write :lang en or :lang zh")
            return
        self.world.set_language("zh-hans" if rest == "zh" else "en")
        self.say(f"your Telegram language is now {self.world.language_code}")

    async def _show(self, rest: str) -> None:
        self.say(self.world.api.render_chat(self.place.chat_id))


def _first_word(text: str) -> tuple[str, str]:
    """(the first word, the rest without the blanks around it): a line break ends a word too."""
    parts = text.strip().split(maxsplit=1)
    return (parts[0], parts[1].strip()) if len(parts) == 2 else (parts[0] if parts else "", "")
