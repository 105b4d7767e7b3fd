"""The poll job's last line of defence: an answer read and then refused by the store.

It goes to the spool beside the store (bot/store/spool.py), which is replayed
into raw_answers before the next read. When the spool refuses it too, the answer
is logged whole at ERROR, with how many SMS or reports it holds and the JSON a
person saves into the spool folder to bring it back (README, "Recovering a spool
by hand").
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.faults import FaultLog
from bot.store import Store
from bot.store.spool import Spool, as_json, spool_folder
from sms_core import parse_inbound, parse_reports
from sms_core.errors import GatewayError, GatewayProtocolError
from sms_core.models import InboundPage, ReportPage

log = logging.getLogger("bot.jobs.poll")  # the poll job's own lines, under its name


@dataclass
class Answer:
    """What became of one read's answer before it was parsed."""

    kind: str
    raw_id: int | None = None
    refused: bool = False  # the store would not commit it
    spooled: Path | None = None
    endpoint: str = ""
    body: str | None = None  # held while neither the store nor the spool has it
    store_problem: str = ""


class SpoolKeeper:
    """The spool of one poller (None: a store in memory, nowhere to spool)."""

    def __init__(self, spool: Spool | None, *, clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time) -> None:
        self.spool = spool
        self.wall = wall
        self.faults = FaultLog(log, "poll spool", clock=clock)
        self._said_unreadable: set[Path] = set()

    @classmethod
    def beside(cls, database_path: str | Path) -> SpoolKeeper:
        """The spool next to the store file, checked writable now: an ERROR line when it is not."""
        folder = spool_folder(database_path)
        spool = Spool(folder) if folder is not None else None
        if spool is not None:
            try:
                spool.check()
            except OSError as exc:
                log.error("the spool folder %s cannot be written (%s): an answer the store cannot "
                          "commit would be kept only in the log; make the folder writable", folder, exc)
        return cls(spool)

    async def keep(self, answer: Answer, endpoint: str, body: str) -> None:
        """The answer into a spool file, else held in `answer` for give_up()."""
        if self.spool is not None:
            try:
                answer.spooled = await asyncio.to_thread(self.spool.write, endpoint, body)
            except OSError as exc:
                self.faults.failed("write", f"the spool {self.spool.folder} cannot be written: {exc}",
                                   exc=exc, level=logging.ERROR)
            else:
                self.faults.recovered()
                log.warning("poll %s: the answer the store could not commit is kept in %s; it goes "
                            "into the store before the next read", answer.kind, answer.spooled)
                return
        answer.endpoint, answer.body = endpoint, body

    def give_up(self, answer: Answer) -> None:
        """Neither the store nor the spool took an answer: the log is the last place it exists."""
        if answer.body is None:
            return
        folder = self.spool.folder if self.spool is not None else "the spool folder beside the store"
        log.error("poll %s: an answer read from the gateway holds %s and could be kept neither in the "
                  "store (%s) nor in the spool; it exists only in this line. To recover it, save the "
                  "JSON after the colon as a file ending in .json in %s and restart smsbot once the "
                  "store can write: %s", answer.kind, holds(answer.kind, answer.body),
                  answer.store_problem, folder, as_json(answer.endpoint, answer.body, self.wall()))

    async def replay(self, store: Store) -> None:
        """Spooled answers back into raw_answers (parsed next, as any raw answer); raises when
        the store refuses them."""
        if self.spool is None:
            return
        try:
            answers, unreadable = await asyncio.to_thread(self.spool.pending)
        except OSError as exc:
            self.faults.failed("list", f"the spool {self.spool.folder} cannot be read: {exc}",
                               exc=exc, level=logging.ERROR)
            return
        for bad in unreadable:
            if bad.path not in self._said_unreadable:
                self._said_unreadable.add(bad.path)
                log.error("spool: %s is not a whole answer (%s); left there for a person (README, "
                          "\"Recovering a spool by hand\")", bad.path, bad.problem)
        for spooled in answers:
            raw_id = await store.inbound.store_raw(spooled.endpoint, spooled.body)
            await asyncio.to_thread(self.spool.remove, spooled)
            log.warning("spool: %s is back in the store (raw answer %d)", spooled.path.name, raw_id)


def holds(kind: str, body: str) -> str:
    """How many records an answer holds, for a person: "50 SMS", "100 delivery reports"."""
    noun = "SMS" if kind == "inbound" else "delivery reports"
    try:
        page = parse_inbound(body) if kind == "inbound" else parse_reports(body)
    except GatewayProtocolError as exc:
        partial = exc.partial
        count = len(partial.messages) if isinstance(partial, InboundPage) else (
            len(partial.reports) if isinstance(partial, ReportPage) else 0)
        return f"{count} readable {noun} and a damaged part"
    except GatewayError:
        return f"no readable {noun}"
    count = len(page.messages) if isinstance(page, InboundPage) else len(page.reports)
    return f"{count} {noun}"
