"""A look at the store for `smsbot check`: its schema, its integrity, whether it could be
written and who runs on it, without creating or changing a thing.

Opening a WAL database the usual way, even read-only, leaves `-wal` and `-shm` files beside
it. So a store without a `-wal` file (no connection has it open: every WAL connection keeps
one) is read as `immutable`, which touches nothing; one with a `-wal` file, a running bot's, is
read with `mode=ro` through the files that are already there. A bot starting in the instant
between the two could write pages under an immutable reader; the worst that does is a failed
quick_check, which running the check again settles.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from bot.store import diagnose
from bot.store.errors import StoreUnwritable

SQLITE_HEADER = b"SQLite format 3\x00"


@dataclass(frozen=True, slots=True)
class StoreState:
    path: Path
    exists: bool
    schema: int | None  # None when there is no file yet (`smsbot run` creates it)
    write_problem: str | None  # why it could not be written, with what to change
    held_by: int | None  # pid of the `smsbot run` holding the store's lock


def inspect_store(path: str | Path) -> StoreState:
    """Raises StoreDamaged (not a database, corrupt), StoreBusy, StoreUnwritable (it cannot even
    be read on a read-only mount) or StoreError (a folder)."""
    path = Path(path)
    if path.is_dir():
        raise diagnose.folder_error(path)
    problem = diagnose.write_problem(path)
    if not path.exists():
        return StoreState(path, False, None, problem, None)
    return StoreState(path, True, _read(path, problem), problem, diagnose.lock_holder(path))


def _read(path: Path, problem: str | None) -> int:
    try:
        with path.open("rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StoreUnwritable(f"cannot read the store {path}: {exc.strerror or exc}") from None
    if not head:
        return 0  # an empty file is an empty database: `smsbot run` would set it up
    if head != SQLITE_HEADER:
        raise diagnose.not_a_database(path)
    mode = "mode=ro" if Path(f"{path}-wal").exists() else "immutable=1"
    try:
        conn = sqlite3.connect(f"file:{quote(str(path))}?{mode}", uri=True, timeout=5.0)
    except sqlite3.Error as exc:
        raise _error(path, exc, problem) from None
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        found = [row[0] for row in conn.execute("PRAGMA quick_check(3)")]
    except sqlite3.Error as exc:
        raise _error(path, exc, problem) from None
    finally:
        conn.close()
    if found != ["ok"]:
        raise diagnose.corrupt(path, "; ".join(found))
    return version


def _error(path: Path, exc: sqlite3.Error, problem: str | None) -> Exception:
    if problem is not None and not (getattr(exc, "sqlite_errorname", "") or "").startswith(
            ("SQLITE_NOTADB", "SQLITE_CORRUPT")):
        # e.g. a running bot's -shm that a read-only mount keeps SQLite from opening
        return diagnose.unwritable(path, problem)
    return diagnose.from_sqlite_error(path, exc)
