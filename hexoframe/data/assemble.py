"""Turn decoded channels into pandas objects: units, time index, attrs, wide/long frames.

One channel is a datatype's ``(ticks, values)``. Values arrive either *raw* (binary: WAV and
hxd integers) or in the API ``unit`` (JSON and CSV);
:func:`hexoframe.core.units.convert` brings both to the units asked for, so the same query gives
identical frames whichever method fetched it.

Value dtypes depend only on the datatype and the units, never on the method:

- ``units="raw"``: int16/uint16 (sync, by the datatype's sign), int64 (async);
- ``units="api"``: like raw where ``api_scale == 1``, float64 otherwise;
- ``units="physical"``: float64.

Values that cannot be integers (NaN from a JSON ``null``, non-integral numbers) fall back
to float64.

Examples
--------
>>> import numpy as np
>>> from hexoframe.core.catalog import lookup
>>> s = channel_series(lookup("heart_rate"), np.array([256, 512]), np.array([70, 71]),
...                    source="raw", units="api")
>>> s.index[0], s.dtype.name, s.attrs["unit"], s.attrs["units"]
(Timestamp('1970-01-01 00:00:01+0000', tz='UTC'), 'int16', 'bpm', 'min-1')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from hexoframe.core import cf
from hexoframe.core.catalog import Datatype
from hexoframe.core.errors import InvalidQueryError
from hexoframe.core.timebase import TimeBase
from hexoframe.core.timestamps import TICKS_PER_SECOND, ns_per_tick
from hexoframe.core.units import check_units, convert

#: The former name of :func:`hexoframe.core.units.convert`.
convert_values = convert

__all__ = [
    "HOWS",
    "check_how",
    "time_index",
    "grid_index",
    "channel_series",
    "combine",
    "unit_of",
]

HOWS = ("outer", "long", "dict")


def check_how(how: str) -> str:
    """Validate a ``how`` argument (``"outer"``, ``"long"`` or ``"dict"``).

    Examples
    --------
    >>> check_how("long")
    'long'
    """
    if how not in HOWS:
        raise InvalidQueryError(f"how={how!r} is not one of {', '.join(map(repr, HOWS))}.")
    return how


def unit_of(dt: Datatype, units: str) -> str:
    """The unit label of a datatype's values in ``units``.

    Examples
    --------
    >>> from hexoframe.core.catalog import lookup
    >>> unit_of(lookup("ecg"), "physical")
    'mV'
    """
    check_units(units)
    if units == "raw":
        return dt.unit_raw
    if units == "physical":
        return dt.physical_unit
    return dt.unit


def time_index(
    ticks: np.ndarray, tick_rate: int = TICKS_PER_SECOND, name: str = "time"
) -> pd.DatetimeIndex:
    """Exact tz-aware UTC DatetimeIndex from int64 ticks.

    Examples
    --------
    >>> import numpy as np
    >>> time_index(np.array([256]))[0]
    Timestamp('1970-01-01 00:00:01+0000', tz='UTC')
    """
    ns = np.asarray(ticks, dtype=np.int64) * np.int64(ns_per_tick(tick_rate))
    values = ns.view("datetime64[ns]")
    return pd.DatetimeIndex(pd.array(values, dtype=pd.DatetimeTZDtype("ns", "UTC")), name=name)


def grid_index(
    first: Fraction | int,
    step: Fraction | int,
    count: int,
    tick_rate: int = TICKS_PER_SECOND,
    name: str = "time",
) -> pd.DatetimeIndex:
    """Exact tz-aware UTC DatetimeIndex of a regular grid (``first + k*step`` ticks, where
    ``first`` and ``step`` may be fractions of a tick that are whole nanoseconds).

    Examples
    --------
    >>> grid_index(256, 128, 3)[-1]
    Timestamp('1970-01-01 00:00:02+0000', tz='UTC')
    >>> grid_index(Fraction(125, 32), Fraction(125, 32), 2, tick_rate=1000)[-1]
    Timestamp('1970-01-01 00:00:00.007812500+0000', tz='UTC')
    """
    base = TimeBase(tick_rate)
    return pd.date_range(
        start=pd.Timestamp(base.ns(first), unit="ns", tz="UTC"),
        periods=int(count),
        freq=pd.Timedelta(base.step_ns(step), unit="ns"),
        name=name,
    )


def channel_series(
    dt: Datatype,
    ticks: np.ndarray | None,
    values: np.ndarray,
    *,
    source: str,
    units: str = "api",
    tick_rate: int = TICKS_PER_SECOND,
    user: int | None = None,
    extra: Mapping[str, Any] | None = None,
    grid: tuple[Fraction | int, Fraction | int] | None = None,
    index_cache: dict[tuple[Any, Any, int, int], pd.DatetimeIndex] | None = None,
) -> pd.Series:
    """One datatype's samples as a Series with a "time" index and descriptive attrs.

    attrs: the CF attributes of :func:`hexoframe.core.cf.variable_attrs` (``units`` as a
    UDUNITS string, ``long_name``, ``hexoskin_unit``, ``hexoskin_units`` =
    ``"api"``/``"raw"``/``"physical"``, flags), and ``id``, ``name``, ``rate`` (Hz, None if
    async), ``unit`` (the service's name), ``user``, ``tick_rate`` and any ``extra``.
    Pass ``grid=(first, step)`` instead of ``ticks`` for a regular channel: the index is
    then built in one pass (and carries its ``freq``); with ``index_cache`` (a dict kept
    across calls) channels on the same grid share one index object.

    Examples
    --------
    >>> import numpy as np
    >>> from hexoframe.core.catalog import lookup
    >>> channel_series(lookup("ecg"), np.array([0, 1]), np.array([1360, 1361]),
    ...                source="raw", units="physical").tolist()
    [0.0, 0.0064]
    """
    vals = convert_values(dt, values, source=source, units=units)
    if grid is not None:
        key = (Fraction(grid[0]), Fraction(grid[1]), len(vals), tick_rate)
        index = None if index_cache is None else index_cache.get(key)
        if index is None:
            index = grid_index(grid[0], grid[1], len(vals), tick_rate)
            if index_cache is not None:
                index_cache[key] = index  # channels on one grid share one (immutable) index
    else:
        if ticks is None:
            raise ValueError("channel_series needs ticks or grid=(first, step)")
        index = time_index(ticks, tick_rate)
    series = pd.Series(vals, index=index, name=dt.name, copy=False)
    series.attrs = {
        **cf.variable_attrs(dt, units),  # flat CF metadata: "units" is a UDUNITS string
        "id": dt.id,
        "name": dt.name,
        "rate": dt.freq,
        "unit": unit_of(dt, units),
        "user": user,
        "tick_rate": tick_rate,
        **(dict(extra) if extra else {}),
    }
    return series


def _column_attrs(series: Sequence[pd.Series]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for s in series:
        out[str(s.name)] = {
            "id": s.attrs.get("id"),
            "rate": s.attrs.get("rate"),
            "unit": s.attrs.get("unit"),
            "units": s.attrs.get("hexoskin_units"),
            "cf_units": s.attrs.get("units"),
        }
    return out


def combine(
    series: Sequence[pd.Series], how: str = "outer", attrs: Mapping[str, Any] | None = None
) -> pd.DataFrame | dict[str, pd.Series]:
    """Join channel Series into one result.

    Parameters
    ----------
    series : sequence of Series
        As made by :func:`channel_series`; ``attrs["user"]`` tells users apart.
    how : {"outer", "long", "dict"}
        ``"outer"``: wide DataFrame, one column per datatype, rows at the union of times
        (with a ``user`` index level when several users are present). ``"long"``: tidy
        DataFrame with columns ``time``, (``user``,) ``datatype``, ``value``. ``"dict"``:
        ``{name: Series}`` (keys ``(user, name)`` for several users).
    attrs : mapping, optional
        Stored as ``result.attrs["hexoskin"]`` (with per-column ``columns`` info added).

    Examples
    --------
    >>> import numpy as np
    >>> from hexoframe.core.catalog import lookup
    >>> hr = channel_series(lookup("hr"), np.array([256, 512]), np.array([70, 71]), source="raw")
    >>> br = channel_series(lookup("br"), np.array([256]), np.array([12]), source="raw")
    >>> combine([hr, br]).shape, combine([hr, br], how="long").shape
    ((2, 2), (3, 3))
    """
    check_how(how)
    meta = dict(attrs or {})
    meta["columns"] = _column_attrs(series)
    users = list(dict.fromkeys(s.attrs.get("user") for s in series))
    multi = len(users) > 1
    if how == "dict":
        if multi:
            return {(s.attrs.get("user"), str(s.name)): s for s in series}
        return {str(s.name): s for s in series}
    if how == "long":
        parts = []
        for s in series:
            part = pd.DataFrame(
                {
                    "time": s.index,
                    "datatype": pd.Categorical.from_codes(
                        np.zeros(len(s), dtype=np.int8), categories=[str(s.name)]
                    ),
                    "value": s.to_numpy(),
                }
            )
            if multi:
                part.insert(1, "user", s.attrs.get("user"))
            parts.append(part)
        if parts:
            frame = pd.concat(parts, ignore_index=True)
            names = list(dict.fromkeys(str(s.name) for s in series))
            frame["datatype"] = frame["datatype"].astype(pd.CategoricalDtype(names))
        else:
            frame = pd.DataFrame(
                {"time": time_index(np.empty(0, np.int64)), "datatype": [], "value": []}
            )
        frame.attrs = {"hexoskin": meta}
        return frame
    if multi:
        frames = []
        for user in users:
            cols = [s for s in series if s.attrs.get("user") == user]
            sub = _wide(cols)
            sub.index = pd.MultiIndex.from_arrays(
                [np.full(len(sub), user, dtype=object), sub.index], names=["user", "time"]
            )
            frames.append(sub)
        frame = pd.concat(frames)
    else:
        frame = _wide(series)
    frame.attrs = {"hexoskin": meta}
    return frame


def _wide(series: Sequence[pd.Series]) -> pd.DataFrame:
    if not series:
        return pd.DataFrame(index=time_index(np.empty(0, np.int64)))
    first = series[0].index
    if all(s.index.equals(first) for s in series[1:]):
        frame = pd.DataFrame({str(s.name): s.to_numpy() for s in series}, index=first)
    else:
        frame = pd.concat(list(series), axis=1, join="outer", sort=True)
        frame.index.name = "time"
    for s in series:
        frame[str(s.name)].attrs = {}
    return frame
