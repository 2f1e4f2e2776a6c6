"""The embedded paper broker: fills combo limit orders against quoted bids and asks.

How it fills (engine.brokers.fill_model for the arithmetic; [execution] in defaults.toml):

* `submit` only accepts (WORKING) or rejects (REJECTED, the detail naming the bad field and
  value); it never fills. Fills happen in one place, `on_market(moment)`, which the session calls
  right after submitting and on every market update, so a run is deterministic.
* On `on_market(moment)` each working order, in the order it was accepted, first expires when
  `moment` is past its `expires_at`. Otherwise its legs are priced on the quotes at `moment`:
  each leg at its mid moved against the trader by a share of its bid-ask width ("mid": none,
  "natural": half, "mid_plus": `slippage_fraction`, default 0.25), the net floored to the combo
  tick (0.05) against the trader. When that net reaches the limit (net >= limit) the whole order
  fills at the *model's* net, which may be better than the limit, as a marketable limit order
  gets the market's price. A limit the market does not reach stays working; so does an order
  whose legs are not quoted (no quote, NaN, crossed).
* All-or-none: partial fills are not modelled. A fill's id is ``<order_id>-F1``, stable across
  runs and restarts.
* Fees: dollars per contract per leg, commission 0.65 + exchange 0.60 + regulatory 0.04 by
  default (2.58 for one contract of a two-leg spread), charged on the fill.
* No wall clock, no randomness: an update is stamped with the `moment` given to `on_market`, or
  for `submit` / `cancel` with their `at` keyword (default: the order's `created_at`, and for a
  cancel the later of that and the last market moment seen).

Persistence: given a Store, every change (an order accepted or rejected, a status change, a fill
with its status) is written in one transaction to the `paper_orders` / `paper_fills` tables
before it is reported, and a new PaperBroker on the same file loads them back and keeps working
the open orders. It stands for an outside broker whose memory survives the terminal's crash; the
queue of undrained updates is not kept (the session reconciles with `order_status` and
`fills_for`). A rejected order whose times are not timezone-aware cannot be stored and is kept
in memory only. Without a Store everything lives in memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from engine.brokers.base import QuoteSource
from engine.brokers.fill_model import FeeSchedule, combo_fill_price
from engine.codec import dumps, loads
from engine.config import ExecutionParams
from engine.errors import InputError
from engine.model import Fill, Order, OrderStatus, OrderUpdate
from engine.store import Store

PRICE_TOLERANCE = 1e-9  # a net equal to the limit up to float noise reaches it


@dataclass(frozen=True, slots=True)
class PaperOrder:
    """The paper broker's record of one order: the order as received and where it stands."""

    order: Order
    status: OrderStatus
    updated_at: datetime
    detail: str = ""


def _require_aware(moment: datetime, field: str) -> None:
    """Raise InputError unless `moment` is a timezone-aware datetime."""
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise InputError(field, moment, "must be a timezone-aware datetime")


def validate_order(order: Order) -> None:
    """Raise InputError naming the first field of `order` the paper broker cannot accept."""
    if not order.order_id:
        raise InputError("order_id", order.order_id, "must be a non-empty string")
    if isinstance(order.contracts, bool) or not isinstance(order.contracts, int) or order.contracts < 1:
        raise InputError("contracts", order.contracts, "must be a whole number >= 1")
    if not order.legs:
        raise InputError("legs", order.legs, "must hold at least one leg")
    for i, leg in enumerate(order.legs):
        if leg.ratio == 0:
            raise InputError(f"legs[{i}].ratio", leg.ratio, "must be non-zero (+ buy, - sell)")
        if not (math.isfinite(leg.strike) and leg.strike > 0):
            raise InputError(f"legs[{i}].strike", leg.strike, "must be a finite number > 0")
    if not math.isfinite(order.limit_price):
        raise InputError("limit_price", order.limit_price, "must be a finite number")
    _require_aware(order.created_at, "created_at")
    _require_aware(order.expires_at, "expires_at")


class PaperBroker:
    """A broker that fills against quotes from a QuoteSource (module doc for the rules)."""

    def __init__(
        self, quotes: QuoteSource, execution: ExecutionParams, store: Store | None = None, name: str = "paper"
    ) -> None:
        """Create the broker; with a `store`, load the orders and fills it kept there."""
        self.name = name
        self.quotes = quotes
        self.execution = execution
        self.fees = FeeSchedule.from_params(execution)
        self._store = store
        self._orders: dict[str, PaperOrder] = {}  # insertion order = the order orders are worked in
        self._fills: dict[str, list[Fill]] = {}
        self._updates: list[OrderUpdate] = []
        self._last_moment: datetime | None = None
        if store is not None:
            self._load(store)

    # --- the Broker protocol ------------------------------------------------------------------

    def submit(self, order: Order, *, at: datetime | None = None) -> None:
        """Accept `order` as WORKING, or record it REJECTED; ignore an order_id already known.

        `at` stamps the update (default: the order's created_at). Nothing fills here: the
        session calls `on_market` next.
        """
        if order.order_id in self._orders:
            return
        if at is not None:
            _require_aware(at, "at")
        when = at if at is not None else order.created_at
        try:
            validate_order(order)
        except InputError as exc:
            self._change(PaperOrder(order, OrderStatus.REJECTED, when, f"rejected: {exc}"))
            return
        self._change(PaperOrder(order, OrderStatus.WORKING, when, "accepted"))

    def cancel(self, order_id: str, *, at: datetime | None = None) -> None:
        """Cancel a working order; a final or unknown order is left as it is.

        `at` stamps the update (default: the later of the order's created_at and the last
        market moment seen).
        """
        record = self._orders.get(order_id)
        if record is None or record.status.is_final:
            return
        if at is not None:
            _require_aware(at, "at")
        when = at if at is not None else self._default_moment(record.order)
        self._change(replace(record, status=OrderStatus.CANCELLED, updated_at=when, detail="cancelled"))

    def modify(self, order_id: str, limit_price: float, *, at: datetime | None = None) -> None:
        """Give a working order a new limit (same id); it works the next market moment with it.

        A final or unknown order is left as it is. `at` stamps the update (as for `cancel`).
        """
        record = self._orders.get(order_id)
        if record is None or record.status.is_final:
            return
        when = at if at is not None else self._default_moment(record.order)
        order = replace(record.order, limit_price=limit_price)
        detail = f"limit modified to {limit_price:.2f}"
        self._change(replace(record, order=order, updated_at=when, detail=detail))

    def on_market(self, moment: datetime) -> None:
        """Work every open order against the quotes at `moment`: expire, fill, or leave working."""
        _require_aware(moment, "moment")
        self._last_moment = moment
        working = [r for r in self._orders.values() if r.status is OrderStatus.WORKING]
        for record in working:
            self._work(record, moment)

    def drain_updates(self) -> list[OrderUpdate]:
        """Return the status changes and fills since the last call, oldest first."""
        updates, self._updates = self._updates, []
        return updates

    def order_status(self, order_id: str) -> OrderStatus | None:
        """Return the status of an order, None if this broker never received it."""
        record = self._orders.get(order_id)
        return None if record is None else record.status

    def fills_for(self, order_id: str) -> tuple[Fill, ...]:
        """Return every fill of an order, oldest first (empty when none or unknown)."""
        return tuple(self._fills.get(order_id, ()))

    # --- beyond the protocol ------------------------------------------------------------------

    def record(self, order_id: str) -> PaperOrder | None:
        """Return the broker's record of an order (order, status, last change), None if unknown."""
        return self._orders.get(order_id)

    # --- internals ----------------------------------------------------------------------------

    def _default_moment(self, order: Order) -> datetime:
        """Return the time to stamp a change the caller gave no time for."""
        if self._last_moment is None:
            return order.created_at
        return max(self._last_moment, order.created_at)

    def _work(self, record: PaperOrder, moment: datetime) -> None:
        """Expire, fill, or leave working one order at `moment`."""
        order = record.order
        if moment > order.expires_at:
            detail = f"time in force ended at {order.expires_at.isoformat()}"
            self._change(replace(record, status=OrderStatus.EXPIRED, updated_at=moment, detail=detail))
            return
        fill = self._try_fill(order, moment)
        if fill is not None:
            detail = f"filled {fill.contracts} at {fill.price:.2f}"
            self._change(replace(record, status=OrderStatus.FILLED, updated_at=moment, detail=detail), fill)

    def _try_fill(self, order: Order, moment: datetime) -> Fill | None:
        """Return the fill the quotes at `moment` give `order`, None if not quoted or not reached."""
        quotes = self.quotes.leg_quotes(moment, order.legs)
        if quotes is None:
            return None
        ex = self.execution
        priced = combo_fill_price(quotes, order.legs, ex.fill_model, ex.slippage_fraction, ex.combo_tick)
        if priced is None or priced[0] < order.limit_price - PRICE_TOLERANCE:
            return None
        net, leg_prices = priced
        commission = self.fees.for_fill(order.contracts, len(order.legs))
        return Fill(
            f"{order.order_id}-F1", order.order_id, moment, order.contracts, net, leg_prices, commission
        )

    def _change(self, record: PaperOrder, fill: Fill | None = None) -> None:
        """Store a change (when there is a store), then apply it in memory and report it."""
        self._persist(record, fill)
        order_id = record.order.order_id
        self._orders[order_id] = record
        if fill is not None:
            self._fills.setdefault(order_id, []).append(fill)
        self._updates.append(OrderUpdate(order_id, record.status, record.updated_at, record.detail, fill))

    def _persist(self, record: PaperOrder, fill: Fill | None) -> None:
        """Write the order's new state and its fill, if any, in one transaction."""
        if self._store is None:
            return
        try:
            payload = dumps(record)
        except InputError:
            if record.status is OrderStatus.REJECTED:
                return  # naive times cannot be stored; a rejection changes nothing at the broker
            raise
        with self._store.transaction() as db:
            # an upsert, not INSERT OR REPLACE: keeps the rowid, i.e. the order orders are worked in
            db.execute(
                "INSERT INTO paper_orders (order_id, status, updated_utc, payload) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(order_id) DO UPDATE SET status = excluded.status, "
                "updated_utc = excluded.updated_utc, payload = excluded.payload",
                [record.order.order_id, record.status.value, _utc_text(record.updated_at), payload],
            )
            if fill is not None:
                db.execute(
                    "INSERT INTO paper_fills (fill_id, order_id, payload) VALUES (?, ?, ?)",
                    [fill.fill_id, fill.order_id, dumps(fill)],
                )

    def _load(self, store: Store) -> None:
        """Read back the orders and fills a broker on the same store kept."""
        for row in store.db.query("SELECT payload FROM paper_orders ORDER BY rowid"):
            record = loads(row["payload"], PaperOrder)
            self._orders[record.order.order_id] = record
        for row in store.db.query("SELECT order_id, payload FROM paper_fills ORDER BY rowid"):
            self._fills.setdefault(row["order_id"], []).append(loads(row["payload"], Fill))


def _utc_text(moment: datetime) -> str:
    """Return a timezone-aware moment as the store's UTC text."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
