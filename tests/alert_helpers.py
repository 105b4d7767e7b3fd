"""What the alert tests share: the bot with alerts on, posting to its webhook, and waiting for
what an alert becomes (its state, its copy in the alert chat)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
from harness import ALERT_CHAT, WEBHOOK_TOKEN, Harness

SAMPLES = Path(__file__).resolve().parent / "data"
"""Webhook payloads captured from a real Alertmanager 0.25."""
FIRING = (SAMPLES / "alertmanager-0.25-firing.json").read_bytes()
RESOLVED = (SAMPLES / "alertmanager-0.25-resolved.json").read_bytes()
ONCALL = ["13800138000", "13800138001", "13900139000"]




async def alerts_bot(make_harness: Any, *, members: list[str] | None = None, **overrides: Any) -> Harness:
    """The real bot with alerts on (token, alert chat) and a group @oncall."""
    values: dict[str, Any] = {"webhook_token": WEBHOOK_TOKEN, "alert_chat_id": ALERT_CHAT}
    values.update(overrides)
    h = await make_harness(**values)
    h.api.set_rate_limits(None, None)  # many copies and edits in little time; limits are tested elsewhere
    await h.services.store.contacts.replace_group("oncall", members or ONCALL)
    return h


def web_url(h: Harness) -> str:
    return h.runtime.web.url


async def post(h: Harness, body: bytes | dict[str, Any], *, group: str | None = "oncall",
               token: str | None = WEBHOOK_TOKEN, headers: dict[str, str] | None = None,
               method: str = "POST") -> httpx.Response:
    content = json.dumps(body).encode() if isinstance(body, dict) else body
    sent = {"Content-Type": "application/json", **(headers or {})}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    path = f"/alerts/{group}" if group else "/alerts"
    async with httpx.AsyncClient(base_url=web_url(h), timeout=30) as client:
        return await client.request(method, path, content=content, headers=sent)


def sms_texts(h: Harness) -> list[str]:
    return [s.text for s in h.gateway.sent]


def copies(h: Harness) -> list[str]:
    return [m["text"] for m in h.bot_messages(ALERT_CHAT)]


async def copy_saying(h: Harness, alert_id: int, *words: str, timeout: float = 15.0) -> str:
    """Wait until the copy of alert `alert_id` in the alert chat says every one of `words`."""
    def found() -> str | None:
        for text in copies(h):
            if text.startswith(f"🚨 Alert {alert_id} ") and all(w in text for w in words):
                return text
        return None
    return await h.until(found, timeout=timeout)


async def alert_state(h: Harness, alert_id: int, *states: str, timeout: float = 15.0) -> Any:
    async def poll() -> Any:
        while True:
            alert = await h.services.store.alert_intake.get(alert_id)
            if alert is not None and alert.state in states:
                return alert
            await asyncio.sleep(0.02)
    return await asyncio.wait_for(poll(), timeout)


def accepted_id(response: httpx.Response, n: int = 0) -> int:
    assert response.status_code == 202, response.text
    return response.json()["accepted"][n]["id"]


GRAFANA_SAMPLE = {
    "receiver": "My Super Webhook",
    "status": "firing",
    "orgId": 1,
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "High memory usage", "team": "blue", "zone": "us-1"},
            "annotations": {
                "description": "The system has high memory usage",
                "runbook_url": "https://myrunbook.com/runbook/1234",
                "summary": "This alert was triggered for zone us-1",
            },
            "startsAt": "2021-10-12T09:51:03.157076+02:00",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "https://play.grafana.org/alerting/1afz29v7z/edit",
            "fingerprint": "c6eadffa33fcdf37",
            "silenceURL": "https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT2%2Cteam%3Dblue%2Czone%3Dus-1",
            "dashboardURL": "",
            "panelURL": "",
            "values": {"B": 44.23943737541908, "C": 1},
            "valueString": "[ var='B' labels={__name__=go_memstats_alloc_bytes, instance=host.docker.internal:3000, job=grafana} value=44.23943737541908 ], [ var='C' labels={__name__=go_memstats_alloc_bytes, instance=host.docker.internal:3000, job=grafana} value=1 ]",
        },
        {
            "status": "firing",
            "labels": {"alertname": "High CPU usage", "team": "blue", "zone": "eu-1"},
            "annotations": {
                "description": "The system has high CPU usage",
                "runbook_url": "https://myrunbook.com/runbook/1234",
                "summary": "This alert was triggered for zone eu-1",
            },
            "startsAt": "2021-10-12T09:56:03.157076+02:00",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "https://play.grafana.org/alerting/d1rdpdv7k/edit",
            "fingerprint": "bc97ff14869b13e3",
            "silenceURL": "https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT1%2Cteam%3Dblue%2Czone%3Deu-1",
            "dashboardURL": "",
            "panelURL": "",
            "values": {"B": 44.23943737541908, "C": 1},
            "valueString": "[ var='B' labels={__name__=go_memstats_alloc_bytes, instance=host.docker.internal:3000, job=grafana} value=44.23943737541908 ], [ var='C' labels={__name__=go_memstats_alloc_bytes, instance=host.docker.internal:3000, job=grafana} value=1 ]",
        },
    ],
    "groupLabels": {},
    "commonLabels": {"team": "blue"},
    "commonAnnotations": {},
    "externalURL": "https://play.grafana.org/",
    "version": "1",
    "groupKey": "{}:{}",
    "truncatedAlerts": 0,
    "title": "[FIRING:2]  (blue)",
    "state": "alerting",
    "message": "**Firing**\n\nLabels:\n - alertname = T2\n - team = blue\n - zone = us-1\nAnnotations:\n - description = This is the alert rule checking the second system\n - runbook_url = https://myrunbook.com\n - summary = This is my summary\nSource: https://play.grafana.org/alerting/1afz29v7z/edit\nSilence: https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT2%2Cteam%3Dblue%2Czone%3Dus-1\n\nLabels:\n - alertname = T1\n - team = blue\n - zone = eu-1\nAnnotations:\nSource: https://play.grafana.org/alerting/d1rdpdv7k/edit\nSilence: https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT1%2Cteam%3Dblue%2Czone%3Deu-1\n",
}
