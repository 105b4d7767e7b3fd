"""An inbound SMS's sender as the gateway writes it (`+86…`, `86…`, `0086…`) is one phone.

The real bot against the sandbox gateway and the Bot API double: one topic, the
contact's name, and an ack by SMS, whatever form the gateway gives the number in.
"""

from __future__ import annotations

from typing import Any

from alert_helpers import FIRING, accepted_id, alert_state, alerts_bot, copy_saying, post
from harness import inbox_messages, live_topics

PHONE = "13900001111"


async def test_one_phone_in_any_form_gets_one_topic_named_after_its_contact(harness):
    await harness.services.store.contacts.upsert("alice", PHONE)
    forms = [PHONE, "+86" + PHONE, "86" + PHONE, "0086" + PHONE]
    for i, form in enumerate(forms):
        harness.gateway.add_inbound(form, f"form {i}")
        await harness.until(lambda i=i: any(f"form {i}" in m["text"] for m in inbox_messages(harness)))
    [topic] = live_topics(harness)
    assert topic["name"] == f"alice {PHONE}"
    assert {m["message_thread_id"] for m in inbox_messages(harness)} == {topic["message_thread_id"]}
    assert {r.phone for r in await harness.services.store.inbound.since(0)} == {PHONE}


async def test_a_sender_that_is_no_chinese_number_is_kept_as_received(harness):
    for sender in ("10086", "+447700900123"):
        harness.gateway.add_inbound(sender, f"from {sender}")
    await harness.until(lambda: len(inbox_messages(harness)) == 2)
    assert sorted(t["name"] for t in live_topics(harness)) == ["+447700900123", "10086"]
    assert {r.phone for r in await harness.services.store.inbound.since(0)} == {"10086", "+447700900123"}


async def test_an_ack_by_sms_from_a_plus86_sender_acknowledges(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    await h.services.store.contacts.upsert("alice", "13800138001")
    alert_id = accepted_id(await post(h, FIRING))
    await alert_state(h, alert_id, "sent")
    h.gateway.add_inbound("+8613800138001", "1")
    await copy_saying(h, alert_id, "Acknowledged by alice (13800138001)")
