"""Version places: found by key in every supported file, edited in place, nothing else touched."""

from __future__ import annotations

import json
import textwrap

import pytest
from click.testing import CliRunner

from devkit.cli import cli
from devkit.errors import InputError, NothingFound
from devkit.pkg.bump import bump, current_version


def write(root, rel, text):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


@pytest.fixture
def classic(tmp_path):
    """setup.cfg + setup.py + __about__.py + docs/conf.py: every kind of place at once."""
    write(tmp_path, "setup.cfg", """
        [metadata]
        name = orders
        version = 0.9.0  ; the release
        [options]
        install_requires =
            orders-client==0.9.0
    """)
    write(tmp_path, "setup.py", """
        from setuptools import setup

        setup(
            name="orders",
            version='0.9.0',
            install_requires=["orders-proto==0.9.0"],
        )
    """)
    write(tmp_path, "orders/__init__.py", "from .__about__ import __version__\n")
    write(tmp_path, "orders/__about__.py", '__title__ = "orders"\n__version__: str = "0.9.0"\nMIN_PEER = "0.9.0"\n')
    write(tmp_path, "tests/__init__.py", '__version__ = "0.0.1"\n')  # tests/ is never a version place
    write(tmp_path, "pyproject.toml", """
        [build-system]
        requires = ["setuptools"]
        build-backend = "setuptools.build_meta"

        [tool.devkit.bump]
        files = [{ path = "docs/conf.py", pattern = "release = \\"{version}\\"" }]
    """)
    write(tmp_path, "docs/conf.py", 'project = "orders"\nrelease = "0.9.0"\nversion_of_sphinx = "0.9.0"\n')
    return tmp_path


def test_finds_every_kind_of_place(classic):
    version, places = current_version(classic)
    assert version == "0.9.0"
    assert [p.label for p in places] == [
        "setup.cfg:3 [metadata] version",
        "setup.py:5 setup(version=...)",
        "orders/__about__.py:2 __version__",
        'docs/conf.py:2 pattern \'release = "{version}"\'',
    ]


def test_edit_touches_only_the_version_places(classic):
    before = {p: p.read_text() for p in classic.rglob("*") if p.is_file()}
    bump(classic, "minor", commit=False)
    after = {p: p.read_text() for p in classic.rglob("*") if p.is_file()}
    changed = {p.relative_to(classic).as_posix() for p in before if before[p] != after[p]}
    assert changed == {"setup.cfg", "setup.py", "orders/__about__.py", "docs/conf.py"}
    assert "version = 0.10.0  ; the release" in after[classic / "setup.cfg"]
    assert "orders-client==0.9.0" in after[classic / "setup.cfg"]
    assert "version='0.10.0'," in after[classic / "setup.py"]
    assert '"orders-proto==0.9.0"' in after[classic / "setup.py"]
    assert after[classic / "orders/__about__.py"] == '__title__ = "orders"\n__version__: str = "0.10.0"\nMIN_PEER = "0.9.0"\n'
    assert after[classic / "docs/conf.py"] == 'project = "orders"\nrelease = "0.10.0"\nversion_of_sphinx = "0.9.0"\n'
    assert after[classic / "tests/__init__.py"] == '__version__ = "0.0.1"\n'


def test_pyproject_formatting_comments_and_quotes_survive(tmp_path):
    text = textwrap.dedent("""
        [project]   # the metadata
        name = "svc"
        version   =   '2.3.4'   # bumped by devkit
        dependencies = ["svc-proto==2.3.4"]  # pinned on purpose

        [tool.other]
        version = "2.3.4"
    """).lstrip("\n")
    write(tmp_path, "pyproject.toml", text)
    bump(tmp_path, "patch", commit=False)
    assert (tmp_path / "pyproject.toml").read_text() == text.replace("'2.3.4'", "'2.3.5'")


def test_non_literal_versions_are_not_places(tmp_path):
    write(tmp_path, "setup.py", 'from setuptools import setup\nVERSION = "1.0"\nsetup(name="x", version=VERSION)\n')
    write(tmp_path, "x/__init__.py", "from importlib.metadata import version\n__version__ = version('x')\n")
    with pytest.raises(NothingFound, match="no version found"):
        current_version(tmp_path)
    result = CliRunner().invoke(cli, ["pkg", "version", "-C", str(tmp_path)])
    assert result.exit_code == 1
    assert "no version found" in result.output


def test_bad_extra_file_config_is_a_clear_error(tmp_path):
    write(tmp_path, "pyproject.toml", '[project]\nname="x"\nversion="1.0"\n[tool.devkit.bump]\nfiles=[{path="VERSION.txt", pattern="v{version}"}]\n')
    write(tmp_path, "VERSION.txt", "release 1.0\n")
    with pytest.raises(InputError, match=r"VERSION.txt: pattern 'v\{version\}' matches nothing"):
        current_version(tmp_path)


def test_version_command_text_and_json(classic):
    result = CliRunner().invoke(cli, ["pkg", "version", "-C", str(classic)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:2] == ["0.9.0", "found in:"]
    assert "  setup.py:5  setup(version=...)" in lines
    assert any(line.split() == ["minor", "0.10.0"] for line in lines)
    assert any(line.split() == ["minor", "--pre", "rc", "0.10.0rc1"] for line in lines)
    data = json.loads(CliRunner().invoke(cli, ["pkg", "version", "-C", str(classic), "--json"]).output)
    assert data["version"] == "0.9.0"
    assert data["bumps"]["patch"] == "0.9.1"
    assert [p["file"] for p in data["places"]] == ["setup.cfg", "setup.py", "orders/__about__.py", "docs/conf.py"]


def test_devkit_own_version_places(repo_root):
    version, places = current_version(repo_root)
    assert [(p.rel, p.key) for p in places] == [("pyproject.toml", "[project].version"), ("devkit/__init__.py", "__version__")]
    import devkit

    assert version == devkit.__version__


def test_help_for_every_pkg_command():
    for args in (["pkg"], ["pkg", "rate"], ["pkg", "bump"], ["pkg", "version"]):
        result = CliRunner().invoke(cli, [*args, "--help"])
        assert result.exit_code == 0, args
        assert "Examples:" in result.output, args
