"""Errors of the alerts layer: a webhook request refused, worded for the caller.

    AlertError (a BotError)  .reason (Reason.WEBHOOK_*), .params
    ├── BadPayload          the body cannot be read as an alert (not JSON, unknown shape,
    │                       JSON no parser should take: nested too deep, a number too long)
    ├── GroupProblem        no group given, unknown or empty group
    └── AlertNotStored      the store could not commit it (the caller should retry)

The web layer turns them into HTTP statuses and words them from the catalogues, in English
and Chinese; `str()` of one is its English wording, so it never holds a secret.
"""

from __future__ import annotations

from bot.errors import BotError, Reason
from bot.i18n import plain


class AlertError(BotError):
    """A webhook request we refuse; the wording says what to change."""

    def __init__(self, reason: Reason, /, **params: object) -> None:
        super().__init__(reason, **params)

    def __str__(self) -> str:
        return self.words("en")

    def words(self, lang: str) -> str:
        """The refusal in `lang`, as plain text (not Telegram's HTML)."""
        return plain(self.reason, lang, **self.params)


class BadPayload(AlertError):
    """Not JSON, or JSON of no shape we know."""


class NotJson(BadPayload):
    pass


class UnknownShape(BadPayload):
    pass


class UnusableJson(BadPayload):
    """Well-formed JSON that would fail the same way on every retry: nested deeper than any
    alert is, or a number with more digits than Python converts. Refused with a 4xx, so that
    Alertmanager does not retry it forever."""


class GroupProblem(AlertError):
    """The alert names no group, or one that does not exist or has no members. The wording
    shows at most 64 characters of the name."""

    def __init__(self, reason: Reason, /, name: str | None = None, **params: object) -> None:
        self.name = name
        super().__init__(reason, **({"name": name[:64]} if name is not None else {}), **params)


class UnknownAlertGroup(GroupProblem):
    def __init__(self, name: str) -> None:
        super().__init__(Reason.WEBHOOK_UNKNOWN_GROUP, name=name)


class EmptyAlertGroup(GroupProblem):
    def __init__(self, name: str) -> None:
        super().__init__(Reason.WEBHOOK_EMPTY_GROUP, name=name)


class NoGroup(GroupProblem):
    def __init__(self, label: str) -> None:
        super().__init__(Reason.WEBHOOK_NO_GROUP, label=label)


class AlertNotStored(AlertError):
    """The store failed: nothing was accepted, the sender should try again."""
