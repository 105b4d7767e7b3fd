"""What keeps a store from opening, in words that say what to change. Writes nothing.

The words matter most for a good store that cannot be written (a read-only volume, a file
owned by another user, an immutable attribute): the fix is the mount or the permissions, and
advice to "restore a backup" would have an operator throw away the newest data. Only a file
that is not a SQLite database, or that SQLite finds corrupt, is called damaged.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

from bot.store.errors import StoreBusy, StoreDamaged, StoreError, StoreUnwritable

SIDE_FILES = ("-wal", "-shm", ".lock")
"""Files beside the store: SQLite's write-ahead log and its index, and smsbot's lock."""

BACKUP_HINT = "see 'Backing up the store' in the README"


def side_files(path: Path) -> list[Path]:
    return [Path(f"{path}{suffix}") for suffix in SIDE_FILES]


def folder_error(path: Path) -> StoreError:
    return StoreError(f"{path} is a folder; SMSBOT_DATABASE_PATH names the store's file, e.g. data/smsbot.sqlite3")


def write_problem(path: Path) -> str | None:
    """Why smsbot could not write the store at `path` (its file, its folder, the files beside
    it), or None when it can. Only looks: stat and access(2), which answers for root too on a
    read-only mount (EROFS) or an immutable file (EPERM)."""
    folder = path.parent
    while not folder.exists() and folder != folder.parent:  # run would make the missing folders
        folder = folder.parent
    if _read_only_fs(folder):
        return f"{folder} is on a read-only file system: mount it read-write (in Docker: a volume without :ro)"
    for where in (folder, path, *side_files(path)):
        if where.exists() and not _writable(where):
            return denied(where)
    return None


def _read_only_fs(where: Path) -> bool:
    try:
        return bool(os.statvfs(where).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _writable(where: Path) -> bool:
    flags = os.W_OK | (os.X_OK if where.is_dir() else 0)
    return os.access(where, flags, effective_ids=os.access in os.supports_effective_ids)


def denied(where: Path) -> str:
    """Why the user smsbot runs as may not write `where`."""
    uid = os.geteuid()
    if uid == 0:  # root passes every permission check: what stops it is an attribute
        return (f"{where} cannot be written even by root: it is marked immutable or append-only "
                f"(lsattr shows it; chattr -i {where} clears it)")
    try:
        st = where.stat()
    except OSError:
        return f"{where} cannot be written by the user smsbot runs as (uid {uid})"
    return (f"{where} is not writable by the user smsbot runs as (uid {uid}; it belongs to uid {st.st_uid}, "
            f"mode {st.st_mode & 0o777:o}): give it to that user (chown {uid} {where}) or run smsbot as "
            f"uid {st.st_uid}")


def unwritable(path: Path, problem: str) -> StoreUnwritable:
    if path.exists():
        return StoreUnwritable(f"the store {path} cannot be written: {problem}. This is about access, not about "
                               "the store's content: keep the file as it is")
    return StoreUnwritable(f"cannot create the store {path}: {problem}; or set SMSBOT_DATABASE_PATH to a "
                           "writable place")


def from_os_error(path: Path, exc: OSError, where: Path) -> StoreError:
    """An OSError met while making the store's folder or its lock file at `where`."""
    if exc.errno == errno.EROFS:
        return unwritable(path, f"{where} is on a read-only file system: mount it read-write "
                                "(in Docker: a volume without :ro)")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return unwritable(path, write_problem(path) or denied(where))
    if exc.errno == errno.ENOSPC:
        return StoreError(f"the disk holding {path} is full: free some space")
    return StoreError(f"cannot open the store {path}: {where}: {exc.strerror or exc}")


def from_sqlite_error(path: Path, exc: sqlite3.Error) -> StoreError:
    """SQLite's error on opening or reading the store, as a StoreError that says what to do."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")):
        problem = write_problem(path)
        if problem is not None:
            return unwritable(path, problem)
        return StoreError(f"SQLite cannot open the store {path} ({exc}): check that the file and its folder "
                          "are readable and writable by the user smsbot runs as")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return StoreBusy(f"the store {path} is locked by another program ({exc}): another smsbot on the same "
                         "file (perhaps in another container sharing the volume), a sqlite3 shell or a backup "
                         "holding a transaction; stop or finish it, then try again")
    if name == "SQLITE_NOTADB":
        return not_a_database(path)
    if name.startswith("SQLITE_CORRUPT"):
        return corrupt(path, str(exc))
    if name.startswith("SQLITE_FULL"):
        return StoreError(f"the disk holding {path} is full: free some space")
    if name.startswith("SQLITE_IOERR") and (problem := write_problem(path)) is not None:
        return unwritable(path, problem)
    return StoreError(f"cannot open the store {path}: {exc}")


def not_a_database(path: Path) -> StoreDamaged:
    return StoreDamaged(f"{path} is not a SQLite database, so no smsbot store: if SMSBOT_DATABASE_PATH names "
                        f"the wrong file, correct it; if this was the store, keep a copy of it first "
                        f"(cp {path} {path}.damaged), then restore your last backup ({BACKUP_HINT})")


def corrupt(path: Path, detail: str) -> StoreDamaged:
    return StoreDamaged(f"the store {path} is damaged ({detail}): stop smsbot, keep a copy of the file and of "
                        f"its -wal file first (cp {path} {path}-wal to a safe place), then restore your last "
                        f"backup ({BACKUP_HINT})")


def lock_holder(path: Path) -> int | None:
    """The pid holding smsbot's lock on `path` (a running `smsbot run`), from /proc/locks, or
    None (Linux lists no lock of a process in another container). Only reads: taking the
    lock, even for a moment, could turn away a bot starting then."""
    lock = Path(f"{path}.lock")
    try:
        st = lock.stat()
        table = Path("/proc/locks").read_text()
    except OSError:
        return None
    dev = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    for line in table.splitlines():
        fields = line.split()
        # "1: FLOCK  ADVISORY  WRITE 1234 00:2f:5678 0 EOF"; "->" marks a waiter
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[-3] == dev and "->" not in fields:
            pid = fields[-4]
            return int(pid) if pid.isdigit() and int(pid) > 0 else None
    return None
