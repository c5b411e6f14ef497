"""The example logs, their ground truth, the benchmark corpus and the bad-input samples are
what the generators say they are (checked by reading the files, independently of devkit)."""

import bz2
import gzip
import json
import lzma
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
DATA = ROOT / "tests" / "data"


def read_lines(path: Path) -> list[str]:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return raw.decode("utf-8").split("\n")[:-1]


def test_committed_examples_are_what_the_generator_writes(tmp_path):
    subprocess.run([sys.executable, str(EXAMPLES / "make_examples.py"), "--out", str(tmp_path / "logs"),
                    "--expected", str(tmp_path / "expected.json")], check=True, capture_output=True)
    fresh = sorted(p.relative_to(tmp_path / "logs") for p in (tmp_path / "logs").rglob("*") if p.is_file())
    committed = sorted(p.relative_to(EXAMPLES / "logs") for p in (EXAMPLES / "logs").rglob("*") if p.is_file())
    assert fresh == committed
    for rel in fresh:
        assert (tmp_path / "logs" / rel).read_bytes() == (EXAMPLES / "logs" / rel).read_bytes(), rel
    assert (tmp_path / "expected.json").read_bytes() == (EXAMPLES / "expected.json").read_bytes()


def test_generator_refuses_to_clear_a_foreign_directory(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    proc = subprocess.run([sys.executable, str(EXAMPLES / "make_examples.py"), "--out", str(tmp_path),
                           "--expected", str(tmp_path / "x.json")], capture_output=True, text=True)
    assert proc.returncode != 0 and "refusing" in proc.stderr
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def test_ground_truth_covers_every_occurrence_of_each_id():
    expected = json.loads((EXAMPLES / "expected.json").read_text())
    files = {name: read_lines(EXAMPLES / "logs" / name) for name in expected["files"]}
    for name, info in expected["files"].items():
        assert len(files[name]) == info["lines"], name
    assert sum((EXAMPLES / "logs" / n).stat().st_size for n in files) < 600_000
    demo = expected["ids"][0]
    assert demo["name"] == "demo"
    assert {"nginx", "gateway", "orders", "payments", "inventory", "notifier"} <= {e["service"] for e in demo["events"]}
    assert any(e["source"].startswith("syslog/") and e["traceback"] and e["lines"] > 3 for e in demo["events"])
    for case in expected["ids"]:
        cid = case["id"]
        covered = set()
        for ev in case["events"]:
            lines = files[ev["source"]]
            assert cid in lines[ev["line"] - 1], (case["name"], ev)
            if ev["source"].startswith("syslog/"):
                covered.add((ev["source"], ev["line"]))  # stitched records are not contiguous
            else:
                covered.update((ev["source"], n) for n in range(ev["line"], ev["line"] + ev["lines"]))
        for name, lines in files.items():
            for n, line in enumerate(lines, 1):
                if cid in line:
                    assert (name, n) in covered, (case["name"], name, n)


def test_syslog_traceback_records_share_host_app_and_procid_and_interleave():
    expected = json.loads((EXAMPLES / "expected.json").read_text())
    lines = read_lines(EXAMPLES / "logs" / "syslog" / "docker.log")
    rx = re.compile(r"^<\d+>1 (\S+) (\S+) (\S+) (\S+) - - (.*)$")
    demo = next(e for e in expected["ids"][0]["events"] if e["source"].startswith("syslog/") and e["traceback"])
    head = rx.match(lines[demo["line"] - 1])
    own, foreign, n = 0, 0, demo["line"]
    while own < demo["lines"]:
        m = rx.match(lines[n - 1])
        if m.group(2, 3, 4) == head.group(2, 3, 4):
            own += 1
        else:
            foreign += 1
        n += 1
    assert foreign >= 1
    assert rx.match(lines[n - 2]).group(5).startswith("TimeoutError")
    stamps = [rx.match(x).group(1) for x in lines if rx.match(x)]
    assert stamps == sorted(stamps)


def test_corpus_has_the_rare_id_it_reports_and_not_the_missing_one(tmp_path):
    out = tmp_path / "corpus"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "make_corpus.py"), str(out), "--size", "4M",
                           "--files", "9", "--seed", "3"], check=True, capture_output=True, text=True)
    ids = json.loads((out / "ids.json").read_text())
    assert ids["rare"]["id"] in proc.stdout and ids["missing"]["id"] in proc.stdout
    sizes = [f["bytes"] for f in ids["files"]]
    assert len(sizes) == 9 and max(sizes) < 1.5 * min(sizes)
    assert abs(sum(sizes) - (4 << 20)) < 0.25 * (4 << 20)
    rare, missing = ids["rare"]["id"], ids["missing"]["id"]
    found = {}
    for f in ids["files"]:
        text = (out / f["path"]).read_text()
        assert missing not in text
        hits = [ln for ln in text.split("\n") if rare in ln]
        # the ID also appears inside gateway/orders traceback text: count records, not lines
        records = [ln for ln in hits if not ln.startswith("gate.errors")]
        if records:
            found[f["path"]] = len(records)
    assert found == ids["rare"]["events_by_file"]
    assert 10 <= ids["rare"]["events"] <= 50


def test_bad_input_samples_are_reproducible_and_as_documented(tmp_path):
    before = {p.name: p.read_bytes() for p in DATA.iterdir() if p.is_file() and p.suffix != ".py" and p.name != "README.md"}
    subprocess.run([sys.executable, str(DATA / "make_samples.py")], check=True, capture_output=True)
    after = {p.name: p.read_bytes() for p in DATA.iterdir() if p.is_file() and p.suffix != ".py" and p.name != "README.md"}
    assert before == after
    crlf = after["crlf.log"]
    assert crlf.count(b"\r\n") == crlf.count(b"\n") == 12
    utf8_lines = after["invalid-utf8.log"].split(b"\n")
    assert b"9d4c2b7e1f0a3c5e8b6d4f2a0c9e7b15" in utf8_lines[1]
    assert b"\xe9" in utf8_lines[1] and b"\xc3(" in utf8_lines[2]
    assert after["empty.log"] == b""
    assert b"\x00" in after["core.bin"]
    nginx = bz2.decompress(after["nginx.log.bz2"]).decode().split("\n")
    assert [i for i, ln in enumerate(nginx, 1) if "e27b9c4f1a3d5e7b9c0f2a4d6e8b1c35" in ln] == [2, 5]
    gw = lzma.decompress(after["gateway.log.xz"]).decode().split("\n")[:-1]
    assert len(gw) == 13 and gw[-1].startswith("ValueError")
    try:
        gzip.decompress(after["truncated.log.gz"])
        raise AssertionError("truncated.log.gz decompressed completely")
    except EOFError:
        pass
