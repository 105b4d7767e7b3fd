"""The release job: every second, held sends whose time has come go to the gateway, their
status messages are updated, and askers of missed ones are told (bot/services/scheduled.py).
Cheap when nothing is due: one indexed query. Never raises into the JobQueue."""

from __future__ import annotations

import logging

from telegram.ext import ContextTypes

from bot.faults import fault_kind
from bot.runtime import runtime_of

RELEASE_INTERVAL = 1.0
"""Seconds between two runs of the release job: how late after its time an SMS leaves at most."""


async def release_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    scheduled = runtime_of(context).scheduled
    try:
        await scheduled.run(context.bot)
    except Exception as exc:  # the store failed, or a bug: one line per kind; the next run tries again
        scheduled.run_faults.failed(fault_kind(exc), f"failed ({fault_kind(exc)})", exc=exc, level=logging.ERROR,
                                    next_try=RELEASE_INTERVAL)
    else:
        scheduled.run_faults.recovered()
