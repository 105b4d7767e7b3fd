"""Gateway adapter figures: SmsGateway beside a bare httpx.AsyncClient doing the same wire work.

Run: .venv/bin/python bench/gateway.py [--numbers 10000] [--reports 5000] [--rounds 5]

Prints figures; asserts nothing about speed. Against SandboxServer on 127.0.0.1 (it runs
in a thread of this process), in the same run, round after round:
  - a 10,000-number send: exactly 100 requests [target]; SmsGateway.send's wall time beside
    a bare `httpx.AsyncClient` loop sending the same 100 query strings, and the ratio
    SmsGateway / bare [target <= 1.5x];
  - a 5,000-report drain: 50 pages of 100 through SmsGateway.fetch_report_page beside a
    bare loop of 50 GETs of the same endpoint, and the ratio [target <= 1.5x];
  - parse throughput of a 100-report and a 50-SMS page, as figures (no target).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sms_core import SmsGateway
from sms_core.models import DeliveryReport, InboundSms
from sms_core.phones import chunked
from sms_core.protocol.query import (
    MAX_NUMBERS_PER_REQUEST,
    REPORT_PAGE_SIZE,
    Endpoint,
    auth_params,
    encode_query,
    send_params,
)
from sms_core.protocol.read_answers import parse_inbound, parse_reports
from sms_core.sandbox import (
    SandboxGateway,
    SandboxServer,
    format_inbound,
    format_reports,
)

TARGET_RATIO = 1.5
TEXT = "告警：磁盘空间不足，请处理。"


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

    print("\nparse throughput (one core, time.perf_counter, GBK bytes in; figures, no target):")
    pages, n = rate(lambda: parse_reports(report_body), seconds)
    print(f"  parse_reports, 100-report page ({len(report_body)} bytes): "
          f"{pages:,.0f} pages/s = {pages * 100:,.0f} reports/s over {n:,} calls")
    pages, n = rate(lambda: parse_inbound(inbound_body), seconds)
    print(f"  parse_inbound, 50-SMS page ({len(inbound_body)} bytes): "
          f"{pages:,.0f} pages/s = {pages * 50:,.0f} messages/s over {n:,} calls")


async def timed(run: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await run()
    return time.perf_counter() - start


def verdict(ratio: float) -> str:
    return "meets" if ratio <= TARGET_RATIO else "ABOVE"


def report_side_by_side(what: str, ours: list[float], bare: list[float], requests: int) -> None:
    mine, theirs = statistics.median(ours), statistics.median(bare)
    ratio = mine / theirs
    print(f"  SmsGateway: median {mine * 1000:,.1f} ms ({mine / requests * 1000:.3f} ms per request)"
          f"; rounds {', '.join(f'{t * 1000:.1f}' for t in ours)} ms")
    print(f"  bare httpx.AsyncClient: median {theirs * 1000:,.1f} ms "
          f"({theirs / requests * 1000:.3f} ms per request)"
          f"; rounds {', '.join(f'{t * 1000:.1f}' for t in bare)} ms")
    print(f"  {what}: SmsGateway / bare = {ratio:.2f}x [target <= {TARGET_RATIO}x: {verdict(ratio)}]")


async def bench_send(server: SandboxServer, count: int, rounds: int) -> None:
    gateway = server.gateway
    numbers = [f"13{i % 7 + 3}{i:08d}" for i in range(count)]
    chunks = chunked(tuple(numbers), MAX_NUMBERS_PER_REQUEST)
    # the query strings SmsGateway sends (tests/test_client_integration.py holds it to them)
    urls = [f"{server.url}{Endpoint.SEND.value}?"
            f"{encode_query(send_params(gateway.username, gateway.password, chunk, TEXT))}"
            for chunk in chunks]

    async with SmsGateway(server.url, gateway.username, gateway.password, timeout=30.0) as ours, \
            httpx.AsyncClient(timeout=30.0) as bare:

        async def send_ours() -> None:
            result = await ours.send(numbers, TEXT)
            assert result.ok and result.accepted == count, result.chunks[0]

        async def send_bare() -> None:
            for url in urls:
                response = await bare.get(url)
                assert response.status_code == 200 and response.content.startswith(b"0|")

        await send_ours()  # warm up: connections open, code paths run once
        await send_bare()
        mine: list[float] = []
        theirs: list[float] = []
        requests = 0
        for _ in range(rounds):
            gateway.reset()
            mine.append(await timed(send_ours))
            requests = gateway.request_count("send")
            assert requests == len(urls)
            gateway.reset()
            theirs.append(await timed(send_bare))
            assert gateway.request_count("send") == len(urls)

    print(f"\n{count:,}-number send, SmsGateway.send beside a bare loop of the same "
          f"{len(urls)} GETs, {rounds} rounds each, alternating:")
    print(f"  requests made by SmsGateway: {requests} [target: exactly {-(-count // 100)}]")
    report_side_by_side("send", mine, theirs, requests)


async def bench_drain(server: SandboxServer, count: int, rounds: int) -> None:
    gateway = server.gateway
    pages = -(-count // REPORT_PAGE_SIZE)
    url = (f"{server.url}{Endpoint.REPORTS.value}?"
           f"{encode_query(auth_params(gateway.username, gateway.password))}")

    def fill() -> None:
        gateway.reset()
        for i in range(count):
            gateway.add_report(str(7_000_000 + i), f"138{i:08d}", 10)

    async with SmsGateway(server.url, gateway.username, gateway.password, timeout=30.0) as ours, \
            httpx.AsyncClient(timeout=30.0) as bare:

        async def drain_ours() -> None:
            got = 0
            for _ in range(pages):
                got += len((await ours.fetch_report_page()).reports)
            assert got == count, got

        async def drain_bare() -> None:
            for _ in range(pages):
                response = await bare.get(url)
                assert response.status_code == 200 and response.content[:1].isdigit()

        fill()
        await drain_ours()  # warm up
        fill()
        await drain_bare()
        mine: list[float] = []
        theirs: list[float] = []
        for _ in range(rounds):
            fill()
            mine.append(await timed(drain_ours))
            assert gateway.request_count("reports") == pages
            fill()
            theirs.append(await timed(drain_bare))
            assert gateway.request_count("reports") == pages and not gateway.queued_reports()

    print(f"\n{count:,}-report drain, {pages} pages of {REPORT_PAGE_SIZE}: "
          f"SmsGateway.fetch_report_page (parsing included) beside a bare loop of {pages} GETs "
          f"(the body read, not parsed), {rounds} rounds each, alternating:")
    report_side_by_side("drain", mine, theirs, pages)


async def bench_wire(numbers: int, reports: int, rounds: int) -> None:
    gateway = SandboxGateway(balance=10 * numbers + 1000, auto_reports=False)
    async with SandboxServer(gateway) as server:
        await bench_send(server, numbers, rounds)
        await bench_drain(server, reports, rounds)
    print("  (wall time of the whole loop, time.perf_counter; the sandbox's own handling, in a "
          "thread of this process, is in both sides alike)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=10_000)
    parser.add_argument("--reports", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0, help="time per parse figure")
    args = parser.parse_args()
    if hasattr(os, "sched_getaffinity"):
        print(f"cpus available: {len(os.sched_getaffinity(0))}; python {sys.version.split()[0]}; "
              f"httpx {httpx.__version__}")
    asyncio.run(bench_wire(args.numbers, args.reports, args.rounds))
    bench_parsing(args.seconds)


if __name__ == "__main__":
    main()
