"""sendDocument (a file uploaded, or re-sent by file_id, with an optional caption) and getFile
(a file_id -> the file_path the download route serves), with Telegram's limits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import bad
from ..files import MAX_DOWNLOAD, MAX_UPLOAD, StoredFile, document_json, file_json, store_file
from ..model import place
from ..shapes import message_json
from ..state import State
from .content import check_markup, parse_text
from .lookup import resolve_chat
from .messages import resolve_reply, resolve_thread

__all__ = ["HANDLERS", "MAX_CAPTION"]

MAX_CAPTION = 1024


def _document(state: State, value: Any) -> StoredFile | dict[str, Any]:
    """A known file_id's file, or an upload checked and not yet kept (multipart: params.read_params
    keeps its bytes)."""
    if isinstance(value, dict) and isinstance(value.get("content"), bytes):
        if not value["content"]:
            raise bad("file must be non-empty")
        if len(value["content"]) > MAX_UPLOAD:
            raise bad("file is too big")
        return value
    if isinstance(value, str) and value in state.files:
        return state.files[value]
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        raise bad("failed to get HTTP URL content")  # the double fetches nothing from the network
    raise bad("wrong file identifier/HTTP URL specified")


def _caption(params: Mapping[str, Any], strict_ampersand: bool) -> tuple[dict[str, Any], str | None, str | None]:
    """The caption fields of the message, its raw text and its parse mode."""
    raw = params.get("caption")
    if raw is None or raw == "":
        return {}, None, None
    plain, entities, mode = parse_text(raw, params.get("parse_mode"), params.get("caption_entities"),
                                       strict_ampersand=strict_ampersand)
    if len(plain) > MAX_CAPTION:
        raise bad("message caption is too long")
    fields: dict[str, Any] = {"caption": plain}
    if entities:
        fields["caption_entities"] = [dict(e) for e in entities]
    return fields, raw, mode


def send_document(state: State, params: Mapping[str, Any]) -> Any:
    chat = resolve_chat(state, params)
    if params.get("document") in (None, ""):
        raise bad("there is no document in the request")
    caption, raw_caption, mode = _caption(params, state.strict_ampersand)
    thread_id = resolve_thread(chat, params.get("message_thread_id"))
    reply_to = resolve_reply(chat, params)
    markup = check_markup(params.get("reply_markup"))
    document = _document(state, params["document"])
    state.limits.spend(chat)
    stored = document if isinstance(document, StoredFile) else store_file(
        state, document["content"], document.get("file_name"), document.get("mime_type"))
    thread, is_topic, reply, explicit = place(chat, thread_id, reply_to)
    msg = state.new_message(
        chat,
        state.bot_id,
        raw_text=raw_caption,
        parse_mode=mode,
        thread_id=thread,
        is_topic_message=is_topic,
        reply_to=reply,
        explicit_reply=explicit,
        reply_markup=markup,
        content={"document": document_json(stored), **caption},
        by_bot=True,
    )
    return message_json(state, chat, msg)


def get_file(state: State, params: Mapping[str, Any]) -> Any:
    file_id = params.get("file_id")
    if not isinstance(file_id, str) or not file_id:
        raise bad("file_id is empty")
    stored = state.files.get(file_id)
    if stored is None:
        raise bad("invalid file_id")
    if len(stored.content) > MAX_DOWNLOAD:
        raise bad("file is too big")
    return file_json(stored)


HANDLERS = {"sendDocument": send_document, "getFile": get_file}
