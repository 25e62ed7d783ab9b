"""HexoTimestamps (1/256 s since 1970-01-01 UTC) to and from datetimes, exactly.

One tick of a Hexoskin host is 1/256 s = 3,906,250 ns, so every conversion here is
integer arithmetic; nothing goes through floats.  Astroskin hosts count 1/1000 s:
pass ``tick_rate=1000``.

Naive datetimes and strings without an offset are taken as UTC (the API's own ISO
strings are naive UTC).  Times that fall between two ticks are floored to the tick
before them.

Examples
--------
>>> from hexoframe.timestamps import to_ticks, ticks_to_timestamp
>>> to_ticks("2024-05-01T10:00:00Z")
438926745600
>>> ticks_to_timestamp(438926745600)
Timestamp('2024-05-01 10:00:00+0000', tz='UTC')
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import numpy as np
import pandas as pd

from .errors import InvalidQueryError

TICKS_PER_SECOND = 256
ASTROSKIN_TICKS_PER_SECOND = 1000
NS_PER_SECOND = 1_000_000_000
NS_PER_TICK = NS_PER_SECOND // TICKS_PER_SECOND  # 3_906_250, exact

__all__ = [
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
        return int(ticks) * step
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
        return int(ns) // step
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


def to_ticks(value: Any, tick_rate: int = TICKS_PER_SECOND) -> Any:
    """Any time-like value to ticks (int, or an int64 array for array-likes).

    Parameters
    ----------
    value : int, str, datetime, date, pandas.Timestamp, numpy.datetime64, or array-like
        Integers are already ticks and pass through.  Naive datetimes and strings
        without an offset are UTC; aware ones are converted to UTC.
    tick_rate : int
        Ticks per second of the host (256, or 1000 for Astroskin).

    Returns
    -------
    int or numpy.ndarray of int64

    Raises
    ------
    InvalidQueryError
        When the value cannot be read as a time.

    Examples
    --------
    >>> to_ticks("1970-01-01T00:00:01")
    256
    >>> to_ticks(pd.Timestamp("1970-01-01 01:00:01", tz="Europe/Paris"))
    256
    """
    step = ns_per_tick(tick_rate)
    if value is None:
        raise InvalidQueryError("A time is required here, got None.")
    if isinstance(value, bool):
        raise InvalidQueryError(f"{value!r} is not a time.")
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        if not float(value).is_integer():
            raise InvalidQueryError(
                f"{value!r} is a float; pass ticks as integers or a datetime/ISO string."
            )
        return int(value)
    if isinstance(value, (str, _dt.datetime, _dt.date, np.datetime64, pd.Timestamp)):
        try:
            ts = pd.Timestamp(value)
        except (ValueError, TypeError, OverflowError) as exc:
            raise InvalidQueryError(
                f"Cannot read {value!r} as a time; use ISO 8601 such as "
                "'2024-05-01T10:00:00Z', a datetime, or HexoTimestamp ticks."
            ) from exc
        if ts is pd.NaT:
            raise InvalidQueryError(f"{value!r} is not a time (NaT).")
        return _timestamp_to_ns(ts) // step
    # array-likes
    if isinstance(value, (pd.Series, pd.Index)) and pd.api.types.is_integer_dtype(value.dtype):
        return np.asarray(value, dtype=np.int64).copy()
    arr = np.asarray(value)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    try:
        idx = pd.DatetimeIndex(pd.to_datetime(value, utc=True))
    except (ValueError, TypeError, OverflowError) as exc:
        raise InvalidQueryError(f"Cannot read {type(value).__name__} values as times.") from exc
    if idx.hasnans:
        raise InvalidQueryError("Times contain NaT; drop or fill them first.")
    ns = idx.tz_localize(None).as_unit("ns").asi8
    return np.floor_divide(ns, np.int64(step))
