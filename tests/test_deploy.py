"""Deploying: the settings file as `docker run --env-file` reads it, one way of passing settings
in every example, and `smsbot healthcheck` against a real /healthz on loopback.

Docker takes each KEY=VALUE line of an env file literally to the end of the line: a comment
after a value becomes part of it. `.env.example` is read here that way (docker_recipe), and
each value must be one our Settings accept, inside the image as well as outside it.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from docker_recipe import (
    DOCKERFILE,
    ROOT,
    HealthzStub,
    closed_port,
    env_file_pairs,
    read_dockerfile,
)
from dotenv import dotenv_values
from harness import Harness

from bot.healthcheck import Probe, check, healthz_url, main, probe
from config import Settings, SettingsError, load_settings
from config.settings import unknown_settings

ENV_EXAMPLE = ROOT / ".env.example"
README = ROOT / "README.md"


Env = Callable[[dict[str, str]], None]


@pytest.fixture
def only_these(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Env:
    """An environment holding exactly the SMSBOT_* variables given, in a directory without .env."""
    monkeypatch.chdir(tmp_path)

    def set_env(variables: dict[str, str]) -> None:
        for key in [k for k in os.environ if k.startswith("SMSBOT_")]:
            monkeypatch.delenv(key)
        for key, value in variables.items():
            monkeypatch.setenv(key, value)

    return set_env


# --- the env file as Docker reads it ----------------------------------------------------------------


def test_docker_keeps_an_inline_comment_in_the_value_and_settings_refuse_it(only_these: Env) -> None:
    pairs = env_file_pairs("# a comment line\n  \nSMSBOT_ALLOWED_CHAT_IDS=-1001234567890   # the team\n")
    assert pairs == [("SMSBOT_ALLOWED_CHAT_IDS", "-1001234567890   # the team")]
    only_these(dict(pairs))
    with pytest.raises(SettingsError, match=r"SMSBOT_ALLOWED_CHAT_IDS.*'#' is not a whole number"):
        load_settings()


def test_env_example_has_comments_only_on_their_own_lines() -> None:
    pairs = env_file_pairs(ENV_EXAMPLE.read_text(encoding="utf-8"))
    assert pairs, ".env.example sets nothing"
    for key, value in pairs:
        assert " #" not in value and "\t#" not in value, f"{key}: an inline comment Docker would keep: {value!r}"
        assert value == value.strip(), f"{key}: spaces around the value, which Docker keeps: {value!r}"
        assert not value.startswith(("'", '"')), f"{key}: a quoted value, which Docker versions read apart: {value!r}"
    keys = [key for key, _ in pairs]
    assert len(keys) == len(set(keys)), "a variable set twice"


def test_every_value_of_env_example_is_accepted_by_the_settings(only_these: Env) -> None:
    values = dict(env_file_pairs(ENV_EXAMPLE.read_text(encoding="utf-8")))
    assert unknown_settings(values, env_file=None) == [], "a variable that is no setting"
    only_these(values)
    settings = load_settings()
    assert set(values) == {f"SMSBOT_{name.upper()}" for name in settings.model_fields_set}


def test_pip_and_docker_read_env_example_alike() -> None:
    """`smsbot` reads .env with python-dotenv (pydantic-settings), Docker with its own parser."""
    docker = dict(env_file_pairs(ENV_EXAMPLE.read_text(encoding="utf-8")))
    assert dotenv_values(ENV_EXAMPLE) == docker


def test_in_the_image_env_example_keeps_the_store_in_the_volume_and_the_port_published(
        only_these: Env) -> None:
    """--env-file overrides the image's ENV: the example must leave its Docker values alone."""
    runtime = read_dockerfile()[1][-1]
    image_env = {k: v for k, v in runtime.env().items() if k.startswith("SMSBOT_")}
    only_these(image_env | dict(env_file_pairs(ENV_EXAMPLE.read_text(encoding="utf-8"))))
    settings = load_settings()
    assert settings.database_path == Path(image_env["SMSBOT_DATABASE_PATH"])
    assert settings.database_path.is_relative_to(Path("/data"))
    assert settings.http_listen == image_env["SMSBOT_HTTP_LISTEN"]
    port = settings.listen_host_port[1]
    assert str(port) in " ".join(runtime.all("EXPOSE")).split()
    assert healthz_url(settings) == f"http://127.0.0.1:{port}/healthz"


# --- one way of passing settings -----------------------------------------------------------------


def _code_lines(markdown: str) -> list[str]:
    lines, inside = [], False
    for line in markdown.splitlines():
        if line.strip().startswith("```"):
            inside = not inside
        elif inside:
            lines.append(line)
    return lines


def test_no_readme_env_example_has_an_inline_comment() -> None:
    env_lines = [line.strip() for line in _code_lines(README.read_text(encoding="utf-8"))
                 if re.match(r"\s*SMSBOT_[A-Z_]+=", line)]
    assert env_lines, "the README shows no .env lines"
    assert not [line for line in env_lines if "#" in line]


def test_every_docker_example_passes_settings_with_env_file_dot_env() -> None:
    readme = README.read_text(encoding="utf-8")
    for name, text in (("README.md", readme), ("Dockerfile", DOCKERFILE.read_text(encoding="utf-8"))):
        runs = [m for m in re.finditer(r"docker run\b(?:[^\n]*\\\n)*[^\n]*", text) if " smsbot" in m[0]]
        assert runs, f"{name} shows no `docker run`"
        for run in runs:
            assert re.findall(r"--env-file[ =](\S+)", run[0]) == [".env"], f"{name}: {run[0]}"
            assert not re.search(r"(?:^|\s)(?:-e|--env)[ =]", run[0]), f"{name}: {run[0]}"
    assert "cp .env.example .env && chmod 600 .env" in readme
    for compose in ROOT.glob("*compose*.y*ml"):  # settings from env files there too, never inline
        text = compose.read_text(encoding="utf-8")
        assert "env_file" in text and "SMSBOT_" not in text, compose.name


# --- smsbot healthcheck ----------------------------------------------------------------------------


@pytest.mark.parametrize(("listen", "url"), [
    ("0.0.0.0:8080", "http://127.0.0.1:8080/healthz"),
    ("0.0.0.0:9100", "http://127.0.0.1:9100/healthz"),
    ("127.0.0.1:8081", "http://127.0.0.1:8081/healthz"),
    ("[::]:8080", "http://[::1]:8080/healthz"),
    ("[::1]:8080", "http://[::1]:8080/healthz"),
    ("localhost:8080", "http://localhost:8080/healthz"),
])
def test_the_health_url_follows_smsbot_http_listen_through_loopback(listen: str, url: str) -> None:
    assert healthz_url(Settings(_env_file=None, http_listen=listen)) == url  # type: ignore[call-arg]


async def test_the_health_check_passes_on_a_running_bot_and_fails_once_it_stopped(tmp_path: Path) -> None:
    h = await Harness(tmp_path).start()
    try:
        port = h.runtime.web.port
        settings = Settings(_env_file=None, http_listen=f"0.0.0.0:{port}")  # type: ignore[call-arg]

        async def healthy() -> Probe | None:
            result = await asyncio.to_thread(check, settings)
            return result if result.healthy else None

        result = await h.eventually(healthy)  # once the first polls and Telegram calls are in
        assert result.detail == f"http://127.0.0.1:{port}/healthz answered 200"
    finally:
        await h.stop()
    result = await asyncio.to_thread(check, settings)
    assert not result.healthy and result.detail.startswith(f"no answer from http://127.0.0.1:{port}/healthz")


def test_an_unhealthy_answer_fails_and_says_why() -> None:
    with HealthzStub() as healthz:
        healthz.status, healthz.body = 503, b'{"ok": false, "problems": ["store: the disk is full"]}'
        result = probe(f"http://127.0.0.1:{healthz.port}/healthz")
    assert not result.healthy and "answered 503" in result.detail and "store: the disk is full" in result.detail


def test_the_health_check_goes_past_the_proxy_of_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The proxy variables are for the gateway: /healthz is asked directly."""
    dead_proxy = f"http://127.0.0.1:{closed_port()}"
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, dead_proxy)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    with HealthzStub() as healthz:
        assert probe(f"http://127.0.0.1:{healthz.port}/healthz").healthy


def test_the_command_reads_smsbot_http_listen_and_exits_0_or_1(
        only_these: Env, capsys: pytest.CaptureFixture[str]) -> None:
    with HealthzStub() as healthz:
        only_these({"SMSBOT_HTTP_LISTEN": f"0.0.0.0:{healthz.port}"})
        assert main() == 0
        assert capsys.readouterr().out == f"healthy: http://127.0.0.1:{healthz.port}/healthz answered 200\n"
        healthz.status = 503
        assert main() == 1
        assert capsys.readouterr().err.startswith(f"unhealthy: http://127.0.0.1:{healthz.port}/healthz answered 503")
    only_these({"SMSBOT_HTTP_LISTEN": f"0.0.0.0:{closed_port()}"})
    assert main() == 1


def test_a_wrong_setting_is_unhealthy_not_dockers_reserved_exit_2(
        only_these: Env, capsys: pytest.CaptureFixture[str]) -> None:
    only_these({"SMSBOT_HTTP_LISTEN": "0.0.0.0:8080", "SMSBOT_POLL_INTERVAL": "10s"})
    assert main() == 1
    assert "SMSBOT_POLL_INTERVAL" in capsys.readouterr().err


def test_port_0_cannot_be_checked_and_says_so(only_these: Env, capsys: pytest.CaptureFixture[str]) -> None:
    only_these({"SMSBOT_HTTP_LISTEN": "127.0.0.1:0"})
    assert main() == 1
    assert "SMSBOT_HTTP_LISTEN has port 0" in capsys.readouterr().err


def test_smsbot_healthcheck_is_a_command(only_these: Env, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main as smsbot

    with HealthzStub() as healthz:
        only_these({"SMSBOT_HTTP_LISTEN": f"0.0.0.0:{healthz.port}"})
        assert smsbot(["healthcheck"]) == 0
    assert "healthy" in capsys.readouterr().out
