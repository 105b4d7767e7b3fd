"""Per-command overhead of the bot, and its idle memory.

Overhead of one command = from the Bot API double handing out the update (the
getUpdates answer that carried it) to the bot's answer recorded by the double,
minus the sandbox gateway's own handling time for the requests made meanwhile.
Commands go to an admin's private chat: Telegram's 20-a-minute group limit would
otherwise measure the rate limiter, not the bot.

Run: .venv/bin/python bench/bot.py [N]
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# This file is named bot.py: keep bench/ off the path so `bot` is the package, not this script.
_ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _ROOT / "bench"]
sys.path[:0] = [str(_ROOT), str(_ROOT / "tests")]

from harness import ADMIN, BOT_TOKEN, GATEWAY_PASSWORD, Harness  # noqa: E402


async def overhead(n: int) -> None:
    import logging

    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        h = await Harness(Path(tmp), confirm_threshold=10_000).start()
        h.api.add_chat(ADMIN, type="private")
        # no delivery reports: their status edits would share Telegram's 30 calls a second
        h.gateway.configure(auto_reports=False)
        try:
            for kind, text in (("/sms", "/sms 13800138000 bench"), ("/balance", "/balance")):
                samples = []
                for i in range(n):
                    before_calls = len(h.api.calls())
                    before_reqs = len(h.gateway.requests)
                    pushed = h.say(text, chat=ADMIN, user=ADMIN)
                    reply = await h.next_reply(ADMIN, after=len(h.bot_messages(ADMIN)))
                    calls = h.api.calls()[before_calls:]
                    handed = next(c.at for c in calls if c.method == "getUpdates" and c.result and
                                  any(u.get("message", {}).get("message_id") == pushed["message_id"]
                                      for u in c.result))
                    answered = next(c.at for c in calls if c.method == "sendMessage" and c.result and
                                    c.result.get("message_id") == reply["message_id"])
                    sandbox_time = sum(r.duration for r in h.gateway.requests[before_reqs:])
                    if i >= 5:  # warm-up
                        samples.append((answered - handed - sandbox_time) * 1000)
                    await asyncio.sleep(0.05)  # stay under Telegram's 30 calls a second: measure the bot, not the limiter
                samples.sort()
                p50 = statistics.median(samples)
                p95 = samples[int(len(samples) * 0.95) - 1]
                print(f"{kind:9s} overhead over {len(samples)} commands: p50 {p50:.1f} ms, p95 {p95:.1f} ms "
                      f"(target p50 <= 20 ms)")
        finally:
            await h.stop()


def idle_rss(seconds: float = 8.0) -> None:
    from bot.devserver import BotApiServer
    from sms_core.sandbox import SandboxGateway, SandboxServer

    with tempfile.TemporaryDirectory() as tmp:
        sandbox = SandboxServer(SandboxGateway(username="team", password=GATEWAY_PASSWORD)).start()
        api = BotApiServer(token=BOT_TOKEN).start()
        api.add_chat(-100123, type="supergroup", title="team")
        env = {k: v for k, v in os.environ.items() if not k.startswith("SMSBOT_")}
        env.update(SMSBOT_TELEGRAM_TOKEN=BOT_TOKEN, SMSBOT_TELEGRAM_API_URL=api.base_url,
                   SMSBOT_GATEWAY_URL=sandbox.url, SMSBOT_GATEWAY_USERNAME="team",
                   SMSBOT_GATEWAY_PASSWORD=GATEWAY_PASSWORD, SMSBOT_ALLOWED_CHAT_IDS="-100123",
                   SMSBOT_DATABASE_PATH=f"{tmp}/db.sqlite3", SMSBOT_HTTP_LISTEN="127.0.0.1:0",
                   SMSBOT_LOG_LEVEL="WARNING")
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(seconds)
            rss_kb = 0
            with open(f"/proc/{proc.pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        rss_kb = int(line.split()[1])
            print(f"idle RSS of `smsbot run` after {seconds:.0f} s: {rss_kb / 1024:.1f} MB (target <= 80 MB)")
        finally:
            proc.terminate()
            proc.wait(timeout=20)
            api.stop()
            sandbox.stop()


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    asyncio.run(overhead(n))
    idle_rss()
