"""Documents as python-telegram-bot sees them: sendDocument uploads (and re-sends by file_id),
a person's document reaches the bot with its file_id, getFile and the download route give the
bytes back, with Telegram's refusals."""

from __future__ import annotations

import httpx
import pytest
from devserver_fixtures import ALICE, FORUM, GROUP
from telegram import Bot
from telegram.error import BadRequest, RetryAfter

from bot.devserver import BotApiServer, render_message

CSV = "name,number\nalice,13800138000\n李雷,13900139000\n".encode("utf-8-sig")


async def test_send_document_keeps_the_file_and_its_caption(tg: BotApiServer, bot: Bot) -> None:
    sent = await bot.send_document(GROUP, CSV, filename="contacts.csv", caption="<b>2</b> contacts",
                                   parse_mode="HTML")
    assert sent.document is not None and sent.document.file_name == "contacts.csv"
    assert sent.document.mime_type == "text/csv" and sent.document.file_size == len(CSV)
    assert sent.caption == "2 contacts" and sent.caption_entities[0].type == "bold"
    [stored] = tg.sent_messages(GROUP)
    assert stored["document"]["file_id"] == sent.document.file_id
    assert stored["caption"] == "2 contacts" and stored["raw_text"] == "<b>2</b> contacts"
    assert tg.file_content(sent.document.file_id) == CSV
    assert render_message(stored).endswith("[document contacts.csv] 2 contacts")

    again = await bot.send_document(FORUM, sent.document.file_id)  # re-sent by file_id: no upload
    assert again.document.file_id == sent.document.file_id and again.caption is None


async def test_a_document_counts_against_the_group_limit(tg: BotApiServer, bot: Bot) -> None:
    tg.set_rate_limits(group=(1, 60.0))
    await bot.send_message(GROUP, "one")
    with pytest.raises(RetryAfter):
        await bot.send_document(GROUP, CSV, filename="c.csv")
    assert [c.status for c in tg.calls("sendDocument")] == [429]


async def test_a_persons_document_is_an_update_getfile_and_download_give_its_bytes(tg: BotApiServer) -> None:
    async with Bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url) as bot:
        await _document_round_trip(tg, bot)


async def _document_round_trip(tg: BotApiServer, bot: Bot) -> None:
    pushed = tg.push_document(GROUP, ALICE, CSV, "book.csv", caption="/contacts import")
    [update] = await bot.get_updates()
    message = update.message
    assert message is not None and message.message_id == pushed["message_id"]
    assert message.document.file_name == "book.csv" and message.caption == "/contacts import"
    assert message.caption_entities[0].type == "bot_command" and message.text is None
    file = await bot.get_file(message.document.file_id)
    assert file.file_size == len(CSV) and file.file_path.startswith(f"{tg.base_file_url}{tg.token}/documents/")
    assert bytes(await file.download_as_bytearray()) == CSV

    reply = tg.push_message(GROUP, ALICE, "/contacts import", reply_to_message_id=pushed["message_id"])
    [update] = await bot.get_updates(offset=update.update_id + 1)
    assert update.message.message_id == reply["message_id"]
    assert update.message.reply_to_message.document.file_id == message.document.file_id


async def test_unknown_files_and_bad_uploads_are_refused_as_telegram_does(tg: BotApiServer, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("BQACAgIAAxkBAAEnope")
    with pytest.raises(BadRequest, match=r"(?i)file must be non-empty"):
        await bot.send_document(GROUP, b"", filename="empty.csv")
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_document(GROUP, "no-such-file-id")
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_document(GROUP, CSV, filename="c.csv", caption="x" * 1025)
    assert tg.sent_messages(GROUP) == []
    async with httpx.AsyncClient(base_url=tg.url) as client:
        assert (await client.get(f"/file/bot{tg.token}/documents/file_99.csv")).status_code == 404
        pushed = tg.push_document(GROUP, ALICE, CSV, "book.csv")
        await bot.get_file(pushed["document"]["file_id"])
        path = tg.calls("getFile")[-1].result["file_path"]
        assert (await client.get(f"/file/bot1:wrong/{path}")).status_code == 401
        assert (await client.get(f"/file/bot{tg.token}/{path}")).content == CSV
