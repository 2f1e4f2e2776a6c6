"""The kernel warm-up child process: success, failure, time limit, cancellation."""

from __future__ import annotations

import asyncio
import sys
import time

import pytest

from terminal import kernels


def use_child(monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    monkeypatch.setattr(kernels, "warmup_command", lambda: [sys.executable, "-c", code])


def test_default_command_runs_the_engine_warm_up() -> None:
    assert kernels.warmup_command()[1:] == ["-m", "engine.warmup"]


def test_success_and_failure_are_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    use_child(monkeypatch, "print('ok')")
    assert asyncio.run(kernels.warm_kernels_in_subprocess()).ok
    use_child(monkeypatch, "import sys; sys.exit('numba exploded')")
    outcome = asyncio.run(kernels.warm_kernels_in_subprocess())
    assert not outcome.ok
    assert "exit 1" in outcome.message
    assert "numba exploded" in outcome.message


def test_a_child_over_its_time_limit_is_killed(monkeypatch: pytest.MonkeyPatch) -> None:
    use_child(monkeypatch, "import time; time.sleep(60)")
    started = time.perf_counter()
    outcome = asyncio.run(kernels.warm_kernels_in_subprocess(limit_s=0.3))
    assert not outcome.ok
    assert "timed out" in outcome.message
    assert time.perf_counter() - started < 10.0


def test_cancelling_kills_the_child(monkeypatch: pytest.MonkeyPatch) -> None:
    use_child(monkeypatch, "import time; time.sleep(60)")

    async def cancel_soon() -> float:
        task = asyncio.ensure_future(kernels.warm_kernels_in_subprocess())
        await asyncio.sleep(0.3)
        started = time.perf_counter()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return time.perf_counter() - started

    assert asyncio.run(cancel_soon()) < 5.0  # killed and reaped, not waited for
