"""sms_core.text: GBK check, segment counts, length limit, cutting alert texts."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sms_core.errors import EmptyText, TextTooLong, UnsupportedCharacters
from sms_core.text import (
    DEFAULT_SEGMENT_SIZE,
    MAX_CHARS,
    SINGLE_SMS_CHARS,
    fit_segments,
    segment_count,
    unencodable_chars,
    validate_text,
)


def test_limits():
    assert (SINGLE_SMS_CHARS, MAX_CHARS, DEFAULT_SEGMENT_SIZE) == (70, 335, 67)


def test_unencodable_chars_names_each_distinct_character_in_order():
    assert unencodable_chars("ok 😀 服务器 😀 🚀") == ("😀", "🚀")
    assert unencodable_chars("服务器已恢复，请确认！ABC abc 123 ￥") == ()
    assert unencodable_chars("€") == ("€",)  # Python's gbk has no euro sign (cp936 does)


def test_unencodable_chars_reports_the_code_points_of_composed_emoji():
    assert unencodable_chars("🇨🇳") == ("🇨", "🇳")
    assert "\u200d" in unencodable_chars("👨\u200d👩\u200d👧")


def test_unencodable_chars_depends_on_the_encoding():
    assert unencodable_chars("😀", encoding="utf-8") == ()
    assert unencodable_chars("😀", encoding="gb18030") == ()


@pytest.mark.parametrize(
    ("length", "segments"),
    [(0, 0), (1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4), (335, 5)],
)
def test_segment_count_with_67_characters_per_segment(length, segments):
    assert segment_count("x" * length) == segments
    assert segment_count("字" * length) == segments  # characters, not bytes


def test_segment_count_follows_the_segment_size_setting():
    assert segment_count("x" * 71, segment_size=70) == 2
    assert segment_count("x" * 141, segment_size=70) == 3
    assert segment_count("x" * 71, segment_size=10) == 8


def test_validate_text_counts_characters_and_segments():
    info = validate_text("服务器已恢复")
    assert (info.text, info.chars, info.segments) == ("服务器已恢复", 6, 1)
    info = validate_text("y" * 135)
    assert (info.chars, info.segments) == (135, 3)


def test_validate_text_keeps_the_text_as_typed_but_crlf_becomes_lf():
    info = validate_text("  line 1\r\nline 2  ")
    assert info.text == "  line 1\nline 2  "
    assert info.chars == len("  line 1\nline 2  ")


def test_validate_text_counts_crlf_as_one_character():
    assert validate_text("a\r\n" * 35).chars == 70
    assert validate_text("a\r\n" * 35).segments == 1


@pytest.mark.parametrize("text", ["", " ", "\r\n\t", "\u3000\u3000"])
def test_validate_text_refuses_a_blank_text(text):
    with pytest.raises(EmptyText):
        validate_text(text)


def test_validate_text_names_the_characters_gbk_lacks():
    with pytest.raises(UnsupportedCharacters) as info:
        validate_text("Server back 😀")
    assert info.value.chars == ("😀",)
    assert str(info.value) == "'😀' cannot be sent: the gateway's encoding (GBK) has no such character"


def test_validate_text_names_several_missing_characters():
    with pytest.raises(UnsupportedCharacters) as info:
        validate_text("😀 and 🚀 and 😀")
    assert info.value.chars == ("😀", "🚀")
    assert "'😀' '🚀'" in str(info.value)
    assert "characters" in str(info.value)


def test_validate_text_refuses_412_characters_saying_how_many():
    with pytest.raises(TextTooLong) as info:
        validate_text("x" * 412)
    assert str(info.value) == "the text has 412 characters; at most 335"
    assert (info.value.length, info.value.limit) == (412, 335)


def test_validate_text_accepts_exactly_335_characters():
    assert validate_text("字" * 335).segments == 5


def test_validate_text_honours_other_limits_and_encodings():
    with pytest.raises(TextTooLong):
        validate_text("x" * 71, max_chars=70)
    assert validate_text("😀", encoding="utf-8").chars == 1


@given(st.text(max_size=400))
def test_validate_text_raises_only_input_errors(text):
    try:
        info = validate_text(text)
    except (EmptyText, UnsupportedCharacters, TextTooLong):
        return
    assert info.chars == len(info.text) <= MAX_CHARS
    assert 1 <= info.segments <= 5
    info.text.encode("gbk")


def test_fit_segments_leaves_a_short_text_alone():
    assert fit_segments("disk full on db1", 1) == "disk full on db1"
    assert fit_segments("x" * 70, 1) == "x" * 70


def test_fit_segments_cuts_with_an_ellipsis():
    cut = fit_segments("告警" * 100, 1)
    assert len(cut) == 70
    assert cut.endswith("…")
    assert cut.startswith("告警告警")
    assert segment_count(cut) == 1


def test_fit_segments_uses_segment_size_beyond_one_segment():
    assert len(fit_segments("x" * 500, 2)) == 134
    assert len(fit_segments("x" * 500, 5)) == 335
    assert len(fit_segments("x" * 500, 9)) == 335  # never beyond what the gateway takes
    assert len(fit_segments("x" * 500, 2, segment_size=70)) == 140


def test_fit_segments_replaces_characters_the_encoding_lacks():
    assert fit_segments("🔥 CPU 99%", 1) == "? CPU 99%"


def test_fit_segments_falls_back_to_dots_when_the_ellipsis_is_not_encodable():
    cut = fit_segments("x" * 100, 1, encoding="ascii")
    assert cut == "x" * 67 + "..."


def test_fit_segments_does_not_leave_blanks_before_the_ellipsis():
    cut = fit_segments("a" * 68 + "   " + "b" * 50, 1)
    assert cut == "a" * 68 + "…"


def test_fit_segments_refuses_zero_segments():
    with pytest.raises(ValueError):
        fit_segments("x", 0)


@given(st.text(max_size=500), st.integers(min_value=1, max_value=6),
       st.integers(min_value=60, max_value=70))
def test_fit_segments_never_exceeds_the_limit_and_stays_gbk(text, segments, segment_size):
    cut = fit_segments(text, segments, segment_size=segment_size)
    assert len(cut) <= (70 if segments == 1 else min(segments * segment_size, MAX_CHARS))
    assert segment_count(cut, segment_size) <= segments
    cut.encode("gbk")
    if len(text) <= 70 and "\r\n" not in text and not unencodable_chars(text) and not any(
            ch != "\n" and unicodedata.category(ch) == "Cc" for ch in text):
        assert cut == text
    assert not any(ch != "\n" and unicodedata.category(ch) == "Cc" for ch in cut)


@pytest.mark.parametrize(("typed", "sent"), [
    ("price\u00a0100", "price 100"),  # a no-break space copied from a web page
    ("a\u200bb", "ab"),  # a zero-width space
    ("cafe\u0301", "café"),  # an accent typed apart from its letter (NFC)
])
def test_invisible_differences_gbk_lacks_are_made_plain(typed, sent):
    assert validate_text(typed).text == sent


def test_a_text_gbk_holds_is_kept_exactly_as_typed():
    # U+F92C is a compatibility ideograph GBK has; NFC would turn it into U+90CE
    assert validate_text("\uf92c 100\u3000元").text == "\uf92c 100\u3000元"


@pytest.mark.parametrize(("typed", "shown"), [
    ("a\u200db", "U+200D (ZERO WIDTH JOINER)"),
    ("x\u0378", "U+0378"),  # unassigned: no name
    ("😀", "'😀'"),
])
def test_a_character_that_cannot_be_seen_is_named_by_its_code_point(typed, shown):
    with pytest.raises(UnsupportedCharacters) as info:
        validate_text(typed)
    assert str(info.value).startswith(f"{shown} cannot be sent")


def test_fit_segments_keeps_control_characters_off_the_phone():
    assert fit_segments("disk\x00full\x07 on\tdb-1\r\nnow", 1) == "disk?full? on db-1\nnow"
