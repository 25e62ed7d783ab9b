"""HexoTimestamps (1/256 s since 1970-01-01 UTC) to and from datetimes, exactly.

One tick of a Hexoskin host is 1/256 s = 3,906,250 ns, so every conversion here is
integer arithmetic; nothing goes through floats.  Astroskin hosts count 1/1000 s:
pass ``tick_rate=1000``.

Naive datetimes and strings without an offset are taken as UTC (the API's own ISO
strings are naive UTC).  Times that fall between two ticks are floored to the tick
before them.

Examples
--------
>>> from hexoframe.core.timestamps import to_ticks, ticks_to_timestamp
>>> to_ticks("2024-05-01T10:00:00Z")
438926745600
>>> ticks_to_timestamp(438926745600)
Timestamp('2024-05-01 10:00:00+0000', tz='UTC')
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any

import numpy as np
import pandas as pd

from hexoframe.core.errors import InvalidQueryError

TICKS_PER_SECOND = 256
ASTROSKIN_TICKS_PER_SECOND = 1000
NS_PER_SECOND = 1_000_000_000
NS_PER_TICK = NS_PER_SECOND // TICKS_PER_SECOND  # 3_906_250, exact

__all__ = [
    "describe_span",
    "TICKS_PER_SECOND",
    "ASTROSKIN_TICKS_PER_SECOND",
    "NS_PER_TICK",
    "ns_per_tick",
    "ticks_to_ns",
    "ns_to_ticks",
    "ticks_to_datetime64",
    "ticks_to_timestamp",
    "to_ticks",
    "unix_seconds_to_ticks",
    "ticks_to_unix_seconds",
]


def ns_per_tick(tick_rate: int = TICKS_PER_SECOND) -> int:
    """Nanoseconds in one tick; exact for rates that divide 10**9 (256 and 1000 do).

    Examples
    --------
    >>> ns_per_tick(256), ns_per_tick(1000)
    (3906250, 1000000)
    """
    if tick_rate <= 0 or NS_PER_SECOND % tick_rate:
        raise InvalidQueryError(
            f"tick_rate={tick_rate!r} does not divide a second into whole nanoseconds; "
            "use 256 (Hexoskin) or 1000 (Astroskin)."
        )
    return NS_PER_SECOND // tick_rate


def ticks_to_ns(ticks: Any, tick_rate: int = TICKS_PER_SECOND) -> Any:
    """Ticks to integer nanoseconds since the epoch (int or int64 array).

    Examples
    --------
    >>> ticks_to_ns(256)
    1000000000
    """
    step = ns_per_tick(tick_rate)
    if np.isscalar(ticks) and not isinstance(ticks, np.ndarray):
        return int(ticks) * step  # type: ignore[arg-type]  # a scalar, by the test
    return np.asarray(ticks, dtype=np.int64) * np.int64(step)


def ns_to_ticks(ns: Any, tick_rate: int = TICKS_PER_SECOND) -> Any:
    """Integer nanoseconds to ticks, flooring times between ticks.

    Examples
    --------
    >>> ns_to_ticks(1_000_000_001)
    256
    """
    step = ns_per_tick(tick_rate)
    if np.isscalar(ns) and not isinstance(ns, np.ndarray):
        return int(ns) // step  # type: ignore[arg-type]  # a scalar, by the test
    return np.floor_divide(np.asarray(ns, dtype=np.int64), np.int64(step))


def ticks_to_datetime64(ticks: Any, tick_rate: int = TICKS_PER_SECOND) -> Any:
    """Ticks to naive-UTC ``datetime64[ns]`` (a scalar or an array).

    Examples
    --------
    >>> ticks_to_datetime64([0, 1])
    array(['1970-01-01T00:00:00.000000000', '1970-01-01T00:00:00.003906250'],
          dtype='datetime64[ns]')
    """
    ns = ticks_to_ns(ticks, tick_rate)
    if isinstance(ns, np.ndarray):
        return ns.view("datetime64[ns]")
    return np.datetime64(ns, "ns")


def ticks_to_timestamp(ticks: Any, tick_rate: int = TICKS_PER_SECOND) -> Any:
    """Ticks to tz-aware UTC pandas times: a ``Timestamp`` or a ``DatetimeIndex``.

    Examples
    --------
    >>> ticks_to_timestamp(256)
    Timestamp('1970-01-01 00:00:01+0000', tz='UTC')
    """
    ns = ticks_to_ns(ticks, tick_rate)
    if isinstance(ns, np.ndarray):
        return pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC")
    return pd.Timestamp(ns, unit="ns", tz="UTC")


def describe_span(start: int, end: int, tick_rate: int = TICKS_PER_SECOND) -> str:
    """A tick span as a person reads it, with the ticks after it (for messages).

    Examples
    --------
    >>> describe_span(438926745600, 438927667200)
    '2024-05-01T10:00:00Z to 2024-05-01T11:00:00Z (ticks [438926745600, 438927667200))'
    """

    def iso(t: int) -> str:
        text = str(np.datetime64(int(t) * ns_per_tick(tick_rate), "ns"))
        text = text.rstrip("0").rstrip(".") if "." in text else text
        return text + "Z"

    return f"{iso(start)} to {iso(end)} (ticks [{int(start)}, {int(end)}))"


def unix_seconds_to_ticks(seconds: float | int, tick_rate: int = TICKS_PER_SECOND) -> int:
    """Unix seconds (as in ``X-HexoCache`` or ``info.json['timestamp']``) to ticks, rounded.

    Examples
    --------
    >>> unix_seconds_to_ticks(1492522958.3085938)
    382085877327
    """
    return int(round(float(seconds) * tick_rate))


def ticks_to_unix_seconds(ticks: int, tick_rate: int = TICKS_PER_SECOND) -> float:
    """Ticks to Unix seconds as a float (inexact beyond microseconds; for display only).

    Examples
    --------
    >>> ticks_to_unix_seconds(512)
    2.0
    """
    return int(ticks) / tick_rate


def _timestamp_to_ns(ts: pd.Timestamp) -> int:
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return int(ts.as_unit("ns").value)


_RANGE_TEXT = "1677-09-21 to 2262-04-11 UTC (the range of nanosecond datetimes)"


_TIME_TYPES = (str, _dt.datetime, _dt.date, np.datetime64, pd.Timestamp)


def _tick_limit(step: int) -> int:
    """Largest tick count: ticks are int64 (a span check bounds what is asked of the service)."""
    return 2**63 - 1


def _out_of_range(value: Any) -> InvalidQueryError:
    return InvalidQueryError(
        f"{value!r} is out of range: ticks are 64-bit integers and datetimes must lie in "
        f"{_RANGE_TEXT}."
    )


def _number_to_ticks(value: Any, step: int) -> int:
    """A number is ticks: integers as they are, floats only when whole and finite."""
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if not math.isfinite(number) or not number.is_integer():
            raise InvalidQueryError(
                f"{value!r} is not a whole number of ticks; pass ticks as integers or a "
                "datetime/ISO string."
            )
        if abs(number) >= 2.0**63:
            raise _out_of_range(value)
        ticks = int(number)
    else:
        ticks = int(value)
    if abs(ticks) > _tick_limit(step):
        raise _out_of_range(value)
    return ticks


def _scalar_to_ticks(value: Any, step: int) -> int:
    """The one rule for a single value; containers apply it to each element."""
    if value is None:
        raise InvalidQueryError("A time is required here, got None.")
    if isinstance(value, (bool, np.bool_)):
        raise InvalidQueryError(f"{value!r} is not a time.")
    if isinstance(value, (int, np.integer, float, np.floating)):
        return _number_to_ticks(value, step)
    if isinstance(value, _TIME_TYPES):
        try:
            ts = pd.Timestamp(value)
            if ts is pd.NaT:
                raise InvalidQueryError(f"{value!r} is not a time (NaT).")
            ns = _timestamp_to_ns(ts)
        except pd.errors.OutOfBoundsDatetime:
            raise _out_of_range(value) from None
        except (ValueError, TypeError, OverflowError):
            raise InvalidQueryError(
                f"Cannot read {value!r} as a time; use ISO 8601 such as "
                "'2024-05-01T10:00:00Z', a datetime, or HexoTimestamp ticks."
            ) from None
        return ns // step
    raise InvalidQueryError(
        f"Cannot read a {type(value).__name__} as a time; use ticks, an ISO 8601 string, "
        "a datetime, or a list/array/Series of those."
    )


def _array_to_ticks(value: Any, step: int) -> np.ndarray:
    """Containers: the scalar rule, vectorised where the dtype says what every value is."""
    if isinstance(value, (pd.Series, pd.Index)) and isinstance(value.dtype, pd.DatetimeTZDtype):
        value = (
            value.tz_convert("UTC").tz_localize(None)
            if isinstance(value, pd.Index)
            else value.dt.tz_convert("UTC").dt.tz_localize(None)
        )
    if isinstance(value, (list, tuple)):  # element by element: numpy would mix the kinds
        return np.fromiter(
            (_scalar_to_ticks(v, step) for v in value), dtype=np.int64, count=len(value)
        )
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise InvalidQueryError(f"Cannot read {type(value).__name__} values as times.") from exc
    if arr.ndim != 1:
        arr = arr.reshape(-1) if arr.ndim == 0 else arr
        if arr.ndim != 1:
            raise InvalidQueryError(f"Times must be one-dimensional, got shape {arr.shape}.")
    limit = _tick_limit(step)
    kind = arr.dtype.kind
    if kind in "iu":
        if arr.size and (arr.max() > limit or (kind == "i" and arr.min() < -limit)):
            raise _out_of_range(arr.max() if arr.max() > limit else arr.min())
        return arr.astype(np.int64)
    if kind == "f":
        bad = ~np.isfinite(arr) | (arr != np.trunc(arr))
        if bad.any():
            _number_to_ticks(arr[bad][0], step)  # raises, naming the value
        if arr.size and np.abs(arr).max() >= 2.0**63:
            raise _out_of_range(arr[np.abs(arr).argmax()])
        return arr.astype(np.int64)
    if kind == "M":
        if np.isnat(arr).any():
            raise InvalidQueryError("Times contain NaT; drop or fill them first.")
        try:
            ns = arr.astype("datetime64[ns]", casting="same_kind")
        except (ValueError, OverflowError):
            raise _out_of_range(arr) from None
        if (
            arr.astype("datetime64[s]").astype(np.int64)
            != ns.astype("datetime64[s]").astype(np.int64)
        ).any():
            raise _out_of_range(arr)
        return np.floor_divide(ns.view(np.int64), np.int64(step))
    if kind == "b":
        raise InvalidQueryError("Booleans are not times.")
    return np.fromiter((_scalar_to_ticks(v, step) for v in arr), dtype=np.int64, count=arr.size)


def to_ticks(value: Any, tick_rate: int = TICKS_PER_SECOND) -> Any:
    """Any time-like value to ticks (int, or an int64 array for array-likes).

    One rule for scalars and every element of a container: numbers are ticks (floats only
    when whole and finite), strings are ISO 8601 (naive means UTC), datetimes and
    ``numpy.datetime64`` are converted to UTC; times between ticks are floored.

    Parameters
    ----------
    value : int, float, str, datetime, date, pandas.Timestamp, numpy.datetime64, or array-like
        A time, or a list/tuple/array/Series/Index of times (mixed kinds allowed).
    tick_rate : int
        Ticks per second of the host (256, or 1000 for Astroskin).

    Returns
    -------
    int or numpy.ndarray of int64

    Raises
    ------
    InvalidQueryError
        When a value cannot be read as a time, is not a whole number of ticks, or lies
        outside 1677-09-21 to 2262-04-11 UTC.

    Examples
    --------
    >>> to_ticks("1970-01-01T00:00:01")
    256
    >>> to_ticks(pd.Timestamp("1970-01-01 01:00:01", tz="Europe/Paris"))
    256
    >>> to_ticks([256.0, "1970-01-01T00:00:02"]).tolist()
    [256, 512]
    """
    step = ns_per_tick(tick_rate)
    if isinstance(value, (list, tuple, np.ndarray, pd.Series, pd.Index)):
        return _array_to_ticks(value, step)
    return _scalar_to_ticks(value, step)
