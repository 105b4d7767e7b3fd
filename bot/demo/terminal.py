"""The demo's two terminals: a line editor whose prompt stays below everything printed, and
plain lines from a pipe (scripts and tests), which read as a transcript.

Both join a line that ends in a backslash with the next one, so a multi-line text (a `/sms`
whose text starts on a new line, a reply of several lines) can be typed anywhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Protocol, TextIO

CONTINUATION_PROMPT = "...> "


def continued(line: str) -> tuple[str, bool]:
    """A typed line without its end: (the text, whether the next line belongs to it).

    A line whose last character (trailing spaces aside) is a backslash goes on: the backslash
    becomes a line break.
    """
    text = line.rstrip("\r\n")
    stripped = text.rstrip()
    if stripped.endswith("\\"):
        return stripped[:-1].rstrip(), True
    return text, False


class Terminal(Protocol):
    """Where the demo reads what the user types and prints what happens."""

    interactive: bool

    def attached(self) -> contextlib.AbstractContextManager[None]:
        """While entered, read() works and say() never breaks the line being typed."""

    async def read(self, prompt: Callable[[], str]) -> str | None:
        """One entry (continued lines joined by line breaks); None at the end of input."""

    def say(self, text: str) -> None:
        """Print `text` and a line break."""


class PipeTerminal:
    """Lines from a pipe or a file, read by a thread so the bot's jobs run meanwhile.

    A daemon thread rather than the loop's executor: a pending read must not keep the
    process alive after :quit or Ctrl-C.
    """

    interactive = False

    def __init__(self, stdin: TextIO, out: TextIO) -> None:
        self.stdin = stdin
        self.out = out
        self._lines: asyncio.Queue[str | None] | None = None

    @contextlib.contextmanager
    def attached(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        lines: asyncio.Queue[str | None] = asyncio.Queue()
        self._lines = lines

        def hand(line: str | None) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is gone: we are exiting anyway
                loop.call_soon_threadsafe(lines.put_nowait, line)

        def read_all() -> None:
            try:
                for line in self.stdin:
                    hand(line)
            except (OSError, ValueError):  # stdin closed under us
                pass
            hand(None)

        threading.Thread(target=read_all, name="demo-input", daemon=True).start()
        yield

    async def read(self, prompt: Callable[[], str]) -> str | None:
        assert self._lines is not None, "read() outside attached()"
        parts: list[str] = []
        while True:
            line = await self._lines.get()
            if line is None:
                return "\n".join(parts) if parts else None
            text, more = continued(line)
            parts.append(text)
            if not more:
                return "\n".join(parts)

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()


class PromptTerminal:
    """prompt_toolkit's line editor (history, editing keys) in the demo's event loop.

    While attached, stdout and stderr go through prompt_toolkit's proxy, which prints above
    the prompt and redraws it with the half-typed line; the root logger's stream handlers are
    pointed at it too, since they hold the stream they were made with. Control characters
    in what is printed (an SMS may carry an escape sequence) are shown, not obeyed.
    """

    interactive = True

    def __init__(self) -> None:
        from prompt_toolkit import PromptSession

        self._session: PromptSession[str] = PromptSession()

    @contextlib.contextmanager
    def attached(self) -> Iterator[None]:
        from prompt_toolkit.patch_stdout import patch_stdout

        before = {id(s) for s in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__) if s is not None}
        with patch_stdout(), logs_to(sys.stderr, replacing=before):
            yield

    async def read(self, prompt: Callable[[], str]) -> str | None:
        parts: list[str] = []
        while True:
            try:
                line = await self._session.prompt_async(CONTINUATION_PROMPT if parts else prompt())
            except (EOFError, KeyboardInterrupt):  # Ctrl-D, Ctrl-C
                return None
            text, more = continued(line)
            parts.append(text)
            if not more:
                return "\n".join(parts)

    def say(self, text: str) -> None:
        out = sys.stdout  # the proxy while attached
        out.write(text + "\n")
        out.flush()


@contextlib.contextmanager
def logs_to(stream: TextIO, *, replacing: set[int]) -> Iterator[None]:
    """Point the root logger's handlers that write to one of the streams `replacing` (by id)
    at `stream`, and back afterwards."""
    moved: list[tuple[logging.StreamHandler[TextIO], TextIO]] = []
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler) \
                and id(handler.stream) in replacing:
            moved.append((handler, handler.stream))
            handler.setStream(stream)
    try:
        yield
    finally:
        for handler, old in moved:
            handler.setStream(old)


def terminal_for(stdin: TextIO, stdout: TextIO) -> Terminal:
    """The line editor when both ends are a terminal, else plain lines."""
    if stdin.isatty() and stdout.isatty():
        return PromptTerminal()
    return PipeTerminal(stdin, stdout)
