"""What a bot may put into a message: a text in a parse mode, and an inline keyboard,
checked as Telegram checks them (HTML entities by ``markup.parse_html``)."""

from __future__ import annotations

import copy
from typing import Any

from ..errors import bad
from ..markup import EntityParseError, parse_html

__all__ = ["MAX_TEXT", "check_markup", "parse_text"]

MAX_TEXT = 4096


def parse_text(
    text: Any, parse_mode: Any, entities: Any, *, strict_ampersand: bool
) -> tuple[str, tuple[dict[str, Any], ...], str | None]:
    """Validate a text as Telegram does; return plain text, entities, parse mode."""
    if not isinstance(text, str) or text == "":
        raise bad("message text is empty")
    mode = parse_mode if isinstance(parse_mode, str) and parse_mode else None
    if mode is not None and mode.lower() not in ("html", "markdown", "markdownv2"):
        raise bad(f"unsupported parse_mode {mode!r}")
    if mode is not None and mode.lower() == "html":
        try:
            parsed = parse_html(text, strict_ampersand=strict_ampersand)
        except EntityParseError as exc:
            raise bad(f"can't parse entities: {exc}") from None
        plain, found = parsed.text, parsed.entities
    else:
        # Markdown is not parsed: the text is kept as sent.
        plain = text
        found = tuple(dict(e) for e in entities) if isinstance(entities, list) else ()
    if not plain.strip():
        raise bad("message text is empty")
    if len(plain) > MAX_TEXT:
        raise bad("message is too long")
    return plain, found, mode


def check_markup(markup: Any) -> dict[str, Any] | None:
    """Validate an inline keyboard; only those are attached to the message."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        return None  # reply keyboards are shown to people, not stored on the message
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise bad("BUTTON_TEXT_INVALID")
            data = button.get("callback_data")
            if data is not None and not (1 <= len(str(data).encode("utf-8")) <= 64):
                raise bad("BUTTON_DATA_INVALID")
            actions = [k for k in button if k != "text"]
            if len(actions) != 1:
                raise bad(
                    "can't parse inline keyboard button: Text buttons are unallowed in the "
                    "inline keyboard"
                )
    return copy.deepcopy(markup) if any(rows) else None
