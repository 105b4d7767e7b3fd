"""Scheduled sends through the real bot: held by smsbot (the sandbox gets nothing until the
hour), listed by /scheduled, cancelled by the asker or an admin, released at the hour through
the send flow, kept across a restart, and missed (the asker told) when far too late.

The hour comes by a clock given to the runtime (Parts.scheduled_clock), never by waiting;
that nothing was sent is proved after the release job ran a few more times."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from harness import ADMIN, MEMBER, STRANGER, TEAM_CHAT, Harness

from bot.runtime import Parts
from bot.services.scheduled import GRACE, ScheduledSends
from bot.store import HeldSend
from sms_core.schedule import CST


class Clock:
    """The release service's time: the real one until a test sets `now`."""

    def __init__(self) -> None:
        self.now: float | None = None

    def __call__(self) -> float:
        return time.time() if self.now is None else self.now


def later(hours: float = 2) -> datetime:
    return (datetime.now(CST) + timedelta(hours=hours)).replace(second=0, microsecond=0)


def shown(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M")


async def clocked(make_harness: Any, **overrides: Any) -> tuple[Harness, ScheduledSends, Clock]:
    """A bot whose scheduled sends follow `clock`, and its ScheduledSends."""
    clock = Clock()
    h = await make_harness(parts=Parts(scheduled_clock=clock), **overrides)
    return h, h.runtime.scheduled, clock


async def restarted(tmp_path: Path) -> tuple[Harness, ScheduledSends, Clock]:
    clock = Clock()
    h = await Harness(tmp_path, parts=Parts(scheduled_clock=clock)).start()
    return h, h.runtime.scheduled, clock


async def more_runs(h: Harness, service: ScheduledSends, n: int = 3) -> None:
    start = service.runs
    await h.until(lambda: service.runs >= start + n)


async def released(h: Harness, held_id: int = 1) -> HeldSend | None:
    held = await h.runtime.store.scheduled.get(held_id)
    return held if held is not None and held.state == "released" else None


def message(h: Harness, message_id: int, chat: int = TEAM_CHAT) -> dict[str, Any]:
    return next(m for m in h.bot_messages(chat) if m["message_id"] == message_id)


def buttons(msg: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for row in (msg.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


async def press(h: Harness, msg: dict[str, Any], user: int, label: str) -> dict[str, Any]:
    [data] = [b["callback_data"] for b in buttons(msg) if b["text"] == label]
    query = h.api.push_callback(TEAM_CHAT, user, msg["message_id"], data)
    return await h.until(lambda: h.api.callback_answer(query))


# --- held, listed ---------------------------------------------------------------------------------


async def test_a_scheduled_send_is_held_and_its_status_says_not_sent_yet(make_harness: Any) -> None:
    harness, service, _ = await clocked(make_harness)
    at = later()
    status = await harness.ask(f"/sms at {shown(at)} 13800138000 later")
    assert status["text"].startswith(f"🕒 Scheduled for {shown(at)} (China time), not sent yet")
    assert "1 number · 1 segment each · cost 1" in status["text"] and "Sent to" not in status["text"]
    assert not buttons(status)  # no send to show Details of yet
    await more_runs(harness, service)
    assert harness.gateway.request_count("send") == 0
    [held] = await harness.services.store.scheduled.waiting(TEAM_CHAT)
    assert (held.state, held.status_message_id, held.due_at) == ("held", status["message_id"], at.timestamp())
    assert await harness.services.store.sends.history() == []  # nothing journaled: nothing sent


async def test_scheduled_lists_when_whom_by_name_the_text_and_the_cost(harness: Harness) -> None:
    await harness.ask("/contact add alice 13800138000", user=ADMIN)
    assert (await harness.ask("/scheduled"))["text"].startswith("No scheduled sends are waiting in this chat")
    soon, late = later(1), later(3)
    await harness.ask(f"/sms at {shown(late)} 13900139000 second <b>one</b>")
    await harness.ask(f"/sms at {shown(soon)} alice,13800138001 Maintenance tonight")
    listing = await harness.ask("/scheduled")
    text = listing["text"]
    assert text.startswith("Scheduled sends (China time)")
    first, second = text.index(shown(soon)), text.index(shown(late))
    assert first < second  # soonest first
    assert "to alice, 13800138001 · cost 2 · by @max" in text and "Maintenance tonight" in text
    assert "second <b>one</b>" in text  # the text is shown as written, escaped
    assert [b["text"] for b in buttons(listing)] == ["Cancel #2", "Cancel #1"]


async def test_the_held_status_and_the_list_speak_chinese_to_a_chinese_user(harness: Harness) -> None:
    harness.api.add_user(MEMBER, "Max", username="max", language_code="zh-hans")
    at = later()
    status = await harness.ask(f"/sms at {shown(at)} 13800138000 later")
    assert status["text"].startswith(f"🕒 定时于 {shown(at)}（北京时间），尚未发送")
    listing = await harness.ask("/scheduled")
    assert listing["text"].startswith("定时短信（北京时间）") and [b["text"] for b in buttons(listing)] == ["取消 #1"]


# --- cancelled --------------------------------------------------------------------------------------


async def test_the_asker_cancels_and_it_is_never_sent_even_after_its_hour(make_harness: Any) -> None:
    harness, service, clock = await clocked(make_harness)
    at = later()
    status = await harness.ask(f"/sms at {shown(at)} 13800138000 later")
    listing = await harness.ask("/scheduled")
    answer = await press(harness, listing, MEMBER, "Cancel #1")
    assert answer["text"] == "#1 cancelled: it will not be sent."
    await harness.until(lambda: message(harness, status["message_id"])["text"]
                        == f"✗ Cancelled by @max: the SMS scheduled for {shown(at)} (China time) was not sent.")
    await harness.until(lambda: message(harness, listing["message_id"])["text"].startswith("No scheduled sends"))
    assert not buttons(message(harness, listing["message_id"]))

    clock.now = at.timestamp() + 5  # its hour has come
    await more_runs(harness, service)
    assert harness.gateway.request_count("send") == 0
    assert (await harness.services.store.scheduled.get(1)).state == "cancelled"


async def test_a_member_who_did_not_ask_is_refused_and_an_admin_may_cancel(make_harness: Any) -> None:
    harness, service, clock = await clocked(make_harness)
    at = later()
    await harness.ask(f"/sms at {shown(at)} 13800138000 later")
    listing = await harness.ask("/scheduled")
    refused = await press(harness, listing, STRANGER, "Cancel #1")
    assert refused["text"] == "Only the person who scheduled this send, or an admin, can cancel it."
    assert refused["show_alert"] is True
    assert (await harness.services.store.scheduled.get(1)).state == "held"
    [audit] = await harness.services.store.audit_log.recent("scheduled_cancel_refused")
    assert (audit.user_id, audit.detail) == (STRANGER, "#1")

    cancelled = await press(harness, listing, ADMIN, "Cancel #1")
    assert cancelled["text"] == "#1 cancelled: it will not be sent."
    held = await harness.services.store.scheduled.get(1)
    assert (held.state, held.closed_by, held.closed_by_name) == ("cancelled", ADMIN, "@ada")
    clock.now = at.timestamp() + 5
    await more_runs(harness, service)
    assert harness.gateway.request_count("send") == 0


# --- released ---------------------------------------------------------------------------------------


async def test_a_held_send_is_released_at_its_hour_and_its_status_becomes_the_sends(make_harness: Any) -> None:
    harness, service, clock = await clocked(make_harness)
    at = later()
    status = await harness.ask(f"/sms at {shown(at)} 13800138000 later")
    clock.now = at.timestamp() - 1  # a second before: still held
    await more_runs(harness, service)
    assert harness.gateway.request_count("send") == 0

    clock.now = at.timestamp()
    [sent] = await harness.until(lambda: harness.gateway.sent)
    assert sent.accepted == ("13800138000",) and sent.text == "later"
    assert sent.send_time is None  # handed over at its hour, not to the gateway's scheduler
    await harness.until(lambda: "delivered 1/1 · all reports in"
                        in message(harness, status["message_id"])["text"])
    assert message(harness, status["message_id"])["text"].startswith("Sent to 1 number")
    assert [b["text"] for b in buttons(message(harness, status["message_id"]))] == ["Details"]
    [record] = await harness.services.store.sends.history()
    assert (record.state, record.status_message_id) == ("accepted", status["message_id"])
    held = await harness.eventually(lambda: released(harness))
    assert held.send_id == record.id
    await more_runs(harness, service)
    assert len(harness.gateway.sent) == 1  # once
    assert [m["message_id"] for m in harness.bot_messages()] == [status["message_id"]]  # no second status


async def test_a_confirmed_scheduled_send_is_held_and_its_question_becomes_its_status(make_harness: Any) -> None:
    h, _, clock = await clocked(make_harness, confirm_threshold=0)
    at = later(24 * 30)
    question = await h.ask(f"/sms at {shown(at)} 13800138000 later")
    assert f"scheduled for {shown(at)} (China time)" in question["text"]
    assert "Balance: 10000 messages." in question["text"]
    await press(h, question, MEMBER, "Confirm")
    await h.until(lambda: message(h, question["message_id"])["text"].startswith(
        f"🕒 Scheduled for {shown(at)} (China time), not sent yet"))
    assert not buttons(message(h, question["message_id"]))  # the question's buttons are gone
    assert h.gateway.request_count("send") == 0
    clock.now = at.timestamp() + 1
    await h.until(lambda: "all reports in" in message(h, question["message_id"])["text"])
    assert len(h.gateway.sent) == 1


# --- restarts ---------------------------------------------------------------------------------------


async def _held_then_stopped(tmp_path: Path) -> tuple[datetime, int]:
    first = await Harness(tmp_path).start()
    try:
        at = later()
        status = await first.ask(f"/sms at {shown(at)} 13800138000 after the restart")
        assert first.gateway.request_count("send") == 0
    finally:
        await first.stop()
    return at, status["message_id"]


async def test_a_held_send_survives_a_restart_and_is_sent_a_little_late(tmp_path: Path) -> None:
    at, status_id = await _held_then_stopped(tmp_path)
    again, service, clock = await restarted(tmp_path)
    try:
        listing = await again.ask("/scheduled")
        assert "after the restart" in listing["text"]
        clock.now = at.timestamp() + 60  # the bot was down at its hour, back a minute later
        [sent] = await again.until(lambda: again.gateway.sent)
        assert sent.text == "after the restart"
        # the status message (of the first run's chat; this double never saw it) is edited
        await again.until(lambda: any(c.params.get("message_id") == status_id
                                      and c.params.get("text", "").startswith("Sent to 1 number")
                                      for c in again.api.calls("editMessageText")))
        await more_runs(again, service)
        assert len(again.gateway.sent) == 1
    finally:
        await again.stop()


async def test_a_send_due_too_long_ago_is_missed_never_sent_and_its_asker_told(tmp_path: Path) -> None:
    at, status_id = await _held_then_stopped(tmp_path)
    again, service, clock = await restarted(tmp_path)
    try:
        clock.now = at.timestamp() + GRACE + 120  # the bot was down for hours
        [notice] = await again.until(lambda: [m for m in again.bot_messages() if m["text"].startswith("@max")])
        assert f"@max: your SMS scheduled for {shown(at)} (China time) to 1 number was not sent" in notice["text"]
        assert "17 minutes late is too late (at most 15)" in notice["text"]
        assert "To send it now: /sms 13800138000\nafter the restart" in notice["text"]
        await more_runs(again, service)
        assert again.gateway.request_count("send") == 0
        held = await again.services.store.scheduled.get(1)
        assert (held.state, held.told) == ("missed", True)
        assert len([m for m in again.bot_messages() if m["text"].startswith("@max")]) == 1  # told once
        assert any(c.params.get("message_id") == status_id and "while the bot was not running" in c.params["text"]
                   for c in again.api.calls("editMessageText"))
    finally:
        await again.stop()


async def test_a_send_stopped_mid_release_before_its_journal_is_held_again_and_sent_once(tmp_path: Path) -> None:
    at, _ = await _held_then_stopped(tmp_path)
    from bot.store import Store

    async with Store(tmp_path / "smsbot.sqlite3") as store:  # taken for sending when the bot died
        assert await store.scheduled.claim(1)
    again, _, clock = await restarted(tmp_path)
    try:
        clock.now = at.timestamp() + 1
        [sent] = await again.until(lambda: again.gateway.sent)
        assert sent.text == "after the restart"
        await again.eventually(lambda: released(again))  # marked once the gateway's answer is recorded
    finally:
        await again.stop()
