"""`pkg bump` obeys the repository's rules where git applies them: hooks (core.hooksPath, linked
worktrees), signing (tag.gpgSign, commit.gpgSign, --sign), symlinks, detached HEAD, --push.
Every outcome is checked with the git binary (fsck, status, verify-tag with a throwaway GnuPG home)."""

from __future__ import annotations

import os
import subprocess

import pytest
from click.testing import CliRunner
from pkg_support import IDENTITY, assert_git_clean, changed_files, committed, git, snapshot

from devkit.cli import cli
from devkit.pkg import gitops
from services import require_binary

PYPROJECT = '[project]\nname = "svc"\nversion = "1.0.0"\n'


def run(root, *args):
    return CliRunner().invoke(cli, ["pkg", "bump", "-C", str(root), *args])


def hook(path, script):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(0o755)


def test_core_hooks_path_hooks_run_and_can_refuse(repo):
    root = repo({"pyproject.toml": PYPROJECT})
    git(root, "config", "core.hooksPath", ".githooks")
    hook(root / ".githooks" / "pre-commit", "echo 'policy: no releases on Friday' >&2; exit 1")
    git(root, "add", ".githooks")
    git(root, "commit", "-qm", "hooks", "--no-verify")
    before = snapshot(root)
    result = run(root, "patch")
    assert result.exit_code == 2, result.output
    assert "the pre-commit hook" in result.output and "nothing was changed" in result.output
    assert snapshot(root) == before
    # git itself refuses the same commit: devkit applied the same rule
    (root / "x").write_text("x")
    git(root, "add", "x")
    assert git(root, "commit", "-qm", "x", check=False).returncode != 0
    git(root, "reset", "-q", "x")
    os.remove(root / "x")
    assert_git_clean(root)


def test_commit_msg_hook_may_rewrite_the_message(repo):
    root = repo({"pyproject.toml": PYPROJECT})
    hook(root / ".git" / "hooks" / "commit-msg", 'printf "\\nRelease-Ticket: OPS-42\\n" >> "$1"')
    assert run(root, "patch").exit_code == 0
    assert git(root, "log", "-1", "--format=%B").stdout.strip().endswith("Release-Ticket: OPS-42")
    assert_git_clean(root)


def test_non_executable_hook_is_skipped_like_git(repo):
    root = repo({"pyproject.toml": PYPROJECT})
    path = root / ".git" / "hooks" / "pre-commit"
    hook(path, "exit 1")
    path.chmod(0o644)
    assert run(root, "patch").exit_code == 0


def _worktree(root, tmp_path):
    wt = tmp_path / "wt"
    git(root, "worktree", "add", "-q", "-b", "release", str(wt))
    return wt


def test_linked_worktree_runs_the_main_repositorys_hooks(repo, tmp_path):
    root = repo({"pyproject.toml": PYPROJECT})
    marker = tmp_path / "hook-ran"
    hook(root / ".git" / "hooks" / "pre-commit", f'echo "$PWD" > {marker}')
    wt = _worktree(root, tmp_path)
    result = run(wt, "patch")
    assert result.exit_code == 0, result.output
    assert marker.read_text().strip() == str(wt)  # run in the worktree top, as git does
    assert committed(wt, "pyproject.toml", "release") == PYPROJECT.replace("1.0.0", "1.0.1")
    assert git(root, "rev-parse", "main").stdout != git(root, "rev-parse", "release").stdout
    assert_git_clean(wt)


def test_linked_worktree_rollback_restores_the_common_dirs_refs(repo, tmp_path, monkeypatch):
    root = repo({"pyproject.toml": PYPROJECT})
    wt = _worktree(root, tmp_path)
    before_main, before_wt = snapshot(root), snapshot(wt)
    release = git(root, "rev-parse", "release").stdout

    def fail(*args, **kwargs):
        raise OSError(13, "Permission denied")

    monkeypatch.setattr(gitops, "add_tag_ref", fail)
    result = run(wt, "patch")
    assert result.exit_code == 2, result.output
    assert "while tagging v1.0.1" in result.output and "nothing was changed" in result.output
    assert git(root, "rev-parse", "release").stdout == release  # the branch is not left on the bump commit
    assert snapshot(root) == before_main and snapshot(wt) == before_wt
    assert_git_clean(wt)


@pytest.fixture
def gnupg(tmp_path, monkeypatch):
    """A throwaway GnuPG home with a passphrase-less key for the test identity."""
    require_binary("gpg", "apt-get install gnupg")
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    monkeypatch.setenv("GNUPGHOME", str(home))
    uid = f"{IDENTITY[0]} <{IDENTITY[1]}>"
    subprocess.run(["gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key",
                    uid, "ed25519", "sign", "never"], check=True, capture_output=True)
    yield home
    subprocess.run(["gpgconf", "--kill", "all"], capture_output=True, env={**os.environ, "GNUPGHOME": str(home)})


def test_tag_gpgsign_is_honoured(repo, gnupg):
    root = repo({"pyproject.toml": PYPROJECT})
    git(root, "config", "tag.gpgSign", "true")
    result = run(root, "patch")
    assert result.exit_code == 0, result.output
    assert "tag v1.0.1 (annotated, signed)" in result.output
    verify = git(root, "verify-tag", "v1.0.1", check=False)
    assert verify.returncode == 0, verify.stderr
    assert "Good signature" in verify.stderr
    assert git(root, "verify-commit", "HEAD", check=False).returncode != 0  # commit.gpgSign is not set
    assert_git_clean(root)


def test_commit_gpgsign_and_sign_flag(repo, gnupg):
    root = repo({"pyproject.toml": PYPROJECT})
    git(root, "config", "commit.gpgSign", "true")
    assert run(root, "patch").exit_code == 0
    assert git(root, "verify-commit", "HEAD", check=False).returncode == 0
    assert git(root, "verify-tag", "v1.0.1", check=False).returncode != 0
    git(root, "config", "--unset", "commit.gpgSign")
    assert run(root, "patch", "--sign").exit_code == 0
    assert git(root, "verify-commit", "HEAD", check=False).returncode == 0
    assert git(root, "verify-tag", "v1.0.2", check=False).returncode == 0
    assert_git_clean(root)


def test_signing_failure_rolls_back(repo, gnupg):
    root = repo({"pyproject.toml": PYPROJECT})
    git(root, "config", "user.signingKey", "nobody@example.invalid")
    before = snapshot(root)
    result = run(root, "patch", "--sign")
    assert result.exit_code == 2, result.output
    assert "cannot sign with key 'nobody@example.invalid'" in result.output
    assert snapshot(root) == before
    assert_git_clean(root)


def test_symlinked_version_file_is_edited_through_to_its_target(repo):
    root = repo({"pyproject.toml": PYPROJECT, "VERSION.py": '__version__ = "1.0.0"\n', "svc/__init__.py": ""})
    os.symlink("../VERSION.py", root / "svc" / "_version.py")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "link")
    result = run(root, "patch")
    assert result.exit_code == 0, result.output
    assert (root / "svc" / "_version.py").is_symlink()
    tree = git(root, "ls-tree", "HEAD", "svc/_version.py").stdout
    assert tree.startswith("120000 "), tree
    assert changed_files(root) == ["VERSION.py", "pyproject.toml"]
    assert committed(root, "VERSION.py") == '__version__ = "1.0.1"\n'
    assert_git_clean(root)


def test_detached_head_bump_warns(repo):
    root = repo({"pyproject.toml": PYPROJECT})
    git(root, "checkout", "-q", "--detach")
    head = git(root, "rev-parse", "HEAD").stdout.strip()
    result = run(root, "patch")
    assert result.exit_code == 0, result.output
    assert f"warning: HEAD is detached at {head[:12]}: the bump commit will be on no branch" in result.output
    assert git(root, "rev-parse", "HEAD~1").stdout.strip() == head
    assert git(root, "rev-parse", "main").stdout.strip() == head
    assert_git_clean(root)


def _remote(root, tmp_path):
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(root, "remote", "add", "origin", str(remote))
    git(root, "push", "-q", "origin", "main")
    return remote


def test_push_sends_branch_and_tag(repo, tmp_path):
    root = repo({"pyproject.toml": PYPROJECT})
    remote = _remote(root, tmp_path)
    result = run(root, "patch", "--push")
    assert result.exit_code == 0, result.output
    assert "pushed to origin" in result.output
    assert git(remote, "rev-parse", "main").stdout == git(root, "rev-parse", "main").stdout
    assert git(remote, "rev-parse", "v1.0.1").stdout == git(root, "rev-parse", "v1.0.1").stdout
    assert git(remote, "fsck").returncode == 0


@pytest.fixture
def git_daemon(tmp_path):
    """A real git server (git daemon with receive-pack) on a free loopback port: it runs the
    remote's hooks and speaks the atomic-push protocol, as a hosted remote does."""
    import socket
    import time

    base = tmp_path / "served"
    base.mkdir()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(["git", "daemon", "--reuseaddr", "--export-all", "--enable=receive-pack",
                             f"--base-path={base}", "--listen=127.0.0.1", f"--port={port}", str(base)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield base, f"git://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


def test_refused_push_is_never_partial(repo, git_daemon):
    base, url = git_daemon
    root = repo({"pyproject.toml": PYPROJECT})
    remote = base / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(root, "remote", "add", "origin", f"{url}/remote.git")
    git(root, "push", "-q", "origin", "main")
    hook(remote / "hooks" / "update", 'case "$1" in refs/tags/*) exit 1;; esac; exit 0')
    remote_main = git(remote, "rev-parse", "main").stdout
    result = run(root, "patch", "--push")
    assert result.exit_code == 2, result.output
    assert "locally (commit and tag kept)" in result.output and "nothing was pushed" in result.output
    assert git(remote, "rev-parse", "main").stdout == remote_main  # the branch did not go without its tag
    assert git(remote, "tag").stdout == ""
    assert git(root, "tag").stdout == "v1.0.1\n"
    assert_git_clean(root)


def test_pre_push_hook_can_stop_the_push(repo, tmp_path):
    root = repo({"pyproject.toml": PYPROJECT})
    remote = _remote(root, tmp_path)
    hook(root / ".git" / "hooks" / "pre-push", "exit 1")
    result = run(root, "patch", "--push")
    assert result.exit_code == 2
    assert "pre-push hook" in result.output
    assert git(remote, "tag").stdout == ""
