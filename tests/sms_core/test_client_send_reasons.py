"""SmsGateway.send over real HTTP: an unknown outcome carries its fault as a reason code, and
`on_chunk_start` comes right before each chunk's request, after the previous chunk's outcome."""

from __future__ import annotations

import pytest

from sms_core import ChunkOutcome, ChunkResult, SendOutcomeUnknown, SmsGateway, UnknownReason
from sms_core.sandbox import SandboxServer


def _client(server: SandboxServer) -> SmsGateway:
    gw = server.gateway
    return SmsGateway(server.url, gw.username, gw.password, timeout=1.0, backoff=0.01)


@pytest.mark.parametrize(("fault", "reason", "status"), [
    ("stall", UnknownReason.TIMEOUT, None),
    ("garbage", UnknownReason.UNREADABLE, None),
    ("http500", UnknownReason.HTTP_STATUS, 500),
    ("drop", UnknownReason.CONNECTION_CLOSED, None),
])
async def test_an_unknown_outcome_carries_its_reason_code(sandbox, fault, reason, status):
    sandbox.gateway.add_fault(fault, endpoint="send")
    async with _client(sandbox) as gw:
        [chunk] = (await gw.send(["13800138000"], "hello")).chunks
    assert chunk.outcome is ChunkOutcome.UNKNOWN and chunk.attempts == 1
    assert isinstance(chunk.error, SendOutcomeUnknown)
    assert chunk.error.reason is reason and chunk.error.http_status == status
    assert sandbox.gateway.request_count("send") == 1


async def test_each_chunk_is_announced_before_its_request_and_after_the_previous_outcome(sandbox):
    seen: list[tuple[str, int, int]] = []  # (event, chunk or size, requests the gateway had by then)

    async def start(index: int, numbers: tuple[str, ...]) -> None:
        seen.append(("start", index, sandbox.gateway.request_count("send")))
        assert len(numbers) == (100 if index < 2 else 50)

    async def done(chunk: ChunkResult) -> None:
        seen.append(("done", len(chunk.numbers), sandbox.gateway.request_count("send")))

    sandbox.gateway.set_balance(150)  # the second request is refused (-9): the third is not sent
    async with _client(sandbox) as gw:
        await gw.send([f"139{i:08d}" for i in range(250)], "hello", on_chunk=done, on_chunk_start=start)
    assert seen == [("start", 0, 0), ("done", 100, 1), ("start", 1, 1), ("done", 100, 2), ("done", 50, 2)]


async def test_a_failing_chunk_start_stops_the_send_before_its_request(sandbox):
    async def refuse(index: int, numbers: tuple[str, ...]) -> None:
        if index == 1:
            raise RuntimeError("the journal cannot write")

    async with _client(sandbox) as gw:
        with pytest.raises(RuntimeError):
            await gw.send([f"139{i:08d}" for i in range(250)], "hello", on_chunk_start=refuse)
    assert sandbox.gateway.request_count("send") == 1
