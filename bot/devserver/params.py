"""Parameters the way the Bot API reads them: from the query string, a form, multipart or JSON,
typed as Telegram types them."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from email import policy
from email.parser import BytesParser
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from .errors import ApiError, bad

__all__ = ["decode_params", "read_params"]

_INT_PARAMS = frozenset(
    {
        "message_id",
        "message_thread_id",
        "reply_to_message_id",
        "offset",
        "limit",
        "timeout",
        "icon_color",
        "user_id",
        "cache_time",
        "max_connections",
    }
)
_BOOL_PARAMS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "allow_sending_without_reply",
        "allow_paid_broadcast",
        "show_alert",
        "drop_pending_updates",
        "disable_web_page_preview",
        "only_if_banned",
    }
)
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "reply_parameters",
        "link_preview_options",
        "allowed_updates",
        "commands",
        "scope",
        "entities",
        "caption_entities",
    }
)
_STR_PARAMS = frozenset(
    {
        "text",
        "caption",
        "name",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "url",
        "action",
        "language_code",
        "icon_custom_emoji_id",
        "secret_token",
        "description",
        "short_description",
        "data",
    }
)


def decode_params(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Turn form values (all strings) into the types Telegram reads them as.

    python-telegram-bot posts every non-string value JSON-encoded, so ``"5"`` is an
    int parameter and ``reply_markup`` is a JSON object; JSON bodies arrive typed.
    """
    out: dict[str, Any] = {}
    for name, value in raw.items():
        if not isinstance(value, str):
            out[name] = value
        elif name == "chat_id":
            out[name] = int(value) if re.fullmatch(r"-?\d+", value.strip()) else value
        elif name in _INT_PARAMS:
            try:
                out[name] = int(value)
            except ValueError:
                raise bad(f"invalid {name} specified") from None
        elif name in _BOOL_PARAMS:
            out[name] = value.strip().lower() in ("true", "1")
        elif name in _JSON_PARAMS or (name not in _STR_PARAMS and value[:1] in ("{", "[")):
            try:
                out[name] = json.loads(value)
            except ValueError:
                if name in _JSON_PARAMS:
                    raise bad(f"can't parse {name} JSON object") from None
                out[name] = value
        else:
            out[name] = value
    return out


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """Form fields of a multipart body; an uploaded file becomes its name, size, type and bytes."""
    message = BytesParser(policy=policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename:  # an upload: sendDocument keeps its bytes
            fields[name] = {"file_name": filename, "file_size": len(payload), "content": payload,
                            "mime_type": part.get_content_type()}
        else:
            fields[name] = payload.decode("utf-8", "replace")
    return fields


async def read_params(request: Request) -> dict[str, Any]:
    """Parameters of one request: query string, then form or JSON body, decoded."""
    raw: dict[str, Any] = dict(request.query_params)
    if request.method == "POST":
        body = await request.body()
        content_type = request.headers.get("content-type", "")
        if body:
            if content_type.startswith("application/json"):
                try:
                    data = json.loads(body)
                except ValueError:
                    raise ApiError(400, "Bad Request: can't parse JSON body") from None
                if not isinstance(data, dict):
                    raise ApiError(400, "Bad Request: JSON body must be an object")
                raw.update(data)
            elif content_type.startswith("multipart/form-data"):
                raw.update(_parse_multipart(content_type, body))
            else:
                raw.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return decode_params(raw)
