"""A real `devkit pkg bump` process killed at every step never leaves a half-done bump (issue 16).

DEVKIT_PKG_BUMP_PAUSE=STEP:FILE makes the bump write FILE and sleep at STEP; the test then sends
SIGTERM (the run rolls back itself and exits 143) or SIGKILL (the next run finds the journal and
rolls back, or keeps a bump that had finished). The repository is checked with the git binary.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from pkg_support import assert_git_clean, git, snapshot

FILES = {"pyproject.toml": '[project]\nname = "svc"\nversion = "1.0.0"\n', "svc/__init__.py": '__version__ = "1.0.0"\n'}
STEPS = ["begun", "wrote-first", "staging", "staged", "committing", "committed", "tagging", "tagged", "done"]
FINISHED = {"tagged", "done"}  # the tag ref holds the bump's tag: the bump is complete
RECORDED = {"wrote-first": "writing", "staged": "staging", "committed": "committing"}  # the journal's last entry


def devkit(root, *args, env=None):
    return subprocess.Popen([sys.executable, "-m", "devkit", "pkg", "bump", *args], cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def paused_bump(root, step, tmp_path):
    marker = tmp_path / f"paused-{step}"
    env = {**os.environ, "DEVKIT_PKG_BUMP_PAUSE": f"{step}:{marker}", "NO_COLOR": "1"}
    proc = devkit(root, "patch", env=env)
    deadline = time.monotonic() + 30
    while not marker.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            out, err = proc.communicate()
            pytest.fail(f"never paused at {step}: {out}{err}")
        time.sleep(0.01)
    return proc


def bump_history(root):
    return git(root, "log", "--format=%s").stdout.splitlines(), git(root, "tag").stdout.split()


def without_objects(state):
    return {k: v for k, v in state.items() if not k.startswith(".git/devkit-bump")}


@pytest.mark.parametrize("step", STEPS)
def test_sigterm_at_every_step_rolls_back_in_process(repo, tmp_path, step):
    root = repo(FILES)
    before = snapshot(root)
    proc = paused_bump(root, step, tmp_path)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, out + err
    assert "interrupted by SIGTERM" in err and "rolled back, nothing was changed" in err
    assert "Traceback" not in err
    assert snapshot(root) == before
    assert_git_clean(root)
    assert bump_history(root) == (["initial import"], [])


@pytest.mark.parametrize("step", STEPS)
def test_sigkill_at_every_step_is_recovered_by_the_next_run(repo, tmp_path, step):
    root = repo(FILES)
    proc = paused_bump(root, step, tmp_path)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert (root / ".git" / "devkit-bump" / "journal.json").is_file()

    version = subprocess.run([sys.executable, "-m", "devkit", "pkg", "version"], cwd=root, capture_output=True,
                             text=True)
    assert "an interrupted devkit pkg bump left" in version.stderr

    again = devkit(root, "patch", env={**os.environ, "NO_COLOR": "1"})
    out, err = again.communicate(timeout=60)
    assert again.returncode == 0, out + err
    assert not (root / ".git" / "devkit-bump").exists()
    assert not list((root / ".git").rglob("*.lock"))
    assert_git_clean(root)
    if step in FINISHED:
        assert "was interrupted after it had finished; kept it" in err
        assert bump_history(root) == (["Bump version: 1.0.1 → 1.0.2", "Bump version: 1.0.0 → 1.0.1", "initial import"],
                                      ["v1.0.1", "v1.0.2"])
    else:
        assert f"was interrupted at '{RECORDED.get(step, step)}'; rolled it back" in err, err
        assert bump_history(root) == (["Bump version: 1.0.0 → 1.0.1", "initial import"], ["v1.0.1"])
    assert git(root, "rev-parse", "HEAD^{tree}").stdout == git(root, "rev-parse", "v1.0.1^{tree}" if step not in FINISHED else "v1.0.2^{tree}").stdout


def test_recover_flag_only_rolls_back(repo, tmp_path):
    root = repo(FILES)
    before = snapshot(root)
    proc = paused_bump(root, "committing", tmp_path)
    proc.kill()
    proc.communicate(timeout=30)
    result = subprocess.run([sys.executable, "-m", "devkit", "pkg", "bump", "--recover"], cwd=root,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "was interrupted at 'committing'; rolled it back" in result.stderr
    assert snapshot(root) == before
    assert_git_clean(root)


def test_moved_on_repository_is_not_rolled_back_blindly(repo, tmp_path):
    root = repo(FILES)
    proc = paused_bump(root, "wrote-first", tmp_path)
    proc.kill()
    proc.communicate(timeout=30)
    (root / "pyproject.toml").write_text('[project]\nname = "svc"\nversion = "7.0.0"\n')  # the user edited it since
    result = subprocess.run([sys.executable, "-m", "devkit", "pkg", "bump", "patch"], cwd=root,
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "pyproject.toml changed since; not rolling back on top of that" in result.stderr
    assert (root / "pyproject.toml").read_text().endswith('"7.0.0"\n')


def test_a_second_bump_while_one_runs_is_refused(repo, tmp_path):
    root = repo(FILES)
    proc = paused_bump(root, "staged", tmp_path)
    try:
        other = subprocess.run([sys.executable, "-m", "devkit", "pkg", "bump", "patch"], cwd=root,
                               capture_output=True, text=True)
        assert other.returncode == 2
        assert "another devkit pkg bump is running in this repository" in other.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert_git_clean(root)


def test_sigterm_during_a_hook_kills_the_hook_too(repo, tmp_path):
    root = repo(FILES)
    pidfile = tmp_path / "hook.pid"
    hook = root / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/bin/sh\necho $$ > {pidfile}\nsleep 60\n")
    hook.chmod(0o755)
    before = snapshot(root)
    proc = devkit(root, "patch")
    deadline = time.monotonic() + 30
    while not (pidfile.exists() and pidfile.read_text().strip()):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.01)
    hook_pid = int(pidfile.read_text())
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err
    time.sleep(0.1)
    with pytest.raises(ProcessLookupError):
        os.kill(hook_pid, 0)
    assert snapshot(root) == before


def test_sigkilled_no_commit_bump_is_rolled_back_by_the_next_run(repo, tmp_path):
    root = repo(FILES)
    before = snapshot(root)
    marker = tmp_path / "paused"
    env = {**os.environ, "DEVKIT_PKG_BUMP_PAUSE": f"wrote-first:{marker}"}
    proc = devkit(root, "patch", "--no-commit", env=env)
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    proc.kill()
    proc.communicate(timeout=30)
    assert git(root, "status", "--porcelain").stdout != ""  # half-done: one file written
    result = subprocess.run([sys.executable, "-m", "devkit", "pkg", "bump", "--recover"], cwd=root,
                            capture_output=True, text=True)
    assert "rolled it back" in result.stderr, result.stderr
    assert snapshot(root) == before
