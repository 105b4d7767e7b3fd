"""The Bot API methods the double answers: one module per group, one dispatch table.

Every handler takes the shared ``State`` and the decoded parameters, runs under the
state's lock, and returns the ``result`` or raises ``ApiError``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..limits import RATE_LIMITED_METHODS
from ..state import State
from . import callbacks, chats, documents, edits, me, messages, polling, topics

__all__ = ["HANDLERS", "Handler", "canonical", "find_handler"]

Handler = Callable[[State, Mapping[str, Any]], Any]

#: Method name as documented -> handler.
HANDLERS: dict[str, Handler] = {
    **me.HANDLERS,
    **polling.HANDLERS,
    **messages.HANDLERS,
    **documents.HANDLERS,
    **edits.HANDLERS,
    **callbacks.HANDLERS,
    **topics.HANDLERS,
    **chats.HANDLERS,
}
_BY_LOWER = {name.lower(): handler for name, handler in HANDLERS.items()}
_CANONICAL = {name.lower(): name for name in HANDLERS}
assert RATE_LIMITED_METHODS <= set(HANDLERS)


def find_handler(method: str) -> Handler | None:
    """The handler of a method; Telegram method names are case-insensitive."""
    return _BY_LOWER.get(method.lower())


def canonical(method: str) -> str:
    """A method's name as documented (``sendmessage`` -> ``sendMessage``), for the log."""
    return _CANONICAL.get(method.lower(), method)
