"""Flow 3, forward: inbound SMS into topics (or with headers), delivery counts onto status messages.

The real Application against the Bot API double (Telegram's 20 messages a minute
per group, 429, 5xx, deleted topics, non-forum chats) and the sandbox gateway.
"""

from __future__ import annotations

import pytest
from harness import INBOX_CHAT, TEAM_CHAT, inbox_messages, live_topics

from bot import metrics
from bot.i18n import Translator
from bot.inbox.packing import pack, plain_length, sender_label
from bot.runtime import Parts
from bot.store import InboundRecord
from bot.telegram.budget import Rate

PHONE = "13900001111"


async def counted(counter, n: int) -> bool:
    """For harness.eventually: a store count has reached `n`."""
    return await counter() == n


async def shown(store, send_id: int):
    """For harness.eventually: the send, once Telegram shows its latest status."""
    record = await store.sends.get(send_id)
    return record if record.status_shown == record.status_version else None


def _lines(messages: list[dict]) -> list[str]:
    return [line for m in messages for line in m["text"].split("\n")]


def _sms_texts(messages: list[dict]) -> list[str]:
    """The SMS texts of forum-topic messages: each line is 'HH:MM:SS text'."""
    return [line.split(" ", 1)[1] if " " in line else "" for line in _lines(messages)]


def _retries(reason: str) -> float:
    return metrics.TELEGRAM_RETRIES.labels(reason)._value.get()


# --- topics ---------------------------------------------------------------------------


async def test_five_sms_from_a_new_phone_in_one_poll_make_one_topic(prepared_harness):
    h = prepared_harness()
    for i in range(5):
        h.gateway.add_inbound(PHONE, f"message {i}")
    await h.start()
    await h.until(lambda: len(_lines(inbox_messages(h))) == 5)
    await h.forward_runs(2)  # nothing more to post
    [topic] = live_topics(h)
    assert topic["name"] == PHONE
    [message] = inbox_messages(h)  # joined: one Telegram message for the five
    assert message["message_thread_id"] == topic["message_thread_id"]
    assert _sms_texts([message]) == [f"message {i}" for i in range(5)]
    assert len(h.api.calls("createForumTopic")) == 1
    assert await h.services.store.topics.phone_for_topic(INBOX_CHAT, topic["message_thread_id"]) == PHONE
    assert await h.services.store.inbound.pending_count() == 0


async def test_later_sms_go_into_the_same_topic(harness):
    harness.gateway.add_inbound(PHONE, "first")
    await harness.until(lambda: inbox_messages(harness))
    harness.gateway.add_inbound(PHONE, "second")
    await harness.until(lambda: len(inbox_messages(harness)) == 2)
    assert len(live_topics(harness)) == 1
    assert {m["message_thread_id"] for m in inbox_messages(harness)} == {live_topics(harness)[0]["message_thread_id"]}


async def test_topic_is_named_after_the_contact(harness):
    await harness.services.store.contacts.upsert("alice", PHONE)
    harness.gateway.add_inbound(PHONE, "hi")
    await harness.until(lambda: inbox_messages(harness))
    assert [t["name"] for t in live_topics(harness)] == [f"alice {PHONE}"]


async def test_deleted_topic_is_replaced_and_the_message_still_arrives(harness):
    harness.gateway.add_inbound(PHONE, "before")
    await harness.until(lambda: inbox_messages(harness))
    [old] = live_topics(harness)
    harness.api.delete_topic(INBOX_CHAT, old["message_thread_id"])
    harness.gateway.add_inbound(PHONE, "after")
    await harness.until(lambda: live_topics(harness) and inbox_messages(harness))
    [new] = live_topics(harness)
    assert new["message_thread_id"] != old["message_thread_id"]
    [message] = inbox_messages(harness)
    assert message["message_thread_id"] == new["message_thread_id"]
    assert _sms_texts([message]) == ["after"]
    store = harness.services.store
    assert await store.topics.phone_for_topic(INBOX_CHAT, new["message_thread_id"]) == PHONE
    assert await store.topics.phone_for_topic(INBOX_CHAT, old["message_thread_id"]) is None
    failed = [c for c in harness.api.calls("sendMessage") if c.status == 400]
    assert failed and "message thread not found" in failed[0].description


async def _close_first_topic(h) -> int:
    """An SMS makes the phone's topic; then someone closes it, and the bot may no longer
    manage topics (so it cannot post into a closed topic, nor make new topics)."""
    h.gateway.add_inbound(PHONE, "A first")
    await h.until(lambda: inbox_messages(h))
    thread = live_topics(h)[0]["message_thread_id"]
    h.api.set_bot_rights(INBOX_CHAT, "administrator", can_manage_topics=False)
    h.api.close_topic(INBOX_CHAT, thread)
    return thread


async def test_a_closed_topic_is_reopened_when_its_phone_writes_and_other_phones_go_on(harness):
    thread = await _close_first_topic(harness)
    harness.gateway.add_inbound(PHONE, "A second")
    harness.gateway.add_inbound("13900002222", "B, another phone")
    await harness.until(lambda: any("B, another phone" in m["text"] for m in inbox_messages(harness)))
    assert _sms_texts(inbox_messages(harness, thread_id=thread)) == ["A first", "A second"]
    assert not next(t for t in live_topics(harness) if t["message_thread_id"] == thread)["closed"]
    assert [c.status for c in harness.api.calls("reopenForumTopic")] == [200]


async def test_a_closed_topic_that_cannot_be_reopened_gets_the_sms_in_the_chat(harness):
    thread = await _close_first_topic(harness)
    harness.api.fail_next("reopenForumTopic", 400, "Bad Request: not enough rights to manage topics")
    harness.gateway.add_inbound(PHONE, "A second")
    harness.gateway.add_inbound("13900002222", "B, another phone")
    await harness.until(lambda: len(inbox_messages(harness)) == 3)
    store = harness.services.store
    await harness.eventually(lambda: counted(store.inbound.pending_count, 0))
    general = [m for m in inbox_messages(harness) if "A second" in m["text"]]
    assert [m.get("message_thread_id") for m in general] == [None]
    assert general[0]["text"].startswith(f"📩 {PHONE} · ")
    # a reply to it answers the phone, and the phone's topic is still its topic
    assert await store.topics.phone_for_message(INBOX_CHAT, general[0]["message_id"]) == PHONE
    assert await store.topics.phone_for_topic(INBOX_CHAT, thread) == PHONE


async def test_a_phone_telegram_refuses_waits_and_the_other_phones_go_on(make_harness):
    clock = FakeClock()
    harness = await make_harness(parts=Parts(forward_rate=Rate(1000, 60.0), forward_clock=clock))
    harness.api.fail_next("sendMessage", 400, "Bad Request: MESSAGE_REFUSED_FOR_SOME_REASON", count=2)
    harness.gateway.add_inbound(PHONE, "refused twice")
    store = harness.services.store
    await harness.eventually(lambda: counted(store.inbound.count, 1))
    harness.gateway.add_inbound("13900002222", "B, another phone")
    await harness.until(lambda: any("B, another phone" in m["text"] for m in inbox_messages(harness)))
    # B is marked forwarded just after Telegram has it; the refused SMS stays owed: kept, not lost
    await harness.eventually(lambda: counted(store.inbound.pending_count, 1))
    assert await store.inbound.count() == 2
    clock.now += 61
    await harness.until(lambda: any("refused twice" in m["text"] for m in inbox_messages(harness)))
    await harness.eventually(lambda: counted(store.inbound.pending_count, 0))


# --- an inbox without topics -------------------------------------------------------------


async def test_non_forum_inbox_gets_headers_and_links(harness):
    harness.api.set_forum(INBOX_CHAT, False)
    await harness.services.store.contacts.upsert("bob", "13900002222")
    harness.gateway.add_inbound(PHONE, "one")
    harness.gateway.add_inbound("13900002222", "two")
    await harness.until(lambda: len(inbox_messages(harness)) == 2)
    first, second = inbox_messages(harness)
    assert first["text"].startswith(f"📩 {PHONE} · ") and first["text"].endswith(" one")
    assert second["text"].startswith("📩 bob 13900002222 · ")
    assert "<b>bob 13900002222</b>" in second["raw_text"]
    assert "message_thread_id" not in first and harness.api.calls("createForumTopic") == []
    store = harness.services.store
    # the link is recorded once Telegram's answer is back: a moment after the double has it
    assert await harness.eventually(lambda: store.topics.phone_for_message(INBOX_CHAT, first["message_id"])) == PHONE
    assert await harness.eventually(
        lambda: store.topics.phone_for_message(INBOX_CHAT, second["message_id"])) == "13900002222"


async def test_a_chat_that_stops_being_a_forum_gets_headers(harness):
    harness.gateway.add_inbound(PHONE, "in a topic")
    await harness.until(lambda: inbox_messages(harness))
    harness.api.set_forum(INBOX_CHAT, False)  # the bot still believes it is a forum (cached)
    harness.gateway.add_inbound("13900003333", "no topics now")
    await harness.until(lambda: len(inbox_messages(harness)) == 2)
    last = inbox_messages(harness)[-1]
    assert last["text"].startswith("📩 13900003333 · ") and last["text"].endswith("no topics now")
    refused = [c for c in harness.api.calls("createForumTopic") if c.status == 400]
    assert refused and "the chat is not a forum" in refused[0].description


# --- what an SMS may hold ---------------------------------------------------------------------


async def test_any_text_arrives_escaped_and_whole(prepared_harness):
    long_text = ("长短信" * 110) + "12345"  # 335 characters, the most one SMS can hold
    texts = {
        "13900000001": "<b>not bold</b> & <script>alert(1)</script> &amp; 1<2",
        "13900000002": long_text,
        "13900000003": "a|b;c | 12;13800138000 ;; |",
        "13900000004": "",
        "10086": "来自运营商的消息",
        "13900000005": "line one\nline two",
    }
    h = prepared_harness()
    for phone, text in texts.items():
        h.gateway.add_inbound(phone, text)
    await h.start()
    await h.until(lambda: len(inbox_messages(h)) == len(texts), timeout=15)
    topics = {t["name"]: t["message_thread_id"] for t in live_topics(h)}
    assert set(topics) == set(texts)
    for phone, text in texts.items():
        [message] = inbox_messages(h, thread_id=topics[phone])
        shown = message["text"].split(" ", 1)[1]
        assert shown == (text or "(empty SMS)"), phone
    assert all(c.status == 200 for c in h.api.calls("sendMessage"))


# --- Telegram failing -------------------------------------------------------------------------


async def test_5xx_and_429_delay_but_lose_nothing_and_keep_each_phones_order(make_harness):
    phones = ["13900000011", "13900000012", "13900000013"]
    harness = await make_harness(parts=Parts(forward_rate=Rate(1000, 60.0)))
    harness.api.set_rate_limits(group=None)  # failures are the point here, not the budget
    before = _retries("network")
    harness.api.fail_next("sendMessage", 502, count=2)
    harness.api.fail_next("createForumTopic", 500)
    for round_ in range(4):
        for phone in phones:
            harness.gateway.add_inbound(phone, f"{phone} #{round_}")
        if round_ == 1:
            harness.api.fail_next("sendMessage", 429, retry_after=1)
        if round_ == 2:
            harness.api.fail_next("sendMessage", 500)
        await harness.poll_runs(2)  # each round read by a poll of its own
    store = harness.services.store

    async def drained() -> bool:
        return await store.inbound.pending_count() == 0

    await harness.eventually(drained, timeout=20)
    assert await drained()
    topics = {t["name"]: t["message_thread_id"] for t in live_topics(harness)}
    assert set(topics) == set(phones)
    for phone in phones:
        assert _sms_texts(inbox_messages(harness, thread_id=topics[phone])) == [
            f"{phone} #{i}" for i in range(4)]
    assert harness.api.count_429() >= 1
    assert _retries("network") > before


async def test_inbound_waits_while_telegram_is_down(harness):
    harness.api.stop()
    harness.gateway.add_inbound(PHONE, "while down")
    store = harness.services.store
    await harness.eventually(lambda: counted(store.inbound.count, 1))
    calls = harness.runtime.forwarder.call  # each pass that fails to reach Telegram counts
    failures = calls.failures
    await harness.until(lambda: calls.failures >= failures + 2)  # tried twice since it was stored
    assert await store.inbound.pending_count() == 1
    harness.api.start()
    await harness.until(lambda: inbox_messages(harness), timeout=20)
    assert _sms_texts(inbox_messages(harness)) == ["while down"]


# --- the budget: priority and joining ----------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_a_backlog_waits_for_the_budget_and_is_joined(make_harness):
    clock = FakeClock()
    harness = await make_harness(parts=Parts(forward_rate=Rate(2, 60.0), forward_clock=clock))
    harness.gateway.add_inbound(PHONE, "first")
    await harness.until(lambda: inbox_messages(harness))  # a topic and a message: the budget is spent
    for i in range(30):
        harness.gateway.add_inbound(PHONE, f"later {i}")
        if i % 10 == 0:
            await harness.poll_runs(2)  # several polls
    store = harness.services.store
    await harness.eventually(lambda: counted(store.inbound.count, 31))
    await harness.forward_runs(2)
    assert len(inbox_messages(harness)) == 1
    clock.now += 62
    await harness.until(lambda: len(inbox_messages(harness)) == 2)
    assert _sms_texts(inbox_messages(harness)[1:]) == [f"later {i}" for i in range(30)]
    assert len(harness.api.calls("sendMessage")) == 2


async def test_a_new_phone_short_of_two_slots_waits_for_two_without_spinning(make_harness):
    clock = FakeClock()
    harness = await make_harness(parts=Parts(forward_rate=Rate(3, 60.0), forward_clock=clock))
    forwarder = harness.runtime.forwarder
    harness.gateway.add_inbound(PHONE, "first")
    await harness.until(lambda: inbox_messages(harness))  # a topic and a message: 1 slot left
    first_runs = forwarder.runs
    harness.gateway.add_inbound("13900005555", "a new phone")  # needs a topic and a message
    await harness.eventually(lambda: counted(harness.services.store.inbound.count, 2))
    await harness.forward_runs(2)
    assert len(live_topics(harness)) == 1  # one slot is not enough for a topic and its message
    # woken for the second slot, not for the free one at once and again (a loop, every 1 ms):
    # the forward job's ticks keep pace with the poll job's (both 0.2 s here), a loop would not
    await harness.poll_runs(3)
    runs = forwarder.runs - first_runs
    assert runs <= 8, runs
    clock.now += 62
    await harness.until(lambda: len(inbox_messages(harness)) == 2)
    assert len(live_topics(harness)) == 2


async def test_inbound_goes_before_status_edits(make_harness):
    clock = FakeClock()
    harness = await make_harness(parts=Parts(forward_rate=Rate(3, 60.0), forward_clock=clock))
    forwarder = harness.runtime.forwarder
    harness.gateway.configure(auto_reports=False)
    reply = await harness.ask(f"/sms {PHONE} status lives in the inbox", chat=INBOX_CHAT)
    forwarder.budgets.note(INBOX_CHAT, 3)  # the inbox has just used its budget
    sent = harness.gateway.sent[0]
    harness.gateway.add_report(sent.ids[0], PHONE, 10)
    harness.gateway.add_inbound("13900004444", "an SMS")
    store = harness.services.store
    await harness.eventually(lambda: counted(store.inbound.count, 1))
    await harness.eventually(lambda: counted(store.sends.report_count, 1))
    await harness.forward_runs(2)
    assert harness.api.calls("editMessageText") == [] and harness.api.calls("createForumTopic") == []
    clock.now += 62  # three slots: a topic and its message first, then the edit
    await harness.until(lambda: harness.api.calls("editMessageText"))
    methods = [c.method for c in harness.api.calls() if c.method in
               ("createForumTopic", "sendMessage", "editMessageText") and c.params.get("chat_id") == INBOX_CHAT]
    assert methods[-3:] == ["createForumTopic", "sendMessage", "editMessageText"]
    edited = harness.api.sent_messages(INBOX_CHAT)
    assert any(m["message_id"] == reply["message_id"] and "delivered 1/1" in m["text"] for m in edited)


# --- delivery counts -----------------------------------------------------------------------


async def _status(h, message_id: int, chat: int = TEAM_CHAT) -> str:
    return next(m["text"] for m in h.bot_messages(chat) if m["message_id"] == message_id)


@pytest.mark.parametrize("id_style", ["per-number", "batch"])
async def test_delivery_counts_are_edited_onto_the_status(harness, id_style):
    harness.gateway.configure(id_style=id_style, fail_numbers=["13800000003"], report_delay=0.1)
    reply = await harness.ask("/sms 13800000001,13800000002,13800000003 counts please")
    assert "delivered 0/3" in reply["text"]
    await harness.until(lambda: "all reports in" in next(
        m["text"] for m in harness.bot_messages() if m["message_id"] == reply["message_id"]))
    text = await _status(harness, reply["message_id"])
    assert "delivered 2/3 · failed 1 · all reports in" in text


async def test_pending_reports_are_not_final_and_each_number_counts_once(harness):
    harness.gateway.configure(auto_reports=False)
    reply = await harness.ask("/sms 13800000001,13800000002 twice reported")
    ids = dict(zip(harness.gateway.sent[0].accepted, harness.gateway.sent[0].ids, strict=True))
    store = harness.services.store
    [record] = await store.sends.history(limit=1)
    for phone, sms_id in ids.items():
        harness.gateway.add_report(sms_id, phone, -1)
    await harness.eventually(lambda: counted(store.sends.report_count, 2))
    record = await store.sends.get(record.id)
    assert (record.delivered, record.failed, record.waiting) == (0, 0, 2)  # -1 is not final
    for phone, sms_id in ids.items():  # a long SMS: one report per segment, and a late -1
        harness.gateway.add_report(sms_id, phone, 10)
        harness.gateway.add_report(sms_id, phone, 10)
        harness.gateway.add_report(sms_id, phone, -1)
    await harness.until(lambda: "all reports in" in next(
        m["text"] for m in harness.bot_messages() if m["message_id"] == reply["message_id"]))
    record = await store.sends.get(record.id)
    assert (record.delivered, record.failed, record.waiting) == (2, 0, 0)
    assert "delivered 2/2 · all reports in" in await _status(harness, reply["message_id"])
    assert await store.sends.report_count() == 8


async def test_unmatched_reports_are_kept_and_counted(harness):
    harness.gateway.add_report("999999", "13800000009", 10)
    harness.gateway.add_report("999998", "13800000008", 20)
    store = harness.services.store
    await harness.eventually(lambda: counted(store.sends.report_count, 2))
    assert await store.sends.unmatched_report_count() == 2


async def test_a_failed_edit_is_retried_and_not_modified_counts_as_shown(harness):
    harness.gateway.configure(report_delay=0.1)
    harness.api.fail_next("editMessageText", 502)
    reply = await harness.ask("/sms 13800000001 edit me")
    await harness.until(lambda: "all reports in" in next(
        m["text"] for m in harness.bot_messages() if m["message_id"] == reply["message_id"]))
    store = harness.services.store
    [record] = await store.sends.history(limit=1)
    record = await harness.eventually(lambda: shown(store, record.id))
    assert record.status_shown == record.status_version
    # shown again with nothing new: Telegram says "not modified", which is success
    await store.sends.set_status_message(record.id, TEAM_CHAT, reply["message_id"], None, shown_version=0)
    record = await harness.eventually(lambda: shown(store, record.id))
    assert record.status_shown == record.status_version
    assert any("message is not modified" in (c.description or "") for c in harness.api.calls("editMessageText"))


# --- inbox chat not set ---------------------------------------------------------------------


async def test_without_an_inbox_sms_are_kept_and_forwarded_once_it_is_set(prepared_harness, caplog):
    first = prepared_harness(inbox_chat_id=None)
    await first.start()
    assert "SMSBOT_INBOX_CHAT_ID is not set" in caplog.text
    first.gateway.add_inbound(PHONE, "kept for later")
    store = first.services.store
    await first.eventually(lambda: counted(store.inbound.count, 1))
    await first.forward_runs(2)
    assert await store.inbound.pending_count() == 1
    assert first.api.sent_messages(INBOX_CHAT) == []
    assert "kept in the store" in caplog.text
    await first.stop()
    second = prepared_harness()  # the same store file, now with an inbox
    await second.start()
    await second.until(lambda: inbox_messages(second))
    assert _sms_texts(inbox_messages(second)) == ["kept for later"]


# --- pure parts ------------------------------------------------------------------------------


def _record(i: int, text: str) -> InboundRecord:
    return InboundRecord(i, 1_700_000_000.0 + i, str(i), PHONE, text, None)


def test_pack_joins_a_backlog_within_the_limit_and_in_order():
    tr = Translator("en")
    records = [_record(i, f"{i:03d} " + "x" * 96) for i in range(200)]
    packed = pack(records, tr)
    assert len(packed) > 1
    assert all(plain_length(p.html) <= 3800 for p in packed)
    assert [i for p in packed for i in p.done] == list(range(200))
    assert len(packed) <= 200 * 110 // 3800 + 2


def test_pack_with_a_header_and_an_oversized_text():
    tr = Translator("en")
    records = [_record(1, "<&>" * 3000), _record(2, "")]
    packed = pack(records, tr, header_for="13900001111", limit=1000)
    assert all(p.html.startswith("📩 <b>13900001111</b>") for p in packed)
    assert all(plain_length(p.html) <= 1000 for p in packed)
    assert [i for p in packed for i in p.done] == [1, 2]  # SMS 1 is done with its last piece
    assert "&lt;&amp;&gt;" in packed[0].html and "<&>" not in packed[0].html
    assert "(empty SMS)" in packed[-1].html


def test_sender_label():
    assert sender_label(PHONE, None) == PHONE
    assert sender_label(PHONE, "alice") == f"alice {PHONE}"
    assert len(sender_label(PHONE, "a" * 200)) == 128


async def test_a_slow_topic_creation_still_makes_one_topic(harness):
    """python-telegram-bot gives up on an answer after 5 s by default; a slow createForumTopic
    must not make the next run create a second topic."""
    harness.api.delay_next("createForumTopic", 6.0)
    harness.gateway.add_inbound(PHONE, "hello")
    await harness.until(lambda: inbox_messages(harness), timeout=30)
    await harness.forward_runs(2)
    assert len(live_topics(harness)) == 1 and len(harness.api.calls("createForumTopic")) == 1
