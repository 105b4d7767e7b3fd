"""Scheduled work on python-telegram-bot's JobQueue (APScheduler 3 underneath).

APScheduler's defaults drop a run that starts more than 1 s late and skip one
that would overlap: every job here sets `job_kwargs` on purpose.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import Application

from bot.handlers.balance import check_balance
from bot.handlers.sms import expire_confirmations

# never two at once; a late run still runs (once), it is not dropped as missed
JOB_KWARGS: dict[str, Any] = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}


def schedule_jobs(app: Application) -> None:  # type: ignore[type-arg]
    jq = app.job_queue
    assert jq is not None, "python-telegram-bot[job-queue] is required"
    jq.run_repeating(check_balance, interval=3600, first=5, name="balance", job_kwargs=JOB_KWARGS)
    jq.run_repeating(expire_confirmations, interval=30, first=30, name="confirmations", job_kwargs=JOB_KWARGS)
