"""The account of a run: every task's fate, throughput, latencies and who did the work."""

from __future__ import annotations

from dataclasses import dataclass, field

from devkit.load.celery import ledger as L
from devkit.load.stats import percentiles_ms
from devkit.load.verdict import ExitVerdict


@dataclass
class CeleryProgress:
    """A live snapshot handed to the progress callback."""

    phase: str  # "publishing" or "waiting"
    elapsed_s: float
    sent: int
    confirmed: int
    received: int
    started: int
    succeeded: int
    failed: int
    finished: int
    target: int | None
    duration: float | None
    wait_left_s: float | None
    notes: list[str]  # what devkit did or saw so far (e.g. that it sent enable_events)


@dataclass
class CeleryLoadResult(ExitVerdict):
    """What became of every task; ``to_dict()`` is the ``--json`` document."""

    task: str
    queue: str
    broker: str
    run_id: str
    requested: int | None
    sent: int
    confirmed: int
    nacked: int
    returned: int
    unconfirmed: int
    received: int | None
    started: int
    succeeded: int
    failed: int
    failures: dict[str, dict]
    retried: int
    retries: int
    revoked: int
    expired: int
    rejected: int
    custom_states: dict[str, int]
    unfinished: int
    unfinished_by_state: dict[str, int]
    redelivered: int
    ran_again: int
    elapsed_s: float
    rate: float
    completed_rate: float
    tracked_s: float
    confirm_latency_ms: dict
    queue_wait_ms: dict
    run_time_ms: dict
    e2e_latency_ms: dict
    workers: dict[str, dict[str, int]]
    tracking: dict
    first_task_id: str | None
    last_task_id: str | None
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    connection_error: bool = False
    interrupted: bool = False
    signal: int | None = None

    shortfall_counts = tuple((name, name) for name in
                             ("nacked", "returned", "failed", "revoked", "expired", "rejected", "unfinished"))
    verdict_lead = "not every task succeeded"

    @property
    def ok(self) -> bool:
        """True when every requested task was confirmed and reached SUCCESS."""
        if self.errors or self.interrupted or not self.sent:
            return False
        if self.requested is not None and self.sent < self.requested:
            return False
        return self.confirmed == self.sent and self.succeeded == self.sent

    @property
    def exit_code(self) -> int:
        """As every load run (verdict.py), with 128 + the signal's number when one ended it."""
        code = super().exit_code
        return 128 + self.signal if code == 130 and self.signal else code

    def to_dict(self) -> dict:
        keys = ("sent", "confirmed", "nacked", "returned", "unconfirmed", "elapsed_s", "rate", "confirm_latency_ms",
                "received", "started", "succeeded", "failed", "failures", "retried", "retries", "revoked",
                "expired", "rejected", "custom_states", "unfinished", "unfinished_by_state", "redelivered",
                "ran_again", "completed_rate", "tracked_s", "queue_wait_ms", "run_time_ms", "e2e_latency_ms",
                "workers", "requested", "task", "queue", "broker", "run_id", "first_task_id", "last_task_id",
                "tracking", "notes", "errors", "interrupted")
        out = {key: getattr(self, key) for key in keys}
        for key in ("elapsed_s", "tracked_s"):
            out[key] = round(out[key], 3)
        for key in ("rate", "completed_rate"):
            out[key] = round(out[key], 1)
        out["ok"] = self.ok
        return out


def latencies(ledger: L.Ledger) -> tuple[dict, dict, dict]:
    """Percentiles (ms) of queue wait (sent, or due, to started), run time and end-to-end."""
    wait, run, e2e = [], [], []
    sent_at, due_at, first_start, last_start = ledger.sent_at, ledger.due_at, ledger.first_start, ledger.last_start
    done_at, runtime, final = ledger.done_at, ledger.runtime, ledger.final
    for seq in range(len(ledger)):
        start = first_start[seq]
        if start:
            wait.append(max(0.0, start - max(sent_at[seq], due_at[seq])) * 1000.0)
        if final[seq] in (L.SUCCESS, L.FAILURE):
            if runtime[seq]:
                run.append(runtime[seq] * 1000.0)
            elif last_start[seq]:
                run.append(max(0.0, done_at[seq] - last_start[seq]) * 1000.0)
            e2e.append(max(0.0, done_at[seq] - sent_at[seq]) * 1000.0)
    return percentiles_ms(wait), percentiles_ms(run), percentiles_ms(e2e)
