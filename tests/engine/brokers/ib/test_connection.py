"""Why a connect fails, said so a trader can act: nobody listening, TWS silent, a start-up sync unanswered."""

from __future__ import annotations

import asyncio
import socket

import pytest

from engine.brokers.ib.connection import BrokerConnectError, IbConnection, LinkState
from engine.model.connection import IbSettings
from tests.fake_tws.protocol import Incoming
from tests.fake_tws.server import FakeTws

pytestmark = pytest.mark.timeout(30)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def failure(settings: IbSettings, script: str = "") -> tuple[str, LinkState]:
    async def scenario() -> tuple[str, LinkState]:
        async with FakeTws() as tws:
            if script == "silent":
                tws.ignore(Incoming.START_API)
            if script == "no-positions":
                tws.ignore(Incoming.REQ_POSITIONS)
            port = settings.port if script == "refused" else tws.port
            connection = IbConnection(IbSettings(port=port, client_id=3, timeout_s=settings.timeout_s))
            with pytest.raises(BrokerConnectError) as raised:
                await connection.connect()
            assert str(connection.messages[-1].message) == str(raised.value)
            return str(raised.value), connection.state

    return asyncio.run(scenario())


def test_nobody_listening() -> None:
    port = free_port()
    text, state = failure(IbSettings(port=port, timeout_s=2.0), "refused")
    assert text.startswith(f"Could not reach TWS at 127.0.0.1:{port} (client 3)")
    assert "API socket enabled" in text
    assert state is LinkState.DISCONNECTED


def test_tws_that_does_not_answer_the_api_start() -> None:
    text, state = failure(IbSettings(timeout_s=0.5), "silent")
    assert "did not answer within 0.5 s" in text
    assert state is LinkState.DISCONNECTED


def test_an_unanswered_start_up_sync_is_said() -> None:
    text, state = failure(IbSettings(timeout_s=0.5), "no-positions")
    assert text.endswith("did not finish synchronising within 0.5 s: positions request timed out")
    assert state is LinkState.DISCONNECTED
