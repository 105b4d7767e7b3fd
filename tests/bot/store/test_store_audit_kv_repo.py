"""AuditRepo and KvRepo: the audit log on one line per row, and small named facts."""

from __future__ import annotations

from bot.store import Store


async def test_audit_rows_come_back_newest_first_and_by_kind(store: Store) -> None:
    await store.audit_log.record("send", 1, 2, "first")
    await store.audit_log.record("denied", 3)
    await store.audit_log.record("send", detail="second")
    assert [r.detail for r in await store.audit_log.recent("send")] == ["second", "first"]
    [newest] = await store.audit_log.recent(limit=1)
    assert newest.detail == "second"
    denied = (await store.audit_log.recent("denied"))[0]
    assert (denied.chat_id, denied.user_id, denied.detail) == (3, None, None)


async def test_an_audit_row_is_one_line_without_the_gateway_password(store: Store) -> None:
    await store.audit_log.record("web\nforged", detail="GET /x?us_pwd=Hunter2-secret\nkind=forged")
    [row] = await store.audit_log.recent()
    assert "\n" not in row.kind and "\n" not in (row.detail or "")
    assert "Hunter2-secret" not in (row.detail or "") and "us_pwd=***" in (row.detail or "")


async def test_a_fact_is_kept_replaced_and_forgotten(store: Store) -> None:
    assert await store.kv.get("offset") is None
    await store.kv.set("offset", "1")
    await store.kv.set("offset", "2")
    assert await store.kv.get("offset") == "2"
    await store.kv.set("offset", None)
    assert await store.kv.get("offset") is None
