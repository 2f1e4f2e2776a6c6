"""The Interactive Brokers broker: our combo orders as IB BAG limit orders, walked from mid to natural.

It keeps the Broker protocol's promises (engine.brokers.base) with IB as the memory:

* **Idempotent submit.** Our order id travels as IB's ``orderRef``. Before placing, the broker looks
  for that reference among the orders and executions TWS reported (ib_async replays both at every
  connect), so an order TWS already has is never placed again: not after a crash of the terminal,
  not after a dropped connection.
* **Reconciliation.** `order_status` and `fills_for` answer from what TWS reported; `fills_for`
  needs the order's legs to order the leg prices, which it gets from the journal (`orders`).
* **Reports** are read, not pushed: `drain_updates` compares each order's IB state with what it
  reported last, so a reconnect (which gives ib_async new Trade objects) changes nothing. Updates
  are stamped with the session's clock (the moment of the last `on_market`), so the journal stays in
  one time; IB's own execution time is kept in the fill's detail.
* **Fills.** One Fill per order once it is complete (or done with a part filled): the engine books
  all-or-none, IB may fill a combo in parts. Its id is ``<order id>-IB-<first execution id>`` (IB's
  execution ids are permanent), its net is computed from the leg executions (sold legs add, bought
  legs subtract), its commission is IB's own commission reports summed; the fill is reported only
  when every execution has its commission report.

Prices: the order's ``limit_price`` is its floor; the broker asks the mid first and walks towards the
natural (engine.brokers.ib.walk) every `WalkParams.interval_s` of the session's clock, and never
steps back up (a restarted terminal walks on from the limit TWS holds). A trader's `modify` ends the
walk: the new limit is asked as it is. Orders expire at their ``expires_at`` (the
broker cancels them; the cancel is reported as EXPIRED).

Paper/live guard: a paper account (DU...) trades freely. A live account needs the explicit setting
`IbSettings.allow_live` and `confirm_live(order)` answering True for *each* order; otherwise the order
is REJECTED with the reason, and nothing leaves. A read-only connection rejects every order.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from ib_async import IB, LimitOrder, Trade
from ib_async import Fill as IbFill

from engine.brokers.base import QuoteSource
from engine.brokers.ib.connection import IbConnection
from engine.brokers.ib.contracts import (
    ContractBook,
    bag_contract,
    contract_key,
    engine_net_of,
    ib_limit_of,
    leg_key,
    net_of_leg_prices,
    option_contract,
    qualified_only,
)
from engine.brokers.ib.walk import WalkParams, combo_market, next_price
from engine.clock import MARKET_TZ
from engine.model import ComboLeg, Fill, Order, OrderStatus, OrderUpdate

log = logging.getLogger(__name__)

IB_WORKING = {"PendingSubmit", "PreSubmitted", "Submitted", "ApiPending", "PendingCancel", "ApiUpdate"}
IB_CANCELLED = {"Cancelled", "ApiCancelled"}
IB_REJECTED = {"Inactive", "ValidationError"}


def status_of(ib_status: str) -> OrderStatus:
    """Return our status for an IB order status."""
    if ib_status == "Filled":
        return OrderStatus.FILLED
    if ib_status in IB_CANCELLED:
        return OrderStatus.CANCELLED
    if ib_status in IB_REJECTED:
        return OrderStatus.REJECTED
    return OrderStatus.WORKING


@dataclass
class _Tracked:
    """What the broker remembers of one of our orders between calls."""

    order: Order
    price: float | None = None  # engine net last asked; None until placed
    steps: int = 0
    walking: bool = True
    last_step_at: datetime | None = None
    placing: bool = False  # qualification or placement under way
    expiring: bool = False  # we cancelled it because its time in force ran out
    rejected: str = ""  # refused before leaving (guard, read-only, unknown contract)
    reported: set[OrderStatus] = field(default_factory=set)


LiveConfirmation = Callable[[Order], bool]


class LiveConfirmations:
    """The trader's per-order confirmations for a live account, as the broker's `confirm_live`.

    The terminal calls `confirm(position_id)` when the trader ticks "I confirm this order for the
    LIVE account" and presses Send on a ticket; the next order of that position (the entry of an
    approved candidate, a close, a roll) is then allowed once. Nothing else is: an automatic exit
    or an order nobody confirmed is refused.
    """

    def __init__(self) -> None:
        self._confirmed: set[str] = set()

    def confirm(self, position_id: str) -> None:
        """Allow the next order of `position_id` once."""
        self._confirmed.add(position_id)

    def __call__(self, order: Order) -> bool:
        """Return True (and use the confirmation up) when the trader confirmed this order's position."""
        if order.position_id in self._confirmed:
            self._confirmed.discard(order.position_id)
            return True
        return False


@runtime_checkable
class StreamingQuotes(Protocol):
    """A quote source that can start streaming legs it does not stream yet (the IB feed)."""

    async def stream(self, legs: Sequence[ComboLeg]) -> None:
        """Subscribe to `legs` if they are not streamed."""
        ...


class IbBroker:
    """Our orders at Interactive Brokers (module doc)."""

    name = "ib"

    def __init__(self, connection: IbConnection, contracts: ContractBook, quotes: QuoteSource,
                 walk: WalkParams | None = None, orders: Callable[[str], Order | None] | None = None,
                 confirm_live: LiveConfirmation | None = None) -> None:
        self.connection = connection
        self.contracts = contracts
        self.quotes = quotes
        self.walk = walk or WalkParams()
        self.lookup = orders or (lambda order_id: None)
        self.confirm_live = confirm_live
        self._tracked: dict[str, _Tracked] = {}
        self._moment: datetime | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        connection.on_ready.append(self._on_ready)

    @property
    def ib(self) -> IB:
        """Return the connection's ib_async client."""
        return self.connection.ib

    # --- the Broker protocol ------------------------------------------------------------------

    def submit(self, order: Order) -> None:
        """Place `order` as a BAG limit unless IB already has it (module doc)."""
        if order.order_id in self._tracked:
            return
        tracked = _Tracked(order)
        self._tracked[order.order_id] = tracked
        if self._trade_of(order.order_id) is not None or self._executions_of(order.order_id):
            return  # TWS has it (placed before a crash or a drop): adopt, never place twice
        refusal = self._refusal(order)
        if refusal:
            tracked.rejected = refusal
            return
        self._start_placing(tracked)

    def cancel(self, order_id: str) -> None:
        """Ask IB to cancel a working order; final or unknown orders are left as they are."""
        trade = self._trade_of(order_id)
        if trade is not None and not trade.isDone() and self.connection.connected:
            self.ib.cancelOrder(trade.order)

    def modify(self, order_id: str, limit_price: float) -> None:
        """Ask `limit_price` for a working order from now on (same IB order id); the walk ends."""
        tracked = self._tracked.get(order_id)
        trade = self._trade_of(order_id)
        if tracked is None or trade is None or trade.isDone():
            return
        tracked.walking = False
        self._ask(tracked, trade, limit_price)

    def on_market(self, moment: datetime) -> None:
        """Step the walks due at `moment` and cancel orders past their time in force."""
        self._moment = moment
        for tracked in self._tracked.values():
            trade = self._trade_of(tracked.order.order_id)
            if trade is None or trade.isDone() or not self.connection.connected:
                continue
            if moment >= tracked.order.expires_at:
                if not tracked.expiring:
                    tracked.expiring = True
                    self.ib.cancelOrder(trade.order)
                continue
            if tracked.walking and self._step_due(tracked, moment):
                tracked.steps += 1
                tracked.last_step_at = moment
                price = self._next_price(tracked, moment)
                if price is not None and price != tracked.price:
                    self._ask(tracked, trade, price)

    def drain_updates(self) -> list[OrderUpdate]:
        """Return what changed since the last call for every order, oldest order first."""
        updates: list[OrderUpdate] = []
        for tracked in self._tracked.values():
            updates.extend(self._news_of(tracked))
        return updates

    def order_status(self, order_id: str) -> OrderStatus | None:
        """Return IB's status of our order, None when TWS never had it.

        An order TWS has that this broker did not place (the terminal restarted) is adopted: it is
        walked on from its current limit and its reports come through `drain_updates`, except those
        the session's reconciliation books itself (the status and fills known now).
        """
        status = self._status_at_ib(order_id)
        if status is not None and order_id not in self._tracked:
            self._adopt(order_id, status)
        return status

    def _adopt(self, order_id: str, status: OrderStatus) -> None:
        order = self.lookup(order_id)
        if order is None:
            return
        tracked = _Tracked(order, last_step_at=self._moment)
        tracked.reported = {OrderStatus.WORKING, status}
        if self._fill_of(order_id) is not None:
            tracked.reported.add(OrderStatus.FILLED)
        trade = self._trade_of(order_id)
        limit = trade.order.lmtPrice if trade is not None else None
        if isinstance(limit, float) and math.isfinite(limit):
            tracked.price = engine_net_of(limit)
        self._tracked[order_id] = tracked

    def _status_at_ib(self, order_id: str) -> OrderStatus | None:
        tracked = self._tracked.get(order_id)
        if tracked is not None and tracked.rejected:
            return OrderStatus.REJECTED
        trade = self._trade_of(order_id)
        if trade is not None:
            status = status_of(trade.orderStatus.status)
            if status is OrderStatus.CANCELLED and tracked is not None and tracked.expiring:
                return OrderStatus.EXPIRED
            return status
        if self._executions_of(order_id):
            return OrderStatus.FILLED  # filled before this connection: only its executions are replayed
        if tracked is not None and tracked.placing:
            return OrderStatus.WORKING
        return None

    def fills_for(self, order_id: str) -> tuple[Fill, ...]:
        """Return the order's fill once complete (module doc), () while it is not."""
        fill = self._fill_of(order_id)
        return () if fill is None else (fill,)

    # --- placing ------------------------------------------------------------------------------

    def _refusal(self, order: Order) -> str:
        """Return why `order` may not leave (read-only, live without permission or confirmation), or ""."""
        settings = self.connection.settings
        if settings.read_only:
            return "the IB connection is read-only: orders are not allowed"
        if self.connection.account and not self.connection.paper:
            if not settings.allow_live:
                return (f"account {self.connection.account} is LIVE and live trading is not allowed "
                        "in the connection settings")
            if self.confirm_live is None or not self.confirm_live(order):
                return f"live order for account {self.connection.account} was not confirmed"
        return ""

    def _start_placing(self, tracked: _Tracked) -> None:
        tracked.placing = True
        if not self.connection.connected:
            return  # placed by _on_ready once the link is back
        loop = self.connection.loop
        if loop is None:
            return
        task = loop.create_task(self._place(tracked))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _place(self, tracked: _Tracked) -> None:
        order = tracked.order
        missing = self.contracts.missing(order.legs)
        if missing:
            wanted = [option_contract(order.underlying, leg) for leg in missing]
            self.contracts.add(qualified_only(await self.ib.qualifyContractsAsync(*wanted)))
            still = self.contracts.missing(order.legs)
            if still:
                keys = ", ".join(str(leg_key(order.underlying, leg)) for leg in still)
                tracked.rejected = f"IB does not list {keys}"
                tracked.placing = False
                return
        if self._trade_of(order.order_id) is not None:
            return
        if isinstance(self.quotes, StreamingQuotes):
            await self.quotes.stream(order.legs)  # the walk prices on the legs' own quotes
        price = self._next_price(tracked, self._moment or order.created_at)
        price = order.limit_price if price is None else price
        bag = bag_contract(order.underlying, order.legs, self.contracts)
        ib_order = LimitOrder("BUY", order.contracts, ib_limit_of(price), orderRef=order.order_id, tif="DAY",
                              account=self.connection.account)
        self.ib.placeOrder(bag, ib_order)
        tracked.price = price
        tracked.placing = False
        tracked.last_step_at = self._moment

    def _ask(self, tracked: _Tracked, trade: Trade, price: float) -> None:
        """Send a new limit for a placed order (IB: placeOrder again with the same order id)."""
        trade.order.lmtPrice = ib_limit_of(price)
        self.ib.placeOrder(trade.contract, trade.order)
        tracked.price = price

    def _step_due(self, tracked: _Tracked, moment: datetime) -> bool:
        last = tracked.last_step_at
        return last is None or moment - last >= timedelta(seconds=self.walk.interval_s)

    def _next_price(self, tracked: _Tracked, moment: datetime) -> float | None:
        """Return the price of the tracked step on current quotes (walk.next_price); None unquoted."""
        order = tracked.order
        quotes = self.quotes.leg_quotes(moment, order.legs)
        market = None if quotes is None else combo_market(quotes, order.legs)
        if market is None:
            return None
        return next_price(market, order.limit_price, tracked.steps, tracked.price, self.walk)

    async def _on_ready(self, connection: IbConnection, reconnected: bool) -> None:
        """After a (re)connect: place what could not leave while the link was down."""
        for tracked in self._tracked.values():
            if tracked.placing and self._trade_of(tracked.order.order_id) is None \
                    and not self._executions_of(tracked.order.order_id):
                self._start_placing(tracked)

    async def settle(self) -> None:
        """Wait for the placements under way (tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # --- what IB reported ---------------------------------------------------------------------

    def _trade_of(self, order_id: str) -> Trade | None:
        found = [t for t in self.ib.trades() if t.order.orderRef == order_id]
        return found[-1] if found else None

    def _executions_of(self, order_id: str) -> list[IbFill]:
        return [f for f in self.ib.fills() if f.execution.orderRef == order_id]

    def _order(self, order_id: str) -> Order | None:
        tracked = self._tracked.get(order_id)
        return tracked.order if tracked is not None else self.lookup(order_id)

    def _fill_of(self, order_id: str) -> Fill | None:
        """Return the order's one Fill when its executions are complete and all have commissions."""
        order = self._order(order_id)
        executions = [f for f in self._executions_of(order_id) if f.contract.secType != "BAG"]
        if order is None or not executions:
            return None
        if any(not f.commissionReport.execId for f in executions):
            return None  # a commission report is still on its way
        per_leg = _leg_executions(order, executions)
        if per_leg is None:
            return None
        quantities = [sum(f.execution.shares for f in fills) / abs(leg.ratio)
                      for leg, fills in zip(order.legs, per_leg, strict=True)]
        contracts = round(min(quantities))
        trade = self._trade_of(order_id)
        done = trade is None or trade.isDone()
        if contracts <= 0 or (contracts < order.contracts and not done):
            return None
        leg_prices = tuple(_average_price(fills) for fills in per_leg)
        net = round(net_of_leg_prices(leg_prices, order.legs), 10)
        commission = round(sum(f.commissionReport.commission for f in self._executions_of(order_id)), 2)
        first = min(executions, key=lambda f: f.execution.execId).execution.execId
        at = self._moment or max(f.execution.time for f in executions).astimezone(MARKET_TZ)
        return Fill(f"{order_id}-IB-{first}", order_id, at, contracts, net, leg_prices, commission)

    def _news_of(self, tracked: _Tracked) -> list[OrderUpdate]:
        order_id = tracked.order.order_id
        at = self._moment or tracked.order.created_at
        status = self.order_status(order_id)
        out: list[OrderUpdate] = []
        if status is None or tracked.reported & {OrderStatus.FILLED, OrderStatus.CANCELLED,
                                                 OrderStatus.EXPIRED, OrderStatus.REJECTED}:
            return out
        if status is OrderStatus.REJECTED:
            out.append(OrderUpdate(order_id, status, at, tracked.rejected or self._last_error(order_id)))
        elif OrderStatus.WORKING not in tracked.reported and not tracked.placing:
            out.append(OrderUpdate(order_id, OrderStatus.WORKING, at, "accepted by IB"))
        fill = self._fill_of(order_id)
        if fill is not None:
            out.append(OrderUpdate(order_id, OrderStatus.FILLED, at, "filled at IB", fill))
        elif status in (OrderStatus.CANCELLED, OrderStatus.EXPIRED):
            out.append(OrderUpdate(order_id, status, at, "time in force ran out" if tracked.expiring
                                   else self._last_error(order_id) or "cancelled at IB"))
        tracked.reported.update(update.status for update in out)
        return out

    def _last_error(self, order_id: str) -> str:
        trade = self._trade_of(order_id)
        ib_id = trade.order.orderId if trade is not None else None
        for timed in reversed(self.connection.messages):
            if ib_id is not None and timed.message.request_id == ib_id:
                return str(timed.message)
        return ""


def _leg_executions(order: Order, executions: Sequence[IbFill]) -> list[list[IbFill]] | None:
    """Group option executions by the order's legs; None when a leg has none yet."""
    groups: list[list[IbFill]] = []
    for leg in order.legs:
        key = leg_key(order.underlying, leg)
        side = "BOT" if leg.ratio > 0 else "SLD"
        fills = [f for f in executions if contract_key(f.contract) == key and f.execution.side == side]
        if not fills:
            return None
        groups.append(fills)
    return groups


def _average_price(fills: Sequence[IbFill]) -> float:
    shares = sum(f.execution.shares for f in fills)
    return sum(f.execution.price * f.execution.shares for f in fills) / shares
