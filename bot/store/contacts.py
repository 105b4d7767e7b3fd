"""Contacts and contact groups."""

from __future__ import annotations

import sqlite3
import time

from bot.store.models import Contact, Group


def upsert_contact(conn: sqlite3.Connection, name: str, phone: str) -> bool:
    """Returns True when the name was new."""
    existed = conn.execute("SELECT 1 FROM contacts WHERE name = ?", (name,)).fetchone()
    conn.execute(
        "INSERT INTO contacts(name, phone, created_at) VALUES (?, ?, ?) "
        "ON CONFLICT(name) DO UPDATE SET phone = excluded.phone",
        (name, phone, time.time()),
    )
    return existed is None


def delete_contact(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("DELETE FROM contacts WHERE name = ?", (name,)).rowcount > 0


def get_contact(conn: sqlite3.Connection, name: str) -> Contact | None:
    row = conn.execute("SELECT name, phone FROM contacts WHERE name = ?", (name,)).fetchone()
    return Contact(row["name"], row["phone"]) if row else None


def contact_for_phone(conn: sqlite3.Connection, phone: str) -> Contact | None:
    row = conn.execute(
        "SELECT name, phone FROM contacts WHERE phone = ? ORDER BY created_at LIMIT 1", (phone,)
    ).fetchone()
    return Contact(row["name"], row["phone"]) if row else None


def list_contacts(conn: sqlite3.Connection) -> list[Contact]:
    rows = conn.execute("SELECT name, phone FROM contacts ORDER BY name COLLATE NOCASE")
    return [Contact(r["name"], r["phone"]) for r in rows]


def replace_group(conn: sqlite3.Connection, name: str, members: list[str]) -> bool:
    """Create or redefine a group; returns True when it was new."""
    existed = conn.execute("SELECT 1 FROM groups WHERE name = ?", (name,)).fetchone()
    if existed is None:
        conn.execute("INSERT INTO groups(name, created_at) VALUES (?, ?)", (name, time.time()))
    conn.execute("DELETE FROM group_members WHERE group_name = ?", (name,))
    conn.executemany(
        "INSERT OR IGNORE INTO group_members(group_name, position, member) VALUES (?, ?, ?)",
        [(name, i, m) for i, m in enumerate(members)],
    )
    return existed is None


def delete_group(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("DELETE FROM groups WHERE name = ?", (name,)).rowcount > 0


def get_group(conn: sqlite3.Connection, name: str) -> Group | None:
    row = conn.execute("SELECT name FROM groups WHERE name = ?", (name,)).fetchone()
    if row is None:
        return None
    members = conn.execute(
        "SELECT member FROM group_members WHERE group_name = ? ORDER BY position", (row["name"],)
    )
    return Group(row["name"], tuple(m["member"] for m in members))


def list_groups(conn: sqlite3.Connection) -> list[Group]:
    names = [r["name"] for r in conn.execute("SELECT name FROM groups ORDER BY name COLLATE NOCASE")]
    return [g for n in names if (g := get_group(conn, n)) is not None]


def groups_with_member(conn: sqlite3.Connection, member: str) -> list[str]:
    """The groups that name `member` (a contact name or '@group'), whatever its case."""
    rows = conn.execute(
        "SELECT DISTINCT group_name FROM group_members WHERE member = ? COLLATE NOCASE "
        "ORDER BY group_name COLLATE NOCASE",
        (member,),
    )
    return [r["group_name"] for r in rows]
