"""IB error codes become readable messages with a severity; connectivity codes say what the link did."""

from __future__ import annotations

import asyncio

import pytest
from ib_async import IB

from engine.brokers.ib.errors import (
    BrokerMessage,
    LinkChange,
    Severity,
    describe_ib_message,
    is_informational,
)
from tests.fake_tws import FakeTws


@pytest.mark.parametrize(
    ("code", "severity", "words"),
    [
        (100, Severity.ERROR, "pacing"),
        (200, Severity.ERROR, "No such contract"),
        (354, Severity.ERROR, "market data permission"),
        (10089, Severity.ERROR, "additional API subscription"),
        (10197, Severity.WARNING, "another session"),
        (1100, Severity.ERROR, "lost"),
        (1102, Severity.INFO, "restored"),
        (1300, Severity.ERROR, "reconnect on the new port"),
        (2104, Severity.INFO, "Market data farm"),
        (2106, Severity.INFO, "Historical data farm"),
    ],
)
def test_common_codes_read_as_the_trader_would_say_them(code: int, severity: Severity, words: str) -> None:
    """Each common code has our own sentence (not IB's text) and the right severity."""
    message = describe_ib_message(code, "cryptic IB text", request_id=12)
    assert message.severity is severity
    assert words in message.text
    assert "cryptic" not in message.text
    assert message.ib_text == "cryptic IB text"
    assert message.request_id == 12
    assert str(message) == f"{message.text} (IB {code})"


@pytest.mark.parametrize(
    ("code", "change"),
    [
        (1100, LinkChange.LOST),
        (1101, LinkChange.RESTORED_DATA_LOST),
        (1102, LinkChange.RESTORED),
        (200, None),
    ],
)
def test_connectivity_codes_tell_what_happened_to_the_link(code: int, change: LinkChange | None) -> None:
    """1100 lost, 1101 restored without subscriptions (re-subscribe), 1102 restored; others say nothing."""
    assert describe_ib_message(code).link_change is change


@pytest.mark.parametrize(
    ("code", "severity"),
    [(2103, Severity.WARNING), (2157, Severity.WARNING), (1200, Severity.WARNING), (321, Severity.ERROR)],
)
def test_unknown_codes_keep_ibs_text_and_get_a_severity_from_ibs_ranges(
    code: int, severity: Severity
) -> None:
    """A code we have no sentence for shows IB's own text; 2100-2199 and 1100-1300 are not failures."""
    message = describe_ib_message(code, "Some IB text")
    assert message == BrokerMessage(code, severity, "Some IB text", "Some IB text")


def test_an_unknown_code_without_text_still_reads_as_a_sentence() -> None:
    """Even with no text from IB, the trader sees a sentence and the code."""
    assert str(describe_ib_message(4242)) == "IB reported a problem (IB 4242)"


def test_only_all_clear_notices_are_informational() -> None:
    """Farm-OK and link-restored notices are informational; failures and degradations are not."""
    assert [code for code in (2104, 2106, 2158, 1102, 2103, 1100, 354) if is_informational(code)] == [
        2104,
        2106,
        2158,
        1102,
    ]


@pytest.mark.timeout(20)
def test_an_error_from_the_fake_tws_arrives_readable() -> None:
    """A 354 that TWS sends for a request reaches ib_async's errorEvent and reads as ours."""

    async def scenario() -> list[BrokerMessage]:
        async with FakeTws() as tws:
            ib = IB()
            await ib.connectAsync("127.0.0.1", tws.port, clientId=1, timeout=2.0, raiseSyncErrors=True)
            try:
                heard: asyncio.Queue[BrokerMessage] = asyncio.Queue()
                ib.errorEvent += lambda request_id, code, text, contract: heard.put_nowait(
                    describe_ib_message(code, text, request_id)
                )
                tws.send_error(354, "Requested market data is not subscribed.", request_id=5)
                return [await asyncio.wait_for(heard.get(), 2.0)]
            finally:
                ib.disconnect()

    [message] = asyncio.run(scenario())
    assert message.code == 354
    assert message.request_id == 5
    assert message.severity is Severity.ERROR
    assert message.ib_text == "Requested market data is not subscribed."
    assert "market data permission" in message.text
