"""sms_core.phones: typed numbers -> the gateway's form, or a reason to act on."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sms_core.errors import InputError, InputReason, InvalidNumber, NumberReason
from sms_core.phones import (
    chunked,
    looks_like_number,
    normalize_number,
    normalize_numbers,
    number_run,
    parse_numbers,
    split_targets,
)

NORMALISED = re.compile(r"1[3-9][0-9]{9}|0[0-9]{9,11}")


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        "+86 138 0013 8000",
        "86-13800138000",
        "138-0013-8000",
        "+8613800138000",
        "0086 13800138000",
        "  13800138000\n",
        "１３８００１３８０００",  # full-width digits from a Chinese input method
        "＋８６ １３８ ００１３ ８０００",
        "(138) 0013-8000",
        "013800138000",  # the old out-of-town way of dialling a mobile
    ],
)
def test_mobile_numbers_in_any_usual_spelling_become_11_digits(raw):
    assert normalize_number(raw) == "13800138000"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("075580808080", "075580808080"),
        ("0755-80808080", "075580808080"),
        ("+86 755 8080 8080", "075580808080"),
        ("+86 (0)755 8080 8080", "075580808080"),
        ("(0755) 8080-8080", "075580808080"),
        ("0086 755 80808080", "075580808080"),
        ("010-12345678", "01012345678"),
        ("+86 10 1234 5678", "01012345678"),
        ("021 6888 8888", "02168888888"),
    ],
)
def test_landlines_keep_their_area_code_with_a_leading_zero(raw, expected):
    assert normalize_number(raw) == expected


@pytest.mark.parametrize("raw", ["19912345678", "16612345678", "19212345678", "14512345678"])
def test_new_mobile_ranges_are_accepted_by_shape(raw):
    assert normalize_number(raw) == raw


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("13800", "13800 is not a valid number: a mobile number has 11 digits"),
        ("138001380001", "138001380001 is not a valid number: a mobile number has 11 digits"),
        ("12345678901", "12345678901 is not a valid number: a mobile number starts with 13 to 19"),
        ("1380013800a", "1380013800a is not a valid number: "
                        "a number may contain only digits, spaces, dashes and a leading +"),
        ("alice", "alice is not a valid number: "
                  "a number may contain only digits, spaces, dashes and a leading +"),
        ("138+0013", "138+0013 is not a valid number: "
                     "a number may contain only digits, spaces, dashes and a leading +"),
        ("+1 650 253 0000", "+1 650 253 0000 is not a valid number: "
                            "only Chinese numbers (+86) can be texted through this gateway"),
        ("0044 20 7946 0000", "0044 20 7946 0000 is not a valid number: "
                              "only Chinese numbers (+86) can be texted through this gateway"),
        ("80808080", "80808080 is not a valid number: "
                     "a landline number needs its area code, e.g. 0755-80808080"),
        ("0755 8080", "0755 8080 is not a valid number: "
                      "a landline number has 7 or 8 digits after the area code, e.g. 0755-80808080"),
        ("", "the number is empty"),
        ("   ", "the number is empty"),
    ],
)
def test_refusals_say_what_is_wrong(raw, message):
    with pytest.raises(InvalidNumber) as info:
        normalize_number(raw)
    assert str(info.value) == message
    assert info.value.raw == raw
    assert message.endswith(info.value.why.sentence)


@pytest.mark.parametrize(("raw", "why"), [
    ("13800", NumberReason.MOBILE_LENGTH), ("12345678901", NumberReason.MOBILE_PREFIX),
    ("alice", NumberReason.CHARACTERS), ("+1 650 253 0000", NumberReason.FOREIGN),
    ("80808080", NumberReason.AREA_CODE), ("0755 8080", NumberReason.LANDLINE_SHORT),
    ("", NumberReason.EMPTY), ("1" * 40, NumberReason.TOO_LONG),
])
def test_a_refusal_carries_a_stable_code_for_other_languages(raw, why):
    with pytest.raises(InvalidNumber) as info:
        normalize_number(raw)
    assert info.value.why is why and info.value.reason is InputReason.INVALID_NUMBER


@pytest.mark.parametrize("raw", ["23800138000", "4008001234", "95555", "0999 99999999", "+86",
                                 "00", "+", "1" * 40])
def test_other_shapes_are_refused_as_invalid_numbers(raw):
    with pytest.raises(InvalidNumber) as info:
        normalize_number(raw)
    assert isinstance(info.value.why, NumberReason)
    assert isinstance(info.value, InputError)


@given(st.text(max_size=40))
def test_any_text_is_a_normalised_number_or_invalid_number(raw):
    try:
        number = normalize_number(raw)
    except InvalidNumber as exc:
        assert isinstance(exc.why, NumberReason)
    else:
        assert NORMALISED.fullmatch(number)


@given(st.text(st.sampled_from(list("0123456789+-() ８６")), max_size=25))
def test_any_number_like_text_is_a_normalised_number_or_invalid_number(raw):
    try:
        number = normalize_number(raw)
    except InvalidNumber:
        return
    assert NORMALISED.fullmatch(number)
    assert normalize_number(number) == number  # normalising is idempotent


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
       st.sampled_from(["{}", "+86{}", "+86 {}", "0086{}", "86{}", "0{}"]))
def test_every_mobile_in_every_prefix_form_normalises_to_itself(number, form):
    assert normalize_number(form.format(number)) == number
    spaced = f"{number[:3]} {number[3:7]} {number[7:]}"
    assert normalize_number(form.format(spaced)) == number


def test_split_targets_splits_on_every_separator_and_keeps_spaced_numbers_whole():
    text = "+86 138 0013 8000, alice 13900139000；0755 8080 8080、 oncall\n13700137000;13600136000，bob"
    assert split_targets(text) == [
        "+86 138 0013 8000", "alice", "13900139000", "0755 8080 8080", "oncall",
        "13700137000", "13600136000", "bob",
    ]


def test_split_targets_keeps_two_numbers_separated_by_a_space_apart():
    assert split_targets("13800138000 13900139000") == ["13800138000", "13900139000"]


def test_split_targets_keeps_a_bad_number_together_so_the_error_names_it():
    assert split_targets("+86 138 0013 800 13900139000") == ["+86 138 0013 800", "13900139000"]
    assert split_targets("13800 13900139000") == ["13800", "13900139000"]


def test_split_targets_of_nothing_is_empty():
    assert split_targets(" ,，、;\n ") == []


def test_parse_numbers_normalises_and_deduplicates_keeping_first_order():
    text = "13900139000, +86 138 0013 8000、8613800138000；0755-80808080\n13900139000"
    assert parse_numbers(text) == ("13900139000", "13800138000", "075580808080")


def test_parse_numbers_raises_the_first_invalid_number_naming_it():
    with pytest.raises(InvalidNumber) as info:
        parse_numbers("13800138000, 13800, abc")
    assert info.value.raw == "13800"
    assert str(info.value).startswith("13800 is not a valid number")


def test_parse_numbers_of_nothing_is_empty():
    assert parse_numbers("") == ()


@given(st.lists(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), max_size=30),
       st.sampled_from([",", "，", "、", ";", " ", "\n", ", "]))
def test_parse_numbers_round_trips_any_list(numbers, sep):
    assert parse_numbers(sep.join(numbers)) == tuple(dict.fromkeys(numbers))


@given(st.text(max_size=60))
def test_parse_numbers_raises_only_invalid_number(text):
    try:
        numbers = parse_numbers(text)
    except InvalidNumber:
        return
    assert all(NORMALISED.fullmatch(n) for n in numbers)
    assert len(set(numbers)) == len(numbers)


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("13800138000", True),
        ("138-0013-8000", True),
        ("+86 138 0013 8000", True),
        ("(0755) 8080", True),
        ("１３８", True),
        ("123", True),
        ("12", False),
        ("+86", False),
        ("oncall", False),
        ("alice2024", False),
        ("", False),
    ],
)
def test_looks_like_number_tells_numbers_from_contact_names(token, expected):
    assert looks_like_number(token) is expected


def test_chunked_makes_requests_of_at_most_100():
    numbers = [f"138{i:08d}" for i in range(205)]
    chunks = chunked(numbers)
    assert [len(c) for c in chunks] == [100, 100, 5]
    assert [n for c in chunks for n in c] == numbers
    assert all(isinstance(c, tuple) for c in chunks)
    assert chunked([]) == []
    assert chunked(numbers[:3], size=2) == [tuple(numbers[:2]), (numbers[2],)]
    with pytest.raises(ValueError):
        chunked(numbers, size=0)


# --- the fast path for numbers already in the gateway's form --------------------------

CANONICAL_MOBILES = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
FULLWIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


@given(CANONICAL_MOBILES, st.sampled_from([
    "{}", " {}", "{}\n", "+86{}", "+86 {}", "0086{}", "86-{}", "0{}", "({})",
]), st.booleans())
def test_a_canonical_mobile_reads_the_same_as_any_spelling_of_it(number, spelling, fullwidth):
    typed = spelling.format(number)
    if fullwidth:
        typed = typed.translate(FULLWIDTH_DIGITS)
    assert normalize_number(number) == number
    assert normalize_number(typed) == number


@given(st.from_regex(r"1[0-9]{9,11}|1[3-9][0-9]{9}[\n ]?|[0-9]{11}", fullmatch=True))
def test_the_fast_path_takes_only_what_the_full_rules_accept_unchanged(typed):
    # the same answer with a leading space (which always takes the full rules)
    try:
        fast = normalize_number(typed)
    except InvalidNumber as exc:
        fast = ("refused", exc.why)
    try:
        full = normalize_number(" " + typed)
    except InvalidNumber as exc:
        full = ("refused", exc.why)
    assert fast == full


# --- normalize_numbers: the bulk path agrees with one call per number ------------------


def _one_by_one(raws: list[str]) -> tuple[str, ...] | InvalidNumber:
    seen: dict[str, None] = {}
    for raw in raws:
        try:
            seen.setdefault(normalize_number(raw), None)
        except InvalidNumber as err:
            return err
    return tuple(seen)


_TYPED = st.one_of(
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    st.sampled_from(["+86 138 0013 8000", "138-0013-8000", "0755-80808080", "13800",
                     "13800138000\n13900139000", "", "１３８００１３８０００", "abc"]),
    st.text(alphabet="0123456789+- \n", max_size=14),
)


@given(st.lists(_TYPED, max_size=30))
def test_normalize_numbers_agrees_with_normalize_number_one_by_one(raws):
    expected = _one_by_one(raws)
    if isinstance(expected, InvalidNumber):
        with pytest.raises(InvalidNumber) as info:
            normalize_numbers(raws)
        assert str(info.value) == str(expected)
    else:
        assert normalize_numbers(raws) == expected


def test_normalize_numbers_deduplicates_in_the_order_given():
    assert normalize_numbers(["13900139000", "13800138000", "13900139000"]) == (
        "13900139000", "13800138000")
    assert normalize_numbers(iter(["+86 139 0013 9000", "13900139000"])) == ("13900139000",)
    assert normalize_numbers([]) == ()


def test_a_number_holding_a_newline_is_not_taken_for_two_numbers():
    with pytest.raises(InvalidNumber):
        normalize_numbers(["13800138000\n13900139000", "13700137000"])


@pytest.mark.parametrize("space", ["\u00a0", "\u2007", "\u202f", "\u2009"])
def test_spaces_a_copy_from_a_document_brings_are_spaces(space):
    assert normalize_number(f"138{space}0013{space}8000") == "13800138000"


def test_number_run_finds_the_shortest_run_that_is_a_number():
    assert number_run(["+86", "138", "0013", "8000", "hi"]) == 4
    assert number_run(["13800138000", "13900139000"]) == 1
    assert number_run(["502", "errors"]) is None
    assert number_run(["x", "138", "0013", "8000"], 1) == 4
