"""Risk: the veto over every opening order, the limits it applies, and the circuit breaker."""

from engine.risk.breaker import (
    BreakerRules,
    BreakerState,
    BreakerStore,
    CircuitBreaker,
    ClosedTrade,
    ManualAction,
)
from engine.risk.limits import LimitReading
from engine.risk.manager import RiskManager
from engine.risk.portfolio import NetGreeks, PortfolioSnapshot

__all__ = [
    "BreakerRules",
    "BreakerState",
    "BreakerStore",
    "CircuitBreaker",
    "ClosedTrade",
    "LimitReading",
    "ManualAction",
    "NetGreeks",
    "PortfolioSnapshot",
    "RiskManager",
]
