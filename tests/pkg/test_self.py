"""devkit's own packaging passes devkit's own checks."""

import json
import re
from pathlib import Path

from click.testing import CliRunner

from devkit import __version__
from devkit.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def test_devkit_rates_itself_10_of_10_without_hygiene_findings(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, ["pkg", "rate", ".", "--json", "--strict", "--min", "10"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["score"], report["cheese"], report["hygiene"]) == (10, "Mascarpone", [])
    assert report["source"] == "static"  # read from pyproject.toml, no build backend run


def test_bump_dry_run_finds_every_place_devkits_version_lives(monkeypatch):
    monkeypatch.chdir(ROOT)
    before = {p: (ROOT / p).read_bytes() for p in ("pyproject.toml", "devkit/__init__.py")}
    result = CliRunner().invoke(cli, ["pkg", "bump", "--dry-run", "patch", "--json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["current"] == __version__
    assert {(p["file"], p["key"]) for p in plan["places"]} == {
        ("pyproject.toml", "[project].version"), ("devkit/__init__.py", "__version__")}
    # every literal copy of the version in the package's metadata files is one of those places
    holders = {str(p.relative_to(ROOT)) for p in [ROOT / "pyproject.toml", *(ROOT / "devkit").rglob("*.py")]
               if re.search(rf"""(version|__version__)\s*=\s*["']{re.escape(__version__)}["']""", p.read_text())}
    assert holders == {p["file"] for p in plan["places"]}
    assert {p: (ROOT / p).read_bytes() for p in before} == before  # a dry run writes nothing
