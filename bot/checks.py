"""`smsbot check`: the whole deployment, one line per check, `ok`, `FAIL` with what to do, or
`skipped (because ...)` when what it needs failed first, so no check ever goes unmentioned.

It changes nothing: the store is only looked at (bot/store/checkup.py), never created,
migrated or written. Exit code 0 when every line is ok, 2 when a setting is wrong (fix the
settings first: the other lines depend on them), 1 otherwise.
"""

from __future__ import annotations

import asyncio
import enum
import sys
from dataclasses import dataclass
from typing import TextIO

from bot.escaping import host_of
from config import Settings, SettingsError, load_settings

EXIT_OK, EXIT_FAIL, EXIT_SETTINGS = 0, 1, 2


class Status(enum.StrEnum):
    OK = "ok"
    FAIL = "FAIL"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    status: Status
    detail: str  # what was found, what to do, or (skipped) why it could not be checked

    @classmethod
    def passed(cls, name: str, detail: str) -> CheckResult:
        return cls(name, Status.OK, detail)

    @classmethod
    def failed(cls, name: str, detail: str) -> CheckResult:
        return cls(name, Status.FAIL, detail)

    @classmethod
    def skipped(cls, name: str, because: str) -> CheckResult:
        return cls(name, Status.SKIPPED, because)

    @property
    def ok(self) -> bool:
        return self.status is Status.OK

    def line(self) -> str:
        if self.status is Status.SKIPPED:
            return f"skipped  {self.name} (because {self.detail})"
        return f"{self.status.value:<7}  {self.name}: {self.detail}"


def check_settings(settings: Settings) -> list[CheckResult]:
    """Settings that loaded can still hold a typo'd name, which nothing would read."""
    from config.settings import unknown_settings

    unknown = unknown_settings()
    if not unknown:
        return [CheckResult.passed("settings", "valid")]
    return [CheckResult.failed("settings", u.message()) for u in unknown]


async def check_store(settings: Settings) -> CheckResult:
    from bot.store import SCHEMA_VERSION, StoreError
    from bot.store.checkup import inspect_store

    path = settings.database_path
    try:
        state = await asyncio.to_thread(inspect_store, path)
    except StoreError as exc:
        return CheckResult.failed("store", str(exc))
    if state.schema is not None and state.schema > SCHEMA_VERSION:
        return CheckResult.failed("store", f"{path} was written by a newer smsbot (schema {state.schema}, this one "
                                           f"knows {SCHEMA_VERSION}): upgrade smsbot; keep the file")
    if state.write_problem is not None:
        read = f"; it reads well (schema {state.schema}, integrity ok)" if state.exists else ""
        from bot.store.diagnose import unwritable

        return CheckResult.failed("store", f"{unwritable(path, state.write_problem)}{read}")
    if not state.exists:
        return CheckResult.passed("store", f"{path} does not exist yet: `smsbot run` creates it (the folder is "
                                           "writable)")
    schema = (f"schema {state.schema}, `smsbot run` migrates it to {SCHEMA_VERSION}"
              if state.schema is not None and state.schema < SCHEMA_VERSION else f"schema {state.schema}")
    held = f"; in use by a running smsbot (pid {state.held_by})" if state.held_by else ""
    return CheckResult.passed("store", f"{path} writable, {schema}, integrity ok{held}")


async def check_gateway(settings: Settings) -> CheckResult:
    from bot.gateways import gateway_from_settings
    from sms_core.errors import GatewayError

    try:
        gateway, sandbox = gateway_from_settings(settings)
    except SettingsError as exc:
        return CheckResult.failed("gateway", str(exc))
    try:
        async with gateway:
            balance = await gateway.balance()
    except GatewayError as exc:
        return CheckResult.failed("gateway", f"{exc} (at {host_of(settings.gateway_url)})")
    finally:
        if sandbox is not None:
            sandbox.stop()
    where = "the built-in sandbox" if sandbox is not None else host_of(settings.gateway_url)
    return CheckResult.passed("gateway", f"{where} reachable, credentials accepted, balance {balance}")


_CHAT_SETTING = {"allowed chat": "SMSBOT_ALLOWED_CHAT_IDS", "inbox chat": "SMSBOT_INBOX_CHAT_ID",
                 "alert chat": "SMSBOT_ALERT_CHAT_ID"}


def chats_of(settings: Settings) -> dict[int, str]:
    """Every chat the settings name, with its role (the inbox's role wins over `allowed`)."""
    chats = dict.fromkeys(settings.allowed_chat_ids, "allowed chat")
    if settings.inbox_chat_id is not None:
        chats[settings.inbox_chat_id] = "inbox chat"
    if settings.alert_chat_id is not None:
        chats.setdefault(settings.alert_chat_id, "alert chat")
    return chats


async def check_telegram(settings: Settings) -> list[CheckResult]:
    from telegram import Bot
    from telegram.error import InvalidToken, TelegramError

    from bot.telegram.proxied import ProxyRefused
    from bot.telegram.reach import what_to_check
    from bot.telegram.reach import where as telegram_where
    from bot.telegram.requests import telegram_requests
    from config.settings import missing_token_message

    chats = chats_of(settings)
    results: list[CheckResult] = []
    if not settings.allowed_chat_ids:
        results.append(CheckResult.failed(
            "allowed chats", "SMSBOT_ALLOWED_CHAT_IDS is empty: nobody can use the bot; add the bot to your "
                             "group, send /id there and put the chat id in SMSBOT_ALLOWED_CHAT_IDS"))

    def skip_chats(because: str) -> list[CheckResult]:
        return [CheckResult.skipped(f"{role} {chat_id}", because) for chat_id, role in chats.items()]

    if settings.telegram_token is None:
        return [CheckResult.failed("telegram token", missing_token_message()), *results,
                *skip_chats("there is no token")]
    where = telegram_where(settings)  # host:port, and the proxy (SMSBOT_TELEGRAM_PROXY) if any
    requests = telegram_requests(settings)
    bot = Bot(settings.telegram_token.get_secret_value(), base_url=settings.telegram_api_url,
              request=requests.api, get_updates_request=requests.updates)
    try:
        try:
            await bot.initialize()  # getMe
        except InvalidToken:
            return [CheckResult.failed("telegram token", "Telegram refused the token: copy it again from "
                                                         "@BotFather into SMSBOT_TELEGRAM_TOKEN"),
                    *results, *skip_chats("Telegram refused the token")]
        except ProxyRefused as exc:
            return [CheckResult.failed("telegram", str(exc)), *results, *skip_chats("the proxy refused")]
        except TelegramError as exc:
            return [CheckResult.failed("telegram", f"Telegram did not answer at {where}: {exc}; "
                                                   f"{what_to_check(settings)}"),
                    *results, *skip_chats(f"Telegram did not answer at {where}")]
        me = bot.bot
        proxy = f", through the proxy {settings.telegram_proxy_shown}" if settings.telegram_proxy else ""
        results.insert(0, CheckResult.passed("telegram token", f"@{me.username} (id {me.id}){proxy}"))
        silent: str | None = None  # set once Telegram stops answering: the other chats are skipped
        for chat_id, role in chats.items():
            name = f"{role} {chat_id}"
            if silent is not None:
                results.append(CheckResult.skipped(name, silent))
                continue
            try:
                results.append(await _check_chat(bot, me.id, chat_id, role))
            except TelegramError as exc:
                results.append(CheckResult.failed(name, f"Telegram did not answer at {where}: {exc}"))
                silent = f"Telegram stopped answering at {where}"
    finally:
        await bot.shutdown()
    return results


async def _check_chat(bot, bot_id: int, chat_id: int, role: str) -> CheckResult:  # type: ignore[no-untyped-def]
    from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter

    name = f"{role} {chat_id}"
    try:
        chat = await bot.get_chat(chat_id)
        member = await bot.get_chat_member(chat_id, bot_id)
    except ChatMigrated as exc:  # a group upgraded to a supergroup (turning on Topics does it)
        return CheckResult.failed(name, f"the group became a supergroup with the id {exc.new_chat_id}: "
                                        f"put {exc.new_chat_id} in {_CHAT_SETTING[role]}")
    except RetryAfter as exc:
        return CheckResult.failed(name, f"Telegram asks to wait {exc.retry_after} s before more "
                                        "requests: run the check again then")
    except (BadRequest, Forbidden) as exc:
        return CheckResult.failed(name, f"{exc}: add the bot to this chat (or fix the id; /id in the chat "
                                        "shows it)")
    if member.status in ("left", "kicked"):
        return CheckResult.failed(name, "the bot is not a member: add it to the chat")
    title = chat.title or chat.full_name or str(chat_id)
    if role != "inbox chat":
        return CheckResult.passed(name, f"'{title}', the bot is {member.status}")
    if not chat.is_forum:
        return CheckResult.failed(name, f"'{title}' has no topics: make it a forum supergroup (group settings > "
                                        "Topics) so every phone gets its own topic")
    if member.status != "administrator" or not getattr(member, "can_manage_topics", False):
        return CheckResult.failed(name, f"'{title}': make the bot an admin with the right to manage topics")
    return CheckResult.passed(name, f"'{title}' is a forum and the bot may manage topics")


async def check_all(settings: Settings) -> list[CheckResult]:
    results = check_settings(settings)
    results.append(await check_store(settings))
    results.append(await check_gateway(settings))
    results.extend(await check_telegram(settings))
    return results


def _unchecked(because: str) -> list[CheckResult]:
    return [CheckResult.skipped(name, because) for name in ("store", "gateway", "telegram token", "chats")]


def run_checks(settings: Settings | None = None, out: TextIO | None = None) -> int:
    """Print every check's line and a count; the exit code (module docstring)."""
    from bot.logsetup import secret_filter

    out = out or sys.stdout
    if settings is None:
        try:
            settings = load_settings()
        except SettingsError as exc:
            results = [CheckResult.failed("settings", p) for p in exc.problems]
            results += _unchecked("the settings are wrong: fix them first")
            return _report(results, out, lambda line: line)
    filter_ = secret_filter()
    filter_.add(*settings.secret_values())
    return _report(asyncio.run(check_all(settings)), out, filter_.scrub)


def _report(results: list[CheckResult], out: TextIO, scrub) -> int:  # type: ignore[no-untyped-def]
    for r in results:
        print(scrub(r.line()), file=out)  # a library's error may quote a URL with a secret
    counts = {s: sum(r.status is s for r in results) for s in Status}
    print(f"{counts[Status.OK]} ok, {counts[Status.FAIL]} FAIL"
          + (f", {counts[Status.SKIPPED]} skipped" if counts[Status.SKIPPED] else ""), file=out)
    failed = [r for r in results if r.status is Status.FAIL]
    if any(r.name == "settings" for r in failed):
        return EXIT_SETTINGS
    return EXIT_FAIL if failed else EXIT_OK
