#!/usr/bin/env python3
"""Instructions per line of a full read, counted by callgrind: the same count on a busy machine.

    python benchmarks/make_corpus.py /dev/shm/corpus --size 1G
    python benchmarks/instructions_per_line.py /dev/shm/corpus [--stage plain|json|stitch] [--lines 20000]
    python benchmarks/instructions_per_line.py /dev/shm/corpus --against /tmp/old   # a checkout of an older commit

Wall times on this shared 2-core machine wander by 15% between runs of one build, which hides a
10% change; callgrind's instruction counts do not wander. Each corpus file's first ``--lines`` lines are
read through the stage named (``stitch``: lines to events; ``plain``/``json``: and rendered into
the batches a merge worker sends), and the count of reading the lines alone is subtracted.
``--against DIR`` runs the same with DIR first on PYTHONPATH (a worktree of another commit,
its C accelerator built in place) and prints both. Needs valgrind (Debian: valgrind).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

STAGE = '''
import sys
from datetime import timezone
from devkit.logs.sources import expand_paths, iter_lines
from devkit.logs.scan import stitch_source
from devkit.logs.timestamps import Zone
path, stage = sys.argv[1], sys.argv[2]
problems = []
(src,) = expand_paths([path], problems)
lines = iter_lines(src, problems)
if stage == "lines":
    for _ in lines:
        pass
else:
    events = stitch_source(src, Zone(timezone.utc), lines)
    if stage == "stitch":
        for _ in events:
            pass
    else:
        from devkit.cli.logs.render import json_text, plain_text
        from devkit.logs.parallel import _rendered
        for _ in _rendered(plain_text if stage == "plain" else json_text)(events):
            pass
'''


def instructions(script: str, path: str, stage: str, pythonpath: str | None) -> int:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, script,
                          path, stage], capture_output=True, text=True, env=env)
    m = re.search(r"Collected : (\d+)", out.stderr)
    if out.returncode != 0 or m is None:
        raise SystemExit(f"callgrind failed on {path}:\n{out.stderr[-1500:]}")
    return int(m.group(1))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", help="a directory of logs (make_corpus.py)")
    ap.add_argument("--stage", choices=("stitch", "plain", "json"), default="plain")
    ap.add_argument("--lines", type=int, default=20000, help="lines of each file to read [20000]")
    ap.add_argument("--against", metavar="DIR", help="another checkout to count the same way")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    files = sorted(p for p in Path(args.corpus).rglob("*.log") if p.is_file())
    if not files:
        raise SystemExit(f"{args.corpus}: no .log files")
    builds = {"this": None, **({"against": args.against} if args.against else {})}
    print(f"{'file':<28}" + "".join(f"{name + ' Ir/line':>18}" for name in builds))
    totals = {name: 0 for name in builds}
    lines_total = 0
    with tempfile.TemporaryDirectory() as work:
        script = os.path.join(work, "stage.py")
        Path(script).write_text(STAGE)
        for path in files:
            head = os.path.join(work, path.name)
            with open(path, "rb") as src, open(head, "wb") as dst:
                for n, line in enumerate(src):
                    if n >= args.lines:
                        break
                    dst.write(line)
            with open(head, "rb") as fh:
                count = sum(1 for _ in fh)
            row = []
            for name, pp in builds.items():
                per = (instructions(script, head, args.stage, pp) - instructions(script, head, "lines", pp)) / count
                totals[name] += per * count
                row.append(per)
            lines_total += count
            print(f"{str(path.relative_to(args.corpus)):<28}" + "".join(f"{v:>18,.0f}" for v in row))
    print(f"{'all (by lines)':<28}" + "".join(f"{totals[name] / lines_total:>18,.0f}" for name in builds))
    if args.against:
        print(f"this / against: {totals['this'] / totals['against']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
