"""New inbound SMS handed to the hooks that act on them (the alert acks by SMS), durably.

A mark in the store says how far the hooks got, so SMS stored just before a crash
are handed over after the restart: at least once, and hooks are idempotent. A hook
that fails or hangs is logged and cut; it never keeps the others or the poll waiting
for long.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from bot.store import InboundRecord, Store

log = logging.getLogger("bot.jobs.poll")  # the poll job's lines, under its name

HOOK_TIMEOUT = 30.0
HOOKED_KEY = "inbound_hooked_upto"
BATCH = 500

InboundHook = Callable[[Sequence[InboundRecord]], Awaitable[None]]
"""Called with SMS once they are committed, oldest first."""


class InboundHandoff:
    def __init__(self, store: Store, hooks: Sequence[InboundHook]) -> None:
        self.store = store
        self.hooks = tuple(hooks)

    async def run(self) -> None:
        """Every SMS stored since the mark, to every hook; the mark moved after each batch.
        Raises when the store does (the poll says so and tries again next run)."""
        if not self.hooks:
            return
        mark = int(await self.store.kv.get(HOOKED_KEY) or 0)
        while records := await self.store.inbound.since(mark, BATCH):
            for hook in self.hooks:
                try:
                    await asyncio.wait_for(hook(list(records)), HOOK_TIMEOUT)
                except Exception:
                    log.exception("inbound hook %s failed", getattr(hook, "__qualname__", type(hook).__qualname__))
            mark = records[-1].id
            await self.store.kv.set(HOOKED_KEY, str(mark))
