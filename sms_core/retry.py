"""The retry policy: which failed request is tried again, and after what pause.

It follows the spec's decisions 7 and 8:

- a send is retried only when it certainly did not arrive (connection refused,
  DNS failure, connect or pool timeout) or when the gateway answered -99
  (busy, not accepted); a send that may have arrived (read timeout, connection
  lost after the request was written, HTTP 5xx, an answer that cannot be read)
  has an UNKNOWN outcome and is never sent again by this module;
- a read is retried when busy or unreachable; the balance also after a timeout.
  The polls (reports, inbound) are destructive: once the request was sent, a
  timeout, a dropped connection or HTTP 5xx may have cost a page that a repeat
  cannot bring back, so they raise PageMaybeLost at once (the caller reads on at
  its next poll).

Every error is raised or returned outside the `except` block that caught it, so it
carries no `__context__` that could hold the URL (and in it the password).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from sms_core.backoff import Backoff
from sms_core.errors import (
    GatewayBusy,
    GatewayError,
    GatewayProtocolError,
    GatewayRefused,
    GatewayUnavailable,
    PageMaybeLost,
    SendOutcomeUnknown,
    UnknownReason,
)
from sms_core.models import ChunkOutcome, ChunkResult, SendAnswer
from sms_core.protocol.query import Endpoint
from sms_core.request import NoAnswer, TurnedAway

log = logging.getLogger("sms_core.client")
"""The client's log: every line about a gateway call carries this one name."""

T = TypeVar("T")

DESTRUCTIVE = frozenset({Endpoint.REPORTS, Endpoint.INBOUND})
"""Reads that hand a page out once: never repeated after the request was sent."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Up to `max_attempts` tries of a request that may be repeated, `backoff` apart."""

    max_attempts: int = 3
    backoff: Backoff = field(default_factory=lambda: Backoff(0.5))

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    async def send_chunk(self, numbers: tuple[str, ...], index: int, total: int,
                         attempt: Callable[[], Awaitable[SendAnswer]]) -> ChunkResult:
        """Send chunk `index` of `total` with `attempt` (one request, its answer parsed);
        every failure ends in the ChunkResult, logged once, never raised."""
        where = f"send chunk {index}/{total} ({len(numbers)} number{'' if len(numbers) == 1 else 's'})"
        tries = 0
        while True:
            tries += 1
            try:
                answer = await attempt()
            except (GatewayBusy, GatewayUnavailable) as err:
                if tries < self.max_attempts:
                    log.info("%s: %s (code %s); attempt %d of %d, retrying",
                             where, err, err.code, tries, self.max_attempts)
                    await asyncio.sleep(self.backoff.delay(tries))
                    continue
                log.warning("%s failed after %d attempts: %s (code %s)",
                            where, tries, err, err.code)
                return ChunkResult(numbers, ChunkOutcome.FAILED, error=err, attempts=tries)
            except GatewayRefused as err:
                log.warning("%s refused by the gateway: %s (code %s)", where, err, err.code)
                return ChunkResult(numbers, ChunkOutcome.REFUSED, error=err, attempts=tries)
            except NoAnswer as err:
                unknown = SendOutcomeUnknown(
                    f"{err}; the SMS may have been sent: check before sending again",
                    err.reason, http_status=err.http_status)
                log.warning("%s: outcome unknown (%s): %s", where, err.reason, err)
                return ChunkResult(numbers, ChunkOutcome.UNKNOWN, error=unknown, attempts=tries)
            except TurnedAway as err:
                # turned away before the send script ran: not sent, and not worth repeating
                failed = GatewayProtocolError(str(err))
                log.warning("%s failed: %s", where, failed)
                return ChunkResult(numbers, ChunkOutcome.FAILED, error=failed, attempts=tries)
            except GatewayProtocolError as err:
                unknown = SendOutcomeUnknown(
                    f"the gateway's answer could not be read ({err}); "
                    "the SMS may have been sent: check before sending again",
                    UnknownReason.UNREADABLE)
                log.warning("%s: outcome unknown (%s): unreadable answer", where,
                            UnknownReason.UNREADABLE)
                return ChunkResult(numbers, ChunkOutcome.UNKNOWN, error=unknown, attempts=tries)
            if answer.accepted + answer.rejected != len(numbers):
                log.warning("%s: the gateway counted %d accepted + %d rejected numbers",
                            where, answer.accepted, answer.rejected)
            return ChunkResult(numbers, ChunkOutcome.ACCEPTED, accepted=answer.accepted,
                               rejected=answer.rejected, ids=answer.ids, attempts=tries)

    async def read(self, endpoint: Endpoint, attempt: Callable[[], Awaitable[T]]) -> T:
        """Read `endpoint` with `attempt` (one request, its answer parsed), retried when busy
        or unreachable. Logged at DEBUG only: the caller says what failed (the poll job
        once per fault, not once per attempt)."""
        tries = 0
        while True:
            tries += 1
            retry: GatewayError | None = None
            final: GatewayError | None = None
            try:
                return await attempt()
            except NoAnswer as err:
                if endpoint in DESTRUCTIVE:
                    final = PageMaybeLost(f"{err} after the request was sent: a page may have been lost")
                else:
                    retry = GatewayUnavailable(str(err))
            except (GatewayBusy, GatewayUnavailable) as err:
                retry = err
            except TurnedAway as err:
                final = GatewayProtocolError(str(err))
            except (GatewayProtocolError, GatewayRefused) as err:
                final = err
            # raised outside the except blocks: no __context__ to carry anything along
            if final is not None:
                log.debug("%s: %s (code %s)", endpoint.value, final, final.code)
                raise final
            assert retry is not None
            if tries >= self.max_attempts:
                log.debug("%s failed after %d attempts: %s (code %s)",
                          endpoint.value, tries, retry, retry.code)
                raise retry
            log.debug("%s: %s (code %s); attempt %d of %d, retrying",
                      endpoint.value, retry, retry.code, tries, self.max_attempts)
            await asyncio.sleep(self.backoff.delay(tries))
