"""Git for ``pkg bump`` through dulwich (no git binary): checks, hooks, commit, tag, sign, push.

devkit builds the commit itself instead of calling dulwich's ``commit`` so that every step is one
it can journal and undo, and so the repository's rules apply exactly where git applies them:

- hooks come from ``core.hooksPath`` (relative to the worktree top) or the *common* git dir's
  ``hooks/`` (so a linked ``git worktree`` runs the main repository's hooks), run in the worktree
  top like git's, in this order: pre-commit, prepare-commit-msg, commit-msg, post-commit (and
  pre-push for ``--push``); a hook that is not executable is skipped, as git does;
- ``commit.gpgSign`` / ``tag.gpgSign`` / ``--sign`` sign with ``gpg.program`` (default ``gpg``) and
  ``user.signingKey`` (default: the committer), exactly as ``git commit -S`` / ``git tag -s``;
- with no configured identity dulwich would commit as ``root <root@host>``, so the identity is
  checked first (environment, repository config, then global config).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from devkit.errors import InputError, ServiceError

if TYPE_CHECKING:
    from dulwich.objects import Commit, Tag
    from dulwich.repo import Repo


def open_repo(start: Path) -> Repo | None:
    from dulwich.errors import NotGitRepository
    from dulwich.repo import Repo

    try:
        return Repo.discover(os.fspath(start))
    except NotGitRepository:
        return None


def _config_str(repo: Repo, section: tuple[bytes, ...], key: bytes) -> str | None:
    try:
        value = repo.get_config_stack().get(section, key)
    except KeyError:
        return None
    return value.decode("utf-8", "replace").strip() or None


def config_bool(repo: Repo, section: bytes, key: bytes) -> bool:
    try:
        return bool(repo.get_config_stack().get_boolean((section,), key, default=False))
    except (KeyError, ValueError):
        return False


def identity(repo: Repo, kind: str = "COMMITTER") -> bytes:
    """``Name <email>`` from GIT_<KIND>_NAME/EMAIL, the repo's config, or the global config."""

    def pick(key: str) -> str | None:
        return os.environ.get(f"GIT_{kind}_{key.upper()}") or _config_str(repo, (b"user",), key.encode())

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
    """(ref that HEAD updates, current commit or None on an unborn branch); ``HEAD`` when detached."""
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


def git_state_paths(repo: Repo, refs: Iterable[bytes]) -> list[Path]:
    """Every file a bump can change in git: per-worktree ones in the worktree's git dir (HEAD,
    index, its reflog, COMMIT_EDITMSG), shared ones in the common dir (branch and tag refs, their
    reflogs, packed-refs); in a linked worktree these are two different directories."""
    control, common = Path(repo.controldir()), Path(repo.commondir())
    paths = [control / "index", control / "HEAD", control / "logs" / "HEAD", control / "COMMIT_EDITMSG",
             common / "packed-refs"]
    for ref in refs:
        if ref == b"HEAD":
            continue
        name = ref.decode("utf-8")
        paths += [common / name, common / "logs" / name]
    return list(dict.fromkeys(paths))


def real_path(path: Path) -> Path:
    """Where the bytes of ``path`` live (a symlinked version file is edited at its target)."""
    return Path(os.path.realpath(path))


def write_bytes(path: Path, data: bytes) -> None:
    """Write through a temporary file and rename, keeping the file's mode; through symlinks."""
    path = real_path(path)
    tmp = path.with_name(f".{path.name}.devkit-tmp")
    mode = path.stat().st_mode & 0o7777 if path.exists() else None
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise


def stage(repo: Repo, rels: list[str]) -> None:
    repo.get_worktree().stage(rels)


# --- hooks ----------------------------------------------------------------------------------


def hooks_dir(repo: Repo) -> Path:
    configured = _config_str(repo, (b"core",), b"hooksPath")
    if configured:
        path = Path(os.path.expanduser(configured))
        return path if path.is_absolute() else Path(repo.path) / path
    return Path(repo.commondir()) / "hooks"


def run_hook(repo: Repo, name: str, args: list[str] = (), stdin: bytes | None = None) -> None:  # type: ignore[assignment]
    """Run hook ``name`` like git: in the worktree top, its output on our stderr (so ``--json``
    stays clean), killed with its whole process group if we are interrupted. A non-zero exit
    raises ServiceError with the hook's name."""
    hook = hooks_dir(repo) / name
    if not (hook.is_file() and os.access(hook, os.X_OK)):
        return
    env = {**os.environ, "GIT_INDEX_FILE": os.fspath(Path(repo.controldir()) / "index")}
    env.setdefault("GIT_EDITOR", ":")
    proc = subprocess.Popen([os.fspath(hook), *args], cwd=repo.path, env=env, stdout=2, stderr=2,
                            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                            start_new_session=True)
    try:
        proc.communicate(stdin)
    except BaseException:
        _kill_group(proc)
        raise
    if proc.returncode != 0:
        raise ServiceError(f"git commit refused: the {name} hook ({hook}) exited {proc.returncode}")


def _kill_group(proc: subprocess.Popen) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            proc.wait(timeout=2)
            return
        except subprocess.TimeoutExpired:
            continue


def commit_message(repo: Repo, message: str, verify: bool = True) -> str:
    """The message after prepare-commit-msg and commit-msg (which may rewrite it), as git does."""
    path = Path(repo.controldir()) / "COMMIT_EDITMSG"
    text = message if message.endswith("\n") else message + "\n"
    path.write_text(text, encoding="utf-8")
    run_hook(repo, "prepare-commit-msg", [os.fspath(path), "message"])
    if verify:
        run_hook(repo, "commit-msg", [os.fspath(path)])
    return path.read_text(encoding="utf-8")


# --- signing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signer:
    program: str
    key: str

    @classmethod
    def for_repo(cls, repo: Repo, ident: bytes) -> Signer:
        fmt = _config_str(repo, (b"gpg",), b"format") or "openpgp"
        if fmt != "openpgp":
            raise InputError(f"gpg.format = {fmt}: devkit signs with OpenPGP (gpg) only; sign with git instead")
        program = _config_str(repo, (b"gpg", b"openpgp"), b"program") or _config_str(repo, (b"gpg",), b"program") or "gpg"
        key = _config_str(repo, (b"user",), b"signingKey") or ident.decode("utf-8")
        return cls(program, key)

    def sign(self, payload: bytes) -> bytes:
        """An armored detached signature, made exactly as git asks gpg for one."""
        try:
            proc = subprocess.run([self.program, "--status-fd=2", "-bsau", self.key], input=payload,
                                  capture_output=True, timeout=120)
        except FileNotFoundError:
            raise ServiceError(f"cannot sign: {self.program} not found (set gpg.program)") from None
        except subprocess.TimeoutExpired:
            raise ServiceError(f"cannot sign: {self.program} did not answer in 120 s (a passphrase prompt?)") from None
        if proc.returncode != 0 or b"[GNUPG:] SIG_CREATED " not in proc.stderr:
            lines = [ln for ln in proc.stderr.decode("utf-8", "replace").splitlines() if not ln.startswith("[GNUPG:]")]
            raise ServiceError(f"cannot sign with key {self.key!r}: {(lines or ['gpg failed'])[-1].strip()}")
        return proc.stdout


# --- commit and tag objects -----------------------------------------------------------------


def build_commit(repo: Repo, rels: list[str], message: str, ident: bytes, parent: bytes | None,
                 signer: Signer | None) -> tuple[Commit, list]:
    """The commit of exactly ``rels`` on top of ``parent`` (other staged changes stay staged, as
    ``git commit PATHS``), and the new tree objects, none of them stored yet."""
    from dulwich.index import commit_tree
    from dulwich.object_store import MemoryObjectStore, iter_tree_contents
    from dulwich.objects import Commit

    index = repo.open_index()
    entries: dict[bytes, tuple[bytes, int]] = {}
    if parent is not None:
        for entry in iter_tree_contents(repo.object_store, repo[parent].tree):
            entries[entry.path] = (entry.sha, entry.mode)
    for rel in rels:
        key = rel.encode("utf-8")
        staged = index[key]
        entries[key] = (staged.sha, staged.mode)
    scratch = MemoryObjectStore()
    tree = commit_tree(scratch, [(p, sha, mode) for p, (sha, mode) in sorted(entries.items())])
    now, tz = int(time.time()), local_tz()
    commit = Commit()
    commit.tree = tree
    commit.parents = [parent] if parent is not None else []
    commit.author = commit.committer = ident
    commit.author_time = commit.commit_time = now
    commit.author_timezone = commit.commit_timezone = tz
    commit.encoding = b"UTF-8"
    commit.message = message.encode("utf-8")
    if signer is not None:
        commit.gpgsig = signer.sign(commit.as_raw_string())
    return commit, [scratch[sha] for sha in scratch]


def store(repo: Repo, objects: Iterable) -> None:
    for obj in objects:
        repo.object_store.add_object(obj)


def update_ref(repo: Repo, ref: bytes, old: bytes | None, new: bytes, ident: bytes, message: str) -> None:
    reflog = message.splitlines()[0].encode("utf-8") if message else b""
    kwargs = dict(committer=ident, timestamp=int(time.time()), timezone=local_tz(), message=reflog)
    ok = repo.refs.add_if_new(ref, new, **kwargs) if old is None else repo.refs.set_if_equals(ref, old, new, **kwargs)
    if not ok:
        raise ServiceError(f"{ref.decode()} changed while bumping (another git command?)")


def build_tag(name: str, message: str, ident: bytes, target: bytes, signer: Signer | None) -> Tag:
    from dulwich.objects import Commit, Tag

    tag = Tag()
    tag.tagger = ident
    tag.message = (message if message.endswith("\n") else message + "\n").encode("utf-8")
    tag.name = name.encode("utf-8")
    tag.object = (Commit, target)
    tag.tag_time = int(time.time())
    tag.tag_timezone = local_tz()
    if signer is not None:
        tag.signature = signer.sign(tag.as_raw_string())
    return tag


def add_tag_ref(repo: Repo, name: str, tag_id: bytes) -> None:
    if not repo.refs.add_if_new(tag_ref(name), tag_id):
        raise InputError(f"tag {name} already exists")


# --- versions from tags ---------------------------------------------------------------------


def nearest_version_tag(repo: Repo, max_commits: int = 100_000) -> tuple[str, str, bytes] | None:
    """(tag name, version, commit) of the newest version tag reachable from HEAD, as
    ``git describe --tags`` finds the base setuptools_scm and hatch-vcs count from."""
    from packaging.version import InvalidVersion, Version

    _, head = head_ref(repo)
    if head is None:
        return None
    by_commit: dict[bytes, list[tuple[Version, str]]] = {}
    for ref, sha in repo.refs.as_dict(b"refs/tags").items():
        name = ref.decode("utf-8", "replace")
        match = re.search(r"\d.*$", name)
        if not match:
            continue
        try:
            version = Version(match.group(0))
        except InvalidVersion:
            continue
        obj = repo[sha]
        while obj.type_name == b"tag":
            obj = repo[obj.object[1]]
        by_commit.setdefault(obj.id, []).append((version, name))
    if not by_commit:
        return None
    from dulwich.walk import Walker

    for count, entry in enumerate(Walker(repo.object_store, [head])):
        if entry.commit.id in by_commit:
            version, name = max(by_commit[entry.commit.id])
            return name, str(version), entry.commit.id
        if count >= max_commits:
            break
    return None


# --- push -----------------------------------------------------------------------------------


def push_target(repo: Repo, ref: bytes) -> tuple[str, str]:
    """(remote name, URL) that ``git push`` would use for the current branch."""
    branch = ref.removeprefix(b"refs/heads/")
    remote = _config_str(repo, (b"branch", branch), b"pushRemote") or _config_str(repo, (b"remote",), b"pushDefault") \
        or _config_str(repo, (b"branch", branch), b"remote") or "origin"
    url = _config_str(repo, (b"remote", remote.encode()), b"pushurl") or _config_str(repo, (b"remote", remote.encode()), b"url")
    if not url:
        raise InputError(f"--push: no remote {remote!r} configured (git remote add {remote} URL)")
    return remote, url


def push(repo: Repo, ref: bytes, tag: str | None, errstream) -> str:  # type: ignore[no-untyped-def]
    """Push the branch and the tag in one atomic request: both land or neither does."""
    from dulwich import porcelain
    from dulwich.errors import GitProtocolError, HangupException

    if ref == b"HEAD":
        raise InputError("--push: HEAD is detached, there is no branch to push")
    remote, url = push_target(repo, ref)
    refspecs = [ref + b":" + ref] + ([tag_ref(tag) + b":" + tag_ref(tag)] if tag else [])
    lines = []
    for spec in refspecs:
        local = spec.split(b":")[0]
        lines.append(b"%s %s %s %s\n" % (local, repo.refs[local], local, b"0" * 40))
    run_hook(repo, "pre-push", [remote, url], stdin=b"".join(lines))
    try:
        result = porcelain.push(repo, remote, refspecs, atomic=True, outstream=errstream, errstream=errstream)
    except (GitProtocolError, HangupException, OSError) as exc:
        raise ServiceError(f"push to {remote} ({url}) failed, nothing was pushed: {exc}") from None
    failed = {k.decode(): v for k, v in (getattr(result, "ref_status", None) or {}).items() if v}
    if failed:
        detail = ", ".join(f"{k}: {v}" for k, v in failed.items())
        raise ServiceError(f"push to {remote} refused ({detail}); the push is atomic, so nothing was pushed")
    return remote
