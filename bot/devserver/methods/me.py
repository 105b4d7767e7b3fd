"""The bot itself: getMe, logOut/close, its command lists per scope and its descriptions."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from typing import Any

from ..errors import bad
from ..shapes import bot_user_json
from ..state import State

__all__ = ["HANDLERS", "commands_key"]

_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")


def commands_key(scope: Any, language_code: Any) -> tuple[str, str]:
    """Where a command list is kept: its scope (JSON, "default" when none) and language."""
    scope_key = json.dumps(scope, sort_keys=True) if scope else "default"
    return scope_key, language_code or ""


def get_me(state: State, params: Mapping[str, Any]) -> Any:
    return bot_user_json(state)


def accept(state: State, params: Mapping[str, Any]) -> Any:
    """Methods the double only acknowledges."""
    return True


def set_my_commands(state: State, params: Mapping[str, Any]) -> Any:
    commands = params.get("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad("can't parse commands JSON object")
    clean = []
    for command in commands:
        if not isinstance(command, dict):
            raise bad("can't parse BotCommand")
        name = str(command.get("command", ""))
        description = str(command.get("description", ""))
        if not _COMMAND_RE.fullmatch(name):
            raise bad("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
        clean.append({"command": name, "description": description})
    state.commands[commands_key(params.get("scope"), params.get("language_code"))] = clean
    return True


def get_my_commands(state: State, params: Mapping[str, Any]) -> Any:
    key = commands_key(params.get("scope"), params.get("language_code"))
    return copy.deepcopy(state.commands.get(key, []))


def delete_my_commands(state: State, params: Mapping[str, Any]) -> Any:
    state.commands.pop(commands_key(params.get("scope"), params.get("language_code")), None)
    return True


HANDLERS = {
    "getMe": get_me,
    "logOut": accept,
    "close": accept,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "setMyDescription": accept,
    "setMyShortDescription": accept,
}
