"""The AMQP load library on its own: pacing, progress callback, a worker killed mid-run."""

from __future__ import annotations

import multiprocessing
import os
import signal

import pytest
from load_support import AckCutProxy

from devkit.errors import InputError
from devkit.load import AmqpLoadConfig, expand_queue_pattern, make_body, run_amqp_load
from devkit.load.amqp import plan


def test_rate_is_paced_to_the_target(broker, capsys):
    queue = broker.new_queue("rate")
    calls = []
    cfg = AmqpLoadConfig(url=broker.url, queue=queue, count=1200, rate=400.0, producers=2)
    result = run_amqp_load(cfg, calls.append)
    assert result.exit_code == 0 and result.confirmed == 1200
    # 1200 messages at 400/s are due over ~3 s: the achieved rate is within a few percent.
    assert 400 * 0.95 <= result.rate <= 400 * 1.02, result.rate
    assert 2.9 <= result.elapsed_s
    # progress: called, monotonic, never more than ~10 times a second; the library printed nothing
    assert calls and [c.sent for c in calls] == sorted(c.sent for c in calls)
    assert len(calls) <= result.elapsed_s * 10 + 15
    assert capsys.readouterr() == ("", "")
    assert broker.depth(queue) == 1200


def test_duration_mode_stops_and_counts(broker):
    queue = broker.new_queue("duration")
    result = run_amqp_load(AmqpLoadConfig(url=broker.url, queue=queue, duration=1.0, rate=300.0, consume=True))
    assert result.ok and result.requested is None
    assert result.sent == result.confirmed == result.received and result.lost == 0
    assert 250 <= result.sent <= 301
    assert broker.depth(queue) == 0


def test_a_producer_killed_midway_leaves_exact_counts(broker):
    """SIGKILL one producer process: totals come from what it recorded as acks arrived, so
    devkit never claims more than the broker holds."""
    queue = broker.new_queue("killed")
    killed = []

    def progress(p):
        if not killed and p.confirmed >= 1000:
            children = [c for c in multiprocessing.active_children() if c.name == "devkit-load-0"]
            os.kill(children[0].pid, signal.SIGKILL)
            killed.append(children[0].pid)

    cfg = AmqpLoadConfig(url=broker.url, queue=queue, duration=3.0, rate=2000.0, producers=2)
    result = run_amqp_load(cfg, progress)
    assert killed
    assert result.exit_code == 2 and not result.ok
    assert any("producer 0 died" in e for e in result.errors)
    survivor = result.producers[1]
    assert survivor["error"] is None and survivor["confirmed"] == survivor["sent"] > 0
    assert result.confirmed <= broker.depth(queue) <= result.sent


def test_plan_interleaves_producers_and_splits_counts():
    cfg = AmqpLoadConfig(queues=["a", "b"], count=10, rate=100.0, producers=3)
    producers, consumers = plan(cfg)
    assert [(p.queue, p.count, p.rate, p.offset) for p in producers] == [
        ("a", 4, 100 / 3, 0.0), ("b", 3, 100 / 3, 0.01), ("a", 3, 100 / 3, 0.02)]
    assert consumers == []


def test_queue_patterns_and_bodies(tmp_path):
    assert expand_queue_pattern("perf-%d", 3) == ["perf-1", "perf-2", "perf-3"]
    assert expand_queue_pattern("a, b,c", 9) == ["a", "b", "c"]
    with pytest.raises(InputError):
        expand_queue_pattern("a,a", 2)
    assert make_body(None, None, None) == b"x" * 100
    assert make_body(3, None, None) == b"xxx"
    assert make_body(None, "héllo", None) == "héllo".encode()
    with pytest.raises(InputError, match="--body-file"):
        make_body(None, None, str(tmp_path / "missing"))


def test_an_ack_the_broker_applied_without_telling_us_is_ack_unsettled(broker):
    """The broker processes an ack batch, but the connection dies before its answer comes back:
    those messages are gone from the queue, yet devkit cannot know it, so they are ack_unsettled
    (not received) and the queue holds exactly what was neither."""
    queue = broker.new_queue("reply-lost")
    with AckCutProxy(after_acks=3, lose="reply") as proxy:
        result = run_amqp_load(AmqpLoadConfig(url=proxy.url(), queue=queue, count=20000, consume=True))
        assert proxy.cut.is_set()
    assert result.exit_code == 2 and result.connection_error
    assert result.sent == result.confirmed == 20000
    in_queue = broker.settled_depth(queue)
    assert result.received + result.ack_unsettled + in_queue == 20000
    assert proxy.reply_seen and 0 < result.ack_unsettled <= 1000
    assert result.lost == 20000 - result.received - result.ack_unsettled
    assert result.to_dict()["ack_unsettled"] == result.ack_unsettled
    assert any("consumer connection lost" in e and f"{result.ack_unsettled:,} messages it acked were not settled" in e
               for e in result.errors)
