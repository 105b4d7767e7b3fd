"""Errors of the store layer.

Whatever the backend, a failing store raises a StoreError: the database's own exceptions
are translated at the repositories' edge, keeping their message. The three database kinds
are named as in PEP 249, the vocabulary both sqlite3 and PostgreSQL drivers share.
"""

from __future__ import annotations


class StoreError(Exception):
    """The store cannot do what was asked (locked, unwritable, newer schema)."""


class StoreLocked(StoreError):
    """Another smsbot process holds this store."""


class SchemaTooNew(StoreError):
    """The file was written by a newer smsbot; refuse rather than guess."""


class DatabaseError(StoreError):
    """The database failed a statement (a damaged file, an unexpected answer)."""


class OperationalError(DatabaseError):
    """The database could not run a statement: a table missing or changed, the disk full or
    read-only, the database locked or gone. Usually passes once an operator fixed it."""


class IntegrityError(DatabaseError):
    """A write broke a constraint (a key already taken, a row it refers to missing)."""
