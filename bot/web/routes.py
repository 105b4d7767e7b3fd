"""The starlette app: the alerts webhook, /healthz and /metrics.

Answers are JSON; a refusal is `{"error": "...", "error_zh": "...", "reason": "..."}`: what to
change in English and in Chinese, and a stable code (bot.errors.Reason) for a script. The webhook
answers 2xx only once the alert is committed, 5xx when it could not be (the
sender retries; Alertmanager retries 5xx and never 4xx), and 4xx for a request
that would fail again as it is. Every refusal is audited. The bearer token is
compared in constant time and never written anywhere: not in a log line, an
audit record or an answer; a URL path that holds it (or a long piece of it) is masked
too. Refusals anyone can cause, before the token is checked, are audited at most once per
source a minute, with a count (see bot/throttle.py). A body must arrive within the body
deadline (a 408 otherwise), and a sender that hangs up before it is whole is noted (INFO,
one audit row), not treated as our error.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
import time

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot import metrics
from bot.errors import BotError, Reason
from bot.health import HealthState
from bot.i18n import plain
from bot.services.alerts.errors import (
    AlertError,
    AlertNotStored,
    EmptyAlertGroup,
    NoGroup,
    NotJson,
    UnknownAlertGroup,
    UnknownShape,
    UnusableJson,
)
from bot.services.alerts.service import AlertService
from bot.store import Store
from bot.throttle import AuditThrottle
from bot.web.guard import WebLimits
from bot.web.health import HealthChecker
from config import Settings

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024
TOKEN_PREFIX = 8
"""A word that starts with this many characters of the webhook token is masked as the token."""
CLOSE = {"Connection": "close"}
"""With a 408: the rest of a late body is not awaited, so the connection cannot be reused. (A 413
keeps it: the sender is still writing, and a close would reach it as a reset, not as the 413.)"""
_STATUS: list[tuple[type[AlertError], int]] = [
    (NotJson, 400), (NoGroup, 400), (UnknownShape, 422), (UnusableJson, 422), (UnknownAlertGroup, 404),
    (EmptyAlertGroup, 422), (AlertNotStored, 503),
]


class _Refused(BotError):
    def __init__(self, status: int, reason: Reason, headers: dict[str, str] | None = None, *,
                 before_token: bool = False, **params: object) -> None:
        super().__init__(reason, **params)
        self.status = status
        self.headers = headers
        self.before_token = before_token  # anyone can cause it: audited through the throttle


def refusal_body(error: BotError, masker: re.Pattern[str] | None) -> dict[str, str]:
    """The JSON of a refusal: its words in English and Chinese (plain text, the token masked)
    and its reason code."""
    return {"error": mask_token(plain(error.reason, "en", **error.params), masker),
            "error_zh": mask_token(plain(error.reason, "zh", **error.params), masker),
            "reason": str(error.reason)}


def token_masker(token: str | None) -> re.Pattern[str] | None:
    """What masks the webhook token in text about a request: the token itself, and any word
    that starts with its first TOKEN_PREFIX characters (a token pasted into the URL path, cut
    or with a typo, is still most of the secret)."""
    if not token:
        return None
    prefix = token[:TOKEN_PREFIX]
    return re.compile(re.escape(token) + "|" + re.escape(prefix) + r"[^\s'\"/,;()&?]*")


def mask_token(text: str, masker: re.Pattern[str] | None) -> str:
    return text if masker is None else masker.sub("***", text)


def build_web_app(settings: Settings, store: Store, alerts: AlertService | None, health: HealthChecker, *,
                  limits: WebLimits | None = None) -> Starlette:
    token = settings.webhook_token
    secret = token.get_secret_value().encode("utf-8") if token is not None else None
    masker = token_masker(token.get_secret_value() if token is not None else None)
    body_timeout = (limits or WebLimits()).body_timeout
    throttle = AuditThrottle()

    def check_token(request: Request) -> None:
        if secret is None:
            raise _Refused(404, Reason.WEBHOOK_OFF, before_token=True)
        challenge = {"WWW-Authenticate": 'Bearer realm="smsbot"'}
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise _Refused(401, Reason.WEBHOOK_NO_TOKEN, challenge, before_token=True)
        if not hmac.compare_digest(given.strip().encode("utf-8"), secret):
            raise _Refused(401, Reason.WEBHOOK_WRONG_TOKEN, challenge, before_token=True)

    async def read_body(request: Request) -> bytes:
        length = request.headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                raise _Refused(400, Reason.WEBHOOK_BAD_LENGTH)
            if int(length) > MAX_BODY:
                raise _Refused(413, Reason.WEBHOOK_TOO_BIG, length=int(length), max=MAX_BODY)
        body = bytearray()
        try:
            async with asyncio.timeout(body_timeout):
                async for chunk in request.stream():
                    body += chunk
                    if len(body) > MAX_BODY:
                        raise _Refused(413, Reason.WEBHOOK_BODY_OVER, max=MAX_BODY)
        except TimeoutError:
            raise _Refused(408, Reason.WEBHOOK_BODY_LATE, CLOSE, seconds=f"{body_timeout:g}",
                           length=len(body)) from None
        return bytes(body)

    async def audit(detail: str) -> None:
        try:
            await store.audit_log.record("webhook_refused", detail=detail[:400])
        except Exception:  # the store is down: the answer still goes out
            log.warning("could not audit a refused webhook request: %s", detail[:200])
        log.info("alert webhook refused: %s", detail[:200])

    async def audit_overdue() -> None:
        """Counts of refusals before the token that no later refusal carried (a flood that stopped)."""
        for entry in throttle.overdue():
            await audit(f"{entry.count} more refused before the token was checked (from {entry.source}) "
                        f"in the {throttle.window:.0f} s after the last one recorded")

    def about(request: Request) -> str:
        client = request.client.host if request.client else "?"
        group = request.path_params.get("group", "")
        return f"from {client}{', group ' + group[:64] if group else ''}"

    async def refuse(request: Request, status: int, error: BotError,
                     headers: dict[str, str] | None = None, *, before_token: bool = False) -> JSONResponse:
        metrics.WEBHOOK_REQUESTS.labels(str(status)).inc()
        client = request.client.host if request.client else "?"
        body = refusal_body(error, masker)  # masked: an unknown group named after the token, say
        detail = mask_token(f"{status} {body['error']} ({about(request)})", masker)
        if before_token:
            admitted = throttle.admit(client)
            if admitted is not None and admitted.count:
                detail += (f"; {admitted.count} more refused before the token was checked from "
                           f"{admitted.source} in the {throttle.window:.0f} s after the last one recorded")
            if admitted is None:  # counted (the metric), not recorded one by one
                return JSONResponse(body, status_code=status, headers=headers)
        await audit(detail)
        return JSONResponse(body, status_code=status, headers=headers)

    async def post_alert(request: Request) -> Response:
        response = await answer_alert(request)
        await audit_overdue()  # after: a refusal that carries its source's count takes it first
        return response

    async def answer_alert(request: Request) -> Response:
        try:
            check_token(request)
            body = await read_body(request)
            if alerts is None:
                raise _Refused(503, Reason.WEBHOOK_NOT_RUNNING)
            received = await alerts.receive(request.path_params.get("group"), body)
        except _Refused as exc:
            return await refuse(request, exc.status, exc, exc.headers, before_token=exc.before_token)
        except AlertError as exc:
            status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 400)
            return await refuse(request, status, exc)
        except ClientDisconnect:
            return await went_away(request)
        except Exception:
            log.exception("alert webhook: unexpected error; answered 500 so that the sender retries")
            return await refuse(request, 500, BotError(Reason.WEBHOOK_INTERNAL_ERROR))
        metrics.WEBHOOK_REQUESTS.labels("202").inc()
        return JSONResponse(received.to_json(), status_code=202)

    async def went_away(request: Request) -> Response:
        """The sender hung up before its body was whole: nothing to store, nobody to answer,
        and nothing of ours went wrong (no traceback, no error)."""
        metrics.WEBHOOK_REQUESTS.labels("499").inc()  # nginx's "client closed request"
        detail = mask_token(f"client went away before its body was whole ({about(request)})", masker)
        log.info("alert webhook: %s", detail)
        try:
            await store.audit_log.record("webhook_refused", detail=detail[:400])
        except Exception:
            log.warning("could not audit a webhook request whose client went away: %s", detail[:200])
        return Response(status_code=400)  # not sent: the connection is gone

    async def healthz(request: Request) -> Response:
        ok, report = await health.report()
        report["alerts"] = {"enabled": secret is not None}
        return JSONResponse(report, status_code=200 if ok else 503)

    async def metrics_endpoint(request: Request) -> Response:
        await _refresh_gauges(store, health.health)
        await health.report()  # the health gauges and the poll lag say what /healthz says
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    async def not_found(request: Request, exc: Exception) -> Response:
        return JSONResponse(refusal_body(BotError(Reason.WEBHOOK_NO_ENDPOINT, path=request.url.path[:100]), masker),
                            status_code=404)

    async def not_allowed(request: Request, exc: Exception) -> Response:
        allowed = exc.headers.get("Allow", "") if isinstance(exc, HTTPException) and exc.headers else ""
        refusal = BotError(Reason.WEBHOOK_METHOD, method=request.method, allowed=allowed or "?")
        return JSONResponse(refusal_body(refusal, masker), status_code=405,
                            headers={"Allow": allowed} if allowed else None)

    app = Starlette(
        routes=[
            # the trailing-slash forms are the same routes: never a redirect (see below)
            Route("/alerts", post_alert, methods=["POST", "PUT"]),
            Route("/alerts/", post_alert, methods=["POST", "PUT"]),
            Route("/alerts/{group}", post_alert, methods=["POST", "PUT"]),
            Route("/alerts/{group}/", post_alert, methods=["POST", "PUT"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
        ],
        exception_handlers={404: not_found, 405: not_allowed},
    )
    # Starlette answers a path that differs by a trailing slash with a 307 to http://<Host>/...:
    # behind a TLS proxy that sends the sender, bearer token and all, to plain http. Any other
    # path is a 404 in JSON.
    app.router.redirect_slashes = False
    app.state.alerts_on = secret is not None
    app.state.audit_throttle = throttle
    return app


async def _refresh_gauges(store: Store, health: HealthState) -> None:
    """Values that are a function of time (poll lag) or of the store, taken at scrape time."""
    last_ok = health.last_poll_ok
    if last_ok is not None:
        metrics.POLL_LAG.set(max(time.time() - float(last_ok), 0.0))
    try:
        counts = await store.alert_intake.counts()
        metrics.ALERTS_PENDING.set(sum(counts.get(s, 0) for s in ("stored", "sending", "failed")))
    except Exception:
        log.debug("could not read alert counts for /metrics", exc_info=True)
