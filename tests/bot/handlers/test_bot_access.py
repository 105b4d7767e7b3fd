"""Access control, HTML escaping, and secrets that never leave the process."""

from __future__ import annotations

import html
import logging

from harness import (
    ADMIN,
    GATEWAY_PASSWORD,
    MEMBER,
    STRANGER,
    TEAM_CHAT,
    all_logged,
    assert_no_secrets,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.i18n import Html, t

STRANGER_CHAT = -1009999999999


async def test_a_stranger_in_a_group_gets_silence_and_spends_nothing(harness):
    harness.api.add_chat(STRANGER_CHAT, type="supergroup", title="elsewhere")
    for text in ("/sms 13800138000 hi", "/balance", "/contacts", "/history"):
        harness.say(text, chat=STRANGER_CHAT, user=STRANGER)
    await harness.updates_handled()
    assert harness.bot_messages(STRANGER_CHAT) == []
    assert harness.gateway.request_count() == 0 or harness.gateway.request_count("send") == 0
    assert harness.gateway.request_count("balance") == 0
    audit = await harness.services.store.audit_log.recent("stranger")
    assert len(audit) == 1 and audit[0].chat_id == STRANGER_CHAT  # the others are counted (below)


async def _handled_so_far(harness) -> None:
    """Updates are handled one at a time, in order: once a member's command is answered,
    every update pushed before it has been handled."""
    await harness.ask("/help", chat=TEAM_CHAT, user=MEMBER)


async def test_strangers_are_audited_once_a_minute_per_user_and_chat_with_a_count(harness):
    harness.api.add_chat(STRANGER_CHAT, type="supergroup", title="elsewhere")
    now = [1000.0]
    harness.services.access.strangers.throttle.clock = lambda: now[0]
    store = harness.services.store
    for n in range(100):
        harness.say(f"/balance {n}", chat=STRANGER_CHAT, user=STRANGER)
    await _handled_so_far(harness)
    audit = await store.audit_log.recent("stranger")
    assert [(a.chat_id, a.user_id, a.detail) for a in audit] == [(STRANGER_CHAT, STRANGER, "/balance 0")]

    now[0] += 61  # the next minute: one row again, counting the 99 in between
    harness.say("/balance 100", chat=STRANGER_CHAT, user=STRANGER)
    harness.say("/balance 101", chat=STRANGER_CHAT, user=MEMBER)  # another user: a source of its own
    await _handled_so_far(harness)
    audit = await store.audit_log.recent("stranger")
    assert [(a.user_id, a.detail) for a in audit[:2]] == [
        (MEMBER, "/balance 101"),
        (STRANGER, "/balance 100; 99 more from this user in this chat in the 60 s after the last one recorded")]

    for n in range(5):  # a flood that stops: its count is recorded with the next stranger's update
        harness.say(f"/sms 1380013800{n} hi", chat=STRANGER_CHAT, user=STRANGER)
    await _handled_so_far(harness)
    now[0] += 61
    harness.api.add_chat(STRANGER, type="private")
    harness.say("hello", chat=STRANGER, user=STRANGER)
    await _handled_so_far(harness)
    audit = await store.audit_log.recent("stranger")
    assert len(audit) == 5
    assert {(a.chat_id, a.user_id, a.detail) for a in audit[:2]} == {
        (STRANGER, STRANGER, "(message)"),
        (STRANGER_CHAT, STRANGER, "5 more from this user in this chat in the 60 s after the last one recorded")}
    assert harness.bot_messages(STRANGER_CHAT) == []
    assert harness.gateway.request_count("send") == 0 and harness.gateway.request_count("balance") == 0


async def test_a_stranger_in_private_gets_one_neutral_refusal(harness):
    harness.api.add_chat(STRANGER, type="private")
    reply = await harness.ask("/sms 13800138000 hi", chat=STRANGER, user=STRANGER)
    assert reply["text"] == "This is a private bot."
    harness.say("/balance", chat=STRANGER, user=STRANGER)
    await harness.updates_handled()
    assert len(harness.bot_messages(STRANGER)) == 1  # one refusal, not one per message
    assert harness.gateway.request_count("send") == 0 and harness.gateway.request_count("balance") == 0


async def test_a_member_of_an_allowed_chat_cannot_use_the_bot_in_private(harness):
    harness.api.add_chat(MEMBER, type="private")
    reply = await harness.ask("/balance", chat=MEMBER, user=MEMBER)
    assert "Balance" not in reply["text"]


async def test_an_admin_may_use_the_bot_in_private(harness):
    harness.api.add_chat(ADMIN, type="private")
    reply = await harness.ask("/balance", chat=ADMIN, user=ADMIN)
    assert "Balance" in reply["text"]


async def test_id_answers_any_chat(harness):
    harness.api.add_chat(STRANGER_CHAT, type="supergroup", title="elsewhere")
    reply = await harness.ask("/id", chat=STRANGER_CHAT, user=STRANGER)
    assert str(STRANGER_CHAT) in reply["text"] and str(STRANGER) in reply["text"]


async def test_only_admins_change_contacts(harness):
    reply = await harness.ask("/contact add alice 13800138000", user=MEMBER)
    assert "Only admins" in reply["text"]
    assert await harness.services.store.contacts.all() == []
    reply = await harness.ask("/contact add alice 13800138000", user=ADMIN)
    assert "alice" in reply["text"]
    reply = await harness.ask("/contacts", user=MEMBER)
    assert "13800138000" in reply["text"]


async def test_contact_names_and_sms_text_are_escaped_in_telegram(harness):
    await harness.ask("/contact add <b>&x 13800138000", user=ADMIN)
    reply = await harness.ask("/contacts")
    assert "<b>&x" in reply["text"]  # the double parsed our HTML: the name shows as typed
    reply = await harness.ask("/sms 13800138000 <i>x</i> & y")
    assert reply["text"].startswith("Sent")
    reply = await harness.ask("/history")
    assert "<i>x</i> & y" in reply["text"]


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from("<>&\"'ab中😀 \n/;|"), max_size=60))
def test_every_message_escapes_what_it_is_given(value):
    from bot.i18n.en import MESSAGES

    for key, template in MESSAGES.items():
        names = [n for n in ("name", "phone", "text", "error", "raw", "reason", "who", "sender", "chars")
                 if "{" + n + "}" in template]
        if not names:
            continue
        params = {n: value for n in names}
        rendered = t(key, "en", **_fill(template, params))
        assert html.escape(value, quote=False) in rendered or value == ""


def _fill(template: str, params: dict) -> dict:
    from bot.i18n import placeholders

    out = dict.fromkeys(placeholders(template), Html("0"))
    out.update(params)
    return out


async def test_no_secret_appears_in_any_recorded_message_or_log(harness, caplog):
    caplog.set_level(logging.DEBUG)
    harness.gateway.add_fault("stall", endpoint="send")
    await harness.ask("/sms 13800138000 hi", timeout=20)
    harness.gateway.configure(password="another")  # the gateway now refuses our password
    await harness.ask("/balance")
    await harness.ask("/sms 13800138000 again")
    harness.api.fail_next("sendMessage", 500)
    harness.say("/help")
    await harness.updates_handled()
    texts = [m["text"] for chat in (TEAM_CHAT,) for m in harness.bot_messages(chat)]
    assert any("refused our login" in t_ for t_ in texts)
    assert_no_secrets(*texts, all_logged(caplog), caplog.text)
    assert GATEWAY_PASSWORD not in repr(harness.services.gateway)
    calls = [str(c.params) for c in harness.api.calls()]
    assert_no_secrets(*calls)


async def test_any_sms_text_is_shown_escaped_and_whole(make_harness):
    """Texts full of HTML's special characters go through the confirm question and /history:
    the double refuses (400) anything that is not valid HTML, so a missing escape would show."""
    import random

    rng = random.Random(7)
    alphabet = "<>&\"'ab中文 /;|\n&lt;<b></i>"
    texts = ["<b>", "a & b", "&amp;", "</blockquote>", "x<y>z"] + [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))).strip() or "<" for _ in range(10)
    ]
    h = await make_harness(confirm_threshold=0)
    h.api.add_chat(ADMIN, type="private")  # a private chat: Telegram's 20-a-minute group limit is not the subject
    for text in texts:
        question = await h.ask(f"/sms 13800138000 {text}", chat=ADMIN, user=ADMIN)
        assert text.strip() in question["text"], (text, question["text"])
        cancel = question["reply_markup"]["inline_keyboard"][0][1]["callback_data"]
        h.api.push_callback(ADMIN, ADMIN, question["message_id"], cancel)
        await h.until(lambda: "Cancelled" in h.bot_messages(ADMIN)[-1]["text"])
    assert all(c.status != 400 for c in h.api.calls("sendMessage") + h.api.calls("editMessageText"))
