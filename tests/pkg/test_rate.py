"""`devkit pkg rate`: the score equals pyroma's own, static reading, hygiene rules, CLI contract."""

from __future__ import annotations

import functools
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from pkg_support import DATA, git

from devkit.cli import cli
from devkit.pkg import rate as rate_mod
from devkit.pkg.pyroma_checks import import_pyroma_module, load_ratings

ROOT = Path(__file__).resolve().parents[2]


def scratch_copy(path: Path) -> Path:
    """Build backends leave *.egg-info behind: give pyroma a throwaway copy of the fixture."""
    dest = Path(tempfile.mkdtemp(prefix="pyroma-ref-")) / path.name
    shutil.copytree(path, dest)
    return dest


def pyroma_directory_data(path: Path) -> dict:
    """pyroma's own directory path (projectdata.get_data), held to the non-isolated backend so the
    test never reaches PyPI (isolation would install setuptools from the index)."""
    projectdata = import_pyroma_module("projectdata")
    copy = scratch_copy(path)
    try:
        data = projectdata.get_build_data(str(copy), isolated=False)
    finally:
        shutil.rmtree(copy.parent, ignore_errors=True)
    data["_path"] = str(path)
    return data


def pyroma_score(data: dict) -> tuple[int, str]:
    ratings = load_ratings()
    score, _ = ratings.rate(data)
    return score, ratings.LEVELS[score]


@pytest.mark.parametrize("name", ["good", "bad", "hygiene"])
def test_static_rating_equals_pyroma_build_backend(name):
    path = DATA / name
    report = rate_mod.rate(path)
    theirs = pyroma_directory_data(path)
    assert report.source == "static"
    assert (report.score, report.verdict) == pyroma_score(theirs)
    # Not just the score: the metadata pyroma rates is the same dict, key for key.
    mine = rate_mod.project_metadata(path).data
    ignore = {"metadata-version", "requires-dist", "requires-python"}  # backend re-spells specifiers
    assert {k: v for k, v in mine.items() if k not in ignore} == {k: v for k, v in theirs.items() if k not in ignore}


def test_scores_span_the_cheese_board():
    scores = {name: rate_mod.rate(DATA / name).score for name in ("good", "bad", "hygiene")}
    assert scores["good"] == 10 and rate_mod.rate(DATA / "good").cheese == "Mascarpone"
    assert scores["bad"] < scores["hygiene"] < scores["good"]


@pytest.mark.parametrize("name, reason", [
    ("dynamic", "[project] declares dynamic fields: version"),
    ("legacy", "no pyproject.toml: setup.py/setup.cfg project"),
])
def test_dynamic_and_setup_py_projects_fall_back_to_the_backend_and_say_so(name, reason):
    report = rate_mod.rate(DATA / name)
    assert report.source == "build-backend"
    assert report.reason == reason
    assert (report.score, report.verdict) == pyroma_score(pyroma_directory_data(DATA / name))
    result = CliRunner().invoke(cli, ["pkg", "rate", str(DATA / name), "--json"])
    assert result.exit_code == 0
    assert f"metadata from build-backend ({reason})" in result.output


def test_unbuildable_dependency_scores_zero_like_pyroma():
    report = rate_mod.rate(DATA / "broken")
    theirs = pyroma_directory_data(DATA / "broken")
    assert theirs.get("_wheel_build_failed") is True
    assert report.score == pyroma_score(theirs)[0] == 0
    assert [f.id for f in report.hygiene] == ["DH004"]


def test_static_rating_runs_no_project_code_and_imports_no_build_tooling(project):
    root = project("good")
    marker = root / "EXECUTED"
    (root / "setup.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\nfrom setuptools import setup\nsetup()\n")
    code = (
        "import sys, json; from devkit.pkg.rate import rate; r = rate(sys.argv[1]);"
        "print(json.dumps([r.source, r.score, sorted(m for m in ('setuptools', 'build', 'pyroma.projectdata') if m in sys.modules)]))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == ["static", 10, []]
    assert not marker.exists()


def test_pyroma_logging_does_not_leak(capsys):
    root_logger = logging.getLogger()
    handlers, level = list(root_logger.handlers), root_logger.level
    rate_mod.rate(DATA / "legacy")  # imports the whole pyroma package (basicConfig DEBUG to stdout)
    assert root_logger.handlers == handlers and root_logger.level == level
    logging.getLogger("anything").debug("must not be printed")
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_cli_json_on_a_backend_project_is_pure_json():
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.run([sys.executable, "-m", "devkit", "pkg", "rate", str(DATA / "legacy"), "--json"],
                          capture_output=True, text=True, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)  # a single pyroma debug line on stdout would break this
    assert set(data) >= {"score", "cheese", "checks", "hygiene"}
    assert "Checking" not in proc.stderr and "Final rating" not in proc.stderr + proc.stdout


def test_cli_json_shape_and_every_check_listed():
    result = CliRunner().invoke(cli, ["pkg", "rate", str(DATA / "bad"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["score"] == 3 and data["cheese"] == "Gorgonzola"
    ids = [c["id"] for c in data["checks"]]
    assert ids == [type(t).__name__ for t in load_ratings().ALL_TESTS]
    by_id = {c["id"]: c for c in data["checks"]}
    assert by_id["Name"] == {"id": "Name", "passed": True, "message": "Has a name."}
    assert by_id["Keywords"] == {"id": "Keywords", "passed": False, "message": "Your package does not have keywords data."}
    assert by_id["SDist"]["passed"] is None


def test_cli_table_and_min_gate():
    result = CliRunner().invoke(cli, ["pkg", "rate", str(DATA / "bad")])
    assert result.exit_code == 0
    assert "Keywords" in result.output and "FAIL" in result.output
    assert result.output.rstrip().endswith("score: 3/10 Gorgonzola")
    result = CliRunner().invoke(cli, ["pkg", "rate", str(DATA / "bad"), "--min", "4"])
    assert result.exit_code == 1
    assert "score 3/10 is below --min 4" in result.output
    assert CliRunner().invoke(cli, ["pkg", "rate", str(DATA / "bad"), "--min", "3"]).exit_code == 0


def test_hygiene_rules_and_strict():
    report = rate_mod.rate(DATA / "hygiene")
    found = [(f.id, f.where) for f in report.hygiene]
    assert found == [
        ("DH001", "pyproject.toml:11 [project.dependencies]"),          # requests==1.2.0
        ("DH005", "pyproject.toml:12 [project.dependencies]"),          # flask>=2,<3 (no reason)
        ("DH002", "pyproject.toml:14 [project.dependencies]"),          # internal-lib @ https://...
        ("DH001", "pyproject.toml:18 [project.optional-dependencies] test"),  # pytest===8.0.0
        ("DH006", "pyproject.toml:9 requires-python"),                  # <3.13
        ("DH007", "requirements.txt:2"),                             # requests>=2.31
        ("DH007", "requirements.txt:5"),                             # gunicorn
    ]
    # sqlalchemy<2.1 carries a reason comment, flask==2.3.3 in requirements.txt is pinned: no findings.
    assert not any("sqlalchemy" in f.message or "flask==" in f.message for f in report.hygiene)
    assert report.score == pyroma_score(pyroma_directory_data(DATA / "hygiene"))[0]  # hygiene never moves the score
    assert CliRunner().invoke(cli, ["pkg", "rate", str(DATA / "hygiene")]).exit_code == 0
    strict = CliRunner().invoke(cli, ["pkg", "rate", str(DATA / "hygiene"), "--strict"])
    assert strict.exit_code == 1
    assert "7 dependency-hygiene finding(s) and --strict is set" in strict.output


def test_setup_py_dependency_links_and_pins():
    report = rate_mod.rate(DATA / "legacy")
    assert [(f.id, f.where) for f in report.hygiene] == [
        ("DH003", "setup.py dependency_links"),
        ("DH001", "setup.py install_requires"),
    ]


def _build(kind: str, src: Path, out: Path) -> Path:
    import build
    import pyproject_hooks

    copy = scratch_copy(src)
    try:
        builder = build.ProjectBuilder(str(copy), runner=pyproject_hooks.quiet_subprocess_runner)
        return Path(builder.build(kind, str(out)))
    finally:
        shutil.rmtree(copy.parent, ignore_errors=True)


def test_sdist_and_wheel_rate_like_the_project(tmp_path, monkeypatch):
    sdist = _build("sdist", DATA / "good", tmp_path)
    wheel = _build("wheel", DATA / "good", tmp_path)
    distributiondata = import_pyroma_module("distributiondata")
    projectdata = import_pyroma_module("projectdata")
    monkeypatch.setattr(projectdata, "get_build_data",
                        functools.partial(projectdata.get_build_data, isolated=False))
    theirs = pyroma_score(distributiondata.get_data(str(sdist)))
    for target in (sdist, wheel):
        report = rate_mod.rate(target)
        assert (report.score, report.verdict) == theirs, target.name
        assert report.name == "goodpkg" and report.version == "1.2.0"
    assert rate_mod.rate(wheel).source == "wheel"


def test_pypi_rates_a_downloaded_sdist(tmp_path, monkeypatch):
    index = tmp_path / "index"
    _build("sdist", DATA / "legacy", index)
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # pip's own config: a local "index", never the network
    monkeypatch.setenv("PIP_FIND_LINKS", str(index))
    monkeypatch.setenv("PIP_NO_BUILD_ISOLATION", "0")  # pip's spelling of --no-build-isolation: offline
    result = CliRunner().invoke(cli, ["pkg", "rate", "--pypi", "legacypkg==3.4.5", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert "metadata from PKG-INFO" in result.stderr
    assert data["target"].startswith("legacypkg==3.4.5 (PyPI sdist legacypkg-3.4.5.tar.gz")
    assert data["score"] == rate_mod.rate(DATA / "legacy").score
    missing = CliRunner().invoke(cli, ["pkg", "rate", "--pypi", "no-such-package-xyz==1.0"])
    assert missing.exit_code == 2
    assert "pip download no-such-package-xyz==1.0 failed" in missing.output


def test_bad_targets_are_one_line_errors(tmp_path):
    (tmp_path / "notes.txt").write_text("hi")
    for target, message in [
        (tmp_path / "missing", "no such file or directory"),
        (tmp_path / "notes.txt", "not a project directory, sdist (.tar.gz/.zip) or wheel (.whl)"),
        (tmp_path, "not a Python project"),
    ]:
        result = CliRunner().invoke(cli, ["pkg", "rate", str(target)])
        assert result.exit_code == 2, result.output
        assert message in result.output
        assert "Traceback" not in result.output


def test_devkit_itself_rates_statically_with_no_hygiene_findings():
    report = rate_mod.rate(ROOT)
    assert report.source == "static"
    assert report.hygiene == []
    failing = [c.id for c in report.checks if c.passed is False]
    # Only the README length is left to the README's authors; pyproject.toml has everything else.
    assert set(failing) <= {"Description"}


def pyroma_cli(path: Path) -> tuple[int, str]:
    """pyroma itself, in a fresh process: ``python -m pyroma -d PATH`` (its last three lines)."""
    env = {**os.environ, "PIP_NO_INDEX": "1"}  # if pyroma ever wanted an isolated build: no network
    copy = scratch_copy(path)
    try:
        proc = subprocess.run([sys.executable, "-m", "pyroma", "-d", "-n", "1", str(copy)],
                              capture_output=True, text=True, env=env)
    finally:
        shutil.rmtree(copy.parent, ignore_errors=True)
    lines = [line for line in proc.stdout.splitlines() if line.strip() and not line.startswith("---")]
    final = [i for i, line in enumerate(lines) if line.startswith("Final rating: ")]
    assert final, proc.stdout + proc.stderr
    score = int(lines[final[-1]].removeprefix("Final rating: ").split("/")[0])
    return score, lines[final[-1] + 1]


@pytest.mark.parametrize("name", ["good", "bad", "hygiene", "calver", "dynamic", "legacy"])
def test_score_and_cheese_equal_the_pyroma_command(name):
    report = rate_mod.rate(DATA / name)
    assert (report.score, report.verdict) == pyroma_cli(DATA / name)


def test_earlier_ratings_in_the_process_do_not_change_the_next_one():
    """pyroma's tests are module-level objects that keep state (PEPVersion drops its weight to 10
    after any N.N version and never restores it): a calendar version rated after another project
    must still score what a fresh pyroma gives."""
    fresh = pyroma_cli(DATA / "calver")
    rate_mod.rate(DATA / "good")
    report = rate_mod.rate(DATA / "calver")
    assert (report.score, report.verdict) == fresh


def test_backend_fallback_leaves_no_build_droppings(project):
    root = project("legacy")
    before = sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))
    assert rate_mod.rate(root).source == "build-backend"
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) == before


SCM_PROJECTS = {
    "setuptools_scm": '[build-system]\nrequires = ["setuptools>=64", "setuptools-scm>=8"]\n'
                      'build-backend = "setuptools.build_meta"\n[tool.setuptools_scm]\n',
    "hatch-vcs": '[build-system]\nrequires = ["hatchling", "hatch-vcs"]\nbuild-backend = "hatchling.build"\n'
                 '[tool.hatch.version]\nsource = "vcs"\n',
}
SCM_METADATA = """
[project]
name = "scmdemo"
dynamic = ["version"]
description = "A demo whose version comes from git tags."
readme = "README.md"
requires-python = ">=3.9"
license = {text = "MIT"}
authors = [{name = "Ada Lovelace", email = "ada@example.com"}]
keywords = ["demo"]
classifiers = ["Programming Language :: Python :: 3", "Programming Language :: Python :: 3.11",
               "Development Status :: 4 - Beta", "License :: OSI Approved :: MIT License"]
urls = {Homepage = "https://example.com/scmdemo"}
"""


@pytest.mark.parametrize("backend", sorted(SCM_PROJECTS))
def test_vcs_versioned_checkout_rates_like_pyroma(repo, backend):
    """The build copy keeps what the backend needs to find the version (before: score 0)."""
    root = repo({"pyproject.toml": SCM_PROJECTS[backend] + SCM_METADATA,
                 "README.md": "# scmdemo\n\n" + "A long enough description of the demo project. " * 4 + "\n",
                 "scmdemo/__init__.py": ""})
    git(root, "tag", "-a", "v1.2.3", "-m", "1.2.3")
    index = (root / ".git" / "index").read_bytes()
    report = rate_mod.rate(root)
    assert report.source == "build-backend"
    assert report.version == "1.2.3"
    assert (report.score, report.verdict) == pyroma_cli(root) == (10, load_ratings().LEVELS[10])
    assert (root / ".git" / "index").read_bytes() == index  # git status in the copy wrote nothing here
    assert git(root, "status", "--porcelain").stdout == ""


POETRY_PROJECT = """
[tool.poetry]
name = "poetrydemo"
version = "2.1.0"
description = "A poetry-core project: its build adds the Python classifiers."
authors = ["Ada Lovelace <ada@example.com>"]
license = "MIT"
readme = "README.md"
keywords = ["demo"]
homepage = "https://example.com/poetrydemo"
classifiers = ["Development Status :: 5 - Production/Stable"]

[tool.poetry.dependencies]
python = "^3.9"

[build-system]
requires = ["poetry-core>=1.0.0"]
build-backend = "poetry.core.masonry.api"
"""


def test_sdist_is_rated_from_its_pkg_info_like_pyroma(tmp_path, monkeypatch):
    src = tmp_path / "poetrydemo"
    src.mkdir()
    (src / "pyproject.toml").write_text(POETRY_PROJECT)
    (src / "README.md").write_text("# poetrydemo\n\n" + "A long enough description of this demo project. " * 4 + "\n")
    (src / "poetrydemo").mkdir()
    (src / "poetrydemo" / "__init__.py").write_text("")
    sdist = _build("sdist", src, tmp_path)
    distributiondata = import_pyroma_module("distributiondata")
    projectdata = import_pyroma_module("projectdata")
    monkeypatch.setattr(projectdata, "get_build_data", functools.partial(projectdata.get_build_data, isolated=False))
    theirs = pyroma_score(distributiondata.get_data(str(sdist)))
    report = rate_mod.rate(sdist)
    assert report.source == "PKG-INFO"
    assert (report.score, report.verdict) == theirs
    assert any(c.startswith("Programming Language :: Python :: 3.1") for c in
               rate_mod.sdist_metadata(sdist, Path(tempfile.mkdtemp()))[0].data["classifier"])


def test_vendored_specifierset_from_an_old_setuptools_is_rated_not_a_crash(tmp_path):
    """A setup.cfg-only project: setuptools' read_configuration returns requires-python as its
    vendored SpecifierSet, which pyroma's own PythonRequiresVersion test cannot take."""
    (tmp_path / "setup.cfg").write_text(textwrap.dedent("""
        [metadata]
        name = cfgonly
        version = 1.0
        description = Configured by setup.cfg alone
        [options]
        python_requires = >=3.8
    """))
    result = CliRunner().invoke(cli, ["pkg", "rate", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    python_requires = {c["id"]: c for c in data["checks"]}["PythonRequiresVersion"]
    assert python_requires["passed"] is True
    projectdata = import_pyroma_module("projectdata")
    raw = projectdata.get_setupcfg_data(str(tmp_path))
    raw["requires-python"] = str(raw["requires-python"])
    raw["_missing_build_system"] = True
    assert data["score"] == pyroma_score(raw)[0]


def test_static_project_on_poetry_core_is_rated_by_its_backend(tmp_path):
    """poetry-core adds Python classifiers to a static [project] (tomlkit: 7 read statically, 9 built)."""
    root = tmp_path / "pc"
    root.mkdir()
    (root / "pyproject.toml").write_text(textwrap.dedent("""
        [project]
        name = "pc"
        version = "1.0.0"
        description = "A static [project] that poetry-core builds."
        readme = "README.md"
        requires-python = ">=3.9"
        license = "MIT"
        authors = [{ name = "Ada Lovelace", email = "ada@example.com" }]
        keywords = ["demo"]
        urls = { Homepage = "https://example.com/pc" }
        [build-system]
        requires = ["poetry-core>=2.0"]
        build-backend = "poetry.core.masonry.api"
    """))
    (root / "README.md").write_text("# pc\n\n" + "A long enough description of this demo project. " * 4 + "\n")
    (root / "pc").mkdir()
    (root / "pc" / "__init__.py").write_text("")
    report = rate_mod.rate(root)
    assert report.source == "build-backend"
    assert "poetry.core.masonry.api adds metadata of its own" in report.reason
    assert (report.score, report.verdict) == pyroma_cli(root)
