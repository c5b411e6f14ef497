"""`devkit pkg bump`: change the version everywhere it is kept, commit and tag, all or nothing."""

from __future__ import annotations

import json

import click

from devkit.cli.console import get_terminal
from devkit.cli.options import json_option

PARTS = ("major", "minor", "patch", "pre", "post", "dev", "release")


@click.command()
@click.argument("part", type=click.Choice(PARTS), required=False)
@click.option("--to", "to", metavar="VERSION", help="Set this exact (PEP 440, newer) version instead of a PART.")
@click.option("--pre", type=click.Choice(["a", "b", "rc"]), help="Make it (or advance) a pre-release.")
@click.option("--dev", is_flag=True, help="Append .dev0 to the result (e.g. `patch --dev`).")
@click.option("-C", "--project", "project", default=".", show_default=True,
              type=click.Path(file_okay=False), help="Project directory.")
@click.option("--dry-run", is_flag=True, help="Print the diff, commit and tag it would make; change nothing.")
@click.option("--allow-dirty", is_flag=True, help="Bump even with uncommitted changes (only the version files are committed).")
@click.option("--no-commit", is_flag=True, help="Only edit the files (implies --no-tag).")
@click.option("--no-tag", is_flag=True, help="Commit but do not tag.")
@click.option("--message", metavar="TEMPLATE", help="Commit message template [default: 'Bump version: {old} → {new}'].")
@click.option("--tag-name", metavar="TEMPLATE", help="Tag name template [default: 'v{new}'].")
@json_option
def bump(part: str | None, to: str | None, pre: str | None, dev: bool, project: str, dry_run: bool,
         allow_dirty: bool, no_commit: bool, no_tag: bool, message: str | None, tag_name: str | None,
         as_json: bool) -> None:
    """Bump the version in every place it is kept, then commit and tag (annotated) with git.

    PART is major, minor, patch, pre, post, dev or release; results are PEP 440 versions. All
    places must agree first. If any step fails (a hook rejects the commit, the tag exists), files,
    index and refs are restored exactly. Defaults can live in [tool.devkit.bump] (message,
    tag_name, files = [{path, pattern}]).

    \b
    Examples:
      devkit pkg bump patch
      devkit pkg bump minor --pre rc        # 1.2.0 -> 1.3.0rc1
      devkit pkg bump --pre rc              # 1.3.0rc1 -> 1.3.0rc2
      devkit pkg bump release               # 1.3.0rc2 -> 1.3.0
      devkit pkg bump --to 2.0.0 --dry-run
    """
    from devkit.pkg.bump import bump as do_bump

    outcome = do_bump(
        project, part, dry_run=dry_run, to=to, pre=pre, dev=dev, commit=not no_commit,
        tag=not (no_tag or no_commit), allow_dirty=allow_dirty, message=message, tag_name=tag_name,
    )
    term = get_terminal()
    plan = outcome if dry_run else outcome.plan  # type: ignore[union-attr]
    if as_json:
        data = plan.as_dict() if dry_run else outcome.as_dict()  # type: ignore[union-attr]
        if dry_run:
            data.update({"dry_run": True, "diff": plan.diff()})
        term.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    elif dry_run:
        term.write(plan.diff())
        term.write(f"would bump {plan.current} -> {plan.new}\n")
        term.write(f"would commit: {plan.commit_message}\n" if plan.commit else "would not commit\n")
        term.write(f"would tag: {plan.tag_name} (annotated)\n" if plan.tag else "would not tag\n")
    else:
        lines = [f"bumped {plan.current} -> {plan.new}"]
        lines += [f"  edited {c.rel}" for c in plan.changes]
        if outcome.commit_id:  # type: ignore[union-attr]
            lines.append(f"  commit {outcome.commit_id[:12]} {plan.commit_message}")  # type: ignore[union-attr]
        if outcome.tag_id:  # type: ignore[union-attr]
            lines.append(f"  tag {plan.tag_name} (annotated)")
        term.write("\n".join(lines) + "\n")
    for note in plan.notes:
        term.info(note)
    for problem in plan.problems:
        term.warning(f"a real run would stop here: {problem}")
