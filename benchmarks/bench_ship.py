#!/usr/bin/env python3
"""devkit logs ship vs. a plain ``elasticsearch.helpers.bulk`` script, same batch size, same server.

    python benchmarks/bench_ship.py [CORPUS] [--batch 1000] [--runs 3] [--size 10M]

CORPUS defaults to a fresh ``make_corpus.py`` corpus of --size in a temp directory. The reference
script gets the very documents devkit ships, pre-built (untimed) as NDJSON, so it does no reading
or stitching at all: it only parses JSON lines and calls ``helpers.bulk(chunk_size=--batch)``.
Both run as subprocesses into a fresh osmem-server (127.0.0.1, one per run, alternating which
goes first), both refresh the index at the end, and both counts are checked against the number of
events. Prints documents/s for each (and the CPU seconds the server spent: on 2 cores osmem's
indexing is the bottleneck, so the ratio sits near 1.0 and moves with machine noise) and the ratio
of the medians devkit/reference; exit 1 below 1.0x.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REFERENCE = r'''
import json, re, sys, time
import elasticsearch._sync.client._base as base
from elasticsearch import Elasticsearch, helpers
# OpenSearch (and osmem) answer 406 to the 9.x client's compatibility content type: keep plain JSON.
base._COMPAT_MIMETYPE_RE = re.compile(r"(?!)(x)")
url, index, path, batch = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
es = Elasticsearch(url)
def actions():
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            yield {"_index": index, "_id": d["_id"], "_source": d["_source"]}
ok, errors = helpers.bulk(es, actions(), chunk_size=batch, max_chunk_bytes=1 << 30)
es.indices.refresh(index=index)
print(json.dumps({"indexed": ok}))
'''


def build_reference_docs(corpus: str, out: Path) -> int:
    """The documents devkit ships, in the order it ships them (not timed)."""
    from devkit.logs.es.docs import doc_id, event_to_doc
    from devkit.logs.es.ship import file_events
    from devkit.logs.timestamps import Zone

    n = 0
    with out.open("w", encoding="utf-8") as fh:
        for ev in file_events([corpus], Zone.parse("UTC"), []):
            fh.write(json.dumps({"_id": doc_id(ev.source, ev.line), "_source": event_to_doc(ev)}) + "\n")
            n += 1
    return n


def server_cpu(server) -> float:
    """CPU seconds the server process has used (user + system), from /proc."""
    try:
        fields = Path(f"/proc/{server.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def fresh_server():
    from osmem_server import OsmemServer

    return OsmemServer.start(seed=[], freeze=False)


def create_index(server, index: str) -> None:
    from devkit.logs.es.docs import index_mapping

    server.request("PUT", f"/{index}", {"mappings": index_mapping()})


def count(server, index: str) -> int:
    return int(server.request("GET", f"/{index}/_count")["count"])


def run_devkit(url: str, corpus: str, batch: int) -> tuple[float, int]:
    cmd = [sys.executable, "-P", "-m", "devkit", "logs", "ship", corpus, "--es", url, "--index", "bench-devkit",
           "--batch", str(batch), "--tz", "UTC", "--json"]
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(f"devkit logs ship failed ({out.returncode}): {out.stderr.strip()}")
    return elapsed, json.loads(out.stdout)["indexed"]


def run_reference(url: str, docs: Path, batch: int) -> tuple[float, int]:
    cmd = [sys.executable, "-c", REFERENCE, url, "bench-ref", str(docs), str(batch)]
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(f"reference script failed ({out.returncode}): {out.stderr.strip()[-500:]}")
    return elapsed, json.loads(out.stdout)["indexed"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", nargs="?", help="log directory [default: a fresh make_corpus.py corpus]")
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--size", default="10M", help="corpus size when CORPUS is not given")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ship-") as tmp:
        corpus = args.corpus
        if corpus is None:
            corpus = os.path.join(tmp, "corpus")
            subprocess.run([sys.executable, str(ROOT / "benchmarks" / "make_corpus.py"), corpus, "--size", args.size],
                           check=True, capture_output=True)
        docs = Path(tmp) / "docs.ndjson"
        n = build_reference_docs(corpus, docs)
        print(f"corpus {corpus}: {n} events, batch {args.batch}, {args.runs} runs each")
        dk_rates, ref_rates = [], []
        for run in range(args.runs):
            order = ["devkit", "reference"] if run % 2 == 0 else ["reference", "devkit"]
            for who in order:
                server = fresh_server()
                cpu0 = server_cpu(server)
                try:
                    if who == "devkit":
                        secs, got = run_devkit(server.url, corpus, args.batch)
                        stored = count(server, "bench-devkit")
                        dk_rates.append(got / secs)
                    else:
                        create_index(server, "bench-ref")
                        secs, got = run_reference(server.url, docs, args.batch)
                        stored = count(server, "bench-ref")
                        ref_rates.append(got / secs)
                    cpu = server_cpu(server) - cpu0
                finally:
                    server.close()
                if got != n or stored != n:
                    sys.exit(f"{who}: indexed {got}, stored {stored}, expected {n}")
                print(f"  run {run + 1} {who:9} {secs:6.2f} s  {got / secs:8.0f} docs/s  (server CPU {cpu:5.1f} s)")
        dk, ref = statistics.median(dk_rates), statistics.median(ref_rates)
        ratio = dk / ref
        print(f"median: devkit logs ship {dk:.0f} docs/s, helpers.bulk {ref:.0f} docs/s, ratio {ratio:.2f}x")
        return 0 if ratio >= 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
