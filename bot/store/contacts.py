"""Contacts and contact groups (names compare case-insensitively; a group keeps its order)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence

from bot.store.models import Contact, Group
from bot.store.repo import SqliteRepo


class ContactsRepo(SqliteRepo):
    """The address book: contacts by name, and groups of numbers, contact names or '@group'."""

    async def upsert(self, name: str, phone: str) -> bool:
        """Add or renumber a contact; True when the name was new."""
        return await self._run(_upsert, name, phone)

    async def delete(self, name: str) -> bool:
        return await self._run(_delete, name)

    async def get(self, name: str) -> Contact | None:
        return await self._run(_get, name)

    async def for_phone(self, phone: str) -> Contact | None:
        """The oldest contact with this number."""
        return await self._run(_for_phone, phone)

    async def names_for(self, phones: Sequence[str]) -> dict[str, str]:
        """The name of each of `phones` that the address book has (its oldest contact, as
        for_phone); numbers without a contact are left out."""
        return await self._run(_names_for, list(dict.fromkeys(phones)))

    async def all(self) -> list[Contact]:
        """Every contact, by name."""
        return await self._run(_all)

    async def replace_group(self, name: str, members: Sequence[str]) -> bool:
        """Create or redefine a group (it keeps its name as first spelt); True when it was new."""
        return await self._run(_replace_group, name, list(members))

    async def delete_group(self, name: str) -> bool:
        return await self._run(_delete_group, name)

    async def get_group(self, name: str) -> Group | None:
        return await self._run(_get_group, name)

    async def all_groups(self) -> list[Group]:
        """Every group, by name."""
        return await self._run(_all_groups)

    async def groups_with_member(self, member: str) -> list[str]:
        """The groups that name `member` (a contact name or '@group'), whatever its case."""
        return await self._run(_groups_with_member, member)

    async def apply_import(self, contacts: Sequence[Contact], groups: Sequence[str],
                           members: Sequence[tuple[str, str]]) -> None:
        """One transaction: add or renumber `contacts`, create `groups` that do not exist, and
        put each (group, member) member at the end of its group (creating the group) unless it
        is in it already, whatever its case. Contact and group members are filed as the book
        spells them. Nothing is taken out of a group."""
        await self._run(_apply_import, list(contacts), list(groups), list(members))


def _upsert(conn: sqlite3.Connection, name: str, phone: str) -> bool:
    existed = conn.execute("SELECT 1 FROM contacts WHERE name = ?", (name,)).fetchone()
    conn.execute(
        "INSERT INTO contacts(name, phone, created_at) VALUES (?, ?, ?) "
        "ON CONFLICT(name) DO UPDATE SET phone = excluded.phone",
        (name, phone, time.time()),
    )
    return existed is None


def _delete(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("DELETE FROM contacts WHERE name = ?", (name,)).rowcount > 0


def _get(conn: sqlite3.Connection, name: str) -> Contact | None:
    row = conn.execute("SELECT name, phone FROM contacts WHERE name = ?", (name,)).fetchone()
    return Contact(row["name"], row["phone"]) if row else None


def _for_phone(conn: sqlite3.Connection, phone: str) -> Contact | None:
    row = conn.execute(
        "SELECT name, phone FROM contacts WHERE phone = ? ORDER BY created_at LIMIT 1", (phone,)
    ).fetchone()
    return Contact(row["name"], row["phone"]) if row else None


_IN_BATCH = 500
"""Numbers per `IN (...)` of names_for: within any SQLite's limit of bound parameters."""


def _names_for(conn: sqlite3.Connection, phones: list[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for i in range(0, len(phones), _IN_BATCH):
        batch = phones[i:i + _IN_BATCH]
        rows = conn.execute(
            f"SELECT phone, name FROM contacts WHERE phone IN ({','.join('?' * len(batch))}) "
            "ORDER BY created_at DESC", batch,
        )
        names.update((r["phone"], r["name"]) for r in rows)  # the oldest comes last and stays
    return names


def _all(conn: sqlite3.Connection) -> list[Contact]:
    rows = conn.execute("SELECT name, phone FROM contacts ORDER BY name COLLATE NOCASE")
    return [Contact(r["name"], r["phone"]) for r in rows]


def _replace_group(conn: sqlite3.Connection, name: str, members: list[str]) -> bool:
    existed = conn.execute("SELECT name FROM groups WHERE name = ?", (name,)).fetchone()
    if existed is None:
        conn.execute("INSERT INTO groups(name, created_at) VALUES (?, ?)", (name, time.time()))
    else:
        name = existed["name"]  # its members are filed under the name as first spelt
    conn.execute("DELETE FROM group_members WHERE group_name = ?", (name,))
    conn.executemany(
        "INSERT OR IGNORE INTO group_members(group_name, position, member) VALUES (?, ?, ?)",
        [(name, i, m) for i, m in enumerate(members)],
    )
    return existed is None


def _delete_group(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("DELETE FROM groups WHERE name = ?", (name,)).rowcount > 0


def _get_group(conn: sqlite3.Connection, name: str) -> Group | None:
    row = conn.execute("SELECT name FROM groups WHERE name = ?", (name,)).fetchone()
    if row is None:
        return None
    members = conn.execute(
        "SELECT member FROM group_members WHERE group_name = ? ORDER BY position", (row["name"],)
    )
    return Group(row["name"], tuple(m["member"] for m in members))


def _all_groups(conn: sqlite3.Connection) -> list[Group]:
    names = [r["name"] for r in conn.execute("SELECT name FROM groups ORDER BY name COLLATE NOCASE")]
    return [g for n in names if (g := _get_group(conn, n)) is not None]


def _groups_with_member(conn: sqlite3.Connection, member: str) -> list[str]:
    rows = conn.execute(
        "SELECT DISTINCT group_name FROM group_members WHERE member = ? COLLATE NOCASE "
        "ORDER BY group_name COLLATE NOCASE",
        (member,),
    )
    return [r["group_name"] for r in rows]


def _apply_import(conn: sqlite3.Connection, contacts: list[Contact], groups: list[str],
                  members: list[tuple[str, str]]) -> None:
    now = time.time()
    for contact in contacts:
        _upsert(conn, contact.name, contact.phone)
    conn.executemany("INSERT OR IGNORE INTO groups(name, created_at) VALUES (?, ?)", [(g, now) for g in groups])
    for group, member in members:
        conn.execute("INSERT OR IGNORE INTO groups(name, created_at) VALUES (?, ?)", (group, now))
        group = conn.execute("SELECT name FROM groups WHERE name = ?", (group,)).fetchone()["name"]
        if member.startswith("@"):
            row = conn.execute("SELECT name FROM groups WHERE name = ?", (member[1:],)).fetchone()
            member = f"@{row['name']}" if row else member
        else:
            row = conn.execute("SELECT name FROM contacts WHERE name = ?", (member,)).fetchone()
            member = row["name"] if row else member
        held = conn.execute("SELECT 1 FROM group_members WHERE group_name = ? AND member = ? COLLATE NOCASE",
                            (group, member)).fetchone()
        if held is None:
            conn.execute(
                "INSERT INTO group_members(group_name, position, member) "
                "SELECT ?, COALESCE(MAX(position) + 1, 0), ? FROM group_members WHERE group_name = ?",
                (group, member, group),
            )
