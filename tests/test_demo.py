"""`smsbot demo` end to end, as a person uses it: a subprocess typed into through its stdin.

The demo runs the real bot against the sandbox gateway and the local Bot API, so this
walks the whole product: /sms, an SMS coming back into its inbox topic, a reply in the
topic going out by SMS, Chinese answers, and a clean exit.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

WAIT = 60.0
"""Seconds before a missing line fails the test: a guard against hanging, not a speed limit."""


class DemoProcess:
    """`python -m bot demo` with a pipe for stdin and every stdout line kept."""

    def __init__(self, cwd: Path) -> None:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("SMSBOT_", "LC_", "PYTHON")) and k != "LANG"}
        env.update(LANG="C.UTF-8", PYTHONIOENCODING="utf-8", PYTHONUNBUFFERED="1")
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
    mark = demo.type(f":reply {number[1]} on my way")
    demo.expect(r"^\[inbox › [^\]]*13800138000[^\]]*\] smsbot #\d+: Sent to 1 number", mark)

    mark = demo.type(":sent")
    demo.expect(r"^  1\. to 13900139000: the pump is down$", mark)  # the SMS itself, without its time
    demo.expect(r"^  2\. to 13800138000: on my way$", mark)

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
