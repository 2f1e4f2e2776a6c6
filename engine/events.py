"""The event hub the terminal subscribes to; every event the engine publishes is declared here.

Events say *what changed*, not the new state: a subscriber that shows the desk rebuilds its
view (engine.desk_view) when it next repaints, so a burst of a hundred events costs one
rebuild (DESIGN.md, throttled GUI updates). Subscribers run synchronously on the engine's loop
thread; one that raises is logged and dropped from nothing else (the others still hear it).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

log = logging.getLogger(__name__)


class EventKind(enum.StrEnum):
    """What changed in the session."""

    STEP = "step"  # a scheduled step (entry window or close) ran: everything may have changed
    CANDIDATES = "candidates"  # a candidate was proposed, approved, rejected, vetoed or expired
    ORDERS = "orders"  # an order was journaled, sent, modified, cancelled or filled
    POSITIONS = "positions"  # a position opened, closed, rolled, or its exit mode changed
    BREAKER = "breaker"  # the circuit breaker tripped, was halted or resumed
    REPLAY = "replay"  # the replay started, paused, changed speed or reached its end
    CONNECTION = "connection"  # the broker connected, disconnected or reconnected


@dataclass(frozen=True, slots=True)
class DeskEvent:
    """One change, at the session's moment (None before the first step)."""

    kind: EventKind
    at: datetime | None
    detail: str = ""


Subscriber = Callable[[DeskEvent], None]


class EventHub:
    """Publish DeskEvents to subscribers, in subscription order."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Add a subscriber; return the function that removes it."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber) if subscriber in self._subscribers else None

    def publish(self, event: DeskEvent) -> None:
        """Tell every subscriber; a failing subscriber is logged and the others still hear."""
        for subscriber in list(self._subscribers):
            try:
                subscriber(event)
            except Exception:  # a broken view must not stop the engine
                log.exception("event subscriber failed on %s", event.kind.value)
