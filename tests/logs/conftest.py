import json

import pytest
from click.testing import CliRunner
from logs_support import EXPECTED

from devkit.cli import cli


@pytest.fixture
def run():
    """Invoke ``devkit`` in-process; returns the click Result."""

    def _run(*args: str, input: str | bytes | None = None):
        return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)

    return _run


@pytest.fixture
def run_json(run):
    def _run(*args: str, input=None):
        result = run(*args, "--json", input=input)
        return result, [json.loads(line) for line in result.stdout.splitlines()]

    return _run


@pytest.fixture(scope="session")
def expected() -> dict:
    return json.loads(EXPECTED.read_text())
