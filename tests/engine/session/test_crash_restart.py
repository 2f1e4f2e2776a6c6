"""Kill a replay process at any moment, start it again: the journal ends as if nothing happened.

The replay runs as a real subprocess (`optimus replay`, durable journal). It is killed either at a
named failpoint (engine.faults: os._exit, what SIGKILL does) between journaling an order and
sending it, between sending it and applying the fill, or after a day's commit, or by SIGKILL from
outside at an arbitrary instant. The same command is then run again until it completes. Its
journal must equal that of an uninterrupted run: no order lost or sent twice, the same fills,
positions, P&L, daily figures, log and circuit breaker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from engine.faults import ENV, KILLED_EXIT_CODE
from terminal.cli_session import PROGRESS_ENV
from tests.engine.session.conftest import dump

ARGS = ["replay", "--from", "2015-01-01", "--to", "2015-03-31", "--json"]


def _replay(journal: Path, crash_at: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != ENV}
    if crash_at:
        env[ENV] = crash_at
    command = [sys.executable, "-m", "terminal.cli", *ARGS, "--journal", str(journal)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[object]]:
    """Return the journal of an uninterrupted run."""
    journal = tmp_path_factory.mktemp("reference") / "journal.db"
    done = _replay(journal)
    assert done.returncode == 0, done.stderr
    return dump(journal)


@pytest.mark.parametrize("crash_at", [
    "after-journal-orders:3",  # orders committed, never sent
    "after-submit:2",  # sent to the broker, its acceptance not yet read back
    "after-market:9",  # worked at the broker, its report not yet in the journal
    "after-market:23",  # the 2015-01-20 entry filled at the broker, the fill not yet in the journal
    "after-close:25",  # a day fully committed
])
def test_a_kill_at_a_failpoint_then_a_restart_gives_the_uninterrupted_journal(
    crash_at: str, reference: dict[str, list[object]], tmp_path: Path
) -> None:
    journal = tmp_path / "journal.db"
    killed = _replay(journal, crash_at)
    assert killed.returncode == KILLED_EXIT_CODE, killed.stderr
    assert dump(journal) != reference  # it really stopped part way
    finished = _replay(journal)
    assert finished.returncode == 0, finished.stderr
    assert dump(journal) == reference


def _kill_after_steps(command: list[str], env: dict[str, str], steps: int) -> None:
    """Start the replay and SIGKILL it as soon as it reports `steps` steps done (it is mid-step then)."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    seen = 0
    for line in process.stdout:
        seen += line.startswith("STEP ")
        if seen >= steps:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, f"the replay ended before step {steps}"


@pytest.mark.parametrize("steps", [[7], [40, 41], [64, 30, 20]])
def test_sigkill_at_arbitrary_instants_then_restarts_gives_the_uninterrupted_journal(
    steps: list[int], reference: dict[str, list[object]], tmp_path: Path
) -> None:
    """Kill from outside while steps run (the signal lands wherever the child then is), restart."""
    journal = tmp_path / "journal.db"
    command = [sys.executable, "-m", "terminal.cli", *ARGS, "--journal", str(journal)]
    env = {key: value for key, value in os.environ.items() if key != ENV}
    env[PROGRESS_ENV] = "1"
    for count in steps:  # counted from each restart: a later kill lands further into the range
        _kill_after_steps(command, env, count)
    finished = _replay(journal)
    assert finished.returncode == 0, finished.stderr
    assert dump(journal) == reference
