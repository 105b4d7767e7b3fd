"""Contacts and @groups: what a target stands for, and the rules that keep the book sound.

/sms and alerts resolve here, so a group means the same recipients to both. The
rules: a group's members are numbers, known contacts or existing groups; a group
never contains itself, however deep; a contact or group that is a member of a
group cannot be deleted (the group would lose it silently, and alerts with it).
A member left unresolvable from before those rules (`Resolved.stale`) is skipped
by every sender, and shown to the one who can fix it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot.errors import BotError, EmptyGroup, Reason, Refusal, UnknownContact, UnknownGroup
from bot.store import Contact, Group, Store
from sms_core.errors import InputError, NoRecipients
from sms_core.phones import looks_like_number, normalize_number

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Resolved:
    """The numbers targets stand for, and `stale`: members of the groups that no longer
    resolve (a contact deleted before deleting a member in use was refused), as 'name (@group)'.
    Both /sms and alerts skip them and send to the rest."""

    numbers: tuple[str, ...]
    stale: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Actor:
    """Who changes the book, for the audit log."""

    chat_id: int | None
    user_id: int | None


@dataclass(frozen=True, slots=True)
class ContactSaved:
    phone: str
    new: bool


class MemberInUse(BotError):
    """A contact or group that groups still hold cannot be deleted."""

    reason = Reason.MEMBER_IN_USE

    def __init__(self, name: str, groups: Sequence[str]) -> None:
        super().__init__(name=name, groups=", ".join(f"@{g}" for g in groups))


class AddressBook:
    def __init__(self, store: Store) -> None:
        self.store = store

    # -- reading -----------------------------------------------------------------------

    async def contacts(self) -> list[Contact]:
        return await self.store.contacts.all()

    async def groups(self) -> list[Group]:
        return await self.store.contacts.all_groups()

    async def contact_names(self) -> set[str]:
        """Every contact's name, lower case: what tells a name from the text in /sms."""
        return {c.name.lower() for c in await self.store.contacts.all()}

    async def phones_of(self, who: str) -> list[str]:
        """A number or a contact's name -> its phone. Raises InvalidNumber or UnknownContact."""
        if looks_like_number(who):
            return [normalize_number(who)]
        contact = await self.store.contacts.get(who)
        if contact is None:
            raise UnknownContact(who)
        return [contact.phone]

    async def resolve(self, targets: Sequence[str]) -> tuple[str, ...]:
        """Numbers, contact names and @groups -> normalised numbers, deduplicated, in order."""
        return (await self.resolve_all(targets)).numbers

    async def resolve_all(self, targets: Sequence[str]) -> Resolved:
        """resolve(), and the group members that no longer resolve (see Resolved.stale).

        Groups inside groups are followed to any depth; a group met again (a cycle stored
        before /group add refused them, or the same group twice) adds nothing more. A target
        given here that does not resolve is refused (UnknownContact, UnknownGroup, InvalidNumber).
        """
        out: dict[str, None] = {}
        stale: list[str] = []
        seen: set[str] = set()
        for target in targets:
            for number in await self._resolve_one(target, seen, stale):
                out.setdefault(number, None)
        if not out:
            raise NoRecipients()
        return Resolved(tuple(out), tuple(stale))

    async def _resolve_one(self, target: str, seen: set[str], stale: list[str]) -> list[str]:
        if target.startswith("@"):
            name = target[1:]
            group = await self.store.contacts.get_group(name)
            if group is None:
                raise UnknownGroup(name)
            if group.name.lower() in seen:
                return []
            seen.add(group.name.lower())
            if not group.members:
                raise EmptyGroup(name)
            numbers: list[str] = []
            for member in group.members:
                try:
                    numbers.extend(await self._resolve_one(member, seen, stale))
                except (BotError, InputError) as exc:
                    # deleting a member in use is refused; this is one left from before that
                    log.warning("group @%s: member %s skipped (%s)", group.name, member, type(exc).__name__)
                    stale.append(f"{member} (@{group.name})")
            return numbers
        return await self.phones_of(target)

    async def group_cycle(self, name: str, members: Sequence[str]) -> tuple[str, ...] | None:
        """The chain through which @name would contain itself if it had `members`, e.g.
        ('@a', '@b', '@a'); None when it would not."""
        target = name.lower()
        visited: set[str] = set()

        async def walk(group_name: str, path: tuple[str, ...]) -> tuple[str, ...] | None:
            if group_name.lower() == target:
                return path
            if group_name.lower() in visited:
                return None
            visited.add(group_name.lower())
            group = await self.store.contacts.get_group(group_name)
            for member in group.members if group else ():
                if member.startswith("@") and (found := await walk(member[1:], (*path, member))):
                    return found
            return None

        for member in members:
            if member.startswith("@") and (found := await walk(member[1:], (f"@{name}", member))):
                return found
        return None

    # -- changing (admins only: the handler checks) ---------------------------------------

    async def save_contact(self, name: str, number: str, by: Actor) -> ContactSaved:
        phone = normalize_number(number)
        new = await self.store.contacts.upsert(name, phone)
        await self._audit(by, "contact_add", f"{name} {phone}")
        return ContactSaved(phone, new)

    async def delete_contact(self, name: str, by: Actor) -> bool:
        """False when there is no such contact; MemberInUse when a group holds it."""
        if groups := await self.store.contacts.groups_with_member(name):
            raise MemberInUse(name, groups)
        if not await self.store.contacts.delete(name):
            return False
        await self._audit(by, "contact_del", name)
        return True

    async def save_group(self, name: str, members: Sequence[str], by: Actor) -> tuple[str, ...]:
        """The group with these members (numbers normalised, names as the contacts spell them).
        Refuses an unknown member and a group that would contain itself."""
        checked = await self.valid_members(members)
        cycle = await self.group_cycle(name, checked)
        if cycle is not None:
            raise Refusal(Reason.GROUP_CYCLE, name=name, member=cycle[1], path=" → ".join(cycle))
        await self.store.contacts.replace_group(name, checked)
        await self._audit(by, "group_add", f"{name}: {' '.join(checked)}")
        return checked

    async def valid_members(self, members: Sequence[str]) -> tuple[str, ...]:
        """Numbers normalised, contacts as they are spelt in the book, @groups that exist."""
        contacts = {c.name.lower(): c.name for c in await self.store.contacts.all()}
        out: list[str] = []
        for m in members:
            if looks_like_number(m):
                out.append(normalize_number(m))
            elif m.startswith("@"):
                if await self.store.contacts.get_group(m[1:]) is None:
                    raise UnknownGroup(m[1:])
                out.append(m)
            elif m.lower() in contacts:
                out.append(contacts[m.lower()])
            else:
                raise UnknownContact(m)
        return tuple(out)

    async def delete_group(self, name: str, by: Actor) -> bool:
        """False when there is no such group; MemberInUse when another group holds it."""
        if groups := await self.store.contacts.groups_with_member(f"@{name}"):
            raise MemberInUse(f"@{name}", groups)
        if not await self.store.contacts.delete_group(name):
            return False
        await self._audit(by, "group_del", name)
        return True

    async def _audit(self, by: Actor, kind: str, detail: str) -> None:
        await self.store.audit_log.record(kind, by.chat_id, by.user_id, detail)
