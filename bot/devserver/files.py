"""Files the double keeps: documents people send and documents the bot uploads, each with a
``file_id`` that ``getFile`` turns into a ``file_path``, downloaded from
``/file/bot<token>/<file_path>`` as Telegram serves them.

The records live in ``State.files`` (under the state's lock) and are changed only here.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .state import State

__all__ = [
    "MAX_DOWNLOAD",
    "MAX_UPLOAD",
    "StoredFile",
    "document_json",
    "file_json",
    "find_by_path",
    "store_file",
]

MAX_DOWNLOAD = 20 * 1024 * 1024
"""Bytes a bot may download with getFile (Telegram's limit for the cloud Bot API)."""
MAX_UPLOAD = 50 * 1024 * 1024
"""Bytes a bot may upload in one sendDocument."""


@dataclass(frozen=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    file_name: str | None
    mime_type: str | None
    content: bytes


def store_file(state: State, content: bytes, file_name: str | None, mime_type: str | None) -> StoredFile:
    """Keep a document's bytes under a fresh file_id (call under the state's lock)."""
    unique = state.unique_id()
    ext = posixpath.splitext(file_name or "")[1].lower()
    if not ext[1:].isalnum() or len(ext) > 9:
        ext = ""
    stored = StoredFile(
        file_id=f"BQACAgIAAxkBAAE{unique}",
        file_unique_id=f"AgAD{unique}",
        file_path=f"documents/file_{len(state.files)}{ext}",
        file_name=file_name,
        mime_type=mime_type,
        content=bytes(content),
    )
    state.files[stored.file_id] = stored
    return stored


def document_json(stored: StoredFile) -> dict[str, Any]:
    """The Document object a message carries."""
    out: dict[str, Any] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.content),
    }
    if stored.file_name:
        out["file_name"] = stored.file_name
    if stored.mime_type:
        out["mime_type"] = stored.mime_type
    return out


def file_json(stored: StoredFile) -> dict[str, Any]:
    """The File object getFile answers."""
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.content),
        "file_path": stored.file_path,
    }


def find_by_path(state: State, file_path: str) -> StoredFile | None:
    """The file getFile named ``file_path``."""
    with state.lock:
        return next((f for f in state.files.values() if f.file_path == file_path), None)
