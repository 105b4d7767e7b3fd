"""SmsGateway: the gateway's HTTP API over httpx, with chunking and a retry policy.

The retry policy follows the spec's decisions 7 and 8:

- a send is retried only when it certainly did not arrive (connection refused,
  DNS failure, connect or pool timeout) or when the gateway answered -99
  (busy, not accepted); a send that may have arrived (read timeout, connection
  lost after the request was written, HTTP 5xx, an answer that cannot be read)
  has an UNKNOWN outcome and is never sent again by this module;
- a read is retried when busy or unreachable; the balance also after a timeout.
  The polls (reports, inbound) are destructive: once the request was sent, a
  timeout, a dropped connection or HTTP 5xx may have cost a page that a repeat
  cannot bring back, so they raise PageMaybeLost at once (the caller reads on at
  its next poll). A poll may be given its own, longer read timeout.

Requests go through one `httpx.AsyncClient` (its transport can be given): per-phase
timeouts, no redirect followed, the proxy named by the environment (trust_env), no
cookie kept. The query string is built by protocol.encode_query (GBK percent-escapes,
where httpx would encode UTF-8) and handed to httpx.URL, which keeps it as it is.

The password travels in the query string. It is kept in a SecretStr, never put
in an exception message, a repr or a log line of ours; every httpx exception is
turned into one of our errors raised outside the `except` block (so it carries
no `__context__` that holds the URL); and a logging filter on the httpx and
httpcore loggers blanks `us_pwd=...` (httpx logs every request URL at INFO).
"""

from __future__ import annotations

import asyncio
import logging
import re
import weakref
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import TypeVar
from urllib.parse import quote

import httpx
from pydantic import SecretStr

from sms_core.errors import (
    AccountLocked,
    ContentTooLong,
    ForbiddenWord,
    GatewayBusy,
    GatewayError,
    GatewayProtocolError,
    GatewayRefused,
    GatewayUnavailable,
    InputError,
    InsufficientBalance,
    LoginFailed,
    NoContent,
    NoRecipients,
    PageMaybeLost,
    SendOutcomeUnknown,
    UnknownReason,
    UnsupportedCharacters,
)
from sms_core.models import (
    ChunkOutcome,
    ChunkResult,
    DeliveryReport,
    InboundPage,
    InboundSms,
    ReportPage,
    SendResult,
)
from sms_core.phones import chunked, normalize_numbers
from sms_core.protocol import (
    MAX_NUMBERS_PER_REQUEST,
    Endpoint,
    auth_params,
    decode_body,
    encode_query,
    excerpt,
    parse_balance,
    parse_inbound,
    parse_reports,
    parse_send,
    send_query_parts,
)
from sms_core.schedule import check_schedule
from sms_core.text import validate_text

log = logging.getLogger("sms_core.client")

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
_DESTRUCTIVE = frozenset({Endpoint.REPORTS, Endpoint.INBOUND})
"""Reads that hand a page out once: never repeated after the request was sent."""


# --- keeping the password out of logs -------------------------------------------

_SECRETS: weakref.WeakValueDictionary[int, SmsGateway] = weakref.WeakValueDictionary()
_PWD_RE = re.compile(r"(?i)(us_pwd(?:=|%3D))[^&\s\"'<>]*")


def _secret_forms(password: str, encoding: str) -> set[str]:
    """The password as it may appear in text: plain, and percent-encoded as on the wire."""
    if not password:
        return set()
    forms = {password, quote(password, safe=""), quote(password)}
    try:
        forms.add(quote(password.encode(encoding), safe=""))
    except (UnicodeError, LookupError):
        pass
    return {f for f in forms if f}


def redact(text: str) -> str:
    """Blank every live gateway's password and every `us_pwd=` value in `text`.

    The passwords first: a password with a space in it would otherwise be cut by the
    `us_pwd=` pattern (which ends at whitespace) and its rest left behind.
    """
    for gateway in list(_SECRETS.values()):
        for form in gateway._secret_forms:
            if form in text:
                text = text.replace(form, "***")
    return _PWD_RE.sub(r"\1***", text)


class RedactPasswordFilter(logging.Filter):
    """A logging filter that rewrites a record's message with the password blanked.

    The record's args are merged into its message first, so a URL passed as an
    argument (as httpx does: `logger.info("HTTP Request: %s %s ...", method, url)`)
    is caught too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record: leave it to logging's own error handling
            return True
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = ()
        return True


_FILTER = RedactPasswordFilter()
_HTTP_LOGGERS = (
    "httpx", "httpcore", "httpcore.connection", "httpcore.connection_pool",
    "httpcore.http11", "httpcore.http2", "httpcore.proxy", "httpcore.socks",
)


def install_log_filter() -> None:
    """Attach the filter to httpx's and httpcore's loggers (each one: a logger's filter
    does not apply to records of its children). Idempotent; done at import."""
    for name in _HTTP_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


install_log_filter()


# --- errors on the way ---------------------------------------------------------------


class _NoAnswer(GatewayError):
    """The request may have reached the gateway, but no usable answer came back."""

    def __init__(self, message: str, reason: UnknownReason, http_status: int | None = None) -> None:
        self.reason = reason
        self.http_status = http_status
        super().__init__(message)


class _TurnedAway(GatewayError):
    """HTTP 3xx/4xx: the web server turned the request away before the endpoint ran."""


def _classify(exc: Exception) -> GatewayError:
    """An httpx exception -> our error with a fixed, safe message (never the URL)."""
    if isinstance(exc, httpx.ConnectTimeout):
        return GatewayUnavailable("could not connect to the gateway in time")
    if isinstance(exc, httpx.PoolTimeout):
        return GatewayUnavailable("no free connection to the gateway in time")
    if isinstance(exc, httpx.ConnectError):
        return GatewayUnavailable(
            "could not connect to the gateway (connection refused or name not resolved)")
    if isinstance(exc, httpx.ProxyError):
        return GatewayUnavailable("could not reach the gateway through the proxy")
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return GatewayUnavailable("the gateway URL is not usable; check SMSBOT_GATEWAY_URL")
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return _NoAnswer("the gateway did not answer in time", UnknownReason.TIMEOUT)
    if isinstance(exc, httpx.RemoteProtocolError):
        return _NoAnswer("the gateway closed the connection without an answer",
                         UnknownReason.CONNECTION_CLOSED)
    return _NoAnswer(f"the connection to the gateway failed ({type(exc).__name__})",
                     UnknownReason.CONNECTION_CLOSED)


# --- the client ------------------------------------------------------------------


class SmsGateway:
    """The gateway account, spoken to over HTTP. Use as `async with SmsGateway(...) as gw:`.

    `password` may be a str or a pydantic SecretStr. `timeout` bounds each phase
    of a request (connect, write, read, pool wait); a whole request is also cut
    at twice that, against a server that answers one byte at a time.
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
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.base_url = base_url.rstrip("/")
        self.username = username
        secret = password if isinstance(password, SecretStr) else SecretStr(password)
        self._password = secret
        self.encoding = encoding
        self.timeout = timeout
        self.segment_size = segment_size
        self.max_attempts = max_attempts
        self.backoff = backoff
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        self._secret_forms = _secret_forms(secret.get_secret_value(), encoding)
        _SECRETS[id(self)] = self

    def __repr__(self) -> str:
        return f"SmsGateway(base_url={self.base_url!r}, username={self.username!r})"

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
            self._http = httpx.AsyncClient(
                transport=self._transport,
                timeout=httpx.Timeout(self.timeout),  # each phase: connect, write, read, pool
                follow_redirects=False,  # a redirect would carry the password to another host
                trust_env=True,  # HTTP(S)_PROXY, ALL_PROXY, NO_PROXY (unless a transport is given)
                # none kept or sent: every call carries the account, and a session cookie of
                # the gateway's web server must not tie one call to another
                cookies=CookieJar(DefaultCookiePolicy(allowed_domains=[])),
                headers={"User-Agent": "smsbot"},
                # shorter than servers' idle timeouts: a send on a connection the server
                # has just closed would end UNKNOWN although it never arrived
                limits=httpx.Limits(keepalive_expiry=2.0),
            )
            del self._http.headers["Accept-Encoding"]  # the answers are a few bytes of text
        return self._http

    # --- one HTTP request ----------------------------------------------------------

    async def _request(self, endpoint: Endpoint, query: str, read_timeout: float | None = None) -> bytes:
        """GET one endpoint; the body of a 200 answer (waited for `read_timeout`, if given).

        Raises GatewayUnavailable (certainly did not arrive), _NoAnswer (may have
        arrived: timeout, dropped, HTTP 5xx) or _TurnedAway (HTTP 3xx/4xx: refused
        before the endpoint ran).
        """
        url: httpx.URL | None = None
        response: httpx.Response | None = None
        failure: GatewayError | None = None
        status = 0
        content = b""
        timeout, limit = httpx.Timeout(self.timeout), 2 * self.timeout
        if read_timeout is not None:  # a poll's own wait for its answer
            timeout = httpx.Timeout(self.timeout, read=read_timeout)
            limit = 2 * max(self.timeout, read_timeout)
        try:
            url = self._url(endpoint, query)
            async with asyncio.timeout(limit):
                response = await self._client().get(url, timeout=timeout)  # the body is read, then closed
            status = response.status_code
            content = response.content
        except (httpx.HTTPError, httpx.InvalidURL, TimeoutError) as exc:
            failure = _classify(exc)
        del url, query, response  # they hold the password: not left in the frame
        if failure is not None:
            raise failure  # outside the except block: no __context__ holding the URL
        if status == 200:
            return content
        if status >= 500:
            raise _NoAnswer(f"the gateway answered HTTP {status}", UnknownReason.HTTP_STATUS, status)
        # 3xx included: a redirect is not followed, it would carry the password elsewhere
        raise _TurnedAway(f"the gateway answered HTTP {status}; check SMSBOT_GATEWAY_URL")

    def _url(self, endpoint: Endpoint, query: str) -> httpx.URL:
        """The endpoint's URL with `query`, built by encode_query: only `A-Z a-z 0-9 _ . - ~`,
        `%XX`, `=` and `&`, which httpx.URL keeps as they are (GBK escapes stay GBK).

        Not `params=`: httpx would encode the values in UTF-8. May raise InvalidURL.
        """
        return httpx.URL(f"{self.base_url}{endpoint.value}?{query}")

    def _auth_query(self) -> str:
        """`us_name=...&us_pwd=...`, percent-encoded; refused (InputError, nothing sent) if
        the encoding cannot hold them. The password's characters are never shown."""
        try:
            encode_query(auth_params(self.username, ""), self.encoding)
        except UnsupportedCharacters as err:  # not a secret: its characters say what to fix
            raise InputError(
                f"the gateway username has characters that the gateway's encoding "
                f"({self.encoding.upper()}) cannot hold ({' '.join(map(repr, err.chars))}); "
                f"check SMSBOT_GATEWAY_USERNAME") from None
        try:
            return encode_query(auth_params(self.username, self._password.get_secret_value()),
                                self.encoding)
        except UnsupportedCharacters:
            pass
        raise InputError(  # outside the except block: no __context__ naming its characters
            f"the gateway password has characters that the gateway's encoding "
            f"({self.encoding.upper()}) cannot hold; check SMSBOT_GATEWAY_PASSWORD")

    def _parse(self, parse: Callable[[bytes | str, str], T], body: bytes | str) -> T:
        """`parse(body)`, with the password kept out of the excerpt of an unreadable answer.

        An error page may echo the request URL. The excerpt is collapsed and cut to 60
        characters, after which the password may no longer be found whole: so the answer
        is blanked first and the excerpt taken again from it.
        """
        try:
            return parse(body, self.encoding)
        except GatewayProtocolError as err:
            failure = err
        text = (body.decode(self.encoding, errors="backslashreplace")
                if isinstance(body, bytes) else body)
        cleaned = redact(text)
        if cleaned != text:
            failure = GatewayProtocolError(failure.reason, excerpt(cleaned), partial=failure.partial)
        raise failure

    async def _pause(self, attempt: int) -> None:
        await asyncio.sleep(self.backoff * 2 ** (attempt - 1))

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
        where = f"send chunk {index}/{total} ({len(numbers)} number{'' if len(numbers) == 1 else 's'})"
        attempt = 0
        while True:
            attempt += 1
            try:
                content = await self._request(Endpoint.SEND, f"{head}{'%2C'.join(numbers)}{tail}")
                answer = self._parse(parse_send, content)
            except (GatewayBusy, GatewayUnavailable) as err:
                if attempt < self.max_attempts:
                    log.info("%s: %s (code %s); attempt %d of %d, retrying",
                             where, err, err.code, attempt, self.max_attempts)
                    await self._pause(attempt)
                    continue
                log.warning("%s failed after %d attempts: %s (code %s)",
                            where, attempt, err, err.code)
                return ChunkResult(numbers, ChunkOutcome.FAILED, error=err, attempts=attempt)
            except GatewayRefused as err:
                log.warning("%s refused by the gateway: %s (code %s)", where, err, err.code)
                return ChunkResult(numbers, ChunkOutcome.REFUSED, error=err, attempts=attempt)
            except _NoAnswer as err:
                unknown = SendOutcomeUnknown(
                    f"{err}; the SMS may have been sent: check before sending again",
                    err.reason, http_status=err.http_status)
                log.warning("%s: outcome unknown (%s): %s", where, err.reason, err)
                return ChunkResult(numbers, ChunkOutcome.UNKNOWN, error=unknown, attempts=attempt)
            except _TurnedAway as err:
                # turned away before the send script ran: not sent, and not worth repeating
                failed = GatewayProtocolError(str(err))
                log.warning("%s failed: %s", where, failed)
                return ChunkResult(numbers, ChunkOutcome.FAILED, error=failed, attempts=attempt)
            except GatewayProtocolError as err:
                unknown = SendOutcomeUnknown(
                    f"the gateway's answer could not be read ({err}); "
                    "the SMS may have been sent: check before sending again",
                    UnknownReason.UNREADABLE)
                log.warning("%s: outcome unknown (%s): unreadable answer", where,
                            UnknownReason.UNREADABLE)
                return ChunkResult(numbers, ChunkOutcome.UNKNOWN, error=unknown, attempts=attempt)
            if answer.accepted + answer.rejected != len(numbers):
                log.warning("%s: the gateway counted %d accepted + %d rejected numbers",
                            where, answer.accepted, answer.rejected)
            return ChunkResult(numbers, ChunkOutcome.ACCEPTED, accepted=answer.accepted,
                               rejected=answer.rejected, ids=answer.ids, attempts=attempt)

    # --- reads -----------------------------------------------------------------------

    async def _read(self, endpoint: Endpoint, parse: Callable[[bytes | str, str], T],
                    on_raw: OnRaw | None, read_timeout: float | None = None) -> T:
        """One read with its retries. Logged at DEBUG only: the caller says what failed (the
        poll job once per fault, not once per attempt)."""
        query = self._auth_query()
        attempt = 0
        while True:
            attempt += 1
            retry: GatewayError | None = None
            final: GatewayError | None = None
            try:
                return await self._read_once(endpoint, parse, on_raw, query, read_timeout)
            except _NoAnswer as err:
                if endpoint in _DESTRUCTIVE:
                    final = PageMaybeLost(f"{err} after the request was sent: a page may have been lost")
                else:
                    retry = GatewayUnavailable(str(err))
            except (GatewayBusy, GatewayUnavailable) as err:
                retry = err
            except _TurnedAway as err:
                final = GatewayProtocolError(str(err))
            except GatewayProtocolError as err:
                final = err
            except GatewayRefused as err:
                final = err
            # raised outside the except blocks: no __context__ to carry anything along
            if final is not None:
                log.debug("%s: %s (code %s)", endpoint.value, final, final.code)
                raise final
            assert retry is not None
            if attempt >= self.max_attempts:
                log.debug("%s failed after %d attempts: %s (code %s)",
                          endpoint.value, attempt, retry, retry.code)
                raise retry
            log.debug("%s: %s (code %s); attempt %d of %d, retrying",
                      endpoint.value, retry, retry.code, attempt, self.max_attempts)
            await self._pause(attempt)

    async def _read_once(self, endpoint: Endpoint, parse: Callable[[bytes | str, str], T],
                         on_raw: OnRaw | None, query: str, read_timeout: float | None = None) -> T:
        content = await self._request(endpoint, query, read_timeout)
        try:
            text = decode_body(content, self.encoding)
        except GatewayProtocolError:  # not valid in the encoding: the parser says what it can
            if on_raw is not None:  # keep what came, every byte (as a \xNN escape)
                await on_raw(endpoint.value,
                             content.decode(self.encoding, errors="backslashreplace"))
            return self._parse(parse, content)
        if on_raw is not None and not _BARE_CODE.fullmatch(text):
            await on_raw(endpoint.value, text)
        return self._parse(parse, text)

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
