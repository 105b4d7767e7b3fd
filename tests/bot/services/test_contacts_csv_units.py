"""The address book's CSV file without a bot: what is read from the files people save (encodings,
headers, separators, line numbers), what each row does to the book, the rows an export writes,
and an answer that always fits one Telegram message."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import Refusal
from bot.i18n import Translator
from bot.services.contacts_csv import (
    CsvFile,
    CsvRow,
    read_csv,
    split_groups,
    write_csv,
    written_number,
)
from bot.services.contacts_rows import ImportPlan, LineRefusal, export_rows, plan_import
from bot.services.contacts_transfer import TELEGRAM_BUDGET, import_answer, plain_length
from bot.store import Contact, Group
from sms_core.errors import NumberReason

# --- reading the file ----------------------------------------------------------------------------


def _rows(data: bytes) -> list[tuple[int, str, str, str]]:
    return [(r.line, r.name, r.number, r.groups) for r in read_csv(data).rows]


def test_a_header_row_is_recognised_in_english_or_chinese_in_any_order() -> None:
    assert _rows(b"Name,Phone,Groups\nalice,13800138000,oncall\n") == [(2, "alice", "13800138000", "oncall")]
    gbk = "分组,手机号,备注,姓名\noncall dba,13800138000,夜班,李雷\n".encode("gbk")
    file = read_csv(gbk)
    assert file.header and file.encoding == "GBK"
    assert _rows(gbk) == [(2, "李雷", "13800138000", "oncall dba")]


def test_without_a_header_the_columns_are_name_number_groups_and_more_cells_are_more_groups() -> None:
    file = read_csv(b"alice,13800138000,oncall,dba\nbob,13900139000\n")
    assert not file.header
    assert [(r.name, r.number, r.groups) for r in file.rows] == [
        ("alice", "13800138000", "oncall dba"), ("bob", "13900139000", "")]


@pytest.mark.parametrize(("data", "encoding"), [
    ("姓名,号码\n李雷,13800138000\n".encode("utf-8-sig"), "UTF-8"),
    ("姓名,号码\n李雷,13800138000\n".encode(), "UTF-8"),
    ("姓名,号码\n李雷,13800138000\n".encode("gbk"), "GBK"),
    ("姓名\t号码\n李雷\t13800138000\n".encode("utf-16"), "UTF-16"),  # Excel's "Unicode text"
    ("姓名;号码\n李雷;13800138000\n".encode(), "UTF-8"),  # a European Excel's separator
])
def test_encodings_and_separators_people_save(data: bytes, encoding: str) -> None:
    file = read_csv(data)
    assert file.encoding == encoding
    assert [(r.name, r.number) for r in file.rows] == [("李雷", "13800138000")]


def test_line_numbers_count_blank_lines_and_quoted_line_breaks() -> None:
    data = b'name,number\r\n\r\nalice,13800138000\r\n"bob\nthe second",13900139000\r\n,,\r\ncarol,137\r\n'
    assert [(r.line, r.name) for r in read_csv(data).rows] == [(3, "alice"), (4, "bob\nthe second"), (7, "carol")]


@pytest.mark.parametrize(("data", "key"), [
    (b"PK\x03\x04\x14\x00\x06\x00", "csv_workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "csv_workbook"),
    (b"\xff\xfe\xfa", "csv_encoding"),
    (b"\x81\x30", "csv_encoding"),  # neither UTF-8 nor GB18030
    (b"", "csv_empty"),
    (b"\xef\xbb\xbf\r\n ,, \r\n", "csv_empty"),
    (b"name,phone no.\nalice,13800138000\n", "csv_header"),
    (b"x" * (1024 * 1024 + 1), "csv_too_big"),
    (b"a,13800138000\n" * 10_001, "csv_too_many"),
])
def test_a_file_that_cannot_be_read_is_refused_whole_saying_what_to_change(data: bytes, key: str) -> None:
    with pytest.raises(Refusal) as refused:
        read_csv(data)
    assert refused.value.key == key


def test_groups_are_separated_by_semicolons_spaces_or_commas() -> None:
    assert split_groups(" oncall; dba  @ops,night；周末、") == ["oncall", "dba", "ops", "night", "周末"]


def test_numbers_are_written_so_that_excel_keeps_them_as_text() -> None:
    assert written_number("13800138000") == "138 0013 8000"
    assert written_number("075580808080") == "0755 8080 8080"
    assert written_number("01088888888") == "010 8888 8888"
    data = write_csv([("alice", "138 0013 8000", "oncall;dba")])
    assert data.startswith(codecs.BOM_UTF8)
    assert data.decode("utf-8-sig") == "name,number,groups\r\nalice,138 0013 8000,oncall;dba\r\n"


# --- what the rows do -----------------------------------------------------------------------------


def _file(*rows: tuple[str, str, str]) -> CsvFile:
    return CsvFile(tuple(CsvRow(n + 2, *row) for n, row in enumerate(rows)), True, "UTF-8")


BOOK = [Contact("Bob", "13900139000"), Contact("carol", "13700137000")]
GROUPS = [Group("oncall", ("Bob", "@dba")), Group("dba", ("carol",))]


def test_rows_add_update_and_leave_contacts_and_put_them_in_groups() -> None:
    plan = plan_import(_file(
        ("alice", "+86 138 0013 8000", "oncall; night"),  # new, in an existing and a new group
        ("bob", "13900139001", ""),  # renumbered (the book spells it Bob)
        ("carol", "137-0013-7000", "dba"),  # as it is
        ("carol2", "13700137002", "DBA"),  # new, in dba whatever the case
    ), BOOK, GROUPS)
    assert plan.added == ("alice", "carol2") and plan.updated == ("Bob",) and plan.unchanged == 1
    assert plan.new_groups == ("night",) and plan.refused == ()
    assert plan.contacts == (Contact("alice", "13800138000"), Contact("Bob", "13900139001"),
                             Contact("carol2", "13700137002"))
    assert plan.members == (("oncall", "alice"), ("night", "alice"), ("dba", "carol2"))


def test_numbers_and_groups_as_members() -> None:
    plan = plan_import(_file(
        ("", "139 0013 9999", "oncall"),
        ("@ops", "", "oncall"),
        ("@dba", "", "oncall"),  # already in it
    ), BOOK, GROUPS)
    assert plan.members == (("oncall", "13900139999"), ("oncall", "@ops"))
    assert plan.new_groups == ("ops",) and plan.updated == ("13900139999", "@ops") and plan.unchanged == 1


def _refused(plan: ImportPlan) -> list[tuple[int, str]]:
    return [(r.line, r.key) for r in plan.refused]


def test_bad_rows_are_refused_with_their_line_and_why_and_change_nothing() -> None:
    plan = plan_import(_file(
        ("alice", "13800138000", "oncall"),
        ("dave", "1380013800", "night"),  # 3: too short; @night is not created for it
        ("alice", "13800138001", ""),  # 4: a second row for alice
        ("eve smith", "13800138002", ""),  # 5: two words
        ("frank", "", "oncall"),  # 6
        ("", "13800138003", ""),  # 7: a number in no group
        ("", "", "oncall"),  # 8
        ("gina", "13800138004", "on,call x@y"),  # 9: "x@y" is no group name
        ("@oncall", "", "dba"),  # 10: dba is inside oncall
        ("@ops", "13800138005", ""),  # 11
        ("@ops", "", "ops"),  # 12
        ("13800138006", "13800138006", ""),  # 13: a number is no name
    ), BOOK, GROUPS)
    assert _refused(plan) == [
        (3, "csv_bad_number"), (4, "csv_duplicate"), (5, "bad_name"), (6, "csv_no_number"),
        (7, "csv_number_no_groups"), (8, "csv_no_name"), (9, "csv_bad_group"), (10, "csv_group_cycle"),
        (11, "csv_group_number"), (12, "csv_group_cycle"), (13, "bad_name")]
    assert plan.refused[0].params == {"raw": "1380013800", "reason": NumberReason.MOBILE_LENGTH}
    assert plan.refused[1].params == {"name": "alice", "first": 2}
    assert plan.refused[7].params["path"] == "@dba → @oncall → @dba"
    assert plan.added == ("alice",) and plan.new_groups == () and plan.members == (("oncall", "alice"),)


def test_a_row_refused_leaves_its_name_free_for_a_later_row() -> None:
    plan = plan_import(_file(("alice", "138", ""), ("alice", "13800138000", "")), [], [])
    assert _refused(plan) == [(2, "csv_bad_number")] and plan.added == ("alice",)


def test_importing_the_same_file_twice_changes_nothing_the_second_time() -> None:
    file = _file(("alice", "13800138000", "oncall"), ("", "13900139000", "oncall"), ("@ops", "", "oncall"))
    first = plan_import(file, [], [])
    book = [Contact("alice", "13800138000")]
    groups = [Group("oncall", ("alice", "13900139000", "@ops")), Group("ops", ())]
    again = plan_import(file, book, groups)
    assert first.changes and not again.changes and again.unchanged == 3


def test_export_rows_import_back_to_the_same_book() -> None:
    contacts = [Contact("alice", "13800138000"), Contact("Bob", "075580808080"), Contact("zoe", "13700137000")]
    groups = [Group("dba", ("Bob",)), Group("empty", ()), Group("oncall", ("alice", "Bob", "13900139000", "@dba",
                                                                          "gone")),
              Group("ops", ("@oncall",))]
    rows = export_rows(contacts, groups)
    assert rows == [
        ("alice", "138 0013 8000", "oncall"), ("Bob", "0755 8080 8080", "dba;oncall"), ("zoe", "137 0013 7000", ""),
        ("", "139 0013 9000", "oncall"), ("@dba", "", "oncall"), ("@empty", "", ""), ("@oncall", "", "ops")]
    plan = plan_import(read_csv(write_csv(rows)), [], [])
    assert plan.refused == () and set(plan.contacts) == set(contacts)
    assert set(plan.new_groups) == {"dba", "empty", "oncall", "ops"}
    members = {(g, m) for g, m in plan.members}
    assert members == {(g.name, m) for g in groups for m in g.members if m != "gone"}


# --- the answer -----------------------------------------------------------------------------------


def test_the_answer_names_added_updated_and_refused_rows_in_english_and_chinese() -> None:
    plan = plan_import(_file(("alice", "13800138000", "oncall"), ("bob", "1380013800", ""),
                             ("Bob", "13900139001", "")), BOOK, GROUPS)
    assert import_answer(plan, Translator("en"), "book.csv").split("\n") == [
        "<b>Imported book.csv</b>: 3 rows read (UTF-8).",
        "Added 1: alice",
        "Updated 1: Bob",
        "Refused 1 row, not imported (the other rows are): fix it and import the file again; "
        "the rows already in stay as they are.",
        "line 3: 1380013800 is not a valid number: a mobile number has 11 digits",
    ]
    assert import_answer(plan, Translator("zh"), "book.csv").split("\n") == [
        "<b>已导入 book.csv</b>：读取 3 行（UTF-8）。",
        "新增 1 个：alice",
        "更新 1 个：Bob",
        "拒绝 1 行，未导入（其余行已导入）：请修改后重新导入该文件；已导入的行不会重复。",
        "第 3 行：1380013800 不是有效号码：手机号应为 11 位",
    ]


_CELL = st.text(max_size=60)


@settings(max_examples=60, deadline=None)
@given(names=st.lists(st.text(min_size=1, max_size=32), max_size=300),
       refusals=st.lists(st.tuples(st.integers(1, 10_000), _CELL, _CELL), max_size=300),
       file_name=st.text(max_size=300), lang=st.sampled_from(["en", "zh"]))
def test_an_answer_always_fits_one_telegram_message(names: list[str], refusals: list[tuple[int, str, str]],
                                                    file_name: str, lang: str) -> None:
    refused = tuple(LineRefusal(line, "csv_group_cycle", {"name": a, "member": b, "path": a + b})
                    for line, a, b in refusals)
    plan = ImportPlan(10_000, "GBK", tuple(names), tuple(names), 5, tuple(names), refused, (), ())
    text = import_answer(plan, Translator(lang), file_name)
    assert plain_length(text) <= TELEGRAM_BUDGET
    if refused:
        assert "line" in text or "行" in text
