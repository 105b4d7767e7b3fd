"""sms_core.schedule: scheduled sends in China Standard Time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sms_core.errors import InvalidSchedule
from sms_core.protocol.query import format_send_time
from sms_core.schedule import CST, check_schedule, parse_schedule

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=CST)


def test_cst_is_utc_plus_8():
    assert CST.utcoffset(None) == timedelta(hours=8)
    assert CST.tzname(None) == "CST"


@pytest.mark.parametrize(
    "text",
    ["2026-03-02 09:30", "2026-03-02 09:30:00", "2026-03-02T09:30", " 2026-3-2  9:30 ",
     "２０２６-０３-０２ ０９：３０"],
)
def test_parse_schedule_reads_china_standard_time(text):
    at = parse_schedule(text)
    assert at == datetime(2026, 3, 2, 9, 30, tzinfo=CST)
    assert at.utcoffset() == timedelta(hours=8)
    assert format_send_time(at) == "20260302093000"


def test_parse_schedule_keeps_seconds():
    assert parse_schedule("2026-03-02 09:30:45").second == 45


@pytest.mark.parametrize(
    "text",
    ["2026-13-01 10:00", "2026-02-30 10:00", "2026-03-02 24:00", "2026-03-02", "10:00",
     "tomorrow 10:00", "02/03/2026 10:00", "2026-03-02 10:00+08:00", "", "2026-03-02 10:60"],
)
def test_parse_schedule_refuses_anything_else_saying_the_format(text):
    with pytest.raises(InvalidSchedule) as info:
        parse_schedule(text)
    assert "write it as YYYY-MM-DD HH:MM (China Standard Time)" in str(info.value)


def test_parse_schedule_message_quotes_what_was_typed():
    with pytest.raises(InvalidSchedule) as info:
        parse_schedule("2026-13-01 10:00")
    assert str(info.value) == (
        "'2026-13-01 10:00' is not a date and time; "
        "write it as YYYY-MM-DD HH:MM (China Standard Time)"
    )


@given(st.text(max_size=40))
def test_parse_schedule_raises_only_invalid_schedule(text):
    try:
        at = parse_schedule(text)
    except InvalidSchedule:
        return
    assert at.tzinfo is CST


def test_check_schedule_accepts_a_future_time_and_returns_it_in_cst():
    at = check_schedule(datetime(2026, 3, 1, 4, 30, tzinfo=UTC), now=NOW)
    assert at == datetime(2026, 3, 1, 12, 30, tzinfo=CST)
    assert at.utcoffset() == timedelta(hours=8)
    assert (at.hour, at.minute) == (12, 30)


def test_check_schedule_takes_a_naive_time_as_cst():
    assert check_schedule(datetime(2026, 3, 1, 12, 1), now=NOW) == datetime(2026, 3, 1, 12, 1,
                                                                             tzinfo=CST)


def test_check_schedule_refuses_the_past_saying_now():
    with pytest.raises(InvalidSchedule) as info:
        check_schedule(datetime(2026, 3, 1, 11, 59, tzinfo=CST), now=NOW)
    assert str(info.value) == (
        "2026-03-01 11:59 is in the past; give a later time "
        "(China Standard Time, now 2026-03-01 12:00)"
    )


def test_check_schedule_compares_instants_not_wall_clocks():
    # 05:00 UTC is 13:00 in Shenzhen: in the future although 05 < 12
    check_schedule(datetime(2026, 3, 1, 5, 0, tzinfo=UTC), now=NOW)
    # 11:00 in Berlin (UTC+1) is 18:00 in Shenzhen
    check_schedule(datetime(2026, 3, 1, 11, 0, tzinfo=timezone(timedelta(hours=1))), now=NOW)
    with pytest.raises(InvalidSchedule):
        check_schedule(datetime(2026, 3, 1, 3, 59, tzinfo=UTC), now=NOW)


def test_check_schedule_refuses_now_itself():
    with pytest.raises(InvalidSchedule):
        check_schedule(NOW, now=NOW)


def test_check_schedule_refuses_more_than_a_year_ahead():
    check_schedule(NOW + timedelta(days=366), now=NOW)
    with pytest.raises(InvalidSchedule) as info:
        check_schedule(NOW + timedelta(days=366, minutes=1), now=NOW)
    assert str(info.value).startswith("2027-03-02 12:01 is more than a year ahead")


def test_check_schedule_defaults_to_the_clock():
    future = datetime.now(UTC) + timedelta(hours=1)
    assert check_schedule(future) == future.replace(microsecond=0)  # the gateway's whole seconds
    with pytest.raises(InvalidSchedule):
        check_schedule(datetime.now(UTC) - timedelta(minutes=1))


def test_a_time_within_the_current_second_is_not_in_the_future():
    # send_time has whole seconds: 0.5 s ahead would reach the gateway as "now"
    with pytest.raises(InvalidSchedule, match="in the past"):
        check_schedule(NOW + timedelta(seconds=0.5), now=NOW)


def test_times_seconds_apart_are_shown_with_their_seconds():
    now = NOW.replace(second=30)
    with pytest.raises(InvalidSchedule) as info:
        check_schedule(now + timedelta(days=366, seconds=15), now=now)
    assert info.value.params["at"].endswith(":45") and info.value.params["limit"].endswith(":30")


@pytest.mark.parametrize(("at", "kind"), [
    (datetime.max.replace(tzinfo=UTC), "ahead"),
    (datetime.min.replace(tzinfo=timezone(timedelta(hours=9))), "past"),
])
def test_times_beyond_the_calendar_are_refused_not_crashed_on(at, kind):
    with pytest.raises(InvalidSchedule) as info:
        check_schedule(at, now=NOW)
    assert info.value.kind == kind
