"""`devkit pkg bump` against real git repositories, checked with the git binary.

"Byte-identical" after a failed bump means: every worktree file, and every file under .git except
.git/objects (index, HEAD, refs/, packed-refs, logs/, config, hooks), has the same bytes as before,
and no file or directory appeared or vanished. .git/objects may gain unreachable loose objects
(the blobs/tree/commit of the attempt), exactly as after a failed `git commit`; `git fsck` stays
clean and `git gc` prunes them.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from pkg_support import IDENTITY, add_hook, git, snapshot

from devkit.cli import cli
from devkit.errors import DevkitError, InputError, ServiceError
from devkit.pkg import bump as bump_mod
from devkit.pkg import gitops


def run(root, *args):
    return CliRunner().invoke(cli, ["pkg", "bump", "-C", str(root), *args])


def assert_git_clean(root):
    assert git(root, "status", "--porcelain").stdout == ""
    fsck = git(root, "fsck", "--no-dangling", check=False)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    assert fsck.stdout.strip() == "", fsck.stdout


def test_bump_patch_makes_real_commit_and_annotated_tag(git_project):
    root = git_project("hygiene")
    head_before = git(root, "rev-parse", "HEAD").stdout.strip()

    result = run(root, "patch")

    assert result.exit_code == 0, result.output
    assert "bumped 1.2.0 -> 1.2.1" in result.output
    log = git(root, "log", "--format=%an <%ae>|%s", "-n", "1").stdout.strip()
    assert log == f"{IDENTITY[0]} <{IDENTITY[1]}>|Bump version: 1.2.0 → 1.2.1"
    assert git(root, "rev-parse", "HEAD~1").stdout.strip() == head_before
    assert git(root, "cat-file", "-t", "v1.2.1").stdout.strip() == "tag"
    assert git(root, "rev-parse", "v1.2.1^{commit}").stdout.strip() == git(root, "rev-parse", "HEAD").stdout.strip()
    tag_body = git(root, "cat-file", "-p", "v1.2.1").stdout
    assert f"tagger {IDENTITY[0]} <{IDENTITY[1]}>" in tag_body
    assert_git_clean(root)
    changed = git(root, "diff", "--name-only", "HEAD~1", "HEAD").stdout.split()
    assert sorted(changed) == ["hygpkg/__init__.py", "pyproject.toml"]
    pyproject = git(root, "show", "HEAD:pyproject.toml").stdout
    assert 'version = "1.2.1"' in pyproject
    assert '"requests==1.2.0",' in pyproject  # the pin equal to the old version is not a version place
    assert git(root, "show", "HEAD:hygpkg/__init__.py").stdout == '__version__ = "1.2.1"\n'


def test_bump_json_reports_ids_that_git_knows(git_project):
    root = git_project("good")
    result = run(root, "minor", "--pre", "rc", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["current"], data["new"]) == ("1.2.0", "1.3.0rc1")
    assert data["commit_id"] == git(root, "rev-parse", "HEAD").stdout.strip()
    assert data["tag_id"] == git(root, "rev-parse", "v1.3.0rc1").stdout.strip()
    assert {p["file"] for p in data["places"]} == {"pyproject.toml", "src/goodpkg/__init__.py"}
    assert_git_clean(root)


def test_no_tag_and_no_commit(git_project):
    root = git_project("good")
    assert run(root, "patch", "--no-tag").exit_code == 0
    assert git(root, "tag").stdout == ""
    assert git(root, "log", "-1", "--format=%s").stdout.strip() == "Bump version: 1.2.0 → 1.2.1"

    head = git(root, "rev-parse", "HEAD").stdout
    result = run(root, "patch", "--no-commit")
    assert result.exit_code == 0, result.output
    assert git(root, "rev-parse", "HEAD").stdout == head
    assert sorted(git(root, "diff", "--name-only").stdout.split()) == ["pyproject.toml", "src/goodpkg/__init__.py"]
    assert git(root, "tag").stdout == ""


def test_dry_run_prints_diff_commit_and_tag_and_changes_nothing(git_project):
    root = git_project("good")
    before = snapshot(root)
    objects_before = sorted(p.name for p in (root / ".git" / "objects").rglob("*"))
    result = run(root, "--dry-run", "major")
    assert result.exit_code == 0, result.output
    assert "--- a/pyproject.toml\n+++ b/pyproject.toml\n" in result.output
    assert '-version = "1.2.0"\n+version = "2.0.0"\n' in result.output
    assert '-__version__ = "1.2.0"\n+__version__ = "2.0.0"\n' in result.output
    assert "would commit: Bump version: 1.2.0 → 2.0.0" in result.output
    assert "would tag: v2.0.0 (annotated)" in result.output
    assert snapshot(root) == before
    assert sorted(p.name for p in (root / ".git" / "objects").rglob("*")) == objects_before


def test_refuses_dirty_tree_and_allow_dirty_commits_only_version_files(git_project):
    root = git_project("good")
    readme = root / "README.rst"
    readme.write_text(readme.read_text() + "\nUnreleased notes.\n")
    before = snapshot(root)

    result = run(root, "patch")
    assert result.exit_code == 2
    assert "uncommitted changes (README.rst)" in result.output
    assert snapshot(root) == before

    result = run(root, "patch", "--allow-dirty")
    assert result.exit_code == 0, result.output
    assert sorted(git(root, "show", "--name-only", "--format=", "HEAD").stdout.split()) == [
        "pyproject.toml", "src/goodpkg/__init__.py"]
    assert git(root, "status", "--porcelain").stdout == " M README.rst\n"


def test_refuses_without_identity_instead_of_committing_as_root(git_project):
    root = git_project("good", identity=False)
    before = snapshot(root)
    result = run(root, "patch")
    assert result.exit_code == 2
    assert "no git identity (user.name and user.email not set" in result.output
    assert "refusing to commit as root@host" in result.output
    assert snapshot(root) == before


def test_global_identity_is_used_when_repo_has_none(git_project, isolated_git_config):
    root = git_project("good", identity=False)
    (isolated_git_config / ".gitconfig").write_text("[user]\n\tname = Global Person\n\temail = global@example.com\n")
    assert run(root, "patch").exit_code == 0
    assert git(root, "log", "-1", "--format=%an <%ae>").stdout.strip() == "Global Person <global@example.com>"


def test_existing_tag_refuses_before_touching_anything(git_project):
    root = git_project("good")
    git(root, "tag", "v1.2.1")
    before = snapshot(root)
    result = run(root, "patch")
    assert result.exit_code == 2
    assert "tag v1.2.1 already exists" in result.output
    assert snapshot(root) == before


def test_places_that_disagree_stop_the_bump(git_project):
    root = git_project("good")
    init = root / "src" / "goodpkg" / "__init__.py"
    init.write_text(init.read_text().replace("1.2.0", "1.1.9"))
    git(root, "commit", "-qam", "drift")
    before = snapshot(root)
    result = run(root, "patch")
    assert result.exit_code == 2
    assert "version places disagree: pyproject.toml:7 [project].version = 1.2.0; " \
           "src/goodpkg/__init__.py:3 __version__ = 1.1.9" in result.output
    assert snapshot(root) == before


# --- failure injection: each step fails once; everything must end as it was -----------------


def _fail_second_write(monkeypatch):
    real = gitops.write_bytes
    calls = []

    def write(path, data):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real(path, data)

    monkeypatch.setattr(gitops, "write_bytes", write)


def _fail_after_staging(monkeypatch):
    real = gitops.stage

    def stage(repo, rels):
        real(repo, rels)  # the index really changes, then the step fails
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(gitops, "stage", stage)


def _fail_tag_after_commit(monkeypatch):
    def create_tag(*args, **kwargs):
        raise OSError(13, "Permission denied")

    monkeypatch.setattr(gitops, "add_tag_ref", create_tag)


@pytest.mark.parametrize(
    "inject, expected",
    [
        (lambda root, mp: _fail_second_write(mp), "while writing src/goodpkg/__init__.py"),
        (lambda root, mp: _fail_after_staging(mp), "while staging"),
        (lambda root, mp: add_hook(root, "pre-commit", "echo 'lint failed' >&2; exit 1"), "git commit refused"),
        (lambda root, mp: add_hook(root, "commit-msg", "exit 1"), "git commit refused"),
        (lambda root, mp: _fail_tag_after_commit(mp), "while tagging v1.2.1"),
    ],
    ids=["write", "stage", "pre-commit-hook", "commit-msg-hook", "tag"],
)
def test_failure_at_each_step_restores_tree_index_and_refs(git_project, monkeypatch, inject, expected):
    root = git_project("good")
    inject(root, monkeypatch)
    before = snapshot(root)
    head = git(root, "rev-parse", "HEAD").stdout

    result = run(root, "patch")

    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "nothing was changed" in result.output
    assert snapshot(root) == before
    assert git(root, "rev-parse", "HEAD").stdout == head
    assert git(root, "tag").stdout == ""
    assert_git_clean(root)


def test_tag_created_behind_our_back_rolls_back_the_commit(git_project):
    """A post-commit hook creates the tag between our commit and our tag: a real race."""
    root = git_project("good")
    add_hook(root, "post-commit", "git tag v1.2.1")
    before = snapshot(root)
    head = git(root, "rev-parse", "HEAD").stdout.strip()

    result = run(root, "patch")

    assert result.exit_code == 2, result.output
    assert "while tagging v1.2.1: tag v1.2.1 already exists; nothing was changed" in result.output
    after = snapshot(root)
    hook_tag = after.pop(".git/refs/tags/v1.2.1")  # the hook's own (lightweight) tag is not ours to delete
    after = {k: v for k, v in after.items() if not k.startswith(".git/refs/tags")}
    before = {k: v for k, v in before.items() if not k.startswith(".git/refs/tags")}
    assert after == before
    assert git(root, "rev-parse", "HEAD").stdout.strip() == head
    assert git(root, "cat-file", "-t", hook_tag.decode().strip()).stdout.strip() == "commit"
    assert_git_clean(root)


def test_library_api_failure_types(git_project):
    root = git_project("good")
    add_hook(root, "pre-commit", "exit 3")
    with pytest.raises(ServiceError, match="git commit refused"):
        bump_mod.bump(root, "patch")
    with pytest.raises(InputError, match="not newer"):
        bump_mod.bump(root, to="1.0.0", commit=False)
    assert issubclass(ServiceError, DevkitError)


def test_not_a_git_repo_needs_no_commit(project, isolated_git_config):
    root = project("good")
    result = run(root, "patch")
    assert result.exit_code == 2
    assert "not in a git repository: use --no-commit" in result.output
    assert run(root, "patch", "--no-commit").exit_code == 0
    assert 'version = "1.2.1"' in (root / "pyproject.toml").read_text()


def test_project_in_a_subdirectory_of_the_repository(project, isolated_git_config, tmp_path):
    mono = tmp_path / "mono"
    mono.mkdir()
    svc = project("good").rename(mono / "orders")
    (mono / "README.md").write_text("services\n")
    git(mono, "init", "-q", "-b", "main")
    git(mono, "config", "user.name", IDENTITY[0])
    git(mono, "config", "user.email", IDENTITY[1])
    git(mono, "add", "-A")
    git(mono, "commit", "-qm", "init")
    result = run(svc, "patch", "--tag-name", "orders-v{new}", "--message", "orders {old} -> {new}")
    assert result.exit_code == 0, result.output
    assert sorted(git(mono, "show", "--name-only", "--format=", "HEAD").stdout.split()) == [
        "orders/pyproject.toml", "orders/src/goodpkg/__init__.py"]
    assert git(mono, "log", "-1", "--format=%s").stdout.strip() == "orders 1.2.0 -> 1.2.1"
    assert git(mono, "cat-file", "-t", "orders-v1.2.1").stdout.strip() == "tag"
    assert_git_clean(mono)


def test_hook_output_goes_to_stderr_so_json_stays_parseable(git_project):
    import subprocess
    import sys

    root = git_project("good")
    add_hook(root, "pre-commit", "echo 'pre-commit: all checks passed'")
    proc = subprocess.run([sys.executable, "-m", "devkit", "pkg", "bump", "patch", "--json"],
                          cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["new"] == "1.2.1"
    assert "pre-commit: all checks passed" in proc.stderr
    assert_git_clean(root)
