"""What happens to an alert after the webhook answered: the cap, big groups, retries when the
gateway is down, unknown outcomes, a restart, and acknowledgements by SMS and by /ack."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from alert_helpers import (
    FIRING,
    ONCALL,
    accepted_id,
    alert_state,
    alerts_bot,
    copies,
    copy_saying,
    post,
)
from harness import ALERT_CHAT, MEMBER, TEAM_CHAT, Harness

from bot.runtime import Parts
from bot.services.address_book import AddressBook, Resolved
from bot.services.alerts.service import AlertService


def service(h: Harness) -> AlertService:
    return h.runtime.alerts.service


def alert(name: str, instance: str = "db-1", status: str = "firing") -> dict[str, Any]:
    return {"status": status, "alerts": [{
        "status": status, "fingerprint": f"fp-{name}",
        "labels": {"alertname": name, "instance": instance}, "annotations": {"summary": f"{name} on {instance}"},
    }]}


async def sends_of(h: Harness, alert_id: int) -> list[Any]:
    return [s for s in await h.services.store.sends.history(limit=1000) if s.alert_id == alert_id]


# --- the hourly cap ------------------------------------------------------------------------------


async def test_the_hourly_cap_holds_back_and_summarises_once_when_the_hour_reopens(make_harness: Any) -> None:
    h = await alerts_bot(make_harness, alert_max_per_hour=2, members=["13800138000"])
    ids = [accepted_id(await post(h, alert(name))) for name in ("DiskFull", "HighCPU", "Swap", "NoBackup")]
    await alert_state(h, ids[-1], "suppressed")
    assert [s.text.split(" Reply")[0] for s in h.gateway.sent] == [
        "[FIRING] DiskFull: DiskFull on db-1", "[FIRING] HighCPU: HighCPU on db-1"]
    # the alert chat learns at once
    await copy_saying(h, ids[2], "Held back from 1 phone by the hourly cap (2 alert SMS per phone per hour)")
    await copy_saying(h, ids[3], "Held back from 1 phone")

    svc = service(h)
    await svc.run_due()
    assert len(h.gateway.sent) == 2  # the hour has not reopened
    svc.clock = lambda: time.time() + 3601
    await svc.run_due()
    await svc.run_due()  # once, not once per run
    assert len(h.gateway.sent) == 3
    summary = h.gateway.sent[2]
    assert summary.text == "2 more alerts suppressed: Swap db-1, NoBackup db-1"
    assert summary.accepted == ("13800138000",)
    assert len(h.gateway.sent) == 3


async def test_the_cap_summary_names_a_held_back_resolution_as_resolved(make_harness: Any) -> None:
    h = await alerts_bot(make_harness, alert_max_per_hour=1, members=["13800138000"])
    await alert_state(h, accepted_id(await post(h, alert("DiskFull"))), "sent")
    held = accepted_id(await post(h, alert("DiskFull", status="resolved")))
    await alert_state(h, held, "suppressed")
    svc = service(h)
    svc.clock = lambda: time.time() + 3601
    await svc.run_due()
    assert [s.text for s in h.gateway.sent][1:] == ["1 more alert suppressed: [RESOLVED] DiskFull db-1"]


async def test_the_cap_counts_per_phone(make_harness: Any) -> None:
    h = await alerts_bot(make_harness, alert_max_per_hour=1, members=["13800138000"])
    await h.services.store.contacts.replace_group("db", ["13800138000", "13700137000"])
    await post(h, alert("A"))
    await h.until(lambda: h.gateway.sent)
    second = accepted_id(await post(h, alert("B"), group="db"))
    await alert_state(h, second, "sent")
    assert h.gateway.sent[1].accepted == ("13700137000",)  # 13800138000 had its one for this hour
    await copy_saying(h, second, "Held back from 1 phone", "Sent to 1 number ·")


# --- big groups ------------------------------------------------------------------------------------


async def test_a_group_of_150_is_two_gateway_requests_and_one_copy(make_harness: Any) -> None:
    members = [f"139{n:08d}" for n in range(150)]
    h = await alerts_bot(make_harness, members=members)
    alert_id = accepted_id(await post(h, FIRING))
    await alert_state(h, alert_id, "sent")
    assert h.gateway.request_count("send") == 2
    assert [len(s.accepted) for s in h.gateway.sent] == [100, 50]
    assert sorted(n for s in h.gateway.sent for n in s.accepted) == sorted(members)
    await copy_saying(h, alert_id, "Sent to 150 numbers")
    assert len(copies(h)) == 1


# --- the gateway down ------------------------------------------------------------------------------------


async def test_gateway_down_the_alert_is_kept_retried_and_sent_exactly_once(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    service(h).retry_base = 0.5
    h.sandbox.stop()  # connection refused: the send certainly did not arrive
    try:
        r = await post(h, FIRING)
        assert r.status_code == 202  # committed: Alertmanager is done with it
        alert_id = accepted_id(r)
        failed = await alert_state(h, alert_id, "failed")
        assert failed.attempts == 1 and failed.next_attempt_at is not None
        await copy_saying(h, alert_id, "Not sent", "trying again at", "attempt 2 of")
    finally:
        h.sandbox.start()  # the same port
    done = await alert_state(h, alert_id, "sent")
    assert done.attempts >= 2
    await h.dispatch_runs(2)
    assert len(h.gateway.sent) == 1 and h.gateway.request_count("send") == 1
    assert sorted(h.gateway.sent[0].accepted) == sorted(ONCALL)
    states = [s.state for s in await sends_of(h, alert_id)]
    assert states.count("accepted") == 1 and set(states) <= {"failed", "accepted"}
    await copy_saying(h, alert_id, "Sent to 3 numbers", f"Sent at attempt {done.attempts}")


async def test_busy_gateway_then_back(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    service(h).retry_base = 0.3
    h.gateway.add_fault("busy", count=3, endpoint="send")  # one attempt's three tries
    alert_id = accepted_id(await post(h, FIRING))
    await alert_state(h, alert_id, "sent")
    assert len(h.gateway.sent) == 1 and h.gateway.request_count("send") == 4


async def test_after_a_retry_the_copy_counts_the_numbers_of_every_attempt(make_harness: Any) -> None:
    members = [f"139{n:08d}" for n in range(150)]
    h = await alerts_bot(make_harness, members=members)
    service(h).retry_base = 0.3
    h.gateway.add_fault("busy", count=3, endpoint="send")  # the first chunk's three tries: 100 numbers
    alert_id = accepted_id(await post(h, FIRING))
    done = await alert_state(h, alert_id, "sent", timeout=20)
    assert done.attempts == 2 and [len(s.accepted) for s in h.gateway.sent] == [50, 100]
    # 50 from the first attempt, 100 from the retry; delivery reports of both move the counts
    await copy_saying(h, alert_id, "Sent to 150 numbers", "delivered 150/150", "all reports in",
                      "Sent at attempt 2")


async def test_after_a_retry_the_copy_still_says_outcome_unknown_for_an_earlier_attempt(
        make_harness: Any) -> None:
    members = [f"139{n:08d}" for n in range(150)]
    h = await alerts_bot(make_harness, members=members)
    service(h).retry_base = 0.3
    h.gateway.add_fault("drop", endpoint="send", process=True)  # chunk 1: sent, the answer lost
    h.gateway.add_fault("busy", count=3, endpoint="send")  # chunk 2: certainly not sent, retried
    alert_id = accepted_id(await post(h, FIRING))
    done = await alert_state(h, alert_id, "partial", timeout=20)
    assert done.attempts == 2
    copy = await copy_saying(h, alert_id, "Sent to 50 numbers", "delivered 50/50",
                             "Outcome unknown for 100 numbers")
    assert "150" not in copy
    assert h.gateway.request_count("send") == 5  # 1 + 3 busy + the retry of the 50: nothing twice


async def test_a_balance_too_low_is_retried_after_a_top_up(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    service(h).retry_base = 0.3
    h.gateway.set_balance(0)
    alert_id = accepted_id(await post(h, FIRING))
    failed = await alert_state(h, alert_id, "failed")
    assert "insufficient_balance" in (failed.error or "")
    h.gateway.set_balance(1000)
    await alert_state(h, alert_id, "sent")
    assert len(h.gateway.sent) == 1


async def test_low_balance_then_gateway_down_then_back_is_still_sent_once(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    svc = service(h)
    svc.retry_base = 3600.0  # retries only when this test says so
    h.gateway.set_balance(0)
    alert_id = accepted_id(await post(h, FIRING))
    await alert_state(h, alert_id, "failed")
    h.sandbox.stop()
    try:
        svc.clock = lambda: time.time() + 4000
        await svc.run_due()
        second = await alert_state(h, alert_id, "failed")
        assert second.attempts == 2 and "could not connect" in (second.error or "")
    finally:
        h.gateway.set_balance(1000)
        h.sandbox.start()
    svc.clock = lambda: time.time() + 40_000
    await svc.run_due()
    await alert_state(h, alert_id, "sent")
    assert len(h.gateway.sent) == 1 and sorted(h.gateway.sent[0].accepted) == sorted(ONCALL)


async def test_a_refusal_that_would_repeat_is_not_retried(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    service(h).retry_base = 0.1
    alert_id = accepted_id(await post(h, {"text": "代开发票 on db-1"}))  # the gateway's forbidden words
    refused = await alert_state(h, alert_id, "refused")
    await h.dispatch_runs(2)
    assert refused.attempts == 1 and h.gateway.request_count("send") == 1


async def test_an_unknown_outcome_is_never_sent_again(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    service(h).retry_base = 0.1
    h.gateway.add_fault("drop", endpoint="send", process=True)  # sent, but the answer is lost
    alert_id = accepted_id(await post(h, FIRING))
    await alert_state(h, alert_id, "unknown")
    await service(h).run_due()
    await h.dispatch_runs(2)
    assert h.gateway.request_count("send") == 1 and len(h.gateway.sent) == 1
    await copy_saying(h, alert_id, "Outcome unknown for 3 numbers")


class BuggyAddressBook(AddressBook):
    """Fails to resolve anything while `bug` is set: a bug in the dispatch, where the dispatcher
    meets it (the alert's group resolved to phones)."""

    bug = True

    async def resolve_all(self, targets: Sequence[str]) -> Resolved:
        if self.bug:
            raise RuntimeError("a bug")
        return await super().resolve_all(targets)


async def test_a_bug_in_dispatch_never_crashes_the_loop_and_ends_in_gave_up(make_harness: Any) -> None:
    h = await alerts_bot(make_harness, parts=Parts(address_book=BuggyAddressBook))
    svc = service(h)
    svc.retry_base, svc.max_attempts = 0.05, 3
    alert_id = accepted_id(await post(h, FIRING))
    gave_up = await alert_state(h, alert_id, "gave_up")
    assert gave_up.attempts == 3 and h.gateway.sent == []
    await copy_saying(h, alert_id, "Not sent after 3 attempts: internal error")
    book = h.runtime.address_book
    assert isinstance(book, BuggyAddressBook)
    book.bug = False
    second = accepted_id(await post(h, alert("Other")))  # the dispatcher still runs
    await alert_state(h, second, "sent")


# --- a restart --------------------------------------------------------------------------------------------


async def test_alerts_committed_but_not_sent_are_sent_after_a_restart(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    await service(h).stop()  # as if the process died right after the commits
    queued = accepted_id(await post(h, alert("Queued")))
    claimed = accepted_id(await post(h, alert("Claimed")))
    # the second one died between being taken for sending and its journal entry
    assert await h.services.store.alert_delivery.claim(claimed, ONCALL, "[FIRING] Claimed", 10, time.time())
    await h.copy_runs(2)  # the bot took both in (their copies); its dispatcher, stopped, sends nothing
    assert h.gateway.sent == []
    await h.stop()

    again = await alerts_bot(make_harness)
    await alert_state(again, queued, "sent")
    await alert_state(again, claimed, "sent")
    texts = sorted(s.text for s in again.gateway.sent)
    assert len(texts) == 2 and texts[0].startswith("[FIRING] Claimed") and texts[1].startswith("[FIRING] Queued")


async def test_an_alert_interrupted_mid_send_is_unknown_after_a_restart_never_resent(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    await service(h).stop()
    alert_id = accepted_id(await post(h, FIRING))
    store = h.services.store
    await store.alert_delivery.claim(alert_id, ONCALL, "[FIRING] x", 10, time.time())
    send_id = await store.sends.journal(origin="alert", text="[FIRING] x", segments=1, numbers=ONCALL,
                                       alert_id=alert_id)
    await store.sends.start_chunk(send_id, 0)  # the gateway was being called when it died
    await store.alert_delivery.set_send(alert_id, send_id)
    await h.stop()

    again = await alerts_bot(make_harness)
    await alert_state(again, alert_id, "unknown")
    await again.dispatch_runs(2)
    assert again.gateway.sent == []
    # the copy (posted by the first run) is edited to say so; this double never saw it, so it says 400
    await again.until(lambda: any("Outcome unknown for 3 numbers" in c.params.get("text", "")
                                  for c in again.api.calls("editMessageText")))


# --- acknowledgements -----------------------------------------------------------------------------------


async def test_an_sms_with_the_code_from_a_recipient_acknowledges_and_stops_repeats(make_harness: Any) -> None:
    h = await alerts_bot(make_harness, alert_dedup=0)  # every repeat would be texted
    await h.services.store.contacts.upsert("alice", "13800138001")
    alert_id = accepted_id(await post(h, FIRING))
    await alert_state(h, alert_id, "sent")
    h.gateway.add_inbound("13900000000", "1")  # not a recipient: no ack
    h.gateway.add_inbound("13800138001", " ack 1 ")
    copy = await copy_saying(h, alert_id, "Acknowledged by alice (13800138001)")
    assert "Sent to 3 numbers" in copy
    acked = await h.services.store.alert_intake.get(alert_id)
    assert acked.acked_by == "alice (13800138001)"

    repeat = await post(h, FIRING)
    assert repeat.json()["accepted"][0]["state"] == "acked"  # silenced until it resolves
    resolved = await post(h, FIRING.replace(b'"firing"', b'"resolved"'))
    await alert_state(h, accepted_id(resolved), "sent")
    fires_again = accepted_id(await post(h, FIRING))
    await alert_state(h, fires_again, "sent")
    assert [s.text.split(":")[0] for s in h.gateway.sent] == [
        "[FIRING] HighLatency", "[RESOLVED] HighLatency", "[FIRING] HighLatency"]
    audits = await h.services.store.audit_log.recent("alert_ack")
    assert len(audits) == 1 and "alice" in (audits[0].detail or "")


async def test_a_late_reply_to_an_alert_acked_hours_after_it_fired_does_not_ack_the_next_alert(
        make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    svc, t0 = service(h), time.time()
    first = accepted_id(await post(h, alert("DiskFull")))
    await alert_state(h, first, "sent")
    svc.clock = lambda: t0 + 7200  # Max acks it two hours after it fired
    assert (await h.ask("/ack 1"))["text"] == "Alert 1 acknowledged by @max."
    svc.clock = lambda: t0 + 7260  # a minute later, a new alert
    r = await post(h, alert("HighCPU"))
    assert r.json()["accepted"][0]["code"] == 2  # 1 was answerable a minute ago: not handed out
    second = accepted_id(r)
    await alert_state(h, second, "sent")
    assert h.gateway.sent[-1].text.endswith("Reply 2 to ack")
    h.gateway.add_inbound(ONCALL[1], "1")  # a recipient's late reply, meant for the first alert
    h.gateway.add_inbound(ONCALL[2], "2")
    await copy_saying(h, second, f"Acknowledged by {ONCALL[2]}")
    assert (await h.services.store.alert_intake.get(second)).acked_by == ONCALL[2]
    assert (await h.services.store.alert_intake.get(first)).acked_by == "@max"


async def test_a_code_freed_by_a_late_resolve_is_not_handed_out_for_an_hour(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    svc, t0 = service(h), time.time()
    first = accepted_id(await post(h, alert("DiskFull")))
    await alert_state(h, first, "sent")
    svc.clock = lambda: t0 + 3 * 3600
    await post(h, alert("DiskFull", status="resolved"))
    svc.clock = lambda: t0 + 3 * 3600 + 30
    assert (await post(h, alert("HighCPU"))).json()["accepted"][0]["code"] == 2
    svc.clock = lambda: t0 + 4 * 3600 + 1
    assert (await post(h, alert("Swap"))).json()["accepted"][0]["code"] == 1


async def test_an_ack_in_one_group_does_not_silence_the_same_alert_for_another_group(make_harness: Any) -> None:
    h = await alerts_bot(make_harness, alert_dedup=0)  # every repeat would be texted
    await h.services.store.contacts.replace_group("dba", ["13700137000"])
    oncall = accepted_id(await post(h, FIRING, group="oncall"))
    dba = accepted_id(await post(h, FIRING, group="dba"))
    await alert_state(h, oncall, "sent")
    await alert_state(h, dba, "sent")
    h.gateway.add_inbound(ONCALL[0], "1")  # on-call acknowledges its own SMS
    await copy_saying(h, oncall, f"Acknowledged by {ONCALL[0]}")
    assert (await post(h, FIRING, group="oncall")).json()["accepted"][0]["state"] == "acked"
    repeat = await post(h, FIRING, group="dba")  # Alertmanager's repeat to the DBA team
    assert repeat.json()["accepted"][0]["state"] == "stored"
    await alert_state(h, accepted_id(repeat), "sent")
    assert [s.accepted for s in h.gateway.sent[-1:]] == [("13700137000",)]
    assert (await h.services.store.alert_intake.get(dba)).acked_at is None


async def test_ack_command_in_chat(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    alert_id = accepted_id(await post(h, FIRING))
    await alert_state(h, alert_id, "sent")
    assert (await h.ask("/ack")) ["text"].startswith("Write /ack CODE")
    assert "no open alert with code 7" in (await h.ask("/ack 7"))["text"]
    reply = await h.ask("/ack 1", chat=TEAM_CHAT, user=MEMBER)
    assert reply["text"] == "Alert 1 acknowledged by @max."
    await copy_saying(h, alert_id, "Acknowledged by @max")
    assert "was already acknowledged by @max at" in (await h.ask("/ack 1"))["text"]  # once
    # in the alert chat itself too (it is an allowed chat)
    second = accepted_id(await post(h, {"text": "backup failed"}))
    await alert_state(h, second, "sent")
    await copy_saying(h, second, "Sent to")  # the copy is paced into the chat: let it land first,
    code = (await h.services.store.alert_intake.get(second)).code  # so that the answer read next is /ack's
    reply = await h.ask(f"/ack {code}", chat=ALERT_CHAT, user=MEMBER)
    assert "acknowledged by @max" in reply["text"]


async def test_the_copy_is_escaped_html(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    alert_id = accepted_id(await post(h, {"text": "<b>load</b> & <script>"}))
    copy = await copy_saying(h, alert_id, "<b>load</b> & <script>")
    raw = next(m["raw_text"] for m in h.bot_messages(ALERT_CHAT) if m["text"] == copy)
    assert "&lt;b&gt;load&lt;/b&gt; &amp; &lt;script&gt;" in raw


async def test_no_alert_chat_no_copies(make_harness: Any) -> None:
    h = await alerts_bot(make_harness, alert_chat_id=None)
    alert_id = accepted_id(await post(h, FIRING))
    await alert_state(h, alert_id, "sent")
    await h.dispatch_runs(2)
    assert await h.runtime.alerts.copies.run_once() == 0  # its loop is not even started
    assert h.bot_messages(ALERT_CHAT) == []
