"""Warm the numba kernels in a child process, behind the window's first paint.

Compiling the pricing and indicator kernels takes seconds the first time. Doing it in a child
process (``python -m engine.warmup``) keeps the GUI process free to paint and respond; the child
fills numba's on-disk cache (NUMBA_CACHE_DIR when set), and the GUI process then loads machine
code from that cache in milliseconds. When the cache is already warm the child only loads it.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from dataclasses import dataclass

WARMUP_TIMEOUT_S = 900.0  # a cold compile on a slow, shared machine; never expected


@dataclass(frozen=True, slots=True)
class WarmupOutcome:
    """How the warm-up went: success, seconds taken, and a message for the status bar."""

    ok: bool
    seconds: float
    message: str


def warmup_command() -> list[str]:
    """Return the command that warms the kernels in a child process.

    A frozen (PyInstaller) build has no ``-m``: it runs its own ``optimus warmup`` subcommand.
    """
    if getattr(sys, "frozen", False):
        return [sys.executable, "warmup"]
    return [sys.executable, "-m", "engine.warmup"]


async def warm_kernels_in_subprocess(limit_s: float = WARMUP_TIMEOUT_S) -> WarmupOutcome:
    """Run the warm-up in a child process; kill it if cancelled or slower than `limit_s`."""
    start = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *warmup_command(), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), limit_s)
    except TimeoutError:
        await _kill(process)
        return WarmupOutcome(False, time.perf_counter() - start, f"warm-up timed out after {limit_s:.0f} s")
    except asyncio.CancelledError:
        await _kill(process)  # the window closed first: leave no orphan compiling
        raise
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        last_line = (stderr.decode(errors="replace").strip().splitlines() or ["no message"])[-1]
        return WarmupOutcome(False, seconds, f"warm-up failed (exit {process.returncode}): {last_line}")
    return WarmupOutcome(True, seconds, f"pricing kernels ready ({seconds:.1f} s)")


async def _kill(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    await process.wait()


async def no_warmup() -> WarmupOutcome:
    """Skip the child process (tests; a cache known to be warm): kernels load on first use."""
    return WarmupOutcome(True, 0.0, "pricing kernels loaded on first use")
