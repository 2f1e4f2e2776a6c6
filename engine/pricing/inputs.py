"""Input preparation for the pricing wrappers: broadcasting, dtype, and error messages.

The numba kernels only take contiguous 1-D float64 arrays of one length plus int8 rights; this
module turns whatever the caller passed (scalars, lists, arrays of broadcastable shapes) into
that, and turns an invalid element into an ``InputError`` naming the argument, its index in the
argument as the caller passed it, the value and the allowed range.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.errors import InputError

FloatArray = npt.NDArray[np.float64]
RightsArray = npt.NDArray[np.int8]

RIGHTS_RULE = "must be bool or integer (True/1/+1 = call, False/0/-1 = put)"


@dataclass(frozen=True, slots=True)
class Rule:
    """What one argument must satisfy: a message and a vectorised test for bad elements."""

    allowed: str
    is_bad: Callable[[FloatArray], npt.NDArray[np.bool_]]


def _not_positive(values: FloatArray) -> npt.NDArray[np.bool_]:
    return ~((values > 0.0) & (values < np.inf))


def _negative(values: FloatArray) -> npt.NDArray[np.bool_]:
    return ~((values >= 0.0) & (values < np.inf))


def _not_finite(values: FloatArray) -> npt.NDArray[np.bool_]:
    return ~np.isfinite(values)


def _nan(values: FloatArray) -> npt.NDArray[np.bool_]:
    return np.isnan(values) | np.isposinf(values)


POSITIVE_PRICE = Rule("must be > 0 and finite", _not_positive)
POSITIVE_YEARS = Rule("must be > 0 (years) and finite", _not_positive)
VOL = Rule("must be >= 0 and finite (annualised; 0.2 = 20%)", _negative)
RATE = Rule("must be finite (annual, continuously compounded; 0.05 = 5%)", _not_finite)
YEARS_OR_EXPIRED = Rule("must be a finite number of years (<= 0 means expired)", _nan)


def as_rights(is_call: object) -> RightsArray:
    """Return the rights as int8 (> 0 call, <= 0 put) without copying bool or int8 input."""
    rights = np.asarray(is_call)
    if rights.dtype == np.bool_ or rights.dtype == np.int8:
        return rights.view(np.int8)
    if not np.issubdtype(rights.dtype, np.integer):
        raise InputError("is_call", str(rights.dtype), RIGHTS_RULE)
    signs: RightsArray = np.sign(rights).astype(np.int8)
    return signs


def as_float(value: object) -> FloatArray:
    """Return ``value`` as a float64 array (no copy when it already is one)."""
    return np.asarray(value, dtype=np.float64)


def broadcast_flat(
    rights: RightsArray, values: Sequence[FloatArray]
) -> tuple[tuple[int, ...], RightsArray, list[FloatArray]]:
    """Broadcast rights and values together; return the shape and contiguous 1-D copies/views."""
    arrays = np.broadcast_arrays(rights, *values)
    shape = arrays[0].shape
    flat = [np.ascontiguousarray(a).reshape(-1) for a in arrays]
    return shape, flat[0], flat[1:]


def broadcast_values(
    values: Sequence[FloatArray],
) -> tuple[tuple[int, ...], list[FloatArray]]:
    """Broadcast float arrays together; return the shape and contiguous 1-D arrays."""
    arrays = np.broadcast_arrays(*values)
    shape = arrays[0].shape
    return shape, [np.ascontiguousarray(a).reshape(-1) for a in arrays]


def _where(values: FloatArray, flat_index: int) -> str:
    if values.ndim == 0:
        return ""
    if values.ndim == 1:
        return f"index {flat_index}"
    return f"index {tuple(int(i) for i in np.unravel_index(flat_index, values.shape))}"


def check(fields: Sequence[tuple[str, FloatArray, Rule]]) -> None:
    """Raise InputError for the first field (in order) that has a bad element, at its first one."""
    for name, values, rule in fields:
        bad = np.flatnonzero(rule.is_bad(values))
        if bad.size:
            index = int(bad[0])
            value = float(values.reshape(-1)[index])
            raise InputError(name, value, rule.allowed, _where(values, index))


def raise_invalid(fields: Sequence[tuple[str, FloatArray, Rule]], where: str) -> None:
    """Raise the InputError for an input a kernel reported as invalid.

    The kernels count invalid rows while computing (no extra pass in the common, valid case);
    this finds the first one for the message.
    """
    check(fields)
    # The kernels and the rules above test the same conditions, so this is unreachable; it is
    # here so that a mismatch can never pass silently.
    raise InputError("inputs", "?", "an input is outside its allowed range", where)


def require_same_length(where: str, arrays: Sequence[np.ndarray]) -> int:
    """Return the common length of 1-D arrays, or raise InputError naming the first mismatch."""
    length = arrays[0].shape[0]
    for position, array in enumerate(arrays):
        if array.ndim != 1 or array.shape[0] != length:
            raise InputError(
                f"argument {position}", array.shape, f"must be 1-D of length {length}", where
            )
    return int(length)
