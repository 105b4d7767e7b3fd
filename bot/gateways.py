"""The gateway client of a process (`smsbot run`, `send`, `balance`, `check`): the account's, or
the built-in sandbox's when SMSBOT_GATEWAY_URL is the word `sandbox`."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from config import Settings
from sms_core import SmsGateway

if TYPE_CHECKING:
    from sms_core.sandbox import SandboxServer

log = logging.getLogger(__name__)

SANDBOX_USERNAME = "demo"
SANDBOX_PASSWORD = "sandbox-password"


def gateway_from_settings(settings: Settings) -> tuple[SmsGateway, SandboxServer | None]:
    """The gateway client (not yet entered), and the sandbox it talks to, started, if any."""
    sandbox = None
    url = settings.gateway_url
    username = settings.gateway_username
    password = settings.gateway_password.get_secret_value() if settings.gateway_password else None
    if settings.uses_sandbox:
        from sms_core.sandbox import SandboxGateway, SandboxServer  # only when asked for

        username = username or SANDBOX_USERNAME
        password = password or SANDBOX_PASSWORD
        sandbox = SandboxServer(SandboxGateway(username=username, password=password))
        sandbox.start()
        url = sandbox.url
        log.info("using the built-in sandbox gateway at %s", url)
    else:
        settings.require_gateway_account()
    gateway = SmsGateway(
        url, username or "", password or "", encoding=settings.gateway_encoding,
        timeout=settings.gateway_timeout, segment_size=settings.segment_size,
    )
    return gateway, sandbox
