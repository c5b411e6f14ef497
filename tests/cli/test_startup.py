"""Start-up of ``devkit logs trace ID small.log`` (issue 13: under 50 ms): it imports only what it uses.

Run in a fresh interpreter with stdout piped, as ``devkit logs trace ... | wc -l`` is, then the
modules devkit loaded are checked: no rich (stdout is not a terminal), no broker, search-server or
packaging libraries, no decompressors for a plain file, no process pool or subprocess, no
traceback machinery, no dataclasses (generating them is start-up time), and the regexes of formats and wrappers a run never used stay uncompiled;
what was imported is out of the garbage collector's way (frozen), which is back on afterwards.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GATEWAY = ROOT / "examples" / "logs" / "gateway" / "gateway.log"
PRESENT = "d98408630cf6eafc2017375de212e880"  # the first record's corrId
ABSENT = "cd613e30d8f16adf91b7584a2265b1f5"

#: Modules a piped ``logs trace`` of a plain file has no use for.
UNUSED = ("rich", "pika", "elasticsearch", "elastic_transport", "pyroma", "dulwich", "requests", "tomlkit",
          "packaging", "re2", "regex", "lzma", "bz2", "gzip", "subprocess", "shutil", "urllib", "multiprocessing",
          "concurrent", "traceback", "devkit.secrets", "devkit.logs.follow", "devkit.logs.waterfall",
          "devkit.logs.es", "devkit.logs.pattern",
          # generating dataclasses cost 7.7 ms of this run; the process machinery 1 ms more
          "dataclasses", "devkit.logs.parallel")

_RUN = """
import sys
before = set(sys.modules)  # what the interpreter and site (an editable install's finder) loaded
import devkit.cli
sys.argv = ["devkit", "logs", "trace", IDENT, PATH, "--json"]
try:
    devkit.cli.main()
except SystemExit as exc:
    code = exc.code
import devkit.lazyre, gc, json
lazy = [v for name, m in list(sys.modules.items()) if name.startswith("devkit")
        for v in vars(m).values() if isinstance(v, devkit.lazyre.LazyPattern)]
sys.stderr.write("\\nREPORT " + json.dumps({"code": code, "modules": sorted(set(sys.modules) - before),
                                             "uncompiled": sum("_compiled" not in o.__dict__ for o in lazy),
                                             "gc": [gc.isenabled(), gc.get_freeze_count()]}) + "\\n")
"""


def _trace(ident: str, path: Path, cwd: Path) -> tuple[dict, str]:
    code = _RUN.replace("IDENT", repr(ident)).replace("PATH", repr(str(path)))
    proc = subprocess.run([sys.executable, "-P", "-c", code], cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=60)
    report = proc.stderr.rsplit("\nREPORT ", 1)[1]
    return json.loads(report), proc.stdout


@pytest.fixture
def small_log(tmp_path: Path) -> Path:
    path = tmp_path / "small.log"
    path.write_bytes(GATEWAY.read_bytes()[: 64 << 10])
    return path


@pytest.mark.parametrize("ident", [PRESENT, ABSENT])
def test_piped_trace_of_a_small_file_imports_only_what_it_uses(small_log, tmp_path, ident):
    report, out = _trace(ident, small_log, tmp_path)
    assert report["code"] == (0 if ident == PRESENT else 1)
    if ident == PRESENT:
        assert out and all(json.loads(line)["correlation_id"] == PRESENT for line in out.splitlines())
    loaded = [m for m in report["modules"] if any(m == u or m.startswith(u + ".") for u in UNUSED)]
    assert loaded == []
    assert report["uncompiled"] > 10, "the patterns a run never needs are never compiled"
    enabled, frozen = report["gc"]
    assert enabled and frozen > 10_000, "collection is on again, and the imports are out of its way"


def test_importing_the_cli_as_a_library_leaves_the_collector_alone():
    code = ("import gc\nimport devkit.cli\nfrom click.testing import CliRunner\n"
            "CliRunner().invoke(devkit.cli.cli, ['logs', 'trace', '--help'])\n"
            "print(gc.isenabled(), gc.get_freeze_count())")
    out = subprocess.run([sys.executable, "-P", "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert out.split() == ["True", "0"]
