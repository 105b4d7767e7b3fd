"""A store an older smsbot left is brought forward: its rows kept, and read as they were meant."""

from __future__ import annotations

from pathlib import Path

from harness import store_at_schema

from bot.i18n import Translator
from bot.services.status_text import render_status
from bot.store import SCHEMA_VERSION, Store
from bot.store.schema import MIGRATIONS

REASON_CODES = next(n for n, script in enumerate(MIGRATIONS, 1) if "kind_codes" in script)
"""The number of the migration that turns stored class names into reason codes."""


async def test_a_store_of_the_first_schema_is_migrated_forward(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    store_at_schema(path, 1, "INSERT INTO sends(created_at, origin, text, segments) VALUES (1, 'command', 'old', 1)")
    async with Store(path) as store:
        assert await store.schema_version() == SCHEMA_VERSION
        old = await store.sends.get(1)
        assert old.text == "old" and old.error_kind is None


def _old_store(path: Path) -> None:
    """Sends as the smsbot before reason codes kept them: the class of the error as its kind."""
    store_at_schema(
        path, REASON_CODES - 1,
        "INSERT INTO sends(id, created_at, origin, text, segments, state, error, error_kind, error_arg) VALUES "
        "(1, 1, 'command', 'a', 1, 'refused', 'ForbiddenWord (-3): the gateway refused the word 发票', "
        "'ForbiddenWord', '发票'), "
        "(2, 1, 'command', 'b', 1, 'partial', 'InsufficientBalance (-9): too low', 'InsufficientBalance', NULL), "
        "(3, 1, 'command', 'c', 1, 'failed', 'GatewayBusy (-99): busy', 'GatewayBusy', NULL), "
        "(4, 1, 'command', 'd', 1, 'unknown', 'timeout: no answer', 'http_status', '502'), "
        "(5, 1, 'command', 'e', 1, 'refused', 'SomethingNew: the gateway said no', 'SomethingNew', NULL)",
        "UPDATE sends SET accepted = 1 WHERE id = 2",
        "INSERT INTO recipients(send_id, phone, chunk, state, reason, reason_arg) VALUES "
        "(1, '13800000001', 0, 'refused', 'ForbiddenWord', '发票'), "
        "(2, '13800000002', 0, 'accepted', NULL, NULL), "
        "(2, '13800000003', 1, 'refused', 'InsufficientBalance', NULL), "
        "(3, '13800000004', 0, 'failed', 'GatewayBusy', NULL), "
        "(4, '13800000005', 0, 'unknown', 'http_status', '502'), "
        "(5, '13800000006', 0, 'refused', 'SomethingNew', NULL)",
    )


async def test_class_names_stored_before_become_reason_codes(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    _old_store(path)
    async with Store(path) as store:
        assert await store.schema_version() == SCHEMA_VERSION
        kinds = {i: ((s := await store.sends.get(i)).error_kind, s.error_arg,
                     sorted((g.state, g.reason, g.arg) for g in s.outcomes)) for i in range(1, 6)}
    assert kinds == {
        1: ("forbidden_word", "发票", [("refused", "forbidden_word", "发票")]),
        2: ("insufficient_balance", None, [("refused", "insufficient_balance", None)]),
        3: ("busy", None, [("failed", "busy", None)]),
        4: ("http_status", "502", [("unknown", "http_status", "502")]),  # a code already: as it was
        5: ("SomethingNew", None, [("refused", "SomethingNew", None)]),  # no code known: kept, not lost
    }


async def test_an_old_send_still_reads_right_in_both_languages(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    _old_store(path)
    async with Store(path) as store:
        sends = {i: await store.sends.get(i) for i in range(1, 6)}
    en, zh = Translator("en"), Translator("zh")
    assert render_status(sends[1], en) == (
        "✗ The gateway refused the send: the gateway refused the word 发票: rephrase the text")
    assert "网关拒绝了敏感词“发票”" in render_status(sends[1], zh)
    assert "Not sent to 1 number: the account's balance is too low: top it up." in render_status(sends[2], en)
    assert "账户余额不足" in render_status(sends[2], zh)
    assert render_status(sends[3], en) == "✗ Not sent: the gateway is busy. Nothing was charged; try again later."
    assert "网关繁忙" in render_status(sends[3], zh)
    assert "the gateway answered HTTP 502" in render_status(sends[4], en)
    assert "网关返回了 HTTP 502" in render_status(sends[4], zh)
    assert "SomethingNew: the gateway said no" in render_status(sends[5], zh)  # its own words, not a blank
