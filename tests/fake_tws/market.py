"""Market data of the fake TWS: quotes a test sets, subscriptions, entitlement, delayed data.

reqMktData is answered with tickReqParams, the market data type when it is not plain live data, then
the contract's current ticks; ``set_quote`` pushes only the ticks that changed to every subscription
of the contract (and of the options whose underlying price comes from the changed index).
Without entitlement (``FakeTws.entitled`` False) a live request gets error 354 and a delayed one is
served with the delayed tick types.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from tests.fake_tws.instruments import NO_SECURITY_DEFINITION, NO_SECURITY_DEFINITION_TEXT
from tests.fake_tws.link import LIVE_DATA, ClientLink
from tests.fake_tws.model import FakeContract, FakeQuote, MarketSubscription, WireContract
from tests.fake_tws.protocol import FieldReader, Fields, Incoming, Outgoing

if TYPE_CHECKING:
    from tests.fake_tws.server import FakeTws, Responder

Reply = tuple[object, ...]
TickKey = tuple[int, int]
"""``(message id, tick type)``: one tick slot of a subscription."""

NOT_SUBSCRIBED = 354
NOT_SUBSCRIBED_TEXT = "Requested market data is not subscribed. Delayed market data is available."
DELAYED_NOTICE = 10167
DELAYED_NOTICE_TEXT = "Requested market data is not subscribed. Displaying delayed market data."
TICK_VERSION = 6
"""The version field TWS puts in tickPrice, tickSize and tickGeneric."""

# Tick types (live, delayed), from IB's tick type table.
BID, ASK, LAST = (1, 66), (2, 67), (4, 68)
BID_SIZE, ASK_SIZE, LAST_SIZE, VOLUME = (0, 69), (3, 70), (5, 71), (8, 74)
BID_GREEKS, ASK_GREEKS, MODEL_GREEKS = (10, 80), (11, 81), (13, 83)
CALL_OPEN_INTEREST, PUT_OPEN_INTEREST, CALL_VOLUME, PUT_VOLUME = 27, 28, 29, 30
IMPLIED_VOLATILITY = 24
DAY_OPEN, DAY_HIGH, DAY_LOW, PRIOR_CLOSE = (14, 76), (6, 72), (7, 73), (9, 75)

MISSING_PRICE = -1.0
MISSING_GREEK = -2.0
"""What tickOptionComputation carries for an unknown value (ib_async turns them into None)."""


class MarketDesk:
    """Answers the market data requests of a ``FakeTws`` from its quotes and entitlement."""

    def __init__(self, tws: FakeTws) -> None:
        """Serve ``tws``'s quotes (``tws.quotes``) to its clients."""
        self._tws = tws

    def responders(self) -> dict[int, Responder]:
        """The requests this desk answers."""
        return {
            Incoming.REQ_MKT_DATA: self._on_req_mkt_data,
            Incoming.CANCEL_MKT_DATA: self._on_cancel_mkt_data,
            Incoming.REQ_MARKET_DATA_TYPE: self._on_market_data_type,
        }

    def set_quote(self, con_id: int, quote: FakeQuote) -> None:
        """Store ``quote`` and push what changed to the subscriptions it affects."""
        contract = self._tws.catalog.get(con_id)
        self._tws.quotes[con_id] = quote
        for link in self._tws.links:
            for subscription in link.subscriptions.values():
                if _affected(subscription.contract, contract):
                    self._push(link, subscription)

    def subscribed_con_ids(self) -> list[int]:
        """The contract id of every live subscription of every client, oldest first per client."""
        return [sub.contract.con_id for link in self._tws.links for sub in link.subscriptions.values()]

    # --- requests -----------------------------------------------------------------------------

    def _on_market_data_type(self, link: ClientLink, fields: Fields) -> list[Reply]:
        """``[59, 1, marketDataType]``: remembered for this connection's next requests; no answer."""
        link.market_data_type = int(fields[2])
        return []

    def _on_cancel_mkt_data(self, link: ClientLink, fields: Fields) -> list[Reply]:
        """``[2, 2, reqId]``: the subscription ends; no answer."""
        link.subscriptions.pop(int(fields[2]), None)
        return []

    def _on_req_mkt_data(self, link: ClientLink, fields: Fields) -> list[Reply]:
        """``[1, 11, reqId, contract(12), (BAG legs), dncPresent, (dnc), genericTickList, snapshot,
        regulatorySnapshot, mktDataOptions]``.

        Answer: tickReqParams ``[81, reqId, minTick, bboExchange, snapshotPermissions]``; when the
        connection asked for another type than live, marketDataType ``[58, 1, reqId, type]`` (and
        notice 10167 for delayed data); the current ticks; for a snapshot tickSnapshotEnd
        ``[57, 1, reqId]``. Unknown contract: error 200; live data without entitlement: error 354.
        """
        request_id, contract, generic_ticks, snapshot = _read_mkt_data(fields)
        found = self._tws.catalog.match(contract)
        if len(found) != 1 or contract.sec_type == "BAG":
            return [_error(request_id, NO_SECURITY_DEFINITION, NO_SECURITY_DEFINITION_TEXT)]
        data_type = self._served_type(link)
        if data_type is None:
            return [_error(request_id, NOT_SUBSCRIBED, NOT_SUBSCRIBED_TEXT)]
        subscription = MarketSubscription(request_id, found[0], generic_ticks, data_type)
        replies = self._opening(link, subscription)
        subscription.sent = self._ticks(subscription)
        replies.extend(subscription.sent.values())
        if snapshot:
            replies.append((Outgoing.TICK_SNAPSHOT_END, 1, request_id))
        else:
            link.subscriptions[request_id] = subscription
        return replies

    def _served_type(self, link: ClientLink) -> int | None:
        """The market data type a request on ``link`` gets; None if it may get none."""
        if self._tws.entitled:
            return LIVE_DATA
        if link.market_data_type in (3, 4):
            return link.market_data_type
        return None

    def _opening(self, link: ClientLink, subscription: MarketSubscription) -> list[Reply]:
        """What precedes the ticks of a new request."""
        request_id = subscription.request_id
        min_tick = 0.05 if subscription.contract.sec_type == "OPT" else 0.01
        replies: list[Reply] = [(Outgoing.TICK_REQ_PARAMS, request_id, min_tick, "", 3)]
        if link.market_data_type != LIVE_DATA:
            replies.append((Outgoing.MARKET_DATA_TYPE, 1, request_id, subscription.data_type))
        if subscription.delayed:
            replies.append(_error(request_id, DELAYED_NOTICE, DELAYED_NOTICE_TEXT))
        return replies

    # --- ticks --------------------------------------------------------------------------------

    def _push(self, link: ClientLink, subscription: MarketSubscription) -> None:
        """Send the ticks that differ from those last sent; a price gone is sent as -1, size 0."""
        ticks = self._ticks(subscription)
        for key, reply in ticks.items():
            if subscription.sent.get(key) != reply:
                link.send(*reply)
        for key in subscription.sent.keys() - ticks.keys():
            if key[0] == Outgoing.TICK_PRICE:
                link.send(Outgoing.TICK_PRICE, TICK_VERSION, subscription.request_id, key[1], -1, 0, 0)
        subscription.sent = ticks

    def _ticks(self, subscription: MarketSubscription) -> dict[TickKey, Reply]:
        """Every tick the subscription's contract has now, by tick slot."""
        contract = subscription.contract
        quote = self._tws.quotes.get(contract.con_id)
        if quote is None:
            return {}
        ticks = _price_ticks(subscription, quote)
        if contract.sec_type == "OPT":
            ticks.update(_option_computations(subscription, quote, self._underlying_price(contract, quote)))
        ticks.update(_generic_ticks(subscription, quote))
        return ticks

    def _underlying_price(self, option: FakeContract, quote: FakeQuote) -> float | None:
        """The quote's underlying price, else the last (or mid) of the listed index."""
        if quote.underlying is not None:
            return quote.underlying
        index = self._tws.catalog.index_of(option.symbol)
        index_quote = self._tws.quotes.get(index.con_id) if index else None
        if index_quote is None:
            return None
        return index_quote.last if index_quote.last is not None else index_quote.mid


def _read_mkt_data(fields: Fields) -> tuple[int, WireContract, frozenset[str], bool]:
    """The request id, contract, generic tick ids and snapshot flag of a reqMktData message."""
    reader = FieldReader(fields)
    reader.integer("version")
    request_id = reader.integer("reqId")
    contract = WireContract.read(reader)
    if contract.sec_type == "BAG":
        for _ in range(reader.integer("comboLegsCount") * 4):
            reader.text("leg")
    if reader.flag("deltaNeutralContractPresent"):
        for name in ("conId", "delta", "price"):
            reader.text(f"deltaNeutralContract.{name}")
    generic_ticks = frozenset(t.strip() for t in reader.text("genericTickList").split(",") if t.strip())
    snapshot = reader.flag("snapshot")
    reader.flag("regulatorySnapshot")
    reader.text("mktDataOptions")
    reader.expect_end()
    return request_id, contract, generic_ticks, snapshot


def _affected(subscribed: FakeContract, quoted: FakeContract) -> bool:
    """True if a new quote of ``quoted`` can change the ticks of ``subscribed``.

    An index quote moves the underlying price of the options on it.
    """
    if subscribed.con_id == quoted.con_id:
        return True
    return quoted.sec_type == "IND" and subscribed.sec_type == "OPT" and subscribed.symbol == quoted.symbol


def _price_ticks(subscription: MarketSubscription, quote: FakeQuote) -> dict[TickKey, Reply]:
    """tickPrice ``[1, 6, reqId, tickType, price, size, attrMask]`` then tickSize
    ``[2, 6, reqId, tickType, size]`` for bid, ask and last, as TWS pairs them."""
    pick = 1 if subscription.delayed else 0
    request_id = subscription.request_id
    ticks: dict[TickKey, Reply] = {}
    sides = (
        (quote.bid, quote.bid_size, BID, BID_SIZE),
        (quote.ask, quote.ask_size, ASK, ASK_SIZE),
        (quote.last, quote.last_size, LAST, LAST_SIZE),
    )
    for price, size, price_type, size_type in sides:
        if price is None:
            continue
        ticks[(Outgoing.TICK_PRICE, price_type[pick])] = (
            Outgoing.TICK_PRICE, TICK_VERSION, request_id, price_type[pick], price, size, 0,
        )
        ticks[(Outgoing.TICK_SIZE, size_type[pick])] = (
            Outgoing.TICK_SIZE, TICK_VERSION, request_id, size_type[pick], size,
        )
    session = ((quote.day_open, DAY_OPEN), (quote.day_high, DAY_HIGH), (quote.day_low, DAY_LOW),
               (quote.prior_close, PRIOR_CLOSE))
    for price, price_type in session:
        if price is not None:  # session prices: tickPrice alone, no size follows
            ticks[(Outgoing.TICK_PRICE, price_type[pick])] = (
                Outgoing.TICK_PRICE, TICK_VERSION, request_id, price_type[pick], price, 0, 0,
            )
    if quote.volume is not None:
        ticks[(Outgoing.TICK_SIZE, VOLUME[pick])] = (
            Outgoing.TICK_SIZE, TICK_VERSION, request_id, VOLUME[pick], quote.volume,
        )
    return ticks


def _option_computations(
    subscription: MarketSubscription, quote: FakeQuote, underlying: float | None
) -> dict[TickKey, Reply]:
    """tickOptionComputation for bid, ask and model (no version field from server 156 on):
    ``[21, reqId, tickType, tickAttrib, impliedVol, delta, optPrice, pvDividend, gamma, vega,
    theta, undPrice]``; the option price is the bid, the ask, and the mid for the model."""
    pick = 1 if subscription.delayed else 0
    prices = (
        (BID_GREEKS, quote.bid),
        (ASK_GREEKS, quote.ask),
        (MODEL_GREEKS, quote.mid if quote.mid is not None else quote.last),
    )
    return {
        (Outgoing.TICK_OPTION_COMPUTATION, tick_type[pick]): (
            Outgoing.TICK_OPTION_COMPUTATION, subscription.request_id, tick_type[pick], 1,
            _or(quote.iv, MISSING_PRICE), _or(quote.delta, MISSING_GREEK), _or(price, MISSING_PRICE),
            0.0, _or(quote.gamma, MISSING_GREEK), _or(quote.vega, MISSING_GREEK),
            _or(quote.theta, MISSING_GREEK), _or(underlying, MISSING_PRICE),
        )
        for tick_type, price in prices
    }


def _generic_ticks(subscription: MarketSubscription, quote: FakeQuote) -> dict[TickKey, Reply]:
    """The generic ticks asked for: 101 open interest and 100 volume of an option (tickSize 27/28,
    29/30 by its right), 106 implied volatility (tickGeneric ``[45, 6, reqId, 24, value]``)."""
    contract, request_id, asked = subscription.contract, subscription.request_id, subscription.generic_ticks
    ticks: dict[TickKey, Reply] = {}
    is_call = contract.right == "C"
    sizes: Iterable[tuple[str, float | None, int]] = (
        ("101", quote.open_interest, CALL_OPEN_INTEREST if is_call else PUT_OPEN_INTEREST),
        ("100", quote.volume, CALL_VOLUME if is_call else PUT_VOLUME),
    )
    for generic, value, tick_type in sizes:
        if generic in asked and value is not None and contract.sec_type == "OPT":
            ticks[(Outgoing.TICK_SIZE, tick_type)] = (
                Outgoing.TICK_SIZE, TICK_VERSION, request_id, tick_type, value,
            )
    if "106" in asked and quote.iv is not None:
        ticks[(Outgoing.TICK_GENERIC, IMPLIED_VOLATILITY)] = (
            Outgoing.TICK_GENERIC, TICK_VERSION, request_id, IMPLIED_VOLATILITY, quote.iv,
        )
    return ticks


def _or(value: float | None, missing: float) -> float:
    """``value``, or the protocol's marker for a missing one."""
    return missing if value is None else value


def _error(request_id: int, code: int, message: str) -> Reply:
    """``[4, 2, reqId, code, message, advancedOrderRejectJson]``."""
    return (Outgoing.ERROR, 2, request_id, code, message, "")
