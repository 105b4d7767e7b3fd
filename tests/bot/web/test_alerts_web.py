"""The alerts webhook, /healthz and /metrics over real HTTP, against the real bot (Bot API double,
sandbox gateway): what a monitoring system and an operator see."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest
from alert_helpers import (
    FIRING,
    GRAFANA_SAMPLE,
    ONCALL,
    RESOLVED,
    accepted_id,
    alert_state,
    alerts_bot,
    copies,
    copy_saying,
    post,
    sms_texts,
    web_url,
)
from harness import (
    ALERT_CHAT,
    MEMBER,
    TEAM_CHAT,
    WEBHOOK_TOKEN,
    Harness,
    all_logged,
    assert_no_secrets,
)

# --- the three payload shapes -------------------------------------------------------------------


async def test_alertmanager_firing_then_resolved(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    r = await post(h, FIRING)
    assert r.status_code == 202
    assert r.json() == {"accepted": [{"id": 1, "group": "oncall", "state": "stored", "code": 1}]}
    await h.until(lambda: h.gateway.sent)
    [sent] = h.gateway.sent
    assert sent.text == "[FIRING] HighLatency: p99 latency 2.4s on api-3 Reply 1 to ack"
    assert sorted(sent.accepted) == sorted(ONCALL) and sent.segments == 1
    copy = await copy_saying(h, 1, "@oncall", "ack code 1", sent.text, "Sent to 3 numbers")
    assert "delivered" in copy
    await copy_saying(h, 1, "delivered 3/3")  # live counts, from the delivery reports the poll job stores

    r = await post(h, RESOLVED)
    assert r.json()["accepted"][0]["code"] is None
    await h.until(lambda: len(h.gateway.sent) == 2)
    assert h.gateway.sent[1].text == "[RESOLVED] HighLatency: p99 latency 2.4s on api-3"
    await copy_saying(h, 1, "Resolved")  # the firing alert's code is free again
    record = await h.services.store.sends.get((await h.services.store.alert_intake.get(1)).send_id)
    assert record.origin == "alert" and record.alert_id == 1


async def test_grafana_documented_payload(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    r = await post(h, GRAFANA_SAMPLE, method="PUT")  # Grafana can be set to PUT
    assert r.status_code == 202
    await h.until(lambda: h.gateway.sent)
    text = h.gateway.sent[0].text
    assert text == "[FIRING] High memory usage: This alert was t… (+1 more) Reply 1 to ack"
    await copy_saying(h, 1, "Also in this SMS: High CPU usage")


async def test_plain_text_and_the_group_label(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    await h.services.store.contacts.replace_group("db", ["13700137000"])
    r = await post(h, {"text": "backup failed on db-1", "smsbot_group": "db"}, group=None)
    assert r.json()["accepted"][0]["group"] == "db"
    await h.until(lambda: h.gateway.sent)
    assert h.gateway.sent[0].text == "backup failed on db-1 Reply 1 to ack"
    assert h.gateway.sent[0].accepted == ("13700137000",)
    labelled = json.loads(FIRING)
    labelled["alerts"][0]["labels"]["smsbot_group"] = "db"
    r = await post(h, labelled, group="oncall")  # the label wins over the URL
    assert r.json()["accepted"][0]["group"] == "db"


async def test_long_alerts_are_cut_to_the_segments_allowed(make_harness: Any) -> None:
    h = await alerts_bot(make_harness, alert_max_segments=2)
    await post(h, {"text": "磁盘将满 " + "x" * 400 + " 😀"})
    await h.until(lambda: h.gateway.sent)
    sent = h.gateway.sent[0]
    assert sent.segments == 2 and len(sent.text) == 134 and sent.text.endswith("… Reply 1 to ack")
    assert h.gateway.requests[-1].gbk_ok


async def test_a_copy_of_many_alerts_with_long_labels_fits_in_one_telegram_message(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    alerts = [{"status": "firing", "fingerprint": f"f{n}", "annotations": {"summary": "disk full"},
               "labels": {"alertname": "N" * 700 + str(n), "instance": "i" * 700}} for n in range(7)]
    alert_id = accepted_id(await post(h, {"status": "firing", "alerts": alerts}))
    await alert_state(h, alert_id, "sent")
    copy = await copy_saying(h, alert_id, "Also in this SMS", "Sent to 3 numbers")
    assert len(copy) <= 4096 and "…" in copy  # the names are cut, the copy is posted
    assert [c.ok for c in h.api.calls("sendMessage") if c.params.get("chat_id") in (ALERT_CHAT, str(ALERT_CHAT))] == [True]


async def test_a_replay_within_the_dedup_window_sends_one_sms(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    first, again = await post(h, FIRING), await post(h, FIRING)
    assert first.json()["accepted"][0]["state"] == "stored"
    assert again.status_code == 202 and again.json()["accepted"][0]["state"] == "deduplicated"
    await h.until(lambda: h.gateway.sent)
    await copy_saying(h, 1, "Sent to 3")
    await h.dispatch_runs(2)  # a full pass over what is due since both were committed
    await h.copy_runs(2)
    assert len(h.gateway.sent) == 1 and len(copies(h)) == 1


async def test_a_refire_soon_after_a_resolve_is_texted_not_deduplicated(make_harness: Any) -> None:
    h = await alerts_bot(make_harness, members=["13800138000"])

    async def notify(status: str) -> str:
        r = await post(h, FIRING if status == "firing" else RESOLVED)
        [accepted] = r.json()["accepted"]
        if accepted["state"] == "stored":
            await alert_state(h, accepted["id"], "sent")
        return accepted["state"]

    assert [await notify(s) for s in ("firing", "resolved", "firing", "firing", "resolved")] == [
        "stored", "stored", "stored", "deduplicated", "stored"]
    assert [t.split(" ")[0] for t in sms_texts(h)] == [
        "[FIRING]", "[RESOLVED]", "[FIRING]", "[RESOLVED]"]  # the last SMS says where it stands


async def test_resolved_alerts_are_not_texted_when_switched_off(make_harness: Any) -> None:
    h = await alerts_bot(make_harness, alert_send_resolved=False)
    assert (await post(h, RESOLVED)).json()["accepted"][0]["state"] == "skipped"
    await h.dispatch_runs(2)
    assert h.gateway.sent == []


# --- refusals ----------------------------------------------------------------------------------


async def _audited(h: Harness) -> list[str]:
    return [a.detail or "" for a in await h.services.store.audit_log.recent("webhook_refused")]


async def test_token_failures_are_401_audited_and_the_token_never_shows(make_harness: Any,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    h = await alerts_bot(make_harness)
    missing = await post(h, FIRING, token=None)
    wrong = await post(h, FIRING, token=WEBHOOK_TOKEN + "x")  # holds the real token: must not be echoed
    basic = await post(h, FIRING, token=None, headers={"Authorization": "Basic aG9vazpTRUNSRVQ="})
    for r in (missing, wrong, basic):
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    assert "missing token" in missing.json()["error"] and "Authorization: Bearer" in missing.json()["error"]
    assert "wrong token" in wrong.json()["error"]
    bad_body = await post(h, b"{oops")  # the right token, then a refusal that logs
    assert bad_body.status_code == 400
    await h.dispatch_runs(2)
    assert h.gateway.sent == [] and h.gateway.request_count("send") == 0
    audited = await _audited(h)  # newest first: the 400, then the first 401 (the others are counted)
    assert len(audited) == 2 and audited[1].startswith("401 missing token")
    assert_no_secrets(all_logged(caplog), *audited, *(r.text for r in (missing, wrong, basic, bad_body)),
                      *(json.dumps(c.params) for c in h.api.calls()))


async def test_a_flood_of_unauthenticated_requests_is_audited_once_a_minute_per_source_with_a_count(
        make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    refused_before = await _count_401(h)
    throttle = h.runtime.web.app.state.audit_throttle
    now = [1000.0]
    throttle.clock = lambda: now[0]
    flood = [await post(h, FIRING, token="guess") for _ in range(30)]
    assert {(r.status_code, r.json()["error"], r.headers["www-authenticate"]) for r in flood} == {
        (401, "wrong token: send the value of SMSBOT_WEBHOOK_TOKEN as the bearer token", 'Bearer realm="smsbot"')}
    audited = await _audited(h)
    assert len(audited) == 1 and audited[0].startswith("401 wrong token") and "127.0.0.1" in audited[0]

    now[0] += 61  # the next minute: one row again, with the count of those not recorded
    assert (await post(h, FIRING, token=None)).status_code == 401
    audited = await _audited(h)
    assert len(audited) == 2 and audited[0].startswith("401 missing token")
    assert "29 more refused before the token was checked from 127.0.0.1" in audited[0]

    for _ in range(5):  # a flood that stops: its count is recorded at the next request, whatever it is
        await post(h, FIRING, token=None)
    now[0] += 61
    assert (await post(h, FIRING)).status_code == 202
    audited = await _audited(h)
    assert len(audited) == 3 and audited[0].startswith("5 more refused before the token was checked")
    assert await _count_401(h) - refused_before == 36  # the metric counts every one


async def _count_401(h: Harness) -> float:
    async with httpx.AsyncClient(base_url=web_url(h)) as client:
        text = (await client.get("/metrics")).text
    line = next((x for x in text.splitlines() if x.startswith('smsbot_webhook_requests_total{status="401"}')), None)
    return float(line.rsplit(" ", 1)[1]) if line else 0.0


async def test_alerts_are_off_without_a_token_but_health_and_metrics_are_on(make_harness: Any) -> None:
    h = await make_harness()
    r = await post(h, FIRING, token="anything")
    assert r.status_code == 404 and "SMSBOT_WEBHOOK_TOKEN" in r.json()["error"]
    async with httpx.AsyncClient(base_url=web_url(h)) as client:
        health = await client.get("/healthz")
        assert health.json()["alerts"] == {"enabled": False}
        assert (await client.get("/metrics")).status_code == 200
    assert h.gateway.sent == []


@pytest.mark.parametrize(("body", "group", "status", "words"), [
    (b"{not json", "oncall", 400, "not valid JSON"),
    (b'{"hello": 1}', "oncall", 422, "unknown payload"),
    (b'{"text": "x"}', "nosuch", 404, "unknown contact group 'nosuch'"),
    (b'{"text": "x"}', None, 400, "no contact group"),
    (b'{"alerts": [{"status": "maybe", "labels": {}}]}', "oncall", 422, "'firing' or 'resolved'"),
])
async def test_bad_input_is_a_4xx_that_says_what_is_wrong(make_harness: Any, body: bytes, group: str | None,
                                                           status: int, words: str) -> None:
    h = await alerts_bot(make_harness)
    r = await post(h, body, group=group)
    assert r.status_code == status and words in r.json()["error"]
    await h.dispatch_runs(2)
    assert h.gateway.sent == []
    assert any(str(status) in a and words in a for a in await _audited(h))
    assert await h.services.store.alert_intake.recent() == []


@pytest.mark.parametrize(("body", "words"), [
    (b"[" * 100_000 + b"]" * 100_000, "nested more than 64 levels deep"),
    (b'{"text": "x", "labels": {"a": ' + b"1" * 5000 + b"}}", "more than 4300 digits"),
])
async def test_a_body_that_would_fail_on_every_retry_is_a_422_not_a_5xx(make_harness: Any, body: bytes,
                                                                         words: str) -> None:
    h = await alerts_bot(make_harness)
    r = await post(h, body)
    assert r.status_code == 422 and words in r.json()["error"]  # Alertmanager does not retry a 4xx
    assert any(a.startswith("422") and words in a for a in await _audited(h))
    assert await h.services.store.alert_intake.recent() == []


async def test_lone_surrogates_are_replaced_and_the_alert_still_goes_out(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    text = await post(h, b'{"text": "\\ud800 boom"}')
    labelled = await post(h, b'{"alerts": [{"status": "firing", "fingerprint": "abc",'
                             b' "labels": {"alertname": "\\udc00Disk", "instance": "db-1"}}]}')
    assert (text.status_code, labelled.status_code) == (202, 202)
    await h.until(lambda: len(h.gateway.sent) == 2)
    assert sorted(sms_texts(h)) == ["? boom Reply 1 to ack", "[FIRING] ?Disk db-1 Reply 2 to ack"]
    await copy_saying(h, accepted_id(text), "@oncall", "? boom Reply 1 to ack")
    group = await post(h, b'{"text": "x", "smsbot_group": "\\ud800"}', group=None)
    assert group.status_code == 404 and "unknown contact group '\ufffd'" in group.json()["error"]


async def test_a_refusal_says_what_to_change_in_english_and_chinese_with_a_stable_reason(
        make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    unknown = await post(h, {"text": "x"}, group="nosuch")
    assert unknown.status_code == 404 and unknown.json() == {
        "error": "unknown contact group 'nosuch': create it in Telegram with /group add nosuch MEMBERS..., "
                 "or fix the URL or the smsbot_group label",
        "error_zh": "未知的联系人分组“nosuch”：请在 Telegram 中用 /group add nosuch 成员... 创建，"
                    "或改正 URL 或 smsbot_group 标签",
        "reason": "webhook_unknown_group",
    }
    missing = (await post(h, FIRING, token=None)).json()  # plain text: no HTML entities
    assert missing["reason"] == "webhook_no_token"
    assert "'Authorization: Bearer <SMSBOT_WEBHOOK_TOKEN>'" in missing["error"]
    assert "'Authorization: Bearer <SMSBOT_WEBHOOK_TOKEN>'" in missing["error_zh"] and "缺少令牌" in missing["error_zh"]
    bad = (await post(h, b"{oops")).json()  # the parser's own words stay as they are, in both
    assert bad["reason"] == "webhook_not_json" and "line 1 column 2" in bad["error"]
    assert "第 1 行第 2 列" in bad["error_zh"]
    async with httpx.AsyncClient(base_url=web_url(h)) as client:
        nowhere = (await client.get("/nothing")).json()
        method = (await client.get("/alerts/oncall")).json()
    assert nowhere["reason"] == "webhook_no_endpoint" and "/healthz" in nowhere["error_zh"]
    assert method["reason"] == "webhook_method" and "GET" in method["error_zh"] and "POST" in method["error_zh"]


async def test_an_empty_group_is_refused(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    await h.services.store.contacts.replace_group("nobody", [])
    r = await post(h, {"text": "x"}, group="nobody")
    assert r.status_code == 422 and "has no members" in r.json()["error"]


async def test_a_body_over_256_kib_is_refused_by_length_and_by_stream(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    big = json.dumps({"text": "x" * (300 * 1024)}).encode()
    r = await post(h, big)
    assert r.status_code == 413 and "at most 262144" in r.json()["error"]

    async def chunks():  # no Content-Length: only the streamed size can tell
        for _ in range(300):
            yield b" " * 1024

    async with httpx.AsyncClient(base_url=web_url(h)) as client:
        r = await client.post("/alerts/oncall", content=chunks(),
                              headers={"Authorization": f"Bearer {WEBHOOK_TOKEN}"})
    assert r.status_code == 413 and "over 262144" in r.json()["error"]
    just_under = json.dumps({"text": "ok"}).encode() + b" " * (256 * 1024 - 20)
    assert (await post(h, just_under)).status_code == 202
    assert len([a for a in await _audited(h) if a.startswith("413")]) == 2


async def test_unknown_paths_and_methods_answer_json(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    async with httpx.AsyncClient(base_url=web_url(h)) as client:
        r = await client.get("/alerts/oncall")
        assert r.status_code == 405 and "POST" in r.json()["error"]
        r = await client.get("/nothing")
        assert r.status_code == 404 and "/healthz" in r.json()["error"]


async def test_a_trailing_slash_is_the_same_route_and_nothing_is_ever_redirected(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    headers = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
    async with httpx.AsyncClient(base_url=web_url(h), follow_redirects=False) as client:
        r = await client.post("/alerts/oncall/", content=FIRING, headers=headers)
        assert r.status_code == 202 and r.json()["accepted"][0]["group"] == "oncall"
        r = await client.put("/alerts/", json={"text": "x", "smsbot_group": "oncall"}, headers=headers)
        assert r.status_code == 202
        r = await client.post("/alerts/oncall/", content=FIRING)  # no token: refused here, not sent on
        assert r.status_code == 401 and "location" not in r.headers
        for path in ("/healthz/", "/metrics/", "/alerts/oncall//"):
            r = await client.get(path)
            assert r.status_code == 404 and "location" not in r.headers and "/healthz" in r.json()["error"]
    await h.until(lambda: len(h.gateway.sent) == 2)


async def test_a_store_that_cannot_write_answers_503_and_keeps_nothing(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    await h.services.store.db.run(lambda c: c.execute("PRAGMA query_only = ON"))
    try:
        r = await post(h, FIRING)
        assert r.status_code == 503 and "try again" in r.json()["error"]
        async with httpx.AsyncClient(base_url=web_url(h)) as client:
            health = await client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["store"]["writable"] is False
    finally:  # straight on the store's thread: a transaction cannot even begin now
        db = h.services.store.db
        await db._submit(db._conn.execute, "PRAGMA query_only = OFF")
    assert h.gateway.sent == []
    r = await post(h, FIRING)  # Alertmanager's retry, once the disk is back
    assert r.status_code == 202
    await h.until(lambda: h.gateway.sent)


# --- health and metrics ---------------------------------------------------------------------------


async def test_healthz_reports_store_poll_and_telegram(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    await h.until(lambda: h.runtime.health.last_poll_ok)
    async with httpx.AsyncClient(base_url=web_url(h)) as client:
        r = await client.get("/healthz")
        body = r.json()
        assert r.status_code == 200 and body["ok"] is True
        assert body["store"] == {"ok": True, "writable": True}
        assert body["gateway_poll"]["ok"] and body["gateway_poll"]["ago"] < 60
        assert body["telegram"]["ok"] and body["alerts"] == {"enabled": True}

        # Telegram is asked at most every 30 s, whatever the probes
        h.runtime.health.telegram_ok_at = 0.0
        before = len(h.api.calls("getMe"))
        for _ in range(5):
            assert (await client.get("/healthz")).status_code == 200
        assert len(h.api.calls("getMe")) == before + 1

        h.runtime.health.last_poll_ok = 1.0  # the gateway has not answered a poll for ages
        poller = h.runtime.poller
        if poller is not None:
            poller.lock = asyncio.Lock()
            await poller.lock.acquire()  # keep the poll job from fixing it during the check
        r = await client.get("/healthz")
        assert r.status_code == 503 and "no successful gateway poll" in r.json()["gateway_poll"]["problem"]


async def test_metrics_expose_sms_gateway_poll_queue_telegram_and_alerts(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    await post(h, FIRING)
    await post(h, FIRING)  # deduplicated
    await h.until(lambda: h.gateway.sent)
    await alert_state(h, 1, "sent")
    async with httpx.AsyncClient(base_url=web_url(h)) as client:
        r = await client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    for name in ("smsbot_sms_numbers_total", "smsbot_sms_segments_total", "smsbot_gateway_errors_total",
                 "smsbot_poll_lag_seconds", "smsbot_forward_queue_depth", "smsbot_telegram_retries_total",
                 "smsbot_alerts_total", "smsbot_alerts_pending", "smsbot_webhook_requests_total"):
        assert f"# TYPE {name.removesuffix('_total')}" in text, name
    samples = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
               for line in text.splitlines() if line and not line.startswith("#")}
    for event in ("received", "deduplicated", "sent"):
        assert samples[f'smsbot_alerts_total{{event="{event}"}}'] >= 1, event
    assert samples['smsbot_sms_numbers_total{outcome="accepted"}'] >= 3
    assert samples['smsbot_webhook_requests_total{status="202"}'] >= 2


# --- the server in the bot's loop ----------------------------------------------------------------------


async def test_the_server_runs_in_the_bots_loop_without_signal_handlers_and_stops_with_it(
        make_harness: Any) -> None:
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    h = await alerts_bot(make_harness)
    server = h.runtime.web
    # the wrapper names its task (or thread) "<name>:<port>"; the task is in this very loop
    assert f"HTTP server:{server.port}" in {t.get_name() for t in asyncio.all_tasks()}
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
    url = web_url(h)
    await h.stop()
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as client:
            await client.get(url + "/healthz")


async def test_a_taken_port_is_a_clear_error_at_start(make_harness: Any, tmp_path: Path) -> None:
    h = await make_harness()
    port = h.runtime.web.port
    other = Harness(tmp_path / "second", http_listen=f"127.0.0.1:{port}")
    (tmp_path / "second").mkdir()
    with pytest.raises(Exception, match="SMSBOT_HTTP_LISTEN"):
        await other.start()
    await other.stop()


async def test_a_chat_command_still_works_next_to_the_server(make_harness: Any) -> None:
    h = await alerts_bot(make_harness)
    reply = await h.ask("/sms 13800138000 hello", chat=TEAM_CHAT, user=MEMBER)
    assert "Sent to 1 number" in reply["text"]
