"""Script a FakeTws with one historical day's market: the IB path then trades a day we know.

The indices (SPX, VIX, VIX9D, VIX3M) are quoted at that day's close from the bundled history; the SPX
chain lists every expiry listed that day (SPX monthlies and SPXW weeklies as separate trading
classes) on the modelled strike grid, and the expiries in `quoted_dte` are quoted with the modelled
chain's bids and asks at the close (engine.data.chain_model), with IB-style model Greeks. So what
the live feed sees is the replay's market of that close, and the strategy's decision on IB quotes
can be compared with its decision on the replay.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from engine import calendar
from engine.data.chain_model import ModelledChainSource
from engine.data.history import MarketHistory
from engine.model import ChainSlice, Expiration, SideQuotes
from tests.fake_tws.server import FakeTws

INDEX_IDS = {"SPX": 416904, "VIX": 13455763, "VIX9D": 259047440, "VIX3M": 319008888}
FIRST_OPTION_ID = 500_000_000
QUOTED_DTE = (20, 70)  # the strategy's entry window (30-45 DTE) with room either side


@dataclass
class ModelWorld:
    """What was scripted: the day, its expirations, the quoted slices and every option's con id."""

    day: date
    spot: float
    expirations: list[Expiration]
    slices: dict[Expiration, ChainSlice] = field(default_factory=dict)
    con_ids: dict[tuple[str, date, float, str], int] = field(default_factory=dict)

    def con_id(self, trading_class: str, expiry: date, strike: float, right: str) -> int:
        """Return the con id of one listed option."""
        return self.con_ids[(trading_class, expiry, float(strike), right)]


def _quote_side(tws: FakeTws, world: ModelWorld, chain: ChainSlice, side: SideQuotes, right: str) -> None:
    e = chain.expiration
    for i, strike in enumerate(chain.strikes):
        bid, ask = float(side.bid[i]), float(side.ask[i])
        if not (math.isfinite(bid) and math.isfinite(ask)):
            continue
        greeks = {name: float(getattr(side, name)[i]) for name in ("iv", "delta", "gamma", "vega", "theta")}
        known = {k: (v if math.isfinite(v) else None) for k, v in greeks.items()}
        tws.set_quote(world.con_id(e.trading_class, e.expiry, float(strike), right), bid, ask,
                      underlying=chain.spot, **known)


def script_model_day(tws: FakeTws, history: MarketHistory, day: date,
                     quoted_dte: tuple[int, int] = QUOTED_DTE) -> ModelWorld:
    """List and quote `day`'s close on `tws` (module doc); return what was scripted."""
    seen = history.up_to(day)
    row = seen.row_of(day)
    for symbol, con_id in INDEX_IDS.items():
        tws.add_index(symbol, con_id)
        column = "spx" if symbol == "SPX" else symbol.lower()
        bar = {name: float(seen.column(f"{column}_{name}")[row]) for name in ("open", "high", "low", "close")}
        if math.isfinite(bar["close"]):
            tws.set_quote(con_id, None, None, last=bar["close"], **{
                key: (bar[name] if math.isfinite(bar[name]) else None)
                for key, name in (("day_open", "open"), ("day_high", "high"), ("day_low", "low"))})
    source = ModelledChainSource(seen)
    market = source.market_on(day)
    expirations = list(calendar.listed_expirations(market.as_of))
    world = ModelWorld(day, market.spot, expirations)
    next_id = FIRST_OPTION_ID
    for expiration in expirations:
        chain = source.slice_at(day, expiration)
        for strike in chain.strikes:
            for right in ("C", "P"):
                tws.list_option("SPX", expiration.expiry.strftime("%Y%m%d"), float(strike), right,
                                expiration.trading_class, con_id=next_id)
                world.con_ids[(expiration.trading_class, expiration.expiry, float(strike), right)] = next_id
                next_id += 1
        if quoted_dte[0] <= (expiration.expiry - day).days <= quoted_dte[1]:
            world.slices[expiration] = chain
            _quote_side(tws, world, chain, chain.calls, "C")
            _quote_side(tws, world, chain, chain.puts, "P")
    return world
