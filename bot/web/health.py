"""GET /healthz for Docker's HEALTHCHECK: the store writes, the gateway polls, Telegram answers.

Telegram is not called on every probe: the time of the last call known to have
succeeded (services.extras["telegram_ok_at"], set at start, by alert copies and
by this probe) counts for TELEGRAM_FRESH seconds, and getMe is tried at most once
per that period.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from bot.services import Services

TELEGRAM_FRESH = 30.0
PROBE_TIMEOUT = 5.0
STORE_TIMEOUT = 5.0


class HealthChecker:
    def __init__(self, bot: Any, services: Services, *, started_at: float | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.bot = bot
        self.services = services
        self.clock = clock
        self.started_at = clock() if started_at is None else started_at
        self._probed_at = -1e18
        self._probe_error: str | None = None

    @property
    def poll_stale_after(self) -> float:
        """A poll older than this is a failing gateway (the poll job backs off up to minutes)."""
        return max(60.0, 6 * self.services.settings.poll_interval)

    async def report(self) -> tuple[bool, dict[str, Any]]:
        store = await self._store()
        poll = self._poll()
        telegram = await self._telegram()
        ok = store["ok"] and poll["ok"] and telegram["ok"]
        return ok, {"ok": ok, "store": store, "gateway_poll": poll, "telegram": telegram}

    async def _store(self) -> dict[str, Any]:
        try:
            await asyncio.wait_for(self.services.store.check_writable(), STORE_TIMEOUT)
        except Exception as exc:  # sqlite3 errors, StoreError, a timeout: all mean "cannot write"
            return {"ok": False, "writable": False, "error": f"{type(exc).__name__}: {str(exc)[:120]}"}
        return {"ok": True, "writable": True}

    def _poll(self) -> dict[str, Any]:
        now = self.clock()
        extras = self.services.extras
        last_ok = extras.get("last_poll_ok")
        error = extras.get("last_poll_error")
        if last_ok is None:
            waiting = now - self.started_at
            ok = waiting < self.poll_stale_after
            return {"ok": ok, "last_ok": None, "ago": None, "status": "not yet", "error": error,
                    **({} if ok else {"problem": f"no successful gateway poll in {waiting:.0f} s since start"})}
        ago = max(now - float(last_ok), 0.0)
        ok = ago < self.poll_stale_after
        out: dict[str, Any] = {"ok": ok, "last_ok": float(last_ok), "ago": round(ago, 1), "error": error}
        if not ok:
            out["problem"] = f"no successful gateway poll for {ago:.0f} s"
        return out

    async def _telegram(self) -> dict[str, Any]:
        now = self.clock()
        extras = self.services.extras
        ok_at = extras.get("telegram_ok_at")
        if ok_at is not None and now - ok_at < TELEGRAM_FRESH:
            return {"ok": True, "last_ok": ok_at, "ago": round(now - ok_at, 1)}
        if now - self._probed_at >= TELEGRAM_FRESH:
            self._probed_at = now
            try:
                await asyncio.wait_for(self.bot.get_me(), PROBE_TIMEOUT)
            except Exception as exc:  # the type only: never an URL (it would hold the token)
                self._probe_error = f"getMe failed ({type(exc).__name__})"
            else:
                self._probe_error = None
                ok_at = extras["telegram_ok_at"] = self.clock()
        if self._probe_error is None and ok_at is not None:
            return {"ok": True, "last_ok": ok_at, "ago": round(max(self.clock() - ok_at, 0.0), 1)}
        return {"ok": False, "last_ok": ok_at, "ago": None if ok_at is None else round(now - ok_at, 1),
                "error": self._probe_error or "no successful Telegram call yet"}
