"""What every incremental indicator state shares: readiness from the bars it has seen."""

from __future__ import annotations


class WarmingUp:
    """Mixin for the frozen state classes: `ready` and `bars_remaining` from `bars` and warm-up.

    `bars` counts the usable bars (or IV observations) the state has consumed; the warm-up is
    TA-Lib's lookback, so the first value arrives with bar ``warmup + 1``.
    """

    __slots__ = ()
    bars: int

    def _warmup(self) -> int:
        raise NotImplementedError

    @property
    def bars_remaining(self) -> int:
        """Return how many more bars this indicator needs before it has a value."""
        return max(0, self._warmup() + 1 - self.bars)

    @property
    def ready(self) -> bool:
        """Return whether the indicator has produced a value."""
        return self.bars_remaining == 0
