"""`pkg rate` on hostile input (issue 16): bombs are capped, paths stay inside the project,
project code never runs unannounced, and bad pyproject values are one line, never a traceback."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from pkg_bombs import sdist_with_huge_member, wheel_with_huge_metadata

from devkit.cli import cli
from devkit.errors import InputError
from devkit.pkg import rate as rate_mod

GOOD = textwrap.dedent("""
    [project]
    name = "svc"
    version = "1.0.0"
    description = "A service"
""").lstrip()


def rate_in_subprocess(target: Path, tmpdir: Path, *, address_space: int | None = None,
                       file_size: int | None = None) -> subprocess.CompletedProcess:
    """`devkit pkg rate` in a child with hard limits: before the caps, these bombs needed GiBs
    of memory (and 40 s) or wrote GiBs into $TMPDIR; under the limits that is a crash."""
    def limits() -> None:
        if address_space:
            resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
        if file_size:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))

    env = {**os.environ, "TMPDIR": str(tmpdir), "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "devkit", "pkg", "rate", str(target)], capture_output=True,
                          text=True, env=env, preexec_fn=limits, timeout=120)


def test_wheel_with_a_1_gib_metadata_is_refused_after_reading_16_mib(tmp_path):
    wheel = wheel_with_huge_metadata(tmp_path / "bomb-1.0-py3-none-any.whl")
    assert wheel.stat().st_size < 2_000_000
    proc = rate_in_subprocess(wheel, tmp_path, address_space=1 << 30)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"devkit: error: {wheel}: bomb-1.0.dist-info/METADATA is 1.0 GiB, larger than 16 MiB: not rated"]


def test_wheel_that_lies_about_its_metadata_size_is_still_capped(tmp_path):
    wheel = wheel_with_huge_metadata(tmp_path / "liar-1.0-py3-none-any.whl")
    data = bytearray(wheel.read_bytes())
    central = data.rindex(b"PK\x01\x02")
    data[central + 24:central + 28] = (1000).to_bytes(4, "little")  # central directory: "1000 bytes"
    wheel.write_bytes(bytes(data))
    with pytest.raises(InputError, match="larger than 16 MiB|not a readable wheel"):
        rate_mod.rate(wheel)


@pytest.mark.parametrize("pkg_info_first", [True, False], ids=["with-pkg-info", "without-pkg-info"])
def test_sdist_with_a_2_gib_member_writes_nothing_big(tmp_path, pkg_info_first):
    sdist = sdist_with_huge_member(tmp_path / "bomb-1.0.tar.gz", pkg_info_first=pkg_info_first)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    proc = rate_in_subprocess(sdist, scratch, file_size=64 << 20)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == (
        f"devkit: error: {sdist}: member 'bomb-1.0/data/blob.bin' is 2.0 GiB, larger than the 256 MiB devkit "
        "reads from an sdist: not rated")
    assert sum(p.stat().st_size for p in scratch.rglob("*") if p.is_file()) == 0


def test_readme_outside_the_project_is_refused(tmp_path):
    (tmp_path / "pyproject.toml").write_text(GOOD + 'readme = "../../../etc/passwd"\n')
    result = CliRunner().invoke(cli, ["pkg", "rate", str(tmp_path)])
    assert result.exit_code == 2
    assert "readme file '../../../etc/passwd' is outside the project: refused" in result.output
    assert "root:" not in result.output


def test_readme_symlinked_outside_the_project_is_refused(tmp_path):
    project = tmp_path / "p"
    project.mkdir()
    (tmp_path / "secret.md").write_text("secret\n")
    os.symlink(tmp_path / "secret.md", project / "README.md")
    (project / "pyproject.toml").write_text(GOOD + 'readme = "README.md"\n')
    result = CliRunner().invoke(cli, ["pkg", "rate", str(project)])
    assert result.exit_code == 2
    assert "'README.md' is outside the project: refused" in result.output


def setup_py_project(root: Path, marker: Path) -> Path:
    root.mkdir()
    (root / "setup.py").write_text(
        f"open({str(marker)!r}, 'w').write('ran')\nfrom setuptools import setup\nsetup(name='legacy', version='1.0')\n")
    return root


def test_project_code_is_announced_before_it_runs_and_no_build_refuses(tmp_path):
    marker = tmp_path / "EXECUTED"
    root = setup_py_project(tmp_path / "legacy", marker)
    result = CliRunner().invoke(cli, ["pkg", "rate", str(root), "--no-build"])
    assert result.exit_code == 2
    assert "rating needs the build backend (no pyproject.toml: setup.py/setup.cfg project), which runs the " \
           "project's code (setup.py); --no-build refuses that" in result.output
    assert not marker.exists()

    heard = []
    report = rate_mod.rate(root, notify=lambda message: heard.append((message, marker.exists())))
    assert report.source == "build-backend" and marker.exists()
    assert heard == [(f"{root}: running the build backend to read the metadata (no pyproject.toml: setup.py/setup.cfg "
                      "project); this executes the project's code (setup.py); --no-build refuses instead", False)]


def test_sdist_without_pkg_info_needs_the_backend_and_no_build_refuses(tmp_path):
    marker = tmp_path / "EXECUTED"
    root = setup_py_project(tmp_path / "legacy-1.0", marker)
    sdist = tmp_path / "legacy-1.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as tf:
        tf.add(root, arcname="legacy-1.0")
    result = CliRunner().invoke(cli, ["pkg", "rate", str(sdist), "--no-build"])
    assert result.exit_code == 2
    assert "an sdist without PKG-INFO needs its build backend (it runs the project's setup.py)" in result.output
    assert not marker.exists()
    result = CliRunner().invoke(cli, ["pkg", "rate", str(sdist)])
    assert result.exit_code == 0, result.output
    assert "running the build backend to read the metadata" in result.stderr
    assert marker.exists()


@pytest.mark.parametrize("extra, message", [
    ('authors = "me"\n', "pyproject.toml:5: [project].authors must be an array of tables like"),
    ('classifiers = "Programming Language :: Python"\n', "pyproject.toml:5: [project].classifiers must be an array of strings, not a string"),
    ("keywords = [1, 2]\n", "pyproject.toml:5: [project].keywords must be an array of strings, not an array"),
    ('urls = ["https://x"]\n', "pyproject.toml:5: [project].urls must be a table of strings, not an array"),
    ("readme = 5\n", "pyproject.toml:5: [project].readme must be a string or a table with file or text, not an integer"),
    ('optional-dependencies = { test = "pytest" }\n', "[project].optional-dependencies must be a table of arrays of strings"),
    ("dependencies = " + "[" * 200 + "]" * 200 + "\n", "[project].dependencies must be an array of strings"),
    ("dependencies = " + "[" * 5000 + "]" * 5000 + "\n", "values nested more than 64 levels deep"),
    ("x = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n", "values nested more than 64 levels deep"),
], ids=["authors", "classifiers", "keywords", "urls", "readme", "optional", "nested", "deep", "deep-tables"])
def test_wrong_typed_or_nested_values_are_one_line(tmp_path, extra, message):
    (tmp_path / "pyproject.toml").write_text(GOOD + extra)
    proc = subprocess.run([sys.executable, "-m", "devkit", "pkg", "rate", str(tmp_path)], capture_output=True,
                          text=True, env={**os.environ, "NO_COLOR": "1"})
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines
    assert "internal error" not in proc.stderr
    bump = subprocess.run([sys.executable, "-m", "devkit", "pkg", "version", "-C", str(tmp_path)], capture_output=True,
                          text=True, env={**os.environ, "NO_COLOR": "1"})
    assert "internal error" not in bump.stderr and "Traceback" not in bump.stderr


def test_failures_only_hides_passing_rows(tmp_path):
    (tmp_path / "pyproject.toml").write_text(GOOD)
    full = CliRunner().invoke(cli, ["pkg", "rate", str(tmp_path)])
    short = CliRunner().invoke(cli, ["pkg", "rate", str(tmp_path), "--failures-only"])
    assert " Name " in full.output and " pass " in full.output
    assert " Name " not in short.output and " pass " not in short.output
    assert "FAIL" in short.output and short.output.rstrip().endswith(full.output.rstrip().splitlines()[-1])
    data = json.loads(CliRunner().invoke(cli, ["pkg", "rate", str(tmp_path), "--failures-only", "--json"]).stdout)
    assert data["checks"] and all(c["passed"] is False for c in data["checks"])
