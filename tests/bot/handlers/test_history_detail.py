"""Which numbers failed: /history #ID and the Details button under a status message list each
number of a send with its contact, state, report time and reason; /history NUMBER gives that
number's own state in each of its sends. The real bot, the sandbox gateway failing numbers by
delivery report, and the Bot API double pressing the buttons, all over loopback HTTP."""

from __future__ import annotations

import re
from typing import Any

from harness import ADMIN, INBOX_CHAT, MEMBER, STRANGER, TEAM_CHAT, inbox_messages, live_topics

NUMBERS = [f"1380000000{i}" for i in range(10)]
FAILING = ("13800000003", "13800000007")
ALICE, BOB = "13800000003", "13800000000"  # alice's number fails, bob's is delivered
REPORT_FAILED = "the carrier reported it undelivered (report status 20)"
_NUMBER_RE = re.compile(r"\b1[3-9]\d{9}\b")


def _message(h: Any, message_id: int, chat: int = TEAM_CHAT) -> dict[str, Any]:
    return next(m for m in h.bot_messages(chat) if m["message_id"] == message_id)


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


async def _press(h: Any, message: dict[str, Any], label: str, *, chat: int = TEAM_CHAT,
                 user: int = MEMBER) -> str:
    [button] = [b for b in _buttons(message) if b["text"] == label]
    query = h.api.push_callback(chat, user, message["message_id"], button["callback_data"])
    await h.until(lambda: h.api.callback_answer(query) is not None)
    return query


async def _ten_with_two_failing(h: Any, shown: str = "delivered 8/10 · failed 2") -> dict[str, Any]:
    """Contacts alice and bob, a send to ten numbers of which two fail by report; returns the
    status message once it shows every report (`shown`, in the sender's language)."""
    await h.ask(f"/contact add alice {ALICE}", user=ADMIN)
    await h.ask(f"/contact add bob {BOB}", user=ADMIN)
    h.gateway.configure(fail_numbers=list(FAILING))
    status = await h.ask(f"/sms {','.join(NUMBERS)} Maintenance tonight")
    await h.until(lambda: shown in _message(h, status["message_id"])["text"])
    return _message(h, status["message_id"])


def _section(text: str, heading: str) -> str:
    """The lines under `heading` up to the next blank line."""
    start = text.index(heading)
    end = text.find("\n\n", start)
    return text[start:] if end < 0 else text[start:end]


# --- one send, number by number --------------------------------------------------------------


async def test_history_id_lists_every_number_with_contact_state_report_time_and_reason(harness):
    await _ten_with_two_failing(harness)
    reply = await harness.ask("/history #1")
    text = reply["text"]
    assert text.startswith("Send #1 ·") and "10 numbers" in text and "delivered 8/10 · failed 2" in text
    assert "Maintenance tonight" in text
    assert sorted(_NUMBER_RE.findall(text)) == NUMBERS  # every number, once
    failed = _section(text, "✗ Failed (2)")
    assert REPORT_FAILED in failed
    assert sorted(_NUMBER_RE.findall(failed)) == sorted(FAILING)
    assert re.search(rf"{ALICE} alice · \d\d-\d\d \d\d:\d\d", failed)  # the name and the report's time
    delivered = _section(text, "✓ Delivered (8)")
    assert sorted(_NUMBER_RE.findall(delivered)) == sorted(set(NUMBERS) - set(FAILING))
    assert re.search(rf"{BOB} bob · \d\d-\d\d \d\d:\d\d", delivered)
    assert text.index("Failed (2)") < text.index("Delivered (8)")  # which numbers failed comes first
    assert "Page" not in text and not reply.get("reply_markup")  # one page, no buttons


async def test_the_details_button_shows_the_numbers_and_the_status_goes_on_updating(harness):
    harness.gateway.configure(auto_reports=False, fail_numbers=list(FAILING))
    await harness.ask(f"/contact add alice {ALICE}", user=ADMIN)
    status = await harness.ask(f"/sms {','.join(NUMBERS)} Maintenance tonight")
    assert [b["text"] for b in _buttons(status)] == ["Details"]

    before = len(harness.bot_messages())
    await _press(harness, status, "Details")
    early = await harness.next_reply(after=before)
    assert "⏳ No report yet (10)" in early["text"] and "Failed" not in early["text"]
    assert early["message_id"] != status["message_id"]  # a new message: the status stays as it was

    [sent] = harness.gateway.sent
    for sms_id, phone in zip(sent.ids, sent.accepted, strict=True):
        harness.gateway.add_report(sms_id, phone, 20 if phone in FAILING else 10)
    await harness.until(lambda: "delivered 8/10 · failed 2" in _message(harness, status["message_id"])["text"])
    status = _message(harness, status["message_id"])
    assert [b["text"] for b in _buttons(status)] == ["Details"]  # every edit keeps the button

    detail = await harness.ask("/history #1")
    before = len(harness.bot_messages())
    await _press(harness, status, "Details")
    shown = await harness.next_reply(after=before)
    assert shown["text"] == detail["text"]
    assert REPORT_FAILED in shown["text"] and f"{ALICE} alice" in shown["text"]


async def test_a_send_of_120_numbers_is_shown_in_pages_of_40(make_harness):
    h = await make_harness(confirm_threshold=1000)
    numbers = [f"139{i:08d}" for i in range(120)]
    failing = [numbers[5], numbers[119]]
    h.gateway.configure(fail_numbers=failing)
    await h.ask(f"/sms {','.join(numbers)} Maintenance tonight", timeout=20)

    async def all_in():
        record = await h.services.store.sends.get(1)
        return record.delivered == 118 and record.failed == 2

    await h.eventually(all_in, timeout=20)
    first = await h.ask("/history #1")
    assert "Page 1 of 3" in first["text"] and [b["text"] for b in _buttons(first)] == ["Next ›"]
    pages = [_NUMBER_RE.findall(first["text"])]
    assert len(pages[0]) == 40 and pages[0][:2] == failing  # the failed ones first

    message = first
    for page, labels in ((2, ["‹ Prev", "Next ›"]), (3, ["‹ Prev"])):
        await _press(h, message, "Next ›")
        await h.until(lambda p=page: f"Page {p} of 3" in _message(h, first["message_id"])["text"])
        message = _message(h, first["message_id"])  # the same message, edited
        assert [b["text"] for b in _buttons(message)] == labels
        pages.append(_NUMBER_RE.findall(message["text"]))
    assert [len(p) for p in pages] == [40, 40, 40]
    assert sorted(n for p in pages for n in p) == numbers
    assert all(len(m["text"]) <= 4096 for m in h.bot_messages())

    await _press(h, message, "‹ Prev")
    await h.until(lambda: "Page 2 of 3" in _message(h, first["message_id"])["text"])
    second = await h.ask("/history #1 2")
    assert _NUMBER_RE.findall(second["text"]) == pages[1]
    beyond = await h.ask("/history #1 4")
    assert "Send #1 has 3 pages of numbers: ask for a page from 1 to 3." in beyond["text"]


async def test_numbers_not_sent_and_of_unknown_outcome_show_the_gateways_reason(make_harness):
    h = await make_harness(confirm_threshold=1000)
    numbers = [f"139{i:08d}" for i in range(150)]
    h.gateway.set_balance(100)  # the second request of 50 is refused for the balance
    await h.ask(f"/sms {','.join(numbers)} hi", timeout=20)
    text = (await h.ask("/history #1 1")).get("text")
    refused = _section(text, "✗ Not sent (50): the account's balance is too low: top it up")
    assert _NUMBER_RE.findall(refused)[:2] == numbers[100:102]

    h.gateway.set_balance(10_000)
    h.gateway.add_fault("stall", endpoint="send")
    await h.ask("/sms 13800000001 hello", timeout=20)
    text = (await h.ask("/history #2")).get("text")
    assert "⚠ Outcome unknown (1): the gateway gave no answer in time\n13800000001" in text


async def test_a_status_in_a_topic_shows_its_details_in_that_topic(harness):
    phone = "13900001111"
    harness.gateway.add_inbound(phone, "hello team")
    await harness.until(lambda: any("hello team" in m["text"] for m in inbox_messages(harness)))
    thread = next(t["message_thread_id"] for t in live_topics(harness) if t["name"].endswith(phone))
    status = await harness.ask("On our way", chat=INBOX_CHAT, thread_id=thread)
    before = len(harness.bot_messages(INBOX_CHAT))
    await _press(harness, status, "Details", chat=INBOX_CHAT)
    shown = await harness.next_reply(INBOX_CHAT, after=before)
    assert shown["text"].startswith("Send #1 ·") and phone in shown["text"]
    assert shown["message_thread_id"] == thread


# --- one number, send by send ---------------------------------------------------------------


async def test_history_of_a_number_gives_its_own_state_in_each_send(harness):
    await _ten_with_two_failing(harness)
    reply = await harness.ask(f"/history {ALICE}")
    text = reply["text"]
    assert text.startswith(f"Sends to alice ({ALICE})")
    assert "#1 " in text and "this number: ✗ failed at" in text and REPORT_FAILED in text
    assert "8/10" not in text  # not the send's overall line

    harness.gateway.configure(fail_numbers=[])
    await harness.ask("/sms alice again")
    await harness.until(lambda: "all reports in" in harness.bot_messages()[-1]["text"])
    text = (await harness.ask("/history alice"))["text"]
    lines = [line for line in text.splitlines() if line.startswith("#")]
    assert lines[0].startswith("#2 ") and "this number: ✓ delivered at" in lines[0]
    assert lines[1].startswith("#1 ") and "this number: ✗ failed at" in lines[1]

    text = (await harness.ask(f"/history {NUMBERS[1]}"))["text"]
    assert "this number: ✓ delivered at" in text and "alice" not in text


async def test_the_list_of_sends_names_contacts(harness):
    await _ten_with_two_failing(harness)
    text = (await harness.ask("/history"))["text"]
    assert f"bob ({BOB}), {NUMBERS[1]}, {NUMBERS[2]} +7" in text
    assert "/history #ID: each number of a send." in text


async def test_a_bare_small_number_is_not_taken_for_a_phone_or_a_contact(harness):
    await harness.ask("/sms 13800000001 hello")
    text = (await harness.ask("/history 3"))["text"]
    assert "3 is not a phone number" in text and "For send #3 write /history #3." in text
    assert "I don't know the contact" not in text
    assert "For send #12 write /history #12." in (await harness.ask("/history 12"))["text"]
    assert "There is no send #99" in (await harness.ask("/history #99"))["text"]
    assert "Write /history" in (await harness.ask("/history #1 two"))["text"]
    assert "Send #1 ·" in (await harness.ask("/history # 1"))["text"]


# --- language and access --------------------------------------------------------------------


async def test_a_chinese_user_reads_the_numbers_in_chinese(harness):
    harness.api.add_user(MEMBER, "Max", username="max", language_code="zh-hans")
    status = await _ten_with_two_failing(harness, "已送达 8/10 · 失败 2")
    assert [b["text"] for b in _buttons(status)] == ["详情"]
    text = (await harness.ask("/history #1"))["text"]
    assert text.startswith("发送 #1 ·") and "10 个号码" in text
    assert "✗ 发送失败（2）：运营商回执为未送达（回执状态 20）" in text and "✓ 已送达（8）" in text
    before = len(harness.bot_messages())
    await _press(harness, status, "详情")
    assert (await harness.next_reply(after=before))["text"] == text
    text = (await harness.ask(f"/history {ALICE}"))["text"]
    assert f"发给 alice ({ALICE}) 的记录" in text and "该号码：✗ 发送失败（" in text
    assert "要查看发送 #3，请输入 /history #3。" in (await harness.ask("/history 3"))["text"]


async def test_the_details_button_does_nothing_outside_the_allowed_chats(harness):
    await _ten_with_two_failing(harness)
    harness.api.add_chat(STRANGER, type="private")
    refusal = await harness.ask("/history #1", chat=STRANGER, user=STRANGER)
    assert refusal["text"] == "This is a private bot."
    query = harness.api.push_callback(STRANGER, STRANGER, refusal["message_id"], "sd:1", check_button=False)
    await harness.until(lambda: harness.api.callback_answer(query) is not None)
    assert not harness.api.callback_answer(query).get("text")
    await harness.ask("/id", chat=STRANGER, user=STRANGER)  # answered after the press was handled
    assert [m["text"] for m in harness.bot_messages(STRANGER)][:1] == ["This is a private bot."]
    assert not any("Send #1" in m["text"] for m in harness.bot_messages(STRANGER))
