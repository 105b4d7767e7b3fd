"""Errors of the bot layer. Each carries an i18n key and parameters, never a ready text,
so the same refusal reads in English or Chinese.

    BotError
    ├── UnknownContact     .name
    ├── UnknownGroup       .name
    ├── EmptyGroup         .name
    └── Refusal            any other "change this and try again"
"""

from __future__ import annotations


class BotError(Exception):
    key = "error"

    def __init__(self, key: str | None = None, **params: object) -> None:
        if key:
            self.key = key
        self.params = params
        super().__init__(self.key)


class UnknownContact(BotError):
    key = "unknown_contact"

    def __init__(self, name: str) -> None:
        super().__init__(name=name)


class UnknownGroup(BotError):
    key = "unknown_group"

    def __init__(self, name: str) -> None:
        super().__init__(name=name)


class EmptyGroup(BotError):
    key = "empty_group"

    def __init__(self, name: str) -> None:
        super().__init__(name=name)


class Refusal(BotError):
    """A refusal worded by `key`."""
