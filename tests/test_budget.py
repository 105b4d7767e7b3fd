"""The rolling-window budget the forward job spends Telegram's per-group limit with."""

from __future__ import annotations

import pytest

from bot.jobs.budget import BudgetBook, Rate, RollingBudget


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_twenty_then_none_until_the_window_has_passed() -> None:
    clock = Clock()
    budget = RollingBudget(Rate(20, 60.0), margin=1.0, clock=clock)
    assert budget.available() == 20
    for _ in range(20):
        assert budget.try_spend()
    assert not budget.try_spend()
    assert budget.available() == 0
    assert budget.wait_time() == pytest.approx(61.0)
    clock.now += 60.5
    assert not budget.try_spend()  # the margin: Telegram stamped its count a little later
    clock.now += 0.6
    assert budget.available() == 20


def test_rolling_not_fixed_windows() -> None:
    clock = Clock()
    budget = RollingBudget(Rate(3, 10.0), margin=0.0, clock=clock)
    assert budget.try_spend()
    clock.now += 4
    assert budget.try_spend(2)
    assert not budget.try_spend()
    clock.now += 6  # the first spend has left the window, the other two have not
    assert budget.available() == 1
    assert budget.wait_time(2) == pytest.approx(4.0)
    assert not budget.try_spend(2)  # all or nothing
    assert budget.try_spend(1)


def test_note_counts_others_and_may_overdraw() -> None:
    clock = Clock()
    budget = RollingBudget(Rate(2, 10.0), margin=0.0, clock=clock)
    budget.note(3)
    assert budget.available() == 0
    assert not budget.try_spend()
    assert budget.wait_time() == pytest.approx(10.0)
    clock.now += 10
    assert budget.available() == 2


def test_the_default_margin_is_a_sixtieth_of_the_window() -> None:
    clock = Clock()
    budget = RollingBudget(Rate(1, 6.0), clock=clock)
    assert budget.try_spend()
    assert budget.wait_time() == pytest.approx(6.1)


def test_more_than_the_limit_never_fits() -> None:
    budget = RollingBudget(Rate(2, 10.0), clock=Clock())
    assert not budget.try_spend(3)
    assert budget.wait_time(3) == float("inf")
    assert budget.available() == 2


def test_book_keeps_one_budget_per_group_and_none_for_private_chats() -> None:
    clock = Clock()
    book = BudgetBook(Rate(1, 60.0), clock=clock)
    assert book.try_spend(-100)
    assert not book.try_spend(-100)
    assert book.try_spend(-200)
    assert book.for_chat(42) is None
    assert all(book.try_spend(42) for _ in range(100))
    book.note(-200)
    assert book.for_chat(-200).available() == 0  # type: ignore[union-attr]


@pytest.mark.parametrize(("text", "rate"), [("20/60", Rate(20, 60.0)), ("5/0.5", Rate(5, 0.5)),
                                            ("20", Rate(20, 60.0))])
def test_rate_parse(text: str, rate: Rate) -> None:
    assert Rate.parse(text) == rate


@pytest.mark.parametrize("text", ["", "x/60", "20/y", "0/60", "20/0", "-1/5"])
def test_rate_parse_refuses_nonsense(text: str) -> None:
    with pytest.raises(ValueError, match="MESSAGES/SECONDS"):
        Rate.parse(text)
