"""Helpers the load tests share (a uniquely named module: every test folder has a conftest)."""

import json


def run_json(result) -> dict:
    """The --json document a CLI run printed (stdout only)."""
    return json.loads(result.stdout.strip().splitlines()[-1])
