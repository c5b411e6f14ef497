"""`pkg bump` on the layouts real projects use (issue 14), each checked with the git binary."""

from __future__ import annotations

import datetime as dt
import json
import textwrap

import pytest
from click.testing import CliRunner
from pkg_support import assert_git_clean, changed_files, committed, git

from devkit.cli import cli
from devkit.errors import InputError
from devkit.pkg import bump as bump_mod


def run(root, *args, **kwargs):
    return CliRunner().invoke(cli, ["pkg", "bump", "-C", str(root), *args], **kwargs)


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


POETRY = dedent("""
    [tool.poetry]
    name = "orders"
    version = "1.4.0"
    description = "Orders service"

    [tool.poetry.dependencies]
    python = "^3.11"
    gunicorn = "^20.1.0"
    orders-proto = { version = "1.4.0", optional = true }

    [build-system]
    requires = ["poetry-core"]
    build-backend = "poetry.core.masonry.api"
""")


def test_poetry_version_is_bumped_with_dunder_and_dependency_tables_untouched(repo):
    root = repo({"pyproject.toml": POETRY, "orders/__init__.py": '__version__ = "1.4.0"\n'})
    result = run(root, "minor")
    assert result.exit_code == 0, result.output
    assert changed_files(root) == ["orders/__init__.py", "pyproject.toml"]
    assert committed(root, "pyproject.toml") == POETRY.replace('version = "1.4.0"\ndesc', 'version = "1.5.0"\ndesc')
    assert committed(root, "orders/__init__.py") == '__version__ = "1.5.0"\n'
    assert git(root, "rev-parse", "v1.5.0^{commit}").stdout == git(root, "rev-parse", "HEAD").stdout
    assert_git_clean(root)


def test_poetry_project_without_dunder_version(repo):
    root = repo({"pyproject.toml": POETRY, "orders/__init__.py": ""})
    result = run(root, "patch")
    assert result.exit_code == 0, result.output
    assert changed_files(root) == ["pyproject.toml"]
    assert 'version = "1.4.1"' in committed(root, "pyproject.toml")
    assert 'gunicorn = "^20.1.0"' in committed(root, "pyproject.toml")
    assert_git_clean(root)


GOOD = dedent("""
    [project]
    name = "svc"
    version = "0.3.0"
""")


def test_run_from_a_subfolder_bumps_the_whole_project_and_says_which_root(repo):
    root = repo({"pyproject.toml": GOOD, "src/svc/__init__.py": '__version__ = "0.3.0"\n'})
    result = run(root / "src", "patch")
    assert result.exit_code == 0, result.output
    assert f"project root: {root} (the nearest pyproject.toml above {root / 'src'})" in result.output
    assert changed_files(root) == ["pyproject.toml", "src/svc/__init__.py"]
    assert_git_clean(root)


def test_root_search_stops_at_the_repository_top(repo, tmp_path):
    (tmp_path / "pyproject.toml").write_text(GOOD)  # above the repository: never used
    root = repo({"svc/__init__.py": '__version__ = "0.3.0"\n', "README.md": "x\n"})
    result = run(root, "patch")
    assert result.exit_code == 0, result.output
    assert changed_files(root) == ["svc/__init__.py"]


def test_hatch_version_path_anywhere(repo):
    pyproject = dedent("""
        [project]
        name = "httpx"
        dynamic = ["version"]
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"
        [tool.hatch.version]
        path = "httpx/__version__.py"
    """)
    root = repo({"pyproject.toml": pyproject, "httpx/__init__.py": "from .__version__ import __version__\n",
                 "httpx/__version__.py": '__title__ = "httpx"\n__version__ = "0.27.0"\n'})
    result = run(root, "minor", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [(p["file"], p["key"]) for p in data["places"]] == [("httpx/__version__.py", "[tool.hatch.version] path")]
    assert committed(root, "httpx/__version__.py") == '__title__ = "httpx"\n__version__ = "0.28.0"\n'
    assert_git_clean(root)


def test_hatch_custom_pattern_and_setuptools_attr(repo):
    root = repo({"pyproject.toml": dedent("""
        [project]
        name = "a"
        dynamic = ["version"]
        [tool.hatch.version]
        path = "VERSION.txt"
        pattern = "release: (?P<version>[^\\\\s]+)"
    """), "VERSION.txt": "release: 2.0.1\n"}, name="hatchpat")
    assert run(root, "patch").exit_code == 0
    assert committed(root, "VERSION.txt") == "release: 2.0.2\n"
    root = repo({"pyproject.toml": dedent("""
        [project]
        name = "b"
        dynamic = ["version"]
        [tool.setuptools.dynamic]
        version = { attr = "b.about.VERSION" }
    """), "src/b/__init__.py": "", "src/b/about.py": 'VERSION = "3.1.0"\n'}, name="attr")
    assert run(root, "minor").exit_code == 0
    assert committed(root, "src/b/about.py") == 'VERSION = "3.2.0"\n'


def test_flit_single_module(repo):
    root = repo({"pyproject.toml": dedent("""
        [project]
        name = "tiny-tool"
        dynamic = ["version", "description"]
        [build-system]
        requires = ["flit_core >=3.2,<4"]
        build-backend = "flit_core.buildapi"
    """), "tiny_tool.py": '"""A tiny tool."""\n__version__ = "0.9.2"\n'})
    result = run(root, "patch")
    assert result.exit_code == 0, result.output
    assert committed(root, "tiny_tool.py") == '"""A tiny tool."""\n__version__ = "0.9.3"\n'
    assert_git_clean(root)


@pytest.mark.parametrize("content", [
    b'\xef\xbb\xbf__version__ = "1.0.0"\n',
    b'"""Docs\x0cpage two."""\n__version__ = "1.0.0"\n',
    '"""Line\u2028separator."""\n__version__ = "1.0.0"\n'.encode(),
    b'"""Old Mac."""\r__version__ = "1.0.0"\r',
], ids=["bom", "form-feed", "u2028", "cr"])
def test_odd_bytes_are_edited_not_skipped(repo, content):
    root = repo({"pyproject.toml": GOOD.replace("0.3.0", "1.0.0"), "svc/__init__.py": content})
    result = run(root, "patch")
    assert result.exit_code == 0, result.output
    assert changed_files(root) == ["pyproject.toml", "svc/__init__.py"]
    assert (root / "svc/__init__.py").read_bytes() == content.replace(b"1.0.0", b"1.0.1")
    assert_git_clean(root)


def test_a_version_place_that_cannot_be_read_is_an_error_not_a_skip(repo):
    root = repo({"pyproject.toml": GOOD, "svc/__init__.py": '__version__ = "0.3.0"\ndef broken(:\n'})
    result = run(root, "patch")
    assert result.exit_code == 2
    assert "svc/__init__.py:2: sets __version__ but is not valid Python" in result.output
    root = repo({"pyproject.toml": GOOD, "svc/__init__.py": '__version__ = "0." "3.0"\n'}, name="concat")
    result = run(root, "patch")
    assert result.exit_code == 2
    assert "svc/__init__.py:1: __version__ is a string devkit cannot edit in place" in result.output


@pytest.mark.parametrize("target, written", [("v2.0.0", "2.0.0"), ("01.02.01", "1.2.1"), ("2.0.0-RC1", "2.0.0rc1")])
def test_to_is_normalised_with_pep440(repo, target, written):
    root = repo({"pyproject.toml": GOOD})
    result = run(root, "--to", target)
    assert result.exit_code == 0, result.output
    assert f'version = "{written}"' in committed(root, "pyproject.toml")
    assert git(root, "tag").stdout == f"v{written}\n"


def test_to_refuses_what_is_not_a_version(repo):
    root = repo({"pyproject.toml": GOOD})
    result = run(root, "--to", "latest")
    assert result.exit_code == 2
    assert "--to 'latest' is not a PEP 440 version" in result.output


def test_pre_on_a_dev_version(repo):
    root = repo({"pyproject.toml": GOOD.replace("0.3.0", "1.4.1.dev0")})
    result = run(root, "--pre", "rc")
    assert result.exit_code == 0, result.output
    assert "bumped 1.4.1.dev0 -> 1.4.1rc1" in result.output


def test_bump_my_version_placeholders_are_aliases(repo):
    root = repo({"pyproject.toml": GOOD + dedent("""
        [tool.bumpversion]
        current_version = "0.3.0"
        message = "release {current_version} -> {new_version}"
        tag_name = "release-{new_version}"
    """)})
    result = run(root, "patch")
    assert result.exit_code == 0, result.output
    assert 'current_version = "0.3.1"' in committed(root, "pyproject.toml")  # bump-my-version's record follows
    assert git(root, "log", "-1", "--format=%s").stdout.strip() == "release 0.3.0 -> 0.3.1"
    assert git(root, "tag").stdout == "release-0.3.1\n"
    result = run(root, "patch", "--tag-name", "{now}")
    assert result.exit_code == 2
    assert "bad tag name template '{now}'" in result.output


CHANGELOG = dedent("""
    # Changelog

    ## [Unreleased]
    ### Fixed
    - Retries no longer double-charge.

    ## [0.3.0] - 2024-01-05
    ### Added
    - First release.

    [Unreleased]: https://github.com/acme/svc/compare/v0.3.0...HEAD
    [0.3.0]: https://github.com/acme/svc/releases/tag/v0.3.0
""")


def test_changelog_unreleased_moves_under_the_new_version(repo):
    root = repo({"pyproject.toml": GOOD, "CHANGELOG.md": CHANGELOG})
    result = run(root, "patch")
    assert result.exit_code == 0, result.output
    today = dt.date.today().isoformat()
    assert committed(root, "CHANGELOG.md") == CHANGELOG.replace(
        "## [Unreleased]\n### Fixed", f"## [Unreleased]\n\n## [0.3.1] - {today}\n\n### Fixed"
    ).replace(
        "[Unreleased]: https://github.com/acme/svc/compare/v0.3.0...HEAD",
        "[Unreleased]: https://github.com/acme/svc/compare/v0.3.1...HEAD\n"
        "[0.3.1]: https://github.com/acme/svc/compare/v0.3.0...v0.3.1",
    )
    assert changed_files(root) == ["CHANGELOG.md", "pyproject.toml"]
    assert_git_clean(root)


def test_no_changelog_and_plain_unreleased_heading(repo):
    root = repo({"pyproject.toml": GOOD, "CHANGELOG.md": "## Unreleased\n\n- x\n"})
    assert run(root, "patch", "--no-changelog").exit_code == 0
    assert changed_files(root) == ["pyproject.toml"]
    assert run(root, "patch").exit_code == 0
    assert committed(root, "CHANGELOG.md") == f"## Unreleased\n\n## 0.3.2 - {dt.date.today().isoformat()}\n\n- x\n"


UV_LOCK = dedent("""
    version = 1
    requires-python = ">=3.11"

    [[package]]
    name = "click"
    version = "0.3.0"
    source = { registry = "https://pypi.org/simple" }

    [[package]]
    name = "svc"
    version = "0.3.0"
    source = { editable = "." }
    dependencies = [
        { name = "click" },
    ]
""")


def test_uv_lock_records_the_new_version_in_the_same_commit(repo):
    root = repo({"pyproject.toml": GOOD, "uv.lock": UV_LOCK})
    result = run(root, "minor")
    assert result.exit_code == 0, result.output
    assert changed_files(root) == ["pyproject.toml", "uv.lock"]
    lock = committed(root, "uv.lock")
    assert lock == UV_LOCK.replace('name = "svc"\nversion = "0.3.0"', 'name = "svc"\nversion = "0.4.0"')
    assert 'name = "click"\nversion = "0.3.0"' in lock  # a dependency with the same version stays


def test_poetry_lock_that_records_the_project_refuses(repo):
    root = repo({"pyproject.toml": POETRY, "poetry.lock": '[[package]]\nname = "orders"\nversion = "1.4.0"\n'})
    before = git(root, "rev-parse", "HEAD").stdout
    result = run(root, "patch")
    assert result.exit_code == 2
    assert "poetry.lock:2 records orders itself; only Poetry can rewrite its hashes" in result.output
    assert git(root, "rev-parse", "HEAD").stdout == before
    assert_git_clean(root)


def test_globs_in_extra_files(repo):
    chart = "apiVersion: v2\nname: {}\nversion: 0.3.0\nappVersion: 0.3.0\n"
    root = repo({"pyproject.toml": GOOD + '[tool.devkit.bump]\nfiles = [{ path = "helm/charts/*/Chart.yaml", pattern = "appVersion: {version}" }]\n',
                 "helm/charts/api/Chart.yaml": chart.format("api"), "helm/charts/worker/Chart.yaml": chart.format("worker")})
    result = run(root, "patch")
    assert result.exit_code == 0, result.output
    assert changed_files(root) == ["helm/charts/api/Chart.yaml", "helm/charts/worker/Chart.yaml", "pyproject.toml"]
    assert committed(root, "helm/charts/api/Chart.yaml") == "apiVersion: v2\nname: api\nversion: 0.3.0\nappVersion: 0.3.1\n"


def test_extra_files_outside_the_project_are_refused(repo):
    root = repo({"pyproject.toml": GOOD + '[tool.devkit.bump]\nfiles = [{ path = "../../etc/hostname", pattern = "{version}" }]\n'})
    result = run(root, "patch")
    assert result.exit_code == 2
    assert "'../../etc/hostname' is outside the project: refused" in result.output


def test_calver(repo):
    today = dt.date.today()
    root = repo({"pyproject.toml": GOOD.replace("0.3.0", "2020.1.4")})
    result = run(root, "--to", "calver")
    assert result.exit_code == 0, result.output
    assert f"bumped 2020.1.4 -> {today.year}.{today.month}.0" in result.output
    root = repo({"pyproject.toml": GOOD.replace("0.3.0", f"{today.year}.{today.month}.0")
                 + '[tool.devkit.bump]\nscheme = "calver"\n'}, name="scheme")
    result = run(root)
    assert result.exit_code == 0, result.output
    assert f"-> {today.year}.{today.month}.1" in result.output


def test_github_output(repo, tmp_path, monkeypatch):
    root = repo({"pyproject.toml": GOOD})
    out = tmp_path / "gh-output"
    out.write_text("earlier=1\n")
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    assert run(root, "patch").exit_code == 0
    sha = git(root, "rev-parse", "HEAD").stdout.strip()
    assert out.read_text() == f"earlier=1\nold=0.3.0\nnew=0.3.1\ntag=v0.3.1\ncommit={sha}\n"


SCM = {
    "setuptools_scm": ('[build-system]\nrequires = ["setuptools>=64", "setuptools_scm>=8"]\n'
                       'build-backend = "setuptools.build_meta"\n[project]\nname = "scm"\ndynamic = ["version"]\n'
                       '[tool.setuptools_scm]\nversion_file = "scm/_version.py"\n'),
    "hatch-vcs": ('[build-system]\nrequires = ["hatchling", "hatch-vcs"]\nbuild-backend = "hatchling.build"\n'
                  '[project]\nname = "scm"\ndynamic = ["version"]\n[tool.hatch.version]\nsource = "vcs"\n'),
    "versioningit": '[project]\nname = "scm"\ndynamic = ["version"]\n[tool.versioningit]\n',
    "poetry-dynamic-versioning": ('[tool.poetry]\nname = "scm"\nversion = "0.0.0"\n'
                                  '[tool.poetry-dynamic-versioning]\nenable = true\n'),
}


@pytest.mark.parametrize("tool", sorted(SCM))
def test_vcs_derived_versions_are_bumped_by_tag_only(repo, tool):
    root = repo({"pyproject.toml": SCM[tool], ".gitignore": "scm/_version.py\n", "scm/__init__.py": "",
                 "scm/_version.py": '__version__ = version = "1.2.4.dev3"\n'})
    git(root, "tag", "-a", "v1.2.3", "-m", "1.2.3")
    (root / "x.txt").write_text("later work\n")
    git(root, "add", "x.txt")
    git(root, "commit", "-qm", "later work")
    head = git(root, "rev-parse", "HEAD").stdout
    generated = (root / "scm/_version.py").read_bytes()

    result = run(root, "minor")

    assert result.exit_code == 0, result.output
    assert "bumped 1.2.3 -> 1.3.0" in result.output
    assert f"the version comes from git tags ({tool}): bumping by tag only" in result.output
    assert git(root, "rev-parse", "HEAD").stdout == head  # no commit
    assert git(root, "rev-parse", "v1.3.0^{commit}").stdout == head
    assert git(root, "cat-file", "-t", "v1.3.0").stdout.strip() == "tag"
    assert (root / "scm/_version.py").read_bytes() == generated  # the ignored file is not ours
    assert git(root, "describe", "--tags").stdout.strip() == "v1.3.0"
    assert_git_clean(root)


def test_vcs_project_without_tags_needs_to(repo):
    root = repo({"pyproject.toml": SCM["hatch-vcs"]})
    result = run(root, "patch")
    assert result.exit_code == 1
    assert "no version tag is reachable from HEAD: give the first one with --to VERSION" in result.output
    result = run(root, "--to", "0.1.0")
    assert result.exit_code == 0, result.output
    assert git(root, "tag").stdout == "v0.1.0\n"


def test_library_api_for_layouts(repo):
    root = repo({"pyproject.toml": POETRY})
    version, places = bump_mod.current_version(root)
    assert version == "1.4.0" and [p.key for p in places] == ["[tool.poetry].version"]
    with pytest.raises(InputError, match="not newer"):
        bump_mod.plan_bump(root, to="1.0")
