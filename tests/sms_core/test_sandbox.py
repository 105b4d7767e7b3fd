"""The sandbox gateway on its own: the vendor's answers, faults and the control surface.

Requests are written by hand here (not with sms_core.protocol), as a third party would.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import httpx
import pytest

from sms_core.models import DeliveryReport, InboundSms
from sms_core.sandbox import (
    SandboxGateway,
    SandboxServer,
    decode_query,
    format_inbound,
    format_reports,
    segments_for,
)

SEND = "/sendsms_txt.asp"
REPORTS = "/get_report_txt.asp"
INBOUND = "/get_receive_message_txt.asp"
BALANCE = "/Get_Account_Balance.asp"


def gbk_query(**params: str) -> str:
    return "&".join(f"{k}={quote(v.encode('gbk'), safe='')}" for k, v in params.items())


@pytest.fixture
def http(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, timeout=5.0) as c:
        yield c


@pytest.fixture
def call(http: httpx.Client, sandbox_gateway: SandboxGateway):
    """GET a gateway endpoint with the account filled in; returns the GBK-decoded body."""

    def call(path: str, *, raw: str | None = None, **params: str) -> str:
        account = {"us_name": sandbox_gateway.username, "us_pwd": sandbox_gateway.password}
        query = raw if raw is not None else gbk_query(**{**account, **params})
        response = http.get(f"{path}?{query}")
        assert response.status_code == 200
        return response.content.decode("gbk")

    return call


# --- pure parts ------------------------------------------------------------------------


def test_decode_query_reads_gbk_plus_as_space_and_flags_bad_bytes():
    params, ok = decode_query(b"US_NAME=a&send_content=%B7%A2+%CB%CD%2B&x=%FF%FF")
    assert params["us_name"] == "a"  # keys are case-insensitive, as in ASP
    assert params["send_content"] == "发 送+"
    assert not ok  # %FF%FF is not GBK
    assert "\ufffd" in params["x"]
    params, ok = decode_query(b"send_content=%E5%8F%91")  # UTF-8 of 发: garbled
    assert params["send_content"] != "发"


def test_segments():
    assert [segments_for("x" * n) for n in (1, 70, 71, 134, 135, 335)] == [1, 1, 2, 2, 3, 5]
    assert segments_for("x" * 71, segment_size=70) == 2


def test_formats():
    assert format_reports([]) == "0"
    assert format_reports([DeliveryReport("6408676", "13682250950", 20),
                           ("6408649", "13711147169", 20)]) == \
        "2|6408676;13682250950;20|6408649;13711147169;20"
    msgs = [InboundSms("133", "13798361236", "我回复一条"), ("134", "13826588212", "我也回复一条")]
    assert format_inbound(msgs, ",") == "2|133,13798361236;我回复一条|134,13826588212;我也回复一条"
    assert format_inbound(msgs, ";") == "2|133;13798361236;我回复一条|134;13826588212;我也回复一条"
    assert format_inbound(msgs, "mixed") == "2|133;13798361236;我回复一条|134,13826588212;我也回复一条"
    assert format_inbound([], ";") == "0"
    with pytest.raises(ValueError):
        format_inbound(msgs, "|")


# --- send -------------------------------------------------------------------------------


def test_vendor_example_send(call, sandbox_gateway):
    answer = call(SEND, send_phone="13798361236", send_content="这条是测试短信")
    code, a, b, d = answer.split("|")
    assert (code, a, b) == ("0", "1", "0")
    assert d.isdigit()
    [sent] = sandbox_gateway.sent
    assert sent.text == "这条是测试短信" and sent.accepted == ("13798361236",)


def test_login_is_checked_before_anything_else(http, sandbox_gateway):
    # wrong password and no phone, no content: the login fails first
    assert http.get(f"{SEND}?us_name=demo&us_pwd=nope").text == "-7"
    assert http.get(f"{SEND}?us_name=nobody&us_pwd={sandbox_gateway.password}").text == "-7"
    assert http.get(SEND).text == "-7"
    sandbox_gateway.configure(locked=True)
    assert http.get(f"{SEND}?{gbk_query(us_name='demo', us_pwd=sandbox_gateway.password)}").text == "-10"


def test_send_answers_in_documented_order(call, sandbox_gateway):
    long = "字" * 336
    assert call(SEND, send_content="hi") == "-1"
    assert call(SEND, send_phone=",,", send_content="hi") == "-1"
    assert call(SEND, send_phone="13800138000") == "-2"
    assert call(SEND, send_phone="13800138000", send_content="") == "-2"
    too_many = ",".join(f"138{i:08d}" for i in range(101))
    assert call(SEND, send_phone=too_many, send_content=long) == "-4"
    assert call(SEND, send_phone="13800138000", send_content=long) == "-8"
    assert call(SEND, send_phone="13800138000", send_content="发票", send_time="2026") == "-2"
    assert call(SEND, send_phone="13800138000", send_content="发票", send_time="20261399000000") == "-2"
    assert call(SEND, send_phone="13800138000", send_content="代开发票") == "-3|发票"
    sandbox_gateway.set_balance(1)
    assert call(SEND, send_phone="13800138000,13800138001", send_content="hi") == "-9"
    assert sandbox_gateway.sent == [] and sandbox_gateway.balance == 1


def test_accepted_rejected_and_duplicates_counted(call, sandbox_gateway):
    phones = "13800138000,13800138000,075580808080,12345,1380013800,+8613800138000"
    answer = call(SEND, send_phone=phones, send_content="x" * 71)
    code, a, b, d = answer.split("|")
    assert (code, a, b) == ("0", "3", "3")
    assert len(d.split(",")) == 3  # one SMSID per accepted number
    [sent] = sandbox_gateway.sent
    assert sent.accepted == ("13800138000", "13800138000", "075580808080")
    assert sent.rejected == ("12345", "1380013800", "+8613800138000")
    assert sent.segments == 2 and sent.charged == 6
    assert sandbox_gateway.balance == 10_000 - 6


def test_exactly_100_numbers_and_335_characters_pass(call):
    hundred = ",".join(f"138{i:08d}" for i in range(100))
    assert call(SEND, send_phone=hundred, send_content="字" * 335).startswith("0|100|0|")


def test_batch_id_style(call, sandbox_gateway):
    sandbox_gateway.configure(id_style="batch")
    answer = call(SEND, send_phone="13800138000,13800138001", send_content="hi")
    batch = answer.split("|")[3]
    assert "," not in batch
    reports = call(REPORTS)
    assert reports == f"2|{batch};13800138000;10|{batch};13800138001;10"


def test_reports_come_after_the_delay_and_the_scheduled_time():
    now = [1_000_000.0]
    gw = SandboxGateway(report_delay=5.0, clock=lambda: now[0])
    params = {"us_name": "demo", "us_pwd": "sandbox-password", "send_phone": "13800138000",
              "send_content": "hi"}
    record, fault, decoded = gw.begin(SEND, gbk_query(**params).encode())
    assert fault is None
    gw.process(record, decoded)
    assert gw.queued_reports(due_only=True) == []
    now[0] += 5.0
    assert len(gw.queued_reports(due_only=True)) == 1
    # scheduled an hour after "now", written in CST
    at = datetime.fromtimestamp(now[0] + 3600, timezone(timedelta(hours=8)))
    params["send_time"] = at.strftime("%Y%m%d%H%M%S")
    record, _, decoded = gw.begin(SEND, gbk_query(**params).encode())
    assert gw.process(record, decoded).startswith("0|1|0|")
    now[0] += 3600
    assert len(gw.queued_reports(due_only=True)) == 1
    now[0] += 5
    assert len(gw.queued_reports(due_only=True)) == 2


def test_failed_numbers_pending_first_and_per_segment(call, sandbox_gateway):
    sandbox_gateway.configure(fail_numbers=["13800138001"], pending_first=True,
                              report_per_segment=True)
    answer = call(SEND, send_phone="13800138000,13800138001", send_content="x" * 140)
    id0, id1 = answer.split("|")[3].split(",")
    body = call(REPORTS)
    records = body.split("|")
    assert records[0] == "8"
    assert sorted(records[1:]) == sorted(
        [f"{id0};13800138000;-1", f"{id1};13800138001;-1"]
        + [f"{id0};13800138000;10"] * 3 + [f"{id1};13800138001;20"] * 3)


# --- reads --------------------------------------------------------------------------------


def test_reads_check_the_account(http, sandbox_gateway):
    for path in (REPORTS, INBOUND, BALANCE):
        assert http.get(f"{path}?us_name=nobody&us_pwd=x").text == "-1"
        assert http.get(f"{path}?us_name=demo&us_pwd=x").text == "-7"


def test_empty_reads_answer_zero(call):
    assert call(REPORTS) == "0"
    assert call(INBOUND) == "0"
    assert call(BALANCE) == "10000"


def test_report_pages_are_100_and_destructive(call, sandbox_gateway):
    for i in range(150):
        sandbox_gateway.add_report(str(i), "13800138000", 10)
    first = call(REPORTS)
    assert first.startswith("100|0;13800138000;10|1;")
    assert call(REPORTS).startswith("50|100;")
    assert call(REPORTS) == "0"


def test_inbound_pages_are_50_with_increasing_ids(call, sandbox_gateway):
    ids = [sandbox_gateway.add_inbound("13900139000", f"m{i}") for i in range(60)]
    assert [int(i) for i in ids] == sorted(int(i) for i in ids)
    assert len(set(ids)) == 60
    assert call(INBOUND).startswith(f"50|{ids[0]};13900139000;m0|")
    assert call(INBOUND).startswith(f"10|{ids[50]};")
    assert call(INBOUND) == "0"


def test_answers_are_gbk(http, sandbox_gateway):
    sandbox_gateway.add_inbound("13900139000", "我回复一条")
    pw = sandbox_gateway.password
    response = http.get(f"{INBOUND}?us_name=demo&us_pwd={quote(pw)}")
    assert "我回复一条".encode("gbk") in response.content
    assert "charset=gbk" in response.headers["content-type"]


def test_unknown_paths_and_methods(http):
    assert http.get("/sendSMS_txt.asp").status_code == 404  # the sandbox is case-sensitive
    assert http.post(SEND).status_code == 405


# --- faults -------------------------------------------------------------------------------


def test_busy_codes_per_endpoint(call, sandbox_gateway):
    sandbox_gateway.add_fault("busy", count=4)
    assert call(SEND, send_phone="13800138000", send_content="hi") == "-99"
    assert call(REPORTS) == "-3"
    assert call(INBOUND) == "-3"
    assert call(BALANCE) == "-3"
    assert call(BALANCE) == "10000"
    assert sandbox_gateway.sent == []


def test_fault_for_one_endpoint_only(call, sandbox_gateway):
    sandbox_gateway.add_fault("busy", count=2, endpoint="/get_report_txt.asp")
    assert call(BALANCE) == "10000"
    assert call(REPORTS) == "-3"
    assert call(REPORTS) == "-3"
    assert call(REPORTS) == "0"
    assert sandbox_gateway.faults == []


def test_garbage_and_http500(http, call, sandbox_gateway):
    sandbox_gateway.add_fault("garbage", variant="html")
    assert call(BALANCE).startswith("<html>")
    sandbox_gateway.add_fault("garbage", variant="empty")
    assert call(BALANCE) == ""
    sandbox_gateway.add_fault("garbage", variant="truncated")
    assert call(SEND, send_phone="13800138000", send_content="hi") == "0|2"
    assert sandbox_gateway.sent == []  # process=False: not sent
    sandbox_gateway.add_fault("http500")
    assert http.get(f"{BALANCE}?us_name=demo").status_code == 500


def test_drop_and_stall_are_counted(http, sandbox_gateway):
    sandbox_gateway.add_fault("drop", endpoint="balance")
    with pytest.raises(httpx.RemoteProtocolError):
        http.get(f"{BALANCE}?us_name=demo")
    sandbox_gateway.add_fault("stall", endpoint="balance")
    with pytest.raises(httpx.ReadTimeout):
        http.get(f"{BALANCE}?us_name=demo", timeout=0.3)
    assert sandbox_gateway.request_count("balance") == 2
    assert [r.fault for r in sandbox_gateway.requests] == ["drop", "stall"]


def test_processed_fault_loses_a_destructive_page(call, sandbox_gateway, http):
    sandbox_gateway.add_report("1", "13800138000", 10)
    sandbox_gateway.add_fault("drop", endpoint="reports", process=True)
    with pytest.raises(httpx.RemoteProtocolError):
        http.get(f"{REPORTS}?us_name=demo")
    # the login failed there (no password) -- now with the account: consumed and gone
    sandbox_gateway.add_fault("drop", endpoint="reports", process=True)
    with pytest.raises(httpx.RemoteProtocolError):
        call(REPORTS)
    assert call(REPORTS) == "0"


def test_slow_answers_after_the_delay(call, sandbox_gateway):
    sandbox_gateway.add_fault("slow", endpoint="balance", delay=0.2)
    assert call(BALANCE) == "10000"
    [record] = sandbox_gateway.requests
    assert record.fault == "slow" and record.duration < 0.2  # handling time excludes the wait


def test_bad_fault_settings_are_refused(sandbox_gateway):
    with pytest.raises(ValueError):
        sandbox_gateway.add_fault("explode")
    with pytest.raises(ValueError):
        sandbox_gateway.add_fault("busy", endpoint="nowhere")
    with pytest.raises(ValueError):
        sandbox_gateway.add_fault("garbage", variant="odd")
    with pytest.raises(ValueError):
        sandbox_gateway.configure(colour="blue")


# --- the request log keeps the password out --------------------------------------------


def test_request_log_masks_the_password(call, sandbox_gateway, http):
    call(BALANCE)
    [record] = sandbox_gateway.requests
    secret = sandbox_gateway.password
    assert record.params["us_pwd"] == "***"
    assert secret.encode() in record.raw_query  # kept in memory for wire checks
    assert secret not in repr(record)
    assert secret not in http.get("/_sandbox/requests").text
    assert secret not in str(sandbox_gateway.state())


# --- control surface ----------------------------------------------------------------------


def test_control_surface(http, call, sandbox_gateway):
    r = http.post("/_sandbox/inbound", json={"phone": "13900139000", "text": "单条"})
    assert r.status_code == 200 and len(r.json()["msg_ids"]) == 1
    r = http.post("/_sandbox/inbound", json={"messages": [
        {"phone": "13900139001", "text": "a"}, {"phone": "13900139002", "text": "b"}]})
    assert len(r.json()["msg_ids"]) == 2
    r = http.post("/_sandbox/reports", json={"reports": [
        {"sms_id": "77", "phone": "13800138000", "status": 20}]})
    assert r.json() == {"queued": 1}
    state = http.get("/_sandbox/state").json()
    assert state["queued_inbound"] == 3 and state["queued_reports"] == 1
    assert call(REPORTS) == "1|77;13800138000;20"

    r = http.post("/_sandbox/faults", json={"mode": "busy", "count": 1, "endpoint": "balance"})
    assert r.json()["mode"] == "busy"
    assert http.get("/_sandbox/faults").json()["faults"][0]["endpoint"] == "balance"
    assert call(BALANCE) == "-3"

    assert http.post("/_sandbox/balance", json={"balance": 3}).json() == {"balance": 3}
    assert call(BALANCE) == "3"
    call(SEND, send_phone="13800138000", send_content="hi")
    [sent] = http.get("/_sandbox/sent").json()["sent"]
    assert sent["accepted"] == ["13800138000"] and sent["text"] == "hi"

    state = http.get("/_sandbox/state").json()
    assert state["requests"] == {"send": 1, "reports": 1, "inbound": 0, "balance": 2}
    assert state["balance"] == 2

    r = http.post("/_sandbox/config", json={"id_style": "batch", "report_delay": 9})
    assert r.json()["id_style"] == "batch"
    assert http.post("/_sandbox/reset").json()["balance"] == 10_000
    assert sandbox_gateway.id_style == "per-number" and sandbox_gateway.sent == []


def test_control_surface_refuses_bad_input(http):
    assert http.post("/_sandbox/faults", json={"mode": "nope"}).status_code == 400
    assert http.post("/_sandbox/inbound", json={"text": "no phone"}).status_code == 400
    assert http.post("/_sandbox/config", json={"id_style": "odd"}).status_code == 400
    assert http.post("/_sandbox/balance", content=b"not json").status_code == 400
    assert http.get("/_sandbox/nothing").status_code == 404


@pytest.mark.parametrize(("setting", "expected"), [
    ({"forbidden_words": "spam"}, "list of non-empty strings"),  # would forbid each letter
    ({"fail_numbers": "13800138000"}, "list of non-empty strings"),
    ({"locked": "false"}, "true or false"),  # a non-empty string would lock the account
    ({"balance": "abc"}, "whole number"),
    ({"balance": True}, "whole number"),
    ({"report_delay": "5"}, "seconds"),
    ({"segment_size": 0}, "from 1 to 70"),
])
def test_config_with_a_value_of_the_wrong_type_is_refused_and_changes_nothing(http, sandbox_gateway,
                                                                              setting, expected):
    r = http.post("/_sandbox/config", json={"id_style": "batch", **setting})
    assert r.status_code == 400 and expected in r.json()["error"]
    assert sandbox_gateway.id_style == "per-number"  # all or nothing
    assert sandbox_gateway.locked is False and sandbox_gateway.balance == 10_000


# --- servers --------------------------------------------------------------------------------


def test_stop_lets_a_stalled_request_go():
    server = SandboxServer().start()
    server.gateway.add_fault("stall")
    errors: list[Exception] = []

    def waiting() -> None:
        try:
            httpx.get(f"{server.url}{BALANCE}", timeout=30)
        except httpx.HTTPError as exc:
            errors.append(exc)

    thread = threading.Thread(target=waiting)
    thread.start()
    while server.gateway.request_count() == 0:
        time.sleep(0.01)
    server.stop()
    thread.join(10)
    assert not thread.is_alive() and not server.running
    assert len(errors) == 1


async def test_async_context_manager():
    async with SandboxServer(SandboxGateway(balance=7)) as server:
        async with httpx.AsyncClient() as http:
            r = await http.get(f"{server.url}{BALANCE}?us_name=demo&us_pwd=sandbox-password")
        assert r.text == "7"
    assert not server.running
    await asyncio.sleep(0)


def test_run_sandbox_in_the_foreground_prints_how_to_use_it():
    code = ("from sms_core.sandbox import run_sandbox; "
            "run_sandbox(port=0, balance=42)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        url = first.split()[4]
        assert url.startswith("http://127.0.0.1:") and not url.endswith(":0")
        lines = [proc.stdout.readline() for _ in range(4)]
        assert f"  SMSBOT_GATEWAY_URL={url}\n" in lines
        assert "  SMSBOT_GATEWAY_USERNAME=demo\n" in lines
        assert "  SMSBOT_GATEWAY_PASSWORD=sandbox-password\n" in lines
        for _ in range(50):
            try:
                r = httpx.get(f"{url}{BALANCE}?us_name=demo&us_pwd=sandbox-password")
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        assert r.text == "42"
    finally:
        proc.terminate()
        proc.wait(10)
    assert proc.returncode is not None
