"""``devkit pkg bump`` / ``pkg version``: plan a version change, then apply it all or nothing.

``plan_bump`` reads every version place, insists they agree, computes the new version and the
exact new file contents, and (for a real run) checks git: a repository, an identity, a clean tree
and a free tag name. ``apply_bump`` writes the files, stages and commits them and creates the
annotated tag; if any step fails, the snapshot taken before the first write is restored, so the
files, the index and the refs are byte-identical to before and the error says why.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devkit.errors import DevkitError, InputError, NothingFound
from devkit.pkg import gitops, sources, versioning

DEFAULT_MESSAGE = "Bump version: {old} → {new}"
DEFAULT_TAG = "v{new}"


@dataclass
class FileChange:
    path: Path
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
    problems: list[str] = field(default_factory=list)  # what would stop a real run
    notes: list[str] = field(default_factory=list)

    def diff(self) -> str:
        return "".join(change.diff() for change in self.changes)

    def as_dict(self) -> dict[str, Any]:
        return {
            "current": self.current,
            "new": self.new,
            "places": [p.as_dict() for p in self.places],
            "files": [c.rel for c in self.changes],
            "commit": self.commit_message if self.commit else None,
            "tag": self.tag_name if self.tag else None,
            "problems": self.problems,
            "notes": self.notes,
        }


@dataclass
class BumpResult:
    plan: BumpPlan
    commit_id: str | None = None
    tag_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out = self.plan.as_dict()
        out.update({"commit_id": self.commit_id, "tag_id": self.tag_id, "dry_run": False})
        return out


def current_version(root: Path) -> tuple[str, list[sources.VersionPlace]]:
    """The one version all places agree on; NothingFound / InputError when there is none."""
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root}: not a directory")
    places = sources.find_places(root)
    if not places:
        raise NothingFound(
            f"{root}: no version found (looked for [project].version, setup.cfg [metadata] version, "
            "setup(version=...), __version__ in the package, [tool.devkit.bump] files)"
        )
    versions = {p.version for p in places}
    if len(versions) > 1:
        detail = "; ".join(f"{p.label} = {p.version}" for p in places)
        raise InputError(f"version places disagree: {detail}: make them equal first")
    return places[0].version, places


def version_info(root: Path) -> dict[str, Any]:
    """For ``pkg version``: the version, where it lives and what each bump would give."""
    version, places = current_version(root)
    return {"version": version, "places": [p.as_dict() for p in places], "bumps": versioning.preview(version)}


def _new_contents(places: list[sources.VersionPlace], new: str) -> dict[Path, tuple[str, str]]:
    by_file: dict[Path, list[sources.VersionPlace]] = {}
    for place in places:
        by_file.setdefault(place.path, []).append(place)
    out = {}
    for path, file_places in by_file.items():
        before = sources.read_text(path)
        if file_places[0].key == "[project].version":
            after = sources.edit_pyproject(before, new)
        else:
            after = sources.replace_in_text(before, file_places, new)
        out[path] = (before, after)
    return out


def plan_bump(
    root: Path,
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
    strict: bool = True,
) -> BumpPlan:
    """Work out the whole bump. ``strict=False`` (dry runs) records git problems instead of raising."""
    root = Path(root).resolve()
    current, places = current_version(root)
    if to is not None:
        if part or pre or dev:
            raise InputError("give either a PART (with --pre/--dev) or --to VERSION, not both")
        new = versioning.check_target(current, to)
    else:
        new = versioning.bump(current, part, pre=pre, dev=dev)
    config = sources.bump_config(root)
    template = message or config.get("message") or DEFAULT_MESSAGE
    tag_template = tag_name or config.get("tag_name") or DEFAULT_TAG
    try:
        commit_message = template.format(old=current, new=new)
        tag_text = tag_template.format(old=current, new=new)
    except (KeyError, IndexError, ValueError) as exc:
        raise InputError(f"bad message/tag template (use {{old}} and {{new}}): {exc}") from None
    notes = []
    if tag and not commit:
        tag = False
        notes.append("--no-commit: no tag either (a tag must point at the bump commit)")

    repo = gitops.open_repo(root) if (commit or tag) else None
    repo_root = Path(repo.path).resolve() if repo is not None else None
    base = repo_root or root
    contents = _new_contents(places, new)
    changes = [FileChange(path, path.relative_to(base).as_posix(), before, after)
               for path, (before, after) in contents.items() if before != after]
    plan = BumpPlan(root, current, new, places, changes, commit, tag, commit_message, tag_text,
                    repo_root, notes=notes)
    if commit or tag:
        problems = _git_problems(repo, plan, allow_dirty)
        if repo is not None:
            repo.close()
        if problems and strict:
            raise InputError(problems[0] if len(problems) == 1 else "; ".join(problems))
        plan.problems = problems
    return plan


def _git_problems(repo: Any, plan: BumpPlan, allow_dirty: bool) -> list[str]:
    if repo is None:
        return [f"{plan.root} is not in a git repository: use --no-commit (or git init)"]
    problems = []
    try:
        gitops.identity(repo)
    except InputError as exc:
        problems.append(str(exc))
    if not allow_dirty:
        dirty = gitops.dirty_paths(repo)
        if dirty:
            shown = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
            problems.append(f"working tree has uncommitted changes ({shown}): commit or stash them, or --allow-dirty")
    if plan.tag and gitops.tag_ref(plan.tag_name) in repo.refs:
        problems.append(f"tag {plan.tag_name} already exists")
    return problems


def apply_bump(plan: BumpPlan) -> BumpResult:
    """Write, stage, commit and tag; on any failure restore everything and raise with the reason."""
    result = BumpResult(plan)
    repo = gitops.open_repo(plan.root) if plan.commit else None
    if plan.commit and repo is None:
        raise InputError(f"{plan.root} is not in a git repository: use --no-commit")
    ref = b""
    state_paths: list[Path] = []
    if repo is not None:
        ref, _ = gitops.head_ref(repo)
        state_paths = gitops.git_state_paths(repo, [ref])
    snapshot = gitops.Snapshot.take([c.path for c in plan.changes] + state_paths)
    step = "writing files"
    try:
        for change in plan.changes:
            step = f"writing {change.rel}"
            gitops.write_bytes(change.path, change.after.encode("utf-8"))
        if repo is not None:
            ident = gitops.identity(repo)
            rels = [c.rel for c in plan.changes]
            step = "staging"
            gitops.stage(repo, rels)
            step = "committing"
            commit_id = gitops.commit(repo, rels, plan.commit_message, ident, ref)
            result.commit_id = commit_id.decode("ascii")
            if plan.tag:
                step = f"tagging {plan.tag_name}"
                result.tag_id = gitops.create_tag(repo, plan.tag_name, plan.commit_message, ident,
                                                  commit_id).decode("ascii")
    except BaseException as exc:
        failed = snapshot.restore()
        reason = str(exc) if isinstance(exc, DevkitError) else f"{type(exc).__name__}: {exc}"
        if failed:
            raise DevkitError(f"bump failed while {step} ({reason}) and could not restore: {'; '.join(failed)}") from None
        if isinstance(exc, KeyboardInterrupt):
            raise
        message = f"bump failed while {step}: {reason}; nothing was changed"
        if isinstance(exc, DevkitError):
            raise type(exc)(message) from None
        raise DevkitError(message) from None
    finally:
        if repo is not None:
            repo.close()
    return result


def bump(root: Path | str = ".", part: str | None = None, *, dry_run: bool = False, **options: Any) -> BumpPlan | BumpResult:
    """Plan and (unless ``dry_run``) apply a bump."""
    plan = plan_bump(Path(root), part, strict=not dry_run, **options)
    if dry_run:
        return plan
    return apply_bump(plan)


__all__ = ["BumpPlan", "BumpResult", "apply_bump", "bump", "current_version", "plan_bump", "version_info"]
