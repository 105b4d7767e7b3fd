"""Never read what cannot be kept: the real bot (sandbox gateway, Bot API double) against a store
that cannot write -- a full tmpfs, SQLite refusing to grow, a damaged table -- and the spool
beside the store that keeps what was read when the store refused it."""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import Harness, all_logged, assert_no_secrets, inbox_messages

from bot.store import Store, StoreError, StoreFull
from bot.store.errors import failure_kind
from sms_core import Endpoint

PHONES = ("13900001111", "13900002222")  # two phones: two topics, the backlog packed, few messages


def web_url(h: Harness) -> str:
    return h.runtime.web.url


async def healthz(h: Harness) -> httpx.Response:
    async with httpx.AsyncClient(base_url=web_url(h)) as client:
        return await client.get("/healthz")


def spool_of(h: Harness) -> Path:
    return Path(h.settings.database_path).with_name("smsbot.sqlite3.spool")


def spooled(h: Harness) -> list[Path]:
    return sorted(spool_of(h).glob("*.json"))


def poll_lines(caplog: pytest.LogCaptureFixture, words: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "bot.jobs.poll" and r.levelno >= logging.WARNING
            and words in r.getMessage()]


def inbox_text(h: Harness) -> str:
    return "\n".join(m["text"] for m in inbox_messages(h))


async def more_runs(h: Harness, n: int) -> None:
    """Wait for the poll job to finish `n` more runs."""
    poller = h.runtime.poller
    start = poller.runs
    await h.until(lambda: poller.runs >= start + n, timeout=20)


async def first_good_poll(h: Harness) -> None:
    await h.until(lambda: h.runtime.health.last_poll_ok)


def queue_inbound(h: Harness, n: int, label: str, filler: str = "") -> None:
    for i in range(n):
        h.gateway.add_inbound(PHONES[i % 2], f"{label} {i}{filler}")


# --- a full disk: a real tmpfs ------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs of its own (needs root, as in CI's container); skipped where mounting is not allowed."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> Path:
    """Write into `folder` until its filesystem has no byte left."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 16, 1 << 12, 1):
            chunk = b"\0" * size
            while True:
                try:
                    os.write(fd, chunk)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break
    finally:
        os.close(fd)
    return filler


async def test_a_full_disk_stops_the_reads_and_loses_nothing_once_space_is_freed(
        small_disk: Path, prepared_harness: Any, caplog: pytest.LogCaptureFixture) -> None:
    h = prepared_harness(database_path=small_disk / "smsbot.sqlite3")
    await h.start()
    await first_good_poll(h)
    filler = fill(small_disk)
    queue_inbound(h, 50, "through a full disk")
    for i in range(20):
        h.gateway.add_report(str(8_000_000 + i), "13800000000", 10)
    await more_runs(h, 5)

    # nothing was taken from the gateway while the store could not keep it
    assert len(h.gateway.queued_inbound()) == 50
    assert len(h.gateway.queued_reports()) == 20
    r = await healthz(h)
    assert r.status_code == 503
    assert r.json()["store"]["writable"] is False and "disk is full" in r.json()["store"]["problem"]
    [said] = poll_lines(caplog, "the store cannot keep a poll answer")
    assert said.levelno == logging.ERROR and "disk is full" in said.getMessage()
    assert "not reading the gateway" in said.getMessage()
    assert all(rec.exc_info is None for rec in caplog.records
               if rec.name.startswith("bot.jobs") and rec.levelno >= logging.WARNING)

    filler.unlink()
    store = h.services.store

    async def all_stored() -> bool:
        return await store.inbound.count() == 50 and await store.sends.report_count() == 20

    await h.eventually(all_stored, timeout=20)
    await h.until(lambda: all(f"through a full disk {i}" in inbox_text(h) for i in range(50)), timeout=20)
    assert "the store can keep poll answers again" in caplog.text
    assert (await healthz(h)).status_code == 200


# --- the store refuses an answer already read: the spool --------------------------------------


def _no_growth(conn: sqlite3.Connection) -> int:
    """SQLite's own limit: from now on the store file may not grow (SQLITE_FULL, as on a full disk)."""
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    return conn.execute("PRAGMA freelist_count").fetchone()[0]


def _grow_again(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA max_page_count = 1073741823")


async def read_while_the_store_fills(h: Harness, n: int, label: str) -> None:
    """`n` long SMS (about 30 KB: pages the store must add) are read by a slow answer; while it
    is on its way, the store stops growing. The read was allowed (the store could write then)."""
    await first_good_poll(h)
    h.gateway.add_fault("slow", endpoint="inbound", delay=1.5)
    queue_inbound(h, n, label, " " + "长" * 200)
    await h.until(lambda: not h.gateway.faults)  # the slow read has reached the gateway
    free_pages = await h.services.store.db.run(_no_growth)
    assert free_pages < 4  # the answer needs new pages


async def test_an_answer_the_store_refuses_after_the_read_is_spooled_and_replayed(
        prepared_harness: Any, caplog: pytest.LogCaptureFixture) -> None:
    h = prepared_harness(poll_timeout=10)
    await h.start()
    await read_while_the_store_fills(h, 50, "spooled")
    await h.until(lambda: spooled(h), timeout=15)
    inbound_reads = h.gateway.request_count("inbound")
    await more_runs(h, 3)

    assert h.gateway.queued_inbound() == []  # handed out by the gateway: the spool is all there is
    assert await h.services.store.inbound.count() == 0
    assert h.gateway.request_count("inbound") == inbound_reads  # no read while the store refuses
    [path] = spooled(h)
    kept = json.loads(path.read_text(encoding="utf-8"))
    assert kept["endpoint"] == Endpoint.INBOUND.value and "spooled 49" in kept["body"]
    r = await healthz(h)
    assert r.status_code == 503 and "the poll job does not read the gateway" in r.json()["store"]["problem"]
    assert any("is kept in" in rec.getMessage() for rec in caplog.records if rec.levelno == logging.WARNING)

    await h.services.store.db.run(_grow_again)
    await h.until(lambda: all(f"spooled {i} " in inbox_text(h) for i in range(50)), timeout=20)
    assert spooled(h) == []
    assert await h.services.store.inbound.unparsed_raw() == []
    assert "is back in the store" in caplog.text


async def test_an_answer_neither_store_nor_spool_can_keep_is_logged_whole_for_a_person(
        prepared_harness: Any, caplog: pytest.LogCaptureFixture) -> None:
    h = prepared_harness(poll_timeout=10)
    await h.start()
    await first_good_poll(h)  # the poller has made its spool folder
    folder = spool_of(h)
    shutil.rmtree(folder)
    folder.write_text("a file where the spool folder should be")
    r = await healthz(h)
    assert r.status_code == 503 and "spool" in r.json()["store"]["problem"]
    await read_while_the_store_fills(h, 50, "only in the log")
    said = await h.until(lambda: [rec for rec in caplog.records if rec.levelno == logging.ERROR
                                  and "exists only in this line" in rec.getMessage()], timeout=15)
    line = said[0].getMessage()
    assert "holds 50 SMS" in line
    assert all(f"only in the log {i} " in line for i in range(50))
    assert_no_secrets(all_logged(caplog))

    # what the README tells a person to do: the JSON into the spool folder, and the store freed
    folder.unlink()
    folder.mkdir()
    (folder / "by-hand.json").write_text(line.split("once the store can write: ", 1)[1], encoding="utf-8")
    await h.services.store.db.run(_grow_again)
    await h.until(lambda: all(f"only in the log {i} " in inbox_text(h) for i in range(50)), timeout=20)
    assert list(folder.iterdir()) == []


async def test_a_spool_left_by_a_killed_process_is_replayed_at_the_next_start(
        prepared_harness: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "smsbot.sqlite3.spool"
    body = "2|501;13900001111;left in the spool|502;13900001111;and its second"
    killed = """
import os, signal, sys
from pathlib import Path
from bot.store.spool import Spool
folder = Path(sys.argv[1])
Spool(folder).write(sys.argv[2], sys.argv[3])
(folder / "99999999999999999999-1.tmp").write_text('{"endpoint": "/x", "bo')  # cut by the kill
os.kill(os.getpid(), signal.SIGKILL)
"""
    done = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", killed, str(folder), Endpoint.INBOUND.value, body], check=False)
    assert done.returncode == -signal.SIGKILL
    assert len(list(folder.glob("*.json"))) == 1

    h = prepared_harness()
    await h.start()
    await h.until(lambda: "and its second" in inbox_text(h))
    assert "left in the spool" in inbox_text(h)
    assert [p.name for p in folder.iterdir()] == ["99999999999999999999-1.tmp"]  # kept for a person
    await more_runs(h, 3)
    torn = [r for r in caplog.records if r.levelno == logging.ERROR and "not a whole answer" in r.getMessage()]
    assert len(torn) == 1 and "99999999999999999999-1.tmp" in torn[0].getMessage()


# --- a damaged table ---------------------------------------------------------------------------


def damage_table(path: Path, table: str) -> None:
    """Overwrite the root page of `table` in a closed store file with garbage."""
    conn = sqlite3.connect(path)
    try:
        [root] = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()
        [size] = conn.execute("PRAGMA page_size").fetchone()
    finally:
        conn.close()
    with open(path, "r+b") as f:
        f.seek((root - 1) * size)
        f.write(b"\xa5" * size)


async def test_a_damaged_table_is_one_log_line_per_fault_not_a_traceback_per_run(
        prepared_harness: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "smsbot.sqlite3"
    async with Store(path):
        pass
    damage_table(path, "raw_answers")
    h = prepared_harness()
    h.gateway.add_inbound(PHONES[0], "waits at the gateway")
    await h.start()
    await more_runs(h, 10)

    [said] = poll_lines(caplog, "")
    assert said.levelno == logging.ERROR and "the store is damaged" in said.getMessage()
    assert said.exc_info is None
    assert not any(r.exc_info for r in caplog.records if r.levelno >= logging.WARNING)
    assert [m.text for m in h.gateway.queued_inbound()] == ["waits at the gateway"]
    r = await healthz(h)
    assert r.status_code == 503 and "damaged" in r.json()["store"]["problem"]


async def test_the_store_check_names_each_way_a_store_cannot_keep_an_answer(tmp_path: Path) -> None:
    async with Store(tmp_path / "smsbot.sqlite3") as store:
        await store.check_can_keep()
        with pytest.raises(StoreFull) as full:
            await store.check_can_keep(room=1 << 62)
        assert failure_kind(full.value)[0] == "full" and "disk is full" in str(full.value)
        await store.db.run(lambda c: c.execute("PRAGMA query_only = ON"))
        with pytest.raises(StoreError) as read_only:  # the backend's own error stays inside the store
            await store.check_can_keep()
        assert failure_kind(read_only.value) == ("read-only", f"the store is read-only ({read_only.value})")
    with pytest.raises(StoreError) as closed:
        await store.check_can_keep()
    assert failure_kind(closed.value)[0] == "closed"
