"""What the SQLite repositories share: the Database, one transaction per call, and
sqlite3's exceptions turned into the store's own (errors.py), so that no caller sees
the backend."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from bot.store.db import Database
from bot.store.errors import DatabaseError, IntegrityError, OperationalError

T = TypeVar("T")


@contextlib.contextmanager
def sqlite_errors() -> Iterator[None]:
    """Raise sqlite3's exceptions as StoreError subclasses (the message kept: it never holds
    a statement's values)."""
    try:
        yield
    except sqlite3.IntegrityError as exc:
        raise IntegrityError(str(exc)) from exc
    except sqlite3.OperationalError as exc:
        raise OperationalError(str(exc)) from exc
    except sqlite3.Error as exc:
        raise DatabaseError(str(exc)) from exc


class SqliteRepo:
    """A repository on one Database: its methods run module-level `fn(conn, ...)` helpers,
    each call one transaction on the store's thread."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        with sqlite_errors():
            return await self.db.run(fn, *args)
