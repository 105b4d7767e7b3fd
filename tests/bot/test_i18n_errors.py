"""Gateway and schedule refusals read in the user's language, not only in English."""

from __future__ import annotations

from harness import MEMBER


async def test_a_forbidden_word_is_explained_in_chinese(harness):
    harness.api.add_user(MEMBER, "Max", username="max", language_code="zh-hans")
    reply = await harness.ask("/sms 13800138000 代开发票")
    assert "网关拒绝了敏感词" in reply["text"] and ("发票" in reply["text"] or "代开" in reply["text"])
    record = (await harness.services.store.sends.history())[0]
    assert record.error_kind == "forbidden_word" and record.error_arg in ("发票", "代开")


async def test_a_forbidden_word_is_explained_in_english(harness):
    reply = await harness.ask("/sms 13800138000 代开发票")
    assert "the gateway refused the word" in reply["text"] and "rephrase" in reply["text"]


async def test_a_locked_account_is_explained(harness):
    harness.gateway.configure(locked=True)
    reply = await harness.ask("/sms 13800138000 hi")
    assert "locked" in reply["text"] and "SMS provider" in reply["text"]


async def test_schedule_refusals_in_chinese(harness):
    harness.api.add_user(MEMBER, "Max", username="max", language_code="zh")
    reply = await harness.ask("/sms at 2001-01-01 10:00 13800138000 hi")
    assert "已经过去" in reply["text"] and "2001-01-01 10:00" in reply["text"]
    reply = await harness.ask("/sms at 2099-01-01 10:00 13800138000 hi")
    assert "超过一年" in reply["text"]
    assert harness.gateway.request_count("send") == 0


async def test_a_balance_failure_is_explained_in_chinese(harness):
    harness.api.add_user(MEMBER, "Max", username="max", language_code="zh")
    harness.gateway.configure(password="rotated")
    reply = await harness.ask("/balance")
    assert "网关拒绝登录" in reply["text"]


def test_english_counts_take_the_right_form_and_chinese_has_none():
    from bot.i18n import placeholders, t

    assert t("status_sent", "en", n=1, segments=1, cost=1, delivered=0) == (
        "Sent to 1 number · 1 segment each · cost 1 · delivered 0/1")
    assert t("status_sent", "en", n=3, segments=2, cost=6, delivered=1).startswith(
        "Sent to 3 numbers · 2 segments each")
    assert "个号码" in t("status_sent", "zh", n=3, segments=2, cost=6, delivered=1)
    assert placeholders("{n} {n|number|numbers}") == {"n"}
