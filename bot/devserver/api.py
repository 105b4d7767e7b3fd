"""One bot's Bot API without the transport: answers a call from the dispatch table,
applies injected faults and delays, logs every answer (and lets tests wait on it),
and serves the halves of getUpdates that the HTTP server's long poll needs."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from .calllog import Call, CallLog
from .errors import ApiError
from .faults import FaultPlan
from .limits import Limit
from .methods import canonical, find_handler
from .shapes import bot_user_json
from .state import State

__all__ = ["DEFAULT_TOKEN", "BotApi"]

DEFAULT_TOKEN = "123456:TEST-token-not-real"
T = TypeVar("T")


class BotApi:
    """Everything a Bot API server knows about one bot, answering like Telegram does.

    Thread-safe: the HTTP layer calls ``dispatch`` and ``record`` from its own thread.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "smsbot_test_bot",
        bot_first_name: str = "smsbot",
        privacy_mode: bool = True,
        group_limit: Limit | None = (20, 60.0),
        overall_limit: Limit | None = (30, 1.0),
        strict_ampersand: bool = True,
    ) -> None:
        self._state = State(
            token,
            bot_username=bot_username,
            bot_first_name=bot_first_name,
            privacy_mode=privacy_mode,
            group_limit=group_limit,
            overall_limit=overall_limit,
            strict_ampersand=strict_ampersand,
        )
        self._faults = FaultPlan(self._state.lock)
        self._log = CallLog(self._state.lock)

    def reset(self) -> None:
        """Forget chats, users, messages, updates, calls, faults and settings (not the token).

        update_id keeps counting up, so a bot still polling with an old offset sees new
        updates: a session-wide server can be reset between tests.
        """
        with self._state.lock:
            self._state.clear()
            self._log.clear()
            self._faults.clear()
            self._state.changed()

    # ------------------------------------------------------------------ identity and settings

    @property
    def token(self) -> str:
        """The only token this server accepts; others get 401."""
        return self._state.token

    @token.setter
    def token(self, value: str) -> None:
        self._state.token = value

    @property
    def bot_id(self) -> int:
        """The bot's user id: the digits of the token before ":"."""
        return self._state.bot_id

    @bot_id.setter
    def bot_id(self, value: int) -> None:
        self._state.bot_id = value

    @property
    def bot_username(self) -> str:
        """The bot's @username, without the @."""
        return self._state.bot_username

    @bot_username.setter
    def bot_username(self, value: str) -> None:
        self._state.bot_username = value

    @property
    def bot_first_name(self) -> str:
        """The bot's display name."""
        return self._state.bot_first_name

    @bot_first_name.setter
    def bot_first_name(self, value: str) -> None:
        self._state.bot_first_name = value

    @property
    def privacy_mode(self) -> bool:
        """In groups where it is no admin, the bot sees commands, mentions and replies to it."""
        return self._state.privacy_mode

    @privacy_mode.setter
    def privacy_mode(self, value: bool) -> None:
        self._state.privacy_mode = value

    @property
    def strict_ampersand(self) -> bool:
        """Refuse an ``&`` that starts no entity (Telegram keeps it; see markup.py)."""
        return self._state.strict_ampersand

    @strict_ampersand.setter
    def strict_ampersand(self, value: bool) -> None:
        self._state.strict_ampersand = value

    @property
    def group_limit(self) -> Limit | None:
        """(messages, seconds) into one group or supergroup; None turns the limit off."""
        return self._state.limits.group_limit

    @group_limit.setter
    def group_limit(self, value: Limit | None) -> None:
        self._state.limits.group_limit = value

    @property
    def overall_limit(self) -> Limit | None:
        """(messages, seconds) over all chats; None turns the limit off."""
        return self._state.limits.overall_limit

    @overall_limit.setter
    def overall_limit(self, value: Limit | None) -> None:
        self._state.limits.overall_limit = value

    def bot_user(self) -> dict[str, Any]:
        """The bot's User object, as getMe answers it."""
        return bot_user_json(self._state)

    # ------------------------------------------------------------------ answering calls

    def dispatch(self, method: str, params: dict[str, Any]) -> Any:
        """Answer one Bot API call (not getUpdates' waiting part); raises ApiError."""
        handler = find_handler(method)
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        with self._state.lock:
            result = handler(self._state, params)
            self._state.changed()
            return result

    def record(
        self,
        method: str,
        params: dict[str, Any],
        status: int,
        description: str | None = None,
        result: Any = None,
    ) -> Call:
        """Log a call as answered and tell waiters and subscribers."""
        call = Call(
            method=canonical(method),
            params=params,
            status=status,
            at=time.time(),
            description=description,
            result=copy.deepcopy(result),
        )
        with self._state.lock:
            subscribers = self._log.append(call)
            self._state.changed()
        CallLog.notify(subscribers, call)
        return call

    def take_fault(self, method: str) -> ApiError | None:
        """The injected failure for this call, if one is pending."""
        return self._faults.take_fault(canonical(method))

    def take_delay(self, method: str) -> float:
        """Seconds to hold this call's answer (0 when none is pending)."""
        return self._faults.take_delay(canonical(method))

    # ------------------------------------------------------------------ the log and waiting

    def calls(self, method: str | None = None) -> list[Call]:
        """Every call so far (or those of one method), oldest first."""
        return self._log.calls(canonical(method) if method is not None else None)

    def count_429(self) -> int:
        """How many calls were answered 429, rate limits and injected faults alike."""
        return self._log.count_429()

    def describe_calls(self, last: int = 15) -> str:
        """The last calls, one a line, for failure messages."""
        return self._log.describe(last)

    def subscribe(self, callback: Callable[[Call], None]) -> Callable[[], None]:
        """Call ``callback(call)`` (from the server thread) after every bot call; returns an unsubscribe."""
        return self._log.subscribe(callback)

    def wait_for(self, predicate: Callable[[], T], timeout: float = 10.0) -> T:
        """Block until ``predicate()`` is truthy and return it; re-checked on every change."""
        deadline = time.monotonic() + timeout
        while True:
            generation = self._state.generation
            result = predicate()
            if result:
                return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(self._timeout_message(predicate, timeout))
            self._state.wait_changed(generation, min(remaining, 0.5))

    async def await_for(
        self,
        predicate: Callable[[], T],
        timeout: float = 10.0,  # noqa: ASYNC109 - mirrors wait_for on purpose
    ) -> T:
        """Like ``wait_for`` without blocking the event loop (polls every 10 ms)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if loop.time() >= deadline:
                raise TimeoutError(self._timeout_message(predicate, timeout))
            await asyncio.sleep(0.01)

    def _timeout_message(self, predicate: Callable[[], Any], timeout: float) -> str:
        name = getattr(predicate, "__qualname__", repr(predicate))
        return f"condition {name} not met within {timeout}s; last calls:\n{self.describe_calls()}"

    # ------------------------------------------------------------------ getUpdates
    # getUpdates is answered in two halves: the server waits, this part reads the queue.

    def begin_poll(self, waker: Callable[[], None]) -> int:
        """Start a getUpdates: supersedes the previous one (which then answers 409)."""
        return self._state.updates.begin_poll(waker)

    def end_poll(self, waker: Callable[[], None]) -> None:
        """Stop waking a finished getUpdates."""
        self._state.updates.end_poll(waker)

    def poll_superseded(self, seq: int) -> bool:
        """True when a newer getUpdates started after the one numbered ``seq``."""
        return self._state.updates.superseded(seq)

    def waiting_polls(self) -> int:
        """How many getUpdates are waiting right now (they are logged only when answered)."""
        return self._state.updates.waiting()

    @property
    def closing(self) -> bool:
        """True while the server shuts down: waiting getUpdates answer at once."""
        return self._state.updates.closing

    def take_updates(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Confirm updates below ``offset`` and return the next ``limit`` ones."""
        return self._state.updates.take(params)
