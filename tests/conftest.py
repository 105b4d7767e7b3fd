"""Shared fixtures. One section per area; keep sections independent."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from sms_core import SmsGateway
from sms_core.sandbox import SandboxGateway, SandboxServer

# the bot harness (real Application + Bot API double + sandbox): fixtures `harness`, `make_harness`
pytest_plugins = ["harness"]

# --- sandbox gateway (sms_core.sandbox) ------------------------------------------
#
# One SandboxServer (real HTTP on 127.0.0.1, its own thread) for the whole session;
# `sandbox` hands it out with its gateway reset to the settings below, so each test
# starts from an empty gateway. Change settings in a test with
# `sandbox.gateway.configure(...)`; they are undone by the next reset.

SANDBOX_USERNAME = "demo"
SANDBOX_PASSWORD = "sandbox-pw-S3CRET-42"
"""Distinctive on purpose: tests search logs and error texts for it."""


@pytest.fixture(scope="session")
def _sandbox_server() -> Iterator[SandboxServer]:
    gateway = SandboxGateway(username=SANDBOX_USERNAME, password=SANDBOX_PASSWORD,
                             report_delay=0.0)
    with SandboxServer(gateway) as server:
        yield server


@pytest.fixture
def sandbox(_sandbox_server: SandboxServer) -> Iterator[SandboxServer]:
    """The sandbox gateway server, reset: account demo / SANDBOX_PASSWORD, balance 10000,
    reports due at once (report_delay=0)."""
    _sandbox_server.gateway.reset()
    yield _sandbox_server
    _sandbox_server.gateway.clear_faults()


@pytest.fixture
def sandbox_gateway(sandbox: SandboxServer) -> SandboxGateway:
    """The state behind `sandbox`: control API and logs."""
    return sandbox.gateway


@pytest.fixture
async def sms_gateway(sandbox: SandboxServer) -> AsyncIterator[SmsGateway]:
    """An SmsGateway on the sandbox: short backoff; a timeout long enough for a busy CI box."""
    async with SmsGateway(sandbox.url, SANDBOX_USERNAME, SANDBOX_PASSWORD,
                          timeout=3.0, backoff=0.01) as gateway:
        yield gateway


# --- end of sandbox section ------------------------------------------------------------
