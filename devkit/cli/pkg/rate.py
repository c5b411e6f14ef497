"""`devkit pkg rate`: pyroma's score and cheese, every check, and dependency hygiene."""

from __future__ import annotations

import json

import click

from devkit.cli.console import get_terminal
from devkit.cli.options import json_option


@click.command()
@click.argument("target", default=".", required=False)
@click.option("--pypi", "pypi", metavar="NAME[==VERSION]",
              help="Rate a published sdist (fetched with pip download --no-deps; pip's config applies).")
@click.option("--min", "min_score", type=click.IntRange(0, 10), default=None, metavar="N",
              help="Exit 1 when the score is lower than N (a CI gate).")
@click.option("--strict", is_flag=True, help="Exit 1 when there are dependency-hygiene findings.")
@click.option("--no-build", is_flag=True,
              help="Never run the project's code: refuse a project or sdist that only its build backend can rate.")
@click.option("--failures-only", is_flag=True, help="Show only the checks that fail (the score counts them all).")
@json_option
def rate(target: str, pypi: str | None, min_score: int | None, strict: bool, no_build: bool, failures_only: bool,
         as_json: bool) -> int:
    """Rate a project directory, sdist or wheel with pyroma's tests, plus dependency hygiene.

    PEP 621 metadata is read straight from pyproject.toml (offline, no project code runs), an
    sdist from its PKG-INFO and a wheel from its METADATA; only a dynamic or setup.py project goes
    through its build backend, as pyroma does, and devkit says so before it runs that code.

    \b
    Examples:
      devkit pkg rate .
      devkit pkg rate dist/mypkg-1.2.0.tar.gz
      devkit pkg rate --pypi requests==2.32.3 --json
      devkit pkg rate . --min 9 --strict    # CI gate
      devkit pkg rate dist/x-1.0.tar.gz --no-build --failures-only
    """
    from devkit.pkg.rate import rate as rate_project

    if pypi and target != ".":
        raise click.UsageError("give either TARGET or --pypi NAME[==VERSION], not both")
    term = get_terminal()
    report = rate_project(target, pypi=pypi, build=not no_build, notify=term.warning)
    if as_json:
        data = report.as_dict()
        if failures_only:
            data["checks"] = [c for c in data["checks"] if c["passed"] is False]
        term.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    else:
        _render(report, failures_only)
    if report.source != "static":
        term.info(f"metadata from {report.source}" + (f" ({report.reason})" if report.reason else ""))
    status = 0
    if min_score is not None and report.score < min_score:
        term.error(f"score {report.score}/10 is below --min {min_score}")
        status = 1
    if strict and report.hygiene:
        term.error(f"{len(report.hygiene)} dependency-hygiene finding(s) and --strict is set")
        status = 1
    return status


def _render(report, failures_only: bool) -> None:  # type: ignore[no-untyped-def]
    from rich.table import Table

    out = get_terminal().out
    title = f"{report.name or '?'} {report.version}".strip()
    table = Table(title=f"pyroma checks: {title}", title_justify="left")
    table.add_column("check", overflow="fold")
    table.add_column("result")
    table.add_column("message", overflow="fold")
    for check in report.checks:
        if failures_only and check.passed is not False:
            continue
        verdict = {True: "pass", False: "FAIL", None: "n/a"}[check.passed]
        style = {True: "green", False: "red", None: "dim"}[check.passed]
        table.add_row(check.id, verdict, check.message, style=style if check.passed is not True else None)
    if table.row_count or not failures_only:
        out.print(table)
    else:
        out.print(f"pyroma checks: {title}: no check fails")
    if report.hygiene:
        hyg = Table(title="dependency hygiene", title_justify="left")
        hyg.add_column("rule", overflow="fold")
        hyg.add_column("where")
        hyg.add_column("message", overflow="fold")
        for finding in report.hygiene:
            hyg.add_row(f"{finding.id} {finding.rule}", finding.where, finding.message)
        out.print(hyg)
    else:
        out.print("dependency hygiene: no findings")
    out.print(f"score: {report.score}/10 {report.cheese}")
