"""Backoff: the one formula for pauses between tries and runs after failures."""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sms_core import SmsGateway
from sms_core.backoff import Backoff
from sms_core.retry import RetryPolicy


def test_no_wait_before_the_first_failure():
    policy = Backoff(first=2.0, factor=3.0, cap=60.0)
    assert policy.delay(0) == 0.0
    assert policy.delay(-5) == 0.0


def test_waits_double_from_the_first_by_default():
    policy = Backoff(first=0.5)
    assert [policy.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 8.0]


def test_waits_stop_growing_at_the_cap():
    policy = Backoff(first=120.0, factor=2.0, cap=300.0)
    assert [policy.delay(n) for n in range(1, 5)] == [120.0, 240.0, 300.0, 300.0]


def test_a_cap_below_the_first_wait_bounds_every_wait():
    policy = Backoff(first=400.0, cap=300.0)
    assert policy.delay(1) == 300.0


def test_a_long_outage_gives_the_cap_not_an_overflow():
    assert Backoff(first=0.5, factor=2.0, cap=60.0).delay(100_000) == 60.0
    assert Backoff(first=3, factor=10, cap=900).delay(5_000) == 900.0
    assert Backoff(first=1.0).delay(100_000) == math.inf  # no cap: unbounded, still no error


def test_factor_one_waits_the_same_every_time():
    policy = Backoff(first=5.0, factor=1.0, cap=60.0)
    assert {policy.delay(n) for n in range(1, 50)} == {5.0}


def test_first_zero_never_waits():
    assert Backoff(first=0.0).delay(10_000) == 0.0


@pytest.mark.parametrize("kwargs, word", [
    ({"first": -1.0}, "first"),
    ({"first": math.nan}, "first"),
    ({"first": 1.0, "factor": 0.5}, "factor"),
    ({"first": 1.0, "factor": math.nan}, "factor"),
    ({"first": 1.0, "cap": -1.0}, "cap"),
])
def test_nonsense_settings_are_refused_naming_the_field(kwargs, word):
    with pytest.raises(ValueError, match=word):
        Backoff(**kwargs)


def test_total_adds_up_the_pauses_of_a_retry_loop():
    policy = Backoff(first=0.5, cap=1.5)
    assert policy.total(0) == 0.0
    assert policy.total(1) == 0.5
    assert policy.total(3) == 0.5 + 1.0 + 1.5


def test_a_backoff_is_a_frozen_value():
    policy = Backoff(first=1.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.first = 2.0  # type: ignore[misc]
    assert policy == Backoff(1.0, 2.0, math.inf)


@given(first=st.floats(0.001, 1000), factor=st.floats(1, 10), cap=st.floats(0, 10_000),
       failures=st.integers(1, 5_000))
def test_each_wait_is_factor_times_the_last_until_the_cap(first, factor, cap, failures):
    policy = Backoff(first, factor, cap)
    before, now = policy.delay(failures), policy.delay(failures + 1)
    assert 0 < before <= now <= cap or before == now == cap == 0
    if now < cap:
        assert now == pytest.approx(before * factor)


def test_the_gateway_pauses_by_its_backoff_setting():
    gateway = SmsGateway("http://127.0.0.1:9", "user", "pw", max_attempts=4, backoff=0.25)
    assert gateway.retry == RetryPolicy(max_attempts=4, backoff=Backoff(first=0.25, factor=2.0))
    assert (gateway.max_attempts, gateway.backoff) == (4, 0.25)
    assert [gateway.retry.backoff.delay(n) for n in (1, 2, 3)] == [0.25, 0.5, 1.0]


def test_a_gateway_needs_at_least_one_attempt():
    with pytest.raises(ValueError, match="max_attempts"):
        SmsGateway("http://127.0.0.1:9", "user", "pw", max_attempts=0)
