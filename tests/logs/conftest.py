import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from devkit.cli import cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "logs"
EXPECTED = ROOT / "examples" / "expected.json"


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


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path
