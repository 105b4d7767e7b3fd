"""The address book as a CSV file: what people save from Excel or a text editor, read into
rows with their line numbers; and rows written so that Excel opens them as they are.

Pure: bytes in, rows out, and back. The rules of what a row means are contacts_rows.py.

Read: UTF-8 with or without a BOM, UTF-16 with a BOM (Excel's "Unicode text"), else GBK
(GB18030, its superset: what Excel in China saves as "CSV"); commas, or tabs when the first
line has tabs and no comma, or semicolons under a header written with them. The columns are
name, number, groups; a first row that names them (in English or Chinese) is a header, which
may order them otherwise and add columns of its own (ignored). Without a header, cells after
the third are more groups (an unquoted `alice,13800138000,oncall,dba`).

Written: UTF-8 with a BOM (Excel takes a file without one for the local code page), CRLF,
numbers grouped with spaces (`138 0013 8000`, `0755 8080 8080`), which Excel keeps as text:
as digits it would show a mobile as 1.38E+10 after an edit and drop a landline's leading 0.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers

from bot.errors import Reason, Refusal

__all__ = [
    "COLUMNS",
    "MAX_BYTES",
    "MAX_ROWS",
    "CsvFile",
    "CsvRow",
    "read_csv",
    "split_groups",
    "write_csv",
    "written_number",
]

MAX_BYTES = 1024 * 1024
"""A file this big holds some 30,000 contacts; anything larger is not an address book."""
MAX_ROWS = 10_000
COLUMNS = ("name", "number", "groups")
HEADER_WORDS: dict[str, frozenset[str]] = {
    "name": frozenset({"name", "names", "contact", "fullname", "姓名", "名字", "名称", "联系人"}),
    "number": frozenset({"number", "phone", "phonenumber", "mobile", "mobilephone", "mobilenumber", "cell",
                         "tel", "telephone", "号码", "手机", "手机号", "手机号码", "电话", "电话号码", "联系电话"}),
    "groups": frozenset({"group", "groups", "team", "teams", "分组", "组", "群组", "组别", "小组"}),
}
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # .xlsx (a zip), .xls (OLE2)
_GROUP_SEPARATORS = re.compile(r"[\s,，、;；]+")
_WORD_NOISE = re.compile(r"[\s_\-*#:：()（）]+")


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One row with something in it, as written: cells stripped, `line` where it starts."""

    line: int
    name: str
    number: str
    groups: str


@dataclass(frozen=True, slots=True)
class CsvFile:
    rows: tuple[CsvRow, ...]
    header: bool
    encoding: str


def decode(data: bytes) -> tuple[str, str]:
    """(text, the encoding's name as people know it); Refusal when it is no text file."""
    if len(data) > MAX_BYTES:
        raise Refusal(Reason.CSV_TOO_BIG, limit=f"{MAX_BYTES // 1024 // 1024} MB")
    if data.startswith(_WORKBOOK_MAGIC):
        raise Refusal(Reason.CSV_WORKBOOK)
    attempts: list[tuple[str, str]]
    if data.startswith(codecs.BOM_UTF8):
        attempts = [("utf-8-sig", "UTF-8")]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        attempts = [("utf-16", "UTF-16")]
    else:
        attempts = [("utf-8", "UTF-8"), ("gb18030", "GBK")]
    for codec, name in attempts:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            raise Refusal(Reason.CSV_WORKBOOK)
        return text, name
    raise Refusal(Reason.CSV_ENCODING)


def _header_word(cell: str) -> str | None:
    word = _WORD_NOISE.sub("", cell).lower()
    return next((column for column, words in HEADER_WORDS.items() if word in words), None)


def _header(cells: list[str]) -> dict[str, int] | None:
    """Column -> index when `cells` is a header row (it names a column and holds no digit)."""
    named = [(_header_word(c), i) for i, c in enumerate(cells)]
    if not any(column for column, _ in named) or any(ch.isdigit() for c in cells for ch in c):
        return None
    columns: dict[str, int] = {}
    for column, index in named:
        if column is not None:
            columns.setdefault(column, index)
    if "name" not in columns or "number" not in columns:
        raise Refusal(Reason.CSV_HEADER, columns=", ".join(c for c in cells if c)[:200])
    return columns


def _delimiter(first_line: str) -> str:
    if "\t" in first_line and "," not in first_line:
        return "\t"
    if ";" in first_line and "," not in first_line:
        try:
            if _header([c.strip() for c in first_line.split(";")]) is not None:
                return ";"
        except Refusal:
            return ";"
    return ","


def _cell(cells: list[str], index: int | None) -> str:
    return cells[index] if index is not None and index < len(cells) else ""


def read_csv(data: bytes) -> CsvFile:
    """The rows of a CSV file that hold anything, with their line numbers; Refusal when the
    file as a whole cannot be read (its encoding, a workbook, a header without name or number)."""
    text, encoding = decode(data)
    first = next((line for line in text.splitlines() if line.strip()), None)
    if first is None:
        raise Refusal(Reason.CSV_EMPTY)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first))
    rows: list[CsvRow] = []
    columns: dict[str, int] | None = None
    header = False
    line = 1
    try:
        for record in reader:
            start, line = line, reader.line_num + 1
            cells = [c.strip() for c in record]
            if not any(cells):
                continue
            if not rows and not header and (found := _header(cells)) is not None:
                columns, header = found, True
                continue
            if columns is not None:
                row = CsvRow(start, _cell(cells, columns["name"]), _cell(cells, columns["number"]),
                             _cell(cells, columns.get("groups")))
            else:
                row = CsvRow(start, _cell(cells, 0), _cell(cells, 1), " ".join(cells[2:]))
            rows.append(row)
            if len(rows) > MAX_ROWS:
                raise Refusal(Reason.CSV_TOO_MANY, limit=MAX_ROWS)
    except csv.Error as exc:
        raise Refusal(Reason.CSV_UNREADABLE, line=line, error=str(exc)[:100]) from None
    if not rows:
        raise Refusal(Reason.CSV_EMPTY)
    return CsvFile(tuple(rows), header, encoding)


def split_groups(cell: str) -> list[str]:
    """`oncall; dba`, `oncall dba`, `@oncall,@dba` -> ['oncall', 'dba'] (an @ is the group's mark)."""
    return [g.removeprefix("@") for g in _GROUP_SEPARATORS.split(cell) if g.removeprefix("@")]


def written_number(phone: str) -> str:
    """A stored number as the export writes it: grouped with spaces, so Excel keeps it as text."""
    try:
        parsed = phonenumbers.parse("+86" + phone.removeprefix("0"))
    except phonenumbers.NumberParseException:
        return phone
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return national if re.sub(r"\D", "", national) == phone else phone


def write_csv(rows: Iterable[tuple[str, str, str]]) -> bytes:
    """A header and the rows (name, number, groups), as UTF-8 with a BOM and CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")
