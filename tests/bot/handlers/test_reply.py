"""Flow 4, replies: text in a phone's topic (or a reply to its SMS) goes back to the phone by SMS."""

from __future__ import annotations

from harness import INBOX_CHAT, MEMBER, inbox_messages, live_topics

PHONE = "13900001111"


async def _topic(h, phone: str = PHONE, text: str = "hello team") -> int:
    """An SMS from `phone` arrives; returns its topic's thread id."""
    h.gateway.add_inbound(phone, text)
    await h.until(lambda: any(text in m["text"] for m in inbox_messages(h)))
    return next(t["message_thread_id"] for t in live_topics(h) if t["name"].endswith(phone))


async def test_text_in_a_topic_goes_to_its_phone_and_the_status_appears_there(harness):
    thread = await _topic(harness)
    status = await harness.ask("On our way", chat=INBOX_CHAT, thread_id=thread)
    [sent] = harness.gateway.sent
    assert sent.accepted == (PHONE,) and sent.text == "On our way"
    assert status["message_thread_id"] == thread and "Sent to 1 number" in status["text"]
    [record] = await harness.services.store.sends.history(limit=1)
    assert record.origin == "reply" and record.user_id == MEMBER


async def test_the_reply_shows_its_delivery(harness):
    harness.gateway.configure(report_delay=0.1)
    thread = await _topic(harness)
    status = await harness.ask("delivered?", chat=INBOX_CHAT, thread_id=thread)
    await harness.until(lambda: any(
        m["message_id"] == status["message_id"] and "all reports in" in m["text"]
        for m in inbox_messages(harness, thread_id=thread)))


async def test_a_command_in_a_topic_is_still_a_command(harness):
    thread = await _topic(harness)
    answer = await harness.ask("/id", chat=INBOX_CHAT, thread_id=thread)
    assert "Chat id" in answer["text"] and answer["message_thread_id"] == thread
    answer = await harness.ask("/sms 13900002222 from a topic", chat=INBOX_CHAT, thread_id=thread)
    assert "Sent to 1 number" in answer["text"]
    assert [s.accepted for s in harness.gateway.sent] == [("13900002222",)]  # not to the topic's phone


async def test_a_sticker_gets_only_text(harness):
    thread = await _topic(harness)
    before = len(harness.bot_messages(INBOX_CHAT))
    harness.api.push_sticker(INBOX_CHAT, MEMBER, thread_id=thread)
    answer = await harness.next_reply(INBOX_CHAT, after=before)
    assert "Only text can be sent by SMS" in answer["text"] and answer["message_thread_id"] == thread
    harness.api.push_photo(INBOX_CHAT, MEMBER, caption="a caption is not a reply", thread_id=thread)
    answer = await harness.next_reply(INBOX_CHAT, after=before + 1)
    assert "Only text can be sent by SMS" in answer["text"]
    assert harness.gateway.sent == []


async def test_a_reply_that_cannot_be_sent_says_why(harness):
    thread = await _topic(harness)
    answer = await harness.ask("ok 😀", chat=INBOX_CHAT, thread_id=thread)
    assert answer["text"].startswith("Could not send this reply: '😀' cannot be sent")
    answer = await harness.ask("x" * 400, chat=INBOX_CHAT, thread_id=thread)
    assert "The text has 400 characters; at most 335" in answer["text"]
    assert harness.gateway.sent == []


async def test_a_reply_to_an_unknown_sender_says_why(harness):
    thread = await _topic(harness, phone="10086")
    answer = await harness.ask("thanks", chat=INBOX_CHAT, thread_id=thread)
    assert answer["text"].startswith("Could not send this reply: 10086 is not a valid number")
    assert harness.gateway.sent == []


async def test_talk_outside_a_phones_topic_is_left_alone(harness):
    await _topic(harness)
    mine = harness.api.add_topic(INBOX_CHAT, "Team chatter", user_id=MEMBER)
    harness.say("coffee?", chat=INBOX_CHAT, thread_id=mine["message_thread_id"])
    harness.say("in General", chat=INBOX_CHAT)
    await harness.updates_handled()
    assert harness.gateway.sent == []
    assert len(harness.bot_messages(INBOX_CHAT)) == 1  # only the forwarded SMS


async def test_without_topics_a_reply_to_a_forwarded_sms_goes_to_its_phone(harness):
    harness.api.set_forum(INBOX_CHAT, False)
    harness.gateway.add_inbound(PHONE, "any news?")
    harness.gateway.add_inbound("13900002222", "and me?")
    forwarded = await harness.until(lambda: len(m := inbox_messages(harness)) == 2 and m)
    status = await harness.ask("yes, tomorrow", chat=INBOX_CHAT,
                               reply_to_message_id=forwarded[0]["message_id"])
    assert "Sent to 1 number" in status["text"]
    harness.say("not a reply", chat=INBOX_CHAT)
    await harness.updates_handled()
    assert [(s.accepted, s.text) for s in harness.gateway.sent] == [((PHONE,), "yes, tomorrow")]


async def test_an_update_handed_out_twice_texts_once(harness):
    thread = await _topic(harness)
    pushed = harness.say("only once", chat=INBOX_CHAT, thread_id=thread)
    await harness.until(lambda: harness.gateway.sent)
    # Telegram redelivers an update when the bot died before confirming it
    message = {k: v for k, v in pushed.items() if k not in ("raw_text", "parse_mode")}
    harness.api.push_update("message", message)
    await harness.updates_handled()
    assert len(harness.gateway.sent) == 1


async def test_an_edited_message_is_not_sent_again(harness):
    thread = await _topic(harness)
    pushed = harness.say("first version", chat=INBOX_CHAT, thread_id=thread)
    await harness.until(lambda: harness.gateway.sent)
    edited = {k: v for k, v in pushed.items() if k not in ("raw_text", "parse_mode")}
    edited.update(text="second version", edit_date=edited["date"] + 5)
    harness.api.push_update("edited_message", edited)
    await harness.updates_handled()
    assert [s.text for s in harness.gateway.sent] == ["first version"]


async def test_a_reply_status_lost_to_a_5xx_is_posted_in_the_topic_later(harness):
    thread = await _topic(harness)
    harness.api.fail_next("sendMessage", 502)
    harness.say("On our way", chat=INBOX_CHAT, thread_id=thread)
    status = await harness.until(lambda: next(
        (m for m in inbox_messages(harness, thread_id=thread) if m["text"].startswith("Sent to 1")), None))
    assert [s.text for s in harness.gateway.sent] == ["On our way"]

    async def linked():
        record = (await harness.services.store.sends.history(limit=1))[0]
        return record if record.status_message_id else None

    record = await harness.eventually(linked)
    assert (record.status_message_id, record.status_thread_id) == (status["message_id"], thread)


async def test_service_messages_in_a_phones_topic_get_no_answer(harness):
    """Renaming, pinning, closing a topic makes service messages there: nobody wrote anything."""
    thread = await _topic(harness)
    [forwarded] = inbox_messages(harness)
    base = harness.say("first answer", chat=INBOX_CHAT, thread_id=thread)
    await harness.until(lambda: harness.gateway.sent)
    await harness.until(lambda: len(harness.bot_messages(INBOX_CHAT)) == 2)  # the SMS and the status
    plain = {k: v for k, v in base.items() if k not in ("raw_text", "parse_mode", "text", "entities")}
    pinned = {k: v for k, v in forwarded.items() if k not in ("raw_text", "parse_mode")}
    for i, service in enumerate([{"forum_topic_edited": {"name": "Alice (customer)"}},
                                 {"pinned_message": pinned}]):
        harness.api.push_update("message", {**plain, "message_id": base["message_id"] + 100 + i, **service})
    harness.api.close_topic(INBOX_CHAT, thread, user_id=MEMBER)  # its service message is an update too
    await harness.updates_handled()
    assert len(harness.bot_messages(INBOX_CHAT)) == 2
    assert len(harness.gateway.sent) == 1


async def test_sms_in_reply_to_a_forwarded_sms_texts_the_sms_without_time_or_header(harness):
    thread = await _topic(harness, text="disk full on db-1")
    [forwarded] = inbox_messages(harness)
    assert forwarded["text"] != "disk full on db-1"  # shown with its time
    reply = await harness.ask("/sms 13800138000", chat=INBOX_CHAT, thread_id=thread,
                              reply_to_message_id=forwarded["message_id"])
    assert reply["text"].startswith("Sent to 1 number")
    harness.api.set_forum(INBOX_CHAT, False)  # the inbox stops being a forum: SMS come with a header
    harness.gateway.add_inbound("13900002222", "call me back")
    header = await harness.until(lambda: next(
        (m for m in inbox_messages(harness) if "call me back" in m["text"]), None))
    assert header["text"].startswith("📩 13900002222")
    await harness.ask("/sms 13800138001", chat=INBOX_CHAT, reply_to_message_id=header["message_id"])
    assert [(s.accepted, s.text) for s in harness.gateway.sent] == [
        (("13800138000",), "disk full on db-1"), (("13800138001",), "call me back")]


async def test_an_edited_reply_says_the_edit_was_not_sent(harness):
    thread = await _topic(harness)
    pushed = harness.say("see you at 9", chat=INBOX_CHAT, thread_id=thread)
    await harness.until(lambda: len(inbox_messages(harness, thread_id=thread)) == 2)  # the SMS, the status
    edited = {k: v for k, v in pushed.items() if k not in ("raw_text", "parse_mode", "entities")}
    harness.api.push_update("edited_message", {**edited, "text": "see you at 10", "edit_date": edited["date"] + 5})
    answer = await harness.next_reply(INBOX_CHAT, after=2)
    assert "This edit was not sent" in answer["text"] and answer["message_thread_id"] == thread
    assert [s.text for s in harness.gateway.sent] == ["see you at 9"]
