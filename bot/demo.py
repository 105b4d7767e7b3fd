"""`smsbot demo`: try the whole bot in a terminal, with no gateway account and no bot token.

Three things run on 127.0.0.1 in this one process: the sandbox SMS gateway, the local
Bot API stand-in (bot.devserver) with a team chat and a forum inbox, and the real bot,
built by bot.app.build_application and started the way `run_polling` starts it, so the
real handlers and jobs answer. What you type is posted as a message of the demo user;
what the bot does in Telegram is printed as it happens. Nothing leaves the machine.

Other SMSBOT_* variables of the environment still apply (e.g. SMSBOT_LANGUAGE=zh,
SMSBOT_CONFIRM_THRESHOLD); the connection settings, chats and store are the demo's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from bot.devserver import BotApiServer, Call
from config import Settings, load_settings
from sms_core.errors import InvalidNumber
from sms_core.phones import normalize_number
from sms_core.sandbox import SandboxGateway, SandboxServer

TEAM_CHAT = -1001000000001
INBOX_CHAT = -1001000000002
DEMO_USER = 1001
DEMO_USER_NAME = "You"
POLL_INTERVAL = 1.0
"""Seconds between gateway polls: short, so answers and delivery reports show quickly."""
REPORT_DELAY = 1.0
"""Seconds before the sandbox reports an SMS delivered."""

_SHOWN = frozenset({"sendMessage", "editMessageText", "editMessageReplyMarkup", "deleteMessage",
                    "createForumTopic", "editForumTopic", "answerCallbackQuery"})

INTRO = """\
smsbot demo: the real bot, a sandbox SMS gateway and a local Telegram, all on 127.0.0.1.
No account, no token; nothing leaves this machine.

You are "{user}", an admin of the bot, writing in the team chat "Ops team".
What you type is sent as your Telegram message; the bot's answers appear as they happen.
Try:
  /sms 13800138000 hi            text a phone, as a team member would
  :phone 13800138000 hello back  that phone answers: the SMS appears in its topic of the inbox
  :inbox 13800138000             go to that topic: what you write there is texted back
  :sent                          what the gateway has sent
  /help                          everything the bot can do
:help lists the demo's commands; :quit or Ctrl-D leaves.
"""

HELP = """\
Demo commands (anything else is sent as your Telegram message where you are):
  :team                  write in the team chat "Ops team"
  :inbox                 write in the inbox's General topic (and list the topics)
  :inbox PHONE           write in PHONE's topic of the inbox: replies go to PHONE by SMS
  :topic N               write in topic N of the inbox
  :phone PHONE TEXT      PHONE sends TEXT by SMS to the gateway (the bot polls it every {poll:g} s)
  :sent                  the SMS the sandbox gateway has sent
  :press BUTTON          press a button under the bot's last message here, e.g. :press Confirm
  :lang en|zh            your Telegram language (the bot answers in it)
  :show                  the whole chat you are in, as Telegram would show it
  :help                  this list
  :quit                  stop everything (Ctrl-D too)
"""


@dataclass(frozen=True)
class Place:
    """Where the demo user writes: a chat and, in the forum inbox, a topic."""

    chat_id: int
    thread_id: int | None = None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _language_from_locale(environ: Mapping[str, str]) -> str:
    """A Chinese terminal gets a Chinese-speaking demo user, as Telegram would report it."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value:
            return "zh-hans" if value.lower().startswith("zh") else "en"
    return "en"


class Demo:
    """The three servers, the bot, and the terminal chat between them."""

    def __init__(self, out: TextIO | None = None, *, interactive: bool | None = None,
                 language_code: str | None = None) -> None:
        self.out = out if out is not None else sys.stdout
        self.interactive = sys.stdin.isatty() and self.out.isatty() if interactive is None else interactive
        self.language_code = language_code or _language_from_locale(os.environ)
        token = f"{secrets.randbelow(9 * 10**9) + 10**9}:demo-{secrets.token_urlsafe(24)}"
        self.sandbox = SandboxServer(SandboxGateway(username="demo", password=secrets.token_urlsafe(16),
                                                    report_delay=REPORT_DELAY))
        self.api = BotApiServer(token=token)
        self.place = Place(TEAM_CHAT)
        self.app: Any = None
        self.http_port = _free_port()
        self._tmp = tempfile.TemporaryDirectory(prefix="smsbot-demo-")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._calls: asyncio.Queue[Call] = asyncio.Queue()
        self._unsubscribe: Callable[[], None] | None = None
        self._reading = threading.Event()  # the reader thread waits in input()
        self._closing = False
        self._readline: Any = None

    # -- lifecycle ----------------------------------------------------------------------

    def settings(self) -> Settings:
        """The bot's settings: both servers, the demo's chats and a throwaway store."""
        assert self.sandbox.gateway.password is not None
        return load_settings(  # a wrong SMSBOT_* in the environment is named, as elsewhere
            _env_file=None,
            telegram_token=self.api.token,
            telegram_api_url=self.api.base_url,
            gateway_url=self.sandbox.url,
            gateway_username=self.sandbox.gateway.username,
            gateway_password=self.sandbox.gateway.password,
            gateway_timeout=5.0,
            allowed_chat_ids=[TEAM_CHAT],
            admin_user_ids=[DEMO_USER],
            inbox_chat_id=INBOX_CHAT,
            database_path=Path(self._tmp.name) / "smsbot.sqlite3",
            poll_interval=POLL_INTERVAL,
            http_listen=f"127.0.0.1:{self.http_port}",
            log_level=os.environ.get("SMSBOT_LOG_LEVEL", "WARNING"),
        )

    async def start(self) -> None:
        """Start the servers and the bot the way run_polling does (initialize, post_init, poll, start)."""
        from bot.app import build_application, start_in_loop

        self._loop = asyncio.get_running_loop()
        await asyncio.to_thread(self.sandbox.start)
        await asyncio.to_thread(self.api.start)
        self.api.add_user(DEMO_USER, DEMO_USER_NAME, username="you", language_code=self.language_code)
        self.api.add_chat(DEMO_USER, type="private")
        self.api.add_chat(TEAM_CHAT, type="supergroup", title="Ops team")
        self.api.add_chat(INBOX_CHAT, type="supergroup", title="SMS inbox", is_forum=True)
        self._unsubscribe = self.api.subscribe(self._on_call)
        self.app = build_application(self.settings())
        await start_in_loop(self.app, poll_timeout=5)

    async def stop(self) -> None:
        """Stop in the reverse order; each step runs even if an earlier one failed."""
        if self.app is not None:
            from bot.app import stop_in_loop

            await stop_in_loop(self.app)
        if self._unsubscribe is not None:
            self._unsubscribe()
        await asyncio.to_thread(self.api.stop)
        await asyncio.to_thread(self.sandbox.stop)
        self._tmp.cleanup()

    # -- the terminal ---------------------------------------------------------------------

    async def run(self) -> int:
        """Print the intro, then read lines until :quit or end of input."""
        printer = asyncio.create_task(self._print_calls())
        lines: asyncio.Queue[str | None] = asyncio.Queue()
        go_on = threading.Event()
        reader = threading.Thread(target=self._read_lines, args=(lines, go_on), name="demo-input", daemon=True)
        try:
            await self.start()
            self._say(INTRO.format(user=DEMO_USER_NAME).rstrip("\n"))
            if await self._http_up():
                self._say(f"The bot's health and metrics: http://127.0.0.1:{self.http_port}/healthz "
                          "and /metrics\n")
            reader.start()
            while True:
                go_on.set()
                line = await lines.get()
                if line is None:
                    break
                if not await self.handle(line):
                    break
                await asyncio.sleep(0)  # let what the bot did so far be printed before the prompt
        finally:
            self._closing = True
            self._say("stopping…")
            try:
                await self.stop()
            finally:
                await asyncio.sleep(0)
                printer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await printer
        self._say("bye")
        return 0

    def _read_lines(self, lines: asyncio.Queue[str | None], go_on: threading.Event) -> None:
        """Blocking input() in its own thread, so the bot's jobs keep running meanwhile.

        A daemon thread rather than the loop's executor: a pending input() must not keep
        the process alive after :quit or Ctrl-C.
        """
        assert self._loop is not None
        if self.interactive:
            with contextlib.suppress(ImportError):
                import readline

                self._readline = readline
        while True:
            go_on.wait()
            go_on.clear()
            try:
                self._reading.set()
                line: str | None = input(self._prompt() if self.interactive else "")
            except (EOFError, KeyboardInterrupt):
                line = None
            except (OSError, ValueError):  # stdin closed under us
                line = None
            finally:
                self._reading.clear()
            with contextlib.suppress(RuntimeError):  # the loop is gone: we are exiting anyway
                self._loop.call_soon_threadsafe(lines.put_nowait, line)
            if line is None:
                return

    def _prompt(self) -> str:
        return f"{self.label(self.place.chat_id, self.place.thread_id)}> "

    def _say(self, text: str) -> None:
        """Print between prompts: in a terminal, the half-typed line is redrawn after it."""
        at_prompt = self.interactive and (self._reading.is_set() or self._closing)
        redraw = at_prompt and not self._closing
        if at_prompt:
            self.out.write("\r\x1b[K")
        self.out.write(text + "\n")
        if redraw:
            typed = self._readline.get_line_buffer() if self._readline is not None else ""
            self.out.write(self._prompt() + typed)
        self.out.flush()

    async def _http_up(self) -> bool:
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", self.http_port), 1.0)
        except (OSError, TimeoutError):
            return False
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True

    # -- what the user types ------------------------------------------------------------------

    async def handle(self, line: str) -> bool:
        """One typed line; False ends the demo."""
        text = line.strip()
        if not text:
            return True
        if not text.startswith(":"):
            self._post(line.rstrip("\r\n"))
            return True
        command, _, rest = text[1:].partition(" ")
        command, rest = command.lower(), rest.strip()
        if command in ("quit", "q", "exit"):
            return False
        action = {
            "help": self._help, "team": self._team, "inbox": self._inbox, "topic": self._topic,
            "phone": self._phone, "sent": self._sent, "press": self._press, "lang": self._lang,
            "show": self._show,
        }.get(command)
        if action is None:
            self._say(f"unknown demo command :{command}; :help lists them")
        else:
            await action(rest)
        return True

    def _post(self, text: str) -> None:
        if not self.interactive:  # a piped session reads as a transcript
            self._say(f"[{self.label(self.place.chat_id, self.place.thread_id)}] {DEMO_USER_NAME}: {text}")
        try:
            self.api.push_message(self.place.chat_id, DEMO_USER, text, thread_id=self.place.thread_id)
        except (KeyError, ValueError) as exc:  # e.g. the topic was deleted
            self._say(f"cannot write there: {exc}; :team or :inbox")

    async def _help(self, rest: str) -> None:
        self._say(HELP.format(poll=POLL_INTERVAL).rstrip("\n"))

    async def _team(self, rest: str) -> None:
        self._move(Place(TEAM_CHAT))

    async def _inbox(self, rest: str) -> None:
        if not rest:
            self._move(Place(INBOX_CHAT))
            topics = [t for t in self.api.topics(INBOX_CHAT) if not t.get("deleted")]
            if topics:
                self._say("topics: " + ", ".join(f'{t["message_thread_id"]} "{t["name"]}"' for t in topics))
            else:
                self._say("no topics yet: a phone gets one when it first texts (:phone PHONE TEXT)")
            return
        phone = self._phone_number(rest)
        if phone is None:
            return
        thread = await self.app.bot_data["services"].store.get_thread(phone, INBOX_CHAT)
        alive = {t["message_thread_id"] for t in self.api.topics(INBOX_CHAT) if not t.get("deleted")}
        if thread is None or thread.thread_id not in alive:
            self._say(f"{phone} has no topic yet: it gets one when it first texts, "
                      f"e.g. :phone {phone} hello")
            return
        self._move(Place(INBOX_CHAT, thread.thread_id))
        self._say(f"what you write here is texted to {phone}")

    async def _topic(self, rest: str) -> None:
        alive = {t["message_thread_id"] for t in self.api.topics(INBOX_CHAT) if not t.get("deleted")}
        if not rest.isdigit() or int(rest) not in alive:
            self._say(f"no topic {rest!r} in the inbox; :inbox lists them")
            return
        self._move(Place(INBOX_CHAT, int(rest)))

    def _move(self, place: Place) -> None:
        self.place = place
        self._say(f"now writing in {self.label(place.chat_id, place.thread_id)}")

    def _phone_number(self, raw: str) -> str | None:
        try:
            return normalize_number(raw)
        except InvalidNumber as exc:
            self._say(f"{raw} is not a number the gateway knows: {exc.reason}")
            return None

    async def _phone(self, rest: str) -> None:
        raw, _, text = rest.partition(" ")
        if not raw or not text.strip():
            self._say("write it as :phone PHONE TEXT, e.g. :phone 13800138000 hello back")
            return
        phone = self._phone_number(raw)
        if phone is None:
            return
        self.sandbox.gateway.add_inbound(phone, text.strip())
        self._say(f"📱 {phone} texts: {text.strip()}  (the bot fetches it at its next poll)")

    async def _sent(self, rest: str) -> None:
        sent = self.sandbox.gateway.sent
        if not sent:
            self._say("the gateway has sent nothing yet")
            return
        lines = [f"the gateway has sent {len(sent)} SMS request(s):"]
        for n, record in enumerate(sent, 1):
            lines.append(f"  {n}. to {', '.join(record.accepted)}: {record.text}")
        lines.append(f"balance left: {self.sandbox.gateway.state()['balance']}")
        self._say("\n".join(lines))

    async def _press(self, rest: str) -> None:
        wanted = rest.casefold()
        for msg in reversed(self.api.sent_messages(self.place.chat_id, self.place.thread_id)):
            for row in (msg.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if str(button.get("text", "")).casefold() == wanted and "callback_data" in button:
                        self.api.push_callback(self.place.chat_id, DEMO_USER, msg["message_id"],
                                               button["callback_data"])
                        return
        self._say(f"no button {rest!r} under the bot's messages here")

    async def _lang(self, rest: str) -> None:
        if rest not in ("en", "zh"):
            self._say("write :lang en or :lang zh")
            return
        self.language_code = "zh-hans" if rest == "zh" else "en"
        self.api.add_user(DEMO_USER, DEMO_USER_NAME, username="you", language_code=self.language_code)
        self._say(f"your Telegram language is now {self.language_code}")

    async def _show(self, rest: str) -> None:
        self._say(self.api.render_chat(self.place.chat_id))

    # -- what the bot does ----------------------------------------------------------------------

    def _on_call(self, call: Call) -> None:
        """Called by the Bot API server's thread after each bot call: hand it to the loop."""
        if call.method in _SHOWN and call.ok and self._loop is not None:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._calls.put_nowait, call)

    async def _print_calls(self) -> None:
        while True:
            call = await self._calls.get()
            text = self.describe(call)
            if text:
                self._say(text)

    def label(self, chat_id: int, thread_id: int | None = None) -> str:
        """A short name of a place: team, inbox, inbox › TOPIC NAME, private."""
        if chat_id == TEAM_CHAT:
            return "team"
        if chat_id == INBOX_CHAT:
            if thread_id is None:
                return "inbox"
            names = {t["message_thread_id"]: t["name"] for t in self.api.topics(INBOX_CHAT)}
            return f"inbox › {names.get(thread_id, f'topic {thread_id}')}"
        if chat_id == DEMO_USER:
            return "private"
        return f"chat {chat_id}"

    def describe(self, call: Call) -> str | None:
        """One bot call as the terminal shows it, or None for calls nobody would see."""
        params, result = call.params, call.result
        try:
            chat_id = int(params.get("chat_id", 0))
        except (TypeError, ValueError):
            return None
        if call.method == "answerCallbackQuery":
            return f"[{self.label(self.place.chat_id)}] (pop-up) {params['text']}" if params.get("text") else None
        if call.method == "createForumTopic" and isinstance(result, dict):
            thread = result.get("message_thread_id")
            return (f'[{self.label(chat_id)}] smsbot opened topic "{result.get("name")}" '
                    f"(:topic {thread} to write in it)")
        if call.method == "editForumTopic":
            return f'[{self.label(chat_id)}] smsbot renamed a topic to "{params.get("name")}"'
        if call.method == "deleteMessage":
            return f"[{self.label(chat_id)}] smsbot deleted message #{params.get('message_id')}"
        if not isinstance(result, dict):
            return None
        where = self.label(chat_id, result.get("message_thread_id") if result.get("is_topic_message") else None)
        verb = "" if call.method == "sendMessage" else " (edited)"
        body = str(result.get("text", "")).splitlines() or [""]
        lines = [f"[{where}] smsbot{verb}: {body[0]}", *(f"    {line}" for line in body[1:])]
        for row in (result.get("reply_markup") or {}).get("inline_keyboard", []):
            lines.append("    " + " ".join(f"[{b.get('text', '')}]" for b in row)
                         + "   (:press BUTTON)")
        return "\n".join(lines)


async def _main() -> int:
    return await Demo().run()


def run_demo() -> int:
    """`smsbot demo`: the servers, the real bot and a terminal chat, until :quit or Ctrl-D."""
    saved = _terminal_state()
    try:
        return asyncio.run(_main())
    finally:
        _restore_terminal(saved)


def _terminal_state() -> Any:
    """The terminal's modes: after Ctrl-C, input() may still be in readline, which would leave
    the terminal without echo when the process ends."""
    try:
        import termios

        return termios.tcgetattr(sys.stdin.fileno()) if sys.stdin.isatty() else None
    except (ImportError, OSError, ValueError):
        return None


def _restore_terminal(saved: Any) -> None:
    if saved is None:
        return
    import termios

    with contextlib.suppress(OSError, ValueError):
        termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, saved)
