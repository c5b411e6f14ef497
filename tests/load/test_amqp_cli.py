"""``devkit load amqp`` against the real local RabbitMQ: exact counts, in the broker too."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid

from click.testing import CliRunner
from load_support import AckCutProxy, run_json

from devkit.cli import cli
from devkit.load.amqp_config import SENT_HEADER


def invoke(*args: str):
    return CliRunner().invoke(cli, ["load", "amqp", *args])


def test_20000_confirmed_messages_are_all_in_the_queue_with_correlation_ids(broker):
    queue = broker.new_queue("exact")
    run_id = "exact" + uuid.uuid4().hex[:6]
    result = invoke("-n", "20000", "--confirm", "--queue", queue, "--url", broker.url, "--run-id", run_id, "--json")
    assert result.exit_code == 0, result.output + result.stderr
    doc = run_json(result)
    assert (doc["sent"], doc["confirmed"], doc["nacked"], doc["returned"], doc["unconfirmed"]) == (20000, 20000, 0, 0, 0)
    assert set(doc["confirm_latency_ms"]) == {"p50", "p95", "p99", "max"}
    assert 0 < doc["confirm_latency_ms"]["p50"] <= doc["confirm_latency_ms"]["p99"] <= doc["confirm_latency_ms"]["max"]
    assert broker.depth(queue) == 20000
    messages = broker.drain(queue, 20000)
    ids = [props.correlation_id for props, _ in messages]
    assert len(ids) == 20000 and len(set(ids)) == 20000
    assert set(ids) == {f"{run_id}.0.{seq}" for seq in range(1, 20001)}
    props, body = messages[0]
    assert props.delivery_mode == 2 and body == b"x" * 100
    assert all(isinstance(p.headers[SENT_HEADER], int) for p, _ in messages)


def test_summary_table_on_stdout(broker):
    queue = broker.new_queue("table")
    result = invoke("-n", "300", "--queue", queue, "--url", broker.url)
    assert result.exit_code == 0, result.output + result.stderr
    lines = {line.split()[0]: line.split()[1] for line in result.stdout.splitlines()[1:] if line.strip()}
    assert lines["sent"] == "300" and lines["confirmed"] == "300" and lines["unconfirmed"] == "0"
    assert "confirm latency" in result.stdout and "p99" in result.stdout
    assert "amqp://guest:***@127.0.0.1:5672/%2F" in result.stdout
    assert result.stderr == ""


def test_producers_spread_over_queues_add_up(broker):
    base = broker.new_queue("multi")
    queues = [broker.track(f"{base}-1"), broker.track(f"{base}-2")]
    result = invoke("-n", "3001", "--producers", "3", "--queues", f"{base}-%d", "--queue-count", "2",
                    "--url", broker.url, "--json")
    assert result.exit_code == 0, result.output + result.stderr
    doc = run_json(result)
    assert doc["sent"] == doc["confirmed"] == 3001
    per_producer = {p["index"]: (p["queue"], p["sent"], p["confirmed"]) for p in doc["producers"]}
    assert per_producer == {0: (queues[0], 1001, 1001), 1: (queues[1], 1000, 1000), 2: (queues[0], 1000, 1000)}
    assert broker.depth(queues[0]) == 2001
    assert broker.depth(queues[1]) == 1000


def test_consume_receives_every_message_and_reports_end_to_end_latency(broker):
    base = broker.new_queue("consume")
    queues = [broker.track(f"{base}-a"), broker.track(f"{base}-b")]
    result = invoke("-n", "4000", "--producers", "2", "--queues", ",".join(queues), "--consume",
                    "--url", broker.url, "--json")
    assert result.exit_code == 0, result.output + result.stderr
    doc = run_json(result)
    assert (doc["sent"], doc["confirmed"], doc["received"], doc["lost"]) == (4000, 4000, 4000, 0)
    assert doc["e2e_latency_ms"]["p50"] is not None and doc["e2e_latency_ms"]["max"] >= doc["e2e_latency_ms"]["p50"]
    assert broker.depth(queues[0]) == 0 and broker.depth(queues[1]) == 0


def test_unroutable_messages_count_as_returned_and_exit_1(broker):
    result = invoke("-n", "50", "--exchange", "amq.direct", "--routing-key", f"nobody-{uuid.uuid4().hex}",
                    "--url", broker.url, "--json")
    assert result.exit_code == 1, result.output + result.stderr
    doc = run_json(result)
    assert (doc["sent"], doc["returned"], doc["confirmed"], doc["unconfirmed"]) == (50, 50, 0, 0)
    assert "50 returned" in result.stderr


def test_body_file_transient_and_no_confirm(broker, tmp_path):
    queue = broker.new_queue("body")
    body = tmp_path / "order.json"
    body.write_bytes(b'{"order": 42, "items": ["a", "b"]}')
    result = invoke("-n", "25", "--body-file", str(body), "--transient", "--no-confirm", "--queue", queue,
                    "--url", broker.url, "--json")
    assert result.exit_code == 0, result.output + result.stderr
    doc = run_json(result)
    assert doc["sent"] == 25 and doc["confirmed"] is None and doc["unconfirmed"] is None
    messages = broker.drain(queue, 25)
    assert len(messages) == 25
    assert {b for _, b in messages} == {body.read_bytes()}
    assert {p.delivery_mode for p, _ in messages} == {1}
    assert all(p.correlation_id and SENT_HEADER in p.headers for p, _ in messages)


def test_passive_on_a_missing_queue_is_a_one_line_error(broker):
    queue = broker.new_queue("absent")
    result = invoke("-n", "10", "--passive", "--queue", queue, "--url", broker.url)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "NOT_FOUND" in result.stderr and "--passive" in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_wrong_password_is_masked_and_exits_2(broker):
    queue = broker.new_queue("auth")
    result = invoke("-n", "10", "--queue", queue, "--url", "amqp://guest:s3cr3t-pw@127.0.0.1:5672/%2F")
    assert result.exit_code == 2
    assert "s3cr3t-pw" not in result.output + result.stderr
    assert "amqp://guest:***@127.0.0.1:5672/%2F" in result.stderr and "login" in result.stderr


def test_nothing_listening_exits_2_with_masked_url():
    result = invoke("-n", "10", "--url", "amqp://guest:hunter2@127.0.0.1:1/%2F")
    assert result.exit_code == 2
    assert "hunter2" not in result.output + result.stderr
    assert result.stderr == "devkit: error: cannot connect to RabbitMQ at amqp://guest:***@127.0.0.1:1/%2F: Connection refused\n"


def test_usage_errors_exit_2():
    assert invoke("--queue", "x").exit_code == 2  # neither --count nor --duration
    assert invoke("-n", "0").exit_code == 2
    assert invoke("-n", "5", "--duration", "1s").exit_code == 2
    assert invoke("-n", "5", "--producers", "6").exit_code == 2
    assert invoke("-n", "5", "--size", "10", "--body", "hi").exit_code == 2
    bad = invoke("-n", "5", "--url", "http://guest:pw@127.0.0.1/")
    assert bad.exit_code == 2 and "pw@" not in bad.stderr and "amqp://" in bad.stderr


def _run_until_broker_drops_us(broker, repo_root, queue: str, *extra: str):
    run_id = "away" + uuid.uuid4().hex[:8]
    env = dict(os.environ, PYTHONPATH=str(repo_root))
    proc = subprocess.Popen(
        [sys.executable, "-m", "devkit", "load", "amqp", "--duration", "40s", "--rate", "2000", "--queue", queue,
         "--url", broker.url, "--run-id", run_id, "--json", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        closed = broker.close_connections_of(run_id, expected=2 if "--consume" in extra else 1)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return closed, proc.returncode, json.loads(out), err


def test_broker_closing_the_connection_midway_is_reported_exactly(broker, repo_root):
    """The broker drops our connection mid-run: devkit exits non-zero and claims only what
    the broker confirmed, which the queue then really holds."""
    queue = broker.new_queue("away")
    closed, code, doc, err = _run_until_broker_drops_us(broker, repo_root, queue)
    assert closed == 1
    assert code == 2, err
    assert doc["ok"] is False and doc["sent"] > 0
    assert doc["confirmed"] + doc["unconfirmed"] == doc["sent"]
    assert doc["confirmed"] <= broker.settled_depth(queue) <= doc["sent"]
    assert "CONNECTION_FORCED" in err and f"{doc['confirmed']:,} of its {doc['sent']:,} sent messages were confirmed" in err


def test_broker_dropping_producer_and_consumer_keeps_received_exact(broker, repo_root):
    """Messages the consumer had not acked go back to the queue, and so may those of an ack batch the
    broker never read: 'received' only counts batches the broker proved it applied, the last
    batch is 'ack_unsettled'. Whenever the drop comes, the queue agrees with the report."""
    queue = broker.new_queue("away-consume")
    closed, code, doc, err = _run_until_broker_drops_us(broker, repo_root, queue, "--consume")
    assert closed == 2
    assert code == 2, err
    in_queue = broker.settled_depth(queue)
    assert doc["received"] + in_queue <= doc["sent"]  # nothing counted received is still in the queue
    assert doc["confirmed"] <= doc["received"] + doc["ack_unsettled"] + in_queue  # nor is anything confirmed missing
    assert 0 <= doc["ack_unsettled"] <= 1000  # one batch at most (--prefetch)
    gap = doc["confirmed"] - doc["received"] - doc["ack_unsettled"]  # lost: confirmed ones it never got
    assert gap <= doc["lost"] <= gap + doc["unconfirmed"]  # (it may have got unconfirmed ones)
    assert "consumer of" in err and "CONNECTION_FORCED" in err


def test_an_ack_the_broker_never_read_is_not_counted_as_received(broker, repo_root):
    """The consumer writes an ack batch and the broker closes the connection (CONNECTION_FORCED)
    before reading it: RabbitMQ drops it and requeues those messages. They are reported as
    ack_unsettled, never as received, so received + what the queue holds is exactly what was sent."""
    queue = broker.new_queue("ack-lost")
    run_id = "acklost" + uuid.uuid4().hex[:8]
    with AckCutProxy(after_acks=3, lose="ack") as proxy:
        env = dict(os.environ, PYTHONPATH=str(repo_root))
        proc = subprocess.Popen(
            [sys.executable, "-m", "devkit", "load", "amqp", "-n", "20000", "--consume", "--queue", queue,
             "--url", proxy.url(), "--run-id", run_id, "--json"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        try:
            assert proxy.cut.wait(60), "the consumer never sent its third ack"
            assert broker.close_connections_of(run_id, role="consumer") == 1
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    doc = json.loads(out)
    assert proc.returncode == 2, err
    assert (doc["sent"], doc["confirmed"]) == (20000, 20000)
    in_queue = broker.settled_depth(queue)
    assert doc["received"] + in_queue == 20000  # exact: the broker applied every settled ack, none of the others
    assert 0 < doc["ack_unsettled"] <= 1000  # the batch in flight (at most --prefetch)
    assert doc["lost"] == 20000 - doc["received"] - doc["ack_unsettled"]
    assert "CONNECTION_FORCED" in err
    assert f"{doc['ack_unsettled']:,} messages it acked were not settled" in err


def test_the_summary_shows_an_unsettled_ack_batch(broker):
    queue = broker.new_queue("reply-lost-text")
    with AckCutProxy(after_acks=2, lose="reply") as proxy:
        result = invoke("-n", "5000", "--consume", "--queue", queue, "--url", proxy.url())
    assert result.exit_code == 2, result.output + result.stderr
    numbers = dict(re.findall(r"^(received|ack unsettled|lost) +([\d,]+)", result.stdout, re.M))
    received, unsettled, lost = (int(numbers[k].replace(",", "")) for k in ("received", "ack unsettled", "lost"))
    assert unsettled > 0 and "each consumed or back in the queue" in " ".join(result.stdout.split())
    assert received + unsettled + broker.settled_depth(queue) == 5000 == received + unsettled + lost
    assert "consumer connection lost" in result.stderr and "were not settled" in result.stderr


def test_help_has_examples():
    for args in (["load", "--help"], ["load", "amqp", "--help"], ["load", "http", "--help"]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
        assert "Example" in result.output


def test_a_password_with_slash_colon_and_at_sign_works_as_typed(broker):
    """Issue 16: `amqp://guest:pa/ss@host` was split at the '/'. The password is used whole,
    never shown, and the messages land in the queue."""
    from services import require_binary

    ctl = require_binary("rabbitmqctl", "apt-get install rabbitmq-server")
    user, password = f"devkit-test-user-{uuid.uuid4().hex[:8]}", "pa/ss@w0rd:x"
    subprocess.run([ctl, "add_user", user, password], check=True, capture_output=True, timeout=30)
    try:
        allowed = r"^(devkit-test-.*|amq\.default)$"
        subprocess.run([ctl, "set_permissions", "-p", "/", user, allowed, allowed, allowed], check=True,
                       capture_output=True, timeout=30)
        queue = broker.new_queue("pw")
        result = invoke("-n", "50", "--queue", queue, "--url", f"amqp://{user}:{password}@127.0.0.1:5672/%2F")
        assert result.exit_code == 0, result.output + result.stderr
        assert "pa/ss" not in result.output + result.stderr and "w0rd" not in result.output + result.stderr
        assert f"amqp://{user}:***@127.0.0.1:5672/%2F" in result.stdout
        assert broker.depth(queue) == 50
    finally:
        subprocess.run([ctl, "delete_user", user], capture_output=True, timeout=30, check=False)


def test_a_prefetch_the_broker_cannot_take_is_a_usage_error():
    """--prefetch -1 used to crash the consumer at start ("never told to start (parent gone?)")."""
    from click.testing import CliRunner

    from devkit.cli import cli

    result = CliRunner().invoke(cli, ["load", "amqp", "-n", "1", "--consume", "--prefetch", "-1"])
    assert result.exit_code == 2 and "--prefetch" in result.output and "Traceback" not in result.output
