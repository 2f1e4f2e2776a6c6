"""The trading calendar and SPX listed expirations by era."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from engine import calendar
from engine.errors import InputError
from engine.model import Settlement


def _listed_on(day: date) -> dict[date, tuple[str, str, Settlement]]:
    as_of = calendar.session_close(day)
    return {e.expiry: (e.kind, e.trading_class, e.settlement) for e in calendar.listed_expirations(as_of)}


def test_sessions_holidays_and_half_days() -> None:
    assert calendar.is_session(date(2024, 7, 3))
    assert not calendar.is_session(date(2024, 7, 4))  # Independence Day
    assert not calendar.is_session(date(2025, 1, 9))  # national day of mourning (Carter)
    assert calendar.is_half_day(date(2024, 11, 29))  # day after Thanksgiving closes at 13:00
    assert calendar.session_close(date(2024, 11, 29)).time() == time(13, 0)
    assert calendar.session_close(date(2024, 7, 5)).time() == time(16, 0)


def test_business_day_arithmetic_skips_weekends_and_holidays() -> None:
    assert calendar.business_days_between(date(2024, 7, 2), date(2024, 7, 8)) == 3  # 3rd, 5th, 8th
    assert calendar.add_business_days(date(2024, 7, 3), 1) == date(2024, 7, 5)
    assert calendar.add_business_days(date(2024, 7, 4), 0) == date(2024, 7, 5)
    assert calendar.next_session(date(2024, 7, 3)) == date(2024, 7, 5)
    assert calendar.previous_session(date(2024, 7, 5)) == date(2024, 7, 3)


def test_monthly_is_third_friday_am_and_moves_before_good_friday() -> None:
    assert calendar.third_friday(2024, 1) == date(2024, 1, 19)
    listed = _listed_on(date(2008, 3, 3))
    assert listed[date(2008, 3, 20)] == ("monthly", "SPX", Settlement.AM)  # 21 March was Good Friday
    assert date(2008, 3, 21) not in listed


def test_eras_of_weeklies() -> None:
    before_weeklies = _listed_on(date(2003, 6, 2))
    assert {kind for kind, _, _ in before_weeklies.values()} == {"monthly"}
    fridays_only = _listed_on(date(2014, 6, 2))
    assert {kind for kind, _, _ in fridays_only.values()} == {"monthly", "weekly-fri"}
    mon_wed_fri = {kind for kind, _, _ in _listed_on(date(2017, 3, 1)).values()}
    assert mon_wed_fri == {"monthly", "weekly-fri", "weekly-wed", "weekly-mon"}
    every_day = {kind for kind, _, _ in _listed_on(date(2024, 1, 5)).values()}
    assert {"daily-tue", "daily-thu"} <= every_day
    weekly = _listed_on(date(2024, 1, 5))[date(2024, 1, 12)]
    assert weekly == ("weekly-fri", "SPXW", Settlement.PM)


def test_expiring_today_leaves_the_chain_at_its_settlement() -> None:
    friday = date(2024, 1, 12)
    at_noon = datetime.combine(friday, time(12, 0), tzinfo=calendar.MARKET_TZ)
    assert friday in {e.expiry for e in calendar.listed_expirations(at_noon)}
    assert friday not in {e.expiry for e in calendar.listed_expirations(calendar.session_close(friday))}
    # AM monthly: gone at its 09:30 settlement on expiry day.
    monthly = date(2024, 1, 19)
    before_open = datetime.combine(monthly, time(9, 0), tzinfo=calendar.MARKET_TZ)
    after_open = datetime.combine(monthly, time(9, 31), tzinfo=calendar.MARKET_TZ)
    assert monthly in {e.expiry for e in calendar.listed_expirations(before_open)}
    assert monthly not in {e.expiry for e in calendar.listed_expirations(after_open)}


def test_bad_dates_are_named() -> None:
    with pytest.raises(InputError, match=r"date='2024-13-01'.*YYYY-MM-DD"):
        calendar.parse_date("2024-13-01")
    with pytest.raises(InputError, match="timezone-aware"):
        calendar.listed_expirations(datetime(2024, 1, 5, 16))  # noqa: DTZ001 - the naive time is the point
    with pytest.raises(InputError, match="1980-01-02"):
        calendar.is_session(date(1980, 1, 2))
