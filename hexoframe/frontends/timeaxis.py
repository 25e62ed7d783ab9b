"""Lazy, exact time axes for xarray: ``start + i * step`` without materialising labels.

A 7-day ECG channel at 256 Hz has 155 million samples; a pandas index of its times
would take 1.2 GB.  :class:`TimeAxisIndex` keeps only the first tick, the step and the
size, computes labels for the positions asked for, and maps label selections
(scalars, arrays, and ``slice`` objects, read as pandas reads them: inclusive at both
ends, and a partial date string as a stop keeps its whole second, minute or day) to
positions, so ``ds.sel(time_256hz=slice("2024-05-01T10:00", "2024-05-01T10:10"))`` works
without computing a single label outside the answer.

Labels are naive UTC ``datetime64[ns]``, computed from ticks with integer arithmetic.

Examples
--------
>>> import numpy as np, xarray as xr
>>> idx = TimeAxisIndex.from_ticks(438926745600, 1, 1024, dim="time_256hz")
>>> ds = xr.Dataset(coords=xr.Coordinates.from_xindex(idx))
>>> ds.sel(time_256hz=slice("2024-05-01T10:00:01", "2024-05-01T10:00:02")).sizes["time_256hz"]
512
>>> ds.sel(time_256hz=slice(None, np.datetime64("2024-05-01T10:00:01"))).sizes["time_256hz"]
257
"""

from __future__ import annotations

import copy
from collections.abc import Hashable, Mapping
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
from xarray import DataArray, Variable
from xarray.core.indexing import IndexSelResult
from xarray.indexes import CoordinateTransform, CoordinateTransformIndex, Index, PandasIndex

from hexoframe.core.cf import TIME_ATTRS
from hexoframe.core.timebase import TimeBase
from hexoframe.core.timestamps import TICKS_PER_SECOND, ns_per_tick

__all__ = ["TimeAxisTransform", "TimeAxisIndex", "time_coords"]

_NS = np.dtype("datetime64[ns]")


class TimeAxisTransform(CoordinateTransform):
    """Positions ``i`` to times ``(start + i * step) * ns_per_tick`` (naive UTC, ns).

    Parameters
    ----------
    start : int or Fraction
        Exact tick of position 0 (a whole number of nanoseconds).
    step : int or Fraction
        Ticks between positions (positive; a whole number of nanoseconds, e.g. 125/32 ticks
        for 256 Hz at Astroskin's 1000 ticks per second).
    size : int
        Number of positions.
    coord_name, dim : str
        Coordinate and dimension names (usually equal).
    tick_rate : int
        Ticks per second (256 for Hexoskin, 1000 for Astroskin).
    """

    def __init__(
        self,
        start: int | Fraction,
        step: int | Fraction,
        size: int,
        coord_name: Hashable,
        dim: str,
        tick_rate: int = TICKS_PER_SECOND,
    ) -> None:
        super().__init__([coord_name], {dim: int(size)}, dtype=_NS)
        self.start = Fraction(start)
        self.step = Fraction(step)
        self.tick_rate = int(tick_rate)
        self.ns_per_tick = ns_per_tick(self.tick_rate)
        base = TimeBase(self.tick_rate)
        self._start_ns, self._step_ns = base.ns(self.start), base.step_ns(self.step)

    @property
    def coord_name(self) -> Hashable:
        return self.coord_names[0]

    @property
    def dim(self) -> str:
        return self.dims[0]

    @property
    def size(self) -> int:
        return self.dim_size[self.dim]

    @property
    def start_ns(self) -> int:
        return self._start_ns

    @property
    def step_ns(self) -> int:
        return self._step_ns

    @property
    def cf_units(self) -> str:
        """CF units of the axis encoded as int64: nanoseconds since its first label.

        Examples
        --------
        >>> TimeAxisTransform(256, 1, 3, "t", "t").cf_units
        'nanoseconds since 1970-01-01T00:00:01'
        >>> TimeAxisTransform(Fraction(1, 2), 1, 3, "t", "t").cf_units
        'nanoseconds since 1970-01-01T00:00:00.001953125'
        """
        first = str(np.datetime64(self.start_ns, "ns"))
        return f"nanoseconds since {first.rstrip('0').rstrip('.') if '.' in first else first}"

    def forward(self, dim_positions: dict[str, Any]) -> dict[Hashable, Any]:
        pos = np.asarray(dim_positions[self.dim], dtype=np.int64)
        ns = pos * np.int64(self.step_ns) + np.int64(self.start_ns)  # array first: fast path
        return {self.coord_name: ns.view(_NS)}

    def reverse(self, coord_labels: dict[Hashable, Any]) -> dict[str, Any]:
        ns = _to_ns(coord_labels[self.coord_name])
        return {self.dim: (ns - self.start_ns) / self.step_ns}

    def equals(self, other: CoordinateTransform, **kwargs: Any) -> bool:
        return isinstance(other, TimeAxisTransform) and (
            self.start_ns,
            self.step_ns,
            self.size,
        ) == (other.start_ns, other.step_ns, other.size)

    def slice(self, sl: slice) -> TimeAxisTransform:
        """The transform of ``positions[sl]``."""
        r = range(self.size)[sl]
        return TimeAxisTransform(
            self.start + r.start * self.step,
            self.step * r.step,
            len(r),
            self.coord_name,
            self.dim,
            self.tick_rate,
        )

    def __repr__(self) -> str:
        first = np.datetime64(self.start_ns, "ns")
        return f"TimeAxisTransform(start={first}, step={self.step_ns} ns, size={self.size})"


def _to_ns(value: Any) -> Any:
    """Labels (str, datetime, datetime64, Timestamp, arrays) to int64 ns, naive UTC."""
    if isinstance(value, (Variable, DataArray)):
        value = value.values
    arr = np.asarray(value)
    if arr.dtype.kind == "M":
        ns = arr.astype(_NS).astype(np.int64)
        return ns if arr.ndim else int(ns)
    if arr.ndim == 0:
        ts = pd.Timestamp(arr.item())
        if ts.tzinfo is not None:
            ts = ts.tz_convert("UTC").tz_localize(None)
        return int(ts.as_unit("ns").value)
    iso = {"format": "ISO8601"} if arr.dtype.kind == "U" else {}  # "…:00" beside "…:00.5"
    idx = pd.to_datetime(arr.ravel(), utc=True, **iso).tz_localize(None).as_unit("ns")
    return np.asarray(idx.asi8).reshape(arr.shape)


def _string_end_ns(value: Any) -> int | None:
    """For a date string, the (exclusive) end in UTC ns of the period it names at its own
    resolution, as pandas' partial-string slicing reads a slice's stop (``"10:00:59"``
    keeps the whole second); None for anything else.

    Examples
    --------
    >>> _string_end_ns("1970-01-01T00:00:01") == 2 * 10**9
    True
    """
    if not isinstance(value, str):
        return None
    try:
        period = pd.Period(value)
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        return None
    end = (period + 1).start_time  # wall time, as the string wrote it
    offset = stamp.utcoffset() if stamp.tzinfo is not None else None
    if offset:
        end = end - offset
    return int(end.as_unit("ns").value)


class TimeAxisIndex(CoordinateTransformIndex):
    """An xarray index over a lazy, evenly spaced time axis.

    Selection by labels: scalars and arrays must fall on the grid (``KeyError``
    otherwise) unless ``method="nearest"``; slices keep every position whose time lies
    in ``[slice.start, slice.stop]``, a partial date string as the stop standing for its
    whole period (pandas semantics), and return a lazy index again.

    Examples
    --------
    >>> import xarray as xr
    >>> idx = TimeAxisIndex.from_ticks(0, 256, 10, dim="time_1hz")
    >>> ds = xr.Dataset(coords=xr.Coordinates.from_xindex(idx))
    >>> str(ds.time_1hz.values[1])
    '1970-01-01T00:00:01.000000000'
    """

    transform: TimeAxisTransform

    @classmethod
    def from_ticks(
        cls,
        start: int | Fraction,
        step: int | Fraction,
        size: int,
        *,
        dim: str,
        coord_name: Hashable | None = None,
        tick_rate: int = TICKS_PER_SECOND,
    ) -> TimeAxisIndex:
        """An index for ``size`` times from tick ``start`` every ``step`` ticks."""
        return cls(TimeAxisTransform(start, step, size, coord_name or dim, dim, tick_rate))

    @classmethod
    def from_variables(cls, variables: Mapping[Any, Variable], *, options: Mapping[str, Any]):
        raise NotImplementedError(
            "TimeAxisIndex is built from ticks: use TimeAxisIndex.from_ticks() with "
            "xarray.Coordinates.from_xindex()."
        )

    @property
    def dim(self) -> str:
        return self.transform.dim

    def isel(self, indexers: Mapping[Any, int | slice | np.ndarray | Variable]) -> Index | None:
        idx = indexers[self.dim]
        if isinstance(idx, slice):
            return type(self)(self.transform.slice(idx))
        if isinstance(idx, Variable) and idx.ndim != 1 or np.ndim(idx) == 0:
            return None
        pos = np.asarray(idx.values if isinstance(idx, Variable) else idx)
        if pos.dtype == bool:
            pos = np.flatnonzero(pos)
        pos = np.where(pos < 0, pos + self.transform.size, pos)
        values = self.transform.forward({self.dim: pos})[self.transform.coord_name]
        new_dim = idx.dims[0] if isinstance(idx, Variable) else self.dim
        return PandasIndex(pd.Index(values, name=self.transform.coord_name), new_dim)

    def _locate(
        self, ns: np.ndarray, method: str | None, tolerance: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(positions, unmatched)`` of int64 ns labels, by ``method`` as pandas'
        ``get_indexer`` (``"ffill"``/``"pad"``: the last time at or before; ``"bfill"``/
        ``"backfill"``: the first at or after; ``"nearest"``), from the grid alone."""
        t = self.transform
        offset = ns - t.start_ns
        last = max(t.size - 1, 0)
        if method is None:
            pos, rem = np.divmod(offset, t.step_ns)
            bad = (rem != 0) | (pos < 0) | (pos >= t.size)
        elif method == "nearest":
            # ties go to the later time, as pandas' get_indexer(method="nearest")
            pos = np.clip(np.floor_divide(2 * offset + t.step_ns, 2 * t.step_ns), 0, last)
            bad = np.zeros(pos.shape, dtype=bool)
        elif method in ("ffill", "pad"):
            pos = np.minimum(np.floor_divide(offset, t.step_ns), last)
            bad = pos < 0
        elif method in ("bfill", "backfill"):
            pos = np.maximum(-np.floor_divide(-offset, t.step_ns), 0)
            bad = pos > last
        else:
            raise ValueError(
                f"method={method!r} is not supported; use None, 'nearest', "
                "'ffill'/'pad' or 'bfill'/'backfill'."
            )
        if t.size == 0:
            bad = np.ones(pos.shape, dtype=bool)
        if tolerance is not None and method is not None:
            tol = pd.Timedelta(tolerance).value
            bad = bad | (np.abs(t.start_ns + pos * t.step_ns - ns) > tol)
        return pos, bad

    def _positions(self, labels: Any, method: str | None, tolerance: Any) -> np.ndarray:
        ns = np.asarray(_to_ns(labels), dtype=np.int64)
        pos, bad = self._locate(ns, method, tolerance)
        if np.any(bad):
            first = np.asarray(labels).ravel()[np.flatnonzero(np.ravel(bad))[0]]
            how = "" if method is None else f" with method={method!r}"
            raise KeyError(
                f"{first!r} is not a time of {self.dim!r}{how}; use "
                "method='nearest', 'ffill' or 'bfill', or a slice."
            )
        return pos

    def positions(
        self, labels: Any, method: str | None = None, tolerance: Any = None
    ) -> np.ndarray:
        """Positions of ``labels``, -1 where none matches (pandas' ``get_indexer``).

        Examples
        --------
        >>> idx = TimeAxisIndex.from_ticks(256, 256, 3, dim="t")
        >>> idx.positions(["1970-01-01T00:00:02.5", "1970-01-01T00:00:00"], "ffill").tolist()
        [1, -1]
        """
        ns = np.atleast_1d(np.asarray(_to_ns(labels), dtype=np.int64))
        pos, bad = self._locate(ns, method, tolerance)
        return np.where(bad, -1, pos).astype(np.int64)

    def sel(
        self, labels: dict[Any, Any], method: str | None = None, tolerance: Any = None
    ) -> IndexSelResult:
        t = self.transform
        label = labels[t.coord_name]
        if isinstance(label, slice):
            if label.step is not None:
                raise ValueError("time slices with a step are not supported; use .isel")
            lo, hi = 0, t.size
            if label.start is not None:
                off = int(_to_ns(label.start)) - t.start_ns
                lo = min(max(-(-off // t.step_ns), 0), t.size)
            if label.stop is not None:
                end = _string_end_ns(label.stop)
                if end is None:  # an instant: kept when a sample falls on it
                    off = int(_to_ns(label.stop)) - t.start_ns
                    hi = min(max(off // t.step_ns + 1, 0), t.size)
                else:  # a partial date string: its whole second, minute, day ... is kept
                    hi = min(max(-(-(end - t.start_ns) // t.step_ns), 0), t.size)
            return IndexSelResult({self.dim: slice(lo, max(lo, hi))})
        if isinstance(label, (Variable, DataArray)):
            pos = self._positions(label.values, method, tolerance)
            if isinstance(label, DataArray):
                return IndexSelResult({self.dim: DataArray(pos, dims=label.dims)})
            return IndexSelResult({self.dim: Variable(label.dims, pos)})
        pos = self._positions(label, method, tolerance)
        return IndexSelResult({self.dim: pos if pos.ndim else int(pos)})

    def _same_grid(self, other: Index) -> bool:
        if not isinstance(other, TimeAxisIndex):
            return False
        a, b = self.transform, other.transform
        return a.step_ns == b.step_ns and (a.start_ns - b.start_ns) % a.step_ns == 0

    def _as_pandas(self) -> PandasIndex:
        return PandasIndex(self.to_pandas_index(), self.dim)

    def join(self, other: Index, how: str = "inner") -> Index:
        """Inner/outer join; stays lazy for axes on one grid that overlap or touch."""
        if self._same_grid(other):
            a, b = self.transform, other.transform  # type: ignore[attr-defined]
            a0, a1 = a.start_ns, a.start_ns + a.size * a.step_ns
            b0, b1 = b.start_ns, b.start_ns + b.size * b.step_ns
            if how == "inner":
                lo, hi = max(a0, b0), min(a1, b1)
                hi = max(lo, hi)
            elif how == "outer" and max(a0, b0) <= min(a1, b1):
                lo, hi = min(a0, b0), max(a1, b1)
            else:
                lo = hi = None
            if lo is not None and hi is not None:
                start = a.start + Fraction(lo - a0, a.ns_per_tick)
                size = (hi - lo) // a.step_ns
                return type(self)(
                    TimeAxisTransform(start, a.step, size, a.coord_name, a.dim, a.tick_rate)
                )
        other_pd = other._as_pandas() if isinstance(other, TimeAxisIndex) else other
        return self._as_pandas().join(other_pd, how=how)

    def reindex_like(
        self, other: Index, method: Any = None, tolerance: Any = None
    ) -> dict[Hashable, Any]:
        if self._same_grid(other) and method is None:
            a, b = self.transform, other.transform  # type: ignore[attr-defined]
            offset = (b.start_ns - a.start_ns) // a.step_ns
            pos = np.arange(b.size, dtype=np.int64) + offset
            pos[(pos < 0) | (pos >= a.size)] = -1
            return {self.dim: pos}
        labels = (
            other.to_pandas_index() if isinstance(other, (TimeAxisIndex, PandasIndex)) else None
        )
        if labels is None:
            other_pd = other._as_pandas() if isinstance(other, TimeAxisIndex) else other
            return self._as_pandas().reindex_like(other_pd, method, tolerance)
        return {self.dim: self.positions(np.asarray(labels), method, tolerance)}

    def create_variables(self, variables: Mapping[Any, Variable] | None = None) -> dict:
        out = super().create_variables(variables)
        for name, var in out.items():  # keep encoding (e.g. preferred_chunks) across copies
            if variables is not None and name in variables:
                var.encoding = dict(variables[name].encoding)
        return out

    def to_pandas_index(self) -> pd.Index:
        values = self.transform.forward({self.dim: np.arange(self.transform.size)})
        return pd.DatetimeIndex(values[self.transform.coord_name], name=self.transform.coord_name)

    def rename(self, name_dict: Mapping[Any, Hashable], dims_dict: Mapping[Any, Hashable]):
        t = self.transform
        if t.coord_name not in name_dict and t.dim not in dims_dict:
            return self
        new = copy.copy(t)
        new.coord_names = (name_dict.get(t.coord_name, t.coord_name),)
        new.dims = (str(dims_dict.get(t.dim, t.dim)),)
        new.dim_size = {new.dims[0]: t.size}
        return type(self)(new)

    def _repr_inline_(self, max_width: int) -> str:
        t = self.transform
        return (
            f"TimeAxisIndex (start={np.datetime64(t.start_ns, 'ns')}, "
            f"step={pd.Timedelta(t.step_ns, 'ns')}, size={t.size})"
        )

    def __repr__(self) -> str:
        return self._repr_inline_(200)


def time_coords(
    start: int | Fraction,
    step: int | Fraction,
    size: int,
    dim: str,
    tick_rate: int = TICKS_PER_SECOND,
) -> Any:
    """``xarray.Coordinates`` holding one lazy time axis with UTC attributes.

    Examples
    --------
    >>> time_coords(0, 1, 3, "time_256hz")["time_256hz"].attrs["timezone"]
    'UTC'
    """
    import xarray as xr

    idx = TimeAxisIndex.from_ticks(start, step, size, dim=dim, tick_rate=tick_rate)
    coords = xr.Coordinates.from_xindex(idx)
    coords[dim].attrs.update(TIME_ATTRS)
    return coords
