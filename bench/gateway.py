"""Gateway adapter figures: parse throughput, and a 10,000-number send against the sandbox.

Run: .venv/bin/python bench/gateway.py [--numbers 10000] [--seconds 2]

Prints figures; asserts nothing about speed (targets are shown beside the figures):
  - parse_reports: >= 50,000 pages of 100 reports per second, on one core;
  - a 10,000-number send: exactly 100 requests;
  - client overhead <= 10% of the round-trip time (definitions printed with the figures).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sms_core import SmsGateway
from sms_core.models import DeliveryReport, InboundSms
from sms_core.phones import normalize_numbers
from sms_core.protocol import parse_inbound, parse_reports
from sms_core.sandbox import (
    SandboxGateway,
    SandboxServer,
    format_inbound,
    format_reports,
)


def rate(fn: Callable[[], object], seconds: float) -> tuple[float, int]:
    """Calls per second of `fn`, timed with perf_counter over at least `seconds`."""
    for _ in range(200):  # warm up
        fn()
    n = 0
    batch = 1000
    start = time.perf_counter()
    while True:
        for _ in range(batch):
            fn()
        n += batch
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n / elapsed, n


def bench_parsing(seconds: float) -> None:
    reports = [DeliveryReport(str(6_408_600 + i), f"138{i:08d}", (10, 20, -1)[i % 3])
               for i in range(100)]
    report_body = format_reports(reports).encode("gbk")
    inbound = [InboundSms(str(1000 + i), f"139{i:08d}", f"收到，第{i}条回复; ok|谢谢")
               for i in range(50)]
    inbound_body = format_inbound(inbound, "mixed").encode("gbk")
    assert len(parse_reports(report_body).reports) == 100
    assert len(parse_inbound(inbound_body).messages) == 50

    print("parse throughput (one core, time.perf_counter, GBK bytes in):")
    pages, n = rate(lambda: parse_reports(report_body), seconds)
    verdict = "meets" if pages >= 50_000 else "BELOW"
    print(f"  parse_reports, 100-report page ({len(report_body)} bytes): "
          f"{pages:,.0f} pages/s = {pages * 100:,.0f} reports/s over {n:,} calls "
          f"[target >= 50,000 pages/s: {verdict}]")
    report_text = report_body.decode("gbk")
    pages, n = rate(lambda: parse_reports(report_text), seconds)
    print(f"    the same page as str (as SmsGateway passes it, already decoded): "
          f"{pages:,.0f} pages/s over {n:,} calls")
    pages, n = rate(lambda: parse_inbound(inbound_body), seconds)
    print(f"  parse_inbound, 50-SMS page ({len(inbound_body)} bytes): "
          f"{pages:,.0f} pages/s = {pages * 50:,.0f} messages/s over {n:,} calls")


class TimingTransport(httpx.AsyncBaseTransport):
    """Times each HTTP round trip at the transport: request written -> whole body read."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.round_trips: list[float] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        start = time.perf_counter()
        response = await self.inner.handle_async_request(request)
        try:
            await response.aread()
        finally:
            await response.aclose()
        self.round_trips.append(time.perf_counter() - start)
        # The same response, its body already read (aread keeps it): wrapping it in a new
        # httpx.Response would add the instrument's own cost to the client's overhead.
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def client_only(numbers: list[str], text: str) -> tuple[float, int]:
    """The same send against an in-memory transport that answers at once: the client's own
    CPU time (input checks, queries, the httpx.Request, parsing), with no network. The
    transport's answer (an httpx.Response per request) is counted in it too."""
    calls = 0

    def answer(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        n = request.url.query.count(b"%2C") + 1
        return httpx.Response(200, content=f"0|{n}|0|{calls}".encode())

    async with SmsGateway("http://gateway.invalid", "demo", "pw",
                          transport=httpx.MockTransport(answer)) as client:
        await client.send(numbers[:100], text)  # warm up
        start = time.perf_counter()
        await client.send(numbers, text)
        return time.perf_counter() - start, calls - 1


async def bench_send(count: int) -> None:
    text = "告警：磁盘空间不足，请处理。"
    gateway = SandboxGateway(balance=10 * count + 1000, auto_reports=False)
    numbers = [f"13{i % 7 + 3}{i:08d}" for i in range(count)]
    async with SandboxServer(gateway) as server:
        transport = TimingTransport()
        async with SmsGateway(server.url, gateway.username, gateway.password,
                              transport=transport, timeout=30.0) as client:
            await client.send(numbers[:100], text)  # warm up, and open the connection
            transport.round_trips.clear()
            gateway.reset()
            gateway.configure(balance=10 * count + 1000, auto_reports=False)
            start = time.perf_counter()
            result = await client.send(numbers, text)
            wall = time.perf_counter() - start

    requests = gateway.request_count("send")
    rtt = sum(transport.round_trips)
    handling = sum(r.duration for r in gateway.requests)
    overhead = wall - rtt
    t0 = time.perf_counter()
    normalize_numbers(numbers)
    prepare = time.perf_counter() - t0
    alone, alone_requests = await client_only(numbers, text)

    per = max(requests, 1)
    print(f"\n{count:,}-number send against SandboxServer on 127.0.0.1 "
          "(report generation off; the sandbox runs in a thread of this process):")
    print(f"  requests made: {requests} [target: exactly {-(-count // 100)}]; "
          f"outcomes {sorted({c.outcome.value for c in result.chunks})}; "
          f"accepted {result.accepted:,}")
    print(f"  wall time of SmsGateway.send: {wall * 1000:,.1f} ms "
          f"({count / wall:,.0f} numbers/s)")
    print(f"  round trips, summed: {rtt * 1000:,.1f} ms "
          f"(mean {statistics.mean(transport.round_trips) * 1000:.3f} ms, "
          f"median {statistics.median(transport.round_trips) * 1000:.3f} ms per request)")
    print(f"    of which the sandbox's own handling (server side, per request log): "
          f"{handling * 1000:,.1f} ms ({handling / per * 1000:.3f} ms per request); "
          "the rest is uvicorn, h11, the loopback socket and httpcore")
    share = overhead / rtt if rtt else float("nan")
    verdict = "meets" if share <= 0.10 else "ABOVE"
    print(f"  client overhead = wall - round trips: {overhead * 1000:,.1f} ms "
          f"({overhead / per * 1000:.3f} ms per request) = {share:.1%} of the round-trip time "
          f"[target <= 10%: {verdict}]")
    print(f"    of which normalising the {count:,} numbers (phones.normalize_numbers): "
          f"{prepare * 1000:,.1f} ms ({prepare / per * 1000:.3f} ms per request)")
    print(f"    cross-check, the same send against an instant in-memory transport: "
          f"{alone * 1000:,.1f} ms for {alone_requests} requests "
          f"({alone / max(alone_requests, 1) * 1000:.3f} ms per request)")
    print("  definitions: round trip = from handing the request to the transport until its "
          "whole body is read (timed at the transport); client overhead = wall time of "
          "send() minus the summed round trips: everything the client does outside the HTTP "
          "exchange (input checks, chunking, query building and GBK percent-encoding, building "
          "the httpx.Request, the per-request deadline, answer parsing).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=2.0, help="time per parse figure")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        print(f"cpus available: {len(os.sched_getaffinity(0))}; python {sys.version.split()[0]}")
    bench_parsing(args.seconds)
    asyncio.run(bench_send(args.numbers))


if __name__ == "__main__":
    main()
