"""SmsGateway against the sandbox gateway over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import socket
import traceback
from datetime import datetime, timedelta

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from sms_core import (
    CST,
    AccountLocked,
    ChunkOutcome,
    ChunkResult,
    ForbiddenWord,
    GatewayBusy,
    GatewayProtocolError,
    GatewayUnavailable,
    InboundPage,
    InboundSms,
    InputError,
    InsufficientBalance,
    InvalidNumber,
    LoginFailed,
    NoRecipients,
    PageMaybeLost,
    SendOutcomeUnknown,
    SmsGateway,
    UnsupportedCharacters,
)
from sms_core.protocol.query import encode_query, send_params
from sms_core.redaction import RedactPasswordFilter
from sms_core.sandbox import SandboxServer

SECRET = "pw-S3CRET-xyz"


def numbers(n: int, start: int = 0) -> list[str]:
    return [f"138{i:08d}" for i in range(start, start + n)]


def client(server: SandboxServer, **kw: object) -> SmsGateway:
    """A client with the sandbox's own account."""
    options: dict[str, object] = {"timeout": 3.0, "backoff": 0.01}
    options.update(kw)
    gw = server.gateway
    return SmsGateway(server.url, gw.username, gw.password, **options)  # type: ignore[arg-type]


def exception_chain(exc: BaseException | None) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and all(exc is not s for s in seen):
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def assert_no_secret(secret: str, *things: object, caplog: pytest.LogCaptureFixture | None = None) -> None:
    for thing in things:
        if isinstance(thing, BaseException):
            for exc in exception_chain(thing):
                assert secret not in str(exc)
                assert secret not in repr(exc)
            assert secret not in "".join(traceback.format_exception(thing))
        else:
            assert secret not in str(thing)
            assert secret not in repr(thing)
    if caplog is not None:
        for record in caplog.records:
            assert secret not in record.getMessage()
        assert secret not in caplog.text


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "httpcore.http11", "httpcore.connection", "sms_core.client"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


# --- sending ------------------------------------------------------------------------


async def test_250_numbers_make_three_requests_with_a_result_each(sms_gateway, sandbox_gateway):
    given = numbers(250)
    # the same numbers again, as people type them: deduplicated before sending
    given += ["+86 138 0000 0000", "86-13800000001", "138-0000-0002"]
    seen: list[ChunkResult] = []

    async def on_chunk(chunk: ChunkResult) -> None:
        seen.append(chunk)

    result = await sms_gateway.send(given, "hello", on_chunk=on_chunk)

    assert sandbox_gateway.request_count("send") == 3
    assert [len(c.numbers) for c in result.chunks] == [100, 100, 50]
    assert [c.outcome for c in result.chunks] == [ChunkOutcome.ACCEPTED] * 3
    assert list(result.chunks) == seen
    assert result.numbers == tuple(numbers(250))
    assert result.accepted == 250 and result.rejected == 0 and result.ok
    assert len(result.ids) == 250  # per-number SMSIDs
    assert [len(s.accepted) for s in sandbox_gateway.sent] == [100, 100, 50]
    assert sandbox_gateway.balance == 10_000 - 250


async def test_chinese_text_travels_as_gbk_percent_escapes(sms_gateway, sandbox_gateway):
    text = "发送测试 a+b c&d=e 100%;|,\n第二行"
    await sms_gateway.send(["13800138000"], text)

    [request] = sandbox_gateway.requests
    raw = request.raw_query
    assert b"send_content=%B7%A2%CB%CD%B2%E2%CA%D4" in raw  # 发送测试 in GBK
    assert b"%E5%8F%91" not in raw  # not UTF-8 (发 = E5 8F 91)
    assert request.gbk_ok
    assert request.params["send_content"] == text
    assert sandbox_gateway.sent[0].text == text
    assert request.params["us_pwd"] == "***"


async def test_balance_charged_by_segments_times_accepted(sms_gateway, sandbox_gateway):
    text = "长" * 140  # 140 characters: ceil(140/67) = 3 segments
    result = await sms_gateway.send([*numbers(5), "075580808080"], text)
    assert result.segments == 3
    assert result.accepted == 6
    assert result.cost == 18
    assert sandbox_gateway.balance == 10_000 - 18
    assert await sms_gateway.balance() == 10_000 - 18
    assert sandbox_gateway.sent[0].segments == 3


async def test_scheduled_send_carries_cst_time_and_reports_wait(sms_gateway, sandbox_gateway):
    at = datetime.now(CST).replace(microsecond=0) + timedelta(hours=1)
    await sms_gateway.send(["13800138000"], "later", at=at)
    assert sandbox_gateway.sent[0].send_time == at.strftime("%Y%m%d%H%M%S")
    assert await sms_gateway.fetch_reports() == []  # not delivered before its time
    sandbox_gateway.flush_reports()
    [report] = await sms_gateway.fetch_reports()
    assert report.phone == "13800138000" and report.delivered


@pytest.mark.parametrize("style", ["per-number", "batch"])
async def test_id_styles_and_report_matching(sms_gateway, sandbox_gateway, style):
    sandbox_gateway.configure(id_style=style, fail_numbers={"13800000001"})
    result = await sms_gateway.send(numbers(3), "hi")
    if style == "batch":
        assert len(result.ids) == 1
        expected = {(result.ids[0], n) for n in numbers(3)}
    else:
        assert len(result.ids) == 3
        expected = set(zip(result.ids, numbers(3), strict=True))
    reports = await sms_gateway.fetch_reports()
    assert {(r.sms_id, r.phone) for r in reports} == expected
    assert {r.phone: r.status for r in reports} == {
        "13800000000": 10, "13800000001": 20, "13800000002": 10}


async def test_input_is_refused_before_anything_is_sent(sms_gateway, sandbox_gateway):
    with pytest.raises(UnsupportedCharacters) as info:
        await sms_gateway.send(["13800138000"], "ok 😀")
    assert info.value.chars == ("😀",)
    with pytest.raises(InvalidNumber):
        await sms_gateway.send(["13800138000", "12345"], "hi")
    with pytest.raises(NoRecipients):
        await sms_gateway.send([], "hi")
    assert sandbox_gateway.request_count() == 0


async def test_secretstr_password_is_accepted(sandbox, sandbox_gateway):
    async with SmsGateway(sandbox.url, sandbox_gateway.username,
                          SecretStr(sandbox_gateway.password)) as gw:
        assert await gw.balance() == 10_000


# --- refusals -----------------------------------------------------------------------


async def test_forbidden_word_names_the_word_and_stops_the_send(sms_gateway, sandbox_gateway):
    result = await sms_gateway.send(numbers(150), "可以开发票吗")
    first, second = result.chunks
    assert first.outcome is ChunkOutcome.REFUSED
    assert isinstance(first.error, ForbiddenWord) and first.error.word == "发票"
    assert second.outcome is ChunkOutcome.REFUSED and second.error is first.error
    assert second.attempts == 0
    assert sandbox_gateway.request_count("send") == 1
    assert sandbox_gateway.sent == []


async def test_insufficient_balance_stops_the_remaining_chunks(sms_gateway, sandbox_gateway):
    sandbox_gateway.set_balance(150)
    result = await sms_gateway.send(numbers(250), "hi")
    assert [c.outcome for c in result.chunks] == [
        ChunkOutcome.ACCEPTED, ChunkOutcome.REFUSED, ChunkOutcome.REFUSED]
    assert isinstance(result.chunks[1].error, InsufficientBalance)
    assert result.chunks[2].attempts == 0
    assert sandbox_gateway.request_count("send") == 2
    assert sandbox_gateway.balance == 50


async def test_locked_account(sms_gateway, sandbox_gateway):
    sandbox_gateway.configure(locked=True)
    result = await sms_gateway.send(numbers(120), "hi")
    assert all(isinstance(c.error, AccountLocked) for c in result.chunks)
    assert sandbox_gateway.request_count("send") == 1


async def test_wrong_password_never_leaks(sandbox, sandbox_gateway, debug_logs):
    gw = SmsGateway(sandbox.url, sandbox_gateway.username, SECRET, timeout=3.0, backoff=0.01)
    async with gw:
        result = await gw.send(numbers(150), "hi")
        with pytest.raises(LoginFailed) as reports_error:
            await gw.fetch_reports()
        with pytest.raises(LoginFailed) as balance_error:
            await gw.balance()
    [first, second] = result.chunks
    assert isinstance(first.error, LoginFailed) and first.error.code == -7
    assert second.outcome is ChunkOutcome.REFUSED and second.attempts == 0
    assert sandbox_gateway.request_count("send") == 1

    # the HTTP library's own debug lines were captured too, and are checked below
    assert any(r.name.startswith("httpcore") for r in debug_logs.records)
    # our own log line names the code
    assert any("code -7" in r.getMessage() for r in debug_logs.records
               if r.name == "sms_core.client")
    assert_no_secret(SECRET, gw, result, first.error, reports_error.value, balance_error.value,
                     caplog=debug_logs)
    # the raw bytes did carry it (the sandbox keeps them in memory only)
    assert SECRET.encode() in sandbox_gateway.requests[0].raw_query
    assert_no_secret(SECRET, sandbox_gateway.requests, sandbox_gateway.state())


async def test_transport_errors_never_leak_the_password(sandbox, sandbox_gateway, debug_logs):
    port = closed_port()
    async with SmsGateway(f"http://127.0.0.1:{port}", "demo", SECRET, timeout=1.0,
                          backoff=0.01, max_attempts=2) as gw:
        with pytest.raises(GatewayUnavailable) as refused:
            await gw.balance()
    async with SmsGateway(sandbox.url, sandbox_gateway.username, SECRET, timeout=0.3,
                          backoff=0.01, max_attempts=1) as gw:
        sandbox_gateway.add_fault("stall", endpoint="inbound")
        with pytest.raises(PageMaybeLost) as stalled:
            await gw.fetch_inbound()
        sandbox_gateway.add_fault("stall", endpoint="send")
        result = await gw.send(["13800138000"], "hi")
    assert isinstance(result.chunks[0].error, SendOutcomeUnknown)
    assert_no_secret(SECRET, refused.value, stalled.value, result.chunks[0].error, result,
                     caplog=debug_logs)


async def test_an_error_page_that_echoes_the_url_is_blanked():
    """An IIS error page may quote the request URL, password included."""

    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=f"<html>error in {request.url}</html>".encode())

    gw = SmsGateway("http://gateway.test", "demo", SECRET, transport=httpx.MockTransport(echo),
                    backoff=0.0)
    async with gw:
        with pytest.raises(GatewayProtocolError) as info:
            await gw.fetch_reports()
        result = await gw.send(["13800138000"], "hi")
    assert_no_secret(SECRET, info.value, result.chunks[0].error)
    assert result.chunks[0].outcome is ChunkOutcome.UNKNOWN


@pytest.mark.parametrize("password", [
    "pa\\ss-S3CRET",  # a backslash: escaped by the excerpt
    "ab  cd-S3CRET",  # two spaces: collapsed into one by the excerpt
    "tab\tS3CRET",  # a tab: turned into a space
    "ab cd-S3CRET",  # a space: the us_pwd= pattern alone would stop at it
    "LongS3CRETpassword123",  # long: the excerpt's cut could keep a piece of it
])
async def test_an_error_page_that_shows_the_password_in_any_form_is_blanked(password, debug_logs):
    """The password is blanked before the excerpt is made, not found (or missed) after."""

    def echo(request: httpx.Request) -> httpx.Response:
        page = f"<html>login failed for user demo, us_pwd={password} /// {password} !</html>"
        return httpx.Response(200, content=page.encode("gbk"))

    gw = SmsGateway("http://gateway.test", "demo", password, transport=httpx.MockTransport(echo),
                    backoff=0.0)
    async with gw:
        with pytest.raises(GatewayProtocolError) as reading:
            await gw.fetch_reports()
        with pytest.raises(GatewayProtocolError) as balance:
            await gw.balance()
        result = await gw.send(["13800138000"], "hi")
    texts = [str(reading.value), str(balance.value), str(result.chunks[0].error),
             *(r.getMessage() for r in debug_logs.records)]
    assert all("S3CRE" not in text for text in texts), texts
    assert "us_pwd=***" in str(reading.value)


def test_log_filter_redacts_args_and_message():
    gw = SmsGateway("http://x", "demo", SECRET)
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "HTTP Request: %s %s", (
        "GET", httpx.URL(f"http://x/a?us_name=demo&us_pwd={SECRET}&b=1")), None)
    RedactPasswordFilter().filter(record)
    assert SECRET not in record.getMessage()
    assert "us_pwd=***&b=1" in record.getMessage()
    other = logging.LogRecord("httpx", logging.INFO, __file__, 1, "plain %s", (SECRET,), None)
    RedactPasswordFilter().filter(other)
    assert SECRET not in other.getMessage()
    assert SECRET not in repr(gw)


# --- faults -------------------------------------------------------------------------


async def test_busy_send_is_retried_then_succeeds(sms_gateway, sandbox_gateway):
    sandbox_gateway.add_fault("busy", count=2, endpoint="send")
    result = await sms_gateway.send(["13800138000"], "hi")
    [chunk] = result.chunks
    assert chunk.outcome is ChunkOutcome.ACCEPTED and chunk.attempts == 3
    assert sandbox_gateway.request_count("send") == 3
    assert len(sandbox_gateway.sent) == 1


async def test_busy_send_fails_after_max_attempts(sms_gateway, sandbox_gateway):
    sandbox_gateway.add_fault("busy", count=5, endpoint="send")
    [chunk] = (await sms_gateway.send(["13800138000"], "hi")).chunks
    assert chunk.outcome is ChunkOutcome.FAILED
    assert isinstance(chunk.error, GatewayBusy) and chunk.error.code == -99
    assert chunk.attempts == 3
    assert sandbox_gateway.request_count("send") == 3
    assert sandbox_gateway.sent == []


async def test_busy_polls_are_retried(sms_gateway, sandbox_gateway):
    sandbox_gateway.add_inbound("13800138000", "hello")
    sandbox_gateway.add_fault("busy", count=2, endpoint="inbound")
    [sms] = await sms_gateway.fetch_inbound()
    assert sms.text == "hello"
    assert sandbox_gateway.request_count("inbound") == 3
    sandbox_gateway.add_fault("busy", count=3, endpoint="reports")
    with pytest.raises(GatewayBusy) as info:
        await sms_gateway.fetch_reports()
    assert info.value.code == -3
    assert sandbox_gateway.request_count("reports") == 3


@pytest.mark.parametrize("variant", ["html", "empty", "truncated"])
async def test_garbage_answer_to_a_send_is_unknown_and_not_retried(sms_gateway, sandbox_gateway,
                                                                   variant):
    sandbox_gateway.add_fault("garbage", endpoint="send", variant=variant, process=True)
    [chunk] = (await sms_gateway.send(["13800138000"], "hi")).chunks
    assert chunk.outcome is ChunkOutcome.UNKNOWN
    assert isinstance(chunk.error, SendOutcomeUnknown)
    assert sandbox_gateway.request_count("send") == 1
    assert len(sandbox_gateway.sent) == 1  # it was sent: a retry would have texted twice


@pytest.mark.parametrize("variant", ["html", "empty"])
@pytest.mark.parametrize("endpoint", ["reports", "inbound", "balance"])
async def test_garbage_answer_to_a_poll_is_a_protocol_error(sms_gateway, sandbox_gateway,
                                                             endpoint, variant):
    sandbox_gateway.add_fault("garbage", endpoint=endpoint, variant=variant)
    call = {"reports": sms_gateway.fetch_reports, "inbound": sms_gateway.fetch_inbound,
            "balance": sms_gateway.balance}[endpoint]
    with pytest.raises(GatewayProtocolError):
        await call()
    assert sandbox_gateway.request_count(endpoint) == 1


async def test_raw_body_reaches_on_raw_before_parsing(sms_gateway, sandbox_gateway):
    raw: list[tuple[str, str]] = []

    async def on_raw(endpoint: str, body: str) -> None:
        raw.append((endpoint, body))

    assert (await sms_gateway.fetch_report_page(on_raw=on_raw)).reports == ()
    assert raw == []  # "0" carries nothing
    sandbox_gateway.add_fault("garbage", endpoint="reports", variant="truncated")
    with pytest.raises(GatewayProtocolError):
        await sms_gateway.fetch_report_page(on_raw=on_raw)
    assert raw == [("/get_report_txt.asp", "3|6408676;13682250950;20|6408649;137")]
    # a cut-short inbound page is refused too, with its intact records as `partial`
    sandbox_gateway.add_fault("garbage", endpoint="inbound", variant="truncated")
    with pytest.raises(GatewayProtocolError, match="cut short") as err:
        await sms_gateway.fetch_inbound_page(on_raw=on_raw)
    assert err.value.partial == InboundPage(
        (InboundSms("133", "13798361236", "我回复一条"),), declared=2)
    assert raw[-1] == ("/get_receive_message_txt.asp", "2|133,13798361236;我回复一条|134,1382")


async def test_stalled_send_is_unknown_after_one_request(sandbox, sandbox_gateway):
    sandbox_gateway.add_fault("stall", endpoint="send", process=True)
    async with client(sandbox, timeout=0.5) as gw:
        [chunk] = (await gw.send(["13800138000"], "hi")).chunks
    assert chunk.outcome is ChunkOutcome.UNKNOWN
    assert isinstance(chunk.error, SendOutcomeUnknown)
    assert chunk.attempts == 1
    assert sandbox_gateway.request_count("send") == 1
    assert len(sandbox_gateway.sent) == 1  # the gateway did send it


@pytest.mark.parametrize("mode", ["drop", "http500"])
async def test_lost_answer_to_a_send_is_unknown(sms_gateway, sandbox_gateway, mode):
    sandbox_gateway.add_fault(mode, endpoint="send")
    [chunk] = (await sms_gateway.send(["13800138000"], "hi")).chunks
    assert chunk.outcome is ChunkOutcome.UNKNOWN
    assert sandbox_gateway.request_count("send") == 1


async def test_unknown_chunk_does_not_stop_the_others(sms_gateway, sandbox_gateway):
    sandbox_gateway.add_fault("drop", endpoint="send")
    result = await sms_gateway.send(numbers(150), "hi")
    assert [c.outcome for c in result.chunks] == [ChunkOutcome.UNKNOWN, ChunkOutcome.ACCEPTED]
    assert result.unknown == tuple(numbers(100))
    assert sandbox_gateway.request_count("send") == 2


@pytest.mark.parametrize("mode", ["drop", "http500", "slow"])
async def test_poll_faults_are_retried(sandbox, sandbox_gateway, mode):
    sandbox_gateway.add_fault(mode, endpoint="balance", delay=1.0)
    async with client(sandbox, timeout=0.4) as gw:
        assert await gw.balance() == 10_000
    assert sandbox_gateway.request_count("balance") == 2


async def test_a_stalled_poll_may_have_lost_a_page_and_is_not_asked_again(sandbox, sandbox_gateway):
    sandbox_gateway.add_fault("stall", count=3, endpoint="reports")
    async with client(sandbox, timeout=0.3, max_attempts=3) as gw:
        with pytest.raises(PageMaybeLost, match=r"did not answer in time.*a page may have been lost"):
            await gw.fetch_reports()
    assert sandbox_gateway.request_count("reports") == 1


async def test_connection_refused_fails_after_max_attempts():
    async with SmsGateway(f"http://127.0.0.1:{closed_port()}", "demo", "pw", timeout=1.0,
                          backoff=0.01, max_attempts=3) as gw:
        result = await gw.send(numbers(150), "hi")
        with pytest.raises(GatewayUnavailable):
            await gw.fetch_reports()
    assert [c.outcome for c in result.chunks] == [ChunkOutcome.FAILED] * 2
    assert all(isinstance(c.error, GatewayUnavailable) and c.attempts == 3 for c in result.chunks)
    assert result.accepted == 0


async def test_wrong_base_path_is_not_retried(sandbox, sandbox_gateway):
    async with SmsGateway(sandbox.url + "/nope", sandbox_gateway.username,
                          sandbox_gateway.password, backoff=0.01) as gw:
        [chunk] = (await gw.send(["13800138000"], "hi")).chunks
        with pytest.raises(GatewayProtocolError, match="HTTP 404"):
            await gw.balance()
    assert chunk.outcome is ChunkOutcome.FAILED and chunk.attempts == 1
    assert isinstance(chunk.error, GatewayProtocolError)
    assert sandbox_gateway.request_count() == 0


# --- reads --------------------------------------------------------------------------


async def test_reads_are_destructive(sms_gateway, sandbox_gateway):
    await sms_gateway.send(numbers(3), "hi")
    sandbox_gateway.add_inbound("13800000000", "收到")
    assert len(await sms_gateway.fetch_reports()) == 3
    assert await sms_gateway.fetch_reports() == []
    [sms] = await sms_gateway.fetch_inbound()
    assert (sms.phone, sms.text) == ("13800000000", "收到")
    assert await sms_gateway.fetch_inbound() == []


async def test_report_paging_by_100(sms_gateway, sandbox_gateway):
    for i, n in enumerate(numbers(250)):
        sandbox_gateway.add_report(str(7_000_000 + i), n, 10)
    sizes = []
    while True:
        page = await sms_gateway.fetch_report_page()
        sizes.append(len(page.reports))
        assert not page.count_mismatch
        if len(page.reports) < 100:
            break
    assert sizes == [100, 100, 50]
    assert await sms_gateway.fetch_reports() == []


@pytest.mark.parametrize("style", [";", ",", "mixed"])
async def test_inbound_paging_by_50_in_every_separator_style(sms_gateway, sandbox_gateway, style):
    sandbox_gateway.configure(inbound_style=style)
    texts = [f"回复 {i}; a|b\n第二行" for i in range(120)]
    for i, text in enumerate(texts):
        sandbox_gateway.add_inbound(f"139{i:08d}", text)
    got = []
    sizes = []
    while True:
        page = await sms_gateway.fetch_inbound_page()
        sizes.append(len(page.messages))
        got.extend(page.messages)
        if len(page.messages) < 50:
            break
    assert sizes == [50, 50, 20]
    assert [m.text for m in got] == texts
    assert [m.phone for m in got] == [f"139{i:08d}" for i in range(120)]
    assert len({m.msg_id for m in got}) == 120


async def test_reports_per_segment_and_pending_first_reach_the_caller(sms_gateway,
                                                                      sandbox_gateway):
    sandbox_gateway.configure(report_per_segment=True, pending_first=True)
    result = await sms_gateway.send(["13800138000"], "长" * 100)  # 2 segments
    reports = await sms_gateway.fetch_reports()
    assert [r.status for r in reports] == [-1, 10, 10]
    assert {r.sms_id for r in reports} == set(result.ids)
    assert not reports[0].final


async def test_the_right_password_is_not_logged_either(sms_gateway, sandbox_gateway, debug_logs):
    sandbox_gateway.add_fault("busy", endpoint="send")
    sandbox_gateway.add_fault("garbage", endpoint="reports")
    await sms_gateway.send(numbers(2), "hi")
    with pytest.raises(GatewayProtocolError) as info:
        await sms_gateway.fetch_reports()
    await sms_gateway.fetch_inbound()
    await sms_gateway.balance()
    # five requests went through the HTTP library, whose debug lines are checked too
    assert len([r for r in debug_logs.records if r.getMessage().startswith(
        "send_request_headers.complete")]) >= 5
    assert_no_secret(sandbox_gateway.password, sms_gateway, info.value, caplog=debug_logs)


# --- how requests are made: httpx.AsyncClient, set up for the gateway ----------------


async def test_a_redirect_is_not_followed_and_the_chunk_is_not_sent_twice():
    seen: list[httpx.Request] = []

    def redirect(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"Location": "http://elsewhere.test/steal"})

    async with SmsGateway("http://gateway.test", "demo", SECRET, backoff=0.0,
                          transport=httpx.MockTransport(redirect)) as gw:
        [chunk] = (await gw.send(["13800138000"], "hi")).chunks
        with pytest.raises(GatewayProtocolError, match="HTTP 302"):
            await gw.balance()
    assert chunk.outcome is ChunkOutcome.FAILED and "HTTP 302" in str(chunk.error)
    assert [r.url.host for r in seen] == ["gateway.test", "gateway.test"]


async def test_requests_carry_per_phase_timeouts_and_no_compression_request():
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"0|1|0|42")

    async with SmsGateway("http://gateway.test", "demo", SECRET, timeout=7.0,
                          transport=httpx.MockTransport(answer)) as gw:
        await gw.send(["13800138000"], "hi")
    [request] = seen
    assert request.extensions["timeout"] == {"connect": 7.0, "read": 7.0, "write": 7.0,
                                             "pool": 7.0}
    assert request.headers["host"] == "gateway.test"
    assert "accept-encoding" not in request.headers


async def test_a_password_the_encoding_cannot_hold_is_refused_without_showing_it(
        sandbox, sandbox_gateway):
    secret = "pw-😀-S3CRET"
    async with SmsGateway(sandbox.url, sandbox_gateway.username, secret) as gw:
        with pytest.raises(InputError, match="SMSBOT_GATEWAY_PASSWORD") as sending:
            await gw.send(["13800138000"], "hi")
        with pytest.raises(InputError, match="SMSBOT_GATEWAY_PASSWORD") as reading:
            await gw.balance()
    assert sandbox_gateway.request_count() == 0
    for info in (sending, reading):
        assert "😀" not in "".join(traceback.format_exception(info.value))
    assert_no_secret(secret, sending.value, reading.value)


async def test_a_username_the_encoding_cannot_hold_names_the_setting(sandbox, sandbox_gateway):
    async with SmsGateway(sandbox.url, "团队😀", "pw") as gw:
        with pytest.raises(InputError, match="SMSBOT_GATEWAY_USERNAME") as err:
            await gw.send(["13800138000"], "hi")
    assert "'😀'" in str(err.value) and "username" in str(err.value)
    assert sandbox_gateway.request_count() == 0


async def test_an_inbound_page_with_a_byte_gbk_lacks_keeps_its_sms():
    """One SMS with a byte the codec cannot read must not hide the page's other SMS: the
    error carries them (the odd byte as U+FFFD), and on_raw gets every byte."""
    body = "2|101;13800138000;价格 5".encode("gbk") + b"\xff|102;13900139000;" + "好的".encode("gbk")
    raw: list[str] = []

    async def on_raw(endpoint: str, text: str) -> None:
        raw.append(text)

    gw = SmsGateway("http://gateway.test", "demo", "pw", backoff=0.0,
                    transport=httpx.MockTransport(lambda request: httpx.Response(200, content=body)))
    async with gw:
        with pytest.raises(GatewayProtocolError, match="not valid GBK") as err:
            await gw.fetch_inbound_page(on_raw=on_raw)
    assert err.value.partial == InboundPage((InboundSms("101", "13800138000", "价格 5\ufffd"),
                                             InboundSms("102", "13900139000", "好的")), declared=2)
    assert raw == ["2|101;13800138000;价格 5\\xff|102;13900139000;好的"]


async def test_the_euro_sign_of_code_page_936_is_read():
    body = "1|101;13800138000;价格 5".encode("gbk") + b"\x80"
    gw = SmsGateway("http://gateway.test", "demo", "pw", backoff=0.0,
                    transport=httpx.MockTransport(lambda request: httpx.Response(200, content=body)))
    async with gw:
        [sms] = await gw.fetch_inbound()
    assert sms.text == "价格 5€"


class LoopbackProxy:
    """A forward HTTP proxy on 127.0.0.1 that answers every request itself with `answer`,
    and keeps each request's target (an absolute URL, as a client gives a proxy)."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.targets: list[str] = []
        self.url = ""

    async def __aenter__(self) -> LoopbackProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                self.targets.append(head.split(b" ")[1].decode("ascii"))
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s"
                             % (len(self.answer), self.answer))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY"])
async def test_the_proxy_the_environment_names_carries_the_requests(no_proxy_env, variable):
    async with LoopbackProxy(b"4321") as proxy:
        no_proxy_env.setenv(variable, proxy.url)
        # a name that resolves nowhere: only the proxy can answer for it
        async with SmsGateway("http://gateway.invalid:8088", "demo", "pw", backoff=0.0) as gw:
            assert await gw.balance() == 4321
    [target] = proxy.targets
    assert target.startswith("http://gateway.invalid:8088/Get_Account_Balance.asp?us_name=demo&")


@pytest.mark.parametrize("env", [
    {"HTTP_PROXY": "{proxy}", "NO_PROXY": "127.0.0.1"},  # the gateway's host is exempt
    {"HTTP_PROXY": "{proxy}", "NO_PROXY": "*"},
    {"HTTPS_PROXY": "{proxy}"},  # for https:// URLs only: not the http:// gateway
])
async def test_a_gateway_the_environment_exempts_is_reached_directly(no_proxy_env, sandbox,
                                                                      sandbox_gateway, env):
    async with LoopbackProxy(b"4321") as proxy:
        for name, value in env.items():
            no_proxy_env.setenv(name, value.format(proxy=proxy.url))
        async with client(sandbox) as gw:
            assert await gw.balance() == 10_000  # the sandbox's answer, not the proxy's
    assert proxy.targets == []
    assert sandbox_gateway.request_count("balance") == 1


async def test_a_given_transport_is_used_whatever_the_environment_says(no_proxy_env):
    async with LoopbackProxy(b"4321") as proxy:
        no_proxy_env.setenv("HTTP_PROXY", proxy.url)
        gw = SmsGateway("http://gateway.test", "demo", "pw", transport=httpx.MockTransport(
            lambda request: httpx.Response(200, content=b"77")))
        async with gw:
            assert await gw.balance() == 77
    assert proxy.targets == []


async def test_no_cookie_of_the_gateway_is_kept_or_sent_back():
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"5", headers={
            "Set-Cookie": "ASPSESSIONIDQQ=ABCDEF; path=/"})

    async with SmsGateway("http://gateway.test", "demo", "pw",
                          transport=httpx.MockTransport(answer)) as gw:
        assert await gw.balance() == 5
        assert await gw.balance() == 5
    assert [r.headers.get("cookie") for r in seen] == [None, None]


BASES = ["http://www.112088.net:8088", "http://127.0.0.1:50123", "http://GateWay.example/",
         "https://gw.example/sub/path", "http://gw.example:80/a/./b/../c", "http://[::1]:8088",
         "http://gw.example/p%20q"]


@given(
    base=st.sampled_from(BASES),
    username=st.text(alphabet="abcXYZ019_-. 中", min_size=1, max_size=8),
    password=st.text(alphabet="aZ09!@#%&=+ ?/中~", min_size=1, max_size=12),
    numbers=st.lists(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), min_size=1, max_size=100,
                     unique=True),
    text=st.text(alphabet="ab &=%+?#;|,~._-中文，！\n", min_size=1, max_size=40).filter(str.strip),
)
def test_the_query_goes_on_the_wire_exactly_as_encode_query_built_it(base, username, password,
                                                                      numbers, text):
    """httpx is given the GBK-escaped query string and must not encode it again."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"0|1|0|1" if "sendsms" in request.url.path else b"5")

    async def send_and_read() -> None:
        async with SmsGateway(base, username, password,
                              transport=httpx.MockTransport(answer)) as gw:
            await gw.send(numbers, text)
            await gw.balance()

    asyncio.run(send_and_read())
    send, balance = seen
    expected = {
        send: encode_query(send_params(username, password, numbers, text)),
        balance: encode_query({"us_name": username, "us_pwd": password}),
    }
    for request, query in expected.items():
        endpoint = "/sendsms_txt.asp" if request is send else "/Get_Account_Balance.asp"
        assert request.url.query == query.encode("ascii")
        assert request.url.raw_path.endswith(f"{endpoint}?{query}".encode("ascii"))  # the request line
        assert request.url.host == httpx.URL(base).host
