"""`devkit pkg bump`: change the version everywhere it is kept, commit and tag, all or nothing."""

from __future__ import annotations

import json
import os

import click

from devkit.cli.console import get_terminal
from devkit.cli.options import json_option

PARTS = ("major", "minor", "patch", "pre", "post", "dev", "release")


@click.command()
@click.argument("part", type=click.Choice(PARTS), required=False)
@click.option("--to", "to", metavar="VERSION", help="Set this exact (PEP 440, newer) version instead of a PART; "
              "`--to calver` gives today's calendar version.")
@click.option("--pre", type=click.Choice(["a", "b", "rc"]), help="Make it (or advance) a pre-release.")
@click.option("--dev", is_flag=True, help="Append .dev0 to the result (e.g. `patch --dev`).")
@click.option("-C", "--project", "project", default=".", show_default=True,
              type=click.Path(file_okay=False), help="Where to start looking for the project (its nearest root is used).")
@click.option("--dry-run", is_flag=True, help="Print the diff, commit and tag it would make; change nothing.")
@click.option("--allow-dirty", is_flag=True, help="Bump even with uncommitted changes (only the version files are committed).")
@click.option("--no-commit", is_flag=True, help="Only edit the files (implies --no-tag).")
@click.option("--no-tag", is_flag=True, help="Commit but do not tag.")
@click.option("--no-changelog", is_flag=True, help="Leave CHANGELOG.md's Unreleased section alone.")
@click.option("--sign/--no-sign", default=None,
              help="GPG-sign the commit and the tag [default: commit.gpgSign / tag.gpgSign].")
@click.option("--push", is_flag=True, help="Then push the branch and the tag in one atomic push (both or neither).")
@click.option("--recover", is_flag=True, help="Only roll back (or keep, if it had finished) an interrupted bump.")
@click.option("--message", metavar="TEMPLATE", help="Commit message template [default: 'Bump version: {old} → {new}'].")
@click.option("--tag-name", metavar="TEMPLATE", help="Tag name template [default: 'v{new}'].")
@json_option
def bump(part: str | None, to: str | None, pre: str | None, dev: bool, project: str, dry_run: bool,
         allow_dirty: bool, no_commit: bool, no_tag: bool, no_changelog: bool, sign: bool | None, push: bool,
         recover: bool, message: str | None, tag_name: str | None, as_json: bool) -> None:
    """Bump the version in every place it is kept, then commit and tag (annotated) with git.

    PART is major, minor, patch, pre, post, dev or release; results are PEP 440 versions. All
    places must agree first ([project], [tool.poetry], hatch/pdm/setuptools version paths,
    setup.cfg, setup.py, __version__, uv.lock, [tool.devkit.bump] files). A project versioned by
    git tags (setuptools_scm, hatch-vcs, ...) is bumped by its tag alone. The repository's hooks
    run as git runs them. If any step fails or a signal arrives, files, index and refs are
    restored exactly; after a SIGKILL the next run rolls the half-done bump back. Templates take
    {old}/{new} or {current_version}/{new_version}. With $GITHUB_OUTPUT set, old, new, tag and
    commit are written there.

    \b
    Examples:
      devkit pkg bump patch
      devkit pkg bump minor --pre rc        # 1.2.0 -> 1.3.0rc1
      devkit pkg bump --pre rc              # 1.3.0rc1 -> 1.3.0rc2
      devkit pkg bump release               # 1.3.0rc2 -> 1.3.0
      devkit pkg bump --to 2.0.0 --dry-run
      devkit pkg bump --to calver --sign --push
    """
    from devkit.pkg import bump as lib

    term = get_terminal()
    if recover:
        if part or to or pre or dev:
            raise click.UsageError("--recover only undoes an interrupted bump: give no PART or --to")
        found = lib.recover_only(project)
        term.info(found or "no interrupted bump to recover")
        return
    outcome = lib.bump(
        project, part, dry_run=dry_run, to=to, pre=pre, dev=dev, commit=not no_commit,
        tag=not no_tag, allow_dirty=allow_dirty, message=message, tag_name=tag_name, sign=sign, push=push,
        changelog_edit=not no_changelog,
    )
    plan = outcome if dry_run else outcome.plan  # type: ignore[union-attr]
    recovered = None if dry_run else outcome.recovered  # type: ignore[union-attr]
    if recovered:
        term.warning(recovered)
    if not dry_run and os.environ.get("GITHUB_OUTPUT"):
        lib.github_output(outcome, os.environ["GITHUB_OUTPUT"])  # type: ignore[arg-type]
    if as_json:
        data = plan.as_dict() if dry_run else outcome.as_dict()  # type: ignore[union-attr]
        if dry_run:
            data.update({"dry_run": True, "diff": plan.diff()})
        term.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    elif dry_run:
        term.write(plan.diff())
        term.write(f"would bump {plan.current} -> {plan.new}\n")
        signed = lambda on: " (signed)" if on else ""  # noqa: E731
        term.write(f"would commit: {plan.commit_message}{signed(plan.sign_commit)}\n" if plan.commit else "would not commit\n")
        term.write(f"would tag: {plan.tag_name} (annotated){signed(plan.sign_tag)}\n" if plan.tag else "would not tag\n")
        if plan.push:
            term.write("would push the branch and the tag (atomic)\n")
    else:
        lines = [f"bumped {plan.current} -> {plan.new}"]
        lines += [f"  edited {c.rel}" for c in plan.changes]
        if outcome.commit_id:  # type: ignore[union-attr]
            lines.append(f"  commit {outcome.commit_id[:12]} {plan.commit_message}"  # type: ignore[union-attr]
                         + (" (signed)" if plan.sign_commit else ""))
        if outcome.tag_id:  # type: ignore[union-attr]
            lines.append(f"  tag {plan.tag_name} (annotated{', signed' if plan.sign_tag else ''})")
        if outcome.pushed_to:  # type: ignore[union-attr]
            lines.append(f"  pushed to {outcome.pushed_to}")  # type: ignore[union-attr]
        term.write("\n".join(lines) + "\n")
    for note in plan.notes:
        term.info(note)
    for warning in plan.warnings:
        term.warning(warning)
    for problem in plan.problems:
        term.warning(f"a real run would stop here: {problem}")
