"""Git for ``pkg bump`` through dulwich only: checks, commit, annotated tag, and exact rollback.

dulwich runs the repository's pre-commit and commit-msg hooks (good: a bump obeys the project's
rules) but, with no configured identity, silently commits as ``root <root@host>``; so the
identity is checked here first (environment, repository config, then global config).

Rollback contract: ``Snapshot`` records the bytes (or absence) of every file a bump can change:
the edited worktree files, ``.git/index``, ``HEAD``, the branch ref, ``packed-refs``, the new tag's
ref and their reflogs. ``restore`` puts them back byte for byte. Objects written to
``.git/objects`` by a failed attempt stay as unreachable loose objects (as after any failed
``git commit``) and are pruned by ``git gc``; they change no ref, index or file.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from devkit.errors import InputError, ServiceError

if TYPE_CHECKING:
    from dulwich.repo import Repo


def open_repo(start: Path) -> Repo | None:
    from dulwich.errors import NotGitRepository
    from dulwich.repo import Repo

    try:
        return Repo.discover(os.fspath(start))
    except NotGitRepository:
        return None


def identity(repo: Repo, kind: str = "COMMITTER") -> bytes:
    """``Name <email>`` from GIT_<KIND>_NAME/EMAIL, the repo's config, or the global config."""
    config = repo.get_config_stack()

    def pick(key: str) -> str | None:
        env = os.environ.get(f"GIT_{kind}_{key.upper()}")
        if env:
            return env
        try:
            value = config.get((b"user",), key.encode())
        except KeyError:
            return None
        return value.decode("utf-8", "replace").strip() or None

    name, email = pick("name"), pick("email")
    if not name or not email:
        missing = " and ".join(k for k, v in (("user.name", name), ("user.email", email)) if not v)
        raise InputError(
            f"no git identity ({missing} not set in {repo.path} or the global git config): "
            'set it, e.g. git config --global user.email "you@example.com"; refusing to commit as root@host'
        )
    return f"{name} <{email}>".encode()


def dirty_paths(repo: Repo) -> list[str]:
    """Tracked files with staged or unstaged changes (untracked files do not count, as in git)."""
    from dulwich import porcelain

    status = porcelain.status(repo, untracked_files="no", optional_locks=False)
    paths = set(status.unstaged)
    for group in status.staged.values():
        paths.update(group)
    return sorted(p.decode("utf-8", "replace") if isinstance(p, bytes) else str(p) for p in paths)


def head_ref(repo: Repo) -> tuple[bytes, bytes | None]:
    """(ref that HEAD updates, current commit or None on an unborn branch)."""
    chain, sha = repo.refs.follow(b"HEAD")
    return chain[-1], sha


def tag_ref(name: str) -> bytes:
    from dulwich.refs import check_ref_format

    ref = b"refs/tags/" + name.encode("utf-8")
    if not check_ref_format(ref):
        raise InputError(f"{name!r} is not a valid git tag name")
    return ref


def local_tz() -> int:
    return time.localtime().tm_gmtoff


@contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Hooks inherit our stdout; send what they print to stderr so ``--json`` stays clean."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
        os.dup2(2, 1)
    except (OSError, ValueError):
        yield
        return
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


@dataclass
class Snapshot:
    """Exact bytes of everything a bump may change, and the means to put them back."""

    files: dict[Path, bytes | None] = field(default_factory=dict)
    dirs: set[Path] = field(default_factory=set)

    @classmethod
    def take(cls, paths: list[Path]) -> Snapshot:
        snap = cls()
        for path in paths:
            snap.files[path] = path.read_bytes() if path.is_file() else None
            parent = path.parent
            while not parent.exists():
                snap.dirs.add(parent)
                parent = parent.parent
        return snap

    def changed(self) -> list[Path]:
        return [p for p, data in self.files.items() if (p.read_bytes() if p.is_file() else None) != data]

    def restore(self, only: list[Path] | None = None) -> list[str]:
        """Put files back; returns the ones that could not be restored (empty on success)."""
        failed = []
        for path, data in self.files.items():
            if only is not None and path not in only:
                continue
            try:
                current = path.read_bytes() if path.is_file() else None
                if current == data:
                    continue
                if data is None:
                    path.unlink()
                else:
                    write_bytes(path, data)
            except OSError as exc:
                failed.append(f"{path}: {exc.strerror}")
        for directory in sorted(self.dirs, key=lambda p: len(p.parts), reverse=True):
            try:
                directory.rmdir()
            except OSError:
                pass
        return failed


def write_bytes(path: Path, data: bytes) -> None:
    """Write through a temporary file and rename, keeping the file's mode."""
    tmp = path.with_name(f".{path.name}.devkit-tmp")
    mode = path.stat().st_mode & 0o7777 if path.exists() else None
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise


def git_state_paths(repo: Repo, refs: list[bytes]) -> list[Path]:
    control = Path(repo.controldir())
    paths = [control / "index", control / "HEAD", control / "packed-refs", control / "logs" / "HEAD"]
    for ref in refs:
        name = ref.decode("utf-8")
        paths += [control / name, control / "logs" / name]
    return paths


def stage(repo: Repo, rels: list[str]) -> None:
    repo.get_worktree().stage(rels)


def commit(repo: Repo, rels: list[str], message: str, ident: bytes, ref: bytes) -> bytes:
    """Commit exactly ``rels`` on top of HEAD (other staged changes stay staged, as git commit PATHS)."""
    from dulwich.errors import CommitError
    from dulwich.index import commit_tree
    from dulwich.object_store import iter_tree_contents

    index = repo.open_index()
    _, head = head_ref(repo)
    entries: dict[bytes, tuple[bytes, int]] = {}
    if head is not None:
        for entry in iter_tree_contents(repo.object_store, repo[head].tree):
            entries[entry.path] = (entry.sha, entry.mode)
    for rel in rels:
        key = rel.encode("utf-8")
        staged = index[key]
        entries[key] = (staged.sha, staged.mode)
    tree = commit_tree(repo.object_store, [(p, sha, mode) for p, (sha, mode) in sorted(entries.items())])
    tz = local_tz()
    text = message if message.endswith("\n") else message + "\n"
    try:
        with stdout_to_stderr(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a failing post-commit hook is only a warning in git too
            return repo.get_worktree().commit(
                message=text.encode("utf-8"), committer=ident, author=ident, tree=tree,
                commit_timezone=tz, author_timezone=tz, ref=b"HEAD",
            )
    except CommitError as exc:
        raise ServiceError(f"git commit refused: {exc}") from None


def create_tag(repo: Repo, name: str, message: str, ident: bytes, target: bytes) -> bytes:
    """An annotated tag object and its ref, created only if the ref does not exist yet."""
    from dulwich.objects import Commit, Tag

    ref = tag_ref(name)
    tag = Tag()
    tag.tagger = ident
    tag.message = (message if message.endswith("\n") else message + "\n").encode("utf-8")
    tag.name = name.encode("utf-8")
    tag.object = (Commit, target)
    tag.tag_time = int(time.time())
    tag.tag_timezone = local_tz()
    repo.object_store.add_object(tag)
    if not repo.refs.add_if_new(ref, tag.id):
        raise InputError(f"tag {name} already exists")
    return tag.id
