"""The alerts job: retries that came due, the hourly cap's summaries, housekeeping
(bot/services/alerts). The dispatcher runs these by itself too; the job is the safety net
when its wake-up was missed. Never raises."""

from __future__ import annotations

import logging

from telegram.ext import ContextTypes

from bot.faults import fault_kind
from bot.runtime import runtime_of

RETRY_INTERVAL = 10.0


async def alerts_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    alerts = runtime_of(context).alerts
    try:
        await alerts.service.run_due()
        await alerts.service.prune()
    except Exception as exc:  # the store failed, or a bug: one line per kind; the next run tries again
        alerts.job_faults.failed(fault_kind(exc), f"failed ({fault_kind(exc)})", exc=exc, level=logging.ERROR,
                                 next_try=RETRY_INTERVAL)
    else:
        alerts.job_faults.recovered()
