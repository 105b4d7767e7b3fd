"""The pure parsing of /sms, /contact and /group."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.commands import CommandSyntaxError, parse_contact, parse_group, parse_sms

CONTACTS = {"alice", "bob"}


def known(name: str) -> bool:
    return name.lower() in CONTACTS


def test_numbers_then_text():
    cmd = parse_sms("13800138000 Server is back", known)
    assert cmd.targets == ("13800138000",)
    assert cmd.text == "Server is back"


def test_comma_and_space_separated_targets_with_contacts_and_groups():
    cmd = parse_sms("13800138000, alice,@oncall bob hello there", known)
    assert cmd.targets == ("13800138000", "alice", "@oncall", "bob")
    assert cmd.text == "hello there"


def test_multiline_text_is_kept():
    cmd = parse_sms("alice line one\nline two\n\nline four", known)
    assert cmd.text == "line one\nline two\n\nline four"


def test_first_word_is_always_a_target_so_unknown_names_are_reported():
    cmd = parse_sms("carol hello", known)
    assert cmd.targets == ("carol",)
    assert cmd.text == "hello"


def test_targets_only_leaves_text_empty_for_reply_form():
    assert parse_sms("alice,bob", known).text == ""


def test_empty_arguments_ask_for_usage():
    with pytest.raises(CommandSyntaxError) as err:
        parse_sms("   ", known)
    assert err.value.reason == "sms_usage"


def test_schedule_prefix():
    cmd = parse_sms("at 2031-05-06 07:08 alice wake up", known)
    assert cmd.at is not None and (cmd.at.year, cmd.at.hour, cmd.at.minute) == (2031, 7, 8)
    assert cmd.targets == ("alice",) and cmd.text == "wake up"


def test_word_that_is_not_a_target_starts_the_text():
    cmd = parse_sms("alice bob says hi alice", known)
    assert cmd.targets == ("alice", "bob")
    assert cmd.text == "says hi alice"


@given(st.text(max_size=200))
def test_any_input_parses_or_raises_a_syntax_error(args):
    try:
        cmd = parse_sms(args, known)
    except CommandSyntaxError:
        return
    except ValueError:  # a bad schedule is an InvalidSchedule (a ValueError with a message)
        return
    assert cmd.targets


def test_contact_add_and_del():
    assert parse_contact(["add", "alice", "138", "0013", "8000"]).number == "13800138000"
    assert parse_contact(["del", "alice"]).action == "del"
    for bad in ([], ["add", "alice"], ["frob"], ["del"]):
        with pytest.raises(CommandSyntaxError):
            parse_contact(bad)


def test_contact_name_cannot_be_a_number_or_group():
    for name in ("13800138000", "@ops", "a,b"):
        with pytest.raises(CommandSyntaxError) as err:
            parse_contact(["add", name, "13800138000"])
        assert err.value.reason == "bad_name"


def test_group_members_split_on_commas_and_spaces():
    cmd = parse_group(["add", "oncall", "alice,bob", "13900139000"])
    assert cmd.members == ("alice", "bob", "13900139000")
    assert parse_group(["add", "@oncall", "alice"]).name == "oncall"
    with pytest.raises(CommandSyntaxError):
        parse_group(["add", "oncall"])


def test_later_words_that_are_no_phone_number_start_the_text():
    for text in ("502 errors on the api", "2026-12-01 maintenance", "110 called us", "3 servers down",
                 "100% cpu", "(555) down", "13:45 restart"):
        cmd = parse_sms(f"13800138000 {text}", known)
        assert cmd.targets == ("13800138000",) and cmd.text == text


def test_a_later_word_that_can_only_be_a_number_stays_a_target():
    cmd = parse_sms("13800138000 1380013800 hi", known)  # a digit short: refused later, not texted
    assert cmd.targets == ("13800138000", "1380013800") and cmd.later == ("1380013800",)
    assert parse_sms("13800138000 075580808080 called", known).targets[1] == "075580808080"


def test_a_line_break_ends_the_targets():
    cmd = parse_sms("alice\n1380013800 is the new number\nsecond line", known)
    assert cmd.targets == ("alice",) and cmd.text == "1380013800 is the new number\nsecond line"


def test_a_word_holding_a_separator_is_a_list_when_a_part_is_a_target():
    for sep in (",", "，", "、", ";"):
        cmd = parse_sms(f"alice bob{sep}carol Deploy now", known)
        assert cmd.targets == ("alice", "bob", "carol") and cmd.text == "Deploy now"
    assert parse_sms("alice Hello, world", known).text == "Hello, world"
    assert parse_sms("alice 服务器已恢复，请检查", known).text == "服务器已恢复，请检查"


def test_at_without_a_time_that_parses_asks_for_the_format():
    for args in ("at 2026/12/01 09:00 13800138000 hi", "at tomorrow 13800138000 hi", "AT noon alice hi"):
        with pytest.raises(CommandSyntaxError) as err:
            parse_sms(args, known)
        assert err.value.reason == "sms_at_usage"
    # a contact called "at" is still a contact
    assert parse_sms("at hello", lambda name: name == "at").targets == ("at",)
