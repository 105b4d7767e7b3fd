"""One HTTP request to the gateway: its URL, its timeouts, and what its failure means.

Requests go through one `httpx.AsyncClient` (its transport can be given): per-phase
timeouts, no redirect followed, the proxy named by the environment (trust_env), no
cookie kept. The query string is built by protocol.encode_query (GBK percent-escapes,
where httpx would encode UTF-8) and handed to httpx.URL, which keeps it as it is.

A failure is sorted by whether the request may have reached the gateway, which is
what the retry policy (sms_core.retry) decides on: GatewayUnavailable (certainly
not), NoAnswer (perhaps: timeout, dropped, HTTP 5xx) or TurnedAway (HTTP 3xx/4xx,
refused before the endpoint ran). The URL holds the password: every httpx exception
is turned into one of these, with a fixed message, raised outside the `except` block
(so it carries no `__context__` that holds the URL).
"""

from __future__ import annotations

import asyncio
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx
from pydantic import SecretStr

from sms_core.errors import (
    GatewayError,
    GatewayUnavailable,
    InputError,
    UnknownReason,
    UnsupportedCharacters,
)
from sms_core.protocol.query import Endpoint, auth_params, encode_query


class NoAnswer(GatewayError):
    """The request may have reached the gateway, but no usable answer came back."""

    def __init__(self, message: str, reason: UnknownReason, http_status: int | None = None) -> None:
        self.reason = reason
        self.http_status = http_status
        super().__init__(message)


class TurnedAway(GatewayError):
    """HTTP 3xx/4xx: the web server turned the request away before the endpoint ran."""


def classify(exc: Exception) -> GatewayError:
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
        return NoAnswer("the gateway did not answer in time", UnknownReason.TIMEOUT)
    if isinstance(exc, httpx.RemoteProtocolError):
        return NoAnswer("the gateway closed the connection without an answer",
                        UnknownReason.CONNECTION_CLOSED)
    return NoAnswer(f"the connection to the gateway failed ({type(exc).__name__})",
                    UnknownReason.CONNECTION_CLOSED)


def open_client(timeout: float, transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """The pooled HTTP client every request of one SmsGateway goes through."""
    http = httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(timeout),  # each phase: connect, write, read, pool
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
    del http.headers["Accept-Encoding"]  # the answers are a few bytes of text
    return http


def auth_query(username: str, password: SecretStr, encoding: str) -> str:
    """`us_name=...&us_pwd=...`, percent-encoded; refused (InputError, nothing sent) if
    the encoding cannot hold them. The password's characters are never shown."""
    try:
        encode_query(auth_params(username, ""), encoding)
    except UnsupportedCharacters as err:  # not a secret: its characters say what to fix
        raise InputError(
            f"the gateway username has characters that the gateway's encoding "
            f"({encoding.upper()}) cannot hold ({' '.join(map(repr, err.chars))}); "
            f"check SMSBOT_GATEWAY_USERNAME") from None
    try:
        return encode_query(auth_params(username, password.get_secret_value()), encoding)
    except UnsupportedCharacters:
        pass
    raise InputError(  # outside the except block: no __context__ naming its characters
        f"the gateway password has characters that the gateway's encoding "
        f"({encoding.upper()}) cannot hold; check SMSBOT_GATEWAY_PASSWORD")


def build_url(base_url: str, endpoint: Endpoint, query: str) -> httpx.URL:
    """The endpoint's URL with `query`, built by encode_query: only `A-Z a-z 0-9 _ . - ~`,
    `%XX`, `=` and `&`, which httpx.URL keeps as they are (GBK escapes stay GBK).

    Not `params=`: httpx would encode the values in UTF-8. May raise InvalidURL.
    """
    return httpx.URL(f"{base_url}{endpoint.value}?{query}")


async def get(http: httpx.AsyncClient, base_url: str, endpoint: Endpoint, query: str, *,
              phase_timeout: float, read_timeout: float | None = None) -> bytes:
    """GET one endpoint; the body of a 200 answer (waited for `read_timeout`, if given).

    `phase_timeout` bounds each phase (connect, write, read, pool wait); the whole request is
    also cut at twice the longest, against a server that answers one byte at a time.
    Raises GatewayUnavailable, NoAnswer or TurnedAway (see the module's docstring).
    """
    url: httpx.URL | None = None
    response: httpx.Response | None = None
    failure: GatewayError | None = None
    status = 0
    content = b""
    phases, limit = httpx.Timeout(phase_timeout), 2 * phase_timeout
    if read_timeout is not None:  # a poll's own wait for its answer
        phases = httpx.Timeout(phase_timeout, read=read_timeout)
        limit = 2 * max(phase_timeout, read_timeout)
    try:
        url = build_url(base_url, endpoint, query)
        async with asyncio.timeout(limit):
            response = await http.get(url, timeout=phases)  # the body is read, then closed
        status = response.status_code
        content = response.content
    except (httpx.HTTPError, httpx.InvalidURL, TimeoutError) as exc:
        failure = classify(exc)
    del url, query, response  # they hold the password: not left in the frame
    if failure is not None:
        raise failure  # outside the except block: no __context__ holding the URL
    if status == 200:
        return content
    if status >= 500:
        raise NoAnswer(f"the gateway answered HTTP {status}", UnknownReason.HTTP_STATUS, status)
    # 3xx included: a redirect is not followed, it would carry the password elsewhere
    raise TurnedAway(f"the gateway answered HTTP {status}; check SMSBOT_GATEWAY_URL")
