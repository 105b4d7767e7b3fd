"""SmsGateway: the gateway account over HTTP -- sends split into chunks, polls, the balance.

The parts it is made of: sms_core.request (one HTTP request: its URL, timeouts and what a
failure means), sms_core.retry (which failure is tried again: a send with an unknown
outcome never is, a destructive poll raises PageMaybeLost at once), sms_core.backoff
(the pauses between tries) and sms_core.redaction (the password kept out of every log
line, exception text and repr).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import TypeVar

import httpx
from pydantic import SecretStr

from sms_core import request
from sms_core.backoff import Backoff
from sms_core.errors import (
    AccountLocked,
    ContentTooLong,
    ForbiddenWord,
    GatewayProtocolError,
    GatewayRefused,
    InsufficientBalance,
    LoginFailed,
    NoContent,
    NoRecipients,
)
from sms_core.models import (
    ChunkOutcome,
    ChunkResult,
    DeliveryReport,
    InboundPage,
    InboundSms,
    ReportPage,
    SendAnswer,
    SendResult,
)
from sms_core.phones import chunked, normalize_numbers
from sms_core.protocol.body import decode_body
from sms_core.protocol.query import MAX_NUMBERS_PER_REQUEST, Endpoint, send_query_parts
from sms_core.protocol.read_answers import parse_balance, parse_inbound, parse_reports
from sms_core.protocol.send_answer import parse_send
from sms_core.redaction import keep_secret, parse_answer
from sms_core.retry import RetryPolicy
from sms_core.schedule import check_schedule
from sms_core.text import validate_text

T = TypeVar("T")
OnChunk = Callable[[ChunkResult], Awaitable[None]]
OnChunkStart = Callable[[int, tuple[str, ...]], Awaitable[None]]
OnRaw = Callable[[str, str], Awaitable[None]]

STOP_ALL: tuple[type[GatewayRefused], ...] = (
    LoginFailed, AccountLocked, InsufficientBalance,  # the account: every chunk would fail
    ForbiddenWord, NoContent, ContentTooLong,  # the text, the same in every chunk
)
"""A refusal that the remaining chunks of a send would get too: they are not sent."""

_BARE_CODE = re.compile(r"-?[0-9]{1,18}")


class SmsGateway:
    """The gateway account, spoken to over HTTP. Use as `async with SmsGateway(...) as gw:`.

    `password` may be a str or a pydantic SecretStr; it is never in a repr, an exception
    text or a log line. `timeout` bounds each phase of a request (connect, write, read,
    pool wait); a whole request is also cut at twice that, against a server that answers
    one byte at a time. A request that may be repeated is tried up to `max_attempts`
    times, `backoff`, 2 x `backoff`, 4 x `backoff`... seconds apart.
    """

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str | SecretStr,
        *,
        encoding: str = "gbk",
        timeout: float = 15.0,
        segment_size: int = 67,
        max_attempts: int = 3,
        backoff: float = 0.5,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.retry = RetryPolicy(max_attempts, Backoff(backoff))
        self.base_url = base_url.rstrip("/")
        self.username = username
        secret = password if isinstance(password, SecretStr) else SecretStr(password)
        self._password = secret
        self.encoding = encoding
        self.timeout = timeout
        self.segment_size = segment_size
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        keep_secret(self, secret.get_secret_value(), encoding)

    def __repr__(self) -> str:
        return f"SmsGateway(base_url={self.base_url!r}, username={self.username!r})"

    @property
    def max_attempts(self) -> int:
        """Tries of a request that may be repeated (see sms_core.retry)."""
        return self.retry.max_attempts

    @property
    def backoff(self) -> float:
        """Seconds of the first pause between tries; each next one is twice as long."""
        return self.retry.backoff.first

    # --- lifecycle ---------------------------------------------------------------

    async def __aenter__(self) -> SmsGateway:
        self._client()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections (the object can be used again: a new pool is opened)."""
        http, self._http = self._http, None
        if http is not None:
            await http.aclose()

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = request.open_client(self.timeout, self._transport)
        return self._http

    async def _get(self, endpoint: Endpoint, query: str, read_timeout: float | None = None) -> bytes:
        return await request.get(self._client(), self.base_url, endpoint, query,
                                 phase_timeout=self.timeout, read_timeout=read_timeout)

    def _auth_query(self) -> str:
        return request.auth_query(self.username, self._password, self.encoding)

    # --- send ------------------------------------------------------------------------

    async def send(
        self,
        numbers: Iterable[str],
        text: str,
        *,
        at: datetime | None = None,
        on_chunk: OnChunk | None = None,
        on_chunk_start: OnChunkStart | None = None,
    ) -> SendResult:
        """Text `numbers`; one ChunkResult per request of at most 100 numbers.

        Everything is checked before the first request (InputError, nothing sent):
        numbers are normalised and deduplicated (the gateway would text a repeated
        number twice), the text must fit the encoding and 335 characters, and `at`
        must be in the next year.

        Each chunk ends ACCEPTED, REFUSED (an error code), FAILED (did not arrive or
        busy, after `max_attempts` with exponential backoff) or UNKNOWN (may have
        been sent: never retried). When a refusal would apply to every chunk --
        LoginFailed, AccountLocked, InsufficientBalance, or a refusal of the text
        itself (ForbiddenWord, NoContent, ContentTooLong) -- the remaining chunks are
        not sent and are marked REFUSED with the same error and `attempts=0`.

        `on_chunk_start(index, numbers)` (index from 0) is awaited right before a chunk's
        first request, and `on_chunk` after each chunk, sent or not, in order: a caller that
        journals both can tell, after a crash, the chunk that was in flight (its outcome
        unknown) from those never sent. An exception from either stops the send (from
        `on_chunk_start`: before that chunk's request).

        An UNKNOWN chunk's error is a SendOutcomeUnknown whose `reason` says what went wrong
        (no answer in time, an unreadable answer, HTTP 5xx, the connection closed).
        """
        seen = normalize_numbers(numbers)
        if not seen:
            raise NoRecipients()
        info = validate_text(text, encoding=self.encoding, segment_size=self.segment_size)
        if at is not None:
            at = check_schedule(at)
        query = send_query_parts(self._auth_query(), info.text, at, self.encoding)
        chunks = chunked(seen, MAX_NUMBERS_PER_REQUEST)
        results: list[ChunkResult] = []
        stop: GatewayRefused | None = None
        for index, chunk in enumerate(chunks, 1):
            if stop is not None:
                result = ChunkResult(numbers=chunk, outcome=ChunkOutcome.REFUSED, error=stop,
                                     attempts=0)
            else:
                if on_chunk_start is not None:
                    await on_chunk_start(index - 1, chunk)
                result = await self._send_chunk(chunk, query, index, len(chunks))
                if isinstance(result.error, STOP_ALL):
                    stop = result.error
            results.append(result)
            if on_chunk is not None:
                await on_chunk(result)
        return SendResult(chunks=tuple(results), segments=info.segments)

    async def _send_chunk(self, numbers: tuple[str, ...], query: tuple[str, str],
                          index: int, total: int) -> ChunkResult:
        head, tail = query

        async def attempt() -> SendAnswer:
            content = await self._get(Endpoint.SEND, f"{head}{'%2C'.join(numbers)}{tail}")
            return parse_answer(parse_send, content, self.encoding)

        return await self.retry.send_chunk(numbers, index, total, attempt)

    # --- reads -----------------------------------------------------------------------

    async def _read(self, endpoint: Endpoint, parse: Callable[[bytes | str, str], T],
                    on_raw: OnRaw | None, read_timeout: float | None = None) -> T:
        query = self._auth_query()
        return await self.retry.read(
            endpoint, lambda: self._read_once(endpoint, parse, on_raw, query, read_timeout))

    async def _read_once(self, endpoint: Endpoint, parse: Callable[[bytes | str, str], T],
                         on_raw: OnRaw | None, query: str, read_timeout: float | None = None) -> T:
        content = await self._get(endpoint, query, read_timeout)
        try:
            text = decode_body(content, self.encoding)
        except GatewayProtocolError:  # not valid in the encoding: the parser says what it can
            if on_raw is not None:  # keep what came, every byte (as a \xNN escape)
                await on_raw(endpoint.value,
                             content.decode(self.encoding, errors="backslashreplace"))
            return parse_answer(parse, content, self.encoding)
        if on_raw is not None and not _BARE_CODE.fullmatch(text):
            await on_raw(endpoint.value, text)
        return parse_answer(parse, text, self.encoding)

    async def fetch_report_page(self, *, on_raw: OnRaw | None = None,
                                read_timeout: float | None = None) -> ReportPage:
        """One page (<= 100) of delivery reports. A full page means more are waiting.

        Destructive at the gateway: pass `on_raw` to store the body (endpoint path,
        decoded text) before it is parsed, so a page that cannot be parsed is not
        lost; it is not called for a bare code ("0", "-3", ...), which carries no
        data. `read_timeout` is this read's wait for its answer (default: the client's).
        A page whose answer was lost on the way (timeout, dropped connection, 5xx)
        may be lost at the gateway: PageMaybeLost, never retried here. Busy (-3)
        and unreachable (nothing sent) are retried; then GatewayBusy /
        GatewayUnavailable; garbage -> GatewayProtocolError.
        """
        return await self._read(Endpoint.REPORTS, parse_reports, on_raw, read_timeout)

    async def fetch_inbound_page(self, *, on_raw: OnRaw | None = None,
                                 read_timeout: float | None = None) -> InboundPage:
        """One page (<= 50) of inbound SMS; as fetch_report_page (destructive, on_raw, read_timeout)."""
        return await self._read(Endpoint.INBOUND, parse_inbound, on_raw, read_timeout)

    async def fetch_reports(self, *, on_raw: OnRaw | None = None) -> list[DeliveryReport]:
        """The reports of one page (see fetch_report_page)."""
        return list((await self.fetch_report_page(on_raw=on_raw)).reports)

    async def fetch_inbound(self, *, on_raw: OnRaw | None = None) -> list[InboundSms]:
        """The messages of one page (see fetch_inbound_page)."""
        return list((await self.fetch_inbound_page(on_raw=on_raw)).messages)

    async def balance(self) -> int:
        """Messages the account can still send (0 is a balance, not an error)."""
        return await self._read(Endpoint.BALANCE, parse_balance, None)
