"""The spool: poll answers the store could not commit, one file each, beside the store.

A poll answer exists nowhere else once the gateway handed it out. When the store
refuses it (disk full, locked, damaged), the answer is written to a file in a
folder next to the database file (`smsbot.sqlite3.spool/`), flushed to disk
(file and folder), and replayed into the store before the next read.

A file is JSON, so that a person can read it, move it, or write one by hand:

    {"endpoint": "/inbound path", "received_at": 1764089000.1, "body": "2|101;139...|..."}

It is written to a `.tmp` name, fsync'd, renamed to `.json` and the folder fsync'd:
a `.json` file is always whole. A `.tmp` file is what a crash in the middle left;
it is replayed if it reads whole, else kept for a person.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from sms_core.redaction import redact

SUFFIX = ".json"
PARTIAL = ".tmp"


@dataclass(frozen=True, slots=True)
class SpooledAnswer:
    path: Path
    endpoint: str
    body: str
    received_at: float


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A spool file that is not a whole answer (cut by a crash, or edited by hand)."""

    path: Path
    problem: str


def spool_folder(database_path: str | Path) -> Path | None:
    """The spool beside a store file; None for a store in memory."""
    if str(database_path) == ":memory:":
        return None
    path = Path(database_path)
    return path.with_name(path.name + ".spool")


def as_json(endpoint: str, body: str, received_at: float) -> str:
    """The content of a spool file (also what the ERROR line shows when no file can be written),
    with the gateway password blanked as in raw_answers: a gateway's error page may echo it."""
    return json.dumps({"endpoint": endpoint, "received_at": received_at, "body": redact(body)},
                      ensure_ascii=False)


class Spool:
    """One folder of spooled answers. Blocking file I/O: call it through a thread."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def check(self) -> None:
        """Raise OSError unless a file can be written, flushed and removed here."""
        self.folder.mkdir(parents=True, exist_ok=True)
        probe = self.folder / f".probe-{os.getpid()}{PARTIAL}"
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, b"ok")
            os.fsync(fd)
        finally:
            os.close(fd)
        probe.unlink()
        _fsync_folder(self.folder)

    def write(self, endpoint: str, body: str, received_at: float | None = None) -> Path:
        """Keep one answer; returns its file once it is on disk. Raises OSError."""
        at = time.time() if received_at is None else received_at
        name = f"{time.time_ns():020d}-{os.getpid()}"
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = self.folder / (name + PARTIAL)
        final = self.folder / (name + SUFFIX)
        data = as_json(endpoint, body, at).encode("utf-8")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        except OSError:
            os.close(fd)
            with contextlib.suppress(OSError):
                partial.unlink()
            raise
        os.close(fd)
        os.replace(partial, final)
        _fsync_folder(self.folder)
        return final

    def pending(self) -> tuple[list[SpooledAnswer], list[Unreadable]]:
        """The answers waiting, oldest first, and the files that cannot be read as one."""
        if not self.folder.is_dir():
            return [], []
        answers: list[SpooledAnswer] = []
        broken: list[Unreadable] = []
        for path in sorted(self.folder.iterdir()):
            if path.name.startswith(".probe-") or path.suffix not in (SUFFIX, PARTIAL):
                continue
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                answers.append(SpooledAnswer(path, str(data["endpoint"]), str(data["body"]),
                                             float(data.get("received_at") or 0.0)))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                broken.append(Unreadable(path, f"{type(exc).__name__}: {exc}"[:200]))
        return answers, broken

    def remove(self, answer: SpooledAnswer) -> None:
        """Forget an answer the store has committed."""
        answer.path.unlink(missing_ok=True)
        _fsync_folder(self.folder)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
