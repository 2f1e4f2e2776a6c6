"""A fake TWS server on loopback for testing the IB path with ib_async as the real client."""

from tests.fake_tws.protocol import Incoming, Outgoing
from tests.fake_tws.server import PAPER_ACCOUNT, ClientLink, FakeTws

__all__ = ["PAPER_ACCOUNT", "ClientLink", "FakeTws", "Incoming", "Outgoing"]
