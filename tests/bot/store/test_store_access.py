"""A store that cannot be written, or is damaged, as `smsbot run` and `smsbot check` say it.

We run as root, which ignores file modes, so a read-only store is made the way it happens in
production: a volume mounted read-only (a tmpfs of the test's own, remounted `ro`), or a file
marked immutable (`chattr +i`). A good store that cannot be written must never be called
damaged, nor get advice to restore a backup; a damaged one gets that advice, after keeping a
copy of the file.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import BOT_TOKEN, GATEWAY_PASSWORD, SECRETS

from bot.devserver import BotApiServer
from bot.store import SCHEMA_VERSION, Store, diagnose
from bot.store.errors import StoreBusy
from sms_core.sandbox import SandboxGateway, SandboxServer

TEAM = -100500


class Volume:
    """A tmpfs mounted by the test, which it can turn read-only and back."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def remount(self, mode: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{mode}", str(self.path)], check=True, capture_output=True)


@pytest.fixture
def volume(tmp_path) -> Iterator[Volume]:
    where = tmp_path / "volume"
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(where)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or done.returncode}); as root only a "
                    "read-only mount or an immutable file makes a store unwritable")
    try:
        yield Volume(where)
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(where)], capture_output=True)
        subprocess.run(["chattr", "-R", "-i", str(where)], capture_output=True)
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def chattr(flag: str, path: Path) -> None:
    done = subprocess.run(["chattr", flag, str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"chattr {flag} does not work here: {done.stderr.strip()}")


def make_store(path: Path) -> None:
    async def go() -> None:
        async with Store(path, exclusive=True) as store:
            await store.contacts.upsert("alice", "13800138000")

    asyncio.run(go())


@pytest.fixture
def world(tmp_path):
    sandbox = SandboxServer(SandboxGateway(username="team", password=GATEWAY_PASSWORD)).start()
    api = BotApiServer(token=BOT_TOKEN).start()
    api.add_chat(TEAM, type="supergroup", title="team")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSBOT_")}
    env.update(SMSBOT_TELEGRAM_TOKEN=BOT_TOKEN, SMSBOT_TELEGRAM_API_URL=api.base_url,
               SMSBOT_GATEWAY_URL=sandbox.url, SMSBOT_GATEWAY_USERNAME="team",
               SMSBOT_GATEWAY_PASSWORD=GATEWAY_PASSWORD, SMSBOT_ALLOWED_CHAT_IDS=str(TEAM),
               SMSBOT_HTTP_LISTEN="127.0.0.1:0")
    yield env
    api.stop()
    sandbox.stop()


def smsbot(command: str, env: dict[str, str], store: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    out = subprocess.run([sys.executable, "-m", "bot", command], env={**env, "SMSBOT_DATABASE_PATH": str(store)},
                         cwd=cwd, capture_output=True, text=True, timeout=60)
    assert "Traceback" not in out.stdout + out.stderr
    for secret in SECRETS:
        assert secret not in out.stdout + out.stderr
    return out


def store_line(out: subprocess.CompletedProcess[str]) -> str:
    [line] = [x for x in out.stdout.splitlines() if x.split()[1:2] == ["store:"]]
    return line


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


GOOD_STORE_ADVICE = ("backup", "restore", "move it away", "damaged")


def test_run_and_check_on_a_read_only_volume_say_mount_it_read_write_and_keep_the_store(volume, world, tmp_path):
    store = volume.path / "smsbot.sqlite3"
    make_store(store)
    before = snapshot(volume.path)
    volume.remount("ro")

    run = smsbot("run", world, store, tmp_path)
    assert run.returncode == 1
    last = run.stderr.splitlines()[-1]
    assert last.startswith(f"smsbot: the store {store} cannot be written: {volume.path} is on a read-only "
                           "file system: mount it read-write (in Docker: a volume without :ro)")
    assert "keep the file as it is" in last
    assert not any(word in last for word in GOOD_STORE_ADVICE)

    check = smsbot("check", world, store, tmp_path)
    assert check.returncode == 1
    line = store_line(check)
    assert line.startswith(f"FAIL     store: the store {store} cannot be written: {volume.path} is on a "
                           "read-only file system")
    assert line.endswith(f"; it reads well (schema {SCHEMA_VERSION}, integrity ok)")
    assert not any(word in line for word in GOOD_STORE_ADVICE)
    volume.remount("rw")
    assert snapshot(volume.path) == before


def test_a_new_store_on_a_read_only_volume_names_the_volume(volume, world, tmp_path):
    store = volume.path / "data" / "smsbot.sqlite3"
    volume.remount("ro")
    run = smsbot("run", world, store, tmp_path)
    assert run.returncode == 1
    assert run.stderr.splitlines()[-1].startswith(
        f"smsbot: cannot create the store {store}: {volume.path} is on a read-only file system")
    check = smsbot("check", world, store, tmp_path)
    assert store_line(check).startswith(f"FAIL     store: cannot create the store {store}: {volume.path} is on a "
                                        "read-only file system")


def test_an_immutable_store_file_names_the_attribute(volume, world, tmp_path):
    store = volume.path / "smsbot.sqlite3"
    make_store(store)
    chattr("+i", store)
    run = smsbot("run", world, store, tmp_path)
    assert run.returncode == 1
    last = run.stderr.splitlines()[-1]
    assert f"cannot be written even by root: it is marked immutable or append-only (lsattr shows it; " \
           f"chattr -i {store} clears it)" in last
    assert not any(word in last for word in GOOD_STORE_ADVICE)
    line = store_line(smsbot("check", world, store, tmp_path))
    assert line.startswith("FAIL") and f"chattr -i {store}" in line and "it reads well" in line


def test_a_folder_where_the_lock_cannot_be_made_is_named(volume, world, tmp_path):
    store = volume.path / "smsbot.sqlite3"
    make_store(store)
    os.remove(f"{store}.lock")
    chattr("+i", volume.path)  # no new file in it: neither the lock nor SQLite's -wal
    run = smsbot("run", world, store, tmp_path)
    assert run.returncode == 1
    assert f"{volume.path} cannot be written even by root" in run.stderr.splitlines()[-1]
    assert "FAIL     store:" in smsbot("check", world, store, tmp_path).stdout


def test_a_file_that_is_no_database_gets_keep_a_copy_then_restore(world, tmp_path):
    store = tmp_path / "smsbot.sqlite3"
    store.write_text("this is a text file, not a store\n" * 50)
    for command in ("run", "check"):
        out = smsbot(command, world, store, tmp_path)
        text = out.stderr.splitlines()[-1] if command == "run" else store_line(out)
        assert out.returncode == 1
        assert f"{store} is not a SQLite database" in text
        assert text.index(f"keep a copy of it first (cp {store} {store}.damaged)") < text.index("restore your last backup")
    assert store.read_text().startswith("this is a text file")


def test_a_corrupt_store_gets_keep_a_copy_then_restore(world, tmp_path):
    store = tmp_path / "smsbot.sqlite3"
    make_store(store)
    data = bytearray(store.read_bytes())
    for i in range(4096, len(data), 7):  # every page but the first: the header still says SQLite
        data[i] ^= 0x55
    store.write_bytes(bytes(data))
    for command in ("check", "run"):
        out = smsbot(command, world, store, tmp_path)
        text = store_line(out) if command == "check" else out.stderr.splitlines()[-1]
        assert out.returncode == 1
        assert f"the store {store} is damaged (" in text
        assert text.index("keep a copy of the file and of its -wal file first") < text.index("restore your last backup")


def test_check_never_creates_a_store_nor_its_folder(world, tmp_path):
    store = tmp_path / "data" / "smsbot.sqlite3"
    out = smsbot("check", world, store, tmp_path)
    assert store_line(out) == (f"ok       store: {store} does not exist yet: `smsbot run` creates it (the folder "
                               "is writable)")
    assert not (tmp_path / "data").exists()


def test_check_leaves_a_store_exactly_as_it_was(world, tmp_path):
    folder = tmp_path / "data"
    store = folder / "smsbot.sqlite3"
    make_store(store)
    before = snapshot(folder)
    out = smsbot("check", world, store, tmp_path)
    assert store_line(out) == f"ok       store: {store} writable, schema {SCHEMA_VERSION}, integrity ok"
    assert snapshot(folder) == before  # no -wal, no -shm, no healthcheck row


def test_check_reports_an_older_schema_without_migrating_it(world, tmp_path):
    store = tmp_path / "smsbot.sqlite3"
    make_store(store)
    conn = sqlite3.connect(store)
    conn.execute("PRAGMA user_version = 2")
    conn.close()
    before = snapshot(tmp_path)
    line = store_line(smsbot("check", world, store, tmp_path))
    assert line.startswith(f"ok       store: {store} writable, schema 2, `smsbot run` migrates it to {SCHEMA_VERSION}")
    assert snapshot(tmp_path) == before


def test_a_store_held_by_another_program_says_stop_it_not_restore(tmp_path):
    store = tmp_path / "smsbot.sqlite3"
    holder = sqlite3.connect(store, isolation_level=None)  # a sqlite3 shell in a write transaction
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        waiting = sqlite3.connect(store, timeout=0)
        with pytest.raises(sqlite3.OperationalError) as raised:
            waiting.execute("SELECT * FROM t")
        waiting.close()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    error = diagnose.from_sqlite_error(store, raised.value)
    assert isinstance(error, StoreBusy)
    assert str(error).startswith(f"the store {store} is locked by another program (database is locked): another "
                                 "smsbot on the same file")
    assert "stop or finish it" in str(error)
    assert not any(w in str(error) for w in ("restore", "damaged", "move it away"))  # "a backup" may hold it


def test_a_folder_owned_by_another_user_names_both_users_and_the_chown():
    # the usual Docker mistake: a volume owned by root, the bot running as an unprivileged user.
    # The check runs in a forked child that gives up root (a new interpreter could not start as
    # nobody here: it lives under /root).
    folder = Path(tempfile.mkdtemp(prefix="smsbot-owned-", dir="/tmp"))
    try:
        folder.chmod(0o755)
        store = folder / "smsbot.sqlite3"
        store.write_bytes(b"")
        store.chmod(0o644)
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: no pytest from here on, only os._exit
            try:
                os.setgid(65534)
                os.setuid(65534)
                os.write(write, (diagnose.write_problem(store) or "None").encode())
            finally:
                os._exit(0)
        os.close(write)
        with os.fdopen(read) as f:
            said = f.read()
        os.waitpid(pid, 0)
    finally:
        shutil.rmtree(folder)
    assert said == (f"{folder} is not writable by the user smsbot runs as (uid 65534; it belongs to uid 0, mode "
                    f"755): give it to that user (chown 65534 {folder}) or run smsbot as uid 0")
