"""Who may use the bot. Strangers learn nothing: silence in groups, one neutral line in private."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.throttle import AuditThrottle
from config import Settings


@dataclass(frozen=True, slots=True)
class StrangerRow:
    """One audit row about strangers (kind "stranger")."""

    chat_id: int | None
    user_id: int | None
    detail: str


class StrangerAudit:
    """Which strangers' updates are written to the audit log: one row per user and chat a
    minute, the next row counting the ones in between (bot.throttle). Anyone can add the bot
    to a group and type there; every row is a commit on the store's one thread."""

    def __init__(self, throttle: AuditThrottle | None = None) -> None:
        self.throttle = throttle or AuditThrottle()

    def rows(self, chat_id: int | None, user_id: int | None, what: str) -> list[StrangerRow]:
        """The rows to write for this update (often none), and for counts no later update carried."""
        out: list[StrangerRow] = []
        admitted = self.throttle.admit((chat_id, user_id))
        if admitted is not None:
            more = (f"; {admitted.count} more from this user in this chat in the "
                    f"{self.throttle.window:.0f} s after the last one recorded") if admitted.count else ""
            out.append(StrangerRow(chat_id, user_id, what + more))
        for entry in self.throttle.overdue():
            chat, user = entry.source if isinstance(entry.source, tuple) else (None, None)
            whom = "from this user in this chat" if isinstance(entry.source, tuple) else f"from {entry.source}"
            out.append(StrangerRow(chat, user, f"{entry.count} more {whom} in the "
                                               f"{self.throttle.window:.0f} s after the last one recorded"))
        return out


class PrivateRefusals:
    """When a stranger writing to the bot in private gets the one neutral line again: once per
    `interval` seconds, not once per message."""

    def __init__(self, interval: float = 600.0, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self._said: dict[int | None, float] = {}

    def due(self, user_id: int | None) -> bool:
        now = self.clock()
        if now - self._said.get(user_id, -1e18) <= self.interval:
            return False
        self._said[user_id] = now
        return True


@dataclass(frozen=True, slots=True)
class AccessPolicy:
    allowed_chats: frozenset[int]
    admins: frozenset[int]
    strangers: StrangerAudit = field(default_factory=StrangerAudit, compare=False, repr=False)
    private_refusals: PrivateRefusals = field(default_factory=PrivateRefusals, compare=False, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> AccessPolicy:
        chats = set(settings.allowed_chat_ids)
        # The inbox and alert chats are where the team answers phones and sees alerts.
        chats.update(c for c in (settings.inbox_chat_id, settings.alert_chat_id) if c is not None)
        return cls(frozenset(chats), frozenset(settings.admin_user_ids))

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.admins

    def allows(self, chat_id: int | None, chat_type: str | None, user_id: int | None) -> bool:
        if chat_id is None:
            return False
        if chat_id in self.allowed_chats:
            return True
        return chat_type == "private" and self.is_admin(user_id)
