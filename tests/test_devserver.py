"""The Bot API double, driven by python-telegram-bot itself over real HTTP on 127.0.0.1.

If PTB can talk to it (encode its requests, de_json its answers, map its errors to
the right exceptions), the bot's integration tests can trust it.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import html
import json
import threading
import warnings
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes
from telegram.warnings import PTBDeprecationWarning

from bot.devserver import (
    DEFAULT_TOKEN,
    BotApiServer,
    EntityParseError,
    FakeTelegram,
    parse_html,
)

GROUP = -1001234567890
FORUM = -1009876543210
ALICE = 4201
BOB = 4202


def _seconds(exc: RetryAfter) -> float:
    """RetryAfter.retry_after is an int (deprecated) or a timedelta, by PTB's settings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


@pytest.fixture
def tg() -> Iterator[BotApiServer]:
    with BotApiServer() as server:
        server.add_user(ALICE, "Alice", "alice")
        server.add_user(BOB, "Bob")
        server.add_chat(GROUP, "supergroup", "Team")
        server.add_chat(FORUM, "supergroup", "Inbox", is_forum=True)
        yield server


@pytest.fixture
async def bot(tg: BotApiServer) -> AsyncIterator[Bot]:
    async with Bot(tg.token, base_url=tg.base_url) as client:
        yield client


# ---------------------------------------------------------------- basics


async def test_get_me_answers_the_bot_user(tg: BotApiServer, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.username == "smsbot_test_bot"
    assert me.is_bot and me.id == 123456
    assert me.can_read_all_group_messages is False
    assert tg.base_url == f"{tg.url}/bot" and tg.url.startswith("http://127.0.0.1:")
    assert [c.method for c in tg.calls()][:2] == ["getMe", "getMe"]
    assert all(c.ok for c in tg.calls())


async def test_wrong_token_raises_invalid_token(tg: BotApiServer) -> None:
    stranger = Bot("999:not-the-token", base_url=tg.base_url)
    with pytest.raises(InvalidToken):
        await stranger.initialize()
    call = tg.calls()[-1]
    assert (call.method, call.status, call.description) == ("getMe", 401, "Unauthorized")


async def test_unknown_method_and_raw_http_shapes(tg: BotApiServer) -> None:
    async with httpx.AsyncClient(base_url=tg.url) as http:
        unknown = await http.post(f"/bot{tg.token}/sendPigeon", data={"chat_id": GROUP})
        assert unknown.status_code == 404
        assert unknown.json() == {
            "ok": False,
            "error_code": 404,
            "description": "Not Found: method not found",
        }
        bad = await http.get("/bot123:nope/getMe")
        assert bad.status_code == 401 and bad.json()["error_code"] == 401
        # JSON bodies and GET query strings are read too; method names are case-insensitive.
        as_json = await http.post(
            f"/bot{tg.token}/sendmessage",
            json={"chat_id": GROUP, "text": "json", "reply_markup": {"inline_keyboard": []}},
        )
        assert as_json.status_code == 200 and as_json.json()["result"]["text"] == "json"
        as_get = await http.get(f"/bot{tg.token}/getMe")
        assert as_get.json()["result"]["username"] == "smsbot_test_bot"
        multipart = await http.post(
            f"/bot{tg.token}/sendMessage",
            data={"chat_id": str(GROUP), "text": "multi"},
            files={"dummy": ("a.txt", b"x")},
        )
        assert multipart.status_code == 200 and multipart.json()["result"]["text"] == "multi"
    assert tg.calls("sendMessage")[0].method == "sendMessage"
    assert [m["text"] for m in tg.sent_messages(GROUP)] == ["json", "multi"]


# ---------------------------------------------------------------- sendMessage and HTML


async def test_sent_messages_keep_the_order_of_sending(tg: BotApiServer, bot: Bot) -> None:
    for chat, text in [(GROUP, "one"), (FORUM, "two"), (GROUP, "three")]:
        await bot.send_message(chat, text)
    assert [m["text"] for m in tg.sent_messages()] == ["one", "two", "three"]
    assert [m["text"] for m in tg.sent_messages(GROUP)] == ["one", "three"]
    assert tg.sent_messages(GROUP)[0]["message_id"] > 1


async def test_send_message_round_trip(tg: BotApiServer, bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])
    sent = await bot.send_message(
        GROUP,
        "<b>Sent</b> to 13800138000 &amp; co &#x1F600;",
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard,
        disable_notification=True,
    )
    assert sent.text == "Sent to 13800138000 & co \U0001f600"
    assert sent.entities[0].type == "bold" and sent.entities[0].length == 4
    assert sent.reply_markup == keyboard
    assert sent.chat.id == GROUP and sent.from_user.is_bot

    [stored] = tg.sent_messages(GROUP)
    assert stored["message_id"] == sent.message_id
    assert stored["text"] == sent.text
    assert stored["raw_text"] == "<b>Sent</b> to 13800138000 &amp; co &#x1F600;"
    assert stored["parse_mode"] == "HTML"
    assert stored["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "yes"
    call = tg.calls("sendMessage")[-1]
    assert call.params["chat_id"] == GROUP and call.params["disable_notification"] is True
    assert call.params["reply_markup"] == keyboard.to_dict()
    assert call.result["message_id"] == sent.message_id


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("1 < 2", 'unsupported start tag "" at byte offset 2'),
        ("<foo>x</foo>", 'unsupported start tag "foo" at byte offset 0'),
        ("<b>bold", 'can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", "unmatched end tag"),
        ("x</b>", "unexpected end tag"),
        ("AT&T", '"&"'),
        ("&nbsp;", '"&"'),
        ('<span class="x">s</span>', "tg-spoiler"),
        ("<b", "unclosed start tag"),
    ],
)
async def test_bad_html_is_refused_like_telegram(bot: Bot, text: str, fragment: str) -> None:
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(GROUP, text, parse_mode=ParseMode.HTML)
    message = str(caught.value).lower()
    assert "can't parse entities" in message
    assert fragment in message


async def test_text_checks(tg: BotApiServer, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(GROUP, "<b></b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(GROUP, "x" * 4097)
    # The limit applies after entity parsing: markup does not count.
    ok = await bot.send_message(GROUP, "<b>" + "x" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    assert len(ok.text) == 4096
    # Texts that look like JSON or numbers stay texts.
    for text in ("[1]", "{}", "123", "true"):
        assert (await bot.send_message(GROUP, text)).text == text
    # Without a parse mode, HTML is just text.
    plain = await bot.send_message(GROUP, "1 < 2 & <b>")
    assert plain.text == "1 < 2 & <b>"


async def test_chat_errors(tg: BotApiServer, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(-100555, "hi")
    tg.set_bot_rights(GROUP, "left")
    with pytest.raises(Forbidden, match="bot is not a member of the supergroup chat"):
        await bot.send_message(GROUP, "hi")
    tg.set_bot_rights(GROUP, "kicked")
    with pytest.raises(Forbidden, match="bot was kicked from the supergroup chat"):
        await bot.send_message(GROUP, "hi")
    # A known user who never wrote to the bot: no private chat yet.
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await bot.send_message(BOB, "hi")
    statuses = [c.status for c in tg.calls("sendMessage")]
    assert statuses == [400, 403, 403, 403]


async def test_replies(tg: BotApiServer, bot: Bot) -> None:
    asked = tg.push_message(GROUP, ALICE, "question")
    answer = await bot.send_message(
        GROUP, "answer", reply_parameters=ReplyParameters(asked["message_id"])
    )
    assert answer.reply_to_message.message_id == asked["message_id"]
    assert answer.reply_to_message.text == "question"
    # message_thread_id means nothing outside forums: ignored.
    ignored = await bot.send_message(GROUP, "x", message_thread_id=77)
    assert ignored.message_thread_id is None
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(GROUP, "x", reply_to_message_id=999)
    ok = await bot.send_message(
        GROUP, "x", reply_parameters=ReplyParameters(999, allow_sending_without_reply=True)
    )
    assert ok.reply_to_message is None


# ---------------------------------------------------------------- errors and faults


async def test_injected_429_becomes_retry_after(tg: BotApiServer, bot: Bot) -> None:
    tg.fail_next("sendMessage", 429, retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(GROUP, "hi")
    assert _seconds(caught.value) == 3
    assert tg.count_429() == 1
    call = tg.calls("sendMessage")[-1]
    assert call.status == 429 and call.description == "Too Many Requests: retry after 3"
    await bot.send_message(GROUP, "hi again")  # the fault was used up
    assert len(tg.sent_messages(GROUP)) == 1


async def test_injected_server_errors_become_network_errors(tg: BotApiServer, bot: Bot) -> None:
    tg.fail_next(None, 500, count=2)
    tg.fail_next("sendMessage", 502, "Bad Gateway")
    for _ in range(2):
        with pytest.raises(NetworkError) as caught:
            await bot.send_message(GROUP, "hi")
        assert not isinstance(caught.value, BadRequest | RetryAfter)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(GROUP, "hi")
    assert [c.status for c in tg.calls("sendMessage")] == [500, 500, 502]
    assert tg.sent_messages() == []


async def test_injected_conflict_and_delay(tg: BotApiServer, bot: Bot) -> None:
    tg.fail_next("getUpdates", 409)
    with pytest.raises(Conflict):
        await bot.get_updates(timeout=0)
    tg.delay_next("sendChatAction", 0.2)
    assert await bot.send_chat_action(GROUP, "typing") is True
    assert tg.calls("sendChatAction")[-1].ok


async def test_group_limit_refuses_the_21st_message(tg: BotApiServer, bot: Bot) -> None:
    for i in range(20):
        await bot.send_message(GROUP, f"message {i}")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(GROUP, "one too many")
    assert 1 <= _seconds(caught.value) <= 60
    assert tg.count_429() == 1
    # Another group has its own budget; the refused message was not stored.
    tg.add_chat(-100777, "group", "Other")
    await bot.send_message(-100777, "fine")
    assert len(tg.sent_messages(GROUP)) == 20


async def test_rate_limits_are_settable(tg: BotApiServer, bot: Bot) -> None:
    tg.set_rate_limits(group=(2, 60), overall=None)
    topic = await bot.create_forum_topic(FORUM, "Topic")  # topic creation counts
    await bot.send_message(FORUM, "one", message_thread_id=topic.message_thread_id)
    with pytest.raises(RetryAfter):
        await bot.edit_forum_topic(FORUM, topic.message_thread_id, name="Renamed")
    await bot.delete_message(FORUM, tg.sent_messages(FORUM)[0]["message_id"])  # never counted
    tg.set_rate_limits(group=None, overall=(2, 60))
    tg.add_chat(ALICE, "private")
    await bot.send_message(ALICE, "a")
    await bot.send_message(GROUP, "b")
    with pytest.raises(RetryAfter):
        await bot.send_message(ALICE, "c")


# ---------------------------------------------------------------- topics


async def test_topics_lifecycle(tg: BotApiServer, bot: Bot) -> None:
    topic = await bot.create_forum_topic(FORUM, "+8613800138000")
    thread = topic.message_thread_id
    assert topic.name == "+8613800138000" and topic.icon_color == 7322096
    sent = await bot.send_message(FORUM, "SMS from the phone", message_thread_id=thread)
    assert sent.is_topic_message and sent.message_thread_id == thread
    assert sent.reply_to_message.forum_topic_created.name == "+8613800138000"
    assert [m["text"] for m in tg.sent_messages(FORUM, thread_id=thread)] == ["SMS from the phone"]
    assert await bot.close_forum_topic(FORUM, thread)
    with pytest.raises(BadRequest, match=r"(?i)topic_not_modified"):
        await bot.close_forum_topic(FORUM, thread)
    assert await bot.reopen_forum_topic(FORUM, thread)

    tg.delete_topic(FORUM, thread)
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(FORUM, "into the void", message_thread_id=thread)
    assert "message thread not found" in str(caught.value).lower()
    assert tg.topics(FORUM)[0]["deleted"] is True
    assert tg.sent_messages(FORUM, thread_id=thread) == []

    with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
        await bot.send_message(FORUM, "general", message_thread_id=1)


async def test_topic_errors(tg: BotApiServer, bot: Bot) -> None:
    with pytest.raises(BadRequest) as caught:
        await bot.create_forum_topic(GROUP, "x")
    assert "the chat is not a forum" in str(caught.value).lower()
    tg.set_bot_rights(FORUM, "administrator", can_manage_topics=False)
    with pytest.raises(BadRequest, match=r"(?i)not enough rights to create a topic"):
        await bot.create_forum_topic(FORUM, "x")
    tg.set_bot_rights(FORUM, "administrator", can_manage_topics=True)
    topic = await bot.create_forum_topic(FORUM, "y" * 200)
    assert len(topic.name) == 128
    await bot.delete_forum_topic(FORUM, topic.message_thread_id)
    assert tg.topics(FORUM)[0]["deleted"]


async def test_get_chat_and_members(tg: BotApiServer, bot: Bot) -> None:
    info = await bot.get_chat(FORUM)
    assert info.is_forum and info.max_reaction_count == 11 and info.accent_color_id == 0
    member = await bot.get_chat_member(FORUM, bot.id)
    assert member.status == "administrator" and member.can_manage_topics
    tg.set_bot_rights(GROUP, "member")
    assert (await bot.get_chat_member(GROUP, bot.id)).status == "member"
    tg.set_member_status(FORUM, ALICE, "creator")
    admins = await bot.get_chat_administrators(FORUM)
    assert {a.status for a in admins} == {"creator", "administrator"}
    assert (await bot.get_chat_member(GROUP, BOB)).status == "left"


# ---------------------------------------------------------------- edits, deletes, callbacks


async def test_edits(tg: BotApiServer, bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data="ok")]])
    sent = await bot.send_message(GROUP, "<i>3 sent</i>", parse_mode="HTML", reply_markup=keyboard)
    with pytest.raises(BadRequest) as caught:
        await bot.edit_message_text(
            "<i>3 sent</i>", GROUP, sent.message_id, parse_mode="HTML", reply_markup=keyboard
        )
    assert "message is not modified" in str(caught.value).lower()
    # Same text without the keyboard is a change: Telegram drops the keyboard.
    edited = await bot.edit_message_text("<i>3 sent</i>", GROUP, sent.message_id, parse_mode="HTML")
    assert edited.reply_markup is None and edited.edit_date is not None
    edited = await bot.edit_message_text(
        "<b>3 delivered</b>", GROUP, sent.message_id, parse_mode="HTML"
    )
    [stored] = tg.sent_messages(GROUP)
    assert stored["text"] == "3 delivered" and stored["raw_text"] == "<b>3 delivered</b>"
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(GROUP, sent.message_id)
    await bot.edit_message_reply_markup(GROUP, sent.message_id, reply_markup=keyboard)
    assert tg.sent_messages(GROUP)[0]["reply_markup"] == keyboard.to_dict()
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", GROUP, 9999)
    assert await bot.delete_message(GROUP, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(GROUP, sent.message_id)
    assert tg.sent_messages(GROUP) == []


async def test_callback_query_round_trip(tg: BotApiServer, bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Send", callback_data="confirm:7")]])
    sent = await bot.send_message(GROUP, "Send 30 SMS?", reply_markup=keyboard)
    with pytest.raises(ValueError, match="no button"):
        tg.push_callback(GROUP, ALICE, sent.message_id, "forged")
    query_id = tg.push_callback(GROUP, ALICE, sent.message_id, "confirm:7")
    [update] = await bot.get_updates(timeout=0)
    assert update.callback_query.id == query_id
    assert update.callback_query.data == "confirm:7"
    assert update.callback_query.message.message_id == sent.message_id
    assert update.callback_query.from_user.username == "alice"
    assert await bot.answer_callback_query(query_id, "Sending")
    assert tg.callback_answer(query_id) == {"text": "Sending"}
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)


async def test_commands(tg: BotApiServer, bot: Bot) -> None:
    assert await bot.set_my_commands([("sms", "Send an SMS"), ("balance", "Show the balance")])
    assert [c.command for c in await bot.get_my_commands()] == ["sms", "balance"]
    assert tg.my_commands()[0] == {"command": "sms", "description": "Send an SMS"}
    with pytest.raises(BadRequest):
        await bot.set_my_commands([("Bad-Name", "x")])
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()


# ---------------------------------------------------------------- getUpdates


async def test_long_poll_returns_a_pushed_topic_message(tg: BotApiServer, bot: Bot) -> None:
    thread = (await bot.create_forum_topic(FORUM, "Phone")).message_thread_id
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await tg.await_for(tg.waiting_polls)
    pushed = tg.push_message(FORUM, ALICE, "reply to the phone", thread_id=thread)
    [update] = await poll
    assert isinstance(update, Update)
    message = update.message
    assert message.message_id == pushed["message_id"]
    assert message.is_topic_message and message.message_thread_id == thread
    assert message.reply_to_message.forum_topic_created is not None  # not a real reply
    assert message.from_user.id == ALICE and message.chat.is_forum

    reply = tg.push_message(FORUM, BOB, "me too", reply_to_message_id=pushed["message_id"])
    assert reply["is_topic_message"] and reply["message_thread_id"] == thread
    assert reply["reply_to_message"]["message_id"] == pushed["message_id"]

    # offset confirms: confirmed updates are gone, the next one is still there.
    updates = await bot.get_updates(offset=update.update_id + 1, timeout=0)
    assert [u.message.text for u in updates] == ["me too"]
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()
    assert tg.pending_updates() == []


async def test_long_poll_times_out_empty(tg: BotApiServer, bot: Bot) -> None:
    assert await bot.get_updates(timeout=1) == ()
    [call] = tg.calls("getUpdates")
    assert call.ok and call.result == [] and call.params["timeout"] == 1


async def test_second_poller_conflicts_the_first(tg: BotApiServer, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await tg.await_for(tg.waiting_polls)
    async with Bot(tg.token, base_url=tg.base_url) as other:
        second = asyncio.create_task(other.get_updates(timeout=5))
        with pytest.raises(Conflict, match="terminated by other getUpdates"):
            await first
        tg.push_message(GROUP, ALICE, "hello")
        [update] = await second
        assert update.message.text == "hello"


async def test_group_and_private_message_shapes(tg: BotApiServer, bot: Bot) -> None:
    first = tg.push_message(GROUP, ALICE, "/sms 13800138000 hi")
    assert first["entities"] == [{"type": "bot_command", "offset": 0, "length": 4}]
    reply = tg.push_message(GROUP, BOB, "ok", reply_to_message_id=first["message_id"])
    assert "message_thread_id" not in reply and "is_topic_message" not in reply
    private = tg.push_message(ALICE, ALICE, "/start")
    assert private["chat"] == {
        "id": ALICE,
        "type": "private",
        "first_name": "Alice",
        "username": "alice",
    }
    sticker = tg.push_sticker(GROUP, ALICE)
    photo = tg.push_photo(GROUP, ALICE, caption="look")
    updates = await bot.get_updates(timeout=0)
    assert [u.message.message_id for u in updates[:2]] == [first["message_id"], reply["message_id"]]
    assert updates[0].message.entities[0].type == "bot_command"
    assert updates[2].message.chat.type == "private"
    assert updates[3].message.sticker.emoji == sticker["sticker"]["emoji"]
    assert updates[4].message.photo[-1].width == 1280 and photo["caption"] == "look"
    assert updates[4].message.text is None
    # A reply in the General topic of a forum carries a thread id that is no topic.
    general = tg.push_message(FORUM, ALICE, "in general")
    answer = tg.push_message(FORUM, BOB, "re", reply_to_message_id=general["message_id"])
    assert answer["message_thread_id"] == general["message_id"]
    assert "is_topic_message" not in answer


async def test_privacy_mode_hides_plain_group_messages_from_a_member_bot(
    tg: BotApiServer, bot: Bot
) -> None:
    tg.set_bot_rights(GROUP, "member")
    tg.push_message(GROUP, ALICE, "chatter")
    tg.push_message(GROUP, ALICE, "/balance")
    mine = await bot.send_message(GROUP, "status")
    tg.push_message(GROUP, BOB, "answer to bot", reply_to_message_id=mine.message_id)
    texts = [u.message.text for u in await bot.get_updates(timeout=0)]
    assert texts == ["/balance", "answer to bot"]
    assert tg.messages(GROUP)[0]["text"] == "chatter"  # still in the chat


# ---------------------------------------------------------------- the real Application


async def test_application_polls_and_answers_a_command(tg: BotApiServer) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_html(f"Hello, <b>{html.escape('<you>')}</b>")

    app = ApplicationBuilder().token(tg.token).base_url(tg.base_url).build()
    app.add_handler(CommandHandler("start", start))
    await app.initialize()
    try:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await app.start()
        tg.push_message(
            FORUM, ALICE, "/start", thread_id=(tg.add_topic(FORUM, "t"))["message_thread_id"]
        )
        tg.push_message(ALICE, ALICE, "/start")
        replies = await tg.await_for(lambda: len(tg.sent_messages()) == 2 and tg.sent_messages())
        assert all(r["text"] == "Hello, <you>" for r in replies)
        topic_reply = tg.sent_messages(FORUM)[0]
        assert topic_reply["is_topic_message"] and topic_reply["raw_text"].startswith("Hello, <b>")
    finally:
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
    methods = {c.method for c in tg.calls()}
    assert {"getMe", "deleteWebhook", "getUpdates", "sendMessage"} <= methods
    assert [c for c in tg.calls() if not c.ok] == []
    assert tg.pending_updates() == []  # the final getUpdates confirmed everything


# ---------------------------------------------------------------- test-side API


def test_sync_use_wait_for_subscribe_and_render() -> None:
    seen: list[str] = []
    with BotApiServer(token="777:other-token") as tg:
        unsubscribe = tg.subscribe(lambda call: seen.append(call.method))
        tg.add_chat(FORUM, is_forum=True, title="Inbox")
        thread = tg.add_topic(FORUM, "+8613800138000", user_id=ALICE)["message_thread_id"]
        tg.push_message(FORUM, ALICE, "first line\nsecond line", thread_id=thread)

        def send() -> None:
            httpx.post(
                f"{tg.base_url}{tg.token}/sendMessage",
                data={
                    "chat_id": str(FORUM),
                    "text": "from the bot",
                    "message_thread_id": str(thread),
                    "reply_markup": json.dumps(
                        {"inline_keyboard": [[{"text": "Stop", "callback_data": "stop"}]]}
                    ),
                },
            )

        threading.Thread(target=send).start()
        [message] = tg.wait_for(lambda: tg.sent_messages(FORUM), timeout=10)
        assert message["text"] == "from the bot"
        assert seen == ["sendMessage"]
        unsubscribe()
        with pytest.raises(TimeoutError, match="sendMessage -> 200"):
            tg.wait_for(lambda: len(tg.sent_messages()) > 1, timeout=0.2)
        transcript = tg.render_chat(FORUM)
    assert transcript.splitlines() == [
        f"== Inbox (supergroup, forum {FORUM}) ==",
        '#2 [topic 2 "+8613800138000"] User 4201: created topic "+8613800138000"',
        '#3 [topic 2 "+8613800138000"] User 4201: first line',
        "    second line",
        '#4 [topic 2 "+8613800138000"] smsbot [bot]: from the bot',
        "    [Stop]",
    ]


def test_restart_keeps_port_and_state() -> None:
    tg = BotApiServer()
    tg.start()
    try:
        port = tg.port
        tg.add_chat(GROUP)
        tg.stop()
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{tg.base_url}{tg.token}/getMe")
        tg.start()
        assert tg.port == port
        answer = httpx.post(
            f"{tg.base_url}{tg.token}/sendMessage", data={"chat_id": GROUP, "text": "back"}
        )
        assert answer.json()["result"]["text"] == "back"
    finally:
        tg.stop()


def test_reset_keeps_update_ids_growing() -> None:
    tg = FakeTelegram()
    tg.add_chat(GROUP)
    tg.push_message(GROUP, ALICE, "one")
    before = tg.pending_updates()[-1]["update_id"]
    tg.reset()
    assert tg.calls() == [] and tg.pending_updates() == []
    tg.add_chat(GROUP)
    tg.push_message(GROUP, ALICE, "two")
    assert tg.pending_updates()[0]["update_id"] > before
    assert tg.token == DEFAULT_TOKEN


def test_setup_mistakes_are_loud() -> None:
    tg = FakeTelegram()
    with pytest.raises(ValueError, match="negative"):
        tg.add_chat(12345, "supergroup")
    with pytest.raises(ValueError, match="only a supergroup"):
        tg.add_chat(-5, "group", is_forum=True)
    with pytest.raises(KeyError):
        tg.push_message(-999, ALICE, "nobody here")
    tg.add_chat(GROUP)
    with pytest.raises(ValueError, match="not a forum"):
        tg.push_message(GROUP, ALICE, "x", thread_id=3)


# ---------------------------------------------------------------- the HTML parser itself


def test_parse_html_entities_and_offsets() -> None:
    parsed = parse_html(
        '😀 <b>bold <i>both</i></b> <a href="https://e.x/?a=1&amp;b=2">link</a> '
        '<pre><code class="language-python">x = 1</code></pre> <blockquote expandable>q</blockquote>'
    )
    assert parsed.text == "😀 bold both link x = 1 q"
    kinds = [(e["type"], e["offset"], e["length"]) for e in parsed.entities]
    assert kinds == [
        ("bold", 3, 9),
        ("italic", 8, 4),
        ("text_link", 13, 4),
        ("pre", 18, 5),
        ("expandable_blockquote", 24, 1),
    ]
    assert parsed.entities[2]["url"] == "https://e.x/?a=1&b=2"
    assert parsed.entities[3]["language"] == "python"
    assert parse_html("AT&T", strict_ampersand=False).text == "AT&T"
    with pytest.raises(EntityParseError):
        parse_html("AT&T")


@given(st.text())
def test_escaped_text_always_parses_back_to_itself(text: str) -> None:
    parsed = parse_html(html.escape(text))
    assert parsed.text == text and parsed.entities == ()


@given(st.text(alphabet="<>&;/ab#x1 \"'=", max_size=30))
def test_parser_never_fails_unexpectedly(text: str) -> None:
    try:
        parse_html(text)
    except EntityParseError:
        pass
