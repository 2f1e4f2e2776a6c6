"""ib_async's real client connects to the fake TWS: handshake, start-up sync, account, drops.

Each test runs its own event loop with ``asyncio.run`` and its own server on a free loopback port.
Connects use ``raiseSyncErrors=True`` so an unanswered start-up request fails the test instead of
only being logged, and short timeouts so a failure shows in seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

import pytest
from ib_async import IB

from tests.fake_tws import PAPER_ACCOUNT, FakeTws, Incoming

pytestmark = pytest.mark.timeout(20)

T = TypeVar("T")

CONNECT_TIMEOUT = 2.0
"""Seconds ib_async may take for each step of connecting (TCP, API start, each sync request)."""

STARTUP_SYNC_REQUESTS = {
    Incoming.START_API,
    Incoming.REQ_POSITIONS,
    Incoming.REQ_OPEN_ORDERS,
    Incoming.REQ_COMPLETED_ORDERS,
    Incoming.REQ_ACCOUNT_UPDATES,
    Incoming.REQ_ACCOUNT_UPDATES_MULTI,
    Incoming.REQ_EXECUTIONS,
}
"""What ib_async 2.1's ``IB.connectAsync`` sends for a non-zero client id that is not read-only."""


def run(scenario: Awaitable[T]) -> T:
    """Run one test scenario on a fresh event loop, failing if it takes more than 10 s."""

    async def bounded() -> T:
        return await asyncio.wait_for(scenario, 10.0)

    return asyncio.run(bounded())


async def connect(
    tws: FakeTws, client_id: int = 1, step_seconds: float = CONNECT_TIMEOUT, ib: IB | None = None
) -> IB:
    """Connect ``ib`` (a new client if None) to ``tws``, raising if a start-up request goes unanswered."""
    ib = ib or IB()
    await ib.connectAsync(
        "127.0.0.1", tws.port, clientId=client_id, timeout=step_seconds, raiseSyncErrors=True
    )
    return ib


def test_connect_completes_with_the_paper_account_and_our_client_id() -> None:
    """The handshake, start API and start-up sync complete; the account and client id got across."""

    async def scenario() -> None:
        async with FakeTws() as tws:
            ib = await connect(tws, client_id=7)
            try:
                assert ib.isConnected()
                assert ib.managedAccounts() == [PAPER_ACCOUNT]
                assert ib.client.serverVersion() == 178
                assert [fields[2] for fields in tws.requests(Incoming.START_API)] == ["7"]
                assert tws.client_ids == [7]
                assert tws.client_greetings == ["v157..178"]
            finally:
                ib.disconnect()

    run(scenario())


def test_every_startup_sync_request_is_answered() -> None:
    """Positions, orders, account updates and executions are asked for and answered with their End."""

    async def scenario() -> None:
        async with FakeTws() as tws:
            ib = await connect(tws)
            try:
                asked = {int(fields[0]) for fields in tws.received}
                assert asked == STARTUP_SYNC_REQUESTS
                assert tws.requests(Incoming.REQ_ACCOUNT_UPDATES)[0][2:] == ["1", PAPER_ACCOUNT]
                assert ib.positions() == []
                assert ib.openTrades() == []
                assert ib.fills() == []
                net_liquidation = [v for v in ib.accountValues() if v.tag == "NetLiquidation"]
                assert net_liquidation
                assert {v.account for v in net_liquidation} == {PAPER_ACCOUNT}
                assert {v.value for v in net_liquidation} == {"1000000.00"}
            finally:
                ib.disconnect()

    run(scenario())


def test_an_unanswered_startup_request_fails_the_connect() -> None:
    """A TWS that never ends the positions download makes the connect fail, naming what timed out."""

    async def scenario() -> None:
        async with FakeTws() as tws:
            tws.ignore(Incoming.REQ_POSITIONS)
            with pytest.raises(ConnectionError, match="positions request timed out"):
                await connect(tws, step_seconds=0.5)

    run(scenario())


@pytest.mark.parametrize("server_version", [176, 177, 178])
def test_the_server_version_is_agreed_in_the_handshake(server_version: int) -> None:
    """The client takes the server version the fake TWS replies with and connects at each of them."""

    async def scenario() -> None:
        async with FakeTws(server_version=server_version) as tws:
            ib = await connect(tws)
            try:
                assert ib.client.serverVersion() == server_version
            finally:
                ib.disconnect()

    run(scenario())


def test_client_id_zero_binds_manual_orders() -> None:
    """Client id 0 asks TWS to bind orders entered by hand (reqAutoOpenOrders true)."""

    async def scenario() -> None:
        async with FakeTws() as tws:
            ib = await connect(tws, client_id=0)
            try:
                assert tws.requests(Incoming.REQ_AUTO_OPEN_ORDERS) == [["15", "1", "1"]]
            finally:
                ib.disconnect()

    run(scenario())


def test_a_dropped_connection_is_reported_as_disconnected() -> None:
    """When the TWS connection drops, ib_async fires disconnectedEvent and is no longer connected."""

    async def scenario() -> None:
        async with FakeTws() as tws:
            ib = await connect(tws)
            dropped = asyncio.Event()
            ib.disconnectedEvent += dropped.set
            assert tws.drop_connections() == 1
            await asyncio.wait_for(dropped.wait(), 2.0)
            assert not ib.isConnected()
            assert not ib.client.isReady()

    run(scenario())


def test_a_reconnect_after_a_drop_syncs_again() -> None:
    """After a drop the same client can connect again and the start-up sync runs a second time."""

    async def scenario() -> None:
        async with FakeTws() as tws:
            ib = await connect(tws, client_id=3)
            dropped = asyncio.Event()
            ib.disconnectedEvent += dropped.set
            tws.drop_connections()
            await asyncio.wait_for(dropped.wait(), 2.0)
            await connect(tws, client_id=3, ib=ib)
            try:
                assert ib.isConnected()
                assert len(tws.requests(Incoming.START_API)) == 2
                assert len(tws.requests(Incoming.REQ_POSITIONS)) == 2
            finally:
                ib.disconnect()

    run(scenario())


def test_an_error_pushed_by_the_server_reaches_the_error_event() -> None:
    """An error message TWS pushes (here 1100, connectivity lost) arrives on ib_async's errorEvent."""

    async def scenario() -> None:
        async with FakeTws() as tws:
            ib = await connect(tws)
            try:
                heard: asyncio.Queue[tuple[int, int, str]] = asyncio.Queue()
                ib.errorEvent += lambda request_id, code, message, contract: heard.put_nowait(
                    (request_id, code, message)
                )
                tws.send_error(1100, "Connectivity between IB and Trader Workstation has been lost.")
                assert await asyncio.wait_for(heard.get(), 2.0) == (
                    -1,
                    1100,
                    "Connectivity between IB and Trader Workstation has been lost.",
                )
            finally:
                ib.disconnect()

    run(scenario())
