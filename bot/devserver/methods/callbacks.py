"""answerCallbackQuery: each button press is answered at most once, briefly."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import bad
from ..state import State

__all__ = ["HANDLERS"]


def answer_callback_query(state: State, params: Mapping[str, Any]) -> Any:
    entry = state.callbacks.get(str(params.get("callback_query_id", "")))
    if entry is None or entry["answered"]:
        raise bad("query is too old and response timeout expired or query ID is invalid")
    if len(str(params.get("text") or "")) > 200:
        raise bad("MESSAGE_TOO_LONG")
    entry["answered"] = True
    entry["answer"] = {k: v for k, v in params.items() if k != "callback_query_id"}
    return True


HANDLERS = {"answerCallbackQuery": answer_callback_query}
