"""Fixtures for `devkit pkg`: fixture projects copied to tmp, real git repositories, snapshots."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pkg_support import DATA, IDENTITY, git
from services import require_binary


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


@pytest.fixture
def repo(tmp_path, isolated_git_config):
    """``repo({"pyproject.toml": "...", ...})``: a tiny committed git repository (git binary)."""
    require_binary("git", "apt-get install git")
    from pkg_support import make_repo

    def make(files: dict, name: str = "proj") -> Path:
        return make_repo(tmp_path / name, files)

    return make
