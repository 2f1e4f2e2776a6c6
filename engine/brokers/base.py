"""The broker protocol: what the trading session needs from any broker, paper or Interactive Brokers.

The session journals an order *before* it calls `submit`, and records what `drain_updates` reports
*after*. Crash safety rests on two promises every broker keeps:

* `submit` is idempotent on `Order.order_id`: a second submit of an id the broker already knows
  is ignored (IB: the id travels as the order reference and is looked up before placing).
* The broker can be asked, after a restart, what it knows: `order_status(order_id)` (None when
  the order never reached it) and `fills_for(order_id)` (every execution, with stable fill ids).

So on start the session reconciles every journaled order that is not final: an order the broker
never saw is submitted (it was never sent); fills the journal lacks are applied (by fill id, so
none twice). An order is never sent twice and no fill is lost.

`on_market(moment)` tells the broker the market moved (new quotes at `moment`): the paper broker
tries its working orders against them and expires orders past their time in force; a live broker
that hears from its venue ignores it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from engine.model import ComboLeg, Fill, Order, OrderStatus, OrderUpdate

Quote = tuple[float, float]  # (bid, ask) of one option, points; NaN when there is no quote


class QuoteSource(Protocol):
    """Where the paper broker sees the market: bid and ask of each leg at a moment."""

    def leg_quotes(self, moment: datetime, legs: Sequence[ComboLeg]) -> tuple[Quote, ...] | None:
        """Return (bid, ask) per leg at `moment`, or None when the options are not quoted then."""
        ...


class Broker(Protocol):
    """What the trading session needs from a broker (module doc for the promises)."""

    name: str

    def submit(self, order: Order) -> None:
        """Accept an order; ignore an order_id already known (idempotent)."""
        ...

    def cancel(self, order_id: str) -> None:
        """Cancel a working order; a final or unknown order is left as it is."""
        ...

    def modify(self, order_id: str, limit_price: float) -> None:
        """Change a working order's limit, keeping its id; a final or unknown order is left as it is."""
        ...

    def on_market(self, moment: datetime) -> None:
        """Hear that the market moved to `moment`: work resting orders, expire stale ones."""
        ...

    def drain_updates(self) -> list[OrderUpdate]:
        """Return the status changes and fills since the last call, oldest first."""
        ...

    def order_status(self, order_id: str) -> OrderStatus | None:
        """Return the broker's status of an order, None if it never received it."""
        ...

    def fills_for(self, order_id: str) -> tuple[Fill, ...]:
        """Return every fill of an order the broker knows, oldest first."""
        ...
