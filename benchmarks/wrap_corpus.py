#!/usr/bin/env python3
"""Wrap a plain corpus (make_corpus.py) the way container runtimes store logs, for benchmarks.

    python benchmarks/make_corpus.py /tmp/plain --size 800M
    python benchmarks/wrap_corpus.py /tmp/plain /tmp/containers     # docker json-file + CRI, ~1 GB
    python benchmarks/bench_trace.py /tmp/containers

Every line of every file but the syslog one (already framed by logspout) becomes one record:
half the files as docker json-file (``containers/<id>/<id>-json.log``, moby's escaping, time in
RFC3339Nano), half as CRI (``pods/NS_POD_UID/CONTAINER/0.log``, containerd's framing, F tags).
Traceback and other continuation lines go to stderr, records to stdout, as a Python app's
logging and print() output do. ids.json is copied, so bench_trace.py finds the rare ID.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import time

T0 = 1795132800.0  # 2026-11-20T00:00:00Z


def stamp(ts: float) -> str:
    sec = int(ts)
    ns = int((ts - sec) * 1e9)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)) + f".{ns:09d}".rstrip("0") + "Z"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("src")
    ap.add_argument("dst")
    a = ap.parse_args(argv)
    files = sorted(os.path.join(r, f) for r, _, fs in os.walk(a.src) for f in fs if f != "ids.json")
    files = [f for f in files if "syslog" not in f]
    os.makedirs(a.dst, exist_ok=True)
    total = 0
    for i, path in enumerate(files):
        name = os.path.basename(os.path.dirname(path)) or "app"
        cid = hashlib.sha256(path.encode()).hexdigest()
        docker = i % 2 == 0
        if docker:
            out = os.path.join(a.dst, "containers", cid, f"{cid}-json.log")
        else:
            out = os.path.join(a.dst, "pods", f"shop_{name}-6d4cf9b7c-8zq2m_{cid[:8]}-{cid[8:12]}-{cid[12:16]}-"
                                              f"{cid[16:20]}-{cid[20:32]}", name, "0.log")
        os.makedirs(os.path.dirname(out), exist_ok=True)
        if docker:
            with open(os.path.join(os.path.dirname(out), "config.v2.json"), "w") as fh:
                json.dump({"ID": cid, "Name": f"/{name}-1"}, fh)
        ts = T0
        with open(path, "rb") as src, open(out, "w", encoding="utf-8", newline="\n") as dst:
            write = dst.write
            for raw in src:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                stream = "stderr" if line[:1] in (" ", "\t") or line.startswith(("Traceback", "During")) else "stdout"
                ts += 0.0007
                if docker:
                    log = json.dumps(line + "\n", ensure_ascii=False)
                    log = log.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
                    write(f'{{"log":{log},"stream":"{stream}","time":"{stamp(ts)}"}}\n')
                else:
                    write(f"{stamp(ts)} {stream} F {line}\n")
        total += os.path.getsize(out)
        print(f"{out} ({os.path.getsize(out) / 1e6:.0f} MB)")
    shutil.copy(os.path.join(a.src, "ids.json"), os.path.join(a.dst, "ids.json"))
    print(f"wrote {total / 1e9:.2f} GB in {len(files)} files to {a.dst}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
