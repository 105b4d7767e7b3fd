"""The store's face for a second backend: Store holds one repository per Protocol of
interface.py, each SQLite class offers exactly that Protocol's methods with its signature,
and no sqlite3 exception reaches a caller."""

from __future__ import annotations

import asyncio
import inspect
import sqlite3
from pathlib import Path

import pytest

from bot.store import OperationalError, SchemaTooNew, Store, StoreError, interface
from bot.store.schema import SCHEMA_VERSION

REPOSITORIES = {
    "contacts": interface.Contacts,
    "sends": interface.Sends,
    "scheduled": interface.Scheduled,
    "inbound": interface.Inbound,
    "topics": interface.Topics,
    "confirmations": interface.Confirmations,
    "claims": interface.Claims,
    "audit_log": interface.AuditLog,
    "kv": interface.KeyValues,
    "alert_intake": interface.AlertIntake,
    "alert_delivery": interface.AlertDelivery,
    "alert_acks": interface.AlertAcks,
    "alert_copies": interface.AlertCopies,
    "alert_quota": interface.AlertQuota,
}


def _methods(cls: type) -> dict[str, inspect.Signature]:
    return {name: inspect.signature(fn) for name, fn in inspect.getmembers(cls, inspect.isfunction)
            if not name.startswith("_")}


def test_store_holds_one_repository_per_protocol(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    held = {name for name, value in vars(store).items() if name != "db"}
    assert held == set(REPOSITORIES)
    assert len({type(getattr(store, name)) for name in held}) == len(held)


@pytest.mark.parametrize("name", sorted(REPOSITORIES))
def test_each_repository_offers_exactly_its_protocol(tmp_path: Path, name: str) -> None:
    protocol, repo = REPOSITORIES[name], type(getattr(Store(tmp_path / "s.sqlite3"), name))
    wanted, offered = _methods(protocol), _methods(repo)
    assert set(offered) == set(wanted), f"{repo.__name__} and {protocol.__name__} differ"
    for method, signature in wanted.items():
        assert offered[method] == signature, f"{repo.__name__}.{method}{offered[method]} is not {signature}"
        assert inspect.iscoroutinefunction(getattr(repo, method)), f"{repo.__name__}.{method} is not async"


async def test_a_missing_table_is_a_store_error_that_names_it(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    async with Store(path) as store:
        def rename() -> None:  # another connection, as an operator's mistake would be
            conn = sqlite3.connect(path, timeout=10)
            try:
                conn.execute("ALTER TABLE contacts RENAME TO contacts_away")
                conn.commit()
            finally:
                conn.close()

        await asyncio.to_thread(rename)
        with pytest.raises(OperationalError, match="no such table: contacts") as caught:
            await store.contacts.all()
        assert isinstance(caught.value, StoreError) and not isinstance(caught.value, sqlite3.Error)
        assert await store.kv.get("x") is None  # the others still work


async def test_a_closed_store_says_so(tmp_path: Path) -> None:
    store = await Store(tmp_path / "s.sqlite3").open()
    await store.close()
    with pytest.raises(StoreError, match="closed"):
        await store.kv.get("x")


async def test_a_new_store_is_at_the_current_schema_and_writable(tmp_path: Path) -> None:
    async with Store(tmp_path / "s.sqlite3") as store:
        assert await store.schema_version() == SCHEMA_VERSION
        await store.check_writable()


async def test_a_store_of_a_newer_smsbot_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaTooNew):
        await Store(path).open()
