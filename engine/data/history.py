"""Load the bundled daily market history into typed, timezone-aware, aligned frames.

One loader for every series. A file that is missing or malformed raises DataFileError naming
the file, line and column. Quality problems that do not make a file unreadable (a series that
starts later, a session missing from one series, a Cboe-only date, an open outside the day's
range) are kept out of the way of the numbers but reported in ``MarketHistory.quality``; nothing
is silently filled. Missing values in the aligned frame are NaN, never forward-filled here: a
consumer that wants to carry a value forward must say so.

Timestamps: each daily bar is stamped with its session's close in New York time (13:00 on half
days), the first moment the bar is fully known. That is what keeps replays future-blind.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from engine import calendar
from engine.errors import DataFileError, InputError


@dataclass(frozen=True, slots=True)
class SeriesSpec:
    """What one history file must contain."""

    name: str
    columns: tuple[str, ...]
    prefix: str  # column prefix in the aligned frame
    strictly_positive: bool = True  # index levels are > 0; ratios may be 0
    ohlc: bool = False


SERIES: tuple[SeriesSpec, ...] = (
    SeriesSpec("SPX", ("OPEN", "HIGH", "LOW", "CLOSE"), "spx", ohlc=True),
    SeriesSpec("VIX", ("OPEN", "HIGH", "LOW", "CLOSE"), "vix", ohlc=True),
    SeriesSpec("VIX3M", ("OPEN", "HIGH", "LOW", "CLOSE"), "vix3m", ohlc=True),
    SeriesSpec("VIX9D", ("OPEN", "HIGH", "LOW", "CLOSE"), "vix9d", ohlc=True),
    SeriesSpec("SKEW", ("SKEW",), "skew"),
    SeriesSpec("VVIX", ("VVIX",), "vvix"),
    SeriesSpec(
        "PUT_CALL",
        (
            "TOTAL_PUT_CALL_RATIO",
            "INDEX_PUT_CALL_RATIO",
            "EQUITY_PUT_CALL_RATIO",
            "SPX_SPXW_PUT_CALL_RATIO",
        ),
        "pc",
        strictly_positive=False,
    ),
)
PRIMARY = "SPX"


@dataclass(frozen=True, slots=True)
class QualityIssue:
    """One reported (not fatal) problem in a series: what, and on which dates."""

    series: str
    kind: str
    dates: tuple[date, ...]

    def describe(self, limit: int = 5) -> str:
        """Return a one-line description naming the first few dates."""
        shown = ", ".join(d.isoformat() for d in self.dates[:limit])
        more = f" and {len(self.dates) - limit} more" if len(self.dates) > limit else ""
        return f"{self.series}: {self.kind}: {len(self.dates)} ({shown}{more})"


# --- reading one file -------------------------------------------------------------------------


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataFileError(str(path), "file not found") from None
    except OSError as exc:
        raise DataFileError(str(path), f"cannot be read: {exc.strerror}") from None
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataFileError(str(path), f"is not a readable gzip file ({exc})") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataFileError(str(path), f"is not UTF-8 text (byte {exc.start})") from None


def _check_header(path: Path, header: list[str], spec: SeriesSpec) -> None:
    expected = ["DATE", *spec.columns]
    if header != expected:
        raise DataFileError(
            str(path), f"header is {','.join(header)!r}; expected {','.join(expected)!r}", line=1
        )


def _first_bad(mask: np.ndarray) -> int | None:
    hits = np.flatnonzero(mask)
    return int(hits[0]) if len(hits) else None


def _parse_dates(path: Path, text_dates: pd.Series) -> pd.DatetimeIndex:
    parsed = pd.to_datetime(text_dates, format="%Y-%m-%d", errors="coerce")
    well_formed = text_dates.str.fullmatch(r"\d{4}-\d{2}-\d{2}").to_numpy(dtype=bool)
    bad = _first_bad(parsed.isna().to_numpy() | ~well_formed)
    if bad is not None:
        raise DataFileError(
            str(path), "date is not YYYY-MM-DD", line=bad + 2, column="DATE", value=text_dates.iloc[bad]
        )
    index = pd.DatetimeIndex(parsed)
    dup = _first_bad(index.duplicated())
    if dup is not None:
        raise DataFileError(
            str(path), "date appears twice", line=dup + 2, column="DATE", value=text_dates.iloc[dup]
        )
    back = _first_bad(np.diff(index.asi8) < 0)
    if back is not None:
        raise DataFileError(
            str(path),
            "dates are not in ascending order",
            line=back + 3,
            column="DATE",
            value=text_dates.iloc[back + 1],
        )
    return index


def _parse_values(path: Path, table: pd.DataFrame, spec: SeriesSpec) -> dict[str, np.ndarray]:
    values: dict[str, np.ndarray] = {}
    for column in spec.columns:
        text = table[column]
        numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
        bad = _first_bad(~np.isfinite(numbers))
        if bad is not None:
            raise DataFileError(
                str(path), "value is not a number", line=bad + 2, column=column, value=text.iloc[bad]
            )
        floor_bad = numbers <= 0 if spec.strictly_positive else numbers < 0
        bad = _first_bad(floor_bad)
        if bad is not None:
            rule = "must be > 0" if spec.strictly_positive else "must be >= 0"
            raise DataFileError(str(path), f"value {rule}", line=bad + 2, column=column, value=text.iloc[bad])
        values[column] = numbers
    return values


def read_series(path: Path, spec: SeriesSpec) -> pd.DataFrame:
    """Read and validate one history file into a float64 frame indexed by session date.

    Raise DataFileError naming the file, line (the header is line 1) and column of the first
    problem: missing file, wrong header, a malformed or repeated or out-of-order date, a value
    that is not a number or is out of range, a blank line.
    """
    text = _read_text(path)
    try:
        table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataFileError(str(path), f"is not a well-formed CSV file ({exc})") from None
    _check_header(path, list(table.columns), spec)
    index = _parse_dates(path, table["DATE"])
    frame = pd.DataFrame(_parse_values(path, table, spec), index=index)
    frame.index.name = "date"
    return frame


# --- the aligned history ----------------------------------------------------------------------


def bundled_directory() -> Path:
    """Return the folder of the market history shipped inside the package."""
    return Path(str(resources.files("resources") / "market"))


def _series_path(directory: Path, name: str) -> Path:
    for candidate in (directory / f"{name}.csv.gz", directory / f"{name}.csv"):
        if candidate.exists():
            return candidate
    return directory / f"{name}.csv.gz"


def _ohlc_issues(spec: SeriesSpec, frame: pd.DataFrame) -> Iterable[QualityIssue]:
    if not spec.ohlc:
        return
    hi = frame[["OPEN", "CLOSE", "LOW"]].max(axis=1)
    lo = frame[["OPEN", "CLOSE", "HIGH"]].min(axis=1)
    bad = frame.index[(frame["HIGH"] < hi) | (frame["LOW"] > lo)]
    if len(bad):
        yield QualityIssue(
            spec.name, "open or close outside the day's high-low (kept as is)", tuple(bad.date)
        )
    flat = frame.index[
        (frame["OPEN"] == frame["HIGH"]) & (frame["HIGH"] == frame["LOW"]) & (frame["LOW"] == frame["CLOSE"])
    ]
    if len(flat) > 20:
        yield QualityIssue(spec.name, "no intraday range (open = high = low = close)", tuple(flat.date))


def _calendar_issues(spec: SeriesSpec, frame: pd.DataFrame, sessions: pd.DatetimeIndex) -> list[QualityIssue]:
    issues = []
    after = frame.index[frame.index > sessions[-1]]
    if len(after):
        issues.append(
            QualityIssue(spec.name, f"dates after {PRIMARY}'s last session (left out)", tuple(after.date))
        )
    off = frame.index[frame.index <= sessions[-1]].difference(sessions)
    if len(off):
        issues.append(
            QualityIssue(
                spec.name, "dates that are not NYSE sessions (left out of the aligned frame)", tuple(off.date)
            )
        )
    inside = sessions[(sessions >= frame.index[0]) & (sessions <= frame.index[-1])]
    missing = inside.difference(frame.index)
    if len(missing):
        issues.append(
            QualityIssue(
                spec.name,
                "sessions missing inside its coverage (NaN in the aligned frame)",
                tuple(missing.date),
            )
        )
    if frame.index[0] > sessions[0]:
        issues.append(
            QualityIssue(spec.name, f"starts after {PRIMARY} (NaN before)", (frame.index[0].date(),))
        )
    return issues


def _stamp_with_close(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    return calendar.session_closes(list(index.date)).rename("close_time")


@dataclass(frozen=True)
class MarketHistory:
    """Daily history of every bundled series aligned on the SPX sessions.

    ``frame`` has one row per SPX session, indexed by the session close (tz-aware New York), and
    float64 columns named ``<series>_<field>`` in lower case (``spx_close``, ``vix_high``,
    ``vix3m_close``, ``skew``, ``pc_total_put_call_ratio``...). ``series`` holds each file as read.
    """

    frame: pd.DataFrame
    series: dict[str, pd.DataFrame]
    quality: tuple[QualityIssue, ...]
    source: str
    _ordinals: np.ndarray = field(repr=False)

    @property
    def first_date(self) -> date:
        """Return the first session in the history."""
        return date.fromordinal(int(self._ordinals[0]))

    @property
    def last_date(self) -> date:
        """Return the last session in the history."""
        return date.fromordinal(int(self._ordinals[-1]))

    @property
    def dates(self) -> list[date]:
        """Return every session in the history as dates."""
        return [date.fromordinal(int(o)) for o in self._ordinals]

    def position_of(self, day: date) -> int:
        """Return the row of `day`, or of the last session before it; raise outside the history."""
        i = int(np.searchsorted(self._ordinals, day.toordinal(), side="right")) - 1
        if i < 0 or day > self.last_date:
            raise InputError(
                "date",
                day.isoformat(),
                f"must be within the history {self.first_date.isoformat()}..{self.last_date.isoformat()}",
            )
        return i

    def row_of(self, day: date) -> int:
        """Return the row of the session `day`; raise InputError if it is not one of the history's."""
        row = self.position_of(day)
        if int(self._ordinals[row]) != day.toordinal():
            raise InputError("date", day.isoformat(), "is not a session of the history (market closed)")
        return row

    def column(self, name: str) -> np.ndarray:
        """Return one aligned column as a read-only float64 array."""
        if name not in self.frame.columns:
            raise InputError("column", name, f"must be one of {', '.join(self.frame.columns)}")
        values = self.frame[name].to_numpy(dtype=np.float64)
        values.setflags(write=False)
        return values

    def up_to(self, day: date) -> MarketHistory:
        """Return the history cut after `day`: what a replay at that day's close may see."""
        stop = self.position_of(day) + 1
        cutoff = self.frame.index[stop - 1]
        series = {name: frame.loc[: cutoff.date().isoformat()] for name, frame in self.series.items()}
        return MarketHistory(self.frame.iloc[:stop], series, self.quality, self.source, self._ordinals[:stop])

    def with_bar(self, day: date, values: dict[str, float], carry: bool = False) -> MarketHistory:
        """Return the history with one more session, `day`, after its last (a live day's bar).

        `values` are aligned column names (``spx_close``, ``vix_open``...); columns not given are NaN,
        or with `carry` the last session's value (series a live feed does not stream, e.g. SKEW).
        """
        if day <= self.last_date or not calendar.is_session(day):
            raise InputError("day", day.isoformat(), f"must be a session after {self.last_date.isoformat()}")
        unknown = sorted(set(values) - set(self.frame.columns))
        if unknown:
            raise InputError("column", unknown[0], f"must be one of {', '.join(self.frame.columns)}")
        last = self.frame.iloc[-1]
        row = {name: float(values.get(name, last[name] if carry else np.nan)) for name in self.frame.columns}
        index = _stamp_with_close(pd.DatetimeIndex([pd.Timestamp(day)]))
        frame = pd.concat([self.frame, pd.DataFrame([row], index=index)])
        ordinals = np.append(self._ordinals, day.toordinal())
        source = f"{self.source} + live {day.isoformat()}"
        return MarketHistory(frame, self.series, self.quality, source, ordinals)

    def close_time(self, day: date) -> datetime:
        """Return the moment the bar of `day` became known (its session close)."""
        ts = self.frame.index[self.position_of(day)]
        return ts.to_pydatetime()


def _aligned(specs: tuple[SeriesSpec, ...], series: dict[str, pd.DataFrame]) -> pd.DataFrame:
    sessions = series[PRIMARY].index
    columns = {}
    for spec in specs:
        frame = series[spec.name].reindex(sessions)
        for column in spec.columns:
            name = spec.prefix if len(spec.columns) == 1 else f"{spec.prefix}_{column.lower()}"
            columns[name] = frame[column].to_numpy(dtype=np.float64)
    aligned = pd.DataFrame(columns, index=_stamp_with_close(sessions))
    return aligned


def load_history(directory: Path | None = None) -> MarketHistory:
    """Load every series from `directory` (default: the bundled history) and align them.

    The primary axis is the SPX sessions, which must all be NYSE sessions. Every other series is
    reindexed onto it; what that drops or leaves empty is listed in ``quality``.
    """
    folder = directory or bundled_directory()
    series = {spec.name: read_series(_series_path(folder, spec.name), spec) for spec in SERIES}
    primary = series[PRIMARY]
    sessions = pd.DatetimeIndex(
        pd.to_datetime(calendar.sessions_between(primary.index[0].date(), primary.index[-1].date()))
    )
    off_calendar = primary.index.difference(sessions)
    if len(off_calendar):
        path = _series_path(folder, PRIMARY)
        line = int(primary.index.get_loc(off_calendar[0])) + 2
        raise DataFileError(
            str(path),
            "date is not an NYSE session",
            line=line,
            column="DATE",
            value=off_calendar[0].date().isoformat(),
        )
    issues: list[QualityIssue] = []
    for spec in SERIES:
        issues.extend(_calendar_issues(spec, series[spec.name], sessions))
        issues.extend(_ohlc_issues(spec, series[spec.name]))
    frame = _aligned(SERIES, series)
    ordinals = np.array([d.toordinal() for d in primary.index.date], dtype=np.int64)
    return MarketHistory(frame, series, tuple(issues), str(folder), ordinals)
