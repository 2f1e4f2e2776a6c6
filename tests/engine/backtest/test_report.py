"""The report writers: CSV columns and formats, JSON, the self-contained HTML page, determinism."""

from __future__ import annotations

import csv
import json
import re
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from engine.backtest.metrics import compute_summary
from engine.backtest.records import DailyRecord
from engine.backtest.report import (
    DAILY_COLUMNS,
    TRADE_COLUMNS,
    downsample,
    nice_ticks,
    write_daily_csv,
    write_report_html,
    write_summary_json,
    write_trades_csv,
)
from tests.engine.backtest.test_metrics import START, day, days, trade

NOTE = "Option chains are MODELLED from SPX, the VIX family and SKEW: not quoted prices."
PARAMETERS = {"underlying": "SPX", "target_dte": 45, "short_delta": 0.16, "nested": {"b": 1, "a": "<b>"}}


def sample_trades() -> list:
    """Return two closed trades (a win, a stop) and one open trade, deliberately out of order."""
    return [
        trade(3, None, entry=START + timedelta(days=5), commissions=2.6),
        trade(1, 153.6, entry=START, held=2),
        trade(2, -503.2, entry=START + timedelta(days=1), held=3, reason="STOP LOSS"),
    ]


def sample_days(count: int = 10) -> list[DailyRecord]:
    """Return `count` sessions of gently rising equity with one dip."""
    return days([100_000.0 + 50.0 * i - (400.0 if i == 4 else 0.0) for i in range(count)])


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# ---------------------------------------------------------------------------------------------- CSV


def test_trades_csv_columns_order_and_formats(tmp_path: Path) -> None:
    path = tmp_path / "positions.csv"
    write_trades_csv(path, sample_trades())
    assert path.read_text(encoding="utf-8").splitlines()[0] == ",".join(TRADE_COLUMNS)
    rows = read_csv(path)
    assert [r["Entry_Date"] for r in rows] == ["2024-01-02", "2024-01-03", "2024-01-07"]
    first = rows[0]
    assert (first["Exit_Date"], first["Credit"], first["Max_Loss"], first["Exit_PL"]) == (
        "2024-01-04",
        "2.50",
        "1000.00",
        "153.60",
    )
    assert (first["Exit_Price"], first["Commissions"], first["Days_Held"], first["Status"]) == (
        "1.25",
        "5.00",
        "2",
        "closed",
    )
    assert rows[1]["Exit_PL"] == "-503.20"
    assert rows[1]["Exit_Reason"] == "STOP LOSS"


def test_open_trade_has_empty_exit_cells(tmp_path: Path) -> None:
    path = tmp_path / "positions.csv"
    write_trades_csv(path, sample_trades())
    still_open = read_csv(path)[2]
    empty = ("Exit_Date", "Exit_PL", "Exit_Price", "Exit_Reason", "Days_Held")
    assert all(still_open[c] == "" for c in empty)
    assert (still_open["Status"], still_open["Commissions"]) == ("open", "2.60")


def test_daily_csv_cumulative_win_rate_and_roi(tmp_path: Path) -> None:
    path = tmp_path / "daily_performance.csv"
    write_daily_csv(path, sample_days(6), sample_trades())
    assert path.read_text(encoding="utf-8").splitlines()[0] == ",".join(DAILY_COLUMNS)
    rows = read_csv(path)
    # trade 1 closes on day 2 (+153.6 of 1,000 at risk), trade 2 on day 4 (-503.2)
    assert [r["Win_Rate"] for r in rows] == ["", "", "100.00", "100.00", "50.00", "50.00"]
    assert rows[2]["Avg_ROI"] == "15.36"
    assert rows[4]["Avg_ROI"] == f"{(15.36 - 50.32) / 2:.2f}"
    assert (rows[0]["Equity"], rows[0]["Open_Positions"], rows[0]["Date"]) == ("100000.00", "0", "2024-01-02")


def test_negative_zero_is_written_as_zero(tmp_path: Path) -> None:
    path = tmp_path / "daily.csv"
    write_daily_csv(path, [day(START, 100.0, realised_pnl=-0.001)], [])
    assert read_csv(path)[0]["Realized_PL"] == "0.00"


def test_summary_json_is_sorted_indented_and_ends_with_a_newline(tmp_path: Path) -> None:
    summary = compute_summary(sample_trades(), sample_days(), 100_000.0)
    path = tmp_path / "summary.json"
    write_summary_json(path, summary)
    text = path.read_text(encoding="utf-8")
    assert text == json.dumps(summary, indent=2, sort_keys=True) + "\n"
    assert json.loads(text) == summary


# ------------------------------------------------------------------------------------ determinism


def write_all(folder: Path, notes: list[str] | None = None) -> dict[str, bytes]:
    """Write every report file of the sample run into `folder`; return their bytes by name."""
    folder.mkdir()
    trades, sessions = sample_trades(), sample_days(400)
    summary = compute_summary(trades, sessions, 100_000.0)
    write_trades_csv(folder / "trades.csv", trades)
    write_daily_csv(folder / "daily.csv", sessions, trades)
    write_summary_json(folder / "summary.json", summary)
    write_report_html(folder / "report.html", summary, trades, sessions, PARAMETERS, notes or [NOTE])
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_identical_inputs_give_identical_bytes(tmp_path: Path) -> None:
    first, second = write_all(tmp_path / "a"), write_all(tmp_path / "b")
    assert first == second
    assert all(b"\r" not in content for content in first.values())


# ------------------------------------------------------------------------------------------- HTML


class _TagChecker(HTMLParser):
    """Check that every non-void element is closed in order; collect tags and attributes."""

    VOID = frozenset({"meta", "br", "hr", "img", "input", "link", "rect", "line", "polyline", "polygon"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1:] == [tag], f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html_text: str) -> _TagChecker:
    checker = _TagChecker()
    checker.feed(html_text)
    checker.close()
    assert checker.stack == []
    return checker


@pytest.fixture
def page(tmp_path: Path) -> str:
    return write_all(tmp_path / "run")["report.html"].decode("utf-8")


def test_html_parses_and_is_balanced(page: str) -> None:
    checker = parse(page)
    assert page.startswith("<!DOCTYPE html>")
    assert ("meta", {"charset": "utf-8"}) in checker.tags


def test_html_shows_the_notes_line(page: str) -> None:
    assert f'<div class="notes"><p>{NOTE}</p></div>' in page


def test_html_has_equity_and_drawdown_polylines(page: str) -> None:
    polylines = {a["id"]: a["points"] for t, a in parse(page).tags if t == "polyline"}
    assert set(polylines) == {"equity", "drawdown"}
    points = (polylines["equity"] or "").split()
    assert len(points) == 400  # every session: fewer than the downsampling limit
    assert all(re.fullmatch(r"\d+\.\d,\d+\.\d", p) for p in points)
    assert page.count("<svg ") == 2


def test_html_axis_labels_show_years_and_values(page: str) -> None:
    text = parse(page).text
    assert "2024-02" in text
    assert "2025-02" in text
    assert any(t.startswith("$100,") for t in text)
    assert "-0.4%" in text
    assert "0.0%" in text


def test_html_is_self_contained(page: str) -> None:
    assert "http" not in page
    for forbidden in ("<script", "<link", "<img", "url(", "@import", "src="):
        assert forbidden not in page


def test_html_flags_failures_and_targets(page: str) -> None:
    assert '<td class="unmeasured">not measured</td>' in page  # theta capture
    assert '<td class="unmet">NOT MET</td>' in page
    assert "Targets (002 §16)" in page
    assert "Failure conditions" in page


def test_html_escapes_text(tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    summary = compute_summary([], sample_days(3), 100_000.0)
    parameters = {"<script>alert(1)</script>": "a & b"}
    notes = ['Chains are "modelled" <not quoted>']
    write_report_html(path, summary, [], sample_days(3), parameters, notes, title="Run <1>")
    page = path.read_text(encoding="utf-8")
    parse(page)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "a &amp; b" in page
    assert "&quot;modelled&quot; &lt;not quoted&gt;" in page
    assert "<title>Run &lt;1&gt;</title>" in page


def test_html_without_sessions_or_trades(tmp_path: Path) -> None:
    path = tmp_path / "empty.html"
    write_report_html(path, compute_summary([], [], 100.0), [], [], {}, [])
    page = path.read_text(encoding="utf-8")
    parse(page)
    assert page.count("no sessions") == 2
    assert "Trades (0;" in page


def test_long_series_are_downsampled_in_the_page(tmp_path: Path) -> None:
    sessions = [day(date(2000, 1, 3) + timedelta(days=i), 1_000.0 + (i % 97)) for i in range(6_000)]
    path = tmp_path / "long.html"
    write_report_html(path, compute_summary([], sessions, 1_000.0), [], sessions, {}, [NOTE])
    checker = parse(path.read_text(encoding="utf-8"))
    polylines = [a["points"] or "" for t, a in checker.tags if t == "polyline"]
    assert len(polylines) == 2
    assert all(len(p.split()) <= 2000 for p in polylines)
    years = [t for t in checker.text if re.fullmatch(r"\d{4}", t)]
    assert years[:3] == ["2001", "2003", "2005"]
    assert len(years) // 2 <= 12


# --------------------------------------------------------------------------------------- chart math


def test_downsample_keeps_ends_and_extremes_and_is_deterministic() -> None:
    points = [(date(2000, 1, 1) + timedelta(days=i), float((i * 7919) % 1000)) for i in range(10_000)]
    points[5_000] = (points[5_000][0], -50.0)
    reduced = downsample(points, 2000)
    assert len(reduced) <= 2000
    assert reduced[0] == points[0]
    assert reduced[-1] == points[-1]
    assert points[5_000] in reduced
    assert max(v for _, v in reduced) == max(v for _, v in points)
    assert reduced == downsample(points, 2000)
    assert [d for d, _ in reduced] == sorted(d for d, _ in reduced)
    assert downsample(points[:10], 2000) == points[:10]


def test_nice_ticks_cover_the_range_with_round_steps() -> None:
    assert nice_ticks(93_000.0, 128_000.0) == [90_000.0, 100_000.0, 110_000.0, 120_000.0, 130_000.0]
    assert nice_ticks(-17.2, 0.0) == [-20.0, -15.0, -10.0, -5.0, 0.0]
    flat = nice_ticks(100.0, 100.0)
    assert flat[0] < 100.0 < flat[-1]
