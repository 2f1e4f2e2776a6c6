"""Recording the live feed: chain snapshots into the store, each at the moment it was seen.

Every `every_s` seconds (and on demand) the recorder takes the streamed expiries of an IbFeed as one
Chain snapshot (engine.store ``save_chain``, one transaction) flagged RECORDED, stamped with the
feed's clock. engine.data.recorded.RecordedFeed replays them later at those timestamps. A snapshot
holds what was streamed then: bids, asks, our IV and Greeks (IB's own Greeks are not stored).
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import replace

from engine.brokers.ib.feed import IbFeed
from engine.model import Chain, ChainSlice, DataSource
from engine.store import Store

log = logging.getLogger(__name__)

RECORD_EVERY_S = 60.0


class ChainRecorder:
    """Snapshot an IbFeed's chains into a store (module doc)."""

    def __init__(self, feed: IbFeed, store: Store, every_s: float = RECORD_EVERY_S) -> None:
        self.feed = feed
        self.store = store
        self.every_s = every_s
        self.recorded = 0
        self._stopping = False

    def record(self) -> int | None:
        """Store one snapshot now; return its id, None when the feed has no price or chain yet."""
        moment = self.feed.now()
        spot = self.feed.spot()
        if not math.isfinite(spot) or not self.feed.targets:
            return None
        slices = tuple(self.feed.slice_at(moment, expiration, self.feed.streamed_strikes(expiration))
                       for expiration in self.feed.targets if expiration.settles_at > moment)
        snapshot = Chain(self.feed.underlying, moment, spot, DataSource.RECORDED,
                         tuple(_recorded(s) for s in slices))
        snapshot_id = self.store.save_chain(snapshot)
        self.recorded += 1
        return snapshot_id

    async def run(self) -> None:
        """Record every `every_s` seconds until `stop`."""
        self._stopping = False
        while not self._stopping:
            try:
                self.record()
            except Exception:  # a failed snapshot must not stop trading; the next one tries again
                log.exception("recording a chain snapshot failed")
            await asyncio.sleep(self.every_s)

    def stop(self) -> None:
        """End `run` after its current snapshot."""
        self._stopping = True


def _recorded(chain_slice: ChainSlice) -> ChainSlice:
    """Return the slice flagged RECORDED (what it will be when replayed)."""
    return replace(chain_slice, source=DataSource.RECORDED, venue=None)
