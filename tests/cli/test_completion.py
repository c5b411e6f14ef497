"""Shell completion: devkit's scripts, loaded in real bash, zsh and fish, complete commands,
choices and paths whatever click is installed (they speak click's protocol, not its templates)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from devkit.cli import cli
from devkit.cli.completion import SHELLS, completion_script

ROOT = Path(__file__).resolve().parents[2]
COMPLETIONS = ROOT / "completions"


def shell(name: str) -> str:
    from services import missing_service

    path = shutil.which(name)
    if path is None:
        missing_service(f"{name} is not installed (apt-get install {name})")
    return path  # type: ignore[return-value]


@pytest.fixture
def env(tmp_path: Path) -> dict:
    """PATH with a ``devkit`` that runs this checkout under this interpreter, cwd with some files."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "devkit"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m devkit "$@"\n')
    wrapper.chmod(0o755)
    work = tmp_path / "work"
    (work / "logs").mkdir(parents=True)
    (work / "service one.log").write_text("x\n")
    (work / "service.log").write_text("x\n")
    (work / "other.txt").write_text("x\n")
    return dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", PYTHONPATH=str(ROOT),
                HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"), WORK=str(work))


def run(argv: list[str], env: dict) -> list[str]:
    out = subprocess.run(argv, env=env, cwd=env["WORK"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()


# ---- bash: source the script, fill COMP_WORDS/COMP_CWORD as readline would, call the function ----
def bash_complete(env: dict, *words: str) -> list[str]:
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    script = (f"source {COMPLETIONS / SHELLS['bash']}; COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; "
              "_devkit_completion devkit; printf '%s\\n' \"${COMPREPLY[@]}\"")
    return [line for line in run([shell("bash"), "--norc", "--noprofile", "-c", script], env) if line]


def test_bash_completes_commands_choices_and_paths(env):
    assert bash_complete(env, "devkit", "lo") == ["load", "logs"]
    assert {"major", "minor", "patch", "pre", "release"} <= set(bash_complete(env, "devkit", "pkg", "bump", ""))
    assert bash_complete(env, "devkit", "completion", "") == ["bash", "fish", "zsh"]
    assert set(bash_complete(env, "devkit", "gen", "logging", "--style", "")) >= {"dictconfig", "ini", "gunicorn"}
    assert sorted(bash_complete(env, "devkit", "logs", "trace", "abc", "serv")) == ["service one.log", "service.log"]
    assert "--json" in bash_complete(env, "devkit", "logs", "trace", "--j")


def test_bash_registers_the_function_for_devkit(env):
    out = run([shell("bash"), "--norc", "-c", f"source {COMPLETIONS / SHELLS['bash']}; complete -p devkit"], env)
    assert out and "-F _devkit_completion" in out[0] and out[0].endswith(" devkit")


# ---- zsh: the completion system's builtins are stubbed to print what the script hands them ----
ZSH_STUBS = r"""
compdef() { print -r -- "compdef $*" }
compadd() { local name=${@[-1]}; print -rl -- "${(@P)name}" }
_describe() { local item; for item in "${(@P)3}"; do print -r -- "described ${item%%:*} -> ${item#*:}"; done }
_path_files() { print -r -- "path_files $*" }
"""


def zsh_complete(env: dict, *words: str, autoload: bool = False) -> list[str]:
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    setup = (f"fpath=({COMPLETIONS} $fpath); autoload -Uz _devkit; words=({quoted}); CURRENT={len(words)}; _devkit"
             if autoload else
             f"source {COMPLETIONS / SHELLS['zsh']}; words=({quoted}); CURRENT={len(words)}; _devkit_completion")
    return run([shell("zsh"), "-f", "-c", ZSH_STUBS + setup], env)


def test_zsh_completes_with_descriptions_choices_and_paths(env):
    got = zsh_complete(env, "devkit", "lo")
    assert got[0] == "compdef _devkit_completion devkit"  # sourced: registers itself
    assert [line.split(" -> ")[0] for line in got[1:]] == ["described load", "described logs"]
    assert got[1].split(" -> ")[1].startswith("Load-test RabbitMQ")
    assert {"major", "minor", "patch"} <= set(zsh_complete(env, "devkit", "pkg", "bump", "")[1:])
    assert zsh_complete(env, "devkit", "logs", "trace", "abc", "serv")[1:] == ["path_files -f"]


def test_zsh_autoloaded_from_fpath_completes_at_once(env):
    got = zsh_complete(env, "devkit", "completion", "", autoload=True)
    assert got == ["bash", "fish", "zsh"]  # no compdef: called as the completion function itself


# ---- fish: its own completion engine, `complete -C` ---------------------------------------------
def fish_complete(env: dict, line: str) -> list[str]:
    script = f"source {COMPLETIONS / SHELLS['fish']}; complete -C '{line}'"
    return run([shell("fish"), "--no-config", "-c", script], env)


def test_fish_completes_with_descriptions_choices_and_paths(env):
    got = fish_complete(env, "devkit lo")
    assert [line.split("\t")[0] for line in got] == ["load", "logs"]
    assert got[1].split("\t")[1].startswith("Follow one request")
    assert {"major", "minor", "patch"} <= set(fish_complete(env, "devkit pkg bump "))
    assert sorted(fish_complete(env, "devkit logs trace abc serv")) == ["service one.log", "service.log"]
    assert fish_complete(env, "devkit completion ") == ["bash", "fish", "zsh"]


# ---- what devkit prints and ships -----------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(SHELLS))
def test_devkit_completion_prints_the_shipped_script(name):
    result = CliRunner().invoke(cli, ["completion", name])
    assert result.exit_code == 0, result.output
    assert result.output == completion_script(name) == (COMPLETIONS / SHELLS[name]).read_text()


@pytest.mark.parametrize("name", sorted(SHELLS))
def test_scripts_do_not_depend_on_click_templates(name):
    """click's template text changes between releases; devkit's scripts only name its protocol."""
    text = completion_script(name)
    assert f"_DEVKIT_COMPLETE={name}_complete" in text
    assert "%(" not in text and "\r" not in text and "split \n" not in text


def test_unknown_shell_is_a_usage_error():
    result = CliRunner().invoke(cli, ["completion", "tcsh"])
    assert result.exit_code == 2 and "tcsh" in result.output
