"""sendMessage, edits and deletes as python-telegram-bot sees them: HTML checked like
Telegram, text limits, replies, chat errors."""

from __future__ import annotations

import pytest
from devserver_fixtures import ALICE, BOB, FORUM, GROUP
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden

from bot.devserver import BotApiServer


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
