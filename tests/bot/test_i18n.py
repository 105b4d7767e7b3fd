"""English and Simplified Chinese: complete catalogues, same placeholders and HTML, the language
picked per user, and a refusal read in Chinese end to end through the real bot."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from harness import MEMBER

from bot.devserver import parse_html
from bot.errors import Reason, Refusal
from bot.i18n import (
    CATALOGUES,
    Html,
    Translator,
    pick_language,
    placeholders,
    plain,
    t,
    template_of,
)
from bot.i18n.en import MESSAGES as EN
from bot.i18n.reasons import gateway_key, number_key, number_refusal
from bot.i18n.zh import MESSAGES as ZH
from sms_core.errors import GatewayReason, InputReason, NumberReason, UnknownReason

_TAG_RE = re.compile(r"<\s*(/?)\s*([a-zA-Z][\w-]*)")
_HAN_RE = re.compile(r"[\u4e00-\u9fff]")

IDENTICAL_OK = {"input_error", "inbound_header", "inbound_line", "topic_title"}
"""Keys whose text has no words to translate (only placeholders, markup, emoji)."""


def _tags(template: str) -> Counter[str]:
    return Counter(f"{slash}{name.lower()}" for slash, name in _TAG_RE.findall(template))


# --- the catalogues ---------------------------------------------------------------------


def test_every_english_key_has_a_chinese_translation() -> None:
    missing = sorted(set(EN) - set(ZH))
    assert not missing, (f"bot/i18n/zh.py lacks {len(missing)} key(s) of en.py "
                         f"(they fall back to English): {', '.join(missing)}")


def test_chinese_has_no_keys_english_lacks() -> None:
    extra = sorted(set(ZH) - set(EN))
    assert not extra, f"bot/i18n/zh.py has key(s) en.py does not (renamed or removed?): {extra}"


@pytest.mark.parametrize("key", sorted(set(EN) & set(ZH)))
def test_placeholders_match(key: str) -> None:
    assert placeholders(ZH[key]) == placeholders(EN[key])


@pytest.mark.parametrize("key", sorted(set(EN) & set(ZH)))
def test_html_tags_match(key: str) -> None:
    assert _tags(ZH[key]) == _tags(EN[key])


@pytest.mark.parametrize("key", sorted(set(EN) & set(ZH)))
def test_chinese_is_chinese(key: str) -> None:
    if key in IDENTICAL_OK:
        assert ZH[key] == EN[key]
    else:
        assert _HAN_RE.search(ZH[key]), f"zh[{key!r}] has no Chinese in it: {ZH[key]!r}"


@pytest.mark.parametrize("lang", sorted(CATALOGUES))
@pytest.mark.parametrize("key", sorted(EN))
def test_every_message_is_html_telegram_accepts(lang: str, key: str) -> None:
    """Filled with awkward values, each message still parses as Telegram HTML."""
    values = {name: "<b>&'x\"" for name in placeholders(EN[key])}
    parse_html(t(key, lang, **values))


def test_commands_stay_in_latin_letters() -> None:
    for key, text in ZH.items():
        for command in re.findall(r"/[A-Za-z_\u4e00-\u9fff]+", text):
            assert re.fullmatch(r"/[a-z_]+", command), f"zh[{key!r}] writes the command {command!r}"


def test_bot_command_descriptions_fit_telegram() -> None:
    for key in (k for k in ZH if k.startswith("commands_")):
        assert 1 <= len(ZH[key]) <= 256 and "<" not in ZH[key]


def test_chinese_fills_and_escapes_like_english() -> None:
    tr = Translator("zh")
    assert tr("contact_added", name="<x&y>", phone="13800138000") == "已添加联系人 &lt;x&amp;y&gt; → 13800138000。"
    assert tr("contacts", lines=Html("<b>a</b>")) == "<b>联系人</b>\n<b>a</b>"


def test_a_missing_key_falls_back_to_english() -> None:
    without = {key: text for key, text in ZH.items() if key != "confirm_done"}
    assert template_of("confirm_done", without) == EN["confirm_done"]
    assert template_of("confirm_done", ZH) == ZH["confirm_done"]


# --- reason codes ------------------------------------------------------------------------


def _reason_keys() -> dict[str, str]:
    """Every reason code -> the catalogue key that words it."""
    keys = {f"Reason.{r.name}": str(r) for r in Reason}
    for family in (GatewayReason, UnknownReason, InputReason):
        keys.update({f"{family.__name__}.{r.name}": gateway_key(r) for r in family})
    keys.update({f"NumberReason.{r.name}": number_key(r) for r in NumberReason})
    return keys


@pytest.mark.parametrize("lang", sorted(CATALOGUES))
def test_every_reason_code_is_worded_in_both_catalogues(lang: str) -> None:
    catalogue = CATALOGUES[lang]
    missing = sorted(code for code, key in _reason_keys().items() if key not in catalogue)
    assert not missing, f"bot/i18n/{lang}.py words no {missing}"


def test_a_refusal_is_named_by_a_reason_and_only_by_one() -> None:
    refusal = Refusal("group_cycle", name="a", member="@b", path="@a → @b → @a")
    assert refusal.reason is Reason.GROUP_CYCLE and refusal.key == "group_cycle"
    assert "@a → @b → @a" in t(refusal.key, "zh", **refusal.params)
    with pytest.raises(ValueError):
        Refusal("no_such_reason")  # a code with no wording is caught where it is raised


def test_reason_codes_of_sms_core_do_not_share_a_wording_by_accident() -> None:
    """A send's row keeps one code of three families, worded by `gw_{code}`: a value two
    families share must mean the same fault (only an unreadable answer does)."""
    families = [set(GatewayReason), set(UnknownReason), set(InputReason)]
    shared = {str(c) for i, a in enumerate(families) for b in families[i + 1:] for c in a & b}
    assert shared == {"unreadable"}


def test_a_number_refusal_reads_in_each_language_by_its_code() -> None:
    assert number_refusal(NumberReason.MOBILE_LENGTH, Translator("zh")) == "手机号应为 11 位"
    assert number_refusal(NumberReason.MOBILE_LENGTH, Translator("en")) == NumberReason.MOBILE_LENGTH.sentence
    assert all(EN[number_key(r)] == r.sentence for r in NumberReason)  # the bot says what sms_core says


@pytest.mark.parametrize("lang", sorted(CATALOGUES))
@pytest.mark.parametrize("key", sorted(k for k in EN if k.startswith("webhook_")))
def test_webhook_answers_are_plain_text(lang: str, key: str) -> None:
    """The webhook answers JSON, not Telegram HTML: no tags; entities read as their characters."""
    values = {name: "<b>&x" for name in placeholders(EN[key])}
    assert not _tags(CATALOGUES[lang][key])
    text = plain(key, lang, **values)
    assert "&lt;" not in text and "&amp;" not in text and ("<b>&x" in text or not values)


# --- choosing the language ----------------------------------------------------------------


@pytest.mark.parametrize(("code", "forced", "expected"), [
    ("zh-hans", None, "zh"),
    ("zh-hant", None, "zh"),
    ("zh", None, "zh"),
    ("ZH-CN", None, "zh"),
    ("en", None, "en"),
    ("en-GB", None, "en"),
    ("ru", None, "en"),
    (None, None, "en"),
    ("", None, "en"),
    ("zh-hans", "en", "en"),
    ("en", "zh", "zh"),
    (None, "zh", "zh"),
    ("zh-hans", "fr", "zh"),  # not a catalogue: ignored
])
def test_pick_language(code: str | None, forced: str | None, expected: str) -> None:
    assert pick_language(code, forced) == expected


# --- through the real bot -----------------------------------------------------------------


async def test_chinese_user_gets_the_refusal_in_chinese(harness) -> None:  # type: ignore[no-untyped-def]
    harness.api.add_user(MEMBER, "Max", username="max", language_code="zh-hans")
    reply = await harness.ask("/sms 13800 hi")
    assert reply["text"] == "13800 不是有效号码：手机号应为 11 位。请改正后重新发送。"
    assert harness.gateway.sent == []


async def test_forced_english_overrides_the_users_language(make_harness) -> None:  # type: ignore[no-untyped-def]
    h = await make_harness(language="en")
    h.api.add_user(MEMBER, "Max", username="max", language_code="zh-hans")
    reply = await h.ask("/sms 13800 hi")
    assert reply["text"] == "13800 is not a valid number: a mobile number has 11 digits. Fix it and send again."


async def test_commands_menu_is_set_in_chinese_for_chinese_clients(harness) -> None:  # type: ignore[no-untyped-def]
    menu = {c["command"]: c["description"] for c in harness.api.my_commands(language_code="zh")}
    assert menu["sms"] == ZH["commands_sms"] and menu["help"] == ZH["commands_help"]
