"""/ack of a code that takes no ack tells why (who acknowledged it and when, that it resolved,
that it expired), and an alert's copy says Resolved whether or not it was acknowledged first:
the real bot, the sandbox gateway and the Bot API double over HTTP."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from alert_helpers import (
    FIRING,
    ONCALL,
    RESOLVED,
    accepted_id,
    alert_state,
    alerts_bot,
    copy_saying,
    post,
)
from harness import store_at_schema

from bot.i18n import Translator
from bot.services.alerts.ack_status import ack_answer, past_outcome, team_time
from bot.store import Store
from bot.store.alerts import AlertItemIn
from bot.store.models import AlertRecord

CHINESE_USER = 1003


def _service(h: Any) -> Any:
    return h.runtime.alerts.service


async def _acked_by_sms(h: Any) -> int:
    """Alert 1 (code 1) sent to @oncall and acknowledged by alice's SMS; returns its id."""
    await h.runtime.store.contacts.upsert("alice", ONCALL[1])
    alert_id = accepted_id(await post(h, FIRING))
    await alert_state(h, alert_id, "sent")
    h.gateway.add_inbound(ONCALL[1], "1")
    await copy_saying(h, alert_id, "Acknowledged by alice")
    return alert_id


async def test_ack_after_an_sms_ack_says_who_acknowledged_it_and_when(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    alert_id = await _acked_by_sms(h)
    acked = await h.runtime.store.alert_intake.get(alert_id)
    when = team_time(acked.acked_at)
    reply = await h.ask("/ack 1")
    assert reply["text"] == (f"Alert 1 was already acknowledged by alice ({ONCALL[1]}) at {when} (China time).")
    assert (await h.runtime.store.alert_intake.get(alert_id)).acked_by == f"alice ({ONCALL[1]})"  # unchanged

    h.api.add_user(CHINESE_USER, "李雷", username="lilei", language_code="zh")
    reply = await h.ask("/ack 1", user=CHINESE_USER)
    assert reply["text"] == f"告警 1 已于 {when}（北京时间）由 alice ({ONCALL[1]}) 确认。"


async def test_the_copy_of_an_acknowledged_alert_says_resolved_when_it_resolves(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    alert_id = await _acked_by_sms(h)
    resolve = accepted_id(await post(h, RESOLVED))
    await alert_state(h, resolve, "sent")
    resolved_at = (await h.runtime.store.alert_intake.get(alert_id)).resolved_at
    assert resolved_at is not None
    copy = await copy_saying(h, alert_id, "Acknowledged by alice", f"Resolved at {team_time(resolved_at)}")
    assert copy.index("Acknowledged") < copy.index("Resolved")

    acked = await h.runtime.store.alert_intake.get(alert_id)
    reply = await h.ask("/ack 1")
    assert reply["text"] == (f"Alert 1 was already acknowledged by alice ({ONCALL[1]}) at "
                             f"{team_time(acked.acked_at)}, and resolved at {team_time(resolved_at)} (China time).")


async def test_the_copy_of_an_alert_resolved_without_an_ack_says_resolved_and_ack_says_so(
        make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    alert_id = accepted_id(await post(h, FIRING))
    await alert_state(h, alert_id, "sent")
    await alert_state(h, accepted_id(await post(h, RESOLVED)), "sent")
    record = await h.runtime.store.alert_intake.get(alert_id)
    assert record.acked_at is None and record.resolved_at is not None
    copy = await copy_saying(h, alert_id, f"Resolved at {team_time(record.resolved_at)} (China time)")
    assert "Acknowledged" not in copy
    reply = await h.ask("/ack 1")
    assert reply["text"] == (f"Alert 1 resolved at {team_time(record.resolved_at)} (China time): "
                             "there is nothing left to acknowledge.")
    h.api.add_user(CHINESE_USER, "李雷", language_code="zh")
    reply = await h.ask("/ack 1", user=CHINESE_USER)
    assert reply["text"] == f"告警 1 已于 {team_time(record.resolved_at)}（北京时间）恢复，无需再确认。"


async def test_ack_of_an_unknown_code_still_says_there_is_none(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    assert (await h.ask("/ack 7"))["text"] == "There is no open alert with code 7."
    h.api.add_user(CHINESE_USER, "李雷", language_code="zh")
    assert (await h.ask("/ack 7", user=CHINESE_USER))["text"] == "没有编号为 7 的未处理告警。"


async def test_ack_of_a_code_past_its_day_says_it_expired_and_when_it_was_sent(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    alert_id = accepted_id(await post(h, FIRING))
    await alert_state(h, alert_id, "sent")
    received = (await h.runtime.store.alert_intake.get(alert_id)).received_at
    _service(h).clock = lambda: time.time() + 25 * 3600
    reply = await h.ask("/ack 1")
    assert reply["text"] == ("Alert 1 can no longer be acknowledged: a code takes acks for 24 hours, and it "
                             f"was sent at {team_time(received)} (China time).")
    assert (await h.runtime.store.alert_intake.get(alert_id)).acked_at is None
    _service(h).clock = lambda: time.time() + 8 * 24 * 3600  # past what /ack looks back on
    assert (await h.ask("/ack 1"))["text"] == "There is no open alert with code 1."


async def test_a_chat_ack_after_a_resolve_does_not_ack_and_the_code_says_resolved(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    alert_id = accepted_id(await post(h, FIRING))
    await alert_state(h, alert_id, "sent")
    await post(h, RESOLVED)
    result = await _service(h).ack(1, "@max")
    assert result.outcome == "resolved" and result.alert is not None and result.alert.id == alert_id
    assert (await h.runtime.store.alert_intake.get(alert_id)).acked_at is None


# --- the words, without a bot ------------------------------------------------------------------


def _alert(**fields: Any) -> AlertRecord:
    values: dict[str, Any] = dict(
        id=1, received_at=1_790_000_000.0, source="alertmanager", group_name="oncall", fingerprint="f",
        status="firing", name="HighLatency", summary="s", labels={}, code=1, state="sent", text="t", send_id=1,
        attempts=1, next_attempt_at=None, error=None, suppressed=0, acked_by=None, acked_at=None,
        closed_at=None, copy_chat_id=None, copy_message_id=None, copy_version=1, copy_shown=1,
        copy_send_shown=0, copy_edited_at=None)
    values.update(fields)
    return AlertRecord(**values)


def test_why_a_code_takes_no_ack() -> None:
    assert past_outcome(None) == "unknown"
    assert past_outcome(_alert(acked_at=1.0, closed_at=1.0, resolved_at=2.0)) == "already"
    assert past_outcome(_alert(closed_at=2.0, resolved_at=2.0)) == "resolved"
    assert past_outcome(_alert(state="gave_up", closed_at=2.0)) == "closed"
    assert past_outcome(_alert()) == "expired"


def test_the_answers_in_both_languages_name_the_team_time() -> None:
    at = 1_790_000_000.0  # 2026-09-21 14:13:20 UTC = 22:13:20 in Beijing
    acked = _alert(acked_by="<b>bob</b>", acked_at=at, closed_at=at)
    assert ack_answer("already", acked, 1, "@max", Translator("en")) == (
        "Alert 1 was already acknowledged by &lt;b&gt;bob&lt;/b&gt; at 09-21 22:13:20 (China time).")
    assert ack_answer("already", acked, 1, "@max", Translator("zh")) == (
        "告警 1 已于 09-21 22:13:20（北京时间）由 &lt;b&gt;bob&lt;/b&gt; 确认。")
    gave_up = _alert(state="gave_up", closed_at=at)
    assert ack_answer("closed", gave_up, 1, "@max", Translator("en")).startswith("Alert 1 takes no ack")
    assert ack_answer("closed", gave_up, 1, "@max", Translator("zh")).startswith("告警 1 无需确认")
    assert ack_answer("done", None, 3, "@max", Translator("en")) == "Alert 3 acknowledged by @max."


# --- the store's migration ----------------------------------------------------------------------


def _alert_row(alert_id: int, received: float, *, code: int | None, status: str, acked: float | None = None,
               closed: float | None = None) -> str:
    return ("INSERT INTO alerts(id, received_at, source, group_name, fingerprint, status, name, summary, labels, "
            "code, state, acked_by, acked_at, closed_at) VALUES "
            f"({alert_id}, {received}, 'alertmanager', 'oncall', 'fp', '{status}', 'A', 's', '{{}}', "
            f"{'NULL' if code is None else code}, 'sent', {'NULL' if acked is None else repr('bob')}, "
            f"{'NULL' if acked is None else acked}, {'NULL' if closed is None else closed})")


def _item_row(alert_id: int, status: str) -> str:
    return ("INSERT INTO alert_items(alert_id, position, fingerprint, status, name, summary, labels, outcome) "
            f"VALUES ({alert_id}, 0, 'fp', '{status}', 'A', 's', '{{}}', 'new')")


async def test_the_migration_tells_resolved_alerts_from_acknowledged_ones(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    store_at_schema(
        path, 7,
        # 1: resolved at 200 without an ack; 3: acked at 300, resolved at 400 and again at 600;
        # 5: acked, never resolved
        _alert_row(1, 100, code=1, status="firing", closed=200), _item_row(1, "firing"),
        _alert_row(2, 200, code=None, status="resolved", closed=200), _item_row(2, "resolved"),
        _alert_row(3, 250, code=2, status="firing", acked=300, closed=300), _item_row(3, "firing"),
        _alert_row(4, 400, code=None, status="resolved", closed=400), _item_row(4, "resolved"),
        _alert_row(6, 600, code=None, status="resolved", closed=600), _item_row(6, "resolved"),
        _alert_row(7, 700, code=3, status="firing", acked=800, closed=800), _item_row(7, "firing"),
    )
    async with Store(path) as store:
        resolved = {a.id: a.resolved_at for a in await store.alert_intake.recent(10)}
    assert resolved == {1: 200, 2: None, 3: 400, 4: None, 6: None, 7: None}


async def test_a_resolve_marks_every_open_or_acknowledged_alert_of_the_group_once(tmp_path: Path) -> None:
    async with Store(tmp_path / "s.sqlite3") as store:
        firing = AlertItemIn("fp", "firing", "A", "s", {})
        resolved = AlertItemIn("fp", "resolved", "A", "s", {})
        kw: dict[str, Any] = dict(dedup_window=0, send_resolved=True, open_ttl=86400, code_reuse_after=3600)
        [first] = await store.alert_intake.receive("alertmanager", [("oncall", [firing])], now=100, **kw)
        await store.alert_acks.ack(first.id, "bob", 150)
        await store.alert_intake.receive("alertmanager", [("oncall", [resolved])], now=200, **kw)
        await store.alert_intake.receive("alertmanager", [("oncall", [resolved])], now=300, **kw)
        record = await store.alert_intake.get(first.id)
    assert record is not None
    assert (record.acked_at, record.closed_at, record.resolved_at) == (150, 150, 200)
