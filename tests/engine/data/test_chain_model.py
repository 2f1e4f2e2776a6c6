"""The modelled SPX chain: listed expiries, strike grid, quotes on ticks, future-blind, labelled."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from engine import calendar
from engine.data.chain_model import ModelledChainSource, quote, strike_grid, tick_size
from engine.data.history import MarketHistory, load_history
from engine.data.surface import build_surface
from engine.errors import InputError
from engine.model import DataSource
from engine.store import Store

CRASH = date(2008, 10, 10)
CALM = date(2024, 6, 14)


@pytest.fixture(scope="module")
def history() -> MarketHistory:
    return load_history()


@pytest.fixture(scope="module")
def source(history: MarketHistory) -> ModelledChainSource:
    return ModelledChainSource(history)


def _near_45(source: ModelledChainSource, day: date):  # type: ignore[no-untyped-def]
    expirations = source.expirations(day)
    best = min(expirations, key=lambda e: abs((e.expiry - day).days - 45))
    return source.slice_at(day, best)


def test_chain_lists_the_days_expirations_and_is_labelled_modelled(source: ModelledChainSource) -> None:
    chain = source.chain_at(CRASH)
    assert chain.source is DataSource.MODELLED
    assert all(s.is_modelled for s in chain.slices)
    assert chain.expirations == calendar.listed_expirations(calendar.session_close(CRASH))
    assert chain.spot == pytest.approx(899.22)
    assert chain.as_of == calendar.session_close(CRASH)


def test_strikes_step_5_near_the_money(source: ModelledChainSource) -> None:
    for day in (CRASH, CALM, date(1995, 3, 1)):
        chain_slice = _near_45(source, day)
        strikes = chain_slice.strikes
        near = strikes[np.abs(np.log(strikes / chain_slice.forward)) < 0.05]
        assert len(near) > 3
        assert set(np.diff(near)) == {5.0}
        assert strikes.min() < chain_slice.forward < strikes.max()
        assert np.all(strikes % 5 == 0)


def test_quotes_sit_on_spx_ticks_and_around_the_model(source: ModelledChainSource) -> None:
    chain_slice = _near_45(source, CALM)
    for side in (chain_slice.calls, chain_slice.puts):
        assert np.all(side.bid >= 0)
        assert np.all(side.ask > side.bid)
        for prices in (side.bid, side.ask):
            ticks = tick_size(prices)
            assert np.allclose(np.round(prices / ticks) * ticks, prices, atol=1e-9)
        np.testing.assert_allclose(side.mid, (side.bid + side.ask) / 2)
        assert np.isnan(side.open_interest).all()  # unknown for modelled chains, not invented


def test_quote_rounds_outward_and_quotes_worthless_options_zero_bid() -> None:
    bid, ask = quote(np.array([0.01, 2.93, 10.0]), np.array([0.10, 0.2, 0.5]))
    np.testing.assert_allclose(bid, [0.0, 2.80, 9.70])
    np.testing.assert_allclose(ask, [0.10, 3.10, 10.30])
    bid, ask = quote(np.array([0.001]), np.array([0.0]))
    assert (bid[0], ask[0]) == (0.0, 0.05)


def test_put_call_parity_on_mids(source: ModelledChainSource) -> None:
    s = _near_45(source, CALM)
    atm = slice(s.atm_index - 5, s.atm_index + 6)
    discount = math.exp(-s.rate * s.time_to_expiry)
    parity = s.calls.mid[atm] - s.puts.mid[atm] - discount * (s.forward - s.strikes[atm])
    widths = (s.calls.ask - s.calls.bid + s.puts.ask - s.puts.bid)[atm]
    assert np.all(np.abs(parity) <= widths / 2)


def test_a_16_delta_put_45_days_out_exists_in_every_era(source: ModelledChainSource) -> None:
    for day in (date(1996, 5, 1), CRASH, date(2013, 9, 3), CALM):
        s = _near_45(source, day)
        assert 30 <= s.dte <= 60
        i = int(np.nanargmin(np.abs(s.puts.delta + 0.16)))
        assert abs(s.puts.delta[i] + 0.16) < 0.02
        assert s.strikes[i] - 50 in set(s.strikes)  # the 50-wide long leg is listed


def test_skew_puts_richer_than_calls_and_crisis_vol_high(source: ModelledChainSource) -> None:
    s = _near_45(source, CALM)
    otm_put = np.nanargmin(np.abs(s.puts.delta + 0.25))
    otm_call = np.nanargmin(np.abs(s.calls.delta - 0.25))
    assert s.puts.iv[otm_put] > s.calls.iv[otm_call]
    crash_atm = _near_45(source, CRASH)
    assert crash_atm.puts.iv[crash_atm.atm_index] > 0.4  # VIX closed at 69.95


def test_surface_replicates_the_vix_it_was_built_from() -> None:
    # Cboe's variance-swap formula applied to the model's own 30-day smile gives back VIX.
    from engine.data.surface import _replicated_vol

    surface = build_surface(vix=25.0, vix9d=math.nan, vix3m=27.0, skew_index=135.0)
    t = 30 / 365
    assert _replicated_vol(surface.atm_vol(t), t, surface.beta) == pytest.approx(0.25, rel=1e-6)
    assert surface.atm_vol(t) < 0.25  # ATM is below the variance-swap vol under a put skew
    missing = build_surface(vix=25.0, vix9d=math.nan, vix3m=math.nan, skew_index=math.nan)
    assert missing.skew_was_missing


def test_chain_is_future_blind(history: MarketHistory, source: ModelledChainSource) -> None:
    cut = ModelledChainSource(history.up_to(CRASH))
    full_slice = _near_45(source, CRASH)
    cut_slice = _near_45(cut, CRASH)
    np.testing.assert_array_equal(full_slice.strikes, cut_slice.strikes)
    np.testing.assert_array_equal(full_slice.puts.mid, cut_slice.puts.mid)
    np.testing.assert_array_equal(full_slice.calls.delta, cut_slice.calls.delta)


def test_holidays_and_dates_outside_the_history_are_refused(source: ModelledChainSource) -> None:
    with pytest.raises(InputError, match=r"2008-07-04.*not a session"):
        source.chain_at(date(2008, 7, 4))
    with pytest.raises(InputError, match="1989-06-01"):
        source.chain_at(date(1989, 6, 1))


def test_strike_grid_is_positive_and_lists_the_round_strike_at_the_forward() -> None:
    grid = strike_grid(4000.0, 0.15, 45 / 365)
    assert grid[0] > 0
    assert 4000.0 in set(grid)


def test_a_chain_saved_to_the_store_reads_back_identical(source: ModelledChainSource, tmp_path: Path) -> None:
    chain = source.chain_at(CRASH)
    store = Store(tmp_path / "chains.db")
    store.save_chain(chain)
    back = store.load_chain("SPX", chain.as_of, DataSource.MODELLED)
    store.close()
    assert back.as_of == chain.as_of
    assert back.expirations == chain.expirations
    for a, b in zip(chain.slices, back.slices, strict=True):
        np.testing.assert_array_equal(a.strikes, b.strikes)
        for side_a, side_b in ((a.calls, b.calls), (a.puts, b.puts)):
            for name in side_a.__slots__:
                np.testing.assert_array_equal(getattr(side_a, name), getattr(side_b, name))
        assert (a.forward, a.rate, a.time_to_expiry, a.expiration) == (
            b.forward,
            b.rate,
            b.time_to_expiry,
            b.expiration,
        )
