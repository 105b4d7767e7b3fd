import logging

import pytest

from bot.faults import FaultLog


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def lines(caplog: pytest.LogCaptureFixture, level: int = logging.INFO) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= level]


def test_repeated_failures_of_one_kind_are_one_line_until_the_repeat_period(caplog, clock):
    faults = FaultLog(logging.getLogger("t"), "poll inbound", repeat_every=60, clock=clock)
    with caplog.at_level(logging.DEBUG, "t"):
        for _ in range(50):
            clock.now += 1
            faults.failed("timeout", "the gateway did not answer", next_try=2, exc=TimeoutError())
        assert lines(caplog) == ["poll inbound: the gateway did not answer; next try in 2.0 s"]
        clock.now += 11  # 61 s after the first
        faults.failed("timeout", "the gateway did not answer", next_try=4)
    said = lines(caplog)
    assert len(said) == 2
    assert "still failing (51 times in 60 s)" in said[1]
    assert faults.failures == 51


def test_the_traceback_goes_to_debug_only(caplog, clock):
    faults = FaultLog(logging.getLogger("t"), "forward", clock=clock)
    with caplog.at_level(logging.DEBUG, "t"):
        faults.failed("store", "the store cannot write", exc=OSError("disk full"))
    warned = [r for r in caplog.records if r.levelno >= logging.WARNING]
    # (once the bot's logging is set up in this process, its secret filter turns exc_info into exc_text)
    assert warned and all(r.exc_info is None and not r.exc_text for r in warned)
    assert any(r.exc_info or r.exc_text for r in caplog.records if r.levelno == logging.DEBUG)


def test_a_new_kind_of_fault_is_said_at_once_and_recovery_once(caplog, clock):
    faults = FaultLog(logging.getLogger("t"), "poll", clock=clock)
    with caplog.at_level(logging.INFO, "t"):
        faults.failed("timeout", "no answer")
        faults.failed("garbage", "unreadable answer")
        assert faults.failing
        faults.recovered()
        faults.recovered()
    said = lines(caplog)
    assert said[:2] == ["poll: no answer", "poll: unreadable answer"]
    assert len(said) == 3 and "working again after 1 failure(s)" in said[2]
    assert not faults.failing
