"""Every command teaches: a one-line summary, a real example, and --help exits 0."""

import click
import pytest
from click.testing import CliRunner

from devkit.cli import cli


def walk(group: click.Group, ctx: click.Context, path: tuple[str, ...] = ()):
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        yield path + (name,), cmd
        if isinstance(cmd, click.Group):
            yield from walk(cmd, click.Context(cmd, parent=ctx, info_name=name), path + (name,))


ALL = list(walk(cli, click.Context(cli, info_name="devkit")))


def test_the_tree_has_every_group():
    names = {p for p, _ in ALL}
    for expected in [("logs", "trace"), ("logs", "grep"), ("logs", "merge"), ("pkg",), ("gen",), ("load",),
                     ("completion",)]:
        assert expected in names


@pytest.mark.parametrize("path", [p for p, _ in ALL], ids=[" ".join(p) for p, _ in ALL])
def test_help_has_a_summary_and_an_example(path):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    cmd = dict(ALL)[path]
    assert cmd.get_short_help_str().strip(), f"{' '.join(path)} has no summary"
    assert "Example" in result.output, f"{' '.join(path)} --help has no example"
    assert "devkit " in result.output.split("Example", 1)[1], "the example shows a devkit command line"


def test_root_version_and_usage_errors():
    from devkit import __version__

    runner = CliRunner()
    assert runner.invoke(cli, ["--version"]).output.strip() == f"devkit, version {__version__}"
    assert runner.invoke(cli, ["nope"]).exit_code == 2
    assert runner.invoke(cli, ["logs", "trace"]).exit_code == 2  # missing ID


def test_help_does_not_import_heavy_libraries():
    import subprocess
    import sys

    code = ("import sys; from devkit.cli import main; sys.argv=['devkit','--help'];\n"
            "try: main()\nexcept SystemExit: pass\n"
            "heavy = [m for m in ('pika', 'pyroma', 'dulwich', 'elasticsearch', 'tomlkit') if m in sys.modules]\n"
            "print('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert "HEAVY []" in out
