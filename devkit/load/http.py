"""``devkit load http``: fire requests with ``requests`` and check every correlation ID comes back.

Each worker thread owns a keep-alive ``requests.Session``; request *k* is due at
``start + k / rate`` (absolute deadlines, so the achieved rate matches the target). Every
request carries a fresh correlation ID (unless the caller fixed one) and the response must
carry the same value back in the same header: that is what an nginx/app setup that propagates
IDs promises, and what this command verifies.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from devkit.errors import InputError
from devkit.load.bounds import check_run_bounds
from devkit.load.stats import percentiles_ms
from devkit.load.verdict import ExitVerdict
from devkit.secrets import mask_url_passwords, normalize_url

EXAMPLES_KEPT = 5
MAX_BODY = 1024 * 1024  # response bytes read per request; the rest is dropped with the connection
_READ_CHUNK = 64 * 1024
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")  # RFC 9110 token: methods and header names


@dataclass
class HttpLoadConfig:
    url: str
    count: int | None = 100
    duration: float | None = None
    rate: float | None = None
    concurrency: int = 1
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    id_header: str = "Correlation-Id"
    fixed_id: str | None = None
    timeout: float = 10.0
    max_body: int = MAX_BODY  # bytes of each response body read (as sent: compressed ones stay compressed)

    @property
    def safe_url(self) -> str:
        """The URL fit to show: the password masked, even when it was not %-encoded."""
        return mask_url_passwords(self.url)

    @property
    def connect_url(self) -> str:
        """The URL for requests: user and password %-encoded, so ``user:Http/S3cret@host`` works."""
        return normalize_url(self.url)

    def validate(self) -> None:
        parts = urlsplit(self.connect_url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise InputError(f"URL must look like http://host:port/path, got {self.safe_url!r}")
        try:
            _ = parts.port
        except ValueError:
            raise InputError(f"URL has a bad port: {self.safe_url!r}") from None
        check_run_bounds(self.count, self.duration, self.rate)
        if self.concurrency < 1:  # more threads than requests just idle: no upper bound
            raise InputError(f"--concurrency must be at least 1, got {self.concurrency}")
        if not _TOKEN.match(self.method):
            raise InputError(f"-X {self.method!r} is not an HTTP method (letters such as GET or POST, no spaces)")
        if not _TOKEN.match(self.id_header or ""):
            raise InputError(f"--header must be a header name such as Correlation-Id, got {self.id_header!r}")
        if self.max_body < 0:
            raise InputError(f"--max-body must be 0 or more, got {self.max_body}")
        for name, value in self.headers.items():
            if not _TOKEN.match(name):
                raise InputError(f"-H {name!r}: not a header name")
            if not _latin1(value):
                raise InputError(f"-H {name}: the value must be one line of Latin-1 text, got {value!r}")
        if self.fixed_id is not None and not _latin1(self.fixed_id):
            raise InputError(f"--id must be Latin-1 text, got {self.fixed_id!r}")
        for name, value in self.headers.items():
            if name.lower() == self.id_header.lower() and self.fixed_id is None:
                self.fixed_id = value  # the user's own ID wins
        self.headers = {k: v for k, v in self.headers.items() if k.lower() != self.id_header.lower()}


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return not any(c in text for c in "\r\n\0")


@dataclass
class HttpProgress:
    elapsed_s: float
    done: int
    errors: int
    mismatched: int
    target: int | None
    duration: float | None
    rate: float


@dataclass
class HttpLoadResult(ExitVerdict):
    """What happened to every request; ``to_dict()`` is the ``--json`` document."""

    url: str
    requested: int | None
    sent: int
    completed: int
    failed: int  # no response at all (connection refused, timeout, reset)
    status_counts: dict[str, int]
    id_matched: int
    id_mismatched: int  # a different ID came back
    id_missing: int  # the response had no ID header
    elapsed_s: float
    rate: float
    latency_ms: dict
    mismatch_examples: list[dict] = field(default_factory=list)
    error_examples: list[str] = field(default_factory=list)
    interrupted: bool = False
    bodies_capped: int = 0  # responses whose body was longer than max_body (read up to it only)
    fatal: str | None = None  # an unexpected error that stopped the run (one line)

    shortfall_counts = (("failed", "failed"), ("id_mismatched", "with another ID"),
                        ("id_missing", "without the ID header"), ("bad_status", "with status >= 400"))
    verdict_lead = "not every request came back right"

    @property
    def bad_status(self) -> int:
        return sum(n for code, n in self.status_counts.items() if int(code) >= 400)

    @property
    def connection_error(self) -> bool:
        """Nothing answered at all (the target is down: exit 2, not misbehaving: 1), or a fatal error."""
        return self.fatal is not None or (self.sent > 0 and self.completed == 0 and self.failed > 0)

    @property
    def ok(self) -> bool:
        return not self.shortfall()

    def to_dict(self) -> dict:
        return {
            "url": mask_url_passwords(self.url),
            "requested": self.requested,
            "sent": self.sent,
            "completed": self.completed,
            "failed": self.failed,
            "status": self.status_counts,
            "id_matched": self.id_matched,
            "id_mismatched": self.id_mismatched,
            "id_missing": self.id_missing,
            "elapsed_s": round(self.elapsed_s, 3),
            "rate": round(self.rate, 1),
            "latency_ms": self.latency_ms,
            "mismatch_examples": self.mismatch_examples,
            "error_examples": self.error_examples,
            "bodies_capped": self.bodies_capped,
            "fatal": self.fatal,
            "interrupted": self.interrupted,
            "ok": self.ok,
        }


class _Worker(threading.Thread):
    def __init__(self, run: _HttpRun) -> None:
        super().__init__(daemon=True)
        self.run_ = run
        self.latencies: list[float] = []
        self.status: Counter = Counter()
        self.sent = self.completed = self.failed = 0
        self.matched = self.mismatched = self.missing = 0
        self.mismatch_examples: list[dict] = []
        self.error_examples: list[str] = []
        self.finished_at = 0.0
        self.capped = 0

    def run(self) -> None:
        import requests

        r = self.run_
        cfg = r.cfg
        session = requests.Session()
        session.headers.update(cfg.headers)
        step = 1.0 / cfg.rate if cfg.rate else 0.0
        try:
            while not r.stop.is_set():
                k = next(r.ticket)
                if cfg.count is not None and k >= cfg.count:
                    return
                if step:
                    due = r.t0 + k * step
                    delay = due - time.monotonic()
                    if delay > 0 and r.stop.wait(delay):
                        return
                if r.t_end is not None and time.monotonic() >= r.t_end:
                    return
                self._one(session, requests)
        except Exception as exc:  # not a failed request but a broken run: stop everyone, say it once
            r.fail(mask_url_passwords(f"{type(exc).__name__}: {_short(exc)}"))
        finally:
            session.close()

    def _one(self, session, requests) -> None:
        import urllib3

        cfg = self.run_.cfg
        sent_id = cfg.fixed_id or uuid.uuid4().hex
        start = time.perf_counter()
        self.sent += 1
        try:
            resp = session.request(cfg.method, cfg.connect_url, data=cfg.body, headers={cfg.id_header: sent_id},
                                   timeout=cfg.timeout, stream=True)
            try:
                self._read_body(resp, start + cfg.timeout)  # latency covers the response up to max_body
            finally:
                resp.close()
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            self.failed += 1
            if len(self.error_examples) < EXAMPLES_KEPT:
                self.error_examples.append(mask_url_passwords(f"{type(exc).__name__}: {_short(exc)}"))
            return
        finally:
            self.finished_at = time.monotonic()
        self.latencies.append((time.perf_counter() - start) * 1000.0)
        self.completed += 1
        self.status[str(resp.status_code)] += 1
        got = resp.headers.get(cfg.id_header)
        if got == sent_id:
            self.matched += 1
            return
        if got is None:
            self.missing += 1
        else:
            self.mismatched += 1
        if len(self.mismatch_examples) < EXAMPLES_KEPT:
            self.mismatch_examples.append({"sent": sent_id, "received": got, "status": resp.status_code})


    def _read_body(self, resp, deadline: float) -> None:
        """Read the body as sent (no decompression: a gzip bomb stays small), at most max_body bytes,
        within the request's --timeout in all (a body that trickles forever is a timeout)."""
        import requests

        left = self.run_.cfg.max_body
        raw = resp.raw
        # read1 returns what has arrived (urllib3 2); read(n) would wait for all n bytes of a trickle
        read = getattr(raw, "read1", None) or raw.read
        while True:
            if time.perf_counter() > deadline:
                raise requests.Timeout("timed out reading the response body")
            chunk = read(min(_READ_CHUNK, left + 1), decode_content=False)
            if not chunk:
                raw.release_conn()  # read to the end: the connection goes back to the pool (keep-alive)
                return
            left -= len(chunk)
            if left < 0:
                self.capped += 1  # the rest goes unread: the connection is dropped, not reused
                return


def _short(exc: Exception) -> str:
    text = str(exc)
    if "Connection refused" in text:
        return "connection refused"
    if "timed out" in text.lower():
        return "timed out"
    return text[:200]


class _HttpRun:
    def __init__(self, cfg: HttpLoadConfig) -> None:
        self.cfg = cfg
        self.ticket = itertools.count()
        self.stop = threading.Event()
        self.t0 = 0.0
        self.t_end: float | None = None
        self.fatal: str | None = None
        self._lock = threading.Lock()

    def fail(self, message: str) -> None:
        with self._lock:
            if self.fatal is None:
                self.fatal = message
        self.stop.set()


def run_http_load(cfg: HttpLoadConfig, progress: Callable[[HttpProgress], None] | None = None) -> HttpLoadResult:
    """Run the requests described by *cfg* and return the exact account of every one."""
    cfg.validate()
    run = _HttpRun(cfg)
    n_workers = cfg.concurrency if cfg.count is None else min(cfg.concurrency, cfg.count)
    workers = [_Worker(run) for _ in range(n_workers)]
    run.t0 = time.monotonic()
    if cfg.duration is not None:
        run.t_end = run.t0 + cfg.duration
    for w in workers:
        w.start()
    interrupted = False
    history: list[tuple[float, int]] = []
    while any(w.is_alive() for w in workers):
        try:
            for w in workers:
                w.join(timeout=0.1)
                if w.is_alive():
                    break
            if progress is not None:
                now = time.monotonic() - run.t0
                done = sum(w.completed + w.failed for w in workers)
                history.append((now, done))
                while len(history) > 2 and now - history[0][0] > 1.0:
                    history.pop(0)
                t, d = history[0]
                progress(HttpProgress(now, done, sum(w.failed for w in workers),
                                      sum(w.mismatched + w.missing for w in workers), cfg.count, cfg.duration,
                                      (done - d) / (now - t) if now > t else 0.0))
        except KeyboardInterrupt:
            interrupted = True
            run.stop.set()
    end = max((w.finished_at for w in workers), default=0.0) or time.monotonic()
    elapsed = max(end - run.t0, 1e-9)
    status: Counter = Counter()
    for w in workers:
        status.update(w.status)
    completed = sum(w.completed for w in workers)
    return HttpLoadResult(
        url=cfg.url,
        requested=cfg.count,
        sent=sum(w.sent for w in workers),
        completed=completed,
        failed=sum(w.failed for w in workers),
        status_counts=dict(sorted(status.items())),
        id_matched=sum(w.matched for w in workers),
        id_mismatched=sum(w.mismatched for w in workers),
        id_missing=sum(w.missing for w in workers),
        elapsed_s=elapsed,
        rate=completed / elapsed,
        latency_ms=percentiles_ms(x for w in workers for x in w.latencies),
        mismatch_examples=[e for w in workers for e in w.mismatch_examples][:EXAMPLES_KEPT],
        error_examples=[e for w in workers for e in w.error_examples][:EXAMPLES_KEPT],
        interrupted=interrupted,
        bodies_capped=sum(w.capped for w in workers),
        fatal=run.fatal,
    )
