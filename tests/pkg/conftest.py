"""Fixtures for `devkit pkg`: fixture projects copied to tmp, real git repositories, snapshots."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from services import require_binary

DATA = Path(__file__).parent / "data"
IDENTITY = ("Release Bot", "release-bot@example.com")


@pytest.fixture
def isolated_git_config(tmp_path_factory, monkeypatch):
    """A HOME/GIT_CONFIG_GLOBAL/XDG_CONFIG_HOME of our own: no identity unless a test sets one."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL",
                "EMAIL", "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(var, raising=False)
    return home


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=check)


@pytest.fixture
def project(tmp_path):
    """Copy a fixture project from tests/pkg/data into tmp_path."""

    def make(name: str) -> Path:
        dest = tmp_path / name
        shutil.copytree(DATA / name, dest)
        return dest

    return make


@pytest.fixture
def git_project(project, isolated_git_config):
    """A fixture project committed in a real git repository with its own identity in .git/config."""
    require_binary("git", "apt-get install git")

    def make(name: str, identity: bool = True) -> Path:
        root = project(name)
        git(root, "init", "-q", "-b", "main")
        env_id = ["-c", f"user.name={IDENTITY[0]}", "-c", f"user.email={IDENTITY[1]}"]
        git(root, "add", "-A")
        git(root, *env_id, "commit", "-q", "-m", "initial import")
        if identity:
            git(root, "config", "user.name", IDENTITY[0])
            git(root, "config", "user.email", IDENTITY[1])
        return root

    return make


def snapshot(root: Path) -> dict[str, bytes]:
    """Every worktree file and everything under .git except objects/ (see test_bump_git.py)."""
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root)
        if rel_dir.parts[:2] == (".git", "objects"):
            dirnames[:] = []
            continue
        for name in filenames:
            path = Path(dirpath) / name
            state[(rel_dir / name).as_posix()] = path.read_bytes()
        for name in dirnames:
            state[(rel_dir / name).as_posix() + "/"] = b"<dir>"
    return state


def add_hook(root: Path, name: str, script: str) -> None:
    hook = root / ".git" / "hooks" / name
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text("#!/bin/sh\n" + script + "\n")
    hook.chmod(0o755)
