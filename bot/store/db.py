"""SQLite on one dedicated thread, so the event loop never waits on disk.

Every call runs a plain function `fn(conn, *args)` on that thread inside one
transaction: it commits when `fn` returns and rolls back when it raises. That is
the only way the rest of the store touches SQLite.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from bot.store import diagnose
from bot.store.errors import SchemaTooNew, StoreError, StoreLocked
from bot.store.schema import MIGRATIONS, SCHEMA_VERSION

log = logging.getLogger(__name__)
T = TypeVar("T")


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10.0)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    if path != ":memory:":
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")  # a committed poll answer must survive a power cut
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema forward; returns the version it started at."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"the store was written by a newer smsbot (schema {version}, this one knows {SCHEMA_VERSION}); "
            "upgrade smsbot or point SMSBOT_DATABASE_PATH at another file"
        )
    for number in range(version, SCHEMA_VERSION):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(MIGRATIONS[number]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number + 1}")
            conn.execute("COMMIT")
        except Exception:
            conn.execute("ROLLBACK")
            raise
        log.info("store migrated to schema %d", number + 1)
    return version


def _statements(script: str) -> list[str]:
    """Split a migration into statements (executescript would commit on its own)."""
    out: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        stripped = line.split("--", 1)[0] if "--" in line else line
        buf += stripped
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out


def _prepare(path: Path) -> None:
    """The store's folder made; a folder named as the store refused (SQLite would say only
    "disk I/O error"), and a store that could not be written refused before anything is read,
    in words that say what to change (bot/store/diagnose.py)."""
    if path.is_dir():
        raise diagnose.folder_error(path)
    problem = diagnose.write_problem(path)
    if problem is not None:
        raise diagnose.unwritable(path, problem)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise diagnose.from_os_error(path, exc, path.parent) from None


class Database:
    """One SQLite file, one thread, one optional process lock."""

    def __init__(self, path: str | Path, *, exclusive: bool = False) -> None:
        self.path = str(path)
        self.exclusive = exclusive
        self._executor: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None
        self._lock_fd: int | None = None

    # -- lifecycle ---------------------------------------------------------

    async def open(self) -> None:
        if self.path != ":memory:":
            _prepare(Path(self.path))
        if self.exclusive:
            self._take_lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="smsbot-store")
        try:
            self._conn = await self._submit(_connect, self.path)
            await self._submit(migrate, self._conn)
        except sqlite3.Error as exc:
            await self.close()
            raise diagnose.from_sqlite_error(Path(self.path), exc) from None
        except StoreError:
            await self.close()
            raise

    def _take_lock(self) -> None:
        lock_path = self.path + ".lock"
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise diagnose.from_os_error(Path(self.path), exc, Path(lock_path)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = ""
            with contextlib.suppress(OSError):
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            os.close(fd)
            raise StoreLocked(
                f"another smsbot is already running on {self.path}"
                + (f" (pid {holder})" if holder else "")
                + ": stop it first; two bots would fight over Telegram updates and the gateway's replies"
            ) from None
        self._lock_fd = fd
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        except OSError as exc:  # a full disk: the lock holds all the same, the pid is for people
            log.warning("could not write the pid into %s: %s", lock_path, exc.strerror or exc)

    async def close(self) -> None:
        if self._conn is not None and self._executor is not None:
            conn = self._conn
            self._conn = None
            with contextlib.suppress(Exception):
                await self._submit(conn.close)
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
                os.close(self._lock_fd)
            self._lock_fd = None

    async def __aenter__(self) -> Database:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- running -------------------------------------------------------------

    async def _submit(self, fn: Callable[..., T], *args: Any) -> T:
        if self._executor is None:
            raise StoreError("the store is closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, *args)

    def free_bytes(self) -> int | None:
        """Bytes an unprivileged writer may still use on the store's filesystem (None: in memory)."""
        if self.path == ":memory:":
            return None
        st = os.statvfs(Path(self.path).parent)
        return st.f_bavail * st.f_frsize

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(conn, *args)` in one transaction on the store thread."""
        conn = self._conn
        if conn is None:
            raise StoreError("the store is closed")
        return await self._submit(_in_transaction, conn, fn, args)


def _in_transaction(conn: sqlite3.Connection, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = fn(conn, *args)
    except BaseException:
        if conn.in_transaction:  # SQLite has rolled back itself after SQLITE_FULL or an I/O error:
            conn.execute("ROLLBACK")  # a second ROLLBACK would hide that error behind its own
        raise
    try:
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")  # a failed COMMIT leaves the transaction open
        raise
    return result


def read_schema_version(path: str | Path) -> int | None:
    """The schema version of a store file without changing it; None when there is no file."""
    if str(path) != ":memory:" and not Path(path).exists():
        return None
    if Path(path).is_dir():
        _prepare(Path(path))  # says what is wrong
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()
