"""Errors of the alerts layer: a webhook request refused, worded for the caller.

    AlertError
    ├── BadPayload          the body cannot be read as an alert (not JSON, unknown shape,
    │                       JSON no parser should take: nested too deep, a number too long)
    ├── GroupProblem        no group given, unknown or empty group
    └── AlertNotStored      the store could not commit it (the caller should retry)

The web layer turns them into HTTP statuses; the message goes into {"error": ...}
as is, so it never holds a secret.
"""

from __future__ import annotations


class AlertError(Exception):
    """A webhook request we refuse; the message says what to change."""


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
    """The alert names no group, or one that does not exist or has no members."""

    def __init__(self, message: str, name: str | None = None) -> None:
        self.name = name
        super().__init__(message)


class UnknownAlertGroup(GroupProblem):
    pass


class EmptyAlertGroup(GroupProblem):
    pass


class NoGroup(GroupProblem):
    pass


class AlertNotStored(AlertError):
    """The store failed: nothing was accepted, the sender should try again."""
