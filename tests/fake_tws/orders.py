"""Orders of the fake TWS: placement, modification, cancellation, fills, executions, positions.

Order state lives in the ``FakeTws`` (``placements``, ``orders``, ``executions``, ``positions``) and
outlives client connections, so a client that reconnects with its client id is given its live orders
(reqOpenOrders), the completed ones (reqCompletedOrders) and every execution (reqExecutions) again.
Order updates go to every connection of the order's client id.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import UTC
from typing import TYPE_CHECKING

from tests.fake_tws.instruments import NO_SECURITY_DEFINITION, NO_SECURITY_DEFINITION_TEXT, OPTION_VENUE
from tests.fake_tws.link import ClientLink
from tests.fake_tws.model import (
    BAG_CON_ID,
    FakeContract,
    FakeExecution,
    FakeOrder,
    PlacedLeg,
    PlacedOrder,
)
from tests.fake_tws.order_wire import (
    commission_report,
    completed_order,
    exec_details,
    open_order,
    order_status,
    parse_place_order,
    position,
)
from tests.fake_tws.protocol import FieldReader, Fields, Incoming, Outgoing

if TYPE_CHECKING:
    from tests.fake_tws.server import FakeTws, Responder

Reply = tuple[object, ...]
OrderFilter = Callable[[FakeOrder], bool]

FIRST_PERM_ID = 1_800_000_001
"""Permanent order ids the fake assigns start here (TWS's are large and unrelated to order ids)."""
LIVE_EXECUTION = -1
"""The request id of an execution TWS pushes as it happens (not in answer to reqExecutions)."""

VALIDATION_FAILED = 321
DUPLICATE_ORDER_ID = 103
ORDER_CANCELLED = 202
ORDER_CANCELLED_TEXT = "Order Canceled - reason:"
CANCEL_NOT_FOUND = 10147
CANCEL_REFUSED = 10148
SIDES = {"BUY": "BOT", "SELL": "SLD"}
"""Order action → execution side."""


def never_fill(order: PlacedOrder) -> float | None:
    """The default fill rule: orders rest until a test fills or cancels them."""
    return None


class OrderDesk:
    """Answers the order requests of a ``FakeTws`` and fills its orders."""

    def __init__(self, tws: FakeTws) -> None:
        """Keep ``tws``'s order book (its state lives in ``tws``)."""
        self._tws = tws
        self._next_perm_id = FIRST_PERM_ID

    def responders(self) -> dict[int, Responder]:
        """The requests this desk answers."""
        return {
            Incoming.PLACE_ORDER: self._on_place_order,
            Incoming.CANCEL_ORDER: self._on_cancel_order,
            Incoming.REQ_GLOBAL_CANCEL: self._on_global_cancel,
            Incoming.REQ_OPEN_ORDERS: self._on_open_orders,
            Incoming.REQ_ALL_OPEN_ORDERS: self._on_all_open_orders,
            Incoming.REQ_COMPLETED_ORDERS: self._on_completed_orders,
            Incoming.REQ_EXECUTIONS: self._on_executions,
            Incoming.REQ_POSITIONS: self._on_positions,
            Incoming.CANCEL_POSITIONS: self._on_cancel_positions,
        }

    # --- placing and cancelling ---------------------------------------------------------------

    def _on_place_order(self, link: ClientLink, fields: Fields) -> list[Reply]:
        """``placeOrder`` (layout in ``order_wire.parse_place_order``): a new order or a modification.

        Answer, to every connection of the client: openOrder and orderStatus with the working
        status; then the fill rule decides whether it fills at once. Errors: 321 for a message that
        does not parse or does not transmit, 103 for an order id already used, 200 for an unknown
        contract.
        """
        order_id = int(fields[1])
        # TWS counts an id as used once sent, booked or not: the next nextValidId is above it.
        self._tws.next_order_id = max(self._tws.next_order_id, order_id + 1)
        try:
            placed = parse_place_order(fields, link.server_version, link.client_id or 0)
            contract = self._order_contract(placed)
        except KeyError as unknown:
            message = f"{NO_SECURITY_DEFINITION_TEXT}: {unknown.args[0]}"
            return [_error(order_id, NO_SECURITY_DEFINITION, message)]
        except ValueError as invalid:
            return [_error(order_id, VALIDATION_FAILED, f"Error validating request: {invalid}")]
        refusal = self._refusal(placed)
        if refusal is not None:
            return [refusal]
        order = self._book(placed, contract)
        self._announce(order)
        price = self._tws.fill_rule(placed)
        if price is not None:
            self.fill(order.order_id, price)
        return []

    def _refusal(self, placed: PlacedOrder) -> Reply | None:
        """The error a placement gets instead of being booked, if any."""
        if not placed.transmit:
            return _error(placed.order_id, VALIDATION_FAILED, "orders that do not transmit are not supported")
        existing = self._tws.orders.get(placed.order_id)
        if existing is not None and (existing.is_final or existing.client_id != placed.client_id):
            return _error(placed.order_id, DUPLICATE_ORDER_ID, "Duplicate order id")
        return None

    def _book(self, placed: PlacedOrder, contract: FakeContract) -> FakeOrder:
        """Record a placement: a new order, or the new terms of a live one."""
        tws = self._tws
        tws.placements.append(placed)
        order = tws.orders.get(placed.order_id)
        if order is not None:
            order.placed, order.contract = placed, contract
            return order
        order = FakeOrder(
            placed.order_id, placed.client_id, self._next_perm_id, placed, contract, tws.working_status,
            account=placed.account or tws.account,
        )
        self._next_perm_id += 1
        tws.orders[placed.order_id] = order
        return order

    def _order_contract(self, placed: PlacedOrder) -> FakeContract:
        """The listed contract an order trades, or its BAG; KeyError names what is not listed."""
        catalog = self._tws.catalog
        if placed.sec_type == "BAG":
            for leg in placed.legs:
                catalog.get(leg.con_id)
            currency = placed.currency or "USD"
            return FakeContract(BAG_CON_ID, "BAG", placed.symbol, exchange=placed.exchange, currency=currency)
        found = catalog.match(placed.contract)
        if len(found) != 1:
            raise KeyError(f"{len(found)} listed contracts match {placed.contract}")
        return dataclasses.replace(found[0], exchange=placed.exchange or found[0].exchange)

    def _on_cancel_order(self, link: ClientLink, fields: Fields) -> list[Reply]:
        """``[4, 1, orderId, (manualCancelOrderTime from 169)]``.

        Answer: orderStatus ``Cancelled`` to the client's connections, then error 202 for the order
        id. An order of another client or unknown: error 10147; a filled or cancelled one: 10148.
        """
        order_id = int(fields[2])
        order = self._tws.orders.get(order_id)
        if order is None or order.client_id != (link.client_id or 0):
            message = f"OrderId {order_id} that needs to be cancelled is not found."
            return [_error(order_id, CANCEL_NOT_FOUND, message)]
        if order.is_final:
            message = f"OrderId {order_id} that needs to be cancelled cannot be cancelled, "
            message += f"state: {order.status}."
            return [_error(order_id, CANCEL_REFUSED, message)]
        self._cancel(order)
        return []

    def _on_global_cancel(self, link: ClientLink, fields: Fields) -> list[Reply]:
        """``[58, 1]``: cancel every live order of every client, each as a single cancel is."""
        for order in list(self._tws.orders.values()):
            if not order.is_final:
                self._cancel(order)
        return []

    def _cancel(self, order: FakeOrder) -> None:
        """End ``order`` cancelled: orderStatus ``Cancelled`` then error 202 to its client."""
        order.status = "Cancelled"
        order.completed_time = self._timestamp()
        self._send_to_client(order.client_id, order_status(order))
        self._send_to_client(order.client_id, _error(order.order_id, ORDER_CANCELLED, ORDER_CANCELLED_TEXT))

    # --- filling ------------------------------------------------------------------------------

    def fill(
        self,
        order_id: int,
        price: float,
        leg_prices: Sequence[float] | None = None,
        quantity: float | None = None,
    ) -> list[FakeExecution]:
        """Fill ``quantity`` (default: all that remains) of a live order at ``price``.

        A combo fills at the net ``price`` (negative for a credit), each leg at ``leg_prices`` (in
        leg order; when None they are derived from the legs' quotes, see ``_derive_leg_prices``).
        Sends to the client: execDetails and commissionReport per leg and for the BAG, then
        orderStatus and openOrder; pushes the changed positions. Returns the executions.
        """
        order = self._live_order(order_id)
        quantity = order.remaining if quantity is None else quantity
        if not 0 < quantity <= order.remaining:
            raise ValueError(f"order {order_id}: cannot fill {quantity}, {order.remaining} remain")
        executions = self._executions(order, price, leg_prices, quantity)
        self._tws.executions.extend(executions)
        self._record_fill(order, price, quantity)
        for execution in executions:
            self._send_to_client(order.client_id, commission_report(execution), execution=execution)
        self._announce(order, status_first=True)
        for execution in executions:
            if execution.contract.sec_type != "BAG":
                self._move_position(execution)
        return executions

    def _live_order(self, order_id: int) -> FakeOrder:
        """The order with ``order_id``, which must be live."""
        order = self._tws.orders.get(order_id)
        if order is None:
            raise ValueError(f"no order {order_id} was placed")
        if order.is_final:
            raise ValueError(f"order {order_id} is {order.status}")
        return order

    def _record_fill(self, order: FakeOrder, price: float, quantity: float) -> None:
        """Move the order's filled quantity, average and status."""
        total = order.filled + quantity
        order.avg_fill_price = (order.avg_fill_price * order.filled + price * quantity) / total
        order.filled = total
        order.last_fill_price = price
        if order.remaining <= 0:
            order.status = "Filled"
            order.completed_time = self._timestamp()

    def _executions(
        self, order: FakeOrder, price: float, leg_prices: Sequence[float] | None, quantity: float
    ) -> list[FakeExecution]:
        """The executions of one fill: every leg then the BAG, or the single contract."""
        placed = order.placed
        if placed.sec_type != "BAG":
            return [self._execution(order, order.contract, placed.action, quantity, price, part=1)]
        prices = list(leg_prices) if leg_prices is not None else self._derive_leg_prices(placed.legs, price)
        _check_leg_prices(placed.legs, prices, price)
        flipped = placed.action == "SELL"
        executions = [
            self._execution(order, self._tws.catalog.get(leg.con_id), _leg_action(leg, flipped),
                            quantity * leg.ratio, leg_price, part=number)
            for number, (leg, leg_price) in enumerate(zip(placed.legs, prices, strict=True), start=1)
        ]
        executions.append(self._execution(order, order.contract, placed.action, quantity, price, part=0))
        return executions

    def _execution(
        self, order: FakeOrder, contract: FakeContract, action: str, shares: float, price: float, part: int
    ) -> FakeExecution:
        """One execution; leg executions pay the commission, the BAG's carries none."""
        of_order = [e for e in self._tws.executions if e.order_id == order.order_id]
        earlier = [e for e in of_order if e.contract.con_id == contract.con_id]
        fill_number = sum(1 for e in of_order if e.contract.con_id == order.contract.con_id)
        cum_qty = sum(e.shares for e in earlier) + shares
        avg_price = (sum(e.shares * e.price for e in earlier) + shares * price) / cum_qty
        per_contract = 0.0 if contract.sec_type == "BAG" else self._tws.commission_per_contract
        commission = round(per_contract * shares, 2)
        return FakeExecution(
            exec_id=f"{order.perm_id:08x}.{fill_number + 1:08x}.{part:02d}.01",
            order_id=order.order_id,
            client_id=order.client_id,
            perm_id=order.perm_id,
            account=order.account,
            contract=contract,
            venue=OPTION_VENUE if contract.exchange == "SMART" else contract.exchange,
            side=SIDES[action],
            shares=shares,
            price=price,
            cum_qty=cum_qty,
            avg_price=round(avg_price, 8),
            order_ref=order.placed.order_ref,
            time=self._tws.clock(),
            commission=commission,
        )

    def _derive_leg_prices(self, legs: Sequence[PlacedLeg], net: float) -> list[float]:
        """Leg prices adding up to ``net``: each leg's quote mid (0 unquoted), the difference put
        on the first leg that can take it without going below zero."""
        prices = [self._mid(leg.con_id) for leg in legs]
        residual = net - sum(leg.sign * leg.ratio * p for leg, p in zip(legs, prices, strict=True))
        for index, leg in enumerate(legs):
            adjusted = prices[index] + residual / (leg.sign * leg.ratio)
            if adjusted >= 0:
                prices[index] = round(adjusted, 6)
                return prices
        raise ValueError(f"no leg prices of {legs} add up to {net}; give leg_prices")

    def _mid(self, con_id: int) -> float:
        """A leg's quote mid rounded to the cent, 0.0 when it has no quote."""
        quote = self._tws.quotes.get(con_id)
        mid = quote.mid if quote is not None else None
        return round(mid, 2) if mid is not None else 0.0

    # --- positions ----------------------------------------------------------------------------

    def _move_position(self, execution: FakeExecution) -> None:
        """Apply one execution to ``tws.positions`` and push the new position to subscribers."""
        positions = self._tws.positions
        contract = self._tws.catalog.contracts.get(execution.contract.con_id, execution.contract)
        change = execution.shares if execution.side == "BOT" else -execution.shares
        cost = execution.price * float(contract.multiplier or 1)
        index = next((i for i, p in enumerate(positions) if p[0].con_id == contract.con_id), None)
        _, old_quantity, old_cost = positions[index] if index is not None else (contract, 0.0, 0.0)
        quantity = old_quantity + change
        average = _average_cost(old_quantity, old_cost, change, cost)
        if index is not None:
            del positions[index]
        if quantity:
            positions.append((contract, quantity, average))
        for link in self._tws.links:
            if link.wants_positions:
                link.send(*position(self._tws.account, contract, quantity, average if quantity else 0.0))

    def _on_positions(self, link: ClientLink, fields: Fields) -> list[Reply]:
        """``[61, 1]``: every position, then positionEnd ``[62, 1]``; changes are pushed from now on."""
        link.wants_positions = True
        replies: list[Reply] = [position(self._tws.account, c, q, a) for c, q, a in self._tws.positions]
        replies.append((Outgoing.POSITION_END, 1))
        return replies

    def _on_cancel_positions(self, link: ClientLink, fields: Fields) -> list[Reply]:
        """``[64, 1]``: stop pushing position changes; no answer."""
        link.wants_positions = False
        return []

    # --- replays ------------------------------------------------------------------------------

    def _on_open_orders(self, link: ClientLink, fields: Fields) -> list[Reply]:
        """``[5, 1]``: the live orders of this client id, each as openOrder and orderStatus, then
        openOrderEnd ``[53, 1]``."""
        return self._open_orders(link, lambda order: order.client_id == (link.client_id or 0))

    def _on_all_open_orders(self, link: ClientLink, fields: Fields) -> list[Reply]:
        """``[16, 1]``: the live orders of every client, then openOrderEnd."""
        return self._open_orders(link, lambda order: True)

    def _open_orders(self, link: ClientLink, wanted: OrderFilter) -> list[Reply]:
        """openOrder and orderStatus of each live order ``wanted`` accepts, then openOrderEnd."""
        replies: list[Reply] = []
        for order in self._tws.orders.values():
            if not order.is_final and wanted(order):
                replies += [open_order(order, order.contract, link.server_version), order_status(order)]
        replies.append((Outgoing.OPEN_ORDER_END, 1))
        return replies

    def _on_completed_orders(self, link: ClientLink, fields: Fields) -> list[Reply]:
        """``[99, apiOnly]``: every filled or cancelled order as completedOrder, then ``[102]``."""
        replies: list[Reply] = [
            completed_order(order, order.contract, link.server_version)
            for order in self._tws.orders.values()
            if order.is_final
        ]
        replies.append((Outgoing.COMPLETED_ORDERS_END,))
        return replies

    def _on_executions(self, link: ClientLink, fields: Fields) -> list[Reply]:
        """``[7, 3, reqId, clientId, acctCode, time, symbol, secType, exchange, side]``: every
        execution the filter lets through (client id 0 and empty fields let all through; the time
        is not applied), each followed by its commissionReport, then ``[55, 1, reqId]``."""
        reader = FieldReader(fields, start=2)
        request_id = reader.integer("reqId")
        wanted = _ExecutionFilter.read(reader)
        replies: list[Reply] = []
        for execution in self._tws.executions:
            if wanted.accepts(execution):
                replies.append(exec_details(request_id, execution, link.server_version))
                replies.append(commission_report(execution))
        replies.append((Outgoing.EXECUTION_DATA_END, 1, request_id))
        return replies

    # --- sending ------------------------------------------------------------------------------

    def _announce(self, order: FakeOrder, status_first: bool = False) -> None:
        """Send openOrder and orderStatus of ``order`` to its client (in the other order after a fill)."""
        for link in self._links_of(order.client_id):
            messages = [open_order(order, order.contract, link.server_version), order_status(order)]
            for message in reversed(messages) if status_first else messages:
                link.send(*message)

    def _send_to_client(
        self, client_id: int, message: Reply, execution: FakeExecution | None = None
    ) -> None:
        """Send ``message`` to every connection of ``client_id``; an execution's details go first."""
        for link in self._links_of(client_id):
            if execution is not None:
                link.send(*exec_details(LIVE_EXECUTION, execution, link.server_version))
            link.send(*message)

    def _links_of(self, client_id: int) -> list[ClientLink]:
        """The connections that started the API with ``client_id``."""
        return [link for link in self._tws.links if link.client_id == client_id]

    def _timestamp(self) -> str:
        """Now on the fake's clock, as TWS writes completion times."""
        return f"{self._tws.clock().astimezone(UTC):%Y%m%d %H:%M:%S} UTC"


@dataclasses.dataclass(frozen=True)
class _ExecutionFilter:
    """reqExecutions' filter: a field left empty (or client id 0) lets everything through."""

    client_id: int
    account: str
    symbol: str
    sec_type: str
    exchange: str
    side: str

    @classmethod
    def read(cls, reader: FieldReader) -> _ExecutionFilter:
        """Read ``clientId, acctCode, time, symbol, secType, exchange, side``."""
        client_id = reader.integer("clientId")
        account = reader.text("acctCode")
        reader.text("time")
        return cls(client_id, account, reader.text("symbol"), reader.text("secType"),
                   reader.text("exchange"), reader.text("side"))

    def accepts(self, execution: FakeExecution) -> bool:
        """True if ``execution`` passes every field that is set."""
        contract = execution.contract
        checks = (
            (self.client_id, execution.client_id == self.client_id),
            (self.account, execution.account == self.account),
            (self.symbol, contract.symbol == self.symbol),
            (self.sec_type, contract.sec_type == self.sec_type),
            (self.exchange, execution.venue == self.exchange),
            (self.side, execution.side == SIDES.get(self.side, self.side)),
        )
        return all(passes for is_set, passes in checks if is_set)


def _leg_action(leg: PlacedLeg, flipped: bool) -> str:
    """What a leg does when the combo is bought (its own action) or sold (the opposite)."""
    if not flipped:
        return leg.action
    return "SELL" if leg.action == "BUY" else "BUY"


def _check_leg_prices(legs: Sequence[PlacedLeg], prices: Sequence[float], net: float) -> None:
    """Leg prices must be one per leg and add up (bought legs plus, sold legs minus) to the net."""
    if len(prices) != len(legs):
        raise ValueError(f"{len(prices)} leg prices for {len(legs)} legs")
    total = sum(leg.sign * leg.ratio * price for leg, price in zip(legs, prices, strict=True))
    if abs(total - net) > 1e-6:
        raise ValueError(f"leg prices {list(prices)} add up to {total:.6f}, not the net {net}")


def _average_cost(quantity: float, cost: float, change: float, price_cost: float) -> float:
    """The average cost after ``change`` at ``price_cost``: a growing position averages in, a
    shrinking one keeps its cost, a position that flips side starts at the new price."""
    new_quantity = quantity + change
    if quantity == 0 or quantity * new_quantity < 0:
        return price_cost
    if abs(new_quantity) > abs(quantity):
        return (quantity * cost + change * price_cost) / new_quantity
    return cost


def _error(request_id: int, code: int, message: str) -> Reply:
    """``[4, 2, reqId, code, message, advancedOrderRejectJson]``."""
    return (Outgoing.ERROR, 2, request_id, code, message, "")
