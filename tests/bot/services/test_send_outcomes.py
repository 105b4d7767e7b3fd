"""A send whose outcome is unknown says why, and numbers that certainly did not go out are
offered again: real /sms through the bot, the sandbox gateway failing on the wire."""

from __future__ import annotations

import re

import pytest
from harness import MEMBER, store_at_schema

from bot.i18n import Translator
from bot.services.status_text import render_status
from bot.store import SCHEMA_VERSION, Store

NUMBERS = [f"139{i:08d}" for i in range(250)]


async def _last_send(harness):
    return (await harness.services.store.sends.history())[0]


async def _recipient_reasons(harness, send_id: int) -> set[tuple[str, str | None]]:
    def read(conn):
        return {(r["state"], r["reason"]) for r in conn.execute(
            "SELECT state, reason FROM recipients WHERE send_id = ?", (send_id,))}

    return await harness.services.store.db.run(read)


# --- each fault named, in the status and in the store ----------------------------------------


@pytest.mark.parametrize(("fault", "options", "code", "english", "chinese"), [
    ("stall", {}, "timeout", "the gateway gave no answer in time", "网关未及时应答"),
    ("garbage", {"variant": "html"}, "unreadable", "the gateway answered something unreadable",
     "网关返回了无法识别的内容"),
    ("http500", {}, "http_status", "the gateway answered HTTP 500", "网关返回了 HTTP 500"),
    ("drop", {}, "connection_closed", "the connection closed before the gateway answered",
     "网关应答前连接已断开"),
])
async def test_an_unknown_outcome_names_its_fault(harness, fault, options, code, english, chinese):
    harness.gateway.add_fault(fault, endpoint="send", process=True, **options)
    reply = await harness.ask("/sms 13800138000 hello", timeout=20)
    assert f"Outcome unknown for 1 number: {english}." in reply["text"]
    assert "did not answer in time" not in reply["text"]  # what every fault used to say
    record = await _last_send(harness)
    assert record.state == "unknown"
    assert record.error_kind == code  # the reason code, not a class name
    assert record.error_arg == ("500" if fault == "http500" else None)
    assert await _recipient_reasons(harness, record.id) == {("unknown", code)}
    assert chinese in render_status(record, Translator("zh"))
    assert harness.gateway.request_count("send") == 1  # never sent again by itself


async def test_a_chinese_sender_reads_the_fault_in_chinese(harness):
    harness.api.add_user(MEMBER, "Max", username="max", language_code="zh-hans")
    harness.gateway.add_fault("http500", endpoint="send")
    reply = await harness.ask("/sms 13800138000 hello", timeout=20)
    assert "1 个号码的发送结果未知：网关返回了 HTTP 500" in reply["text"]


# --- numbers not sent are offered again -------------------------------------------------------


async def test_numbers_of_a_failed_chunk_are_listed_with_the_command_that_sends_them(make_harness):
    h = await make_harness(confirm_threshold=1000)
    # the second request of 100 numbers is refused for the balance (the first took 100 of 150)
    h.gateway.set_balance(150)
    text = "Maintenance tonight"
    reply = await h.ask(f"/sms {','.join(NUMBERS)}\n{text}", timeout=20)
    assert "Sent to 100 numbers" in reply["text"]
    assert "Not sent to 150 numbers: the account's balance is too low" in reply["text"]
    command = _resend_command(reply["text"])
    assert command == f"/sms {','.join(NUMBERS[100:])}\n{text}"

    h.gateway.set_balance(10_000)
    again = await h.ask(command, timeout=20)
    assert "Sent to 150 numbers" in again["text"] and "/sms" not in again["text"]
    sent = [number for s in h.gateway.sent for number in s.accepted]
    assert sorted(sent) == sorted(NUMBERS)  # each once


async def test_a_send_that_sent_nothing_offers_no_command_repeating_the_first_will_do(harness):
    harness.gateway.add_fault("busy", count=3, endpoint="send")  # every attempt: not accepted
    reply = await harness.ask("/sms 13800138000 hello", timeout=20)
    assert "Not sent: the gateway is busy" in reply["text"] and "/sms" not in reply["text"]


# --- migration 7 ----------------------------------------------------------------------------------


async def test_a_store_of_schema_6_keeps_its_unknown_sends_with_reason_codes(tmp_path):
    path = tmp_path / "old.sqlite3"
    store_at_schema(
        path, 6,
        "INSERT INTO sends(id, created_at, origin, text, segments, state, error, error_kind) VALUES "
        "(1, 1, 'command', 'a', 1, 'unknown', 'SendOutcomeUnknown: the gateway answered HTTP 502; the SMS "
        "may have been sent: check before sending again', 'SendOutcomeUnknown'), "
        "(2, 1, 'command', 'b', 1, 'unknown', 'interrupted: the bot stopped during the send', NULL), "
        "(3, 1, 'command', 'c', 1, 'pending', NULL, NULL)",
        "INSERT INTO recipients(send_id, phone, chunk, state) VALUES (1, '13800000001', 0, 'unknown'), "
        "(2, '13800000002', 0, 'unknown'), (3, '13800000003', 0, 'accepted'), (3, '13800000004', 1, 'pending'), "
        "(3, '13800000005', 2, 'pending')",
    )
    async with Store(path) as store:
        assert await store.schema_version() == SCHEMA_VERSION
        http, interrupted = await store.sends.get(1), await store.sends.get(2)
        assert (http.error_kind, http.error_arg) == ("http_status", "502")
        assert interrupted.error_kind == "interrupted"
        en = Translator("en")
        assert "Outcome unknown for 1 number: the gateway answered HTTP 502." in render_status(http, en)
        assert "Outcome unknown for 1 number: the bot stopped mid-send." in render_status(interrupted, en)
        # a send an older smsbot left pending: its first pending chunk may have been in flight,
        # the later ones never started (chunks go out in order)
        assert await store.sends.settle_interrupted() == [3]
        left = await store.sends.get(3)
        assert left.unknown == 1 and left.not_sent == ("13800000005",)


def _resend_command(text: str) -> str:
    """The command a status message offers, as a member would copy it."""
    found = re.search(r"/sms \S+\n.*", text, re.DOTALL)
    assert found is not None, text
    return found.group(0)
