"""The double over real HTTP: tokens, unknown methods, request encodings (form, JSON,
multipart, GET), a restart on the same port, and a stop that answers waiting long polls."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest
from devserver_fixtures import GROUP
from telegram import Bot
from telegram.error import InvalidToken

from bot.devserver import ApiError, BotApiServer
from bot.devserver.params import decode_params


async def test_get_me_answers_the_bot_user(tg: BotApiServer, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.username == "smsbot_test_bot"
    assert me.is_bot and me.id == 123456
    assert me.can_read_all_group_messages is False
    assert tg.base_url == f"{tg.url}/bot" and tg.url.startswith("http://127.0.0.1:")
    assert [c.method for c in tg.calls()][:2] == ["getMe", "getMe"]
    assert all(c.ok for c in tg.calls())


async def test_wrong_token_raises_invalid_token(tg: BotApiServer) -> None:
    stranger = Bot("999:not-the-token", base_url=tg.base_url)
    with pytest.raises(InvalidToken):
        await stranger.initialize()
    call = tg.calls()[-1]
    assert (call.method, call.status, call.description) == ("getMe", 401, "Unauthorized")


async def test_unknown_method_and_raw_http_shapes(tg: BotApiServer) -> None:
    async with httpx.AsyncClient(base_url=tg.url) as http:
        unknown = await http.post(f"/bot{tg.token}/sendPigeon", data={"chat_id": GROUP})
        assert unknown.status_code == 404
        assert unknown.json() == {
            "ok": False,
            "error_code": 404,
            "description": "Not Found: method not found",
        }
        bad = await http.get("/bot123:nope/getMe")
        assert bad.status_code == 401 and bad.json()["error_code"] == 401
        # JSON bodies and GET query strings are read too; method names are case-insensitive.
        as_json = await http.post(
            f"/bot{tg.token}/sendmessage",
            json={"chat_id": GROUP, "text": "json", "reply_markup": {"inline_keyboard": []}},
        )
        assert as_json.status_code == 200 and as_json.json()["result"]["text"] == "json"
        as_get = await http.get(f"/bot{tg.token}/getMe")
        assert as_get.json()["result"]["username"] == "smsbot_test_bot"
        multipart = await http.post(
            f"/bot{tg.token}/sendMessage",
            data={"chat_id": str(GROUP), "text": "multi"},
            files={"dummy": ("a.txt", b"x")},
        )
        assert multipart.status_code == 200 and multipart.json()["result"]["text"] == "multi"
    assert tg.calls("sendMessage")[0].method == "sendMessage"
    assert [m["text"] for m in tg.sent_messages(GROUP)] == ["json", "multi"]


def test_restart_keeps_port_and_state() -> None:
    tg = BotApiServer()
    tg.start()
    try:
        port = tg.port
        tg.add_chat(GROUP)
        tg.stop()
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{tg.base_url}{tg.token}/getMe")
        tg.start()
        assert tg.port == port
        answer = httpx.post(
            f"{tg.base_url}{tg.token}/sendMessage", data={"chat_id": GROUP, "text": "back"}
        )
        assert answer.json()["result"]["text"] == "back"
    finally:
        tg.stop()


def test_stop_answers_a_waiting_long_poll_with_no_updates() -> None:
    tg = BotApiServer().start()
    answers: list[Any] = []

    def poll() -> None:
        try:
            answers.append(httpx.post(f"{tg.base_url}{tg.token}/getUpdates",
                                      json={"timeout": 50}, timeout=60).json())
        except httpx.HTTPError as exc:
            answers.append(exc)

    thread = threading.Thread(target=poll)
    thread.start()
    try:
        while not tg.waiting_polls() and thread.is_alive():
            time.sleep(0.01)
        assert tg.waiting_polls() == 1
    finally:
        tg.stop()
        thread.join(60)
    assert answers == [{"ok": True, "result": []}]  # answered, not cut off by the shutdown
    assert not tg.running


async def test_bad_request_bodies_are_refused_with_400(tg: BotApiServer) -> None:
    async with httpx.AsyncClient(base_url=tg.url) as http:
        url = f"/bot{tg.token}/sendMessage"
        broken = await http.post(url, content=b"{", headers={"content-type": "application/json"})
        assert broken.status_code == 400
        assert broken.json()["description"] == "Bad Request: can't parse JSON body"
        listed = await http.post(url, json=[1], headers={"content-type": "application/json"})
        assert listed.json()["description"] == "Bad Request: JSON body must be an object"
        markup = await http.post(url, data={"chat_id": GROUP, "text": "x", "reply_markup": "{"})
        assert markup.json()["description"] == "Bad Request: can't parse reply_markup JSON object"
    assert [c.status for c in tg.calls("sendMessage")] == [400, 400, 400]
    assert tg.sent_messages() == []


def test_form_values_are_typed_as_telegram_reads_them() -> None:
    decoded = decode_params(
        {
            "chat_id": "-100123",
            "message_id": "7",
            "disable_notification": "true",
            "reply_markup": '{"inline_keyboard": []}',
            "text": "[1]",
            "extra": "[2]",
        }
    )
    assert decoded == {
        "chat_id": -100123,
        "message_id": 7,
        "disable_notification": True,
        "reply_markup": {"inline_keyboard": []},
        "text": "[1]",
        "extra": [2],
    }
    assert decode_params({"chat_id": "@team"}) == {"chat_id": "@team"}
    with pytest.raises(ApiError, match="invalid offset specified") as caught:
        decode_params({"offset": "soon"})
    assert caught.value.status == 400
