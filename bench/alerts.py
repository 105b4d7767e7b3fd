"""Alerts end to end: webhook POST -> committed -> SMS seen by the sandbox gateway.

The real bot (harness: python-telegram-bot Application, Bot API double, sandbox
gateway on loopback) runs in this process's main loop; the load comes from
another process (this script with --load), as Alertmanager's would. Every alert is distinct (no dedup) and the hourly cap is
lifted, so each one is one SMS to a one-member group.

Figures:
- one at a time: each alert waits for its SMS before the next is posted: the latency
  from the start of the POST to the SMS in the sandbox's log, with no queue, p50/p95/max;
- burst: N alerts posted as fast as CONCURRENCY connections allow: accepted/s (202
  answers, i.e. commits: what Alertmanager waits for), end to end/s (from the first
  POST to the last SMS the sandbox saw), and the latency including the queue.

Run: .venv/bin/python bench/alerts.py [N] [CONCURRENCY]
"""

from __future__ import annotations

import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _ROOT / "bench"]
sys.path[:0] = [str(_ROOT), str(_ROOT / "tests")]

import httpx  # noqa: E402
from harness import WEBHOOK_TOKEN, Harness  # noqa: E402


def _load(url: str, n: int, concurrency: int, tag: str) -> dict[str, object]:
    """POST `n` alerts with `concurrency` in flight; the start time of each, and when each was answered."""
    started: dict[str, float] = {}
    answered: list[float] = []

    async def main() -> None:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(n):
            queue.put_nowait(i)
        headers = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60) as client:
            async def worker() -> None:
                while not queue.empty():
                    i = queue.get_nowait()
                    text = f"bench {tag} alert {i}"
                    started[text] = time.time()
                    r = await client.post("/alerts/bench", json={"text": text})
                    if r.status_code != 202:
                        raise RuntimeError(f"{r.status_code} {r.text}")
                    answered.append(time.time())

            await asyncio.gather(*(worker() for _ in range(concurrency)))

    asyncio.run(main())
    return {"started": started, "answered": answered}


async def run(h: Harness, n: int, concurrency: int, tag: str) -> None:
    """The load from another process, as Alertmanager's would be (threads here would share the GIL)."""
    url = h.runtime.web.url
    before = len(h.gateway.sent)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--load", url, str(n), str(concurrency), tag,
        stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError("the load process failed")
    load = json.loads(out)
    while len(h.gateway.sent) - before < n:
        await asyncio.sleep(0.01)
    started, answered = load["started"], load["answered"]
    sent = h.gateway.sent[before:]
    latencies = sorted((s.time - started[s.text.split(" Reply")[0]]) * 1000 for s in sent)
    first = min(started.values())
    last_sms = max(s.time for s in sent)
    accept_rate = n / (max(answered) - first)
    e2e_rate = n / (last_sms - first)
    p95 = latencies[max(int(len(latencies) * 0.95) - 1, 0)]
    print(f"{tag}: {n} alerts, {concurrency} in flight: accepted {accept_rate:.0f}/s, "
          f"end to end {e2e_rate:.0f}/s; POST -> SMS in the sandbox p50 {statistics.median(latencies):.1f} ms, "
          f"p95 {p95:.1f} ms, max {latencies[-1]:.1f} ms")


async def latency(h: Harness, n: int) -> None:
    """One alert at a time, each waiting for its SMS: the latency without any queue."""
    url = h.runtime.web.url
    samples: list[float] = []
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {WEBHOOK_TOKEN}"}) as client:
        for i in range(n):
            before = len(h.gateway.sent)
            t = time.time()
            r = await client.post("/alerts/bench", json={"text": f"bench latency alert {i}"})
            assert r.status_code == 202, r.text
            while len(h.gateway.sent) == before:
                await asyncio.sleep(0.0005)
            samples.append((h.gateway.sent[before].time - t) * 1000)
    samples.sort()
    p95 = samples[max(int(len(samples) * 0.95) - 1, 0)]
    print(f"one at a time: {n} alerts, each waiting for its SMS: POST -> SMS in the sandbox "
          f"p50 {statistics.median(samples):.1f} ms, p95 {p95:.1f} ms, max {samples[-1]:.1f} ms")


async def main(n: int, concurrency: int) -> None:
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        h = await Harness(Path(tmp), webhook_token=WEBHOOK_TOKEN, alert_max_per_hour=1_000_000,
                          alert_dedup=0).start()
        try:
            await h.services.store.contacts.replace_group("bench", ["13800138000"])
            await run(h, 20, 1, "warm-up")
            await latency(h, 200)
            await run(h, n, concurrency, "burst")
        finally:
            await h.stop()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--load":
        print(json.dumps(_load(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])))
        sys.exit(0)
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    inflight = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    asyncio.run(main(count, inflight))
