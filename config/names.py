"""SMSBOT_* variables that are no setting: a typo (`SMSBOT_WEBHOK_TOKEN`) would otherwise be
ignored in silence and leave, say, the alerts webhook off. Each is named with where it was
found and the nearest real name."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from config.forms import ENV_PREFIX

ENV_FILE = Path(".env")


@dataclass(frozen=True, slots=True)
class UnknownVariable:
    name: str
    source: str  # "the environment" or the .env file's path
    suggestion: str | None

    def message(self) -> str:
        hint = (f"did you mean {self.suggestion}?" if self.suggestion
                else "smsbot has no such setting (.env.example lists them all)")
        return f"{self.name} (in {self.source}) is not a setting: {hint}"


def unknown_variables(fields: Iterable[str], environ: Mapping[str, str] | None = None,
                      env_file: Path | None = ENV_FILE) -> list[UnknownVariable]:
    """The SMSBOT_* names of the environment and of `env_file` that match none of `fields`
    (compared without regard to case, as the settings are read)."""
    known = {f"{ENV_PREFIX}{f.upper()}" for f in fields}
    found: list[tuple[str, str]] = [(n, "the environment") for n in (os.environ if environ is None else environ)]
    if env_file is not None and env_file.is_file():
        from dotenv import dotenv_values  # what pydantic-settings reads .env with

        try:
            found += [(n, str(env_file.resolve())) for n in dotenv_values(env_file)]
        except (OSError, UnicodeDecodeError):  # the settings' own error says it
            pass
    out: list[UnknownVariable] = []
    for name, source in found:
        upper = name.upper()
        if upper.startswith(ENV_PREFIX) and upper not in known:
            out.append(UnknownVariable(name, source, nearest(upper, known)))
    return out


def nearest(name: str, known: Iterable[str]) -> str | None:
    """The known name closest to `name`, compared without the shared prefix (which would make
    every pair look alike)."""
    tails = {k.removeprefix(ENV_PREFIX): k for k in known}
    match = difflib.get_close_matches(name.removeprefix(ENV_PREFIX), list(tails), n=1, cutoff=0.6)
    return tails[match[0]] if match else None
