"""Waiting in async tests: let the loop run until something holds, or fail saying what never came."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

PATIENCE_S = 30.0
POLL_S = 0.01


async def until(condition: Callable[[], object], what: str, patience: float = PATIENCE_S,
                poll: float = POLL_S) -> None:
    """Let the loop run (Qt events, replay steps, a fake TWS and its client) until `condition` is truthy.

    Raises AssertionError naming `what` after `patience` seconds.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(poll)
