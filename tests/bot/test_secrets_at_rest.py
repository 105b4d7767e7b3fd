"""No secret at rest: after faults that put secrets in front of the bot (a gateway whose error
page echoes the request URL, a webhook token pasted into the URL path), the store's file, its
WAL and every other file in its folder are searched byte by byte for them."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import httpx
import pytest
from alert_helpers import web_url
from harness import ALERT_CHAT, GATEWAY_PASSWORD, SECRETS, WEBHOOK_TOKEN, Harness

from bot.store.spool import Spool
from sms_core import SmsGateway
from sms_core.redaction import keep_secret

TRICKY_PASSWORD = "pw S3CRET/中文&x+y"
"""A password that every encoding writes differently (space, slash, CJK, & and +)."""


class EchoGateway:
    """A gateway on loopback whose every answer is a 200 error page that echoes the request:
    the raw target (the password percent-encoded in GBK), the decoded values (the password in
    clear) and the raw value alone (no `us_pwd=` before it)."""

    def __init__(self) -> None:
        class Echo(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = urlsplit(self.path).query
                values = dict(parse_qsl(query, encoding="gbk"))
                raw_pwd = next((v for k, v in (p.split("=", 1) for p in query.split("&") if "=" in p)
                                if k == "us_pwd"), "")
                page = (f"<html><body><h1>Error 1045</h1><p>GET {self.path}</p>"
                        f"<pre>{values}</pre><p>login {raw_pwd} refused</p></body></html>")
                body = page.encode("gbk")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=gbk")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="echo-gateway", daemon=True)

    def __enter__(self) -> EchoGateway:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def forms(secret: str) -> set[bytes]:
    """A secret as bytes in a file: UTF-8, GBK, and percent-encoded from either."""
    out = {secret.encode(), quote(secret, safe="").encode(), quote(secret).encode()}
    try:
        out |= {secret.encode("gbk"), quote(secret.encode("gbk"), safe="").encode()}
    except UnicodeError:
        pass
    return out


def files_holding(folder: Path, secrets: list[str]) -> list[tuple[str, str]]:
    """(file, secret) for every file under `folder`, recursively, that holds a form of a secret."""
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found += [(str(path.relative_to(folder)), s) for s in secrets if any(f in data for f in forms(s))]
    return found


@pytest.mark.parametrize("password", [GATEWAY_PASSWORD, TRICKY_PASSWORD])
async def test_an_echoing_gateway_and_a_token_in_the_url_leave_no_secret_in_the_stores_folder(
        make_harness: Any, password: str) -> None:
    folder = Path()
    with EchoGateway() as gateway:
        h: Harness = await make_harness(gateway_url=gateway.url, gateway_password=password,
                                        webhook_token=WEBHOOK_TOKEN, alert_chat_id=ALERT_CHAT)
        assert h.settings is not None
        store, folder = h.services.store, Path(h.settings.database_path).parent
        raw = await h.eventually(store.inbound.unparsed_raw)  # both polls: the echo kept as a raw answer
        assert any("Error 1045" in body and "us_pwd=***" in body for _, _, body, _ in raw), raw

        async with httpx.AsyncClient(base_url=web_url(h), timeout=30) as client:
            auth = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
            for path, headers, status in [
                (f"/alerts/{WEBHOOK_TOKEN}", {}, 401),  # the token where the group goes, no header
                (f"/alerts/{WEBHOOK_TOKEN}", auth, 404),  # ... with it: an unknown group, audited
                (f"/alerts/{WEBHOOK_TOKEN[:-1]}", auth, 404),  # cut
                (f"/alerts/{WEBHOOK_TOKEN}x%20y", auth, 404),  # a typo after it
                (f"/alerts/{quote(WEBHOOK_TOKEN)}/", auth, 404),
            ]:
                r = await client.post(path, json={"text": "x"}, headers=headers)
                assert r.status_code == status, (path, r.text)
                assert WEBHOOK_TOKEN[:8] not in r.text
        audited = [a.detail or "" for a in await store.audit_log.recent("webhook_refused")]
        assert len(audited) == 5 and all("group ***" in row for row in audited), audited
        assert not any(WEBHOOK_TOKEN[:8] in row for row in audited)

        secrets = [*SECRETS, password]
        running = files_holding(folder, secrets)  # the WAL holds the latest commits
        assert any(p.name.endswith("-wal") for p in folder.iterdir())
        await h.stop()
    assert running == [] and files_holding(folder, secrets) == []
    assert [p for p in folder.rglob("*") if p.is_file()]  # the search looked at something


def test_a_spooled_answer_holds_no_gateway_password(tmp_path: Path) -> None:
    """The spool is the store's last line of defence: what it writes is blanked like raw_answers."""
    owner = SmsGateway("http://127.0.0.1:9", "team", GATEWAY_PASSWORD)
    keep_secret(owner, GATEWAY_PASSWORD, "gbk")
    echoed = (f"<html>500 at /sms/inbound?us_name=team&us_pwd={quote(GATEWAY_PASSWORD)}"
              f" ({GATEWAY_PASSWORD})</html>")
    spool = Spool(tmp_path / "smsbot.sqlite3.spool")
    written = spool.write("/inbound", echoed)
    (pending,), _ = spool.pending()
    assert pending.path == written and "us_pwd=***" in pending.body
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in SECRETS:
                assert secret.encode() not in data and quote(secret).encode() not in data, path
