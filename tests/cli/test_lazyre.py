"""``devkit.lazyre.lazy``: a module-level regex compiled on first use, then the compiled pattern itself."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest

import devkit

from devkit.lazyre import LazyPattern, lazy


def test_a_lazy_pattern_is_the_compiled_pattern_once_used():
    namespace: dict = {}
    exec("from devkit.lazyre import lazy\nimport re\nPAT = lazy(r'(?P<n>\\d+)-(\\d+)', re.I)\n"
         "def first(text):\n    return PAT.match(text)\n", namespace)
    stand_in = namespace["PAT"]
    assert isinstance(stand_in, LazyPattern) and "_compiled" not in stand_in.__dict__
    assert namespace["first"]("12-34").groups() == ("12", "34")
    compiled = namespace["PAT"]
    assert isinstance(compiled, re.Pattern) and compiled.pattern == r"(?P<n>\d+)-(\d+)", "the global is rebound"
    # a reference taken before the first use keeps working, through the stand-in
    assert stand_in.search("x 5-6").group("n") == "5"
    assert stand_in.groupindex == {"n": 1} and stand_in.flags & re.I
    assert stand_in.sub("#", "1-2 and 3-4") == "# and #"
    assert stand_in.compiled is compiled


def test_a_lazy_pattern_reports_a_bad_pattern_when_used():
    bad = lazy("(unclosed")
    with pytest.raises(re.error):
        bad.match("x")


def test_every_lazy_pattern_in_devkit_compiles():
    """A typo in a pattern no test line reaches would only show when a user's log needs it (those
    other tests used are already compiled: their module globals are plain patterns now)."""
    modules = 0
    for info in pkgutil.walk_packages(devkit.__path__, "devkit."):
        if not info.name.startswith(("devkit.logs", "devkit.cli")) or info.name.endswith("_speedups"):
            continue
        module = importlib.import_module(info.name)
        modules += 1
        for name, value in list(vars(module).items()):
            if isinstance(value, LazyPattern):
                assert isinstance(value.compiled, re.Pattern), f"{info.name}.{name}"
                assert isinstance(getattr(module, name), re.Pattern)
    assert modules > 40
