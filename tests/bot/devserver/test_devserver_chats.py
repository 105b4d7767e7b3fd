"""Forum topics (lifecycle and rights) and chats with their members."""

from __future__ import annotations

import pytest
from devserver_fixtures import ALICE, BOB, FORUM, GROUP
from telegram import Bot
from telegram.error import BadRequest

from bot.devserver import BotApiServer


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
