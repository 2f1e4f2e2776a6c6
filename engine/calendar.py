"""Trading sessions (NYSE, from exchange_calendars) and SPX listed expirations by era.

Sessions, holidays and half days come from exchange_calendars' XNYS calendar, the maintained
source for US equity market hours. SPX options trade on Cboe on the same sessions.

Listed SPX expirations by era (what the chain model lists on a given day)
------------------------------------------------------------------------
Each rule says which weekday expires, from which first expiry on, how far ahead it is listed,
its trading class and its settlement. Sources: Cboe's product history and the launch notices
for each series (SPX Weeklys 2005; Wednesday SPXW 23 Feb 2016; Monday SPXW 15 Aug 2016;
Tuesday SPXW 18 Apr 2022; Thursday SPXW 11 May 2022). The listing horizons are approximations
of how many of each series were open at a time; a 30-60 DTE strategy only ever needs the
monthlies and the nearer Friday weeklies, which every era since 1990 (monthlies) or late 2005
(Friday weeklies) has had.

==================  ===================  ==========  =====  ====  =============================
series              first expiry         weekday     class  sett  listed ahead
==================  ===================  ==========  =====  ====  =============================
monthly             all history          3rd Friday  SPX    AM    1990-2006: 3 near months +
                                                                  3 quarterly (Mar/Jun/Sep/Dec)
                                                                  + Dec LEAPS 2 y; 2007 on: 12
                                                                  months + quarterlies + Dec 3 y
weekly-fri          2005-10-28           Friday      SPXW   PM    to 2010: 1 week; then 5 weeks
weekly-wed          2016-02-24           Wednesday   SPXW   PM    5 weeks
weekly-mon          2016-08-22           Monday      SPXW   PM    5 weeks
daily-tue           2022-04-19           Tuesday     SPXW   PM    3 weeks
daily-thu           2022-05-12           Thursday    SPXW   PM    3 weeks
==================  ===================  ==========  =====  ====  =============================

An expiry that falls on a market holiday moves to the previous session (Good Friday monthlies
expire on the Thursday before). A weekly is not listed on a day that already has the monthly.
End-of-month and quarterly PM series (SPXQ/SPXPM) and the PM third-Friday SPXW are not modelled.
AM expiries stop trading the session before and settle at 09:30 ET on the expiry day (the SOQ);
PM expiries trade through and settle at the close.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import exchange_calendars as xcals
import numpy as np
import pandas as pd

from engine.errors import InputError
from engine.model import Expiration, Settlement

MARKET_TZ = ZoneInfo("America/New_York")
CALENDAR_FIRST = date(1990, 1, 1)
CALENDAR_LAST = date(2031, 12, 31)
AM_SETTLEMENT_TIME = time(9, 30)


@functools.cache
def _xnys() -> xcals.ExchangeCalendar:
    return xcals.get_calendar("XNYS", start=CALENDAR_FIRST.isoformat(), end=CALENDAR_LAST.isoformat())


@functools.cache
def _session_ordinals() -> np.ndarray:
    """Return the NYSE sessions as sorted proleptic ordinals (fast membership and counting)."""
    return np.array([d.toordinal() for d in _xnys().sessions.date], dtype=np.int64)


def _check_range(day: date) -> None:
    if not (CALENDAR_FIRST <= day <= CALENDAR_LAST):
        raise InputError("date", day.isoformat(), f"must be within {CALENDAR_FIRST}..{CALENDAR_LAST}")


def parse_date(text: str, field: str = "date") -> date:
    """Parse an ISO date (YYYY-MM-DD); raise InputError naming the field when malformed."""
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise InputError(field, text, "must be a date written YYYY-MM-DD") from None


def is_session(day: date) -> bool:
    """Return True when the NYSE is open on that day."""
    _check_range(day)
    ordinals = _session_ordinals()
    i = int(np.searchsorted(ordinals, day.toordinal()))
    return i < len(ordinals) and int(ordinals[i]) == day.toordinal()


def sessions_between(first: date, last: date) -> list[date]:
    """Return the sessions from first to last, both included."""
    ordinals = _session_ordinals()
    lo = int(np.searchsorted(ordinals, first.toordinal(), side="left"))
    hi = int(np.searchsorted(ordinals, last.toordinal(), side="right"))
    return [date.fromordinal(int(o)) for o in ordinals[lo:hi]]


def previous_session(day: date) -> date:
    """Return the last session strictly before day."""
    ordinals = _session_ordinals()
    i = int(np.searchsorted(ordinals, day.toordinal(), side="left"))
    if i == 0:
        raise InputError(
            "date", day.isoformat(), f"has no session before it (calendar starts {CALENDAR_FIRST})"
        )
    return date.fromordinal(int(ordinals[i - 1]))


def next_session(day: date) -> date:
    """Return the first session strictly after day."""
    ordinals = _session_ordinals()
    i = int(np.searchsorted(ordinals, day.toordinal(), side="right"))
    if i >= len(ordinals):
        raise InputError("date", day.isoformat(), f"has no session after it (calendar ends {CALENDAR_LAST})")
    return date.fromordinal(int(ordinals[i]))


def on_or_before_session(day: date) -> date:
    """Return day if it is a session, otherwise the previous session."""
    return day if is_session(day) else previous_session(day)


def business_days_between(earlier: date, later: date) -> int:
    """Count sessions after `earlier` up to and including `later` (0 when the same day)."""
    ordinals = _session_ordinals()
    lo = int(np.searchsorted(ordinals, earlier.toordinal(), side="right"))
    hi = int(np.searchsorted(ordinals, later.toordinal(), side="right"))
    return hi - lo


def add_business_days(day: date, count: int) -> date:
    """Return the session `count` sessions after day; count 0 gives day itself or the next session."""
    if count < 0:
        raise InputError("count", count, "must be >= 0")
    ordinals = _session_ordinals()
    if count == 0:
        return day if is_session(day) else next_session(day)
    i = int(np.searchsorted(ordinals, day.toordinal(), side="right")) + count - 1
    if i >= len(ordinals):
        raise InputError("date", day.isoformat(), f"+{count} sessions is past {CALENDAR_LAST}")
    return date.fromordinal(int(ordinals[i]))


@functools.cache
def session_close(day: date) -> datetime:
    """Return the session's close as a tz-aware New York time (13:00 on half days)."""
    if not is_session(day):
        raise InputError("date", day.isoformat(), "is not an NYSE session")
    close = _xnys().session_close(pd.Timestamp(day))
    return close.tz_convert(MARKET_TZ).to_pydatetime()


@functools.cache
def session_open(day: date) -> datetime:
    """Return the session's open as a tz-aware New York time."""
    if not is_session(day):
        raise InputError("date", day.isoformat(), "is not an NYSE session")
    return _xnys().session_open(pd.Timestamp(day)).tz_convert(MARKET_TZ).to_pydatetime()


def session_closes(days: list[date]) -> pd.DatetimeIndex:
    """Return the closes of many sessions at once (tz-aware New York), vectorised."""
    closes = _xnys().closes.reindex(pd.DatetimeIndex(pd.to_datetime(days)))
    if closes.isna().any():
        bad = closes.index[closes.isna()][0].date()
        raise InputError("date", bad.isoformat(), "is not an NYSE session")
    return pd.DatetimeIndex(closes.to_numpy()).tz_convert(MARKET_TZ)


def is_half_day(day: date) -> bool:
    """Return True for an early-close session (13:00 ET)."""
    return session_close(day).time() < time(16, 0)


# --- listed expirations ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListingRule:
    """One series of SPX expirations: its weekday, first expiry, horizon and settlement."""

    kind: str
    weekday: int  # Monday = 0
    first_expiry: date
    trading_class: str
    settlement: Settlement
    weeks_ahead: int
    weeks_ahead_before_2011: int | None = None


WEEKLY_RULES: tuple[ListingRule, ...] = (
    ListingRule("weekly-fri", 4, date(2005, 10, 28), "SPXW", Settlement.PM, 5, 1),
    ListingRule("weekly-wed", 2, date(2016, 2, 24), "SPXW", Settlement.PM, 5),
    ListingRule("weekly-mon", 0, date(2016, 8, 22), "SPXW", Settlement.PM, 5),
    ListingRule("daily-tue", 1, date(2022, 4, 19), "SPXW", Settlement.PM, 3),
    ListingRule("daily-thu", 3, date(2022, 5, 12), "SPXW", Settlement.PM, 3),
)


def third_friday(year: int, month: int) -> date:
    """Return the third Friday of a month (the standard monthly expiry date before holidays)."""
    first = date(year, month, 1)
    return first + timedelta(days=(4 - first.weekday()) % 7 + 14)


def _month_add(year: int, month: int, offset: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + offset
    return index // 12, index % 12 + 1


def _monthly_months(as_of: date) -> list[tuple[int, int]]:
    """Return the (year, month) pairs whose monthly SPX expiry is listed on as_of."""
    if as_of.year < 2007:
        near, quarterly_span, leaps_years = 3, 9, 2
    else:
        near, quarterly_span, leaps_years = 12, 24, 3
    months = {_month_add(as_of.year, as_of.month, k) for k in range(near + 1)}
    for k in range(quarterly_span + 1):
        y, m = _month_add(as_of.year, as_of.month, k)
        if m in (3, 6, 9, 12):
            months.add((y, m))
    months.update((as_of.year + k, 12) for k in range(leaps_years + 1))
    return sorted(months)


def _settles_at(expiry: date, settlement: Settlement) -> datetime:
    if settlement is Settlement.AM:
        return datetime.combine(expiry, AM_SETTLEMENT_TIME, tzinfo=MARKET_TZ)
    return session_close(expiry)


def _expiration(expiry: date, rule_kind: str, trading_class: str, settlement: Settlement) -> Expiration:
    return Expiration(expiry, settlement, trading_class, _settles_at(expiry, settlement), rule_kind)


def _monthlies(as_of: date) -> list[Expiration]:
    out = []
    for year, month in _monthly_months(as_of):
        expiry = on_or_before_session(third_friday(year, month))
        out.append(_expiration(expiry, "monthly", "SPX", Settlement.AM))
    return out


def _weeklies(as_of: date, rule: ListingRule, taken: set[date]) -> list[Expiration]:
    weeks = rule.weeks_ahead
    if rule.weeks_ahead_before_2011 is not None and as_of.year < 2011:
        weeks = rule.weeks_ahead_before_2011
    first = as_of + timedelta(days=(rule.weekday - as_of.weekday()) % 7)
    out = []
    for k in range(weeks + 1):
        nominal = first + timedelta(weeks=k)
        if nominal < rule.first_expiry:
            continue
        expiry = on_or_before_session(nominal)
        if expiry in taken or expiry < as_of:
            continue
        taken.add(expiry)
        out.append(_expiration(expiry, rule.kind, rule.trading_class, rule.settlement))
    return out


def expiration_of(expiry: date, trading_class: str = "") -> Expiration:
    """Return the Expiration of an SPX option class: "SPX" is the AM monthly, "SPXW" PM-settled.

    Without a class ("") the expiry is read as `listed_expirations` lists it: the monthly (third
    Friday, or the session before it when that is a holiday) is the AM "SPX", any other day "SPXW".
    """
    if not trading_class:
        monthly = on_or_before_session(third_friday(expiry.year, expiry.month))
        trading_class = "SPX" if expiry == monthly else "SPXW"
    if trading_class == "SPX":
        return _expiration(expiry, "monthly", "SPX", Settlement.AM)
    if trading_class == "SPXW":
        return _expiration(expiry, "weekly", "SPXW", Settlement.PM)
    raise InputError("trading_class", trading_class, "must be SPX (AM-settled) or SPXW (PM-settled)")


def listed_expirations(as_of: datetime) -> tuple[Expiration, ...]:
    """Return the SPX expirations open for trading at `as_of` (tz-aware), nearest first.

    An expiry is listed while its settlement moment is still ahead and, for AM-settled
    monthlies, until the close of the session before it (its last trading day).
    """
    if as_of.tzinfo is None:
        raise InputError("as_of", as_of.isoformat(), "must be timezone-aware")
    day = as_of.astimezone(MARKET_TZ).date()
    _check_range(day)
    all_monthlies = _monthlies(day)
    taken = {e.expiry for e in all_monthlies}  # no weekly on a monthly's day (PM 3rd Friday not modelled)
    monthlies = [e for e in all_monthlies if e.expiry >= day]
    weeklies = [e for rule in WEEKLY_RULES for e in _weeklies(day, rule, taken)]
    listed = [e for e in monthlies + weeklies if e.settles_at > as_of]
    return tuple(sorted(listed, key=lambda e: e.settles_at))


def year_fraction(start: datetime, end: datetime) -> float:
    """Return ACT/365 years between two tz-aware moments (to the second)."""
    return (end - start).total_seconds() / (365.0 * 86400.0)
