"""The pages of a send's numbers (bot/services/send_details.py), pure: what each number's state is, the
order, the reason wording, the buttons' data, and that a page always fits in one message."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import Refusal
from bot.i18n import Translator
from bot.services.send_details import (
    MESSAGE_LIMIT,
    PAGE_SIZE,
    Kind,
    details_data,
    kind_of,
    page_count,
    page_data,
    parse_callback,
    plain_length,
    render_detail,
)
from bot.store import NumberOutcome, SendRecord

EN = Translator("en")


def _record(n: int, **fields: object) -> SendRecord:
    values: dict[str, object] = dict(
        id=7, created_at=1_700_000_000.0, origin="command", chat_id=1, user_id=2, user_name="@max", text="hi",
        segments=1, scheduled_at=None, state="accepted", error=None, accepted=n, rejected=0, recipients=n,
        delivered=0, failed=0, unknown=0, status_chat_id=1, status_message_id=3, status_thread_id=None,
        status_version=1, status_shown=1, status_edited_at=None, alert_id=None,
    )
    values.update(fields)
    return SendRecord(**values)  # type: ignore[arg-type]


def _number(i: int, state: str = "accepted", report: int | None = None, reason: str | None = None,
            arg: str | None = None) -> NumberOutcome:
    return NumberOutcome(7, f"139{i:08d}", state, report, 1_700_000_100.0 if report is not None else None,
                         reason, arg)


@pytest.mark.parametrize(("state", "report", "kind"), [
    ("accepted", 20, Kind.FAILED), ("accepted", 10, Kind.DELIVERED), ("accepted", -1, Kind.WAITING),
    ("accepted", None, Kind.WAITING), ("refused", None, Kind.NOT_SENT), ("failed", None, Kind.NOT_SENT),
    ("unknown", None, Kind.UNKNOWN), ("sending", None, Kind.SENDING), ("pending", None, Kind.SENDING),
])
def test_each_number_state_has_its_kind(state: str, report: int | None, kind: Kind) -> None:
    assert kind_of(_number(0, state, report)) is kind


def test_failures_come_first_grouped_by_reason_each_group_in_send_order() -> None:
    numbers = [
        _number(0, report=10), _number(1, "unknown", reason="timeout"), _number(2, report=20),
        _number(3, "refused", reason="forbidden_word", arg="发票"), _number(4),
        _number(5, "unknown", reason="http_status", arg="502"), _number(6, report=20),
    ]
    text = render_detail(_record(7), numbers, {"13900000002": "alice"}, 1, EN).text
    headings = [line for line in text.splitlines() if line and line[0] in "✗⚠⏳✓"]
    assert headings == [
        "✗ <b>Failed</b> (2): the carrier reported it undelivered (report status 20)",
        "✗ <b>Not sent</b> (1): the gateway refused the word 发票: rephrase the text",
        "⚠ <b>Outcome unknown</b> (1): the gateway gave no answer in time",
        "⚠ <b>Outcome unknown</b> (1): the gateway answered HTTP 502",
        "⏳ <b>No report yet</b> (1)",
        "✓ <b>Delivered</b> (1)",
    ]
    assert text.index("<code>13900000002</code> alice") < text.index("<code>13900000006</code>")


def test_a_name_is_escaped_and_a_number_without_a_reason_kept_takes_the_sends_error() -> None:
    record = _record(1, state="refused", accepted=0, error="no credit", error_kind="insufficient_balance")
    text = render_detail(record, [_number(0, "refused")], {"13900000000": "<i>x&y"}, 1, EN).text
    assert "&lt;i&gt;x&amp;y" in text
    assert "✗ <b>Not sent</b> (1): the account's balance is too low: top it up" in text


def test_pages_split_the_numbers_and_a_page_beyond_is_refused() -> None:
    numbers = [_number(i, report=10) for i in range(2 * PAGE_SIZE + 1)]
    assert page_count(len(numbers)) == 3 and page_count(0) == 1
    last = render_detail(_record(len(numbers)), numbers, {}, 3, EN)
    assert (last.page, last.pages) == (3, 3) and last.text.count("<code>139") == 1
    assert [[b.text for b in row] for row in last.markup(EN).inline_keyboard] == [["‹ Prev"]]
    assert render_detail(_record(1), numbers[:1], {}, 1, EN).markup(EN) is None
    with pytest.raises(Refusal) as refused:
        render_detail(_record(len(numbers)), numbers, {}, 4, EN)
    assert refused.value.params == {"id": 7, "page": 4, "pages": 3}


def test_a_full_page_with_the_longest_names_fits_in_one_message_whole() -> None:
    numbers = [_number(i, report=20 if i % 2 else 10) for i in range(PAGE_SIZE)]
    names = {n.phone: "名" * 32 for n in numbers}
    page = render_detail(_record(PAGE_SIZE, text="x" * 335), numbers, names, 1, Translator("zh"))
    assert plain_length(page.text) <= MESSAGE_LIMIT and not page.text.endswith("…")
    assert page.text.count("<code>139") == PAGE_SIZE


@given(st.lists(st.text(min_size=1, max_size=300), min_size=PAGE_SIZE, max_size=PAGE_SIZE))
def test_a_page_never_exceeds_telegrams_limit_whatever_the_reasons(words: list[str]) -> None:
    # every number its own group, under a long reason of its own (a forbidden word the gateway named)
    numbers = [_number(i, "refused", reason="forbidden_word", arg=f"{i}{word}") for i, word in enumerate(words)]
    record = _record(PAGE_SIZE, state="refused", accepted=0, text="<&>" * 100)
    page = render_detail(record, numbers, {n.phone: "&" * 32 for n in numbers}, 1, EN)
    assert plain_length(page.text) <= MESSAGE_LIMIT
    assert page.text.startswith("<b>Send #7</b>")


def test_button_data_round_trips_and_anything_else_is_not_ours() -> None:
    assert parse_callback(details_data(12)) == (12, None)
    assert parse_callback(page_data(12, 3)) == (12, 3)
    assert all(len(d.encode()) <= 64 for d in (details_data(10**17), page_data(10**17, 99999)))
    for junk in ("sd:", "sd:0", "sd:1:0", "sd:x", "sd:1:2:3", "sms:ok:abc", "sd:-1", "sd:1 ", "sd:" + "9" * 40):
        assert parse_callback(junk) is None
