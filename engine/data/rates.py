"""Interest-rate and dividend-yield assumptions for modelled chains (modelled inputs).

The bundled history has no rates or dividends, yet pricing an SPX option needs both (they set
the forward). These tables are annual averages, rounded, of the 3-month US Treasury bill
(secondary market) rate and of the S&P 500 dividend yield, written down by hand from the
public annual figures; they are approximate and are labelled modelled like everything the
chain model builds. To stay future-blind, a chain dated in year Y uses the average of year
Y-1 (known on 1 January of Y), never Y's own average. For 45-day options the effect of a
1-point rate error on a 50-wide put spread is a few cents; a user with better data can
override both in the chain model's parameters.
"""

from __future__ import annotations

from datetime import date

from engine.errors import InputError

# Year -> 3-month T-bill annual average, percent.
TBILL_3M_PCT: dict[int, float] = {
    1989: 8.11,
    1990: 7.49,
    1991: 5.38,
    1992: 3.43,
    1993: 3.00,
    1994: 4.25,
    1995: 5.49,
    1996: 5.01,
    1997: 5.06,
    1998: 4.78,
    1999: 4.64,
    2000: 5.82,
    2001: 3.39,
    2002: 1.60,
    2003: 1.01,
    2004: 1.37,
    2005: 3.15,
    2006: 4.73,
    2007: 4.36,
    2008: 1.37,
    2009: 0.15,
    2010: 0.14,
    2011: 0.05,
    2012: 0.09,
    2013: 0.06,
    2014: 0.03,
    2015: 0.05,
    2016: 0.32,
    2017: 0.93,
    2018: 1.94,
    2019: 2.06,
    2020: 0.36,
    2021: 0.05,
    2022: 2.02,
    2023: 5.07,
    2024: 4.97,
    2025: 4.2,
}

# Year -> S&P 500 dividend yield annual average, percent.
SPX_DIVIDEND_YIELD_PCT: dict[int, float] = {
    1989: 3.4,
    1990: 3.6,
    1991: 3.2,
    1992: 2.9,
    1993: 2.8,
    1994: 2.8,
    1995: 2.6,
    1996: 2.2,
    1997: 1.8,
    1998: 1.5,
    1999: 1.2,
    2000: 1.2,
    2001: 1.3,
    2002: 1.6,
    2003: 1.7,
    2004: 1.7,
    2005: 1.8,
    2006: 1.8,
    2007: 1.9,
    2008: 2.6,
    2009: 2.3,
    2010: 1.9,
    2011: 2.1,
    2012: 2.1,
    2013: 2.0,
    2014: 1.9,
    2015: 2.1,
    2016: 2.1,
    2017: 1.9,
    2018: 1.9,
    2019: 1.9,
    2020: 1.7,
    2021: 1.3,
    2022: 1.6,
    2023: 1.5,
    2024: 1.3,
    2025: 1.2,
}


def _prior_year_value(table: dict[int, float], day: date, what: str) -> float:
    year = day.year - 1
    if year < min(table):
        raise InputError("date", day.isoformat(), f"{what} is known from {min(table) + 1} on")
    return table[min(year, max(table))] / 100.0


def risk_free_rate(day: date) -> float:
    """Return the continuously-compounded rate assumed on `day` (decimal, prior-year average)."""
    return _prior_year_value(TBILL_3M_PCT, day, "the rate assumption")


def dividend_yield(day: date) -> float:
    """Return the SPX dividend yield assumed on `day` (decimal, prior-year average)."""
    return _prior_year_value(SPX_DIVIDEND_YIELD_PCT, day, "the dividend assumption")
