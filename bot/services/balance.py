"""The account's balance, and the warning the admins get once when it runs low.

Once: a mark in the store says the warning went out, so a restart does not repeat
it; the mark goes when the balance is back above SMSBOT_LOW_BALANCE, and the next
drop warns again.
"""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.i18n import Translator
from bot.store import Store
from config import Settings
from sms_core import SmsGateway
from sms_core.errors import GatewayError

log = logging.getLogger(__name__)
WARNED_KEY = "low_balance_warned"


class BalanceWatch:
    def __init__(self, settings: Settings, store: Store, gateway: SmsGateway) -> None:
        self.settings = settings
        self.store = store
        self.gateway = gateway

    async def current(self) -> int:
        """The balance now (raises GatewayError)."""
        return await self.gateway.balance()

    async def check(self, bot: Bot) -> None:
        """Warn the admins once when the balance drops below the threshold; re-arm when it recovers."""
        settings = self.settings
        try:
            balance = await self.gateway.balance()
        except GatewayError as exc:
            log.warning("balance check failed: %s", exc)
            return
        warned = await self.store.kv.get(WARNED_KEY) == "1"
        if balance >= settings.low_balance:
            if warned:
                await self.store.kv.set(WARNED_KEY, None)
            return
        if warned:
            return
        text = Translator(settings.language or "en")("low_balance", balance=balance,
                                                       threshold=settings.low_balance)
        delivered = False
        for admin in settings.admin_user_ids:
            try:
                await bot.send_message(admin, text, parse_mode=ParseMode.HTML)
                delivered = True
            except TelegramError as exc:  # the admin never started a chat with the bot
                log.warning("could not warn admin %s about the balance: %s", admin, exc)
        if delivered or not settings.admin_user_ids:
            await self.store.kv.set(WARNED_KEY, "1")
