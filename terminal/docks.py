"""The dock registry and the saved window layout.

Every panel is declared once here, as a DockSpec: its fixed name (also the dock's objectName,
which is what QMainWindow.saveState keys the layout on), its title, a factory that builds the
panel, and its default area. The layout is saved with ``saveState(LAYOUT_VERSION)`` next to the
window geometry in the user's config directory; a layout written by another version, or one
that cannot be read, is ignored and the default layout is used.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtWidgets import QWidget

from widgets.breaker_panel import BreakerPanel
from widgets.candidates_panel import CandidatesPanel
from widgets.chain_panel import ChainPanel
from widgets.chain_table_model import ChainColors, ChainTableModel
from widgets.chart_panel import ChartPanel, ChartStyle
from widgets.equity_panel import EquityPanel
from widgets.greeks_panel import GreeksPanel
from widgets.log_panel import LogPanel
from widgets.orders_panel import OrdersPanel
from widgets.positions_panel import PositionsPanel
from widgets.regime_panel import RegimePanel
from widgets.replay_panel import ReplayPanel
from widgets.risk_graph_panel import RiskGraphPanel
from widgets.smile_panel import SmilePanel

APP_NAME = "optimus-terminal"
CONFIG_DIR_ENV = "OPTIMUS_CONFIG_DIR"
# Bump when docks are added, removed or renamed: an old saved layout then falls back cleanly.
LAYOUT_VERSION = 2

CHAIN = "chain"
CHART = "chart"
CANDIDATES = "candidates"
POSITIONS = "positions"
ORDERS = "orders"
GREEKS = "greeks"
REGIME = "regime"
BREAKER = "breaker"
EQUITY = "equity"
RISK_GRAPH = "risk_graph"
SMILE = "smile"
LOG = "log"
REPLAY = "replay"


@dataclass(frozen=True, slots=True)
class DockSpec:
    """One dockable panel: fixed name (objectName), title, panel factory, default area."""

    name: str
    title: str
    factory: Callable[[], QWidget]
    default_area: Qt.DockWidgetArea
    tab_with: str = ""  # the dock it shares a tab group with by default ("" = its own place)
    title_bar: bool = True  # False: no title bar (the replay row is its own title)


def default_docks(chain_colors: ChainColors | None = None,
                  chart_style: ChartStyle | None = None) -> tuple[DockSpec, ...]:
    """Return the registry of the terminal's docks, in the order the View menu lists them.

    Default layout (readable from 1366x768 up): the replay controls across the top; the chain
    (tabbed with the IV smile) left; the chart (tabbed with equity and the risk graph) right;
    candidates, positions, orders and the log tabbed along the bottom; Greeks, regime and the
    breaker tabbed at the bottom right.
    """
    left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
    bottom, top = Qt.DockWidgetArea.BottomDockWidgetArea, Qt.DockWidgetArea.TopDockWidgetArea
    return (
        DockSpec(REPLAY, "Replay", ReplayPanel, top, title_bar=False),
        DockSpec(CHAIN, "Option chain", lambda: ChainPanel(ChainTableModel(chain_colors)), left),
        DockSpec(SMILE, "IV smile", lambda: SmilePanel(chart_style), left, CHAIN),
        DockSpec(CHART, "Chart", lambda: ChartPanel(chart_style), right),
        DockSpec(EQUITY, "Equity", lambda: EquityPanel(chart_style), right, CHART),
        DockSpec(RISK_GRAPH, "Risk graph", lambda: RiskGraphPanel(chart_style), right, CHART),
        DockSpec(CANDIDATES, "Candidates", CandidatesPanel, bottom),
        DockSpec(POSITIONS, "Positions", PositionsPanel, bottom, CANDIDATES),
        DockSpec(ORDERS, "Orders and fills", OrdersPanel, bottom, CANDIDATES),
        DockSpec(LOG, "Log", LogPanel, bottom, CANDIDATES),
        DockSpec(GREEKS, "Portfolio Greeks", GreeksPanel, bottom),
        DockSpec(REGIME, "Regime and gates", RegimePanel, bottom, GREEKS),
        DockSpec(BREAKER, "Circuit breaker", BreakerPanel, bottom, GREEKS),
    )


def config_directory() -> Path:
    """Return where the terminal keeps its settings: $OPTIMUS_CONFIG_DIR or the user config dir."""
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


@dataclass(frozen=True, slots=True)
class SavedLayout:
    """Window geometry and dock state as saved (either may be missing)."""

    geometry: QByteArray | None
    state: QByteArray | None


class LayoutStore:
    """Read and write the window layout in ``layout.ini`` under a config directory."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or config_directory()
        self.path = self.directory / "layout.ini"

    def _settings(self) -> QSettings:
        return QSettings(str(self.path), QSettings.Format.IniFormat)

    def load(self) -> SavedLayout:
        """Return the saved layout; missing or unreadable entries come back as None."""
        if not self.path.exists():
            return SavedLayout(None, None)
        settings = self._settings()
        return SavedLayout(self._bytes(settings.value("window/geometry")),
                           self._bytes(settings.value("window/state")))

    @staticmethod
    def _bytes(value: object) -> QByteArray | None:
        if isinstance(value, QByteArray) and not value.isEmpty():
            return value
        if isinstance(value, bytes) and value:
            return QByteArray(value)
        return None  # anything else (a string, a number) is garbage: use the default

    def save(self, geometry: QByteArray, state: QByteArray) -> None:
        """Write the layout; the directory is created when missing."""
        self.directory.mkdir(parents=True, exist_ok=True)
        settings = self._settings()
        settings.setValue("window/geometry", geometry)
        settings.setValue("window/state", state)
        settings.setValue("window/layout_version", LAYOUT_VERSION)
        settings.sync()
