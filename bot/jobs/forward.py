"""The forward job (flow 3): runs the forwarder (bot/services/forwarding.py) every tick, at once
after a poll that stored something, and the moment the inbox's budget frees when a run
stopped short of it. Cheap when idle: two indexed queries. Never raises into the JobQueue."""

from __future__ import annotations

import logging
from typing import Any

from telegram.ext import Application, ContextTypes

from bot.faults import fault_kind
from bot.runtime import runtime_of

log = logging.getLogger(__name__)

FORWARD_INTERVAL = 1.0
"""Seconds between forward runs when nothing asks sooner: retries after an outage, status edits."""


async def forward_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    app = context.application
    runtime = runtime_of(context)
    forwarder = runtime.forwarder
    try:
        outcome = await forwarder.run(app.bot, lambda: app.running)
    except Exception as exc:  # the store failed, or a bug: one line per kind; the next run tries again
        forwarder.run_faults.failed(fault_kind(exc), f"failed ({fault_kind(exc)})", exc=exc, level=logging.ERROR,
                                    next_try=min(FORWARD_INTERVAL, runtime.settings.poll_interval))
        return
    forwarder.run_faults.recovered()
    if outcome.short_of is not None and app.job_queue is not None and app.running:
        wait = forwarder.wake_after(outcome.short_of)
        if wait is not None:  # the moment the next slot of the budget frees, not at the next tick
            app.job_queue.run_once(forward_job, wait + 0.001, name="forward-budget")


def request_forward(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Run the forward job now (after a poll stored something), not at its next tick."""
    if app.job_queue is not None and app.running:
        app.job_queue.run_once(forward_job, 0, name="forward-now")
