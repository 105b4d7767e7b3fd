"""`smsbot check`: the whole deployment, one line per check, `ok` or `FAIL` with what to do."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from typing import TextIO

from config import Settings, SettingsError, load_settings


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'}  {self.name}: {self.detail}"


async def check_store(settings: Settings) -> CheckResult:
    from bot.store import SCHEMA_VERSION, Store, StoreError
    from bot.store.db import read_schema_version

    path = settings.database_path
    try:
        before = read_schema_version(path)
        store = Store(path)  # not exclusive: a running bot may hold the lock, that is fine here
        await store.open()
        try:
            await store.check_writable()
            version = await store.schema_version()
        finally:
            await store.close()
    except (StoreError, OSError) as exc:
        return CheckResult("store", False, f"{exc}; check SMSBOT_DATABASE_PATH and the folder's permissions")
    except Exception as exc:  # sqlite3 errors: a corrupt or unreadable file
        return CheckResult("store", False, f"{path}: {exc}; restore it from a backup or move it away")
    note = "created" if before is None else (f"migrated from schema {before}" if before < version else "")
    detail = f"{path} writable, schema {version}/{SCHEMA_VERSION}" + (f" ({note})" if note else "")
    return CheckResult("store", version == SCHEMA_VERSION, detail)


async def check_gateway(settings: Settings) -> CheckResult:
    from bot.services import gateway_from_settings
    from sms_core.errors import GatewayError

    try:
        gateway, sandbox = gateway_from_settings(settings)
    except SettingsError as exc:
        return CheckResult("gateway", False, str(exc))
    try:
        async with gateway:
            balance = await gateway.balance()
    except GatewayError as exc:
        return CheckResult("gateway", False, f"{exc} (at {host_of(settings.gateway_url)})")
    finally:
        if sandbox is not None:
            sandbox.stop()
    where = "the built-in sandbox" if sandbox is not None else host_of(settings.gateway_url)
    return CheckResult("gateway", True, f"{where} reachable, credentials accepted, balance {balance}")


def host_of(url: str) -> str:
    """The host:port of a URL, for messages (never its path: a Bot API path holds the token)."""
    return url.split("://", 1)[-1].split("/", 1)[0]


async def check_telegram(settings: Settings) -> list[CheckResult]:
    from telegram import Bot
    from telegram.error import Forbidden, InvalidToken, TelegramError

    if settings.telegram_token is None:
        return [CheckResult("telegram", False, "SMSBOT_TELEGRAM_TOKEN is not set: create a bot with @BotFather "
                                               "and put its token there")]
    results: list[CheckResult] = []
    bot = Bot(settings.telegram_token.get_secret_value(), base_url=settings.telegram_api_url)
    try:
        async with bot:
            me = bot.bot  # initialize() called getMe
            results.append(CheckResult("telegram token", True, f"@{me.username} (id {me.id})"))
            chats = dict.fromkeys(settings.allowed_chat_ids, "allowed chat")
            if settings.inbox_chat_id is not None:
                chats[settings.inbox_chat_id] = "inbox chat"
            if settings.alert_chat_id is not None:
                chats.setdefault(settings.alert_chat_id, "alert chat")
            if not settings.allowed_chat_ids:
                results.append(CheckResult("allowed chats", False, "SMSBOT_ALLOWED_CHAT_IDS is empty: nobody can "
                                           "use the bot; add the bot to your group, send /id there and put the "
                                           "chat id in SMSBOT_ALLOWED_CHAT_IDS"))
            for chat_id, role in chats.items():
                results.append(await _check_chat(bot, me.id, chat_id, role, settings))
    except InvalidToken:
        return [CheckResult("telegram token", False, "Telegram refused the token: copy it again from @BotFather "
                                                     "into SMSBOT_TELEGRAM_TOKEN")]
    except Forbidden as exc:
        results.append(CheckResult("telegram", False, f"{exc}"))
    except TelegramError as exc:
        where = host_of(settings.telegram_api_url)
        return [*results, CheckResult("telegram", False, f"Telegram is not reachable at {where}: {exc}")]
    return results


_CHAT_SETTING = {"allowed chat": "SMSBOT_ALLOWED_CHAT_IDS", "inbox chat": "SMSBOT_INBOX_CHAT_ID",
                 "alert chat": "SMSBOT_ALERT_CHAT_ID"}


async def _check_chat(bot, bot_id: int, chat_id: int, role: str, settings: Settings) -> CheckResult:  # type: ignore[no-untyped-def]
    from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter

    name = f"{role} {chat_id}"
    try:
        chat = await bot.get_chat(chat_id)
        member = await bot.get_chat_member(chat_id, bot_id)
    except ChatMigrated as exc:  # a group upgraded to a supergroup (turning on Topics does it)
        return CheckResult(name, False, f"the group became a supergroup with the id {exc.new_chat_id}: "
                                        f"put {exc.new_chat_id} in {_CHAT_SETTING[role]}")
    except RetryAfter as exc:
        return CheckResult(name, False, f"Telegram asks to wait {exc.retry_after} s before more "
                                        "requests: run the check again then")
    except (BadRequest, Forbidden) as exc:
        return CheckResult(name, False, f"{exc}: add the bot to this chat (or fix the id; /id in the chat shows it)")
    if member.status in ("left", "kicked"):
        return CheckResult(name, False, "the bot is not a member: add it to the chat")
    title = chat.title or chat.full_name or str(chat_id)
    if role != "inbox chat":
        return CheckResult(name, True, f"'{title}', the bot is {member.status}")
    if not chat.is_forum:
        return CheckResult(name, False, f"'{title}' has no topics: make it a forum supergroup (group settings > "
                                        "Topics) so every phone gets its own topic")
    if member.status != "administrator" or not getattr(member, "can_manage_topics", False):
        return CheckResult(name, False, f"'{title}': make the bot an admin with the right to manage topics")
    return CheckResult(name, True, f"'{title}' is a forum and the bot may manage topics")


async def check_all(settings: Settings) -> list[CheckResult]:
    results = [CheckResult("settings", True, "valid")]
    results.append(await check_store(settings))
    results.append(await check_gateway(settings))
    results.extend(await check_telegram(settings))
    return results


def run_checks(settings: Settings | None = None, out: TextIO | None = None) -> int:
    from bot.logsetup import secret_filter

    out = out or sys.stdout
    if settings is None:
        try:
            settings = load_settings()
        except SettingsError as exc:
            print(CheckResult("settings", False, str(exc)).line(), file=out)
            return 1
    filter_ = secret_filter()
    filter_.add(*settings.secret_values())
    results = asyncio.run(check_all(settings))
    for r in results:
        print(filter_.scrub(r.line()), file=out)  # a library's error may quote a URL with a secret
    failed = [r for r in results if not r.ok]
    print(f"{len(results) - len(failed)} ok, {len(failed)} FAIL", file=out)
    return 0 if not failed else 1
