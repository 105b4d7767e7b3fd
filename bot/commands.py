"""Pure parsing of what users type; no I/O, so every rule here is unit-tested directly."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.errors import BotError, Reason
from sms_core.errors import InvalidNumber
from sms_core.phones import looks_like_number, normalize_number, number_run
from sms_core.schedule import parse_schedule

_TOKEN = re.compile(r"\S+")
_SPLIT = re.compile(r"[,，、;；]+")
_AT = re.compile(r"^\s*at\s+(\d{4}-\d{1,2}-\d{1,2})[ T]+(\d{1,2}:\d{2}(?::\d{2})?)\s*", re.IGNORECASE)
_AT_WORD = re.compile(r"^at(?:\s|$)", re.IGNORECASE)


class CommandSyntaxError(BotError):
    """The command is not written as expected; `reason` names the message that explains it."""


@dataclass(frozen=True, slots=True)
class SmsCommand:
    targets: tuple[str, ...]  # numbers as typed, contact names, @group names
    text: str  # "" when the text is to come from the replied-to message
    at: datetime | None = None
    lead: int = 1  # how many targets the first word gave; the rest came from later words

    @property
    def later(self) -> tuple[str, ...]:
        """Targets taken from words after the first: a refusal of one says how to send it as text."""
        return self.targets[self.lead:]


MISTYPED_DIGITS = 9
"""A word of number characters with this many digits (or a leading +) can only be a phone
number, even one that is not valid: it is a target (and refused), never the start of the text."""


def _number(token: str) -> bool:
    try:
        normalize_number(token)
    except InvalidNumber:
        return looks_like_number(token) and (
            token.lstrip().startswith(("+", "＋")) or sum(c.isdigit() for c in token) >= MISTYPED_DIGITS)
    return True


def is_target(token: str, is_contact: Callable[[str], bool]) -> bool:
    """@group, a known contact, or a number (valid, or too long to be anything but a number)."""
    return token.startswith("@") or is_contact(token) or _number(token)


def parse_sms(args: str, is_contact: Callable[[str], bool]) -> SmsCommand:
    """`[at YYYY-MM-DD HH:MM] TARGETS TEXT`: targets are numbers, contact names, @groups.

    The first word is always a target (so an unknown name is reported as unknown, not
    sent as text). Later words on the first line are targets while each is one (is_target):
    `502 errors`, `110 called`, `2026-12-01 maintenance` start the text, since 502, 110 and
    2026-12-01 are no phone numbers. A word that holds a separator between two parts
    (`bob,carol`) is a list of targets when any part is one; a name in it that is no
    contact is then refused, not sent as text. A line break ends the targets: everything
    after it is text, whatever it starts with. The text keeps its line breaks. A number
    written in pieces (`+86 138 0013 8000`, `0755 8080 8080`) is one target.
    """
    args = args.lstrip()
    at = None
    m = _AT.match(args)
    if m:
        at = parse_schedule(f"{m.group(1)} {m.group(2)}")
        args = args[m.end():]
    elif _AT_WORD.match(args) and not is_contact("at"):
        raise CommandSyntaxError(Reason.SMS_AT_USAGE)
    first_line = args.split("\n", 1)[0]
    tokens = list(_TOKEN.finditer(first_line))
    words = [t.group() for t in tokens]
    targets: list[str] = []
    lead = 0
    text = args[len(first_line):].strip()
    k = 0
    while k < len(tokens):
        end = number_run(words, k)
        if end is not None and end > k + 1:  # one number written in pieces: "+86 138 0013 8000"
            targets.append(" ".join(words[k:end]))
            lead = lead or 1
            k = end
            continue
        parts = [p for p in _SPLIT.split(words[k]) if p]
        if parts and (not targets or _targets(parts, is_contact)):
            targets.extend(parts)
            lead = lead or len(parts)
        elif parts:
            text = args[tokens[k].start():].strip()
            break
        k += 1
    if not targets:
        raise CommandSyntaxError(Reason.SMS_USAGE)
    return SmsCommand(tuple(targets), text, at, lead)


def _targets(parts: list[str], is_contact: Callable[[str], bool]) -> bool:
    """Whether a later word is targets: each part one, or a list (`a,b`) with one part a target."""
    if len(parts) > 1:
        return any(is_target(p, is_contact) for p in parts)
    return is_target(parts[0], is_contact)


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
        raise CommandSyntaxError(Reason.CONTACT_USAGE)
    action = "add" if args[0].lower() == "add" else "del"
    if action == "add":
        if len(args) < 3:
            raise CommandSyntaxError(Reason.CONTACT_USAGE)
        name, number = args[1], "".join(args[2:])
        if not valid_name(name):
            raise CommandSyntaxError(Reason.BAD_NAME, name=name)
        return ContactCommand("add", name, number)
    if len(args) != 2:
        raise CommandSyntaxError(Reason.CONTACT_USAGE)
    return ContactCommand("del", args[1])


@dataclass(frozen=True, slots=True)
class GroupCommand:
    action: str  # add | del
    name: str
    members: tuple[str, ...] = ()


def parse_group(args: list[str]) -> GroupCommand:
    if not args or args[0].lower() not in ("add", "set", "del", "delete", "rm", "remove"):
        raise CommandSyntaxError(Reason.GROUP_USAGE)
    action = "add" if args[0].lower() in ("add", "set") else "del"
    if len(args) < 2:
        raise CommandSyntaxError(Reason.GROUP_USAGE)
    name = args[1].lstrip("@")
    if not valid_name(name):
        raise CommandSyntaxError(Reason.BAD_NAME, name=args[1])
    if action == "del":
        return GroupCommand("del", name)
    members = tuple(p for a in args[2:] for p in _SPLIT.split(a) if p)
    if not members:
        raise CommandSyntaxError(Reason.GROUP_USAGE)
    return GroupCommand("add", name, members)
