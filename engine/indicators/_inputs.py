"""Input checks and shared helpers for the indicators: every failure names the field and where."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar, cast

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from engine.errors import InputError

FloatArray = NDArray[np.float64]
Function = TypeVar("Function", bound=Callable[..., Any])


def kernel(function: Function) -> Function:
    """Compile `function` with numba (`njit`, on-disk cache, GIL released), keeping its type.

    A typed wrapper around ``numba.njit(cache=True, nogil=True)``: numba has no type stubs, so
    the bare decorator would turn every kernel into an untyped callable under mypy --strict.
    No fastmath: the kernels must do exactly the IEEE operations the incremental forms do.
    """
    return cast(Function, numba.njit(cache=True, nogil=True)(function))


def as_series(values: ArrayLike, field: str, where: str) -> FloatArray:
    """Return `values` as a contiguous 1-D float64 array, or raise InputError naming `field`."""
    try:
        series = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise InputError(field, type(values).__name__, "must be an array of numbers", where) from error
    if series.ndim != 1:
        raise InputError(field, f"array of shape {series.shape}", "must be 1-D", where)
    return np.ascontiguousarray(series)


def as_same_length_series(where: str, **values: ArrayLike) -> list[FloatArray]:
    """Return each input as a 1-D float64 array; raise InputError if their lengths differ."""
    series = [as_series(array, field, where) for field, array in values.items()]
    first_field, first = next(iter(values)), series[0]
    for field, array in zip(values, series, strict=True):
        if len(array) != len(first):
            allowed = f"must have the same length as {first_field} ({len(first)})"
            raise InputError(field, f"length {len(array)}", allowed, where)
    return series


def check_period(value: object, field: str, where: str) -> int:
    """Return `value` as an int if it is a whole number >= 1, else raise InputError."""
    whole = isinstance(value, int | np.integer) and not isinstance(value, bool)
    if not whole or cast(int, value) < 1:
        raise InputError(field, value, "must be an integer >= 1", where)
    return int(cast(int, value))


def check_number(value: object, field: str, where: str, *, positive: bool) -> float:
    """Return `value` as a float if finite (and > 0 when `positive`, else >= 0)."""
    number = float(cast(float, value)) if isinstance(value, int | float | np.number) else math.nan
    if not math.isfinite(number) or number < 0.0 or (positive and number == 0.0):
        raise InputError(field, value, "must be a finite number " + ("> 0" if positive else ">= 0"), where)
    return number


def series_start(where: str, series: Mapping[str, FloatArray]) -> int:
    """Return the first index where every series has a number; reject any gap after it.

    Leading NaNs mean "not available yet" and are skipped, as TA-Lib's Python wrapper does.
    A NaN after the start would silently poison every later value of a recursive indicator,
    so it is an error: the data layer must fill or drop missing bars first.
    """
    columns = list(series.values())
    usable = np.logical_and.reduce([np.isfinite(column) for column in columns])
    start = int(np.argmax(usable)) if usable.any() else len(usable)
    for field, column in series.items():
        infinite = np.flatnonzero(np.isinf(column[:start]))
        gaps = start + np.flatnonzero(~np.isfinite(column[start:]))
        for index in (*infinite[:1], *gaps[:1]):
            allowed = "must be a finite number (NaN is allowed only before the series starts)"
            raise InputError(field, float(column[index]), allowed, f"{where}, index {index}")
    return start


def check_bar(where: str, started: bool, **values: float) -> bool:
    """Return whether a new bar is usable; False for a leading gap, InputError for a later one."""
    if all(math.isfinite(value) for value in values.values()):
        return True
    for field, value in values.items():
        if math.isinf(value) or (started and math.isnan(value)):
            allowed = "must be a finite number (NaN is allowed only before the series starts)"
            raise InputError(field, value, allowed, where)
    return False


def tail(values: FloatArray, count: int) -> tuple[float, ...]:
    """Return the last `count` values (fewer if there are fewer) as a tuple of Python floats."""
    keep = min(count, len(values))
    return tuple(values[len(values) - keep :].tolist())


def sum_in_order(values: Iterable[float]) -> float:
    """Add `values` left to right, exactly as the numba kernels do.

    Not the built-in `sum`: from Python 3.12 it compensates rounding, which would make the
    incremental forms differ from the kernels in the last bit.
    """
    total = 0.0
    for value in values:
        total += value
    return total
