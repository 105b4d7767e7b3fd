"""Errors of the store layer. Each message says what to change; only StoreDamaged may ever
advise restoring a backup, since the others happen to a good store."""

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
