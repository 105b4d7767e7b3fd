"""ContactsRepo: contacts and groups, names compared whatever their case."""

from __future__ import annotations

from bot.store import Contact, Group, Store


async def test_a_contact_is_new_once_and_renumbered_after(store: Store) -> None:
    contacts = store.contacts
    assert await contacts.upsert("Alice", "13800138000") is True
    assert await contacts.upsert("ALICE", "13800138001") is False
    assert await contacts.get("alice") == Contact("Alice", "13800138001")
    assert await contacts.get("bob") is None


async def test_contacts_are_listed_by_name_whatever_the_case(store: Store) -> None:
    for name in ("carol", "Bob", "alice"):
        await store.contacts.upsert(name, "13800138000")
    assert [c.name for c in await store.contacts.all()] == ["alice", "Bob", "carol"]


async def test_a_phone_names_its_oldest_contact(store: Store) -> None:
    await store.contacts.upsert("first", "13800138000")
    await store.contacts.upsert("second", "13800138000")
    assert await store.contacts.for_phone("13800138000") == Contact("first", "13800138000")
    assert await store.contacts.for_phone("13900139000") is None


async def test_a_deleted_contact_is_gone_and_deleting_it_again_says_so(store: Store) -> None:
    await store.contacts.upsert("Alice", "13800138000")
    assert await store.contacts.delete("alice") is True
    assert await store.contacts.delete("alice") is False
    assert await store.contacts.all() == []


async def test_a_group_keeps_its_members_in_order_once_each(store: Store) -> None:
    assert await store.contacts.replace_group("oncall", ["Alice", "13900139000", "Alice"]) is True
    assert await store.contacts.get_group("OnCall") == Group("oncall", ("Alice", "13900139000"))
    assert await store.contacts.replace_group("ONCALL", ["13900139000"]) is False
    assert (await store.contacts.get_group("oncall")).members == ("13900139000",)


async def test_groups_are_listed_by_name_and_deleted_with_their_members(store: Store) -> None:
    await store.contacts.replace_group("ops", ["a"])
    await store.contacts.replace_group("Dba", ["b", "c"])
    assert await store.contacts.all_groups() == [Group("Dba", ("b", "c")), Group("ops", ("a",))]
    assert await store.contacts.delete_group("dba") is True
    assert await store.contacts.delete_group("dba") is False
    assert await store.contacts.groups_with_member("b") == []


async def test_the_groups_naming_a_member_are_found_whatever_its_case(store: Store) -> None:
    await store.contacts.replace_group("ops", ["Alice", "@dba"])
    await store.contacts.replace_group("Night", ["alice"])
    await store.contacts.replace_group("dba", ["bob"])
    assert await store.contacts.groups_with_member("ALICE") == ["Night", "ops"]
    assert await store.contacts.groups_with_member("@DBA") == ["ops"]
