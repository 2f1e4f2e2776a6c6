"""Recording what the IB feed delivers and replaying it at its real timestamps (never a later one)."""

from __future__ import annotations

import asyncio
import math
from datetime import date, timedelta
from pathlib import Path

import pytest

from engine import calendar
from engine.brokers.ib.recorder import ChainRecorder
from engine.data.history import MarketHistory
from engine.data.recorded import RecordedFeed
from engine.errors import InputError
from engine.model import ComboLeg, DataSource, Right
from engine.store import Store
from tests.engine.brokers.ib.ib_rig import SIGNAL_DAY, open_rig
from tests.fake_tws.model_world import script_model_day
from tests.fake_tws.server import FakeTws

pytestmark = pytest.mark.timeout(60)


def test_recorded_snapshots_replay_at_their_own_moments(history: MarketHistory, tmp_path: Path) -> None:
    first_moment = calendar.session_close(SIGNAL_DAY) - timedelta(minutes=10)

    async def scenario() -> tuple[float, float, float, float]:
        async with FakeTws() as tws:
            world = script_model_day(tws, history, SIGNAL_DAY)
            rig = await open_rig(tws.port, history, tmp_path / "live.sqlite", first_moment)
            store = Store(tmp_path / "recorded.sqlite")
            recorder = ChainRecorder(rig.feed, store)
            expiration = rig.feed.targets[0]
            con_id = world.con_id(expiration.trading_class, expiration.expiry, 1885.0, "P")
            assert recorder.record() is not None
            before = rig.feed.leg_quotes(rig.clock.now(), [short_put(expiration.expiry)])[0]
            tws.set_quote(con_id, before[0] + 1.0, before[1] + 1.0)  # the market moves
            await asyncio.sleep(0.1)
            rig.clock.advance_to(first_moment + timedelta(minutes=5))
            assert recorder.record() is not None
            after = rig.feed.leg_quotes(rig.clock.now(), [short_put(expiration.expiry)])[0]
            store.close()
            await rig.close()
            return (*before, *after)

    bid1, ask1, bid2, ask2 = asyncio.run(scenario())
    assert (bid2, ask2) == (bid1 + 1.0, ask1 + 1.0)

    store = Store(tmp_path / "recorded.sqlite")
    feed = RecordedFeed(store, history.up_to(SIGNAL_DAY))
    assert feed.times == [first_moment, first_moment + timedelta(minutes=5)]
    assert feed.sessions(SIGNAL_DAY, SIGNAL_DAY) == [SIGNAL_DAY]
    leg = [short_put(feed.chains.expirations(SIGNAL_DAY)[0].expiry)]
    assert feed.leg_quotes(first_moment - timedelta(seconds=1), leg) is None  # nothing before the first
    assert feed.leg_quotes(first_moment, leg) == ((bid1, ask1),)
    assert feed.leg_quotes(first_moment + timedelta(minutes=4, seconds=59), leg) == ((bid1, ask1),)
    assert feed.leg_quotes(first_moment + timedelta(minutes=5), leg) == ((bid2, ask2),)
    expiration = feed.chains.expirations(SIGNAL_DAY)[0]
    chain = feed.slice_at(first_moment + timedelta(minutes=6), expiration, [1885.0, 1.0])
    assert chain.source is DataSource.RECORDED
    assert chain.puts.bid[1] == bid2
    assert list(chain.strikes) == [1.0, 1885.0]
    assert math.isnan(chain.puts.bid[0])  # a strike the snapshot does not hold: not quoted
    with pytest.raises(InputError, match="no recorded"):
        feed.slice_at(first_moment - timedelta(hours=1), expiration, [1885.0])
    store.close()


def short_put(expiry: date) -> ComboLeg:
    """Return the 1885 put of the target expiry (the 2015-02-20 SPX monthly)."""
    return ComboLeg(Right.PUT, 1885.0, expiry, -1, "SPX")


def test_a_recorded_day_replays_through_the_session_at_its_timestamps(history: MarketHistory,
                                                                       tmp_path: Path) -> None:
    """Record the 2015-01-16 close and the next entry window from the IB feed, then `optimus replay
    --recorded`: the strategy signals on the recorded close and the paper broker fills the entry
    against the recorded quotes of 2015-01-20."""
    from terminal.cli import main

    close = calendar.session_close(SIGNAL_DAY)
    entry_day = calendar.next_session(SIGNAL_DAY)
    before_entry = calendar.session_open(entry_day) + timedelta(minutes=55)  # 10:25, before 10:30

    async def record() -> None:
        async with FakeTws() as tws:
            script_model_day(tws, history, SIGNAL_DAY)
            rig = await open_rig(tws.port, history, tmp_path / "live.sqlite", close - timedelta(minutes=5))
            store = Store(tmp_path / "recorded.sqlite")
            recorder = ChainRecorder(rig.feed, store)
            for moment in (close - timedelta(minutes=5), close, before_entry):
                rig.clock.advance_to(moment)
                assert recorder.record() is not None
            store.close()
            await rig.close()

    asyncio.run(record())
    journal = tmp_path / "replay.sqlite"
    assert main(["replay", "--recorded", str(tmp_path / "recorded.sqlite"), "--from", SIGNAL_DAY.isoformat(),
                 "--to", entry_day.isoformat(), "--journal", str(journal)]) == 0
    from engine.journal import Journal

    replayed = Journal(Store(journal))
    candidate = replayed.candidate("C-SPX-2015-01-16")
    assert candidate is not None
    assert [leg.strike for leg in candidate.structure.legs] == [1885.0, 1835.0]
    assert math.isfinite(candidate.structure.legs[0].bid)  # priced on the recorded quotes
    assert [p.position_id for p in replayed.positions("open")] == ["P-SPX-2015-01-16"]
    fill = replayed.fills_of(["O-C-SPX-2015-01-16"])[0]
    assert fill.at.astimezone(calendar.MARKET_TZ).date() == entry_day
    replayed.store.close()
