"""The report files of a finished replay: trades CSV, daily CSV, summary JSON and one HTML page.

Every writer is deterministic: identical inputs give byte-identical files (UTF-8, "\\n" line ends,
fixed number formats, stable ordering, no wall-clock time). The CSVs carry 001's `positions.csv` and
`daily_performance.csv` columns first, then this engine's extra columns.

* Trades are listed by (entry date, position id); prices (Credit, Exit_Price) are points per unit
  with 2 decimals, money (Max_Loss, Exit_PL, Commissions) dollars with 2 decimals; cells that do
  not exist yet for an open trade (exit date, price, P&L, reason, days held) are empty.
* Daily `Win_Rate` and `Avg_ROI` are cumulative over the trades passed in that closed on or before
  the day (empty until the first close): Win_Rate = wins / closed * 100 (pnl > 0 wins),
  Avg_ROI = mean of pnl / max_loss * 100 (return on the capital at risk). Pass one strategy's days
  and trades at a time when a run holds several.
* The HTML page is self-contained (inline CSS and SVG, no scripts, fonts or links) and escapes every
  text it shows. Its charts plot the session closes; a series longer than `MAX_CHART_POINTS` is
  reduced per bucket to its first-in-time minimum and maximum, which keeps every peak and trough.
"""

from __future__ import annotations

import csv
import html
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from .metrics import TARGETS, closed_trades, drawdown_pcts
from .records import DailyRecord, TradeRecord

TRADE_COLUMNS = (
    "Entry_Date", "Exit_Date", "Strategy", "DTE", "Strikes", "Credit", "Max_Loss", "Exit_PL", "Status",
    "Structure", "Legs", "Contracts", "Exit_Price", "Commissions", "Exit_Reason", "Days_Held",
)  # fmt: skip
DAILY_COLUMNS = (
    "Date", "Strategy", "Positions_Entered", "Positions_Closed", "Realized_PL", "Win_Rate", "Avg_ROI",
    "Equity", "Cash", "Open_Value", "Commissions", "Drawdown_Pct", "Open_Positions",
)  # fmt: skip
MAX_CHART_POINTS = 2000
DEFAULT_TITLE = "Optimus backtest report"

PathLike = str | Path


# ----------------------------------------------------------------------------------------- CSV / JSON


def write_trades_csv(path: PathLike, trades: Sequence[TradeRecord]) -> None:
    """Write one row per trade, 001's positions.csv columns first, ordered by entry date and id."""
    rows = [_trade_row(t) for t in _by_entry(trades)]
    _write_csv(path, TRADE_COLUMNS, rows)


def write_daily_csv(path: PathLike, days: Sequence[DailyRecord], trades: Sequence[TradeRecord]) -> None:
    """Write one row per session, 001's daily_performance.csv columns first, in date order."""
    closed = closed_trades(trades)
    rows, seen = [], 0
    for day in sorted(days, key=lambda d: d.day):
        while seen < len(closed) and (closed[seen].exit_date or day.day) <= day.day:
            seen += 1
        rows.append(_daily_row(day, closed[:seen]))
    _write_csv(path, DAILY_COLUMNS, rows)


def write_summary_json(path: PathLike, summary: Mapping[str, Any]) -> None:
    """Write the summary as indented JSON with sorted keys and a final newline."""
    _write_text(path, json.dumps(summary, indent=2, sort_keys=True, allow_nan=False) + "\n")


def _write_csv(path: PathLike, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _write_text(path: PathLike, text: str) -> None:
    with Path(path).open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def _by_entry(trades: Sequence[TradeRecord]) -> list[TradeRecord]:
    return sorted(trades, key=lambda t: (t.entry_date, t.position_id))


def _trade_row(t: TradeRecord) -> list[str]:
    return [
        t.entry_date.isoformat(), _iso(t.exit_date), t.strategy, str(t.dte_at_entry), t.strikes,
        _fixed(t.credit), _fixed(t.max_loss), _fixed(t.pnl), t.status,
        t.structure, t.legs, str(t.contracts), _fixed(t.exit_price), _fixed(t.commissions), t.exit_reason,
        "" if t.days_held is None else str(t.days_held),
    ]  # fmt: skip


def _daily_row(d: DailyRecord, closed: Sequence[TradeRecord]) -> list[str]:
    pnls = [t.pnl for t in closed if t.pnl is not None]
    win_rate = sum(1 for p in pnls if p > 0) / len(pnls) * 100.0 if pnls else None
    rois = [t.pnl / t.max_loss * 100.0 for t in closed if t.pnl is not None and t.max_loss > 0]
    avg_roi = sum(rois) / len(rois) if rois else None
    return [
        d.day.isoformat(), d.strategy, str(d.entered), str(d.closed), _fixed(d.realised_pnl),
        _fixed(win_rate), _fixed(avg_roi),
        _fixed(d.equity), _fixed(d.cash), _fixed(d.open_value), _fixed(d.commissions),
        _fixed(d.drawdown_pct), str(d.open_positions),
    ]  # fmt: skip


def _iso(day: date | None) -> str:
    return "" if day is None else day.isoformat()


def _fixed(value: float | None, decimals: int = 2) -> str:
    """Return `value` with fixed decimals, "" for None or non-finite, never "-0.00"."""
    if value is None or not math.isfinite(value):
        return ""
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _grouped(value: float | None, decimals: int = 2, suffix: str = "") -> str:
    """Return `value` with thousands separators and fixed decimals ("–" for None)."""
    if value is None or not math.isfinite(value):
        return "–"
    text = f"{value:,.{decimals}f}"
    text = text[1:] if text.startswith("-") and float(text.replace(",", "")) == 0 else text
    return text + suffix


# ---------------------------------------------------------------------------------------------- HTML


def write_report_html(
    path: PathLike,
    summary: Mapping[str, Any],
    trades: Sequence[TradeRecord],
    days: Sequence[DailyRecord],
    parameters: Mapping[str, Any],
    notes: Sequence[str],
    *,
    title: str = DEFAULT_TITLE,
) -> None:
    """Write one self-contained HTML report: notes, metrics, targets, charts, trades, parameters."""
    sessions = sorted(days, key=lambda d: d.day)
    body = [
        f"<h1>{_e(title)}</h1>",
        _subtitle(summary, sessions),
        _notes_html(notes),
        '<section class="grid">',
        _metrics_html(summary),
        "<div>" + _targets_html(summary) + _exit_reasons_html(summary) + "</div>",
        "</section>",
        _failures_html(summary),
        *_charts_html(summary, sessions),
        _trades_html(trades),
        _parameters_html(parameters),
    ]
    _write_text(path, _page(title, body))


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _page(title: str, body: Sequence[str]) -> str:
    head = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
    )
    return head + "\n".join(body) + "\n</body>\n</html>\n"


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: #1b1f24; background: #ffffff; max-width: 1280px; margin: 24px auto; padding: 0 20px;
  font-size: 14px; line-height: 1.4; }
h1 { font-size: 24px; margin: 0 0 4px 0; }
h2 { font-size: 18px; margin: 28px 0 8px 0; border-bottom: 2px solid #d0d7de; padding-bottom: 4px; }
.subtitle { color: #4a535c; margin: 0 0 12px 0; }
.notes { border-left: 6px solid #b45309; background: #fff4e0; padding: 10px 16px; margin: 12px 0; }
.notes p { margin: 4px 0; font-weight: 600; font-size: 15px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: 8px 32px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 10px; border-bottom: 1px solid #e1e4e8; text-align: left; vertical-align: top; }
th { background: #f3f5f7; font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
table.full { width: 100%; }
.met, .unmet, .flagged, .clear, .unmeasured, .dates span { white-space: nowrap; }
.met { color: #0f5c2e; background: #dcf5e3; font-weight: 600; }
.unmet { color: #8f1d1d; background: #fde2e2; font-weight: 600; }
.flagged { color: #ffffff; background: #b42318; font-weight: 700; }
.clear { color: #0f5c2e; background: #dcf5e3; font-weight: 600; }
.unmeasured { color: #4a535c; background: #eceff2; font-weight: 600; }
.pos { color: #0f5c2e; } .neg { color: #a11a1a; }
table.trades { font-size: 12.5px; }
table.trades td { white-space: nowrap; }
.chart { margin: 4px 0 8px 0; }
.chart svg { width: 100%; height: auto; max-width: 1240px; }
svg text { font-family: inherit; font-size: 12px; fill: #3a424a; }
"""


def _subtitle(summary: Mapping[str, Any], days: Sequence[DailyRecord]) -> str:
    period = summary.get("period", {})
    strategies = sorted({d.strategy for d in days})
    parts = [
        f"{period.get('first_day') or '–'} to {period.get('last_day') or '–'}",
        f"{period.get('sessions', 0)} sessions",
        f"strategy {', '.join(strategies) or '–'}",
    ]
    return f'<p class="subtitle">{_e(" · ".join(parts))}</p>'


def _notes_html(notes: Sequence[str]) -> str:
    if not notes:
        return ""
    return '<div class="notes">' + "".join(f"<p>{_e(n)}</p>" for n in notes) + "</div>"


def _table(header: Sequence[str], rows: Iterable[str], css: str = "", numeric: Iterable[int] = ()) -> str:
    """Return a table; the `numeric` header columns align right like their number cells."""
    cls = f' class="{css}"' if css else ""
    right = set(numeric)
    head = "".join(
        f'<th class="num">{_e(h)}</th>' if i in right else f"<th>{_e(h)}</th>" for i, h in enumerate(header)
    )
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>" + "".join(rows) + "</tbody></table>"


def _h2(anchor: str, text: str) -> str:
    return f'<h2 id="{_e(anchor)}">{_e(text)}</h2>'


def _cell(text: str, css: str = "") -> str:
    cls = f' class="{css}"' if css else ""
    return f"<td{cls}>{_e(text)}</td>"


# ----------------------------------------------------------------------------------- metric tables


def _pct(value: Any) -> str:
    return _grouped(value, 2, "%")


def _money(value: Any, decimals: int = 2) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    text = _grouped(abs(value), decimals)
    return "-$" + text if value < 0 and text.strip("0.,") else "$" + text


def _ratio(value: Any) -> str:
    return _grouped(value, 2)


def _profit_factor(summary: Mapping[str, Any]) -> str:
    value = summary.get("profit_factor")
    if value is None and (summary.get("average_win") is not None):
        return "∞ (no losses)"
    return _ratio(value)


def _recovery(s: Mapping[str, Any]) -> str:
    if s.get("max_drawdown_start") is None:
        return "–"  # no drawdown to recover from
    return str(s.get("max_drawdown_recovery") or "never")


def _metric_rows(s: Mapping[str, Any]) -> list[tuple[str, str]]:
    dd_dates = " / ".join(str(s.get(k) or "–") for k in ("max_drawdown_start", "max_drawdown_trough"))
    return [
        ("Starting equity", _money(s.get("starting_equity"))),
        ("Ending equity", _money(s.get("ending_equity"))),
        ("Total return", _pct(s.get("total_return_pct"))),
        ("CAGR (years = sessions / 252)", _pct(s.get("cagr_pct"))),
        ("Sharpe (daily, √252, risk-free 0)", _ratio(s.get("sharpe"))),
        ("Sortino (downside deviation, target 0)", _ratio(s.get("sortino"))),
        ("Max drawdown", _pct(s.get("max_drawdown_pct"))),
        ("Drawdown start / trough", dd_dates),
        ("Drawdown recovered", _recovery(s)),
        ("Monthly income (mean of monthly equity change)", _pct(s.get("monthly_income_pct"))),
        ("Closed trades", str(s.get("trade_count", 0))),
        ("Open at end", str(s.get("open_at_end", 0))),
        ("Win rate (pnl > 0)", _pct(s.get("win_rate_pct"))),
        ("Profit factor", _profit_factor(s)),
        ("Average win", _money(s.get("average_win"))),
        ("Average loss", _money(s.get("average_loss"))),
        ("Average days held", _grouped(s.get("average_days_held"), 1)),
        ("Commissions paid", _money(s.get("commissions_paid"))),
    ]


def _metrics_html(summary: Mapping[str, Any]) -> str:
    rows = (f"<tr>{_cell(k)}{_cell(v, 'num')}</tr>" for k, v in _metric_rows(summary))
    return "<div>" + _h2("results", "Results") + _table(("Metric", "Value"), rows, "full", (1,)) + "</div>"


_TARGET_FORMAT: dict[str, Callable[[Any], str]] = {
    "cagr_pct": _pct,
    "sharpe": _ratio,
    "win_rate_pct": _pct,
    "profit_factor": _ratio,
    "max_drawdown_pct": _pct,
    "monthly_income_pct": _pct,
    "average_days_held": lambda v: _grouped(v, 1, " days"),
}


def _targets_html(summary: Mapping[str, Any]) -> str:
    targets = summary.get("targets", {})
    rows = []
    for name, target, key, rule in TARGETS:
        entry = targets.get(name, {})
        value = _TARGET_FORMAT[key](entry.get("value"))
        if key == "profit_factor" and entry.get("value") is None and entry.get("met"):
            value = "∞ (no losses)"
        met = bool(entry.get("met"))
        verdict = _cell("MET" if met else "NOT MET", "met" if met else "unmet")
        rows.append(f"<tr>{_cell(name)}{_cell(target)}{_cell(rule)}{_cell(value, 'num')}{verdict}</tr>")
    header = ("Metric", "002 §16 target", "Counted as met when", "Value", "")
    return _h2("targets", "Targets (002 §16)") + _table(header, rows, "full", (3,))


def _exit_reasons_html(summary: Mapping[str, Any]) -> str:
    reasons = summary.get("exit_reasons", {})
    rows = [f"<tr>{_cell(r or '(none)')}{_cell(str(reasons[r]), 'num')}</tr>" for r in sorted(reasons)]
    return _h2("exit-reasons", "Exit reasons") + _table(("Reason", "Closed trades"), rows, numeric=(1,))


def _failures_html(summary: Mapping[str, Any]) -> str:
    rows = []
    for f in summary.get("failure_conditions", []):
        status = str(f.get("status") or ("flagged" if f.get("flagged") else "clear"))
        css = {"flagged": "flagged", "clear": "clear"}.get(status, "unmeasured")
        status = status.upper() if status == "flagged" else status
        rows.append(
            f"<tr>{_cell(f.get('name', ''))}{_cell(status, css)}{_cell(f.get('detail', ''))}"
            f"{_date_cell(f.get('dates', []))}</tr>"
        )
    return _h2("failures", "Failure conditions (002 §16: halt and review)") + _table(
        ("Condition", "Status", "Definition and result", "Began on"), rows, "full"
    )


def _date_cell(dates: Sequence[str], shown: int = 6) -> str:
    """Return a cell listing the first `shown` dates, each kept on one line."""
    spans = ", ".join(f"<span>{_e(d)}</span>" for d in dates[:shown]) or "–"
    more = f", … ({len(dates)} in all)" if len(dates) > shown else ""
    return f'<td class="dates">{spans}{_e(more)}</td>'


# ------------------------------------------------------------------------------------------ charts


def _charts_html(summary: Mapping[str, Any], days: Sequence[DailyRecord]) -> list[str]:
    start = float(summary.get("starting_equity") or (days[0].equity if days else 1.0))
    equity = [(d.day, d.equity) for d in days]
    drawdown = [(d.day, -x) for d, x in zip(days, drawdown_pcts(days, start), strict=True)]
    return [
        _h2("equity", "Equity at each session close (dashed: starting equity)"),
        f'<div class="chart">{_svg_chart(equity, _EQUITY_STYLE, baseline=start)}</div>',
        _h2("drawdown", "Drawdown from the running peak (%)"),
        f'<div class="chart">{_svg_chart(drawdown, _DRAWDOWN_STYLE, baseline=0.0)}</div>',
    ]


@dataclass(frozen=True, slots=True)
class _ChartStyle:
    name: str  # the polyline's id and the chart's aria label
    stroke: str
    fill: str  # area under (or above) the line to the baseline, "" for none
    unit: str  # "$" or "%"


_EQUITY_STYLE = _ChartStyle("equity", "#1f5fbf", "", "$")
_DRAWDOWN_STYLE = _ChartStyle("drawdown", "#b42318", "#f6c9c5", "%")

# Plot frame in SVG user units: the drawing scales with the page width.
_W, _H, _LEFT, _RIGHT, _TOP, _BOTTOM = 1200, 320, 90, 20, 14, 36


def _svg_chart(points: Sequence[tuple[date, float]], style: _ChartStyle, baseline: float) -> str:
    """Return an inline SVG line chart with value grid lines and year (or month) ticks."""
    label = f'role="img" aria-label="{_e(style.name)} chart"'
    head = f'<svg viewBox="0 0 {_W} {_H}" preserveAspectRatio="xMidYMid meet" {label}>'
    if not points:
        return head + f'<text x="{_W // 2}" y="{_H // 2}" text-anchor="middle">no sessions</text></svg>'
    points = downsample(points, MAX_CHART_POINTS)
    x_of, y_of, ticks = _scales(points, baseline)
    parts = [head, f'<rect x="{_LEFT}" y="{_TOP}" width="{_W - _LEFT - _RIGHT}" '
             f'height="{_H - _TOP - _BOTTOM}" fill="#fbfcfd" stroke="#c9d1d9"/>']  # fmt: skip
    parts += _y_axis(ticks, y_of, style.unit) + _x_axis(points[0][0], points[-1][0], x_of)
    xy = " ".join(f"{x_of(d):.1f},{y_of(v):.1f}" for d, v in points)
    if style.fill:
        x0, x1, yb = x_of(points[0][0]), x_of(points[-1][0]), y_of(baseline)
        parts.append(f'<polygon points="{x0:.1f},{yb:.1f} {xy} {x1:.1f},{yb:.1f}" fill="{style.fill}"/>')
    yb = y_of(baseline)
    parts.append(f'<line x1="{_LEFT}" y1="{yb:.1f}" x2="{_W - _RIGHT}" y2="{yb:.1f}" stroke="#57606a" '
                 'stroke-dasharray="4 3"/>')  # fmt: skip
    parts.append(f'<polyline id="{style.name}" points="{xy}" fill="none" stroke="{style.stroke}" '
                 'stroke-width="1.5" stroke-linejoin="round"/>')  # fmt: skip
    return "".join(parts) + "</svg>"


def downsample(points: Sequence[tuple[date, float]], limit: int) -> list[tuple[date, float]]:
    """Return at most `limit` points: the first, the last and each bucket's minimum and maximum."""
    if len(points) <= limit:
        return list(points)
    buckets = max(1, (limit - 2) // 2)
    size = math.ceil((len(points) - 2) / buckets)
    keep = {0, len(points) - 1}
    for start in range(1, len(points) - 1, size):
        chunk = range(start, min(start + size, len(points) - 1))
        keep.add(min(chunk, key=lambda i: (points[i][1], i)))
        keep.add(max(chunk, key=lambda i: (points[i][1], -i)))
    return [points[i] for i in sorted(keep)]


def _scales(
    points: Sequence[tuple[date, float]], baseline: float
) -> tuple[Callable[[date], float], Callable[[float], float], list[float]]:
    first, last = points[0][0].toordinal(), points[-1][0].toordinal()
    span_x = max(last - first, 1)
    values = [v for _, v in points] + [baseline]
    ticks = nice_ticks(min(values), max(values))
    lo, hi = ticks[0], ticks[-1]

    def x_of(day: date) -> float:
        return _LEFT + (day.toordinal() - first) / span_x * (_W - _LEFT - _RIGHT)

    def y_of(value: float) -> float:
        return _TOP + (hi - value) / (hi - lo) * (_H - _TOP - _BOTTOM)

    return x_of, y_of, ticks


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Return evenly spaced round tick values (steps of 1, 2, 2.5 or 5 x 10^k) covering lo..hi."""
    if hi - lo <= 0:
        pad = abs(hi) * 0.05 or 1.0
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / count
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= raw)
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    return [round(k * step, 12) for k in range(first, last + 1)]


def _tick_label(value: float, step: float, unit: str) -> str:
    decimals = next((d for d in range(7) if abs(round(step, d) - step) < 1e-9 * max(1.0, step)), 6)
    if unit == "$":
        return _money(value, decimals)
    return _grouped(value, decimals, "%")


def _y_axis(ticks: Sequence[float], y_of: Callable[[float], float], unit: str) -> list[str]:
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    out = []
    for value in ticks:
        y = y_of(value)
        out.append(f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_W - _RIGHT}" y2="{y:.1f}" stroke="#e4e8ec"/>')
        text = _e(_tick_label(value, step, unit))
        out.append(f'<text x="{_LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">{text}</text>')
    return out


def _x_axis(first: date, last: date, x_of: Callable[[date], float]) -> list[str]:
    ticks = _date_ticks(first, last)
    out = []
    bottom = _H - _BOTTOM
    for day, text in ticks:
        x = x_of(day)
        out.append(f'<line x1="{x:.1f}" y1="{_TOP}" x2="{x:.1f}" y2="{bottom}" stroke="#e4e8ec"/>')
        out.append(f'<text x="{x:.1f}" y="{bottom + 18}" text-anchor="middle">{_e(text)}</text>')
    return out


def _date_ticks(first: date, last: date) -> list[tuple[date, str]]:
    """Return (day, label) ticks: 1 January of each year (thinned to <= 12), else month starts."""
    years = [date(y, 1, 1) for y in range(first.year + 1, last.year + 1)]
    if len(years) >= 2:
        step = math.ceil(len(years) / 12)
        return [(d, str(d.year)) for d in years[::step]]
    months = [date(y, m, 1) for y in range(first.year, last.year + 1) for m in range(1, 13)]
    months = [d for d in months if first < d <= last]
    step = max(1, math.ceil(len(months) / 12))
    ticks = [(d, d.strftime("%Y-%m")) for d in months[::step]]
    return ticks or [(first, first.isoformat()), (last, last.isoformat())]


# ---------------------------------------------------------------------------------- trades, params


_TRADE_HEADER = (
    "Entry", "Exit", "Structure", "DTE", "Strikes", "Qty", "Credit", "Exit price",
    "Max loss", "P&L", "Comm.", "Exit reason", "Days", "Status",
)  # fmt: skip


def _trade_html_row(t: TradeRecord) -> str:
    pnl_css = "num" if t.pnl is None or t.pnl == 0 else ("num pos" if t.pnl > 0 else "num neg")
    cells = [
        _cell(t.entry_date.isoformat()), _cell(_iso(t.exit_date)), _cell(t.structure),
        _cell(str(t.dte_at_entry), "num"), _cell(t.strikes), _cell(str(t.contracts), "num"),
        _cell(_fixed(t.credit), "num"), _cell(_fixed(t.exit_price), "num"),
        _cell(_grouped(t.max_loss), "num"), _cell(_grouped(t.pnl) if t.pnl is not None else "", pnl_css),
        _cell(_fixed(t.commissions), "num"), _cell(t.exit_reason),
        _cell("" if t.days_held is None else str(t.days_held), "num"), _cell(t.status),
    ]  # fmt: skip
    return f'<tr title="{_e(t.legs)}">' + "".join(cells) + "</tr>"


def _trades_html(trades: Sequence[TradeRecord]) -> str:
    rows = [_trade_html_row(t) for t in _by_entry(trades)]
    heading = _h2("trades", f"Trades ({len(trades)}; prices in points per unit, money in dollars)")
    return heading + _table(_TRADE_HEADER, rows, "trades", (3, 5, 6, 7, 8, 9, 10, 12))


def _parameter_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


def _parameters_html(parameters: Mapping[str, Any]) -> str:
    rows = [
        f"<tr>{_cell(str(k))}{_cell(_parameter_text(parameters[k]))}</tr>"
        for k in sorted(parameters, key=str)
    ]
    return _h2("parameters", "Parameters") + _table(("Parameter", "Value"), rows)
