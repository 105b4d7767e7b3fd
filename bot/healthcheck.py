"""`smsbot healthcheck`: asks the running bot's GET /healthz at the address SMSBOT_HTTP_LISTEN
gives, so Docker's HEALTHCHECK follows the setting instead of a port written into the image.

Exit 0 when /healthz answers 2xx, 1 for anything else (Docker reserves 2). It imports no more
than the settings and urllib: Docker runs it every 30 seconds beside the bot.
"""

from __future__ import annotations

import http.client
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass

from config import Settings, SettingsError, load_settings

TIMEOUT = 4.0
"""Seconds the probe waits to connect and for the answer; the image's HEALTHCHECK allows 5."""
BODY_SHOWN = 1000
"""Characters of /healthz's answer printed: Docker keeps the output in `docker inspect`."""
LOOPBACK = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}
"""A wildcard listen address is reached through loopback."""

EXIT_HEALTHY, EXIT_UNHEALTHY = 0, 1


@dataclass(frozen=True)
class Probe:
    healthy: bool
    detail: str


def healthz_url(settings: Settings) -> str:
    """The URL of /healthz on the address the bot listens on (a wildcard becomes loopback)."""
    host, port = settings.listen_host_port
    host = LOOPBACK.get(host, host)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/healthz"


def probe(url: str, timeout: float = TIMEOUT) -> Probe:
    """GET `url` without any proxy (the environment's proxy variables are for the gateway)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as answer:
            return Probe(True, f"{url} answered {answer.status}")
    except urllib.error.HTTPError as exc:
        try:
            body = exc.read(BODY_SHOWN).decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            body = ""
        finally:
            exc.close()
        return Probe(False, f"{url} answered {exc.code}: {body}")
    except urllib.error.URLError as exc:
        return Probe(False, f"no answer from {url}: {exc.reason}")
    except (OSError, http.client.HTTPException) as exc:  # a timeout, a reset, a garbled answer
        return Probe(False, f"no answer from {url}: {exc or type(exc).__name__}")


def check(settings: Settings, timeout: float = TIMEOUT) -> Probe:
    _, port = settings.listen_host_port
    if port == 0:
        return Probe(False, "SMSBOT_HTTP_LISTEN has port 0 (a free port picked at start): "
                            "give it a fixed port to have it checked")
    return probe(healthz_url(settings), timeout)


def main() -> int:
    """The command: settings from the environment (and .env), one line out, exit 0 or 1."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"smsbot healthcheck: {exc}", file=sys.stderr)
        return EXIT_UNHEALTHY
    result = check(settings)
    print(f"{'healthy' if result.healthy else 'unhealthy'}: {result.detail}",
          file=sys.stdout if result.healthy else sys.stderr)
    return EXIT_HEALTHY if result.healthy else EXIT_UNHEALTHY
