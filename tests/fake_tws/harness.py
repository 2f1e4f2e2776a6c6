"""Small helpers for tests that drive ib_async's real client against a ``FakeTws``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from ib_async import IB

from tests.fake_tws.server import FakeTws

T = TypeVar("T")

SCENARIO_SECONDS = 15.0
"""A whole scenario must finish within this (each runs its own loop and server)."""


def run(scenario: Awaitable[T]) -> T:
    """Run one test scenario on a fresh event loop, failing if it takes too long."""

    async def bounded() -> T:
        return await asyncio.wait_for(scenario, SCENARIO_SECONDS)

    return asyncio.run(bounded())


async def connect(tws: FakeTws, client_id: int = 1, ib: IB | None = None) -> IB:
    """Connect ``ib`` (a new client if None) to ``tws``, failing if a start-up request goes unanswered."""
    ib = ib or IB()
    await ib.connectAsync("127.0.0.1", tws.port, clientId=client_id, timeout=5, raiseSyncErrors=True)
    return ib




async def settle(ib: IB) -> None:
    """Wait until the client has read everything the fake sent before now.

    A reqCurrentTime round trip: TCP keeps order, so its answer comes after every earlier push.
    """
    await ib.reqCurrentTimeAsync()
