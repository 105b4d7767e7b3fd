"""The address book as rows of name, number, groups: what each imported row does to the book,
and the rows an export writes. Pure: the book comes in as a snapshot, the changes go out as a plan.

A row is one of:
- `alice, 138 0013 8000, oncall;dba`: the contact alice (added, or renumbered), a member of
  @oncall and @dba;
- `, 139 0013 9000, oncall`: a number that is a member of @oncall without being a contact;
- `@dba, , oncall`: the group @dba (created if new), a member of @oncall.

Each row is checked as /contact add and /group add check (names, numbers normalised, no group
inside itself); a row that fails is refused whole, with its line and why, and the others are
kept. Groups named are created; a row adds to groups and never takes anything out of one, so
importing a file twice changes nothing the second time. A name on two rows is refused on the
second (one row per contact).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.commands import valid_name
from bot.errors import Reason, Refusal
from bot.services.contacts_csv import CsvFile, CsvRow, split_groups, written_number
from bot.store import Contact, Group
from sms_core.errors import InvalidNumber
from sms_core.phones import normalize_number

__all__ = ["ImportPlan", "LineRefusal", "export_rows", "plan_import"]

VALUE_MAX = 40
"""Characters of a cell quoted back in a refusal."""


@dataclass(frozen=True, slots=True)
class LineRefusal:
    """A row not imported: its line, and why (its reason's catalogue key and parameters; a
    `reason` parameter is the NumberReason of a refused number)."""

    line: int
    key: str
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """What an import does (contacts, groups, members to write) and what it tells the user."""

    rows: int
    encoding: str
    added: tuple[str, ...]  # contacts new to the book
    updated: tuple[str, ...]  # contacts renumbered or put in groups; numbers and @groups put in groups
    unchanged: int
    new_groups: tuple[str, ...]
    refused: tuple[LineRefusal, ...]
    contacts: tuple[Contact, ...]  # to add or renumber
    members: tuple[tuple[str, str], ...]  # (group, member) to add, the groups created as needed

    @property
    def changes(self) -> bool:
        return bool(self.contacts or self.new_groups or self.members)


class _Refused(Refusal):
    """One row refused (its reason and parameters become a LineRefusal); the other rows go on."""


def _cut(text: str) -> str:
    return text if len(text) <= VALUE_MAX else text[: VALUE_MAX - 1] + "…"


@dataclass(frozen=True, slots=True)
class _Entry:
    """A checked row: `member` as a group lists it, `key` what makes two rows the same."""

    kind: str  # contact | number | group
    key: str
    member: str
    phone: str
    groups: tuple[str, ...]


def _phone(raw: str) -> str:
    try:
        return normalize_number(raw)
    except InvalidNumber as exc:
        raise _Refused(Reason.CSV_BAD_NUMBER, raw=_cut(raw), reason=exc.why) from None


def _check(row: CsvRow) -> _Entry:
    groups: dict[str, str] = {}
    for group in split_groups(row.groups):
        if not valid_name(group):
            raise _Refused(Reason.CSV_BAD_GROUP, name=_cut(group))
        groups.setdefault(group.lower(), group)
    if row.name.startswith("@"):
        name = row.name[1:]
        if not valid_name(name):
            raise _Refused(Reason.CSV_BAD_GROUP, name=_cut(name))
        if row.number:
            raise _Refused(Reason.CSV_GROUP_NUMBER, name=name)
        return _Entry("group", f"@{name.lower()}", f"@{name}", "", tuple(groups.values()))
    if not row.name:
        if not row.number:
            raise _Refused(Reason.CSV_NO_NAME)
        phone = _phone(row.number)
        if not groups:
            raise _Refused(Reason.CSV_NUMBER_NO_GROUPS, number=phone)
        return _Entry("number", phone, phone, phone, tuple(groups.values()))
    if not valid_name(row.name):
        raise _Refused(Reason.BAD_NAME, name=_cut(row.name))
    if not row.number:
        raise _Refused(Reason.CSV_NO_NUMBER, name=row.name)
    return _Entry("contact", row.name.lower(), row.name, _phone(row.number), tuple(groups.values()))


class _Book:
    """The snapshot, and what the rows accepted so far did to it."""

    def __init__(self, contacts: Sequence[Contact], groups: Sequence[Group]) -> None:
        self.contacts = {c.name.lower(): c for c in contacts}
        self.groups = {g.name.lower(): g.name for g in groups}
        self.members = {g.name.lower(): {m.lower() for m in g.members} for g in groups}
        self.children = {g.name.lower(): [m[1:] for m in g.members if m.startswith("@")] for g in groups}
        self.new_groups: list[str] = []
        self.new_members: list[tuple[str, str]] = []

    def path(self, start: str, goal: str) -> list[str] | None:
        """Groups from @start down to @goal (start and goal included), if @start contains @goal."""
        seen: set[str] = set()

        def walk(name: str, trail: list[str]) -> list[str] | None:
            if name.lower() == goal.lower():
                return trail
            if name.lower() in seen:
                return None
            seen.add(name.lower())
            for child in self.children.get(name.lower(), []):
                if (found := walk(child, [*trail, child])) is not None:
                    return found
            return None

        return walk(start, [start])

    def group(self, name: str) -> str:
        """The group as the book spells it, created if new."""
        if name.lower() not in self.groups:
            self.groups[name.lower()] = name
            self.members[name.lower()] = set()
            self.children[name.lower()] = []
            self.new_groups.append(name)
        return self.groups[name.lower()]

    def join(self, member: str, groups: Sequence[str]) -> bool:
        """Put `member` in `groups`; whether any of them did not hold it yet."""
        joined = False
        for name in groups:
            group = self.group(name)
            if member.lower() not in self.members[group.lower()]:
                self.members[group.lower()].add(member.lower())
                if member.startswith("@"):
                    self.children[group.lower()].append(member[1:])
                self.new_members.append((group, member))
                joined = True
        return joined


def plan_import(file: CsvFile, contacts: Sequence[Contact], groups: Sequence[Group]) -> ImportPlan:
    """What importing `file` into a book holding `contacts` and `groups` does, row by row."""
    book = _Book(contacts, groups)
    first_line: dict[str, int] = {}
    added: list[str] = []
    updated: list[str] = []
    writes: list[Contact] = []
    refused: list[LineRefusal] = []
    unchanged = 0
    for row in file.rows:
        try:
            entry = _check(row)
            if entry.key in first_line:
                raise _Refused(Reason.CSV_DUPLICATE, name=_cut(entry.member), first=first_line[entry.key])
            if entry.kind == "group":
                for parent in entry.groups:
                    cycle = book.path(entry.member[1:], parent)
                    if cycle is not None:
                        raise _Refused(Reason.CSV_GROUP_CYCLE, name=parent, member=entry.member,
                                       path=" → ".join(f"@{g}" for g in [parent, *cycle]))
        except _Refused as refusal:
            refused.append(LineRefusal(row.line, refusal.key, refusal.params))
            continue
        first_line[entry.key] = row.line
        member, renumbered, new = entry.member, False, False
        if entry.kind == "group":
            new = entry.key[1:] not in book.groups
            member = f"@{book.group(entry.member[1:])}"
        elif entry.kind == "contact":
            known = book.contacts.get(entry.key)
            member = known.name if known else entry.member
            new, renumbered = known is None, known is not None and known.phone != entry.phone
            if new or renumbered:
                book.contacts[entry.key] = Contact(member, entry.phone)
                writes.append(Contact(member, entry.phone))
        joined = book.join(member, entry.groups)
        if entry.kind == "contact" and new:
            added.append(member)
        elif renumbered or joined:
            updated.append(member)
        elif not new:
            unchanged += 1
    return ImportPlan(len(file.rows), file.encoding, tuple(added), tuple(updated), unchanged,
                      tuple(book.new_groups), tuple(refused), tuple(writes), tuple(book.new_members))


def export_rows(contacts: Sequence[Contact], groups: Sequence[Group]) -> list[tuple[str, str, str]]:
    """The book as rows that import back to the same book: contacts with their groups, numbers
    that are members without being contacts, and groups inside groups (or named by no other
    row). A member that is neither (a contact deleted before deleting a member in use was
    refused) is left out: it reaches nobody."""
    names = {c.name.lower() for c in contacts}
    holders: dict[str, list[str]] = {}
    for group in groups:
        for member in group.members:
            holders.setdefault(member.lower(), []).append(group.name)
    rows = [(c.name, written_number(c.phone), ";".join(holders.get(c.name.lower(), []))) for c in contacts]
    numbers = {m: None for g in groups for m in g.members if m[:1].isdigit() and m.lower() not in names}
    rows += [("", written_number(n), ";".join(holders[n.lower()])) for n in numbers]
    named = {g.lower() for row in rows for g in row[2].split(";") if g}
    for group in groups:
        nested = holders.get(f"@{group.name}".lower(), [])
        if nested or group.name.lower() not in named:
            rows.append((f"@{group.name}", "", ";".join(nested)))
            named.update(g.lower() for g in nested)
    return rows
