"""Every load generator stops by itself: the same bounds, the same one-line errors, before connecting."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from devkit.cli import cli

# Nothing listens on port 1: a run that got past validation would fail differently.
COMMANDS = {
    "amqp": ["load", "amqp", "--url", "amqp://guest:guest@127.0.0.1:1/"],
    "http": ["load", "http", "http://127.0.0.1:1/"],
    "celery": ["load", "celery", "tasks.add", "--broker", "amqp://guest:guest@127.0.0.1:1//"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize(("options", "message"), [
    (["-n", "5", "--duration", "3"], "use either -n/--count or --duration, not both"),
    (["-n", "0"], "--count must be at least 1, got 0"),
    (["-n", "5", "--rate", "nan"], "--rate must be a positive number, got nan"),
    (["-n", "5", "--rate", "0"], "--rate must be a positive number, got 0"),
])
def test_bad_bounds_are_one_usage_error_before_any_connection(command, options, message):
    result = CliRunner().invoke(cli, [*COMMANDS[command], *options])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.output
    assert "Traceback" not in result.output and "127.0.0.1:1" not in result.output


@pytest.mark.parametrize(("command", "flag"), [("amqp", "--producers"), ("celery", "--concurrency")])
def test_more_workers_than_messages_is_refused(command, flag):
    result = CliRunner().invoke(cli, [*COMMANDS[command], "-n", "2", flag, "3"])
    assert result.exit_code == 2 and f"{flag} 3 is more than --count 2" in result.output, result.output


def test_the_library_refuses_more_producers_than_processes_it_will_start():
    from devkit.errors import InputError
    from devkit.load import AmqpLoadConfig

    with pytest.raises(InputError, match=r"--producers must be 1 to 64, got 65"):
        AmqpLoadConfig(count=1000, producers=65).validate()


@pytest.mark.parametrize("duration", [0.0, -1.0, float("inf"), float("nan")])
def test_the_library_refuses_a_duration_that_never_ends_or_never_starts(duration):
    from devkit.errors import InputError
    from devkit.load import AmqpLoadConfig, HttpLoadConfig

    for cfg in (AmqpLoadConfig(count=None, duration=duration), HttpLoadConfig("http://127.0.0.1:1/", count=None, duration=duration)):
        with pytest.raises(InputError, match=r"--duration must be a positive number"):
            cfg.validate()
