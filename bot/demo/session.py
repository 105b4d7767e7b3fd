"""The demo's run: start the world, print the intro, read entries until :quit or end of input,
and print what the bot does in Telegram as it happens."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Mapping
from typing import Any

from bot.demo.commands import Commands
from bot.demo.terminal import Terminal, terminal_for
from bot.demo.texts import INTRO
from bot.demo.transcript import SHOWN, Transcript
from bot.demo.world import ALERT_GROUP, DEMO_PHONE, DEMO_USER_NAME, World
from bot.devserver import Call


def language_from_locale(environ: Mapping[str, str]) -> str:
    """A Chinese terminal gets a Chinese-speaking demo user, as Telegram would report it."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value:
            return "zh-hans" if value.lower().startswith("zh") else "en"
    return "en"


class Demo:
    """The servers, the bot, and the terminal chat between them."""

    def __init__(self, terminal: Terminal | None = None, *, language_code: str | None = None) -> None:
        self.terminal = terminal if terminal is not None else terminal_for(sys.stdin, sys.stdout)
        self.world = World(language_code or language_from_locale(os.environ))
        self.transcript = Transcript(self.world.api)
        self.commands = Commands(self.world, self.transcript, self.terminal.say,
                                 echo=not self.terminal.interactive)
        self._calls: asyncio.Queue[Call] = asyncio.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def run(self) -> int:
        """Print the intro, then act on what is typed until :quit or end of input."""
        say = self.terminal.say
        self._loop = asyncio.get_running_loop()
        printer = asyncio.create_task(self._print_calls())
        try:
            await self.world.start(self._on_call)
            say(INTRO.format(user=DEMO_USER_NAME, phone=DEMO_PHONE, group=ALERT_GROUP).rstrip("\n"))
            if await self.world.http_up():
                say(f"The bot's health and metrics: http://127.0.0.1:{self.world.http_port}/healthz "
                    "and /metrics\n")
            with self.terminal.attached():
                while True:
                    entry = await self.terminal.read(self.commands.prompt)
                    if entry is None or not await self.commands.handle(entry):
                        break
                    await asyncio.sleep(0)  # let what the bot did so far be printed before the prompt
        finally:
            say("stopping…")
            try:
                await self.world.stop()
            finally:
                await asyncio.sleep(0)
                printer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await printer
        say("bye")
        return 0

    def _on_call(self, call: Call) -> None:
        """Called by the Bot API server's thread after each bot call: hand it to the loop."""
        if call.method in SHOWN and call.ok and self._loop is not None:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._calls.put_nowait, call)

    async def _print_calls(self) -> None:
        while True:
            call = await self._calls.get()
            text = self.transcript.describe(call, self.commands.place)
            if text:
                self.terminal.say(text)


def run_demo() -> int:
    """`smsbot demo`: the servers, the real bot and a terminal chat, until :quit or Ctrl-D."""
    saved = _terminal_state()
    try:
        return asyncio.run(Demo().run())
    finally:
        _restore_terminal(saved)


def _terminal_state() -> Any:
    """The terminal's modes: Ctrl-C may stop the process while the line editor holds the
    terminal in raw mode, which would leave it without echo when the process ends."""
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
