"""Pure parsing of what users type; no I/O, so every rule here is unit-tested directly."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sms_core.phones import looks_like_number
from sms_core.schedule import parse_schedule

_TOKEN = re.compile(r"\S+")
_SPLIT = re.compile(r"[,，、;；]+")
_AT = re.compile(r"^\s*at\s+(\d{4}-\d{1,2}-\d{1,2})[ T]+(\d{1,2}:\d{2}(?::\d{2})?)\s*", re.IGNORECASE)


class CommandSyntaxError(ValueError):
    """The command is not written as expected; `key` names the message that explains it."""

    def __init__(self, key: str, **params: object) -> None:
        self.key = key
        self.params = params
        super().__init__(key)


@dataclass(frozen=True, slots=True)
class SmsCommand:
    targets: tuple[str, ...]  # numbers as typed, contact names, @group names
    text: str  # "" when the text is to come from the replied-to message
    at: datetime | None = None


def is_target(token: str, is_contact: Callable[[str], bool]) -> bool:
    return token.startswith("@") or looks_like_number(token) or is_contact(token)


def parse_sms(args: str, is_contact: Callable[[str], bool]) -> SmsCommand:
    """`[at YYYY-MM-DD HH:MM] TARGETS TEXT`: targets are numbers, contact names, @groups.

    The first word is always a target (so an unknown name is reported as unknown,
    not sent as text); later words are targets while they look like one. The
    text keeps its line breaks.
    """
    at = None
    m = _AT.match(args)
    if m:
        at = parse_schedule(f"{m.group(1)} {m.group(2)}")
        args = args[m.end():]
    targets: list[str] = []
    text = ""
    for i, tok in enumerate(_TOKEN.finditer(args)):
        parts = [p for p in _SPLIT.split(tok.group()) if p]
        if not parts:
            continue
        first = i == 0
        if first or all(is_target(p, is_contact) for p in parts):
            targets.extend(parts)
            continue
        text = args[tok.start():].strip()
        break
    if not targets:
        raise CommandSyntaxError("sms_usage")
    return SmsCommand(tuple(targets), text, at)


@dataclass(frozen=True, slots=True)
class ContactCommand:
    action: str  # add | del
    name: str
    number: str = ""


_NAME = re.compile(r"^[^\s@,，;；/]{1,32}$")


def valid_name(name: str) -> bool:
    """Names are one word (so /sms can tell them from text), not numbers, not @groups."""
    return bool(_NAME.match(name)) and not looks_like_number(name)


def parse_contact(args: list[str]) -> ContactCommand:
    if not args or args[0].lower() not in ("add", "del", "delete", "rm", "remove"):
        raise CommandSyntaxError("contact_usage")
    action = "add" if args[0].lower() == "add" else "del"
    if action == "add":
        if len(args) < 3:
            raise CommandSyntaxError("contact_usage")
        name, number = args[1], "".join(args[2:])
        if not valid_name(name):
            raise CommandSyntaxError("bad_name", name=name)
        return ContactCommand("add", name, number)
    if len(args) != 2:
        raise CommandSyntaxError("contact_usage")
    return ContactCommand("del", args[1])


@dataclass(frozen=True, slots=True)
class GroupCommand:
    action: str  # add | del
    name: str
    members: tuple[str, ...] = ()


def parse_group(args: list[str]) -> GroupCommand:
    if not args or args[0].lower() not in ("add", "set", "del", "delete", "rm", "remove"):
        raise CommandSyntaxError("group_usage")
    action = "add" if args[0].lower() in ("add", "set") else "del"
    if len(args) < 2:
        raise CommandSyntaxError("group_usage")
    name = args[1].lstrip("@")
    if not valid_name(name):
        raise CommandSyntaxError("bad_name", name=args[1])
    if action == "del":
        return GroupCommand("del", name)
    members = tuple(p for a in args[2:] for p in _SPLIT.split(a) if p)
    if not members:
        raise CommandSyntaxError("group_usage")
    return GroupCommand("add", name, members)
