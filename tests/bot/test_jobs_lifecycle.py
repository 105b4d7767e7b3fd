"""The JobQueue through the real bot: a slow gateway and a stop leave the log clean.

APScheduler warns "skipped: maximum number of running instances" for every tick that
finds a job still running, and, at shutdown, cancels a job that started while the
running ones were waited for (a CancelledError traceback logged as ERROR).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.jobs.balance import check_balance


def _next_poll_tick(harness) -> datetime:
    [job] = harness.app.job_queue.get_jobs_by_name("poll")
    return job.next_t


async def test_a_slow_gateway_and_a_stop_with_a_job_due_leave_no_warning_or_error(harness, caplog):
    await harness.poll_runs(1)
    polls = harness.gateway.request_count("inbound")
    harness.gateway.add_fault("slow", endpoint="inbound", delay=1.5)  # one poll takes 1.5 s (ticks: 0.2 s)

    async def poll_in_flight() -> bool:
        return harness.gateway.request_count("inbound") > polls

    await harness.eventually(poll_in_flight)
    tick = _next_poll_tick(harness)
    interval = timedelta(seconds=harness.settings.poll_interval)
    await harness.until(lambda: _next_poll_tick(harness) >= tick + 4 * interval)  # 4 ticks come while it runs
    harness.app.job_queue.run_once(check_balance, 0.3, name="balance-due")  # due while the stop waits
    await harness.stop()
    harness.app = None
    noisy = [r for r in caplog.records if r.levelno >= logging.ERROR
             or (r.name.startswith("apscheduler") and r.levelno >= logging.WARNING)]
    assert noisy == [], [r.getMessage() for r in noisy]
    assert harness.gateway.request_count("balance") == 0  # not started after stopping began
