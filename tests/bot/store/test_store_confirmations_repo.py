"""ConfirmationsRepo and ClaimsRepo: what is acted on once, however often Telegram asks."""

from __future__ import annotations

import sqlite3

import pytest

from bot.store import Confirmation, IntegrityError, Store, StoreError


async def test_a_confirmation_is_open_until_closed_once(store: Store) -> None:
    await store.confirmations.add("tok", 1, 2, '{"n": 1}')
    await store.confirmations.set_message("tok", 99)
    got = await store.confirmations.get("tok")
    assert got is not None
    assert (got.chat_id, got.user_id, got.message_id, got.payload, got.state) == (1, 2, 99, '{"n": 1}', "open")
    assert await store.confirmations.close("tok", "confirmed") is True
    assert await store.confirmations.close("tok", "cancelled") is False  # the double click
    assert (await store.confirmations.get("tok")).state == "confirmed"
    assert await store.confirmations.get("nope") is None


async def test_only_open_confirmations_older_than_the_limit_expire(store: Store) -> None:
    await store.confirmations.add("old", 1, 2, "{}")
    await store.confirmations.add("closed", 1, 2, "{}")
    await store.confirmations.close("closed", "cancelled")
    created = (await store.confirmations.get("old")).created_at
    assert await store.confirmations.expired(created) == []
    [expired] = await store.confirmations.expired(created + 1)
    assert isinstance(expired, Confirmation) and expired.token == "old"


async def test_a_token_used_twice_is_a_store_error_not_a_driver_one(store: Store) -> None:
    await store.confirmations.add("tok", 1, 2, "{}")
    with pytest.raises(IntegrityError) as caught:
        await store.confirmations.add("tok", 3, 4, "{}")
    assert isinstance(caught.value, StoreError) and not isinstance(caught.value, sqlite3.Error)
    assert (await store.confirmations.get("tok")).chat_id == 1  # the failed add changed nothing


async def test_a_telegram_message_is_claimed_once(store: Store) -> None:
    assert await store.claims.claim_message(1, 10) is True
    assert await store.claims.claim_message(1, 10) is False
    assert await store.claims.claim_message(2, 10) is True
