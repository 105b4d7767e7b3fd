"""Two-way SMS flow figures: inbound SMS from the sandbox gateway into the Bot API double.

(a) a burst of 1,000 inbound SMS from 1,000 phones (nothing to join: a topic and a message
    each): time until all are in the double, Telegram calls per second against the ceiling
    (20 per group-window), and 429s;
(b) at idle (SMS further apart than Telegram's group pace of one message per 3 s),
    latency from an SMS queued in the sandbox to its message in the double;
(c) a burst of 1,000 inbound SMS from 20 phones under Telegram's 20-a-minute group limit:
    Telegram messages used and minutes until all are readable in the chat.

(a) and (c) shorten Telegram's 60-second window by a factor (the double's limit and the
bot's rate limiter and budget alike) and scale the times
back; every line says so. The real Application, handlers and jobs run against real HTTP
on 127.0.0.1.

Run: .venv/bin/python bench/flow.py [--a-scale 30] [--c-scale 20] [--a-sms 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(_ROOT), str(_ROOT / "tests")]

from harness import INBOX_CHAT, Harness  # noqa: E402

from bot.telegram.budget import Rate, pace  # noqa: E402

WINDOW = 60.0
LIMIT = 20
SMS_RE = re.compile(r"#(\d{4})\b")


async def start(tmp: str, scale: float, **overrides: object) -> Harness:
    """Telegram's group window divided by `scale`, for the double, our budget and the limiter."""
    overrides.setdefault("inbox_rate", f"{LIMIT}/{WINDOW / scale}")
    h = await Harness(Path(tmp), **overrides).start()
    h.api.set_rate_limits(group=(LIMIT, WINDOW / scale))
    return h


def shown(h: Harness) -> set[int]:
    return {int(n) for m in h.api.sent_messages(INBOX_CHAT) for n in SMS_RE.findall(m.get("text", ""))}


async def wait_all(h: Harness, n: int, timeout: float) -> float:
    """Seconds until SMS #0..#n-1 are all readable in the inbox."""
    started = time.perf_counter()
    while len(shown(h)) < n:
        if time.perf_counter() - started > timeout:
            raise TimeoutError(f"only {len(shown(h))} of {n} SMS arrived in {timeout:.0f} s")
        await asyncio.sleep(0.05)
    return time.perf_counter() - started


def text(i: int, rng: random.Random) -> str:
    words = "server disk full restart ok 收到 马上处理 已恢复 thanks call me back".split()
    body = " ".join(rng.choice(words) for _ in range(rng.randint(2, 14)))
    return f"#{i:04d} {body}"


def telegram_calls(h: Harness) -> list:
    return [c for c in h.api.calls() if c.ok and c.method in ("sendMessage", "createForumTopic")
            and c.params.get("chat_id") == INBOX_CHAT]


async def burst_many_phones(n: int, scale: float) -> None:
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        h = await start(tmp, scale, poll_interval=1.0)
        try:
            for i in range(n):
                h.gateway.add_inbound(f"13{i:09d}", text(i, rng))
            queued = time.time()
            seconds = await wait_all(h, n, timeout=60 + 2 * n * WINDOW / scale / LIMIT * 1.5)
            calls = telegram_calls(h)
            span = calls[-1].at - calls[0].at
            real = span * scale + (calls[0].at - queued)  # the poll's own delay is not scaled
            ceiling = LIMIT * scale / WINDOW
            # the sustained rate, from the call after the first window's 20 to the last (a burst
            # of 20 at the start, if a limiter let one through, is not counted as rate)
            steady = calls[LIMIT:]
            steady_span = steady[-1].at - steady[0].at if len(steady) > 1 else 0.0
            rate = (len(steady) - 1) / steady_span if steady_span > 0 else float("inf")
            print(f"(a) {n} SMS from {n} phones, window shortened {scale:g}x (20 per {WINDOW / scale:g} s):")
            print(f"    all in the double after {seconds:.1f} s here = {real / 60:.1f} min at Telegram's "
                  f"real rate; {len(calls)} Telegram calls (topic + message each)")
            print(f"    {rate:.2f} calls/s sustained (after the first {LIMIT}), ceiling {ceiling:.2f}/s: "
                  f"{100 * rate / ceiling:.0f}% of the allowed rate (target >= 90%)")
            print(f"    429 answers: {h.api.count_429()} (target: none after the first)")
        finally:
            await h.stop()


async def idle_latency(samples: int, interval: float) -> None:
    rng = random.Random(2)
    with tempfile.TemporaryDirectory() as tmp:
        h = await start(tmp, 1.0, poll_interval=interval)
        try:
            h.gateway.add_inbound("13800000000", text(9999, rng))  # the topic exists from now on
            while 9999 not in shown(h):
                await asyncio.sleep(0.01)
            lat = []
            gap = pace(Rate())  # idle: the group's budget is not in play (one message per 3 s)
            for i in range(samples):
                await asyncio.sleep(gap + rng.uniform(0.2, interval + 0.5))  # any phase of the poll
                queued = time.time()
                h.gateway.add_inbound("13800000000", text(i, rng))
                while i not in shown(h):
                    await asyncio.sleep(0.005)
                call = next(c for c in reversed(h.api.calls("sendMessage")) if c.ok and f"#{i:04d}" in
                            c.params.get("text", ""))
                lat.append(call.at - queued)
            lat.sort()
            print(f"(b) idle latency, SMS queued in the sandbox -> message in the double, poll interval "
                  f"{interval:g} s, real Telegram limits, {samples} samples:")
            print(f"    p50 {statistics.median(lat):.2f} s, max {lat[-1]:.2f} s "
                  f"(target <= poll interval + 1 s = {interval + 1:g} s)")
        finally:
            await h.stop()


async def burst_few_phones(n: int, phones: int, scale: float) -> None:
    rng = random.Random(3)
    with tempfile.TemporaryDirectory() as tmp:
        h = await start(tmp, scale, poll_interval=1.0)
        try:
            numbers = [f"139{p:08d}" for p in range(phones)]
            for i in range(n):
                h.gateway.add_inbound(rng.choice(numbers), text(i, rng))
            queued = time.time()
            seconds = await wait_all(h, n, timeout=600)
            calls = telegram_calls(h)
            real = (calls[-1].at - calls[0].at) * scale + (calls[0].at - queued)
            messages = sum(1 for c in calls if c.method == "sendMessage")
            topics = len(calls) - messages
            longest = max(len(m.get("text", "")) for m in h.api.sent_messages(INBOX_CHAT))
            print(f"(c) {n} SMS from {phones} phones, Telegram's 20 a minute per group, window shortened "
                  f"{scale:g}x (times below scaled back):")
            print(f"    {messages} messages + {topics} topics = {len(calls)} Telegram calls; "
                  f"{n / messages:.1f} SMS per message (target >= 5), longest message {longest} characters")
            first = {}
            for c in calls:
                if c.method == "sendMessage":
                    first.setdefault(c.params.get("message_thread_id"), c.at)
            every_phone = (max(first.values()) - calls[0].at) * scale + (calls[0].at - queued)
            print(f"    all readable after {real / 60:.1f} min at Telegram's real rate ({seconds:.1f} s here; "
                  f"the poll's delay is not scaled); every phone's topic readable after "
                  f"{every_phone / 60:.1f} min; 429 answers: {h.api.count_429()}")
        finally:
            await h.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a-sms", type=int, default=1000)
    parser.add_argument("--a-scale", type=float, default=30.0,
                        help="window shortening for (a); default 30 (the forward job's backlog is paced "
                             "one message per window/20, so each call's few ms of event-loop lateness "
                             "are a share of the pace that grows with the shortening: at 60x about 4%%)")
    parser.add_argument("--b-samples", type=int, default=15)
    parser.add_argument("--b-interval", type=float, default=1.0, help="poll interval for (b)")
    parser.add_argument("--c-scale", type=float, default=20.0, help="window shortening for (c); default 20")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    asyncio.run(burst_many_phones(args.a_sms, args.a_scale))
    asyncio.run(idle_latency(args.b_samples, args.b_interval))
    asyncio.run(burst_few_phones(1000, 20, args.c_scale))


if __name__ == "__main__":
    main()
