"""The rolling-window budget of each group: answers (the rate limiter) and backlog (the forward
job) spend one window, and no window of Telegram's ever holds more than the limit."""

from __future__ import annotations

import heapq

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.telegram.budget import BudgetBook, GroupBudget, Rate, RollingBudget, pace


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


# --- one group, answers and backlog ------------------------------------------------------------


def test_backlog_is_paced_a_quarter_of_the_limit_back_to_back_then_one_per_pace() -> None:
    clock = Clock()
    budget = GroupBudget(Rate(20, 60.0), pace=pace(Rate(20, 60.0)), clock=clock)
    assert budget.available() == 5
    assert budget.try_spend(5)
    assert budget.available() == 0 and budget.wait_time() == pytest.approx(3.05)
    clock.now += 3.05
    assert budget.try_spend() and not budget.try_spend()
    assert budget.wait_time(2) == pytest.approx(6.1)
    clock.now += 60
    assert budget.available() == 5  # no more back to back, however long the pause
    assert GroupBudget(Rate(3, 60.0), pace=20.3, clock=clock).available() == 2  # a topic and its message


def test_answers_go_at_once_while_the_window_has_room_whatever_the_pace() -> None:
    clock = Clock()
    budget = GroupBudget(Rate(20, 60.0), pace=pace(Rate(20, 60.0)), clock=clock)
    for _ in range(20):
        assert budget.answer_wait() == 0
        budget.take()
    assert budget.answer_wait() == pytest.approx(61.0)
    assert budget.available() == 0


def test_backlog_gives_way_to_an_answer_waiting_for_a_slot() -> None:
    clock = Clock()
    budget = GroupBudget(Rate(3, 60.0), clock=clock)
    assert budget.try_spend(3)
    clock.now += 61
    with budget.answer_waiting():
        assert budget.available() == 2  # three slots free, one is the answer's
        assert budget.wait_time(3) == pytest.approx(61.0)  # ...and the answer goes first
        budget.take()
    assert budget.available() == 2


def test_a_slot_frees_a_window_after_telegrams_answer_not_after_the_request() -> None:
    """Telegram stamps a message somewhere between our request and its answer: counting from
    the request alone would free the slot early by the request's latency."""
    clock = Clock()
    budget = GroupBudget(Rate(2, 10.0), clock=clock)
    stamp = budget.take()
    assert budget.try_spend()
    clock.now += 4  # a slow request: Telegram's answer comes 4 s later
    budget.answered(stamp)
    budget.backlog_answered()
    clock.now += 7  # 11 s after the requests, 7 s after the answers
    assert budget.answer_wait() == pytest.approx(3 + 10 / 60)
    budget.backlog_answered()  # nothing in flight: nothing moves
    clock.now += 3.2
    assert budget.available() == 2


def test_a_429_holds_answers_and_backlog() -> None:
    clock = Clock()
    budget = GroupBudget(Rate(20, 60.0), clock=clock)
    budget.hold(5.0)
    assert budget.available() == 0
    assert budget.answer_wait() == pytest.approx(5.0) and budget.wait_time() == pytest.approx(5.0)
    clock.now += 5
    assert budget.available() == 20 and budget.answer_wait() == 0


def test_a_paced_book_paces_every_group_and_no_private_chat() -> None:
    book = BudgetBook(Rate(20, 60.0), paced=True, clock=Clock())
    assert book.try_spend(-100, 5) and not book.try_spend(-100)
    assert book.try_spend(-200, 5)
    assert book.try_spend("@channel", 5) and not book.try_spend("@channel")
    assert all(book.try_spend(42) for _ in range(100))


_LATENCY = st.sampled_from([0.0, 0.01, 0.5, 3.0])
_OP = st.one_of(
    st.tuples(st.just("tick"), st.sampled_from([0.1, 1.0, 3.0, 10.0, 10.2])),
    st.tuples(st.just("answer"), _LATENCY, _LATENCY),
    st.tuples(st.just("backlog"), st.integers(1, 2), _LATENCY, _LATENCY),
)


@settings(max_examples=300)
@given(st.lists(_OP, max_size=200), st.booleans())
def test_no_window_of_telegrams_holds_more_than_the_limit(ops: list[tuple], paced: bool) -> None:
    """Answers and backlog, each request reaching Telegram after its own delay and answered after
    another: Telegram's stamps (between request and answer) never hold more than the limit in
    any window, margin or not."""
    rate = Rate(4, 10.0)
    clock = Clock()
    budget = GroupBudget(rate, pace=pace(rate) if paced else None, clock=clock)
    telegram: list[float] = []
    answers: list[tuple[float, int, float | None]] = []  # (when, order, stamp; None: backlog)
    backlog_in_flight = 0

    def until(when: float) -> None:
        nonlocal backlog_in_flight
        while answers and answers[0][0] <= when:
            clock.now, _, stamp = heapq.heappop(answers)
            if stamp is None:
                budget.backlog_answered()
                backlog_in_flight -= 1
            else:
                budget.answered(stamp)
        clock.now = max(clock.now, when)

    for i, op in enumerate(ops):
        if op[0] == "tick":
            until(clock.now + op[1])
        elif op[0] == "answer" and budget.answer_wait() == 0:
            stamp = budget.take()
            telegram.append(clock.now + op[1])
            heapq.heappush(answers, (clock.now + op[1] + op[2], i, stamp))
        elif op[0] == "backlog" and backlog_in_flight == 0 and budget.try_spend(op[1]):
            for _ in range(op[1]):  # the forward job's calls go one after the other
                telegram.append(clock.now + op[2])
                heapq.heappush(answers, (clock.now + op[2] + op[3], i, None))
            backlog_in_flight += op[1]
    telegram.sort()
    for first, later in zip(telegram, telegram[rate.limit:], strict=False):
        assert later - first >= rate.window
