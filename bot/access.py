"""Who may use the bot. Strangers learn nothing: silence in groups, one neutral line in private."""

from __future__ import annotations

from dataclasses import dataclass

from config import Settings


@dataclass(frozen=True, slots=True)
class AccessPolicy:
    allowed_chats: frozenset[int]
    admins: frozenset[int]

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
