"""The poll job (flow 2): one run of the poller (bot/services/polling), then the forward job at
once if anything new was stored. Nothing here raises into the JobQueue."""

from __future__ import annotations

import logging

from telegram.ext import ContextTypes

from bot.jobs.forward import request_forward
from bot.runtime import runtime_of

log = logging.getLogger(__name__)


async def poll_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    app = context.application
    runtime = runtime_of(context)
    poller = runtime.poller
    try:
        outcome = await poller.run(lambda: app.running)
    except Exception as exc:  # a bug: said once per kind, the traceback at DEBUG; the next run tries again
        poller.run_faults.failed(type(exc).__name__, f"the poll run failed: {exc}", exc=exc,
                                 level=logging.ERROR)
        runtime.health.last_poll_error = f"the poll run failed: {exc}"
        return
    poller.run_faults.recovered()
    if outcome.stored_anything:
        request_forward(app)
