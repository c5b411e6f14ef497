"""Every task of a run and what became of it: one row per task, kept in flat arrays.

Events and result-backend messages land here from any source, in any order and any number
of times (a redelivered task is received twice, a task that ran twice succeeds twice); each
counter counts a task once, so ``sent = confirmed + nacked + returned + unconfirmed`` and
every confirmed task is in exactly one of succeeded / failed / revoked / expired / rejected /
unfinished.
"""

from __future__ import annotations

from array import array

from devkit.load.celery.protocol import TaskIds

# flags
CONFIRMED, NACKED, RETURNED, RECEIVED, STARTED, RETRIED, REDELIVERED, RAN_AGAIN = 1, 2, 4, 8, 16, 32, 64, 128
# terminal states
SUCCESS, FAILURE, REVOKED, EXPIRED, REJECTED = 1, 2, 3, 4, 5
FINAL_NAMES = {SUCCESS: "succeeded", FAILURE: "failed", REVOKED: "revoked", EXPIRED: "expired", REJECTED: "rejected"}
# who reported a terminal state (a second report from the same source = the task ran again)
EVENTS, BACKEND = 1, 2


class Ledger:
    def __init__(self, ids: TaskIds, retry_source: int = EVENTS) -> None:
        self.ids = ids
        self.retry_source = retry_source
        self.sent_at = array("d")  # wall clock at publish (workers' events use the wall clock)
        self.due_at = array("d")  # the ETA when later than sending (--countdown/--eta)
        self.expires_at = array("d")
        self.first_start = array("d")
        self.last_start = array("d")
        self.done_at = array("d")
        self.runtime = array("d")  # the worker's own measure, when its event says
        self.recv_retries = array("h")  # highest ``retries`` seen in task-received, -1 none
        self.flags = bytearray()
        self.final = bytearray()
        self.final_by = bytearray()
        self.last_custom = bytearray()
        self.custom_names: list[str] = [""]
        self.custom_seen: dict[str, bytearray] = {}
        self.counts = {name: 0 for name in ("confirmed", "nacked", "returned", "received", "started", "retried",
                                            "redelivered", "ran_again")}
        self.final_counts = {code: 0 for code in FINAL_NAMES}
        self.retries = 0
        self.events_final = 0  # tasks whose end an event reported (they name the worker)
        self.requeued_rejections = 0
        self.foreign = 0
        self.undecodable = 0
        self.failures: dict[str, dict] = {}
        self.workers: dict[str, dict[str, int]] = {}
        self.last_done = 0.0

    def __len__(self) -> int:
        return len(self.flags)

    @property
    def finished(self) -> int:
        return sum(self.final_counts.values())

    # ---- publishing --------------------------------------------------------------------------
    def add(self, sent_at: float, due_at: float = 0.0, expires_at: float = 0.0) -> int:
        """Record a task about to be published; its number (the ``seq`` in its ID)."""
        for column in (self.first_start, self.last_start, self.done_at, self.runtime):
            column.append(0.0)
        self.sent_at.append(sent_at)
        self.due_at.append(due_at)
        self.expires_at.append(expires_at)
        self.recv_retries.append(-1)
        self.flags.append(0)
        self.final.append(0)
        self.final_by.append(0)
        self.last_custom.append(0)
        return len(self.flags) - 1

    def _flag(self, seq: int, bit: int, name: str) -> bool:
        if self.flags[seq] & bit:
            return False
        self.flags[seq] |= bit
        self.counts[name] += 1
        return True

    def confirmed(self, seq: int) -> None:
        if not self.flags[seq] & (RETURNED | NACKED):
            self._flag(seq, CONFIRMED, "confirmed")

    def nacked(self, seq: int) -> None:
        self._flag(seq, NACKED, "nacked")

    def returned(self, seq: int) -> None:
        self._flag(seq, RETURNED, "returned")

    # ---- what workers did --------------------------------------------------------------------
    def _worker(self, host: str | None, what: str) -> None:
        if host:
            counts = self.workers.setdefault(host, {})
            if what:
                counts[what] = counts.get(what, 0) + 1

    def worker_seen(self, host: str | None) -> None:
        self._worker(host, "")

    def received(self, seq: int, host: str | None, retries) -> None:
        retries = retries if isinstance(retries, int) and 0 <= retries < 32767 else 0
        if self.recv_retries[seq] >= retries:
            self._flag(seq, REDELIVERED, "redelivered")  # the same attempt again: the broker redelivered it
        else:
            self.recv_retries[seq] = retries
        self._flag(seq, RECEIVED, "received")
        self._worker(host, "received")

    def started(self, seq: int, host: str | None, ts: float) -> None:
        if not self.first_start[seq]:
            self.first_start[seq] = ts
        if ts >= self.last_start[seq]:
            self.last_start[seq] = ts
        self._flag(seq, RECEIVED, "received")
        self._flag(seq, STARTED, "started")

    def retried(self, seq: int, host: str | None, source: int) -> None:
        if source == self.retry_source:
            self.retries += 1
        self._flag(seq, RETRIED, "retried")
        self._worker(host, "retried")

    def custom(self, seq: int, state: str) -> None:
        seen = self.custom_seen.get(state)
        if seen is None:
            seen = self.custom_seen[state] = bytearray()
            if len(self.custom_names) < 255:
                self.custom_names.append(state)
        if len(seen) <= seq:
            seen.extend(bytes(seq + 1024 - len(seen)))
        seen[seq] = 1
        try:
            self.last_custom[seq] = self.custom_names.index(state)
        except ValueError:
            self.last_custom[seq] = 0
        self._flag(seq, RECEIVED, "received")

    def finish(self, seq: int, code: int, host: str | None, ts: float, source: int,
               runtime: float | None = None) -> bool:
        """A terminal state; False when this task already had one (it is counted once)."""
        if self.final_by[seq] & source:
            self._flag(seq, RAN_AGAIN, "ran_again")  # the same source saw it end twice: it ran twice
            return False
        self.final_by[seq] |= source
        if source == EVENTS:
            self.events_final += 1
        self._worker(host, FINAL_NAMES[code])  # the first report from events names the worker
        if isinstance(runtime, (int, float)) and runtime >= 0:
            self.runtime[seq] = runtime
        if self.final[seq]:
            return False
        self.final[seq] = code
        self.final_counts[code] += 1
        self.done_at[seq] = ts
        self.last_done = max(self.last_done, ts)
        if code != REVOKED and code != EXPIRED:
            self._flag(seq, RECEIVED, "received")
        return True

    def failed(self, seq: int, host: str | None, ts: float, source: int, kind: str, exception: str,
               traceback: str | None) -> None:
        if not self.finish(seq, FAILURE, host, ts, source):
            return
        entry = self.failures.get(kind)
        if entry is None:
            self.failures[kind] = {"count": 1, "task_id": self.ids.make(seq), "exception": exception,
                                   "traceback": traceback or None}
        else:
            entry["count"] += 1
            if not entry["traceback"] and traceback:
                entry["traceback"] = traceback

    # ---- the end -----------------------------------------------------------------------------
    def open(self) -> int:
        """Tasks that may still change: published, not refused by the broker, not finished."""
        return len(self.flags) - self.finished - self.counts["nacked"] - self.counts["returned"]

    def unfinished(self, now: float) -> dict[str, int]:
        """Tasks with no terminal state, by the last thing known of them."""
        out: dict[str, int] = {}
        for seq in range(len(self.flags)):
            flags = self.flags[seq]
            if self.final[seq] or flags & (NACKED | RETURNED):
                continue
            if self.last_custom[seq]:
                where = self.custom_names[self.last_custom[seq]]
            elif flags & STARTED:
                where = "STARTED"
            elif flags & RETRIED:
                where = "RETRY"
            elif flags & RECEIVED:
                where = "RECEIVED"
            elif not flags & CONFIRMED:
                where = "unconfirmed"
            elif self.expires_at[seq] and now > self.expires_at[seq]:
                where = "expired before delivery"
            else:
                where = "never received"
            out[where] = out.get(where, 0) + 1
        return out
