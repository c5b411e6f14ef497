"""What reaches the log engine from a source: gaps of NUL bytes, byte-order marks, damaged archives,
long lines on stdin, and paths that cannot be read. Each case goes through the CLI and the library.
"""

import bz2
import ctypes
import gzip
import json
import lzma
import os
import random
import shutil
import subprocess
import sys

import pytest
from logs_support import write

from devkit.logs.sources import GAP_MIN, Source, expand_paths, iter_lines, text_chunks
from devkit.logs.trace import grep, merge, trace

ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def gw(second: int, msg: str, cid: str = ID) -> str:
    return f"{cid} - 2026-11-20 09:00:{second:02d},000 - views.py - handle - {msg}\n"


LINES = "".join(gw(s, f"step {s} of request {ID}") for s in range(3))


def lines_of(path, text_mode=False):
    problems = []
    return [raw for _, raw in iter_lines(Source(str(path), str(path)), problems, text_mode)], problems


# ---------------------------------------------------------------- NUL gaps (logrotate copytruncate)

def copytruncated(path, before: int = 300_000) -> str:
    """What logrotate's copytruncate leaves: the writer's offset survives the truncation."""
    writer = open(path, "wb")  # no O_APPEND, as most loggers
    writer.write(b"x" * before)
    writer.flush()
    os.truncate(path, 0)  # logrotate copies the file, then truncates it in place
    writer.write(LINES.encode())
    writer.close()
    return LINES


def test_copytruncate_file_is_read_past_its_hole(tmp_path, run_json):
    log = tmp_path / "app.log"
    copytruncated(log)
    assert open(log, "rb").read(1) == b"\0"
    for command in (["trace", ID], ["grep", "step"], ["merge"]):
        result, events = run_json("logs", *command, str(log))
        assert result.exit_code == 0, result.stderr
        assert [(e["line"], e["message"]) for e in events] == [(n + 1, f"step {n} of request {ID}") for n in range(3)]
        assert result.stderr == ""
    result, events = run_json("logs", "trace", ID, str(log), "-a")  # --text: the first record is whole too
    assert events[0]["correlation_id"] == ID and events[0]["line"] == 1
    assert [raw for raw in lines_of(log)[0]] == [ln.encode() for ln in LINES.splitlines()]


def test_nul_run_at_the_start_of_stdin_and_of_a_compressed_file(tmp_path, run_json):
    data = b"\0" * 70_000 + LINES.encode()
    result, events = run_json("logs", "merge", "-", input=data)
    assert [e["line"] for e in events] == [1, 2, 3] and events[0]["correlation_id"] == ID
    log = write(tmp_path / "app.log.gz", gzip.compress(data))
    result, events = run_json("logs", "trace", ID, str(log))
    assert result.exit_code == 0 and [e["line"] for e in events] == [1, 2, 3]


def test_page_sized_nul_gap_inside_a_file_is_dropped_by_both_readers(tmp_path, run_json):
    # a crash that lost a block: the lines around it stay, the line numbers stay physical
    body = gw(0, "before").encode() + b"\0" * (2 * GAP_MIN) + gw(1, f"after the gap {ID}").encode() + gw(2, "end").encode()
    log = write(tmp_path / "crash.log", body)
    full, problems = lines_of(log)
    assert full == [gw(0, "before").rstrip("\n").encode(), gw(1, f"after the gap {ID}").rstrip("\n").encode(),
                    gw(2, "end").rstrip("\n").encode()]
    assert problems == [f"{log}: skipped 8,192 NUL bytes (line 2): a crash or an in-place truncation left them; "
                        "the text around them was read"]
    result, events = run_json("logs", "trace", ID, str(log))  # the raw scan finds the gap in its hit and re-reads
    assert [(e["line"], e["message"]) for e in events] == [(1, "before"), (2, f"after the gap {ID}"), (3, "end")]
    assert "skipped 8,192 NUL bytes" in result.stderr and result.exit_code == 0
    merged = trace(ID, [str(log)])
    assert [e.line for e in merged.events] == [1, 2, 3]


def test_short_nul_runs_are_still_binary_and_text_mode_keeps_them(tmp_path, run):
    core = write(tmp_path / "core", b"\x7fELF\x02\x01\x00\x00abc\x00\x00" + LINES.encode())
    result = run("logs", "trace", ID, str(core))
    assert result.exit_code == 1 and "binary file skipped" in result.stderr
    lines, _ = lines_of(core, text_mode=True)
    assert lines[0].startswith(b"\x7fELF\x02\x01\x00\x00abc\x00\x00")


def test_file_that_is_all_nul_bytes_is_empty(tmp_path, run):
    log = tmp_path / "zero.log"
    with open(log, "wb") as f:
        f.truncate(1 << 20)
    assert run("logs", "merge", str(log)).exit_code == 1
    assert lines_of(log) == ([], [])


# ---------------------------------------------------------------- byte-order marks

@pytest.mark.parametrize("codec,bom", [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("utf-8", b"\xef\xbb\xbf"),
                                       ("utf-32-le", b"\xff\xfe\x00\x00")])
def test_text_with_a_byte_order_mark_is_decoded(tmp_path, run_json, codec, bom):
    first = json.dumps({"message": f"step 0 of request {ID}", "timestamp": "2026-11-20T09:00:00Z", "request_id": ID})
    text = (first + "\n" + LINES.split("\n", 1)[1]).replace("step 1", "étape 1 ✓").replace("\n", "\r\n")
    log = write(tmp_path / "win.log", bom + text.encode(codec))
    expected = [(1, f"step 0 of request {ID}"), (2, f"étape 1 ✓ of request {ID}"), (3, f"step 2 of request {ID}")]
    for command in (["trace", ID], ["grep", "request"], ["merge"]):  # raw scan (transcoded copy) and full read
        result, events = run_json("logs", *command, str(log))
        assert result.exit_code == 0, result.stderr
        assert [(e["line"], e["message"]) for e in events] == expected
        assert events[0]["format"] == "json"
    gz = write(tmp_path / "win.log.gz", gzip.compress(bom + text.encode(codec)))
    assert [(e.line, e.message) for e in trace(ID, [str(gz)]).events] == expected
    assert [(e.line, e.message) for e in merge([str(log)]).events] == expected


# ---------------------------------------------------------------- damaged and empty archives

def _corpus(n: int = 20_000) -> bytes:
    rng = random.Random(5)
    return "".join(gw(i % 60, f"order {rng.randint(1, 10**6)} took {rng.random():.3f}s", "%032x" % rng.getrandbits(128))
                   for i in range(n)).encode()


TOOLS = {".xz": ("xzcat", lzma.compress), ".gz": ("zcat", gzip.compress), ".bz2": ("bzcat", bz2.compress)}


@pytest.mark.parametrize("ext", list(TOOLS))
def test_corrupt_archive_keeps_what_the_command_line_tool_recovers(tmp_path, ext, run):
    tool, compress = TOOLS[ext]
    if not shutil.which(tool):
        pytest.skip(f"{tool} is not installed")
    data = _corpus()
    packed = bytearray(compress(data))
    packed[len(packed) // 2] ^= 0xFF
    log = write(tmp_path / f"app.log{ext}", bytes(packed))
    theirs = subprocess.run([tool, str(log)], capture_output=True).stdout
    good = next(i for i, (a, b) in enumerate(zip(theirs + b"\1", data + b"\2")) if a != b)  # correct bytes they kept
    assert good > len(data) // 4
    problems = []
    ours = b"".join(text_chunks(Source(str(log), str(log)), problems))
    assert ours[:good] == data[:good]
    if ext != ".bz2":  # bzcat prints in blocks of its own; the others we match byte for byte
        assert theirs.startswith(ours) and len(ours) >= len(theirs) - 1
    assert len(problems) == 1 and "corrupt compressed data" in problems[0]
    lines = data[:good].count(b"\n")
    result = run("logs", "merge", "--json", str(log))
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1
    assert len(result.stdout.splitlines()) >= lines
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("ext", list(TOOLS))
def test_empty_archives_are_empty_logs(tmp_path, ext, run):
    for name, content in (("zero", b""), ("valid", TOOLS[ext][1](b""))):
        log = write(tmp_path / f"{name}.log{ext}", content)
        for command in (["merge"], ["trace", ID]):
            result = run("logs", *command, str(log))
            assert result.exit_code == 1, (name, command)
            # no problem to report; trace says what it searched (issue 11's "nothing found" line)
            assert result.stderr in ("", f"no event carries {ID} in 1 file (0.0 MB)\n"), (name, command)
        assert lines_of(log) == ([], [])


def test_concatenated_gzip_members_and_trailing_junk(tmp_path):
    log = write(tmp_path / "a.log.gz", gzip.compress(gw(0, "one").encode()) + b"\0" * 8 + gzip.compress(gw(1, "two").encode())
                + b"junk!")
    lines, problems = lines_of(log)
    assert [ln.decode().split(" - ")[-1] for ln in lines] == ["one", "two"]
    assert problems == [f"{log}: ignored 5 bytes after the end of the gzip data"]


def test_not_an_archive_is_one_line(tmp_path, run):
    log = write(tmp_path / "plain.log.xz", LINES)
    result = run("logs", "merge", str(log))
    assert result.exit_code == 2
    assert result.stderr == f"devkit: error: {log}: not xz data (Input format not supported by decoder)\n"


def test_truncated_xz_keeps_everything_decoded(tmp_path):
    data = _corpus(5000)
    packed = lzma.compress(data)
    log = write(tmp_path / "cut.log.xz", packed[: len(packed) * 2 // 3])
    problems = []
    ours = b"".join(text_chunks(Source(str(log), str(log)), problems))
    d = lzma.LZMADecompressor()
    assert ours == d.decompress(packed[: len(packed) * 2 // 3]) and len(ours) > len(data) // 2
    assert problems == [f"{log}: compressed file is truncated; read what was before the damage"]


# ---------------------------------------------------------------- long lines

@pytest.mark.parametrize("where", ["stdin", "file", "gz"])
def test_fifty_megabyte_line_from_stdin_files_and_gzip(tmp_path, where):
    big = gw(1, "payload=" + "x" * (50 << 20) + f" end {ID}").encode()
    data = gw(0, "first").encode() + big + gw(2, "last").encode()
    if where == "stdin":
        # a busy pipe hands over 4 KiB per read: joining them one by one was quadratic (hours here)
        script = f"""
import io, json, sys
from devkit.logs.trace import merge

class Pipe(io.RawIOBase):
    def __init__(self, data):
        self.data, self.pos = data, 0
    def readable(self):
        return True
    def readinto(self, b):
        n = min(len(b), 4096, len(self.data) - self.pos)
        b[:n] = self.data[self.pos:self.pos + n]
        self.pos += n
        return n

sys.stdin = io.TextIOWrapper(io.BufferedReader(Pipe(open({str(tmp_path / 'in.log')!r}, 'rb').read()), 4096))
print(json.dumps([(e.line, len(e.message)) for e in merge(['-']).events]))
"""
        write(tmp_path / "in.log", data)
        proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=180)
        assert proc.returncode == 0, proc.stderr
        got = json.loads(proc.stdout)
    else:
        log = write(tmp_path / ("big.log" + (".gz" if where == "gz" else "")),
                    gzip.compress(data, compresslevel=1) if where == "gz" else data)
        got = [(e.line, len(e.message)) for e in merge([str(log)]).events]
    assert [line for line, _ in got] == [1, 2, 3]
    assert got[1][1] == len("payload=") + (50 << 20) + len(f" end {ID}")


def test_long_line_on_stdin_through_the_cli(run_json):
    big = gw(1, "y" * (8 << 20) + f" {ID}")
    result, events = run_json("logs", "trace", ID, "-", input=(gw(0, "a") + big).encode())
    assert result.exit_code == 0 and [e["line"] for e in events] == [1, 2]


# ---------------------------------------------------------------- paths that cannot be read

_libc = ctypes.CDLL(None, use_errno=True)
_PR_CAPBSET_DROP, _CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 24, 1, 2


def _drop_dac() -> None:
    """In the child, before exec: root without these capabilities obeys file modes like anyone."""
    for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if _libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def run_unprivileged(*args: str) -> subprocess.CompletedProcess:
    """``devkit ARGS`` in a process that a mode of 000 really stops (EACCES, no mock)."""
    cmd = [sys.executable, "-m", "devkit", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                          preexec_fn=_drop_dac if os.geteuid() == 0 else None)


@pytest.fixture
def tree(tmp_path):
    ok = write(tmp_path / "ok.log", LINES)
    secret = write(tmp_path / "secret.log", gw(5, f"hidden {ID}"))
    locked = tmp_path / "locked"
    write(locked / "inner.log", gw(6, f"locked away {ID}"))
    (tmp_path / "loop.log").symlink_to("loop.log")
    (tmp_path / "dangling.log").symlink_to("gone.log")
    secret.chmod(0)
    locked.chmod(0)
    yield tmp_path, ok
    locked.chmod(0o755)


def test_unreadable_file_beside_a_readable_one(tree):
    root, ok = tree
    result = run_unprivileged("logs", "trace", ID, str(ok), str(root / "secret.log"), "--json")
    assert result.returncode == 2, result.stderr
    assert [json.loads(x)["line"] for x in result.stdout.splitlines()] == [1, 2, 3]
    assert result.stderr == f"devkit: error: {root / 'secret.log'}: permission denied\n"


def test_merge_with_an_unreadable_directory_prints_the_rest(tree):
    root, ok = tree
    result = run_unprivileged("logs", "merge", str(root / "locked"), str(ok), "--json")
    assert result.returncode == 2
    assert len(result.stdout.splitlines()) == 3
    assert result.stderr == f"devkit: error: {root / 'locked'}: permission denied\n"
    result = run_unprivileged("logs", "merge", str(root), "--json")  # inside a tree: each problem once
    assert result.returncode == 2 and len(result.stdout.splitlines()) == 3
    assert sorted(result.stderr.splitlines()) == [f"devkit: error: {root / 'locked'}: permission denied",
                                                 f"devkit: error: {root / 'secret.log'}: permission denied"]


def test_symlink_loop_and_dangling_link_say_so(tree, run):
    root, ok = tree
    result = run("logs", "trace", ID, str(root / "loop.log"), str(root / "dangling.log"), str(ok))
    assert result.exit_code == 2 and result.stdout.count(ID) >= 3
    assert result.stderr.splitlines() == [
        f"devkit: error: {root / 'loop.log'}: too many levels of symbolic links",
        f"devkit: error: {root / 'dangling.log'}: broken symbolic link (its target gone.log does not exist)"]


def _unprivileged_library_call(paths, conn):
    try:
        conn.send(_read_without_dac(paths))
    except BaseException as exc:  # noqa: BLE001 - the parent shows it
        conn.send(exc)


def _read_without_dac(paths):
    if os.geteuid() == 0:
        from ctypes import byref, c_int, c_uint32, Structure

        class Header(Structure):
            _fields_ = [("version", c_uint32), ("pid", c_int)]

        class Data(Structure):
            _fields_ = [("effective", c_uint32), ("permitted", c_uint32), ("inheritable", c_uint32)]

        header, data = Header(0x20080522, 0), (Data * 2)()
        assert _libc.capget(byref(header), data) == 0
        data[0].effective &= ~((1 << _CAP_DAC_OVERRIDE) | (1 << _CAP_DAC_READ_SEARCH))
        assert _libc.capset(byref(header), data) == 0
    problems = []
    sources = expand_paths(paths, problems)
    lines = [(s.name, n) for s in sources for n, _ in iter_lines(s, problems)]
    found = trace(ID, paths)
    return lines, problems, [e.line for e in found.events], found.problems


def test_library_reports_permission_denied_and_reads_the_rest(tree):
    import multiprocessing

    root, ok = tree
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_unprivileged_library_call, args=([str(root / "secret.log"), str(ok)], child))
    proc.start()
    assert parent.poll(60), "the unprivileged child sent nothing"
    answer = parent.recv()
    proc.join(30)
    if isinstance(answer, BaseException):
        raise answer
    lines, problems, traced, trace_problems = answer
    assert lines == [(str(ok), 1), (str(ok), 2), (str(ok), 3)]
    assert problems == trace_problems == [f"{root / 'secret.log'}: permission denied"]
    assert traced == [1, 2, 3]


def test_grep_library_with_missing_and_bad_paths(tree):
    root, ok = tree
    result = grep("step", [str(root / "nope.log"), str(root / "loop.log"), str(ok)])
    assert [e.line for e in result.events] == [1, 2, 3]
    assert result.problems == [f"{root / 'nope.log'}: no such file or directory",
                               f"{root / 'loop.log'}: too many levels of symbolic links"]


# ---------------------------------------------------------------- options that cannot mean anything

@pytest.mark.parametrize("tz", ["+99:00", "-25", "+05:75", "+18:30"])
def test_impossible_utc_offset_is_a_usage_error(tmp_path, run, tz):
    log = write(tmp_path / "a.log", LINES)
    result = run("logs", "trace", ID, str(log), "--tz", tz)
    assert result.exit_code == 2
    assert result.stderr == (f"devkit: error: invalid UTC offset {tz!r}: it must lie between -18:00 and +18:00 "
                             "(e.g. +02:00)\n")


def test_short_utc_offsets_are_understood(tmp_path, run_json):
    log = write(tmp_path / "a.log", LINES)
    for tz, hour in (("+5", "04:00"), ("-0330", "12:30"), ("+05:30", "03:30")):
        _, events = run_json("logs", "trace", ID, str(log), "--tz", tz)
        assert events[0]["timestamp"].startswith(f"2026-11-20T{hour}"), tz


@pytest.mark.parametrize("ident,why", [(" ", "is empty or blank"), ("-", "has no letter or digit"),
                                       ("_-_", "has no letter or digit"), ("...", "has no letter or digit"),
                                       ("7", "is too short"), (f" {ID}", "holds white space")])
def test_id_that_would_match_everything_is_refused(tmp_path, run, ident, why):
    log = write(tmp_path / "a.log", LINES)
    result = run("logs", "trace", ident, str(log))
    assert result.exit_code == 2 and result.stdout == ""
    assert why in result.stderr and len(result.stderr.splitlines()) == 1
    with pytest.raises(Exception, match=why):
        trace(ident, [str(log)])


@pytest.mark.parametrize("read_size", [1, 2, 3, 5, 8, 64])
def test_line_endings_are_cut_wherever_a_read_ends(tmp_path, monkeypatch, read_size):
    """CRLF, a lone CR and LF lines, with every read boundary: a CR that ends one read and the LF
    that starts the next still end one line (lines are numbered in bulk where a read has no CR)."""
    import random

    from devkit.logs import sources

    rng = random.Random(read_size)
    content = b"".join(rng.choice([b"abc", b"\r", b"\r\n", b"\n", b"x\ry", b"", b"\xc3\xa9"]) for _ in range(12000))
    path = tmp_path / "app.log"
    path.write_bytes(content)
    monkeypatch.setattr(sources, "_READ", read_size)
    want = content.split(b"\n")
    if want[-1] == b"":
        want.pop()
    want = [(n, line[:-1] if line.endswith(b"\r") else line) for n, line in enumerate(want, 1)]
    assert list(iter_lines(Source(str(path), str(path)), [])) == want
