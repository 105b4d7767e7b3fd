"""/sms through the real bot: the Bot API double records the answer, the sandbox the SMS."""

from __future__ import annotations

import time

import pytest
from harness import ADMIN, MEMBER, TEAM_CHAT

from bot.runtime import Parts


async def test_sms_is_sent_and_answered_with_a_status(harness):
    reply = await harness.ask("/sms 13800138000 Server is back")
    assert "Sent to 1 number" in reply["text"] and "delivered 0/1" in reply["text"]
    [sent] = harness.gateway.sent
    assert sent.accepted == ("13800138000",) and sent.text == "Server is back"
    async def linked():  # the link is stored right after Telegram accepted the answer
        record = (await harness.services.store.sends.history())[0]
        return record if record.status_message_id else None

    record = await harness.eventually(linked)
    assert record.state == "accepted" and record.status_message_id == reply["message_id"]


async def test_numbers_in_any_form_are_normalised_and_deduplicated(harness):
    await harness.ask("/sms +86-138-0013-8000,13800138000 138-0013-8001 hi")
    [sent] = harness.gateway.sent
    assert sent.accepted == ("13800138000", "13800138001")


async def test_a_number_written_with_spaces_is_one_recipient(harness):
    await harness.ask("/sms +86 138 0013 8000 0755 8080 8080 Server is back")
    [sent] = harness.gateway.sent
    assert sent.accepted == ("13800138000", "075580808080") and sent.text == "Server is back"


async def test_multiline_text_is_kept(harness):
    await harness.ask("/sms 13800138000 line one\nline two")
    assert harness.gateway.sent[0].text == "line one\nline two"


async def test_reply_form_texts_the_replied_message(harness):
    original = harness.say("Deploy finished, all green")
    await harness.ask("/sms 13800138000", reply_to_message_id=original["message_id"])
    assert harness.gateway.sent[0].text == "Deploy finished, all green"


async def test_contacts_and_groups_are_resolved(harness):
    await harness.ask("/contact add alice 13800138000", user=ADMIN)
    await harness.ask("/contact add bob 13800138001", user=ADMIN)
    await harness.ask("/group add oncall alice bob 13900139000", user=ADMIN)
    reply = await harness.ask("/sms @oncall,alice paged")
    assert "Sent to 3 numbers" in reply["text"] or "Sent to 3 number" in reply["text"]
    assert harness.gateway.sent[0].accepted == ("13800138000", "13800138001", "13900139000")


async def test_each_bad_input_says_what_to_change_and_sends_nothing(harness):
    cases = {
        "/sms 13800 hello": "13800 is not a valid number: a mobile number has 11 digits",
        "/sms 13800138000 hi 😀": "'😀' cannot be sent",
        "/sms 13800138000 " + "x" * 400: "The text has 400 characters; at most 335",
        "/sms carol hello": "I don't know the contact 'carol'",
        "/sms @nobody hello": "There is no group '@nobody'",
        "/sms 13800138000": "There is no text to send",
        "/sms": "Write it as /sms TARGETS TEXT",
        "/sms at 2001-01-01 10:00 13800138000 late": "in the past",
    }
    for command, expected in cases.items():
        reply = await harness.ask(command)
        assert expected in reply["text"], (command, reply["text"])
    assert harness.gateway.sent == []
    assert harness.gateway.request_count("send") == 0


async def test_forbidden_word_is_reported_with_the_word(harness):
    reply = await harness.ask("/sms 13800138000 代开发票")
    assert "发票" in reply["text"] or "代开" in reply["text"]
    assert "refused" in reply["text"]


async def test_a_scheduled_time_more_than_a_year_ahead_is_refused(harness):
    reply = await harness.ask("/sms at 2099-01-02 03:04 13800138000 later")
    assert "more than a year ahead" in reply["text"] and "in the past" not in reply["text"]
    assert await harness.services.store.scheduled.waiting() == []
    assert harness.gateway.request_count("send") == 0


async def test_send_above_threshold_asks_and_only_the_asker_can_confirm(make_harness):
    h = await make_harness(confirm_threshold=1)
    question = await h.ask("/sms 13800138000,13800138001 hello")
    assert "Send to 2 numbers?" in question["text"] and "cost 2" in question["text"]
    buttons = question["reply_markup"]["inline_keyboard"][0]
    confirm = buttons[0]["callback_data"]
    assert h.gateway.sent == []

    other = h.api.push_callback(TEAM_CHAT, ADMIN, question["message_id"], confirm)
    await h.until(lambda: h.api.callback_answer(other))
    assert "Only the person who asked" in h.api.callback_answer(other)["text"]
    await h.updates_handled()
    assert h.gateway.sent == []

    mine = h.api.push_callback(TEAM_CHAT, MEMBER, question["message_id"], confirm)
    await h.until(lambda: h.gateway.sent)
    await h.until(lambda: "Sent to 2" in h.bot_messages()[-1]["text"])
    assert h.api.callback_answer(mine) is not None
    assert len(h.gateway.sent) == 1
    # the question became the status message: no confirm button is left to press twice
    assert _button_labels(h.bot_messages()[-1]) == ["Details"]


async def test_cancel_sends_nothing(make_harness):
    h = await make_harness(confirm_threshold=0)
    question = await h.ask("/sms 13800138000 hello")
    cancel = question["reply_markup"]["inline_keyboard"][0][1]["callback_data"]
    h.api.push_callback(TEAM_CHAT, MEMBER, question["message_id"], cancel)
    await h.until(lambda: "Cancelled" in h.bot_messages()[-1]["text"])
    assert h.gateway.sent == []


async def test_gateway_stall_gives_unknown_and_exactly_one_request(harness):
    harness.gateway.add_fault("stall", endpoint="send")
    reply = await harness.ask("/sms 13800138000 hello", timeout=20)
    assert "Outcome unknown" in reply["text"] and "check" in reply["text"]
    await harness.updates_handled()
    await harness.forward_runs(2)  # nor later, by a job
    assert harness.gateway.request_count("send") == 1
    record = (await harness.services.store.sends.history())[0]
    assert record.state == "unknown"


async def test_gateway_busy_is_retried_and_sent_once(harness):
    harness.gateway.add_fault("busy", endpoint="send")
    reply = await harness.ask("/sms 13800138000 hello", timeout=20)
    assert "Sent to 1" in reply["text"]
    assert len(harness.gateway.sent) == 1


async def test_a_429_from_telegram_is_waited_out_not_lost(harness):
    harness.api.fail_next("sendMessage", 429, retry_after=1)
    reply = await harness.ask("/balance", timeout=20)
    assert "Balance" in reply["text"]
    statuses = [c.status for c in harness.api.calls("sendMessage")]
    assert statuses[:2] == [429, 200]


async def test_balance_and_history(harness):
    reply = await harness.ask("/balance")
    assert "Balance: 10000" in reply["text"]
    await harness.ask("/sms 13800138000 first")
    reply = await harness.ask("/history 13800138000")
    assert "first" in reply["text"] and "this number: " in reply["text"]
    reply = await harness.ask("/history 13900139000")
    assert "No sends to 13900139000" in reply["text"]


async def test_low_balance_warns_admins_once(harness):
    from bot.jobs.balance import check_balance

    harness.gateway.set_balance(5)
    harness.api.add_chat(ADMIN, type="private")
    context = type("C", (), {"application": harness.app, "bot": harness.app.bot})()
    await check_balance(context)
    await check_balance(context)
    warnings = [m for m in harness.bot_messages(ADMIN) if "balance is down to 5" in m["text"]]
    assert len(warnings) == 1


async def test_concurrent_commands_each_get_an_answer(harness):
    for i in range(5):
        harness.say(f"/sms 1380013800{i} n{i}")
    await harness.until(lambda: len(harness.bot_messages()) >= 5)
    await harness.updates_handled()
    assert len(harness.gateway.sent) == 5


async def test_a_redelivered_update_never_texts_twice(harness):
    """Telegram hands an update out again when the bot died before confirming it."""
    message = harness.say("/sms 13800138000 once only")
    await harness.until(lambda: harness.gateway.sent)
    harness.api.push_update("message", message)  # the same message, as a new update
    await harness.updates_handled()
    assert len(harness.gateway.sent) == 1


class AheadClock:
    """The wall clock, `ahead` seconds later."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def __call__(self) -> float:
        return time.time() + self.ahead


async def test_an_unanswered_question_expires_and_says_so(make_harness):
    from bot.jobs.confirmations import expire_confirmations

    clock = AheadClock()
    h = await make_harness(confirm_threshold=0, parts=Parts(confirm_clock=clock))
    question = await h.ask("/sms 13800138000 hello")
    await h.updates_handled()  # the question's message id is kept once it was sent: expire edits it
    confirm = question["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    clock.ahead = 601.0  # ten minutes have passed
    context = type("C", (), {"application": h.app, "bot": h.app.bot})()
    await expire_confirmations(context)
    await h.until(lambda: "expired after 10 minutes" in h.bot_messages()[-1]["text"])
    assert not h.bot_messages()[-1].get("reply_markup")
    assert h.gateway.sent == []
    # a click that raced the job: refused, still nothing sent
    with pytest.raises(ValueError):  # the double: the button is gone with the edit
        h.api.push_callback(TEAM_CHAT, MEMBER, question["message_id"], confirm)


async def test_a_late_click_on_a_stale_question_is_refused(make_harness):
    clock = AheadClock()
    h = await make_harness(confirm_threshold=0, parts=Parts(confirm_clock=clock))
    question = await h.ask("/sms 13800138000 hello")
    confirm = question["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    clock.ahead = 601.0
    h.api.push_callback(TEAM_CHAT, MEMBER, question["message_id"], confirm)
    await h.until(lambda: "expired" in h.bot_messages()[-1]["text"])
    assert h.gateway.sent == []


# --- the status message is owed until Telegram accepted one -----------------------------------


def _statuses(h, chat: int = TEAM_CHAT, **kw) -> list[dict]:
    return [m for m in h.bot_messages(chat, **kw) if m["text"].startswith("Sent to")]


async def _linked(h):
    record = (await h.services.store.sends.history(limit=1))[0]
    return record if record.status_message_id else None


async def test_a_status_lost_to_a_telegram_5xx_is_posted_once_telegram_answers(harness):
    harness.gateway.configure(report_delay=0.1)
    harness.api.fail_next("sendMessage", 502)
    harness.say("/sms 13800138000 server is back")
    [status] = await harness.until(lambda: _statuses(harness))
    record = await harness.eventually(lambda: _linked(harness))
    assert record.status_message_id == status["message_id"]
    # it is a status like any other: the delivery counts are edited onto it
    await harness.until(lambda: "all reports in" in _statuses(harness)[0]["text"])
    await harness.updates_handled()
    await harness.forward_runs(2)
    assert len(_statuses(harness)) == 1 and len(harness.gateway.sent) == 1


async def test_a_slow_status_answer_is_not_posted_twice(harness):
    """The forward job runs every second; it leaves a status to the handler still answering."""
    harness.api.delay_next("sendMessage", 2.5)
    reply = await harness.ask("/sms 13800138000 slow answer")
    assert reply["text"].startswith("Sent to 1 number")
    await harness.eventually(lambda: _linked(harness))
    await harness.updates_handled()
    await harness.forward_runs(2)
    assert len(_statuses(harness)) == 1


async def test_a_confirmed_send_whose_edit_fails_gets_a_new_status_message(make_harness):
    h = await make_harness(confirm_threshold=0)
    question = await h.ask("/sms 13800138000 hello")
    confirm = question["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    h.api.fail_next("editMessageText", 502)
    h.api.push_callback(TEAM_CHAT, MEMBER, question["message_id"], confirm)
    [status] = await h.until(lambda: _statuses(h))
    assert status["message_id"] != question["message_id"]
    record = await h.eventually(lambda: _linked(h))
    assert record.status_message_id == status["message_id"] and len(h.gateway.sent) == 1


async def test_a_confirm_click_telegram_calls_too_old_still_sends_once(make_harness):
    """Answering the button can fail ("query is too old"): the send must not depend on it."""
    h = await make_harness(confirm_threshold=0)
    question = await h.ask("/sms 13800138000 hello")
    confirm = question["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    h.api.fail_next("answerCallbackQuery", 400,
                    "Bad Request: query is too old and response timeout expired or query ID is invalid")
    h.api.push_callback(TEAM_CHAT, MEMBER, question["message_id"], confirm)
    await h.until(lambda: h.gateway.sent)
    await h.until(lambda: h.bot_messages()[-1]["text"].startswith("Sent to 1 number"))
    assert _button_labels(h.bot_messages()[-1]) == ["Details"]
    assert len(h.gateway.sent) == 1


# --- where the targets end and the text begins ---------------------------------------------------


async def test_text_may_start_with_a_number_that_is_no_phone_number(harness):
    for text in ("502 errors on the api", "2026-12-01 maintenance", "110 called us"):
        reply = await harness.ask(f"/sms 13800138000 {text}")
        assert reply["text"].startswith("Sent to 1 number"), (text, reply["text"])
    assert [s.text for s in harness.gateway.sent] == [
        "502 errors on the api", "2026-12-01 maintenance", "110 called us"]


async def test_a_line_break_ends_the_targets(harness):
    reply = await harness.ask("/sms 13800138000\n1380013800 is the new number")
    assert reply["text"].startswith("Sent to 1 number")
    [sent] = harness.gateway.sent
    assert sent.accepted == ("13800138000",) and sent.text == "1380013800 is the new number"


async def test_a_mistyped_later_number_is_refused_and_says_how_to_send_it_as_text(harness):
    reply = await harness.ask("/sms 13800138000 1380013800 hi")
    assert "1380013800 is not a valid number: a mobile number has 11 digits" in reply["text"]
    assert "put the text on a new line after the targets" in reply["text"]
    assert harness.gateway.sent == []


async def test_a_word_with_commas_is_a_list_of_targets_and_an_unknown_name_in_it_is_refused(harness):
    await harness.ask("/contact add alice 13800138000", user=ADMIN)
    await harness.ask("/contact add bob 13800138001", user=ADMIN)
    for command in ("/sms alice bob,carol Deploy now", "/sms alice bob，carol Deploy now",
                    "/sms alice bob、carol Deploy now"):
        reply = await harness.ask(command)
        assert "I don't know the contact 'carol'" in reply["text"], (command, reply["text"])
    assert harness.gateway.sent == []
    # a sentence with a comma is still text
    reply = await harness.ask("/sms alice 服务器已恢复，请检查")
    assert reply["text"].startswith("Sent to 1 number")
    assert harness.gateway.sent[0].text == "服务器已恢复，请检查"


async def test_at_with_a_time_that_does_not_parse_says_how_to_write_it(harness):
    for command in ("/sms at 2026/12/01 09:00 13800138000 hi", "/sms at tomorrow 13800138000 hi",
                    "/sms at 2026-12-01 13800138000 hi"):
        reply = await harness.ask(command)
        assert "/sms at YYYY-MM-DD HH:MM TARGETS TEXT" in reply["text"], (command, reply["text"])
        assert "I don't know the contact" not in reply["text"]
    assert harness.gateway.sent == []


# --- edits -----------------------------------------------------------------------------------


def _edited(pushed: dict, text: str) -> dict:
    message = {k: v for k, v in pushed.items() if k not in ("raw_text", "parse_mode", "entities")}
    return {**message, "text": text, "edit_date": message["date"] + 5}


async def test_an_edited_command_is_not_acted_on_again(harness):
    pushed = harness.say("/sms 13800 hello")
    refusal = await harness.next_reply()
    assert "13800 is not a valid number" in refusal["text"]
    harness.api.push_update("edited_message", _edited(pushed, "/sms 13800138000 hello"))
    answer = await harness.next_reply(after=1)
    assert "nothing was sent for this edit" in answer["text"] and "as a new message" in answer["text"]
    command = harness.say("/balance")
    await harness.next_reply(after=2)
    harness.api.push_update("edited_message", _edited(command, "/balance "))
    await harness.updates_handled()
    assert len(harness.bot_messages()) == 3  # the refusal, the edit's answer, one balance
    assert harness.gateway.sent == []


# --- what the status says ------------------------------------------------------------------------


async def test_a_partly_sent_send_says_how_many_numbers_were_not_sent(make_harness):
    h = await make_harness(confirm_threshold=1000)
    h.gateway.set_balance(100)  # the first request of 100 numbers, not the second of 50
    numbers = ",".join(f"138{i:08d}" for i in range(150))
    reply = await h.ask(f"/sms {numbers} hello", timeout=20)
    assert reply["text"].startswith("Sent to 100 numbers")
    assert "✗ Not sent to 50 numbers: the account's balance is too low: top it up" in reply["text"]


# --- the confirm question and the balance ----------------------------------------------------------


async def test_the_confirm_question_shows_the_balance(make_harness):
    h = await make_harness(confirm_threshold=1)
    question = await h.ask("/sms 13800138000,13800138001 hello")
    assert "Send to 2 numbers?" in question["text"] and "Balance: 10000 messages." in question["text"]
    assert [b["text"] for b in question["reply_markup"]["inline_keyboard"][0]] == ["Confirm", "Cancel"]


async def test_a_send_costing_more_than_the_balance_is_refused_at_once_with_both(make_harness):
    h = await make_harness(confirm_threshold=1)
    h.gateway.set_balance(5)
    numbers = ",".join(f"1380013800{i}" for i in range(8))
    refusal = await h.ask(f"/sms {numbers} hello")
    assert refusal["text"] == ("✗ Not sent: this send costs 8 messages and the balance is 5. "
                               "Top up the gateway account, or send to fewer numbers or a shorter text.")
    assert not refusal.get("reply_markup")
    assert h.gateway.request_count("send") == 0 and await h.services.store.sends.history() == []
    h.api.add_user(MEMBER, "Max", username="max", language_code="zh-hans")
    refusal = await h.ask(f"/sms {numbers} hello")
    assert refusal["text"].startswith("✗ 未发送：本次需 8 条，余额仅 5 条。")


async def test_when_the_balance_cannot_be_read_the_question_says_so_and_still_asks(make_harness):
    h = await make_harness(confirm_threshold=1)
    h.gateway.add_fault("http500", count=10, endpoint="balance")
    question = await h.ask("/sms 13800138000,13800138001 hello", timeout=20)
    assert "Could not read the balance (" in question["text"]
    assert "if it is too low, the gateway will refuse the send" in question["text"]
    h.gateway.clear_faults()
    confirm = question["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    h.api.push_callback(TEAM_CHAT, MEMBER, question["message_id"], confirm)
    await h.until(lambda: h.gateway.sent)
    assert h.gateway.sent[0].accepted == ("13800138000", "13800138001")


async def test_a_scheduled_send_over_the_balance_is_asked_with_a_warning(make_harness):
    from datetime import datetime, timedelta

    from sms_core.schedule import CST

    h = await make_harness(confirm_threshold=1)
    h.gateway.set_balance(1)
    when = (datetime.now(CST) + timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    question = await h.ask(f"/sms at {when} 13800138000,13800138001 hello")
    assert (f"⚠ Balance: 1 message, less than this send costs: top it up before {when} (China time)"
            in question["text"])
    assert question["reply_markup"]["inline_keyboard"][0][0]["text"] == "Confirm"


def _button_labels(message):
    return [b["text"] for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]
