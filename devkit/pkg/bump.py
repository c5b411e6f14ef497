"""``devkit pkg bump`` / ``pkg version``: plan a version change, then apply it all or nothing.

``plan_bump`` finds the project root (the nearest pyproject.toml/setup.cfg/setup.py at or above
the start, never above the repository's top), reads every version place, insists they agree,
computes the new version and the exact new file contents (lock files and the changelog
included), and (for a real run) checks git: a repository, an identity, a clean tree, a free tag
name, a way to sign. A project whose version comes from git tags is bumped by its tag alone.

``apply_bump`` journals, writes, stages, runs the hooks, commits and tags (signed when asked); a
failure or a signal restores files, index and refs byte for byte, and a SIGKILL is undone by the
next run (see ``journal``).
"""

from __future__ import annotations

import difflib
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devkit.errors import DevkitError, InputError, NothingFound
from devkit.pkg import changelog, gitops, journal, lockfiles, sources, versioning
from devkit.pkg import pyproject as pyproject_mod

DEFAULT_MESSAGE = "Bump version: {old} → {new}"
DEFAULT_TAG = "v{new}"
TEMPLATE_KEYS = "{old}/{new} (or bump-my-version's {current_version}/{new_version})"


@dataclass
class FileChange:
    path: Path  # where the bytes live (a symlink's target)
    rel: str  # relative to the git worktree when there is one, else to the project
    before: str
    after: str

    def diff(self) -> str:
        return "".join(difflib.unified_diff(
            self.before.splitlines(keepends=True), self.after.splitlines(keepends=True),
            fromfile=f"a/{self.rel}", tofile=f"b/{self.rel}",
        ))


@dataclass
class BumpPlan:
    root: Path
    current: str
    new: str
    places: list[sources.VersionPlace]
    changes: list[FileChange]
    commit: bool
    tag: bool
    commit_message: str
    tag_name: str
    repo_root: Path | None = None
    vcs: str | None = None  # the tool that reads the version from git tags
    sign_commit: bool = False
    sign_tag: bool = False
    push: bool = False
    problems: list[str] = field(default_factory=list)  # what would stop a real run
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def diff(self) -> str:
        return "".join(change.diff() for change in self.changes)

    def as_dict(self) -> dict[str, Any]:
        return {
            "root": os.fspath(self.root),
            "current": self.current,
            "new": self.new,
            "places": [p.as_dict() for p in self.places],
            "files": [c.rel for c in self.changes],
            "commit": self.commit_message if self.commit else None,
            "tag": self.tag_name if self.tag else None,
            "signed": {"commit": self.sign_commit, "tag": self.sign_tag},
            "vcs": self.vcs,
            "problems": self.problems,
            "warnings": self.warnings,
            "notes": self.notes,
        }


@dataclass
class BumpResult:
    plan: BumpPlan
    commit_id: str | None = None
    tag_id: str | None = None
    pushed_to: str | None = None
    recovered: str | None = None  # what the run found and undid from an interrupted bump

    def as_dict(self) -> dict[str, Any]:
        out = self.plan.as_dict()
        out.update({"commit_id": self.commit_id, "tag_id": self.tag_id, "pushed_to": self.pushed_to,
                    "recovered": self.recovered, "dry_run": False})
        return out


def _agreed(places: list[sources.VersionPlace], root: Path) -> str:
    if not places:
        raise NothingFound(
            f"{root}: no version found (looked for [project].version, [tool.poetry].version, hatch/pdm/setuptools "
            "version paths, setup.cfg, setup(version=...), __version__ in the package or module, "
            "[tool.devkit.bump] files)"
        )
    versions = {p.version for p in places}
    if len(versions) > 1:
        detail = "; ".join(f"{p.label} = {p.version}" for p in places)
        raise InputError(f"version places disagree: {detail}: make them equal first")
    return places[0].version


def current_version(root: Path) -> tuple[str, list[sources.VersionPlace]]:
    """The one version all file places agree on; NothingFound / InputError when there is none."""
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root}: not a directory")
    places = sources.find_places(root)
    return _agreed(places, root), places


def locate(start: Path | str) -> tuple[Path, Any, str | None]:
    """(project root, dulwich repo or None, note saying which root was used when not ``start``)."""
    start_path = Path(start)
    if not start_path.is_dir():
        raise InputError(f"{start}: not a directory")
    start_path = start_path.resolve()
    repo = gitops.open_repo(start_path)
    top = Path(repo.path).resolve() if repo is not None else None
    root = pyproject_mod.find_root(start_path, top)
    note = None
    if root != start_path:
        marker = next(m for m in pyproject_mod.ROOT_MARKERS if (root / m).is_file())
        note = f"project root: {root} (the nearest {marker} above {start_path})"
    return root, repo, note


def version_info(start: Path | str) -> dict[str, Any]:
    """For ``pkg version``: the version, where it lives and what each bump would give."""
    root, repo, note = locate(start)
    pending = journal.warn_pending(Path(repo.controldir())) if repo is not None else None
    try:
        doc = pyproject_mod.load(root)
        vcs = sources.vcs_backend(doc)
        if vcs:
            found = gitops.nearest_version_tag(repo) if repo is not None else None
            if not found:
                raise NothingFound(f"{root}: the version comes from git tags ({vcs}) and no version tag is reachable from HEAD")
            version, places = found[1], []
        else:
            places = sources.find_places(root, doc)
            version = _agreed(places, root)
    except DevkitError as exc:
        if pending:
            raise type(exc)(f"{exc} ({pending})") from None
        raise
    finally:
        if repo is not None:
            repo.close()
    return {"root": os.fspath(root), "version": version, "vcs": vcs, "places": [p.as_dict() for p in places],
            "bumps": versioning.preview(version), "notes": [n for n in (note, pending) if n]}


def _format(template: str, old: str, new: str, what: str) -> str:
    try:
        return template.format(old=old, new=new, current_version=old, new_version=new)
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        raise InputError(f"bad {what} template {template!r} (use {TEMPLATE_KEYS}): {exc!r}") from None


def _new_version(current: str, part: str | None, to: str | None, pre: str | None, dev: bool,
                 config: dict[str, Any]) -> str:
    calver_fmt = config.get("calver") or versioning.CALVER_DEFAULT
    if to is not None:
        if part or pre or dev:
            raise InputError("give either a PART (with --pre/--dev) or --to VERSION, not both")
        if to.lower() == "calver":
            return versioning.calver(current, calver_fmt)
        return versioning.check_target(current, to)
    if part is None and pre is None and config.get("scheme") == "calver":
        return versioning.calver(current, calver_fmt)
    if config.get("scheme") not in (None, "pep440", "calver"):
        raise InputError(f"[tool.devkit.bump] scheme = {config['scheme']!r}: use \"pep440\" or \"calver\"")
    return versioning.bump(current, part, pre=pre, dev=dev)


def _changes(places: list[sources.VersionPlace], new: str, base: Path) -> list[FileChange]:
    by_file: dict[Path, list[sources.VersionPlace]] = {}
    for place in places:
        by_file.setdefault(gitops.real_path(place.path), []).append(place)
    out = []
    for path, file_places in by_file.items():
        before = sources.read_text(path)
        toml = [p for p in file_places if p.toml_keys]
        after = sources.edit_toml(before, toml, new) if toml else before
        after = sources.replace_in_text(after, [p for p in file_places if not p.toml_keys], new)
        if not path.is_relative_to(base):
            raise InputError(f"{file_places[0].rel} is a symlink to {path}, outside {base}: refusing to edit it")
        if before != after:
            out.append(FileChange(path, path.relative_to(base).as_posix(), before, after))
    return out


def plan_bump(
    root: Path | str,
    part: str | None = None,
    *,
    to: str | None = None,
    pre: str | None = None,
    dev: bool = False,
    commit: bool = True,
    tag: bool = True,
    allow_dirty: bool = False,
    message: str | None = None,
    tag_name: str | None = None,
    sign: bool | None = None,
    push: bool = False,
    changelog_edit: bool = True,
    strict: bool = True,
) -> BumpPlan:
    """Work out the whole bump. ``strict=False`` (dry runs) records git problems instead of raising."""
    root, repo, root_note = locate(root)
    try:
        return _plan(root, repo, root_note, part, to, pre, dev, commit, tag, allow_dirty, message, tag_name,
                     sign, push, changelog_edit, strict)
    finally:
        if repo is not None:
            repo.close()


def _plan(root: Path, repo: Any, root_note: str | None, part: str | None, to: str | None, pre: str | None,
          dev: bool, commit: bool, tag: bool, allow_dirty: bool, message: str | None, tag_name: str | None,
          sign: bool | None, push: bool, changelog_edit: bool, strict: bool) -> BumpPlan:
    doc = pyproject_mod.load(root)
    config = sources.bump_config(doc)
    legacy = doc.table("tool", "bumpversion") if doc else {}  # bump-my-version's own settings
    notes = [root_note] if root_note else []
    warnings: list[str] = []
    vcs = sources.vcs_backend(doc)
    places = sources.find_places(root, doc)
    tag_template = tag_name or config.get("tag_name") or legacy.get("tag_name") or DEFAULT_TAG
    if vcs:
        found = gitops.nearest_version_tag(repo) if repo is not None else None
        if found is None and to is None:
            raise NothingFound(f"{root}: the version comes from git tags ({vcs}) and no version tag is reachable "
                               "from HEAD: give the first one with --to VERSION")
        current = found[1] if found else "0"
        if found and not (tag_name or config.get("tag_name") or legacy.get("tag_name")):
            tag_template = found[0][: found[0].index(re.search(r"\d", found[0]).group(0))] + "{new}"  # keep its prefix
        if places and _agreed(places, root) != current:  # [tool.devkit.bump] files follow the tags
            raise InputError(f"version places disagree: {places[0].label} = {places[0].version}; the newest version "
                             f"tag reachable from HEAD is {found[0] if found else 'none'}: make them equal first")
        notes.append(f"the version comes from git tags ({vcs}): bumping by tag only"
                     + (", generated version files are left to the build" if not places else ""))
    else:
        current = _agreed(places, root)
    new = _new_version(current, part, to, pre, dev, config)
    commit_message = _format(message or config.get("message") or legacy.get("message") or DEFAULT_MESSAGE,
                             current, new, "message")
    tag_text = _format(tag_template, current, new, "tag name")
    if tag and not commit:
        tag = False
        notes.append("--no-commit: no tag either (a tag must point at the bump commit)")

    base = Path(repo.path).resolve() if repo is not None else root
    name = sources.project_name(doc)
    lock_places = [] if vcs else lockfiles.lock_places(root, name)
    changes = _changes(places + [p for p in lock_places if p.version != new], new, base)
    if changelog_edit:
        edit = changelog.plan(root, base, new, tag_text)
        if edit:
            changes.append(FileChange(gitops.real_path(edit.path), edit.rel, edit.before, edit.after))
            if edit.empty:
                warnings.append(f"{edit.rel}: the Unreleased section is empty; released it as an empty {new} section")
    if vcs and not changes:
        if not tag:
            raise InputError(f"the version comes from git tags ({vcs}): --no-tag/--no-commit would change nothing")
        commit = False
    plan = BumpPlan(root, current, new, places + lock_places, changes, commit, tag, commit_message, tag_text,
                    base if repo is not None else None, vcs, push=push, notes=notes, warnings=warnings)
    if commit or tag:
        problems = _git_problems(repo, plan, allow_dirty, sign)
        if problems and strict:
            raise InputError(problems[0] if len(problems) == 1 else "; ".join(problems))
        plan.problems = problems
    return plan


def _git_problems(repo: Any, plan: BumpPlan, allow_dirty: bool, sign: bool | None) -> list[str]:
    if repo is None:
        return [f"{plan.root} is not in a git repository: use --no-commit (or git init)"]
    problems = []
    try:
        ident = gitops.identity(repo)
    except InputError as exc:
        problems.append(str(exc))
        ident = b"? <?>"
    if not allow_dirty:
        dirty = gitops.dirty_paths(repo)
        if dirty:
            shown = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
            problems.append(f"working tree has uncommitted changes ({shown}): commit or stash them, or --allow-dirty")
    ref, head = gitops.head_ref(repo)
    if ref == b"HEAD":
        plan.warnings.append(f"HEAD is detached at {head.decode()[:12] if head else '?'}: the bump commit will be on "
                             "no branch (git switch -c NAME afterwards to keep it on one)")
        if plan.push:
            problems.append("--push: HEAD is detached, there is no branch to push")
    if plan.vcs and head is None:
        problems.append("the version comes from git tags and there is no commit to tag yet")
    if plan.tag and gitops.tag_ref(plan.tag_name) in repo.refs:
        problems.append(f"tag {plan.tag_name} already exists")
    plan.sign_commit = plan.commit and (sign if sign is not None else gitops.config_bool(repo, b"commit", b"gpgSign"))
    plan.sign_tag = plan.tag and (sign if sign is not None else gitops.config_bool(repo, b"tag", b"gpgSign"))
    if plan.sign_commit or plan.sign_tag:
        try:
            gitops.Signer.for_repo(repo, ident)
        except InputError as exc:
            problems.append(str(exc))
    if plan.push:
        try:
            gitops.push_target(repo, ref)
        except InputError as exc:
            problems.append(str(exc))
    return problems


def apply_bump(plan: BumpPlan) -> BumpResult:
    """Journal, write, stage, commit and tag; on any failure or signal restore everything and
    raise with the reason. The caller holds the journal lock (see ``bump``)."""
    result = BumpResult(plan)
    repo = gitops.open_repo(plan.root) if (plan.commit or plan.tag) else None
    if (plan.commit or plan.tag) and repo is None:
        raise InputError(f"{plan.root} is not in a git repository: use --no-commit")
    try:
        with _locked(plan, repo) as (jr, recovered):
            result.recovered = recovered
            _apply(plan, repo, jr, result)
        if plan.push and repo is not None:
            ref, _ = gitops.head_ref(repo)
            try:
                result.pushed_to = gitops.push(repo, ref, plan.tag_name if plan.tag else None, io.BytesIO())
            except DevkitError as exc:
                raise type(exc)(f"bumped {plan.current} -> {plan.new} locally (commit and tag kept), but {exc}") from None
    finally:
        if repo is not None:
            repo.close()
    return result


class _locked:
    """Take the journal lock and deal with what an interrupted run left, for one bump."""

    def __init__(self, plan: BumpPlan, repo: Any) -> None:
        self.home = _journal_home(plan.root, repo)
        self.journal: journal.Journal | None = None

    def __enter__(self) -> tuple[journal.Journal, str | None]:
        self.journal = journal.Journal.acquire(*self.home)
        try:
            recovered = journal.recover(self.journal)
        except BaseException:
            self.journal.release()
            raise
        return self.journal, recovered

    def __exit__(self, *exc: object) -> None:
        assert self.journal is not None
        self.journal.release()


def _journal_home(root: Path, repo: Any) -> tuple[Path, str]:
    """The worktree's own git dir (HEAD and index are per worktree), even for --no-commit, so
    every run looks in one place; the project itself when it is in no repository."""
    if repo is None:
        found = gitops.open_repo(root)
        if found is None:
            return root, "." + journal.DIRNAME
        try:
            return Path(found.controldir()), journal.DIRNAME
        finally:
            found.close()
    return Path(repo.controldir()), journal.DIRNAME


def _state_paths(plan: BumpPlan, repo: Any, ref: bytes) -> dict[Path, str]:
    paths: dict[Path, str] = {c.path: "file" for c in plan.changes}
    if repo is not None:
        refs = [ref] + ([gitops.tag_ref(plan.tag_name)] if plan.tag else [])
        ref_files = {Path(repo.commondir()) / r.decode() for r in refs if r != b"HEAD"}
        if ref == b"HEAD":
            ref_files.add(Path(repo.controldir()) / "HEAD")
        for path in gitops.git_state_paths(repo, refs):
            paths.setdefault(path, "ref" if path in ref_files else "git")
    return paths


def _apply(plan: BumpPlan, repo: Any, jr: journal.Journal, result: BumpResult) -> None:
    ref, head = gitops.head_ref(repo) if repo is not None else (b"", None)
    tag_ref_path = Path(repo.commondir()) / gitops.tag_ref(plan.tag_name).decode() if repo is not None and plan.tag else None
    ref_path = (Path(repo.controldir()) / "HEAD" if ref == b"HEAD" else Path(repo.commondir()) / ref.decode()) \
        if repo is not None else None
    step = "starting"
    with journal.signals_raise():
        try:
            jr.begin(_state_paths(plan, repo, ref),
                     {"old": plan.current, "new": plan.new, "tag": plan.tag_name if plan.tag else None,
                      "tag_ref_path": os.fspath(tag_ref_path) if tag_ref_path else None},
                     {c.path: c.after.encode("utf-8") for c in plan.changes})
            jr.record("writing")
            for i, change in enumerate(plan.changes):
                step = f"writing {change.rel}"
                gitops.write_bytes(change.path, change.after.encode("utf-8"))
                if i == 0:
                    journal.checkpoint("wrote-first")
            if repo is None:
                jr.finish()
                return
            ident = gitops.identity(repo)
            target = head
            if plan.commit:
                rels = [c.rel for c in plan.changes]
                step = "staging"
                jr.record("staging")
                gitops.stage(repo, rels)
                journal.checkpoint("staged")
                step = "committing"
                gitops.run_hook(repo, "pre-commit")
                text = gitops.commit_message(repo, plan.commit_message)
                signer = gitops.Signer.for_repo(repo, ident) if plan.sign_commit else None
                commit, trees = gitops.build_commit(repo, rels, text, ident, head, signer)
                jr.record("committing", refs={ref_path: commit.id + b"\n"}, commit_id=commit.id.decode())
                gitops.store(repo, [*trees, commit])
                gitops.update_ref(repo, b"HEAD", head, commit.id, ident, "commit: " + text)
                result.commit_id = commit.id.decode("ascii")
                target = commit.id
                journal.checkpoint("committed")
                try:
                    gitops.run_hook(repo, "post-commit")
                except DevkitError:
                    pass  # a failing post-commit hook changes nothing in git either
            if plan.tag:
                step = f"tagging {plan.tag_name}"
                signer = gitops.Signer.for_repo(repo, ident) if plan.sign_tag else None
                tag_obj = gitops.build_tag(plan.tag_name, plan.commit_message, ident, target, signer)
                jr.record("tagging", refs={tag_ref_path: tag_obj.id + b"\n"}, tag_id=tag_obj.id.decode())
                gitops.store(repo, [tag_obj])
                gitops.add_tag_ref(repo, plan.tag_name, tag_obj.id)
                result.tag_id = tag_obj.id.decode("ascii")
                journal.checkpoint("tagged")
            jr.finish()
        except BaseException as exc:
            _undo(jr, step, exc)


def _undo(jr: journal.Journal, step: str, exc: BaseException) -> None:
    failed = jr.restore_in_process()
    if isinstance(exc, KeyboardInterrupt):
        exc = journal.Interrupted(2)
    reason = str(exc) if isinstance(exc, DevkitError) else f"{type(exc).__name__}: {exc}"
    if failed:
        raise DevkitError(f"bump failed while {step} ({reason}) and could not restore: {'; '.join(failed)}; "
                          f"the old bytes are kept in {jr.directory}: run devkit pkg bump --recover") from None
    if isinstance(exc, journal.Interrupted):
        raise journal.Interrupted(exc.signum, f"{reason} while {step}; rolled back, nothing was changed") from None
    message = f"bump failed while {step}: {reason}; nothing was changed"
    if isinstance(exc, DevkitError):
        raise type(exc)(message) from None
    raise DevkitError(message) from None


def recover_only(start: Path | str) -> str | None:
    """``pkg bump --recover``: roll back (or keep) what an interrupted bump left, nothing else."""
    root, repo, _ = locate(start)
    try:
        jr = journal.Journal.acquire(*_journal_home(root, repo))
        try:
            return journal.recover(jr)
        finally:
            jr.release()
    finally:
        if repo is not None:
            repo.close()


def bump(root: Path | str = ".", part: str | None = None, *, dry_run: bool = False, **options: Any) -> BumpPlan | BumpResult:
    """Plan and (unless ``dry_run``) apply a bump; a real run first undoes an interrupted one."""
    if dry_run:
        plan = plan_bump(Path(root), part, strict=False, **options)
        repo = gitops.open_repo(plan.root)
        if repo is not None:
            pending = journal.warn_pending(Path(repo.controldir()))
            repo.close()
            if pending:
                plan.problems.insert(0, pending)
        return plan
    recovered = recover_only(root)
    plan = plan_bump(Path(root), part, strict=True, **options)
    result = apply_bump(plan)
    result.recovered = result.recovered or recovered
    return result


def github_output(result: BumpResult, path: str | os.PathLike[str]) -> None:
    """Append ``old``, ``new``, ``tag`` and ``commit`` to a GitHub Actions ``$GITHUB_OUTPUT`` file."""
    plan = result.plan
    lines = {"old": plan.current, "new": plan.new, "tag": plan.tag_name if result.tag_id else "",
             "commit": result.commit_id or ""}
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write("".join(f"{k}={v}\n" for k, v in lines.items()))
    except OSError as exc:
        raise InputError(f"GITHUB_OUTPUT {path}: cannot write: {exc.strerror}") from None


__all__ = ["BumpPlan", "BumpResult", "apply_bump", "bump", "current_version", "github_output", "plan_bump",
           "recover_only", "version_info"]
