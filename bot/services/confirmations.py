"""Sends above the cost threshold wait for a click: ask, confirm or cancel, expire.

A question is a row in the store holding the prepared send; only the person who
asked may answer it, within CONFIRM_TTL; the store decides each question once
(a double click, or a click racing the expiry job, sends nothing twice). A
click Telegram calls too old still counts: what the store says is what happens.

The question shows the balance (`funds`): a send that costs more than the balance is
refused at once, since asking would only lead to the gateway's -9. The gateway stays
the final word: a balance that cannot be read is said and the question still asked,
and a scheduled send is asked with a warning (the account may be topped up before its
time). Below the threshold no balance is read.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.i18n import Translator
from bot.services.balance import BalanceWatch
from bot.services.sending import Origin, PreparedSend
from bot.store import Store
from sms_core.errors import GatewayError

log = logging.getLogger(__name__)

CONFIRM_TTL = 600.0
"""Seconds a question can be answered (the catalogue says "10 minutes")."""


@dataclass(frozen=True, slots=True)
class Question:
    """A send waiting for its click: the send, and who asked, in their language."""

    prepared: PreparedSend
    origin: Origin

    def to_json(self) -> str:
        o = self.origin
        return json.dumps({**self.prepared.to_json(), "origin": o.kind, "lang": o.lang,
                           "user_name": o.user_name, "topic": o.status_topic_id})

    @classmethod
    def from_json(cls, payload: str, chat_id: int, user_id: int) -> Question:
        data: dict[str, Any] = json.loads(payload)
        origin = Origin(data.get("origin", "command"), chat_id, user_id, data.get("user_name"),
                        lang=data.get("lang", "en"), status_chat_id=chat_id, status_topic_id=data.get("topic"))
        return cls(PreparedSend.from_json(data), origin)


@dataclass(frozen=True, slots=True)
class Funds:
    """What the balance says of a send about to be asked."""

    cost: int
    balance: int | None
    """None: it could not be read (`error` says why)."""
    scheduled: bool = False
    error: GatewayError | None = None

    @property
    def short(self) -> bool:
        """The send costs more than the balance."""
        return self.balance is not None and self.cost > self.balance

    @property
    def refused(self) -> bool:
        """Refused at once, not asked: short now, and not scheduled for later."""
        return self.short and not self.scheduled


Verdict = Literal["confirmed", "cancelled", "expired", "gone", "not_yours"]


@dataclass(frozen=True, slots=True)
class Answer:
    """What a click decided. `closed`: this click closed the question (its text should say how);
    `question`: the send to make, when confirmed."""

    verdict: Verdict
    closed: bool = False
    question: Question | None = None
    message_id: int | None = None


class Confirmations:
    def __init__(self, store: Store, threshold: int, balance: BalanceWatch, *, ttl: float = CONFIRM_TTL,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.threshold = threshold
        self.balance = balance
        self.ttl = ttl
        self.clock = clock

    def needed(self, prepared: PreparedSend) -> bool:
        """A send costing more messages than SMSBOT_CONFIRM_THRESHOLD asks first."""
        return prepared.cost > self.threshold

    async def funds(self, prepared: PreparedSend) -> Funds:
        """The balance against the send's cost, read when the question is about to be asked."""
        scheduled = prepared.at is not None
        try:
            balance = await self.balance.current()
        except GatewayError as exc:
            log.warning("the balance for a confirm question could not be read: %s", exc)
            return Funds(prepared.cost, None, scheduled, exc)
        return Funds(prepared.cost, balance, scheduled)

    async def ask(self, prepared: PreparedSend, origin: Origin) -> str:
        """Keep the send until the click; returns the question's token (the buttons carry it)."""
        assert origin.chat_id is not None and origin.user_id is not None
        token = secrets.token_urlsafe(9)
        await self.store.confirmations.add(token, origin.chat_id, origin.user_id,
                                          Question(prepared, origin).to_json())
        return token

    async def asked_in(self, token: str, message_id: int) -> None:
        """The message that shows the question: the expiry edits it."""
        await self.store.confirmations.set_message(token, message_id)

    async def answer(self, token: str, user_id: int, *, confirm: bool) -> Answer:
        conf = await self.store.confirmations.get(token)
        if conf is None or conf.state != "open":
            return Answer("gone")
        if user_id != conf.user_id:
            await self.store.audit_log.record("confirm_refused", conf.chat_id, user_id, token)
            return Answer("not_yours")
        if self.clock() - conf.created_at > self.ttl:
            return Answer("expired", await self.store.confirmations.close(token, "expired"))
        if not confirm:
            return Answer("cancelled", await self.store.confirmations.close(token, "cancelled"))
        if not await self.store.confirmations.close(token, "confirmed"):
            return Answer("gone")
        question = Question.from_json(conf.payload, conf.chat_id, conf.user_id)
        return Answer("confirmed", True, question, conf.message_id)

    async def expire(self, bot: Bot) -> int:
        """Questions older than the TTL are closed and say so; returns how many."""
        closed = 0
        for conf in await self.store.confirmations.expired(self.clock() - self.ttl):
            if not await self.store.confirmations.close(conf.token, "expired"):
                continue
            closed += 1
            lang = json.loads(conf.payload).get("lang", "en")
            if conf.message_id:
                try:
                    await bot.edit_message_text(Translator(lang)("confirm_expired"), conf.chat_id,
                                                conf.message_id, parse_mode=ParseMode.HTML)
                except TelegramError as exc:
                    log.info("could not mark confirmation %s expired: %s", conf.token, exc)
        return closed


def with_topic(question: Question, topic_id: int | None) -> Question:
    """The question's send, its status owed in `topic_id` (a question kept without one)."""
    if question.origin.status_topic_id is not None:
        return question
    return replace(question, origin=replace(question.origin, status_topic_id=topic_id))
