"""Scheduled work on python-telegram-bot's JobQueue (APScheduler 3 underneath), all of it
scheduled here. Each job reads the runtime, calls its service, and says its faults once.

APScheduler's defaults drop a run that starts more than 1 s late and skip one
that would overlap: every job here sets `job_kwargs` on purpose.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import Application

from bot.jobs.alerts import RETRY_INTERVAL, alerts_job
from bot.jobs.balance import check_balance
from bot.jobs.confirmations import expire_confirmations
from bot.jobs.forward import FORWARD_INTERVAL, forward_job
from bot.jobs.poll import poll_job
from bot.jobs.scheduled import RELEASE_INTERVAL, release_job
from bot.runtime import Runtime

# never two at once; a late run still runs (once), it is not dropped as missed
JOB_KWARGS: dict[str, Any] = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}


def schedule_jobs(app: Application[Any, Any, Any, Any, Any, Any], runtime: Runtime) -> None:
    jq = app.job_queue
    assert jq is not None, "python-telegram-bot[job-queue] is required"
    jq.run_repeating(check_balance, interval=3600, first=5, name="balance", job_kwargs=JOB_KWARGS)
    jq.run_repeating(expire_confirmations, interval=30, first=30, name="confirmations", job_kwargs=JOB_KWARGS)
    interval = runtime.settings.poll_interval
    # The poller keeps its own lock too: while a slow gateway holds one run, a tick returns at once,
    # instead of APScheduler's "skipped: maximum number of running instances" WARNING every interval.
    jq.run_repeating(poll_job, interval=interval, first=0.1, name="poll",
                     job_kwargs={**JOB_KWARGS, "max_instances": 2})
    jq.run_repeating(release_job, interval=min(RELEASE_INTERVAL, interval), first=0.3, name="scheduled",
                     job_kwargs=JOB_KWARGS)
    # The forward job keeps its own lock (it is also started at once after a poll); a tick that
    # finds it running only asks for one more pass, instead of a "skipped" warning every second.
    jq.run_repeating(forward_job, interval=min(FORWARD_INTERVAL, interval), first=0.2, name="forward",
                     job_kwargs={**JOB_KWARGS, "max_instances": 2})
    jq.run_repeating(alerts_job, interval=RETRY_INTERVAL, first=RETRY_INTERVAL, name="alerts",
                     job_kwargs=JOB_KWARGS)


def hold_jobs(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """No job starts any more: called when the application begins to stop.

    python-telegram-bot waits for the jobs that are running, then shuts APScheduler down, which
    cancels a job started in the meantime (the balance job, say, due while a slow poll was waited
    for): a CancelledError traceback logged as ERROR, and its gateway call going on after the
    gateway client was closed. Paused first, the scheduler starts nothing new.
    """
    jq = app.job_queue
    if jq is not None and jq.scheduler.running:
        jq.scheduler.pause()
