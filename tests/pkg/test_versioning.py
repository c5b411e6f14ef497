"""PEP 440 bump arithmetic: worked examples from PEP 440 ordering, and invariants on many versions."""

from __future__ import annotations

import pytest
from packaging.version import Version

from devkit.errors import InputError
from devkit.pkg.versioning import PARTS, PRE_LABELS, bump, check_target, preview


@pytest.mark.parametrize("current, part, pre, dev, expected", [
    ("1.2.0", "patch", None, False, "1.2.1"),
    ("1.2.0", "minor", None, False, "1.3.0"),
    ("1.2.0", "major", None, False, "2.0.0"),
    ("1.2", "patch", None, False, "1.2.1"),          # release length grows only as needed
    ("1.2", "minor", None, False, "1.3"),
    ("1!1.0", "major", None, False, "1!2.0"),        # epoch kept
    ("2.0.0rc1", "major", None, False, "2.0.0"),     # finishing the pre-release of that version
    ("1.3.0rc1", "minor", None, False, "1.3.0"),
    ("1.3.1rc1", "minor", None, False, "1.4.0"),
    ("2.0.0.dev1", "major", None, False, "2.0.0"),
    ("1.2.0", "minor", "rc", False, "1.3.0rc1"),
    ("1.2.0", "patch", "a", False, "1.2.1a1"),
    ("1.3.0rc1", "pre", None, False, "1.3.0rc2"),
    ("1.3.0a2", "pre", "b", False, "1.3.0b1"),
    ("1.3.0rc1.dev2", "pre", None, False, "1.3.0rc1"),
    ("1.2.0", "post", None, False, "1.2.0.post1"),
    ("1.2.0.post1", "post", None, False, "1.2.0.post2"),
    ("1.2.0.dev1", "dev", None, False, "1.2.0.dev2"),
    ("1.2.0rc2", "release", None, False, "1.2.0"),
    ("1.2.0.dev3", "release", None, False, "1.2.0"),
    ("1.2.0", "patch", None, True, "1.2.1.dev0"),
    ("1.2.3-rc.1", "pre", None, False, "1.2.3-rc.2"),       # semver-style spelling kept
    ("1.2.3-beta.1", "pre", "rc", False, "1.2.3-rc.1"),
    ("1.2.3-beta.1", "release", None, False, "1.2.3"),
    ("1.2.3", "minor", "rc", False, "1.3.0rc1"),
])
def test_bump_examples(current, part, pre, dev, expected):
    assert bump(current, part, pre=pre, dev=dev) == expected


def test_pre_alone_means_advance_the_pre_release():
    assert bump("1.0rc1", None, pre="rc") == "1.0rc2"


@pytest.mark.parametrize("current, part, pre, message", [
    ("1.2.0", "pre", None, "is not a pre-release"),
    ("1.3.0rc1", "pre", "a", "already past 'a'"),
    ("1.2.0", "dev", None, "would be older"),
    ("1.2.0", "release", None, "already a final release"),
    ("banana", "patch", None, "not a valid PEP 440 version"),
    ("1.2.0", None, None, "say what to bump"),
])
def test_nonsense_requests_are_refused(current, part, pre, message):
    with pytest.raises(InputError, match=message):
        bump(current, part, pre=pre)


def test_to_must_be_valid_and_newer():
    assert check_target("1.2.0", "1.2.0.post1") == "1.2.0.post1"
    with pytest.raises(InputError, match="not newer"):
        check_target("1.2.0", "1.2.0")
    with pytest.raises(InputError, match="is not a PEP 440 version"):
        check_target("1.2.0", "1.3.0final1")


VERSIONS = ["0.1", "1.0.0", "1.2.3", "2.0.0a1", "2.0.0b3", "2.0.0rc1", "1.0.post2", "1.0.dev4",
            "3.1.4rc2.dev1", "1!0.9", "1.2.3-rc.4", "10.20.30.40", "0.0.1.post1.dev2"]


@pytest.mark.parametrize("current", VERSIONS)
def test_every_bump_is_valid_pep440_and_newer(current):
    results = preview(current)
    assert results, current
    for part in PARTS:
        for pre in (None, *PRE_LABELS):
            for dev in (False, True):
                try:
                    new = bump(current, part, pre=pre, dev=dev)
                except InputError:
                    continue
                assert Version(new) > Version(current), (current, part, pre, dev, new)
    for label, new in results.items():
        assert Version(new) > Version(current), (label, new)
