"""The long-lived objects of one bot process, opened in post_init and closed in post_shutdown."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.services.access import AccessPolicy
from bot.services.sending import SendService
from bot.store import Store
from config import Settings
from sms_core import SmsGateway

if TYPE_CHECKING:
    from telegram.ext import CallbackContext

log = logging.getLogger(__name__)

SANDBOX_USERNAME = "demo"
SANDBOX_PASSWORD = "sandbox-password"


@dataclass
class Services:
    settings: Settings
    store: Store
    gateway: SmsGateway
    sending: SendService
    access: AccessPolicy
    sandbox: Any = None  # sms_core.sandbox.SandboxServer when SMSBOT_GATEWAY_URL=sandbox
    extras: dict[str, Any] = field(default_factory=dict)  # web server, forwarder state, ...

    async def close(self) -> None:
        for closer in (self.gateway.__aexit__(None, None, None), self.store.close()):
            with contextlib.suppress(Exception):
                await closer
        if self.sandbox is not None:
            with contextlib.suppress(Exception):
                self.sandbox.stop()


def gateway_from_settings(settings: Settings) -> tuple[SmsGateway, Any]:
    """The gateway client, starting the built-in sandbox when the URL is the word `sandbox`."""
    sandbox = None
    url = settings.gateway_url
    username = settings.gateway_username
    password = settings.gateway_password.get_secret_value() if settings.gateway_password else None
    if settings.uses_sandbox:
        from sms_core.sandbox import SandboxGateway, SandboxServer

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


async def open_services(settings: Settings, *, exclusive: bool = True) -> Services:
    store = Store(settings.database_path, exclusive=exclusive)
    await store.open()
    try:
        gateway, sandbox = gateway_from_settings(settings)
    except Exception:
        await store.close()
        raise
    await gateway.__aenter__()
    sending = SendService(store, gateway, encoding=settings.gateway_encoding, segment_size=settings.segment_size)
    return Services(settings, store, gateway, sending, AccessPolicy.from_settings(settings), sandbox)


def services_of(context: CallbackContext[Any, Any, Any, Any]) -> Services:
    return context.application.bot_data["services"]
