"""Run pyroma's own rating tests on a metadata dict, one result per test.

pyroma's ``__init__`` calls ``logging.basicConfig(level=DEBUG, stream=sys.stdout)`` on import
and pulls in setuptools, build and requests (~0.25 s). For a static rating only
``pyroma.ratings`` is needed, so it is loaded without running the package ``__init__``; when the
full package is needed (build-backend fallback) it is imported with the root logger restored
afterwards, so pyroma's debug logging never reaches devkit's output.

pyroma's tests are module-level objects with state (weights and messages change per run), so
runs are serialised with a lock and every test object is reset before each run (PEPVersion, for
one, lowers its weight after an N.N version and never raises it back).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

_LOCK = threading.Lock()

# Tests that only ever subtract: "None" from them means "nothing wrong", not "not applicable".
_NEGATIVE_ONLY = {"MissingBuildSystem", "MissingPyProjectToml"}

# What a passing check means, in devkit's words (pyroma only words failures).
PASS_MESSAGES = {
    "MissingBuildSystem": "Has a build system (setup.py or pyproject.toml).",
    "MissingPyProjectToml": "Has a pyproject.toml.",
    "Name": "Has a name.",
    "Version": "Has a version.",
    "VersionIsString": "The version is a string.",
    "PEPVersion": "The version complies with PEP 440.",
    "Summary": "Has a summary longer than 10 characters.",
    "Description": "Has a description longer than 100 characters.",
    "Classifiers": "Has classifiers.",
    "ClassifierVerification": "All classifiers are standard trove classifiers.",
    "PythonClassifierVersion": "Classifiers name the supported Python minor versions.",
    "PythonRequiresVersion": "Has a valid Requires-Python.",
    "Keywords": "Has keywords.",
    "Author": "Has an author.",
    "AuthorEmail": "Has an author e-mail.",
    "Url": "Has a home page or project URLs.",
    "Licensing": "Has a consistent license declaration.",
    "SDist": "Has a source distribution on PyPI.",
    "ValidREST": "The description renders (valid reST, or Markdown/plain text).",
    "BusFactor": "Has three or more owners on PyPI.",
    "DevStatusClassifier": "Has a Development Status classifier.",
    "CheckManifest": "check-manifest found no problems.",
}
NOT_APPLICABLE = "Not applicable here (only checked for packages on PyPI)."


@dataclass(frozen=True)
class CheckResult:
    """One pyroma test: ``passed`` is None when pyroma did not count it."""

    id: str
    passed: bool | None
    message: str
    fatal: bool = False
    weight: int = 0


@contextmanager
def quiet_root_logger() -> Iterator[None]:
    """Undo pyroma's ``logging.basicConfig(DEBUG, stdout)`` and silence its debug lines."""
    root = logging.getLogger()
    handlers, level, disabled = list(root.handlers), root.level, root.disabled
    try:
        yield
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
        root.disabled = disabled


def load_ratings() -> types.ModuleType:
    """``pyroma.ratings`` without running pyroma's package ``__init__`` unless it already ran."""
    if "pyroma.ratings" in sys.modules:
        return sys.modules["pyroma.ratings"]
    if "pyroma" in sys.modules:
        with quiet_root_logger():
            return importlib.import_module("pyroma.ratings")
    spec = importlib.util.find_spec("pyroma")
    if spec is None or not spec.submodule_search_locations:
        from devkit.errors import DevkitError

        raise DevkitError("pyroma is not installed (python -m pip install pyroma)")
    stub = types.ModuleType("pyroma")
    stub.__path__ = list(spec.submodule_search_locations)
    sys.modules["pyroma"] = stub
    try:
        module = importlib.import_module("pyroma.ratings")
    finally:
        # Drop the stub: a later ``import pyroma`` runs the real __init__, which finds this very
        # ``pyroma.ratings`` in sys.modules, so there is only ever one set of test objects.
        if sys.modules.get("pyroma") is stub:
            del sys.modules["pyroma"]
    return module


def import_pyroma_module(name: str) -> types.ModuleType:
    """Import a pyroma submodule that needs the real package (projectdata, distributiondata)."""
    with quiet_root_logger():
        importlib.import_module("pyroma")
        return importlib.import_module(f"pyroma.{name}")


def levels() -> list[str]:
    return list(load_ratings().LEVELS)


def cheese_name(score: int) -> str:
    """pyroma's level line, shortened to the cheese (``Mascarpone`` for 10)."""
    return levels()[score].rsplit(": ", 1)[-1]


def _reset(ratings: types.ModuleType) -> None:
    """Forget what earlier runs left on pyroma's test objects (PEPVersion lowers its weight to 10
    and never raises it back; BusFactor/SDist/MissingBuildSystem keep theirs), so every rating in
    a process equals a fresh ``pyroma`` run."""
    for test in ratings.ALL_TESTS:
        vars(test).clear()


def run_checks(data: dict[str, Any]) -> tuple[int, list[CheckResult]]:
    """Score ``data`` with ``pyroma.ratings.rate`` and report every test's own verdict."""
    ratings = load_ratings()
    with _LOCK:
        _reset(ratings)
        score, _fails = ratings.rate(data)  # the score is pyroma's, not a re-computation
        _reset(ratings)
        results: list[CheckResult] = []
        if len([key for key in data if not key.startswith("_")]) == 0:
            # pyroma gave up before running its tests (nothing found / backend failed).
            return score, [CheckResult("Metadata", False, _fails[0] if _fails else "No metadata.", True)]
        for test in ratings.ALL_TESTS:
            test_id = type(test).__name__
            outcome = test.test(data)
            if outcome is None and test_id in _NEGATIVE_ONLY:
                outcome = True
            if outcome is False:
                message = test.message()
            elif outcome is True:
                message = PASS_MESSAGES.get(test_id, f"{test_id} passed.")
            else:
                message = NOT_APPLICABLE if test_id in {"SDist", "BusFactor"} else f"{test_id} not applicable."
            results.append(
                CheckResult(
                    id=test_id,
                    passed=outcome,
                    message=message.strip(),
                    fatal=bool(getattr(test, "fatal", False)),
                    weight=int(getattr(test, "weight", 0) or 0),
                )
            )
    return score, results
