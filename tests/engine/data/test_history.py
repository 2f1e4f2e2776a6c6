"""Loading the bundled history: typed, aligned, tz-aware; gaps reported; bad files named."""

from __future__ import annotations

import gzip
from datetime import date, time
from pathlib import Path

import numpy as np
import pytest

from engine.data import history as hist
from engine.errors import DataFileError, InputError


@pytest.fixture(scope="module")
def market() -> hist.MarketHistory:
    return hist.load_history()


def test_bundled_history_is_aligned_typed_and_tz_aware(market: hist.MarketHistory) -> None:
    frame = market.frame
    assert market.first_date == date(1990, 1, 2)
    assert market.last_date >= date(2026, 7, 1)
    assert str(frame.index.tz) == "America/New_York"
    assert all(dtype == np.float64 for dtype in frame.dtypes)
    assert frame.index.is_monotonic_increasing
    assert frame.index.is_unique
    # The bar of a half day is stamped with its 13:00 close, not a made-up 16:00.
    assert market.close_time(date(2024, 11, 29)).time() == time(13, 0)
    assert frame["spx_close"].notna().all()


def test_known_values_read_back(market: hist.MarketHistory) -> None:
    row = market.frame.iloc[market.row_of(date(2008, 10, 10))]
    assert row["spx_close"] == pytest.approx(899.22)
    assert row["vix_close"] == pytest.approx(69.95)
    assert np.isnan(row["vix9d_close"])  # VIX9D starts in 2011: missing, not invented


def test_gaps_are_reported_not_hidden(market: hist.MarketHistory) -> None:
    kinds = {(q.series, q.kind.split(" (")[0]) for q in market.quality}
    assert ("VIX", "dates that are not NYSE sessions") in kinds
    assert ("SKEW", "sessions missing inside its coverage") in kinds
    assert any(q.series == "VIX3M" and "starts after" in q.kind for q in market.quality)
    skew_gap = next(q for q in market.quality if q.series == "SKEW" and "missing" in q.kind)
    assert date(1998, 6, 30) in skew_gap.dates
    assert np.isnan(market.frame["skew"].iloc[market.row_of(date(1998, 6, 30))])


def test_up_to_cuts_the_future_off(market: hist.MarketHistory) -> None:
    cut = market.up_to(date(2008, 10, 10))
    assert cut.last_date == date(2008, 10, 10)
    assert cut.frame.index[-1].date() == date(2008, 10, 10)
    assert all(frame.empty or frame.index[-1].date() <= date(2008, 10, 10) for frame in cut.series.values())
    assert cut.series["PUT_CALL"].empty  # published from 2019: nothing yet in 2008


def test_dates_outside_the_history_are_named(market: hist.MarketHistory) -> None:
    with pytest.raises(InputError, match="1989-12-29"):
        market.position_of(date(1989, 12, 29))
    with pytest.raises(InputError, match="not a session"):
        market.row_of(date(2024, 7, 4))


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.csv"
    path.write_text(text)
    return path


SPEC = hist.SeriesSpec("SPX", ("OPEN", "HIGH", "LOW", "CLOSE"), "spx", ohlc=True)
GOOD = "DATE,OPEN,HIGH,LOW,CLOSE\n2024-01-02,1,2,0.5,1.5\n2024-01-03,1,2,0.5,1.5\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("DATE,OPEN,HIGH,LOW\n2024-01-02,1,2,0.5\n", r"line 1: header is"),
        (
            GOOD + "2024-01-4,1,2,0.5,1.5\n",
            r"line 4, column DATE: date is not YYYY-MM-DD \(value '2024-01-4'\)",
        ),
        (GOOD + "2024-01-04,1,abc,0.5,1.5\n", r"line 4, column HIGH: value is not a number \(value 'abc'\)"),
        (GOOD + "2024-01-04,1,2,0.5,-3\n", r"line 4, column CLOSE: value must be > 0 \(value '-3'\)"),
        (GOOD + "2024-01-03,1,2,0.5,1.5\n", r"line 4, column DATE: date appears twice"),
        (GOOD + "2024-01-01,1,2,0.5,1.5\n", r"line 4, column DATE: dates are not in ascending order"),
        (GOOD + "\n2024-01-05,1,2,0.5,1.5\n", r"line 4, column DATE"),
        (GOOD + "2024-01-04,1,2,0.5,\n", r"line 4, column CLOSE: value is not a number"),
    ],
)
def test_malformed_files_name_file_line_and_column(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, "SPX", text)
    with pytest.raises(DataFileError, match=message) as caught:
        hist.read_series(path, SPEC)
    assert str(path) in str(caught.value)


def test_missing_and_corrupt_files(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match=r"SPX\.csv\.gz: file not found"):
        hist.load_history(tmp_path)
    broken = tmp_path / "SPX.csv.gz"
    broken.write_bytes(gzip.compress(GOOD.encode())[:20])
    with pytest.raises(DataFileError, match="not a readable gzip file"):
        hist.read_series(broken, SPEC)


def test_a_folder_with_one_bad_file_loads_nothing(tmp_path: Path) -> None:
    source = hist.bundled_directory()
    for spec in hist.SERIES:
        (tmp_path / f"{spec.name}.csv.gz").write_bytes((source / f"{spec.name}.csv.gz").read_bytes())
    raw = gzip.decompress((tmp_path / "VIX.csv.gz").read_bytes()).decode().splitlines()
    raw[100] = raw[100].replace(",", ",x", 1)
    (tmp_path / "VIX.csv.gz").unlink()
    (tmp_path / "VIX.csv").write_text("\n".join(raw) + "\n")
    with pytest.raises(DataFileError, match=r"VIX\.csv, line 101, column OPEN"):
        hist.load_history(tmp_path)
