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
