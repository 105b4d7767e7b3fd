"""TopicsRepo: one forum topic per phone, and the Telegram messages that speak for a phone."""

from __future__ import annotations

from bot.store import Store, Topic

INBOX = -100123


async def test_a_phone_has_one_topic_per_chat_and_the_topic_names_the_phone(store: Store) -> None:
    await store.topics.set("13800138000", INBOX, 7, "Alice")
    assert await store.topics.get("13800138000", INBOX) == Topic("13800138000", INBOX, 7, "Alice")
    assert await store.topics.get("13800138000", -1) is None
    assert await store.topics.phone_for_topic(INBOX, 7) == "13800138000"
    await store.topics.set("13800138000", INBOX, 9, "Alice (new)")  # the phone moved to a new topic
    assert await store.topics.phone_for_topic(INBOX, 7) is None
    assert (await store.topics.get("13800138000", INBOX)).topic_id == 9


async def test_a_topic_given_to_another_phone_no_longer_names_the_first(store: Store) -> None:
    await store.topics.set("13800138000", INBOX, 7, "Alice")
    await store.topics.set("13900139000", INBOX, 7, "Bob")
    assert await store.topics.phone_for_topic(INBOX, 7) == "13900139000"
    assert await store.topics.get("13800138000", INBOX) is None


async def test_dropping_a_gone_topic_keeps_a_newer_one(store: Store) -> None:
    await store.topics.set("13800138000", INBOX, 9, "Alice")
    await store.topics.drop("13800138000", 7)  # an older topic Telegram says is gone
    assert (await store.topics.get("13800138000", INBOX)).topic_id == 9
    await store.topics.drop("13800138000", 9)
    assert await store.topics.get("13800138000", INBOX) is None


async def test_a_message_speaks_for_the_phone_it_was_last_linked_to(store: Store) -> None:
    assert await store.topics.phone_for_message(INBOX, 50) is None
    await store.topics.link_message(INBOX, 50, "13800138000")
    await store.topics.link_message(INBOX, 50, "13900139000")
    assert await store.topics.phone_for_message(INBOX, 50) == "13900139000"
    assert await store.topics.phone_for_message(-1, 50) is None
