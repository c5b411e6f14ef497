"""Bad input never gives a traceback, says what was skipped, and loses no line."""

import gzip
import json

from logs_support import ROOT, write

LINE = "abc - 2026-11-20 09:00:00,000 - a.py - f - hello abc\n"


def test_invalid_utf8_is_read_and_matched(tmp_path, run_json):
    log = write(tmp_path / "bad.log", b"abc - 2026-11-20 09:00:00,000 - a.py - f - caf\xe9 \xff\xfe abc\n")
    result, events = run_json("logs", "trace", "abc", str(log))
    assert result.exit_code == 0
    assert "caf\ufffd" in events[0]["message"]


def test_binary_file_is_skipped_with_a_note(tmp_path, run):
    write(tmp_path / "core.bin", b"\x7fELF\x00\x00abc\x00" * 100)
    write(tmp_path / "ok.log", LINE)
    result = run("logs", "trace", "abc", str(tmp_path))
    assert result.exit_code == 0
    assert "core.bin: binary file skipped" in result.stderr
    assert run("logs", "trace", "abc", str(tmp_path / "core.bin"), "--text").exit_code == 0


def test_truncated_gzip_reads_what_is_there_and_says_so(tmp_path, run_json):
    data = gzip.compress((LINE * 2000).encode())
    log = write(tmp_path / "cut.log.gz", data[: len(data) // 2])
    result, events = run_json("logs", "trace", "abc", str(log))
    assert result.exit_code == 2
    assert "cut.log.gz: compressed file is truncated" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert events and "Traceback" not in result.stderr


def test_corrupt_gzip_is_one_line(tmp_path, run):
    log = write(tmp_path / "junk.log.gz", b"this is not gzip at all\n")
    result = run("logs", "merge", str(log))
    assert result.exit_code == 2
    assert "junk.log.gz" in result.stderr and "Traceback" not in result.stderr


def test_fifty_megabyte_line(tmp_path, run_json):
    big = "2026-11-20 09:00:00,000 INFO " + "x" * (50 << 20) + " abc\n"
    log = write(tmp_path / "big.log", LINE + big + LINE)
    result, events = run_json("logs", "trace", "abc", str(log))
    assert result.exit_code == 0
    assert [(e["line"], e["lines"]) for e in events] == [(1, 1), (2, 1), (3, 1)]
    assert len(events[1]["message"]) > 50 << 20


def test_empty_file_and_empty_stdin(tmp_path, run):
    write(tmp_path / "empty.log", "")
    assert run("logs", "trace", "abc", str(tmp_path / "empty.log")).exit_code == 1
    assert run("logs", "merge", "-", input="").exit_code == 1


def test_directory_with_thousands_of_files(tmp_path, run_json):
    for i in range(3000):
        write(tmp_path / f"d{i % 10}" / f"f{i}.log", f"2026-11-20 09:00:{i % 60:02d},000 INFO n={i}\n")
    write(tmp_path / "d3" / "hit.log", LINE)
    result, events = run_json("logs", "trace", "abc", str(tmp_path))
    assert result.exit_code == 0 and len(events) == 1
    result, events = run_json("logs", "merge", str(tmp_path))
    assert len(events) == 3001


def test_crlf_lines_are_clean(tmp_path, run_json):
    log = write(tmp_path / "w.log", LINE.replace("\n", "\r\n").encode() * 2)
    _, events = run_json("logs", "merge", str(log))
    assert [e["message"] for e in events] == ["hello abc", "hello abc"]
    assert all("\r" not in json.dumps(e) for e in events)


def test_unknown_time_zone_is_a_usage_error(run, tmp_path):
    log = write(tmp_path / "a.log", LINE)
    result = run("logs", "trace", "abc", str(log), "--tz", "Mars/Olympus")
    assert result.exit_code == 2 and "unknown time zone" in result.stderr


DATA = ROOT / "tests" / "data"


def test_shipped_copytruncate_sample_is_text(run_json):
    from data.make_samples import GAP_ID

    result, events = run_json("logs", "trace", GAP_ID, str(DATA / "copytruncate.log"))
    assert result.exit_code == 0 and result.stderr == ""
    assert [e["message"] for e in events] == [f"Listing orders, page {i}" for i in (1, 2, 3)]


def test_shipped_utf16_sample_is_decoded(run_json):
    from data.make_samples import UTF16_ID

    result, events = run_json("logs", "trace", UTF16_ID, str(DATA / "utf16.log"))
    assert result.exit_code == 0
    assert [(e["line"], e["message"]) for e in events] == [(1, "Dienst gestartet (Zoë Müller)"), (3, "Dienst beendet ✓")]


def test_shipped_corrupt_xz_keeps_the_lines_before_the_damage(run_json):
    from data.make_samples import XZ_CORRUPT_ID

    result, events = run_json("logs", "trace", XZ_CORRUPT_ID, str(DATA / "corrupt.log.xz"))
    assert result.exit_code == 2
    assert [e["line"] for e in events] == [1, 51, 101, 151]  # all the hits in the 193 intact lines
    assert "corrupt.log.xz: corrupt compressed data" in result.stderr and len(result.stderr.splitlines()) == 1
    result, events = run_json("logs", "merge", str(DATA / "corrupt.log.xz"))
    assert len(events) >= 193


def test_shipped_empty_archives_are_empty(run):
    for name in ("empty.log.gz", "zero.log.bz2"):
        result = run("logs", "merge", str(DATA / name))
        assert (result.exit_code, result.stderr) == (1, ""), name
