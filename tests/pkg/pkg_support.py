"""Helpers the pkg tests share (a uniquely named module: every test folder has a conftest)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

DATA = Path(__file__).parent / "data"
IDENTITY = ("Release Bot", "release-bot@example.com")


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=check)


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


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return root


def make_repo(root: Path, files: dict[str, str | bytes], branch: str = "main") -> Path:
    """A tiny real repository (git binary) with ``files`` committed and an identity configured."""
    root.mkdir(parents=True, exist_ok=True)
    write_files(root, files)
    git(root, "init", "-q", "-b", branch)
    git(root, "config", "user.name", IDENTITY[0])
    git(root, "config", "user.email", IDENTITY[1])
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial import")
    return root


def assert_git_clean(root: Path) -> None:
    """Nothing uncommitted, and git's own consistency check passes."""
    status = git(root, "status", "--porcelain")
    assert status.stdout == "", status.stdout
    fsck = git(root, "fsck", "--no-dangling", check=False)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    assert fsck.stdout.strip() == "", fsck.stdout


def committed(root: Path, rel: str, rev: str = "HEAD") -> str:
    return git(root, "show", f"{rev}:{rel}").stdout


def changed_files(root: Path, rev: str = "HEAD") -> list[str]:
    return sorted(git(root, "show", "--name-only", "--format=", rev).stdout.split())
