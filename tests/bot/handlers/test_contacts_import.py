"""/contacts import and /contacts export through the real bot (Bot API double, sandbox gateway,
real HTTP): a CSV document in, the answer and the store; the book out as a document that
imports back to the same book; and `smsbot contacts import|export` as a process."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from harness import ADMIN, MEMBER, SECRETS, TEAM_CHAT, Harness, assert_no_secrets

from bot.store import Contact, Store

ZH_ADMIN = 1004
BOM = b"\xef\xbb\xbf"

MIXED = """name,number,groups
alice,138 0013 8000,oncall;dba
bob,+86 139 0013 9001,
carol,1380013800,oncall
alice,13800138009,
,13700137000,oncall
@dba,,ops
eve,,oncall
""".encode("utf-8-sig")


async def send_file(h: Harness, data: bytes, name: str = "contacts.csv", *, user: int = ADMIN,
                    caption: str | None = "/contacts import") -> dict[str, Any]:
    """A person sends `data` as a document with `caption`; returns the bot's next message."""
    before = len(h.bot_messages())
    h.api.push_document(TEAM_CHAT, user, data, name, caption=caption)
    return await h.next_reply(after=before)


async def book(store: Store) -> tuple[list[Contact], dict[str, set[str]]]:
    return await store.contacts.all(), {g.name: set(g.members) for g in await store.contacts.all_groups()}


async def test_import_lists_added_updated_and_refused_rows_with_their_lines(harness: Harness) -> None:
    store = harness.runtime.store
    await store.contacts.upsert("bob", "13900139000")
    await store.contacts.replace_group("oncall", ["bob"])
    reply = await send_file(harness, MIXED)
    assert reply["text"].split("\n") == [
        "Imported contacts.csv: 7 rows read (UTF-8).",
        "Added 1: alice",
        "Updated 3: bob, 13700137000, @dba",
        "New groups: @dba, @ops",
        "Refused 3 rows, not imported (the other rows are): fix them and import the file again; "
        "the rows already in stay as they are.",
        "line 4: 1380013800 is not a valid number: a mobile number has 11 digits",
        "line 5: alice is already on line 2: one row per contact",
        "line 8: eve has no number: write it in the number column",
    ]
    assert await book(store) == (
        [Contact("alice", "13800138000"), Contact("bob", "13900139001")],
        {"dba": {"alice"}, "oncall": {"bob", "alice", "13700137000"}, "ops": {"@dba"}},
    )
    assert (await store.contacts.get_group("oncall")).members == ("bob", "alice", "13700137000")  # appended
    [audit] = await store.audit_log.recent("contacts_import")
    assert audit.user_id == ADMIN and audit.detail == (
        "/contacts import contacts.csv: 1 added, 3 updated, 2 new groups, 3 rows refused")

    again = await send_file(harness, MIXED)  # the same file again: the good rows change nothing
    assert again["text"].split("\n")[1] == "Already so: 4"
    assert await book(store) == (
        [Contact("alice", "13800138000"), Contact("bob", "13900139001")],
        {"dba": {"alice"}, "oncall": {"bob", "alice", "13700137000"}, "ops": {"@dba"}},
    )
    assert (await harness.ask("/sms @oncall test"))["text"].startswith("Sent to 3 numbers")


async def test_a_reply_to_a_gbk_file_imports_it_and_answers_in_chinese(make_harness: Any) -> None:
    h = await make_harness(admin_user_ids=[ADMIN, ZH_ADMIN])
    h.api.add_user(ZH_ADMIN, "李雷", username="lilei", language_code="zh")
    data = "姓名,手机号,分组\r\n张伟,13800138000,值班\r\n王芳,1380013800,值班\r\n".encode("gbk")
    before = len(h.bot_messages())
    document = h.api.push_document(TEAM_CHAT, ZH_ADMIN, data, "通讯录.csv", mime_type="text/comma-separated-values")
    reply = await h.ask("/contacts import", user=ZH_ADMIN, reply_to_message_id=document["message_id"])
    assert len(h.bot_messages()) == before + 1  # the document alone got no answer
    assert reply["text"].split("\n") == [
        "已导入 通讯录.csv：读取 2 行（GBK）。",
        "新增 1 个：张伟",
        "新建分组 1 个：@值班",
        "拒绝 1 行，未导入（其余行已导入）：请修改后重新导入该文件；已导入的行不会重复。",
        "第 3 行：1380013800 不是有效号码：手机号应为 11 位",
    ]
    assert await book(h.runtime.store) == ([Contact("张伟", "13800138000")], {"值班": {"张伟"}})
    assert (await h.ask("/sms @值班 你好"))["text"].startswith("Sent to 1 number")


async def test_export_is_a_csv_document_that_imports_back_to_the_same_book(make_harness: Any,
                                                                           tmp_path: Path) -> None:
    h = await make_harness()
    store = h.runtime.store
    for name, phone in (("alice", "13800138000"), ("Bob", "075580808080"), ("李雷", "13700137000")):
        await store.contacts.upsert(name, phone)
    for name, members in (("dba", ["Bob"]), ("oncall", ["alice", "Bob", "13900139000", "@dba"]),
                          ("ops", ["@oncall"]), ("spare", [])):
        await store.contacts.replace_group(name, members)
    before = len(h.bot_messages())
    h.say("/contacts export", user=ADMIN)
    sent = await h.next_reply(after=before)
    assert sent["caption"] == ("The address book: 3 contacts, 4 groups. Edit it (Excel opens it) and send it "
                               "back with the caption /contacts import.")
    document = sent["document"]
    assert document["file_name"].startswith("contacts-") and document["file_name"].endswith(".csv")
    data = h.api.file_content(document["file_id"])
    assert data.startswith(BOM)
    assert data[len(BOM):].decode().split("\r\n") == [
        "name,number,groups",
        "alice,138 0013 8000,oncall",
        "Bob,0755 8080 8080,dba;oncall",
        "李雷,137 0013 7000,",
        ",139 0013 9000,oncall",
        "@dba,,oncall",
        "@oncall,,ops",
        "@spare,,",
        "",
    ]
    [audit] = await store.audit_log.recent("contacts_export")
    assert audit.detail == "/contacts export: 3 contacts, 4 groups"

    other = await make_harness(database_path=tmp_path / "other.sqlite3")
    reply = await send_file(other, data, document["file_name"])
    assert reply["text"].split("\n")[1:] == ["Added 3: alice, Bob, 李雷", "Updated 3: 13900139000, @dba, @oncall",
                                            "New groups: @oncall, @dba, @ops, @spare"]
    assert await book(other.runtime.store) == await book(store)
    again = await send_file(h, data, document["file_name"])  # into the book it came from
    assert again["text"].split("\n")[1:] == ["Already so: 7", "Nothing changed: the address book already holds "
                                                               "every row."]


async def test_only_admins_import_and_export(harness: Harness) -> None:
    refused = "Only admins can do that. Ask an admin listed in SMSBOT_ADMIN_USER_IDS."
    assert (await send_file(harness, MIXED, user=MEMBER))["text"] == refused
    document = harness.api.push_document(TEAM_CHAT, ADMIN, MIXED, "contacts.csv")
    reply = await harness.ask("/contacts import", user=MEMBER, reply_to_message_id=document["message_id"])
    assert reply["text"] == refused
    assert (await harness.ask("/contacts export", user=MEMBER))["text"] == refused
    assert await book(harness.runtime.store) == ([], {})
    assert harness.api.calls("sendDocument") == [] and harness.api.calls("getFile") == []


async def test_what_is_no_address_book_is_refused_saying_what_to_do(harness: Harness) -> None:
    usage = await harness.ask("/contacts import", user=ADMIN)
    assert usage["text"].startswith("Send the CSV file as a document with the caption /contacts import")
    workbook = await send_file(harness, b"PK\x03\x04" + b"\x00" * 40, "contacts.xlsx")
    assert workbook["text"].startswith("This is an Excel workbook (or another binary file), not CSV: in Excel "
                                       "choose File → Save As → CSV UTF-8")
    header = await send_file(harness, b"full name,mobile no\nalice,13800138000\n")
    assert header["text"].startswith("The first row looks like a header (full name, mobile no)")
    harness.api.fail_next("getFile", 400, "Bad Request: file is too big")
    too_big = await send_file(harness, MIXED)
    assert too_big["text"] == "The file could not be fetched from Telegram (File is too big): send it again."
    assert await book(harness.runtime.store) == ([], {})
    assert (await harness.ask("/contacts"))["text"].startswith("No contacts yet")  # /contacts still lists
    assert_no_secrets(*(m["text"] for m in harness.bot_messages()))


# --- the command line --------------------------------------------------------------------------


def smsbot(*args: str, database: Path, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSBOT_")}
    env["SMSBOT_DATABASE_PATH"] = str(database)
    return subprocess.run([sys.executable, "-m", "bot", "contacts", *args], env=env, cwd=cwd, input=stdin,
                          capture_output=True, timeout=60)


def test_smsbot_contacts_import_and_export_round_trip(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_bytes(MIXED)
    first = tmp_path / "first.sqlite3"
    out = smsbot("import", str(source), database=first, cwd=tmp_path)
    assert out.returncode == 2  # rows refused: the file needs fixing
    assert out.stdout.decode().splitlines() == [
        "Imported in.csv: 7 rows read (UTF-8).",
        "Added 2: alice, bob",
        "Updated 2: 13700137000, @dba",
        "New groups: @oncall, @dba, @ops",
        "Refused 3 rows, not imported (the other rows are): fix them and import the file again; "
        "the rows already in stay as they are.",
        "line 4: 1380013800 is not a valid number: a mobile number has 11 digits",
        "line 5: alice is already on line 2: one row per contact",
        "line 8: eve has no number: write it in the number column",
    ]
    exported = tmp_path / "out.csv"
    out = smsbot("export", str(exported), database=first, cwd=tmp_path)
    assert out.returncode == 0 and out.stdout.decode() == f"2 contacts, 3 groups written to {exported}\n"
    assert exported.read_bytes().startswith(BOM)

    second = tmp_path / "second.sqlite3"
    out = smsbot("import", "-", database=second, cwd=tmp_path, stdin=exported.read_bytes())
    assert out.returncode == 0, out.stdout + out.stderr
    out = smsbot("export", "-", database=second, cwd=tmp_path)
    assert out.returncode == 0 and out.stdout == exported.read_bytes()
    assert out.stderr.decode() == "2 contacts, 3 groups\n"


def test_smsbot_contacts_says_what_is_wrong(tmp_path: Path) -> None:
    database = tmp_path / "s.sqlite3"
    out = smsbot("export", str(tmp_path / "x.csv"), database=database, cwd=tmp_path)
    assert out.returncode == 1 and "there is no store at" in out.stderr.decode()
    out = smsbot("import", str(tmp_path / "missing.csv"), database=database, cwd=tmp_path)
    assert out.returncode == 2 and "cannot read" in out.stderr.decode()
    book_xlsx = tmp_path / "book.xlsx"
    book_xlsx.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    out = smsbot("import", str(book_xlsx), database=database, cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.decode().startswith("smsbot contacts import: This is an Excel workbook")
    out = smsbot("frobnicate", database=database, cwd=tmp_path)
    assert out.returncode == 2 and "invalid choice" in out.stderr.decode()


async def test_smsbot_contacts_is_refused_while_a_bot_holds_the_store(harness: Harness, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_bytes(MIXED)
    database = harness.settings.database_path
    for args in (("import", str(source)), ("export", str(tmp_path / "out.csv"))):
        out = await asyncio.to_thread(smsbot, *args, database=database, cwd=tmp_path)
        assert out.returncode == 1
        assert out.stderr.decode() == (f"smsbot contacts {args[0]}: a running smsbot holds the store {database}: "
                                       f"stop it first, or use /contacts {args[0]} in Telegram\n")
    assert await book(harness.runtime.store) == ([], {})
    assert not (tmp_path / "out.csv").exists()
    for secret in SECRETS:
        assert secret.encode() not in out.stdout + out.stderr
