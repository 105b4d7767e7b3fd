"""getUpdates: long polling, confirmation, conflicts, the shapes of pushed messages and
button presses, and privacy mode."""

from __future__ import annotations

import asyncio

import pytest
from devserver_fixtures import ALICE, BOB, FORUM, GROUP
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Conflict

from bot.devserver import BotApiServer


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


async def test_a_webhook_turns_get_updates_off_until_it_is_deleted(
    tg: BotApiServer, bot: Bot
) -> None:
    tg.push_message(GROUP, ALICE, "waiting")
    with pytest.raises(BadRequest, match=r"(?i)an https url must be provided"):
        await bot.set_webhook("http://example.test/hook")
    assert await bot.set_webhook("https://example.test/hook")
    info = await bot.get_webhook_info()
    assert info.url == "https://example.test/hook" and info.pending_update_count == 1
    with pytest.raises(Conflict, match=r"(?i)webhook is active"):
        await bot.get_updates(timeout=0)
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates(timeout=0) == ()
    assert tg.pending_updates() == []


async def test_offset_limit_and_allowed_updates_choose_the_updates(
    tg: BotApiServer, bot: Bot
) -> None:
    for text in ("a", "b", "c"):
        tg.push_message(GROUP, ALICE, text)
    # A negative offset keeps only the newest updates.
    assert [u.message.text for u in await bot.get_updates(offset=-2, timeout=0)] == ["b", "c"]
    assert [u.message.text for u in await bot.get_updates(limit=1, timeout=0)] == ["b"]
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    sent = await bot.send_message(GROUP, "pick", reply_markup=keyboard)
    tg.push_callback(GROUP, ALICE, sent.message_id, "go")
    updates = await bot.get_updates(timeout=0, allowed_updates=["callback_query"])
    assert [u.callback_query.data for u in updates] == ["go"]
    # Updates of other kinds are dropped, and the choice sticks for later polls.
    tg.push_message(GROUP, ALICE, "/ignored")
    assert [u.callback_query.data for u in await bot.get_updates(timeout=0)] == ["go"]
