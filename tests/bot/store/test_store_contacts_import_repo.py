"""ContactsRepo.apply_import: an import's contacts, groups and members in one transaction, filed
as the book spells them, added to groups and never taken out of them."""

from __future__ import annotations

import sqlite3

import pytest

from bot.store import Contact, Group, Store, StoreError


async def test_an_import_adds_contacts_groups_and_members_as_the_book_spells_them(store: Store) -> None:
    await store.contacts.upsert("Alice", "13800138000")
    await store.contacts.replace_group("OnCall", ["Alice", "13900139000"])
    await store.contacts.apply_import(
        [Contact("ALICE", "13800138001"), Contact("bob", "13700137000")], ["empty"],
        [("oncall", "alice"), ("oncall", "bob"), ("ONCALL", "13900139000"), ("night", "BOB"),
         ("night", "@ONCALL")],
    )
    assert await store.contacts.all() == [Contact("Alice", "13800138001"), Contact("bob", "13700137000")]
    assert await store.contacts.all_groups() == [
        Group("empty", ()), Group("night", ("bob", "@OnCall")), Group("OnCall", ("Alice", "13900139000", "bob"))]


async def test_an_import_that_fails_midway_changes_nothing(store: Store) -> None:
    await store.contacts.upsert("Alice", "13800138000")
    conn = sqlite3.connect(store.db.path, timeout=10)  # another connection, as a fault would come
    try:
        conn.execute("CREATE TRIGGER refuse_boom BEFORE INSERT ON group_members WHEN NEW.member = 'boom' "
                     "BEGIN SELECT RAISE(ABORT, 'boom refused'); END")
        conn.commit()
    finally:
        conn.close()
    with pytest.raises(StoreError, match="boom refused"):
        await store.contacts.apply_import([Contact("alice", "13800138001"), Contact("bob", "13700137000")],
                                          ["g"], [("g", "bob"), ("g", "boom")])
    assert await store.contacts.all() == [Contact("Alice", "13800138000")]
    assert await store.contacts.all_groups() == []
