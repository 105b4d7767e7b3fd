"""The directions of imports ([tool.importlinter] in pyproject.toml) hold, and lint-imports
would catch a wrong one: the same run on a copy of the tree with a handler importing a job fails."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports on the packages of `tree`, with its pyproject.toml's contracts."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=tree, env=env, capture_output=True,
                          text=True, timeout=120)


def copy_of_the_tree(to: Path) -> Path:
    for package in ("bot", "sms_core", "config"):
        shutil.copytree(ROOT / package, to / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", to / "pyproject.toml")
    return to


def test_the_tree_keeps_every_import_contract() -> None:
    run = lint_imports(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


def test_a_handler_importing_a_job_fails_the_check(tmp_path: Path) -> None:
    tree = copy_of_the_tree(tmp_path)
    handler = tree / "bot" / "handlers" / "balance.py"
    handler.write_text(handler.read_text() + "\nfrom bot.jobs.balance import check_balance  # noqa: E402\n")
    run = lint_imports(tree)
    assert run.returncode != 0
    assert "Handlers and jobs never import each other BROKEN" in run.stdout
    assert "bot.handlers.balance -> bot.jobs.balance" in run.stdout


def test_the_store_importing_telegram_fails_the_check(tmp_path: Path) -> None:
    tree = copy_of_the_tree(tmp_path)
    models = tree / "bot" / "store" / "models.py"
    models.write_text(models.read_text() + "\nimport telegram  # noqa: E402\n")
    run = lint_imports(tree)
    assert run.returncode != 0
    assert "The store knows no Telegram, no handler, no job, no service BROKEN" in run.stdout
