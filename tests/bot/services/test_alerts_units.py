"""Alerts without HTTP: payload parsing, SMS rendering, ack parsing, and the store's decisions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from alert_helpers import GRAFANA_SAMPLE, SAMPLES
from harness import store_at_schema
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import BotError, Reason
from bot.i18n import Translator
from bot.services.alerts.acks import parse_ack_sms
from bot.services.alerts.copies import TELEGRAM_LIMIT, copy_text, plain_length
from bot.services.alerts.errors import BadPayload, NoGroup, NotJson, UnknownShape, UnusableJson
from bot.services.alerts.payload import ParsedAlert, parse_body, parse_payload, split_by_group
from bot.services.alerts.render import alert_sms, summary_sms
from bot.services.alerts.service import overall_state
from bot.store import SCHEMA_VERSION, SendRecord, Store
from bot.store.alerts import AlertItemIn, AlertItemRecord, AlertRecord
from bot.throttle import OTHERS, AuditThrottle, Unrecorded
from sms_core.text import segments_limit, unencodable_chars

# Grafana's documented webhook payload (unified alerting), as in its docs.


# --- payloads -----------------------------------------------------------------------------------


def test_alertmanager_samples_parse() -> None:
    firing = parse_body((SAMPLES / "alertmanager-0.25-firing.json").read_bytes())
    resolved = parse_body((SAMPLES / "alertmanager-0.25-resolved.json").read_bytes())
    assert firing.source == resolved.source == "alertmanager"
    [a] = firing.alerts
    assert (a.fingerprint, a.status, a.name, a.summary, a.instance) == (
        "7c1a9e03b2d4f5a6", "firing", "HighLatency", "p99 latency 2.4s on api-3", "api-3")
    assert resolved.alerts[0].status == "resolved" and resolved.alerts[0].fingerprint == a.fingerprint


def test_grafana_documented_sample_parses() -> None:
    n = parse_payload(GRAFANA_SAMPLE)
    assert n.source == "grafana"
    assert [(a.name, a.fingerprint, a.summary) for a in n.alerts] == [
        ("High memory usage", "c6eadffa33fcdf37", "This alert was triggered for zone us-1"),
        ("High CPU usage", "bc97ff14869b13e3", "This alert was triggered for zone eu-1"),
    ]


def test_grafana_without_annotations_falls_back_to_the_value_string() -> None:
    payload = json.loads(json.dumps(GRAFANA_SAMPLE))
    payload["alerts"][0]["annotations"] = {}
    assert parse_payload(payload).alerts[0].summary.startswith("[ var='B'")


def test_plain_text_alert() -> None:
    n = parse_body(b'{"text": "  disk full on db-1  "}')
    [a] = n.alerts
    assert (n.source, a.status, a.name, a.summary) == ("text", "firing", "", "disk full on db-1")
    assert parse_body(b'{"text": "disk full on db-1"}').alerts[0].fingerprint == a.fingerprint
    assert parse_body(b'{"text": "disk full on db-2"}').alerts[0].fingerprint != a.fingerprint
    keyed = parse_body(b'{"text": "x", "fingerprint": "disk-db1", "status": "resolved"}').alerts[0]
    assert (keyed.fingerprint, keyed.status) == ("disk-db1", "resolved")


def test_missing_fingerprint_is_derived_from_the_labels() -> None:
    payload = {"alerts": [{"status": "firing", "labels": {"alertname": "A", "instance": "x:9100"}}]}
    first, again = parse_payload(payload).alerts[0], parse_payload(payload).alerts[0]
    assert first.fingerprint == again.fingerprint and len(first.fingerprint) == 16
    assert first.instance == "x"  # the port is noise on a phone


@pytest.mark.parametrize(("body", "error", "words"), [
    (b"{not json", NotJson, "not valid JSON"),
    (b"\xff\xfe", NotJson, "not UTF-8 JSON"),
    (b"[1, 2]", UnknownShape, "unknown payload"),
    (b'{"hello": "world"}', UnknownShape, "unknown payload"),
    (b'{"alerts": []}', UnknownShape, "non-empty list"),
    (b'{"alerts": [1]}', UnknownShape, "alerts[0] must be an object"),
    (b'{"alerts": [{"status": "bad", "labels": {}}]}', UnknownShape, "'firing' or 'resolved'"),
    (b'{"alerts": [{"status": "firing", "labels": "x"}]}', UnknownShape, "labels must be an object"),
    (b'{"text": ""}', UnknownShape, "non-empty string"),
    (b'{"text": 5}', UnknownShape, "non-empty string"),
])
def test_bad_bodies_say_what_is_wrong(body: bytes, error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=re.escape(words)):
        parse_body(body)


def test_a_bad_body_is_a_bot_error_with_a_reason_worded_in_both_languages() -> None:
    with pytest.raises(UnknownShape) as info:
        parse_body(b'{"alerts": [{"status": "bad", "labels": {}}]}')
    assert isinstance(info.value, BotError) and info.value.reason is Reason.WEBHOOK_BAD_STATUS
    assert info.value.words("en") == str(info.value) == "alerts[0].status must be 'firing' or 'resolved', not 'bad'"
    assert info.value.words("zh") == "alerts[0].status 必须是 'firing' 或 'resolved'，而不是 'bad'"


@pytest.mark.parametrize(("body", "words"), [
    (b"[" * 100_000 + b"]" * 100_000, "nested more than 64 levels deep"),  # the parser's RecursionError
    (b'{"text": "x", "labels": ' + b'{"a": ' * 70 + b"1" + b"}" * 71, "nested more than 64 levels deep"),
    (b'{"text": "x", "labels": {"a": ' + b"1" * 5000 + b"}}", "more than 4300 digits"),
])
def test_json_that_would_fail_on_every_retry_is_refused_as_unusable(body: bytes, words: str) -> None:
    with pytest.raises(UnusableJson, match=re.escape(words)):
        parse_body(body)


def test_lone_surrogates_are_replaced_so_the_alert_can_be_hashed_and_stored() -> None:
    [text] = parse_body(b'{"text": "\\ud800 boom", "labels": {"\\udfff": "x"}}').alerts
    assert text.summary == "\ufffd boom" and dict(text.labels) == {"\ufffd": "x"}
    [item] = parse_body(b'{"alerts": [{"status": "firing", "fingerprint": "\\ud800",'
                        b' "labels": {"alertname": "\\udc00 Disk", "smsbot_group": "\\ud800"}}]}').alerts
    assert (item.fingerprint, item.name, item.group) == ("\ufffd", "\ufffd Disk", "\ufffd")
    [derived] = parse_body(b'{"alerts": [{"status": "firing", "labels": {"alertname": "\\ud800"}}]}').alerts
    assert len(derived.fingerprint) == 16


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text() | st.sampled_from(["\ud800", "a\udc00b", "firing", "resolved", "alertname", "smsbot_group"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.text(max_size=8) | st.sampled_from(["alerts", "text", "labels", "status", "\udbff"]), inner,
        max_size=4),
    max_leaves=30,
)


@given(value=_JSON)
def test_any_json_body_is_a_notification_or_a_bad_payload(value: object) -> None:
    try:
        notification = parse_body(json.dumps(value).encode())
    except BadPayload:
        return
    for a in notification.alerts:  # what the store will encode: it must be valid UTF-8
        "\x1f".join([a.fingerprint, a.status, a.name, a.summary, json.dumps(dict(a.labels))]).encode()
        json.dumps(dict(a.labels), ensure_ascii=False).encode()


def test_the_group_label_overrides_the_url_and_one_is_needed() -> None:
    payload = {"alerts": [
        {"status": "firing", "labels": {"alertname": "A"}},
        {"status": "firing", "labels": {"alertname": "B", "smsbot_group": "db"}},
    ]}
    by_group = split_by_group(parse_payload(payload), "oncall")
    assert {g: [a.name for a in alerts] for g, alerts in by_group.items()} == {"oncall": ["A"], "db": ["B"]}
    with pytest.raises(NoGroup, match="smsbot_group"):
        split_by_group(parse_payload(payload), None)
    only_label = {"text": "x", "labels": {"smsbot_group": "@db"}}
    assert list(split_by_group(parse_payload(only_label), None)) == ["db"]


# --- rendering -------------------------------------------------------------------------------------


def _alert(name: str = "HighCPU", summary: str = "load 12", status: str = "firing", **labels: str) -> ParsedAlert:
    return ParsedAlert("fp-" + name, status, name, summary, {"alertname": name, **labels})


def test_alert_sms_reads_as_designed() -> None:
    alerts = [_alert(instance="db-1:9100"), _alert("DiskFull", "95%"), _alert("X"), _alert("Y")]
    assert alert_sms(alerts, 1) == "[FIRING] HighCPU db-1: load 12 (+3 more) Reply 1 to ack"
    assert alert_sms([_alert(status="resolved", instance="db-1")], None) == "[RESOLVED] HighCPU db-1: load 12"
    assert alert_sms([ParsedAlert("f", "firing", "", "disk full on db-1", {})], 7) == "disk full on db-1 Reply 7 to ack"


def test_the_ack_code_and_the_count_survive_cutting() -> None:
    alerts = [_alert(summary="x" * 300), _alert("B")]
    text = alert_sms(alerts, 123)
    assert len(text) == 70 and text.endswith("… (+1 more) Reply 123 to ack")
    assert len(alert_sms(alerts, 123, segments=2)) == segments_limit(2)


def test_characters_the_gateway_cannot_carry_become_question_marks() -> None:
    text = alert_sms([_alert(summary="disk 😀 full · 磁盘已满")], 1)
    assert "?" in text and "磁盘已满" in text and not unencodable_chars(text, "gbk")


@given(name=st.text(max_size=80), summary=st.text(max_size=400), more=st.integers(0, 200),
       code=st.one_of(st.none(), st.integers(1, 999_999)), segments=st.integers(1, 5))
def test_any_alert_fits_its_segments_in_gbk_and_keeps_its_code(name: str, summary: str, more: int,
                                                                  code: int | None, segments: int) -> None:
    alerts = [ParsedAlert("f", "firing", name, summary, {})] + [_alert("B")] * more
    text = alert_sms(alerts, code, segments=segments)
    assert 0 < len(text) <= segments_limit(segments)
    assert not unencodable_chars(text, "gbk")
    if code is not None:
        assert text.endswith(f"Reply {code} to ack")


def test_summary_sms_names_what_was_held_back() -> None:
    text = summary_sms([_alert("A", instance="db-1"), _alert("B"), _alert("C")])
    assert text == "3 more alerts suppressed: A db-1, B, C"
    assert len(summary_sms([_alert("N" * 50)] * 9)) == 70


def test_summary_sms_names_a_held_back_resolution_as_resolved() -> None:
    text = summary_sms([_alert("HighCPU", instance="db-1"), _alert("DiskFull", status="resolved", instance="db-1")])
    assert text == "2 more alerts suppressed: HighCPU db-1, [RESOLVED] DiskFull db-1"


_LONG = st.text(min_size=0, max_size=5000)


@given(name=_LONG, instance=_LONG, group=_LONG, who=_LONG, error=_LONG, sms=_LONG, more=st.integers(0, 12),
       state=st.sampled_from(["sent", "partial", "gave_up", "error", "failed"]))
def test_an_alert_copy_always_fits_in_one_telegram_message(name: str, instance: str, group: str, who: str,
                                                             error: str, sms: str, more: int, state: str) -> None:
    labels = {"alertname": name + "😀" * 100, "instance": instance}
    items = [AlertItemRecord(1, n, f"f{n}", "firing", name + "😀" * 100, "s", labels, "new") for n in range(more + 1)]
    alert = AlertRecord(
        id=1, received_at=0.0, source="alertmanager", group_name=group or "g", fingerprint="f0", status="firing",
        name=name, summary="s", labels=labels, code=999_999, state=state, text=sms or None, send_id=1,
        attempts=20, next_attempt_at=1.0, error=error, suppressed=100_000, acked_by=who, acked_at=1.0,
        closed_at=1.0, copy_chat_id=None, copy_message_id=None, copy_version=1, copy_shown=0,
        copy_send_shown=0, copy_edited_at=None)
    record = SendRecord(
        id=1, created_at=0.0, origin="alert", chat_id=None, user_id=None, user_name=None, text=sms,
        segments=5, scheduled_at=None, state="partial", error=error, accepted=100_000, rejected=100_000,
        recipients=300_000, delivered=100_000, failed=1, unknown=100_000, status_chat_id=None,
        status_message_id=None, status_thread_id=None, status_version=1, status_shown=0, status_edited_at=None,
        alert_id=1, error_kind="forbidden_word", error_arg=error)
    text = copy_text(alert, items, record, Translator("en"), max_per_hour=10, max_attempts=20, segments=5)
    assert plain_length(text) <= TELEGRAM_LIMIT


# --- acks, states ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "code"), [
    ("1", 1), (" 12 ", 12), ("ack 3", 3), ("ACK #4", 4), ("Ack4", 4), ("确认5", 5), ("ok 6.", 6),
    ("1 2", None), ("thanks", None), ("", None), ("call me at 13800138000", None), ("-1", None),
])
def test_ack_sms_forms(text: str, code: int | None) -> None:
    assert parse_ack_sms(text) == code


def test_overall_state() -> None:
    assert overall_state(["accepted", "accepted"], 0) == "sent"
    assert overall_state(["accepted", "unknown"], 0) == "partial"
    assert overall_state(["unknown"], 0) == "unknown"
    assert overall_state(["refused"], 0) == "refused"
    assert overall_state([], 3) == "suppressed"


# --- the store's decisions ---------------------------------------------------------------------------


@pytest.fixture
async def store(tmp_path: Path):
    s = await Store(tmp_path / "a.sqlite3").open()
    yield s
    await s.close()


def _in(fp: str = "fp1", status: str = "firing", name: str = "A") -> AlertItemIn:
    return AlertItemIn(fp, status, name, "summary", {"alertname": name})


async def _insert(store: Store, items: list[AlertItemIn], now: float, group: str = "oncall",
                  dedup: float = 900.0, send_resolved: bool = True):
    [record] = await store.alert_intake.receive("alertmanager", [(group, items)], now=now, dedup_window=dedup,
                                         send_resolved=send_resolved, open_ttl=86400.0,
                                         code_reuse_after=3600.0)
    return record


async def test_dedup_is_per_group_fingerprint_and_status_within_the_window(store: Store) -> None:
    first = await _insert(store, [_in()], 1000.0)
    assert (first.state, first.code) == ("stored", 1)
    assert (await _insert(store, [_in()], 1500.0)).state == "deduplicated"
    assert (await _insert(store, [_in()], 1500.0, group="db")).state == "stored"
    assert (await _insert(store, [_in(status="resolved")], 1600.0)).state == "stored"
    assert (await _insert(store, [_in()], 1000.0 + 901)).state == "stored"
    mixed = await _insert(store, [_in(), _in("fp2")], 1950.0)
    assert mixed.state == "stored" and mixed.fingerprint == "fp2"
    assert [i.outcome for i in await store.alert_intake.items(mixed.id)] == ["deduplicated", "new"]


async def test_a_change_of_status_is_news_inside_the_dedup_window(store: Store) -> None:
    states = [(await _insert(store, [_in(status=status)], at)).state for at, status in [
        (0.0, "firing"), (100.0, "resolved"), (200.0, "firing"), (300.0, "firing"),
        (400.0, "resolved"), (500.0, "resolved")]]
    assert states == ["stored", "stored", "stored", "deduplicated", "stored", "deduplicated"]
    assert (await _insert(store, [_in(status="resolved")], 600.0, group="db")).state == "stored"
    # a resolve that was not texted still ends the incident: firing again is news
    await _insert(store, [_in("x")], 1000.0)
    assert (await _insert(store, [_in("x", "resolved")], 1100.0, send_resolved=False)).state == "skipped"
    assert (await _insert(store, [_in("x")], 1200.0)).state == "stored"


async def test_resolved_alerts_can_be_skipped(store: Store) -> None:
    assert (await _insert(store, [_in(status="resolved")], 10.0, send_resolved=False)).state == "skipped"


async def test_codes_are_small_unique_among_open_alerts_and_not_reused_within_the_hour(store: Store) -> None:
    a = await _insert(store, [_in("a")], 0.0)
    b = await _insert(store, [_in("b")], 1.0)
    assert (a.code, b.code) == (1, 2)
    await _insert(store, [_in("a", "resolved")], 2.0)  # closes alert a: its code is free...
    assert (await store.alert_intake.get(a.id)).closed_at == 2.0
    assert (await _insert(store, [_in("c")], 3.0)).code == 3  # ...but not within the hour
    assert (await _insert(store, [_in("d")], 4000.0)).code == 1


async def test_a_code_stays_out_of_use_for_the_hour_after_its_alert_is_acked_or_resolved(store: Store) -> None:
    acked = await _insert(store, [_in("a")], 0.0)
    resolved = await _insert(store, [_in("b")], 1.0)
    assert (acked.code, resolved.code) == (1, 2)
    await store.alert_acks.ack(acked.id, "alice", 7200.0)  # both close two hours after they fired
    await _insert(store, [_in("b", "resolved")], 7200.0)
    assert (await _insert(store, [_in("c")], 7260.0)).code == 3  # not 1 or 2: closed a minute ago
    assert (await _insert(store, [_in("d")], 7200.0 + 3601)).code == 1  # the hour after they closed is over


async def test_a_code_that_expired_unacknowledged_stays_out_of_use_for_an_hour(store: Store) -> None:
    old = await _insert(store, [_in("a")], 0.0)
    assert old.code == 1
    assert (await _insert(store, [_in("b")], 86400.0 + 60)).code == 2  # 1 stopped taking acks a minute ago
    assert (await _insert(store, [_in("c")], 86400.0 + 3601)).code == 1


async def test_an_ack_silences_repeats_until_the_alert_resolves(store: Store) -> None:
    a = await _insert(store, [_in()], 0.0)
    acked = await store.alert_acks.ack(a.id, "alice", 5.0)
    assert acked is not None and acked.acked_by == "alice" and acked.state == "acked"
    assert await store.alert_acks.ack(a.id, "bob", 6.0) is None  # once
    assert (await _insert(store, [_in()], 2000.0)).state == "acked"
    assert (await _insert(store, [_in(status="resolved")], 2100.0)).state == "stored"
    assert (await _insert(store, [_in()], 4000.0)).state == "stored"


async def test_an_ack_silences_repeats_only_for_the_group_that_acknowledged(store: Store) -> None:
    oncall, dba = await _insert(store, [_in()], 0.0), await _insert(store, [_in()], 0.0, group="dba")
    await store.alert_acks.ack(oncall.id, "alice", 5.0)
    assert (await _insert(store, [_in()], 2000.0)).state == "acked"
    assert (await _insert(store, [_in()], 2000.0, group="dba")).state == "stored"
    await _insert(store, [_in(status="resolved")], 2100.0, group="dba")  # dba's resolve is dba's
    assert (await store.alert_intake.get(dba.id)).closed_at == 2100.0
    assert (await store.alert_intake.get(oncall.id)).acked_by == "alice"
    assert (await _insert(store, [_in()], 3000.0)).state == "acked"


async def test_a_store_of_schema_3_keeps_its_acks_for_the_group_that_gave_them(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    store_at_schema(
        path, 3,
        "INSERT INTO alerts(id, received_at, source, group_name, fingerprint, status, name, summary, "
        "labels, code, state, acked_by, acked_at, closed_at) "
        "VALUES (1, 0, 'alertmanager', 'oncall', 'fp1', 'firing', 'A', 's', '{}', 1, 'sent', 'alice', 5, 5)",
        "INSERT INTO alert_items VALUES (1, 0, 'fp1', 'firing', 'A', 's', '{}', 'new')",
        "INSERT INTO alert_acks VALUES ('fp1', 1, 'alice', 5, NULL)",
    )
    store = await Store(path).open()
    try:
        assert await store.schema_version() == SCHEMA_VERSION
        assert (await _insert(store, [_in()], 2000.0)).state == "acked"
        assert (await _insert(store, [_in()], 2000.0, group="dba")).state == "stored"
    finally:
        await store.close()


async def test_the_cap_reserves_slots_per_phone_and_holds_back_the_rest(store: Store) -> None:
    phones = ["13800138000", "13800138001"]
    await store.alert_quota.claim_summary(["13800138001"], 1, 0.0)  # 13800138001 used its hour already
    a = await _insert(store, [_in()], 0.0)
    claim = await store.alert_delivery.claim(a.id, phones, "text", 1, 1.0)
    assert claim.phones == ("13800138000",) and claim.capped == ("13800138001",)
    assert claim.alert.state == "sending" and claim.alert.suppressed == 1
    assert await store.alert_delivery.claim(a.id, phones, "text", 1, 1.0) is None  # not due while sending
    due = await store.alert_quota.suppressed_due(1, 3601.0)
    assert [(d.phone, d.alert_id) for d in due] == [("13800138001", a.id)]
    assert await store.alert_quota.suppressed_due(1, 100.0) == []


# --- the audit throttle of refusals before the token -------------------------------------------


def test_the_audit_throttle_records_one_refusal_per_source_a_minute_and_stays_bounded() -> None:
    now = [0.0]
    throttle = AuditThrottle(60.0, max_sources=3, clock=lambda: now[0])
    assert throttle.admit("a") == Unrecorded("a", 0)
    assert [throttle.admit("a") for _ in range(4)] == [None] * 4
    assert throttle.admit("b") == Unrecorded("b", 0) and throttle.admit("c") == Unrecorded("c", 0)
    assert throttle.admit("d") == Unrecorded(OTHERS, 0)  # full: new sources share one entry
    assert throttle.admit("e") is None and len(throttle._windows) == 4
    assert throttle.overdue() == []  # the first look only starts the clock
    now[0] = 61.0
    assert throttle.admit("a") == Unrecorded("a", 4)  # the next row carries the count
    assert throttle.overdue() == [Unrecorded(OTHERS, 1)]  # b and c: nothing to tell, kept until needed
    assert throttle.admit("f") == Unrecorded("f", 0)  # quiet windows make room
