"""Shell completions: the shipped scripts are current, and they complete choices and paths."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from devkit.cli.completion import SHELLS, completion_script

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("shell", sorted(SHELLS))
def test_shipped_completion_scripts_are_not_stale(shell):
    shipped = (ROOT / "completions" / SHELLS[shell]).read_text()
    assert shipped == completion_script(shell), (
        f"completions/{SHELLS[shell]} is stale: regenerate with `devkit completion {shell} > completions/{SHELLS[shell]}`")


def complete(words: str, cwd: Path | None = None) -> list[str]:
    parts = words.split(" ")
    env = dict(os.environ, _DEVKIT_COMPLETE="bash_complete", COMP_WORDS=words, COMP_CWORD=str(len(parts) - 1))
    out = subprocess.run([sys.executable, "-m", "devkit"], env=env, capture_output=True, text=True, cwd=cwd,
                         timeout=60)
    return [line.split(",", 1)[1] for line in out.stdout.splitlines() if "," in line]


def test_choices_complete():
    assert {"bash", "zsh", "fish"} == set(complete("devkit completion "))
    assert {"dictconfig", "ini", "gunicorn"} <= set(complete("devkit gen logging --style "))
    assert {"map", "lua"} <= set(complete("devkit gen nginx --mode "))
    assert "logs" in complete("devkit lo")


def test_bump_parts_complete():
    parts = set(complete("devkit pkg bump "))
    assert {"major", "minor", "patch"} <= parts


def test_paths_complete(tmp_path):
    (tmp_path / "service.log").write_text("x\n")
    out = subprocess.run(
        [sys.executable, "-m", "devkit"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
        env=dict(os.environ, _DEVKIT_COMPLETE="bash_complete", COMP_WORDS="devkit logs trace abc ser", COMP_CWORD="4"),
    ).stdout
    assert "file" in out  # click hands path completion to the shell for PATH arguments
