"""Celery's wire format as devkit writes and reads it, checked against Celery's own code."""

from __future__ import annotations

import json
import os
from array import array

import pytest

from devkit.errors import InputError
from devkit.load.celery import ledger as L
from devkit.load.celery.backends import FILE_PREFIX, FilePoller, apply_meta
from devkit.load.celery.config import CeleryLoadConfig, broker_parts, parse_backend, parse_expires, parse_json_arg
from devkit.load.celery.events import apply_body
from devkit.load.celery.protocol import TaskIds, exception_name, task_body, task_headers


def test_task_ids_are_uuid_shaped_unique_and_numbered():
    import uuid

    ids = TaskIds("0123456789abcdef")
    first, later = ids.make(0), ids.make(123456)
    assert first == "01234567-89ab-4000-8000-000000000000"
    assert uuid.UUID(later).version == 4 and str(uuid.UUID(later)) == later
    assert ids.seq(later) == 123456 and ids.seq(first) == 0
    assert ids.seq(TaskIds("ffffffffffff").make(7)) == -1  # another run's task
    assert ids.seq(str(uuid.uuid4())) == -1 and ids.seq(None) == -1 and ids.seq(first[:-1] + "g") == -1


def test_headers_and_body_match_what_celery_itself_sends():
    celery = pytest.importorskip("celery")
    app = celery.Celery("conformance", set_as_current=False)
    theirs = app.amqp.as_task_v2("id-1", "tasks.add", args=(2, 3), kwargs={"z": 1}, origin="me@host")
    ours = task_headers("tasks.add", [2, 3], {"z": 1}, "me@host")
    assert set(ours) == set(theirs.headers)
    ours.update(id="id-1", root_id="id-1")
    differing = {k for k in ours if ours[k] != theirs.headers[k]}
    assert differing == set(), {k: (ours[k], theirs.headers[k]) for k in differing}
    args, kwargs, embed = json.loads(task_body([2, 3], {"z": 1}))
    assert (tuple(args), kwargs, embed) == (theirs.body[0], theirs.body[1], theirs.body[2])
    assert theirs.properties["correlation_id"] == "id-1"


def test_broker_urls_are_read_as_kombu_reads_them():
    kombu = pytest.importorskip("kombu")
    for url in ["amqp://guest:guest@localhost:5672//", "amqp://u:p%40ss@h:1234/a%2Fb", "pyamqp://h/", "amqp://h"]:
        theirs = kombu.Connection(url)
        ours = broker_parts(url)
        assert ours["vhost"] == theirs.virtual_host, url
        assert ours["host"] == theirs.hostname
        assert ours["port"] == (theirs.port or 5672)
    assert broker_parts("amqp://u:p%40ss@h:1234/a%2Fb")["password"] == "p@ss"
    for bad in ["redis://localhost:6379/0", "amqp://h:notaport/", "localhost"]:
        with pytest.raises(InputError) as err:
            broker_parts(bad)
        assert "Traceback" not in str(err.value)
    with pytest.raises(InputError) as err:
        broker_parts("redis://:s3cret@h:6379/0")
    assert "s3cret" not in str(err.value) and "RabbitMQ brokers only" in str(err.value)


def test_backend_urls_and_arguments(tmp_path):
    assert parse_backend("rpc://") == ("rpc", None)
    assert parse_backend(f"file://{tmp_path}") == ("file", str(tmp_path))
    assert parse_backend(f"file://localhost{tmp_path}") == ("file", str(tmp_path))
    for bad, message in [("redis://h/1", "rpc:// or file:///path"), (f"file://{tmp_path}/nope", "does not exist")]:
        with pytest.raises(InputError, match=message):
            parse_backend(bad)
    assert parse_json_arg("[2, 3]", "--args", list) == [2, 3]
    with pytest.raises(InputError, match="--kwargs must be an object"):
        parse_json_arg("[1]", "--kwargs", dict)
    with pytest.raises(InputError, match="not valid JSON"):
        parse_json_arg("[1,", "--args", list)
    assert parse_expires("30") == 30.0
    assert parse_expires("2026-11-20T09:13:21Z").isoformat() == "2026-11-20T09:13:21+00:00"


@pytest.mark.parametrize("changes, message", [
    ({"count": None}, "-n/--count or --duration"),
    ({"count": 5, "duration": 3.0}, "not both"),
    ({"concurrency": 9}, "more than --count"),
    ({"countdown": 1.0, "eta": parse_expires("2030-01-01T00:00:00Z")}, "--countdown or --eta"),
    ({"priority": 300}, "0..255"),
    ({"events": False}, "--no-events needs --result-backend"),
    ({"task": " "}, "TASK_NAME"),
    ({"run_id": "not-hex"}, "12 lowercase hex digits"),
])
def test_config_rejects_contradictions(changes, message):
    cfg = CeleryLoadConfig(task="tasks.add", count=5)
    for key, value in changes.items():
        setattr(cfg, key, value)
    with pytest.raises(InputError, match=message):
        cfg.validate()


def _ledger(n: int) -> L.Ledger:
    ledger = L.Ledger(TaskIds("aaaaaaaaaaaa"))
    for _ in range(n):
        ledger.add(1000.0)
    return ledger


def _event(ledger, seq, kind, **fields) -> dict:
    return {"type": kind, "uuid": ledger.ids.make(seq), "hostname": fields.pop("host", "w1@h"),
            "timestamp": fields.pop("ts", 1001.0), **fields}


def test_a_redelivered_task_that_ran_twice_is_counted_once():
    ledger = _ledger(2)
    batch = [_event(ledger, 0, "task-received", retries=0, host="a@h"), _event(ledger, 0, "task-started", host="a@h")]
    apply_body(ledger, json.dumps(batch).encode())  # worker a dies here; b gets it again
    for event in [_event(ledger, 0, "task-received", retries=0, host="b@h"), _event(ledger, 0, "task-started", host="b@h"),
                  _event(ledger, 0, "task-succeeded", host="b@h", runtime=0.5, ts=1002.0),
                  _event(ledger, 0, "task-succeeded", host="b@h", ts=1003.0)]:
        apply_body(ledger, json.dumps(event).encode())
    assert ledger.counts["received"] == 1 and ledger.counts["started"] == 1
    assert ledger.final_counts[L.SUCCESS] == 1 and ledger.counts["redelivered"] == 1
    assert ledger.counts["ran_again"] == 1
    assert ledger.workers == {"a@h": {"received": 1}, "b@h": {"received": 1, "succeeded": 1}}
    assert ledger.runtime[0] == 0.5 and ledger.done_at[0] == 1002.0
    assert ledger.unfinished(2000.0) == {"unconfirmed": 1}  # task 1: published, never confirmed, never seen


def test_retries_custom_states_and_failures_from_events_and_backend_agree():
    ledger = _ledger(3)
    for seq in range(3):
        ledger.confirmed(seq)
    apply_body(ledger, json.dumps([
        _event(ledger, 0, "task-received", retries=0), _event(ledger, 0, "task-retried", exception="ConnectionError('x')"),
        _event(ledger, 0, "task-received", retries=1), _event(ledger, 0, "task-succeeded"),
        _event(ledger, 1, "task-failed", exception="ValueError('boom')", traceback="Traceback...\nValueError: boom\n"),
        _event(ledger, 2, "task-revoked", expired=True),
        {"type": "task-succeeded", "uuid": "someone-else", "hostname": "w1@h"},
        {"type": "worker-heartbeat", "hostname": "w2@h"},
    ]).encode())
    apply_meta(ledger, {"task_id": ledger.ids.make(0), "status": "RETRY"}, 1000.0)  # the backend: not counted again
    apply_meta(ledger, {"task_id": ledger.ids.make(0), "status": "GOING_TO_SLEEP"}, 1000.0)
    apply_meta(ledger, {"task_id": ledger.ids.make(1), "status": "FAILURE", "traceback": "tb",
                        "result": {"exc_type": "ValueError", "exc_message": ["boom"]}}, 1000.0)
    assert (ledger.retries, ledger.counts["retried"]) == (1, 1)
    assert ledger.counts["redelivered"] == 0  # a retry is a new attempt, not a redelivery
    assert ledger.final_counts == {L.SUCCESS: 1, L.FAILURE: 1, L.REVOKED: 0, L.EXPIRED: 1, L.REJECTED: 0}
    assert ledger.failures["ValueError"]["count"] == 1 and "ValueError: boom" in ledger.failures["ValueError"]["traceback"]
    assert {k: sum(v) for k, v in ledger.custom_seen.items()} == {"GOING_TO_SLEEP": 1}
    assert ledger.foreign == 1 and "w2@h" in ledger.workers and ledger.open() == 0


def test_file_poller_reads_changed_files_and_retries_half_written_ones(tmp_path):
    ledger = _ledger(2)
    poller = FilePoller(ledger, str(tmp_path))
    (tmp_path / "celery-task-meta-unrelated").write_text('{"status": "SUCCESS"}')
    half = tmp_path / (FILE_PREFIX + ledger.ids.make(1))
    half.write_text('{"status": "SUC')
    done = tmp_path / (FILE_PREFIX + ledger.ids.make(0))
    done.write_text(json.dumps({"status": "GOING_TO_SLEEP", "task_id": ledger.ids.make(0)}))
    poller.poll()
    assert ledger.finished == 0 and sum(ledger.custom_seen["GOING_TO_SLEEP"]) == 1
    done.write_text(json.dumps({"status": "SUCCESS", "task_id": ledger.ids.make(0),
                                "date_done": "2026-11-20T09:13:21.5+00:00"}))
    os.utime(done, ns=(1, 10**18))
    half.write_text(json.dumps({"status": "FAILURE", "task_id": ledger.ids.make(1), "result": {"exc_type": "KeyError"}}))
    poller.poll()
    assert ledger.final_counts[L.SUCCESS] == 1 and ledger.final_counts[L.FAILURE] == 1
    from datetime import datetime

    assert ledger.done_at[0] == datetime.fromisoformat("2026-11-20T09:13:21.5+00:00").timestamp()
    assert "KeyError" in ledger.failures


def test_exception_names():
    assert exception_name("ValueError('boom')") == "ValueError"
    assert exception_name("celery.exceptions.NotRegistered('x')") == "celery.exceptions.NotRegistered"
    assert exception_name("") == "unknown" and exception_name(None) == "unknown"
    assert isinstance(_ledger(1).sent_at, array)


@pytest.mark.parametrize("options", [{}, {"countdown": 5.0, "expires": 30.0, "priority": 7},
                                     {"eta": parse_expires("2030-01-01T00:00:00Z")}])
def test_spliced_frames_are_byte_for_byte_what_pika_would_send(options):
    from pika import frame, spec

    from devkit.load.celery.messages import TaskMessage

    cfg = CeleryLoadConfig(task="tasks.add", args=[2, "x" * 5000], kwargs={"k": [1, None]}, count=1, **options)
    message = TaskMessage(cfg, TaskIds(cfg.run_id))
    template = message.frames_template(3, 4088)
    assert template is not None
    for seq, now in ((0, 1795425201.25), (987654, 1795425299.0)):
        message.prepare(seq, now)
        pika_frames = [frame.Method(3, spec.Basic.Publish(exchange="", routing_key="celery", mandatory=True)).marshal(),
                       frame.Header(3, len(message.body), message.properties).marshal()]
        pika_frames += [frame.Body(3, message.body[i:i + 4088]).marshal() for i in range(0, len(message.body), 4088)]
        assert template.render(message) == b"".join(pika_frames)
        assert message.headers["id"] == TaskIds(cfg.run_id).make(seq)


def test_an_absolute_expiry_is_published_by_pika_itself():
    from devkit.load.celery.messages import TaskMessage

    cfg = CeleryLoadConfig(task="tasks.add", count=1, expires=parse_expires("2030-01-01T00:00:00Z"))
    assert TaskMessage(cfg, TaskIds(cfg.run_id)).frames_template(1, 4088) is None  # the TTL's length varies
