"""Contact groups through the real bot: nesting to any depth, no cycles, no member lost silently.

/sms and alerts resolve a group in one place (SendService.resolve), so they agree on
who gets the SMS.
"""

from __future__ import annotations

from typing import Any

from alert_helpers import FIRING, accepted_id, alert_state, alerts_bot, post
from harness import ADMIN


async def test_groups_inside_groups_are_followed_to_any_depth(harness):
    await harness.ask("/group add c 13700137000", user=ADMIN)
    await harness.ask("/group add b @c 13600136000", user=ADMIN)
    await harness.ask("/group add a @b", user=ADMIN)
    await harness.ask("/group add top @a 13500135000", user=ADMIN)
    reply = await harness.ask("/sms @top hi")
    assert reply["text"].startswith("Sent to 3 numbers")
    assert harness.gateway.sent[0].accepted == ("13700137000", "13600136000", "13500135000")


async def test_a_group_that_would_contain_itself_is_refused(harness):
    await harness.ask("/group add a 13700137000", user=ADMIN)
    reply = await harness.ask("/group add a @a", user=ADMIN)
    assert "@a cannot contain @a" in reply["text"] and "Leave @a out" in reply["text"]
    await harness.ask("/group add b @a 13600136000", user=ADMIN)
    reply = await harness.ask("/group add a @b", user=ADMIN)
    assert "@a cannot contain @b" in reply["text"] and "(@a → @b → @a)" in reply["text"]
    assert (await harness.services.store.contacts.get_group("a")).members == ("13700137000",)  # unchanged
    reply = await harness.ask("/sms @b hi")
    assert harness.gateway.sent[0].accepted == ("13700137000", "13600136000")


async def test_deleting_a_contact_or_group_that_a_group_uses_is_refused(harness):
    await harness.ask("/contact add alice 13800138000", user=ADMIN)
    await harness.ask("/group add c 13700137000", user=ADMIN)
    await harness.ask("/group add oncall alice @C", user=ADMIN)
    reply = await harness.ask("/contact del ALICE", user=ADMIN)
    assert reply["text"].startswith("ALICE is a member of @oncall: nothing was deleted")
    reply = await harness.ask("/group del c", user=ADMIN)
    assert reply["text"].startswith("@c is a member of @oncall: nothing was deleted")
    store = harness.services.store
    assert await store.contacts.get("alice") is not None and await store.contacts.get_group("c") is not None
    await harness.ask("/group add oncall 13900139000", user=ADMIN)  # taken out: now it may go
    assert (await harness.ask("/contact del alice", user=ADMIN))["text"] == "Contact alice deleted."
    assert (await harness.ask("/group del c", user=ADMIN))["text"] == "Group @c deleted."


async def test_a_member_left_from_before_is_skipped_alike_by_sms_and_alerts(make_harness: Any) -> None:
    # a store from before deleting a member in use was refused: 'alice' is no contact any more
    h = await alerts_bot(make_harness, members=["alice", "13900139000"])
    reply = await h.ask("/sms @oncall paged")
    await h.until(lambda: h.gateway.sent)
    assert "Skipped, no longer a contact or group: alice (@oncall)" in reply["text"]
    alert_id = accepted_id(await post(h, FIRING))
    await alert_state(h, alert_id, "sent")
    assert [s.accepted for s in h.gateway.sent] == [("13900139000",), ("13900139000",)]
