"""`smsbot demo` end to end, as a person uses it: a subprocess typed into through its stdin.

The demo runs the real bot against the sandbox gateway and the local Bot API, so this
walks the whole product: /sms, an SMS coming back into its inbox topic, a reply in the
topic going out by SMS, Chinese answers, and a clean exit.
"""

from __future__ import annotations

import asyncio
import fcntl
import io
import os
import re
import struct
import subprocess
import sys
import termios
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyte
import pytest

from bot.demo import Demo, PipeTerminal
from bot.demo.world import ALERT_CHAT, DEMO_PHONE

WAIT = 60.0
"""Seconds before a missing line fails the test: a guard against hanging, not a speed limit."""


def demo_env(**extra: str) -> dict[str, str]:
    """The environment of a demo process: none of the caller's settings, locale or Python options."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SMSBOT_", "LC_", "PYTHON")) and k != "LANG"}
    env.update(LANG="C.UTF-8", PYTHONIOENCODING="utf-8", PYTHONUNBUFFERED="1", **extra)
    return env


class DemoProcess:
    """`python -m bot demo` with a pipe for stdin and every stdout line kept."""

    def __init__(self, cwd: Path) -> None:
        env = demo_env()
        self.stderr_path = cwd / "demo.stderr"
        self._stderr = self.stderr_path.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "demo"], cwd=cwd, env=env, text=True, encoding="utf-8",
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
        )
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def type(self, line: str) -> int:
        """Type a line; returns how many lines were printed before it."""
        with self._cond:
            mark = len(self.lines)
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return mark

    def expect(self, pattern: str, since: int = 0) -> str:
        """The first line from `since` on that matches `pattern` (a regex), waiting for it."""
        regex = re.compile(pattern)

        def found() -> str | None:
            return next((line for line in self.lines[since:] if regex.search(line)), None)

        with self._cond:
            ok = self._cond.wait_for(lambda: found() is not None or self.proc.poll() is not None, WAIT)
            line = found()
        if line is None:
            state = "still running" if ok is False else f"exited {self.proc.poll()}"
            pytest.fail(f"no line matching {pattern!r} (demo {state}); it printed:\n{self.transcript()}"
                        f"\n--- stderr ---\n{self.stderr()}")
        return line

    def transcript(self) -> str:
        with self._cond:
            return "\n".join(self.lines)

    def stderr(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=WAIT)
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self._reader.join(timeout=WAIT)
        self._stderr.close()


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoProcess]:
    process = DemoProcess(tmp_path)
    try:
        process.expect(r":help lists the demo's commands")
        yield process
    finally:
        process.close()


def test_a_whole_conversation(demo: DemoProcess) -> None:
    mark = demo.type("/sms 13800138000 hi")
    demo.expect(r"^\[team\] smsbot.*: Sent to 1 number", mark)

    mark = demo.type(":phone 13800138000 hello back")
    demo.expect(r'^\[inbox\] smsbot opened topic ".*13800138000.*"', mark)
    demo.expect(r"^\[inbox › [^\]]*13800138000[^\]]*\] smsbot #\d+: .*hello back", mark)

    mark = demo.type(":inbox 13800138000")
    demo.expect(r"^now writing in inbox › .*13800138000", mark)
    mark = demo.type("thanks, on it")
    demo.expect(r"^\[inbox › [^\]]*13800138000[^\]]*\] smsbot.*: Sent to 1 number", mark)

    mark = demo.type(":sent")
    demo.expect(r"^  1\. to 13800138000: hi$", mark)
    demo.expect(r"^  2\. to 13800138000: thanks, on it$", mark)

    mark = demo.type(":quit")
    assert demo.proc.wait(timeout=WAIT) == 0, demo.stderr()
    assert "bye" in demo.transcript().splitlines()[-1]
    output = demo.transcript() + demo.stderr()
    assert ":demo-" not in output and "us_pwd" not in output, "a secret was printed"
    assert "Traceback" not in demo.stderr()


def test_confirm_button_and_chinese(demo: DemoProcess) -> None:
    numbers = ",".join(f"138001380{n:02d}" for n in range(11))  # 11 > the confirm threshold of 10
    mark = demo.type(f"/sms {numbers} maintenance tonight")
    demo.expect(r"^\s+\[Confirm\] \[Cancel\]", mark)
    mark = demo.type(":press confirm")
    demo.expect(r"^\[team\] smsbot #\d+ \(edited\): Sent to 11 number", mark)

    mark = demo.type(":lang zh")
    demo.expect("zh-hans", mark)
    mark = demo.type("/sms 138001 hi")
    demo.expect(r"^\[team\] smsbot #\d+: 138001 不是有效号码：手机号应为 11 位", mark)


def test_demo_commands_answer_mistakes(demo: DemoProcess) -> None:
    for typed, answer in [
        (":topic 99", r"no topic '99' in the inbox"),
        (":inbox 13900139000", r"13900139000 has no topic yet"),
        (":phone 123 hi", r"123 is not a number the gateway knows"),
        (":phone 13900139000", r"write it as :phone PHONE TEXT"),
        (":press Confirm", r"no button 'Confirm'"),
        (":nope", r"unknown demo command :nope"),
        (":help", r":phone PHONE TEXT"),
        (":sent", r"the gateway has sent nothing yet"),
    ]:
        demo.expect(answer, demo.type(typed))
    assert demo.proc.poll() is None


def test_end_of_input_stops_cleanly(demo: DemoProcess) -> None:
    assert demo.proc.stdin is not None
    demo.proc.stdin.close()
    assert demo.proc.wait(timeout=WAIT) == 0, demo.stderr()
    assert demo.transcript().splitlines()[-2:] == ["stopping…", "bye"]


def test_reply_to_a_numbered_message(demo: DemoProcess) -> None:
    """`:reply N` answers the bot's message shown as #N, in its chat and topic: `/sms NUMBER` in
    reply to a forwarded SMS texts that SMS, and plain text there goes back to the phone."""
    mark = demo.type(":phone 13800138000 the pump is down")
    shown = demo.expect(r"^\[inbox › [^\]]*13800138000[^\]]*\] smsbot #(\d+): .*the pump is down", mark)
    number = re.search(r"smsbot #(\d+)", shown)
    assert number is not None

    mark = demo.type(f":reply {number[1]} /sms 13900139000")
    demo.expect(rf"^\[inbox › [^\]]*13800138000[^\]]*\] You \(reply to #{number[1]}\): /sms 13900139000$", mark)
    demo.expect(r"^\[inbox › [^\]]*13800138000[^\]]*\] smsbot #\d+: Sent to 1 number", mark)
    mark = demo.type(f":reply {number[1]} \\")  # the text may start on the next line
    demo.type("on my way,\\")
    demo.type("ETA 10 min")
    demo.expect(r"^\[inbox › [^\]]*13800138000[^\]]*\] smsbot #\d+: Sent to 1 number", mark)

    mark = demo.type(":sent")
    demo.expect(r"^  1\. to 13900139000: the pump is down$", mark)  # the SMS itself, without its time
    demo.expect(r"^  2\. to 13800138000: on my way,$", mark)
    demo.expect(r"^ {21}ETA 10 min$", mark)

    for typed, answer in [(":reply 99 hi", r"no message #99 yet"), (":reply x hi", r"write it as :reply N TEXT"),
                          (f":reply {number[1]}", r"write it as :reply N TEXT")]:
        demo.expect(answer, demo.type(typed))


def test_a_line_ending_in_a_backslash_goes_on(demo: DemoProcess) -> None:
    mark = demo.type("/sms 13800138000 \\")
    demo.type("Server is back,\\")
    demo.type("all clear")
    demo.expect(r"^\[team\] You: /sms 13800138000$", mark)
    demo.expect(r"^    Server is back,$", mark)
    demo.expect(r"^\[team\] smsbot #\d+: Sent to 1 number", mark)
    mark = demo.type(":sent")
    demo.expect(r"^  1\. to 13800138000: Server is back,$", mark)
    demo.expect(r"^ {21}all clear$", mark)


def test_text_in_the_inbox_general_topic_is_explained(demo: DemoProcess) -> None:
    """The bot leaves General alone on purpose (the team talks there); the demo says so."""
    demo.type(":inbox")
    mark = demo.type("anyone around?")
    demo.expect(r"^\[inbox\] You: anyone around\?$", mark)
    demo.expect(r"General is where the team talks", mark)
    demo.expect(r":inbox PHONE", mark)
    mark = demo.type("/sms 13800138000 hi")  # a command still works there, and is not explained
    demo.expect(r"^\[inbox\] smsbot #\d+: Sent to 1 number", mark)
    mark = demo.type(":sent")
    demo.expect(r"^the gateway has sent 1 SMS request", mark)
    assert sum("General is where" in line for line in demo.lines) == 1


def test_continued_joins_lines_ending_in_a_backslash() -> None:
    from bot.demo import continued

    assert continued("hello\n") == ("hello", False)
    assert continued("hello \\\n") == ("hello", True)
    assert continued("hello\\  \r\n") == ("hello", True)
    assert continued("C:\\path\\to x\n") == ("C:\\path\\to x", False)


async def eventually(check: Callable[[], Any], what: str) -> Any:
    """Wait for `check()` to be truthy; WAIT seconds at most (a guard against hanging)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while not (result := check()):
        if loop.time() >= deadline:
            pytest.fail(f"still waiting for {what}")
        await asyncio.sleep(0.05)
    return result


async def test_alert_reaches_the_alert_chat_and_the_phone(caplog: pytest.LogCaptureFixture) -> None:
    """`:alert TEXT` posts to the bot's own webhook over loopback HTTP with the demo's token:
    @oncall's phone gets the SMS and the alert chat a copy. Run in this process, through a
    pipe, so that the test knows the demo's secrets and can look for them in what it printed."""
    read_end, write_end = os.pipe()
    stdin = os.fdopen(read_end, "r", encoding="utf-8")
    keyboard = os.fdopen(write_end, "w", encoding="utf-8")
    out = io.StringIO()
    demo = Demo(PipeTerminal(stdin, out), language_code="en")
    run = asyncio.create_task(demo.run())

    def type_line(line: str) -> int:
        mark = len(out.getvalue())
        keyboard.write(line + "\n")
        keyboard.flush()
        return mark

    try:
        await eventually(lambda: ":help lists the demo's commands" in out.getvalue(), "the intro")
        mark = type_line(":alert disk full on db-1")
        sent = await eventually(lambda: [r for r in demo.world.sandbox.gateway.sent if "disk full on db-1" in r.text],
                                "the alert SMS at the gateway")
        assert list(sent[0].accepted) == [DEMO_PHONE]
        copies = await eventually(lambda: demo.world.api.sent_messages(ALERT_CHAT), "a copy in the alert chat")
        assert "disk full on db-1" in copies[0]["text"]
        await eventually(lambda: re.search(r"^\[alerts\] smsbot #\d+: .*Alert", out.getvalue()[mark:], re.M),
                         "the copy in the transcript")
        assert re.search(r"/alerts/oncall .*: HTTP 202\n  alert \d+ for @oncall: stored", out.getvalue()[mark:])

        mark = type_line(":alerts")
        await eventually(lambda: re.search(r"^\[alerts\] smsbot #\d+.*\n    disk full on db-1",
                                           out.getvalue()[mark:], re.M), ":alerts listing the copy")
        type_line(":quit")
        assert await asyncio.wait_for(run, WAIT) == 0
    finally:
        keyboard.close()
        if not run.done():
            await asyncio.wait_for(run, WAIT)
        stdin.close()
    printed = out.getvalue() + caplog.text
    for secret in (demo.world.webhook_token, demo.world.api.token, demo.world.sandbox.gateway.password):
        assert secret and secret not in printed, "a secret was printed"


class Screen:
    """`python -m bot demo` in a pseudo-terminal, read through a terminal emulator (pyte), which
    also answers the line editor's cursor-position questions as a terminal would."""

    ROWS, COLUMNS = 200, 120  # tall: nothing scrolls off

    def __init__(self, cwd: Path, **env: str) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", self.ROWS, self.COLUMNS, 0, 0))
        self.screen = pyte.Screen(self.COLUMNS, self.ROWS)
        self.stream = pyte.ByteStream(self.screen)
        self.master = master
        self.raw = bytearray()
        self._cond = threading.Condition()
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "demo"], cwd=cwd,
                                     env=demo_env(TERM="xterm", **env), stdin=slave, stdout=slave,
                                     stderr=slave, start_new_session=True)
        os.close(slave)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # EIO: every writer has closed the terminal
                chunk = b""
            with self._cond:
                if not chunk:
                    self._cond.notify_all()
                    return
                self.raw += chunk
                self.stream.feed(chunk)
                for _ in range(chunk.count(b"\x1b[6n")):  # where is the cursor?
                    os.write(self.master, f"\x1b[{self.screen.cursor.y + 1};{self.screen.cursor.x + 1}R".encode())
                self._cond.notify_all()

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def lines(self) -> list[str]:
        with self._cond:
            return [line.rstrip() for line in self.screen.display]

    def cursor_line(self) -> str:
        with self._cond:
            return self.screen.display[self.screen.cursor.y].rstrip()

    def wait_for(self, check: Callable[[], bool], what: str) -> None:
        with self._cond:
            ok = self._cond.wait_for(lambda: check() or self.proc.poll() is not None, WAIT)
        if not ok or not check():
            pytest.fail(f"no {what} on the screen:\n" + "\n".join(line for line in self.lines() if line))

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=WAIT)
        self._reader.join(timeout=WAIT)
        os.close(self.master)


def test_output_and_log_lines_print_above_the_prompt_in_a_terminal(tmp_path: Path) -> None:
    """While "team> half typed" waits at the prompt, the bot logs (INFO) and posts into the inbox:
    each line lands above the prompt, which stays whole on the last line, the typing kept."""
    term = Screen(tmp_path, SMSBOT_LOG_LEVEL="INFO")
    try:
        term.wait_for(lambda: term.cursor_line() == "team>", "prompt")
        term.type(":phone 13800138000 hello there\r")
        term.wait_for(lambda: "(the bot fetches it at its next poll)" in "\n".join(term.lines()), "answer of :phone")
        term.type("half typed")
        term.wait_for(lambda: any(re.search(r"smsbot #\d+: .*hello there", line) for line in term.lines()),
                      "forwarded SMS")
        term.wait_for(lambda: term.cursor_line() == "team> half typed", "prompt redrawn")

        lines = term.lines()
        shown = [line for line in lines if line]
        assert shown[-1] == "team> half typed"
        assert lines.index(shown[-1]) == term.screen.cursor.y, "the prompt is the last line"
        logged = [line for line in shown if " INFO bot.jobs.poll: inbound: 1 new SMS stored" in line]
        assert logged and all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ INFO ", line) for line in logged), \
            "a log line shares its line with something else"
        assert [line for line in shown if "team>" in line] == ["team> :phone 13800138000 hello there",
                                                                "team> half typed"]
        assert any(re.match(r"^\[inbox › [^\]]*13800138000[^\]]*\] smsbot #\d+: .*hello there$", line)
                   for line in shown)

        term.type("\x15:quit\r")  # Ctrl-U clears the line
        assert term.proc.wait(timeout=WAIT) == 0
        term.wait_for(lambda: "bye" in term.lines(), "bye")
        assert b"Traceback" not in term.raw
    finally:
        term.close()
