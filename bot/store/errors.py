"""Errors of the store layer. Each message says what to change; only StoreDamaged may ever
advise restoring a backup, since the others happen to a good store.

Whatever the backend, a failing store raises a StoreError: the database's own exceptions
are translated at the repositories' edge, keeping their message. The three database kinds
are named as in PEP 249, the vocabulary both sqlite3 and PostgreSQL drivers share.
"""

from __future__ import annotations


class StoreError(Exception):
    """The store cannot do what was asked (locked, unwritable, newer schema)."""


class StoreLocked(StoreError):
    """Another smsbot process holds this store."""


class StoreBusy(StoreError):
    """Another program holds SQLite's own lock on the file (a sqlite3 shell, a backup)."""


class StoreUnwritable(StoreError):
    """The store's file or folder cannot be written: a read-only mount, permissions, an
    immutable attribute. The file itself is fine; the message says what to change around it."""


class StoreDamaged(StoreError):
    """The file is not a SQLite database, or SQLite finds it corrupt."""


class SchemaTooNew(StoreError):
    """The file was written by a newer smsbot; refuse rather than guess."""


class DatabaseError(StoreError):
    """The database failed a statement (a damaged file, an unexpected answer)."""


class OperationalError(DatabaseError):
    """The database could not run a statement: a table missing or changed, the disk full or
    read-only, the database locked or gone. Usually passes once an operator fixed it."""


class IntegrityError(DatabaseError):
    """A write broke a constraint (a key already taken, a row it refers to missing)."""


class StoreFull(StoreError):
    """Too little room on the store's filesystem for what is about to be written."""


_KINDS = (
    ("SQLITE_FULL", "full", "the disk is full"),
    ("SQLITE_READONLY", "read-only", "the store is read-only"),
    ("SQLITE_BUSY", "locked", "the store is locked by another writer"),
    ("SQLITE_LOCKED", "locked", "the store is locked by another writer"),
    ("SQLITE_CORRUPT", "corrupt", "the store is damaged"),
    ("SQLITE_NOTADB", "corrupt", "the store is damaged"),
    ("SQLITE_IOERR", "io", "the store's disk failed"),
    ("SQLITE_CANTOPEN", "io", "the store's file cannot be opened"),
)


def failure_kind(exc: BaseException) -> tuple[str, str]:
    """(kind, a sentence) for an exception out of the store: a fault kind for FaultLog
    ("full", "read-only", "locked", "corrupt", "io", "closed", ...) and what it means."""
    detail = str(exc)[:200] or type(exc).__name__
    if isinstance(exc, StoreFull):
        return "full", detail
    name = (getattr(exc, "sqlite_errorname", None)
            or getattr(exc.__cause__, "sqlite_errorname", None) or "")
    for prefix, kind, meaning in _KINDS:
        if name.startswith(prefix):
            return kind, f"{meaning} ({detail})"
    if isinstance(exc, StoreError) and "closed" in detail:
        return "closed", detail
    if isinstance(exc, OSError):
        return "io", f"the store's disk failed ({detail})"
    return type(exc).__name__, detail
