"""GET /healthz for Docker's HEALTHCHECK: the store keeps, the gateway is read, Telegram answers,
the inbox and alert chats take the bot's messages. Each failing part says why (`problem`).

- store: a poll answer could be kept now (room on the filesystem and a committed write, the
  same check the poll job makes before every read), the poll job is not refusing to read,
  and the spool beside the store can be written;
- gateway_poll: the last successful read of every poll endpoint (HealthState, see
  bot/health.py) is younger than `poll_stale_after`; runs that read nothing (backoff,
  garbage, unreachable, the store refusing) do not count;
- telegram: the last call known to have succeeded counts for TELEGRAM_FRESH seconds; getMe
  is tried at most once per that period;
- chats: what the forward job and the alert copies last learnt (a Forbidden answer, a
  chat-wide refusal, a message taken), refreshed by getChat and getChatMember for the bot at
  most once per CHAT_FRESH seconds. A chat that refuses the bot (kicked, left, may not post)
  is unhealthy. An inbox forum where the bot cannot manage topics is a warning only: the
  forward job then posts with a header, and a reply to that message still reaches the phone.

The same answer sets the smsbot_healthy and smsbot_health_ok{part} gauges.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from telegram import ChatMember, ChatMemberAdministrator, ChatMemberOwner, ChatMemberRestricted
from telegram.error import BadRequest, Forbidden

from bot import metrics
from bot.health import HealthState
from bot.store import ROOM_FOR_A_PAGE, Store
from bot.store.errors import failure_kind
from bot.store.spool import Spool, spool_folder
from config import Settings

TELEGRAM_FRESH = 30.0
CHAT_FRESH = 60.0
PROBE_TIMEOUT = 5.0
STORE_TIMEOUT = 5.0
POLL_STALE = 60.0
"""Seconds without a successful read of the gateway before the poll is unhealthy (at least
three poll intervals when SMSBOT_POLL_INTERVAL is long)."""


class HealthChecker:
    def __init__(self, bot: Any, settings: Settings, store: Store, health: HealthState, *,
                 started_at: float | None = None, clock: Callable[[], float] = time.time) -> None:
        self.bot = bot
        self.settings = settings
        self.store = store
        self.health = health
        self.clock = clock
        self.started_at = clock() if started_at is None else started_at
        self._probed_at = -1e18
        self._probe_error: str | None = None
        self._chat_probed: dict[int, float] = {}
        folder = spool_folder(settings.database_path)
        self._spool = Spool(folder) if folder is not None else None

    @property
    def poll_stale_after(self) -> float:
        """A read older than this is a failing poll (the poll job backs off up to minutes)."""
        return max(POLL_STALE, 3 * self.settings.poll_interval)

    async def report(self) -> tuple[bool, dict[str, Any]]:
        parts: dict[str, dict[str, Any]] = {
            "store": await self._store(), "gateway_poll": self._poll(), "telegram": await self._telegram(),
        }
        chats = await self._chats()
        if chats is not None:
            parts["chats"] = chats
        ok = all(part["ok"] for part in parts.values())
        problems = [f"{name}: {part['problem']}" for name, part in parts.items() if not part["ok"]]
        metrics.HEALTHY.set(1 if ok else 0)
        for name, part in parts.items():
            metrics.HEALTH_PART.labels(name).set(1 if part["ok"] else 0)
        return ok, {"ok": ok, **({"problems": problems} if problems else {}), **parts}

    # -- the store -----------------------------------------------------------------------

    async def _store(self) -> dict[str, Any]:
        try:
            await asyncio.wait_for(self.store.check_can_keep(ROOM_FOR_A_PAGE), STORE_TIMEOUT)
        except Exception as exc:  # sqlite3 errors, StoreError, a timeout: all mean "cannot keep"
            what = failure_kind(exc)[1] if not isinstance(exc, TimeoutError) else "the store did not answer"
            return {"ok": False, "writable": False, "error": f"{type(exc).__name__}: {str(exc)[:120]}",
                    "problem": f"the store cannot keep a poll answer: {what}"}
        refusing = self.health.poll_store_error
        if refusing:
            return {"ok": False, "writable": True,
                    "problem": f"the poll job does not read the gateway: {refusing}"}
        if self._spool is not None:
            try:
                await asyncio.to_thread(self._spool.check)
            except OSError as exc:
                return {"ok": False, "writable": True,
                        "problem": f"the spool {self._spool.folder} cannot be written: {exc}"}
        return {"ok": True, "writable": True}

    # -- the gateway ---------------------------------------------------------------------

    def _poll(self) -> dict[str, Any]:
        now = self.clock()
        last_ok = self.health.last_poll_ok
        error = self.health.last_poll_error
        why = f": {error}" if error else ""
        stale = self.poll_stale_after
        if last_ok is None:
            waiting = max(now - self.started_at, 0.0)
            metrics.POLL_LAG.set(waiting)
            ok = waiting < stale
            return {"ok": ok, "last_ok": None, "ago": None, "status": "not yet", "error": error,
                    **({} if ok else {"problem": f"no successful gateway poll in {waiting:.0f} s "
                                                 f"since start{why}"})}
        ago = max(now - float(last_ok), 0.0)
        metrics.POLL_LAG.set(ago)
        ok = ago < stale
        out: dict[str, Any] = {"ok": ok, "last_ok": float(last_ok), "ago": round(ago, 1), "error": error}
        if not ok:
            out["problem"] = f"no successful gateway poll for {ago:.0f} s{why}"
        return out

    # -- Telegram ------------------------------------------------------------------------

    async def _telegram(self) -> dict[str, Any]:
        now = self.clock()
        ok_at = self.health.telegram_ok_at
        if ok_at is not None and now - ok_at < TELEGRAM_FRESH:
            return {"ok": True, "last_ok": ok_at, "ago": round(now - ok_at, 1)}
        if now - self._probed_at >= TELEGRAM_FRESH:
            self._probed_at = now
            try:
                await asyncio.wait_for(self.bot.get_me(), PROBE_TIMEOUT)
            except Exception as exc:  # the type only: never an URL (it would hold the token)
                self._probe_error = f"getMe failed ({type(exc).__name__})"
            else:
                self._probe_error = None
                ok_at = self.health.telegram_ok_at = self.clock()
        if self._probe_error is None and ok_at is not None:
            return {"ok": True, "last_ok": ok_at, "ago": round(max(self.clock() - ok_at, 0.0), 1)}
        error = self._probe_error or "no successful Telegram call yet"
        return {"ok": False, "last_ok": ok_at, "ago": None if ok_at is None else round(now - ok_at, 1),
                "error": error, "problem": error}

    async def _chats(self) -> dict[str, Any] | None:
        settings = self.settings
        roles = [(role, chat_id) for role, chat_id in (("inbox", settings.inbox_chat_id),
                                                        ("alert", settings.alert_chat_id))
                 if chat_id is not None]
        if not roles:
            return None
        out: dict[str, Any] = {"ok": True}
        problems = []
        for role, chat_id in roles:
            now = self.clock()
            if now - self._chat_probed.get(chat_id, -1e18) >= CHAT_FRESH:
                self._chat_probed[chat_id] = now
                await self._probe_chat(chat_id, topics=role == "inbox")
            mark = self.health.chat_mark(chat_id)
            part: dict[str, Any] = {"ok": True, "chat_id": chat_id}
            if mark is not None and mark.problem is not None:
                part.update(ok=False, problem=mark.problem)
                problems.append(f"{role} chat {chat_id}: {mark.problem}")
            elif mark is not None and mark.warning is not None:
                part["warning"] = mark.warning
            out[role] = part
        if problems:
            out.update(ok=False, problem="; ".join(problems))
        return out

    async def _probe_chat(self, chat_id: int, *, topics: bool) -> None:
        """getChat and getChatMember for the bot: note what they say about posting there."""
        try:
            chat = await asyncio.wait_for(self.bot.get_chat(chat_id), PROBE_TIMEOUT)
            member = await asyncio.wait_for(self.bot.get_chat_member(chat_id, self.bot.id), PROBE_TIMEOUT)
        except (Forbidden, BadRequest) as exc:
            self.health.note_chat(chat_id, f"Telegram refuses the bot: {exc}")
            return
        except Exception:  # Telegram unreachable: the telegram part says so; nothing learnt here
            return
        self.health.note_chat(chat_id, member_problem(member),
                  warning=topics_warning(member) if topics and chat.is_forum else None)


def member_problem(member: ChatMember) -> str | None:
    """Why the bot, as this member of a group, cannot post there; None when it can."""
    if member.status in (ChatMember.LEFT, ChatMember.BANNED):
        return f"the bot is not a member of the chat ({member.status}); add it again"
    if isinstance(member, ChatMemberRestricted) and not member.can_send_messages:
        return "the bot may not send messages in the chat; allow it, or make it an admin"
    return None


def topics_warning(member: ChatMember) -> str | None:
    """In a forum inbox: why phones get no topics of their own; None when they do."""
    if isinstance(member, ChatMemberOwner):
        return None
    if isinstance(member, ChatMemberAdministrator) and member.can_manage_topics:
        return None
    return ("the bot is not an admin with 'Manage topics': new phones get no topic, their SMS go "
            "to the General topic with a header")
