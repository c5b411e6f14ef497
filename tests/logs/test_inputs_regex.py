"""grep patterns mean what Python's ``re`` says they mean, and no pattern makes a search hang."""

import random
import re
import subprocess
import sys

import pytest
from logs_support import write

from devkit.logs.match import PatternMatcher
from devkit.logs.pattern import Pattern
from devkit.logs.trace import grep

PATTERNS = [
    r"(a+)+$", r"\bfoo\b", r"caf.", r"\w+Timeout", r"(?i)KELVIN", r"x[é]{2}y", r"(?i:a)b", r"\d{3}\s\S+", r"^abc$",
    r"\Aabc\Z", r"[\w.-]+@[\w.-]+", r"(?i)straße", r"[^abc]+d", r"\W\w", r"[\W\d]x", r"(?s)a.b", r"a.b", r"(?x) a  b # c",
    r"[a-fé-ü]+z", r"(?i)[a-z]+é", r"\S+\s+\S+$", r"(?a)\w+", r"é|ü", r"a{2,3}?b", r"(foo|ba[rz])+q", r"[\s\S]", r"x*",
    r"(?m)^b", r"\bcafé\b", r"(?<!x)y", r"(a)\1", r"(?=ab)a", r"\Bo", r"(?i)k", r"(?i)i", r"(?i)[i-k]x", r"[^\n]+", r"$",
    r"^$", r"(?i)[^k]", r"a{1001}", r"(?>ab|a)b", r"a*+a", r"failed for (order|depot) [0-9A-Z-]+", r"٣+",
]
ALPHABET = list("abcdefkxyzKSIé ü\u212a\u0130\u017fß.-@\t\n0123٣_") + ["caf", "foo", "abc", "straße", "ä", "\u00a0",
                                                                       "\ufffd", "Timeout", "failed for order X-1"]


def texts(n=1500):
    rng = random.Random(3)
    out = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 12))) for _ in range(n)]
    return out + ["foo bar", "café.", "xééy", "caf\ufffd x", "abc\nabc", "KELVIN", "\u212aELVIN", "ab\n", "a" * 1001]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_pattern_means_what_python_re_means(pattern):
    compiled, python = Pattern(pattern), re.compile(pattern, re.MULTILINE)
    for text in texts():
        expected = python.search(text) is not None
        assert compiled.search(text) is expected, (pattern, text)
        if expected:  # the raw-bytes search never misses a line the event check would keep
            assert compiled.raw.search(text.encode("utf-8")) is not None, (pattern, text)
            latin1 = text.encode("latin-1", "replace")  # a log that is not UTF-8 is decoded with U+FFFD
            if python.search(latin1.decode("utf-8", "replace")):
                assert compiled.raw.search(latin1) is not None, (pattern, text)


def test_ignore_case_flag_and_fixed_strings():
    assert Pattern("kelvin", ignore_case=True).search("\u212aELVIN")
    m = PatternMatcher("a+b (x)", fixed=True)
    assert m.needle == b"a+b (x)" and m.compiled.search("say a+b (x)") and not m.compiled.search("aab x")


def test_which_patterns_run_without_a_backtracking_engine():
    assert Pattern(r"(a+)+$").exact and Pattern(r"\w+\d{2,5}(foo|bar)?").exact
    assert not Pattern(r"(?<!x)y").exact and not Pattern(r"(a)\1").exact
    assert Pattern(r"\bERROR\b").ascii_only  # RE2's \b is ASCII: non-ASCII text goes to the checked engine


def test_invalid_and_oversized_patterns_are_one_line(tmp_path, run):
    log = write(tmp_path / "a.log", "2026-11-20 09:00:00,000 INFO x\n")
    result = run("logs", "grep", "(unclosed", str(log))
    assert result.exit_code == 2 and result.stderr.startswith("devkit: error: invalid pattern '(unclosed': ")
    result = run("logs", "grep", "((a{1000}){1000}){1000}", str(log))
    assert result.exit_code == 2 and "too large for the linear-time engine" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def _long_a_line_log(tmp_path, n=5000):
    return write(tmp_path / "app.log", "2026-11-20 09:00:00,000 INFO start\n"
                 f"2026-11-20 09:00:01,000 INFO {'a' * n}!\n2026-11-20 09:00:02,000 INFO aaa\n")


def _devkit(*args, timeout=120):
    # the timeout only keeps a regression from hanging the suite: before the fix this ran for hours
    return subprocess.run([sys.executable, "-m", "devkit", *args], capture_output=True, text=True, timeout=timeout)


def test_catastrophic_pattern_on_a_long_line_is_answered(tmp_path):
    log = _long_a_line_log(tmp_path)
    result = _devkit("logs", "grep", "(a+)+$", str(log), "--json")
    assert result.returncode == 0, result.stderr
    assert [line.count('"line": 3') for line in result.stdout.splitlines()] == [1]
    result = _devkit("logs", "grep", r"(\w+\s?)*!$", str(log), "--json")  # nested repeats matching the line
    assert result.returncode == 0 and len(result.stdout.splitlines()) == 1
    found = grep("(x+x+)+y", [str(log)])
    assert found.events == [] and found.problems == []


def test_backtracking_only_pattern_gives_up_on_an_event_and_says_so(tmp_path):
    log = write(tmp_path / "app.log", "2026-11-20 09:00:00,000 INFO b\n"
                f"2026-11-20 09:00:01,000 INFO {'a' * 48}\n2026-11-20 09:00:02,000 INFO cab\n")  # re: ~25 min
    result = _devkit("logs", "grep", "(a|aa)+(?<=b)$|b$", str(log), "--json")
    assert result.returncode == 2
    assert [line.count('"line": 2') for line in result.stdout.splitlines()] == [0, 0]  # lines 1 and 3 match
    assert result.stderr == (f"devkit: error: {log}: line 2: gave up matching after backtracking too long "
                             "(look-around, backreferences and \\b beside non-ASCII text need the backtracking "
                             "engine)\n")
    found = grep("(a|aa)+(?<=b)$|b$", [str(log)])
    assert [e.line for e in found.events] == [1, 3] and len(found.problems) == 1


def test_word_boundary_next_to_non_ascii_letters(tmp_path, run_json):
    log = write(tmp_path / "fr.log", "2026-11-20 09:00:00,000 INFO le café.\n2026-11-20 09:00:01,000 INFO cafés\n"
                "2026-11-20 09:00:02,000 INFO café\n")
    _, events = run_json("logs", "grep", r"\bcafé\b", str(log))
    assert [e["line"] for e in events] == [1, 3]
