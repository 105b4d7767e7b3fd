"""The bot itself: its command lists, and a real python-telegram-bot Application polling
the double and answering a command."""

from __future__ import annotations

import html

import pytest
from devserver_fixtures import ALICE, FORUM
from telegram import Bot, Update
from telegram.error import BadRequest
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from bot.devserver import BotApiServer


async def test_commands(tg: BotApiServer, bot: Bot) -> None:
    assert await bot.set_my_commands([("sms", "Send an SMS"), ("balance", "Show the balance")])
    assert [c.command for c in await bot.get_my_commands()] == ["sms", "balance"]
    assert tg.my_commands()[0] == {"command": "sms", "description": "Send an SMS"}
    with pytest.raises(BadRequest):
        await bot.set_my_commands([("Bad-Name", "x")])
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()


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
