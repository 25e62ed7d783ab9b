"""Put channels of different rates on one time grid: :func:`align`.

Hexoskin channels come at 256, 128 and 64 Hz, 1 Hz, one per 5 minutes and as events.
:func:`align` brings any of them onto one grid: a target rate, a channel's own times, or
any datetime index. The rule depends on how the channel's rate compares with the grid's:

* **as-of** for channels no faster than the grid: each grid time takes the sample whose
  interval holds it. A sample of a channel faster than 1 Hz describes the period that
  starts at its time; a 1 Hz or slower sample (heart rate, HRV) is stamped at the *end*
  of the period it describes, so the heart rate stamped 10:00:01 covers
  [10:00:00, 10:00:01). Past the last sample (or across a gap) a value stands for one
  more of its periods at most, then NaN, so a gap stays a gap. Events (RR intervals,
  steps) are held from their time until the next event.
* **mean** over each grid interval ``[t_k, t_k+1)`` for channels faster than the grid
  (ECG, respiration, acceleration onto 1 Hz, for example). An interval without samples is
  NaN.

A grid given by ``rate`` starts at ``start``, or else at the data's first time rounded
down to a whole number of steps since the Unix epoch (1 Hz grids on whole seconds, hourly
grids on whole hours), and ends before ``end`` or the data's last time.

``how="asof"`` or ``how="mean"`` forces one rule for every channel.

Lazy xarray time axes are not materialised: as-of picks positions from the grid
arithmetic and reads only those samples.

Examples
--------
>>> import hexoframe
>>> df = hexoframe.read_hexoskin(client=client, record=37700,
...                              datatypes=["ecg", "hr", "rr"], start="2024-05-01T10:00Z",
...                              end="2024-05-01T10:01Z")
>>> one_hz = align(df, rate=1)
>>> one_hz.shape, int(one_hz["heart_rate"].notna().sum())
((60, 3), 60)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hexoframe.core import catalog, cf
from hexoframe.core.errors import InvalidQueryError

__all__ = ["align", "grid"]

_HOWS = ("auto", "asof", "mean")


def grid(start: Any, end: Any, rate: float) -> pd.DatetimeIndex:
    """Regular UTC times from ``start`` (included) to ``end`` (excluded), ``rate`` per second.

    Examples
    --------
    >>> grid("2024-05-01T10:00Z", "2024-05-01T10:00:01Z", 4)[-1]
    Timestamp('2024-05-01 10:00:00.750000+0000', tz='UTC')
    """
    if not rate or rate <= 0:
        raise InvalidQueryError(f"rate={rate!r} must be a positive number of samples per second.")
    step = pd.Timedelta(round(1e9 / float(rate)), unit="ns")
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    lo = lo.tz_localize("UTC") if lo.tzinfo is None else lo.tz_convert("UTC")
    hi = hi.tz_localize("UTC") if hi.tzinfo is None else hi.tz_convert("UTC")
    n = max(0, -(-(hi - lo).value // step.value))
    return pd.date_range(lo, periods=n, freq=step, name="time")


def _ns(index: Any) -> np.ndarray:
    idx = pd.DatetimeIndex(index)
    if idx.tz is not None:
        idx = idx.tz_convert("UTC").tz_localize(None)
    return np.asarray(idx.as_unit("ns").asi8, dtype=np.int64)


def _rate_of(name: str, times_ns: np.ndarray) -> float | None:
    """The channel's rate: the catalogue's, else from its median spacing; None for events."""
    try:
        dt = catalog.lookup(name)
    except InvalidQueryError:
        dt = None
    if dt is not None:
        return None if dt.is_async else float(dt.freq)  # type: ignore[arg-type]
    if times_ns.size < 2:
        return None
    return 1e9 / float(np.median(np.diff(times_ns)))


def _grid_rate(target_ns: np.ndarray) -> float:
    if target_ns.size < 2:
        return float("inf")
    return 1e9 / float(np.median(np.diff(target_ns)))


def _asof(
    times: np.ndarray, values: np.ndarray, target: np.ndarray, hold: int | None
) -> np.ndarray:
    """The last value at or before each target time (held at most ``hold`` ns)."""
    pos = np.searchsorted(times, target, side="right") - 1
    out = np.full(target.size, np.nan)
    ok = pos >= 0
    if hold is not None:
        ok &= np.where(ok, target - times[np.maximum(pos, 0)] < hold, False)
    out[ok] = np.asarray(values, dtype=np.float64)[pos[ok]]
    return out


def _mean(times: np.ndarray, values: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Mean of the samples in each ``[target_k, target_k+1)`` (the last interval as long as
    the grid's median step); NaN samples are ignored; empty intervals are NaN."""
    if target.size == 0:
        return np.empty(0)
    step = int(np.median(np.diff(target))) if target.size > 1 else 1
    edges = np.append(target, target[-1] + step)
    vals = np.asarray(values, dtype=np.float64)
    keep = ~np.isnan(vals) & (times >= edges[0]) & (times < edges[-1])
    bins = np.searchsorted(edges, times[keep], side="right") - 1
    sums = np.bincount(bins, weights=vals[keep], minlength=target.size)
    counts = np.bincount(bins, minlength=target.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def _covering(times: np.ndarray, values: np.ndarray, target: np.ndarray, step: int) -> np.ndarray:
    """End-stamped samples: the sample ``s`` with ``target`` in ``[s - step, s)``, else the
    last one at most one ``step`` before (the record's end, a gap)."""
    n = times.size
    out = np.full(target.size, np.nan)
    if n == 0:
        return out
    nxt = np.searchsorted(times, target, side="right")  # first stamp after the time
    vals = np.asarray(values, dtype=np.float64)
    has_next = nxt < n
    ok = has_next & (times[np.minimum(nxt, n - 1)] - target <= step)
    out[ok] = vals[nxt[ok]]
    prev = nxt - 1
    back = ~ok & (prev >= 0) & (target - times[np.maximum(prev, 0)] < step)
    out[back] = vals[prev[back]]
    return out


def _end_stamped(name: str) -> bool:
    try:
        return bool(catalog.lookup(name).end_stamped)
    except InvalidQueryError:
        return False


def _rule(how: str, rate: float | None, target_rate: float) -> str:
    if how != "auto":
        return how
    return "mean" if rate is not None and rate > target_rate * (1 + 1e-9) else "asof"


def _one(
    name: str,
    times: np.ndarray,
    values: np.ndarray,
    target: np.ndarray,
    how: str,
    target_rate: float,
) -> np.ndarray:
    rate = _rate_of(name, times)
    if _rule(how, rate, target_rate) == "mean":
        return _mean(times, values, target)
    if rate is not None and _end_stamped(name):
        return _covering(times, values, target, round(1e9 / rate))
    hold = None if rate is None else round(1e9 / rate)
    return _asof(times, values, target, hold)


def _target(
    to: Any,
    rate: float | None,
    start: Any,
    end: Any,
    channels: dict[str, Any],
    span: tuple[Any, Any],
) -> pd.DatetimeIndex:
    if (to is None) == (rate is None):
        raise InvalidQueryError(
            "Give exactly one of to=<channel name or datetime index> or rate=<samples per second>."
        )
    if rate is not None:
        if start is None and span[0] is not None:  # whole steps since the epoch
            step = round(1e9 / float(rate)) if rate and rate > 0 else 1
            start = pd.Timestamp(pd.Timestamp(span[0]).value // step * step, unit="ns", tz="UTC")
        return grid(start, span[1] if end is None else end, rate)
    if isinstance(to, str):
        if to not in channels:
            raise InvalidQueryError(f"to={to!r} is not one of the channels: {', '.join(channels)}.")
        return channels[to]
    index = pd.DatetimeIndex(to)
    return index if index.tz is not None else index.tz_localize("UTC")


def align(
    obj: Any,
    to: Any = None,
    *,
    rate: float | None = None,
    start: Any = None,
    end: Any = None,
    how: str = "auto",
) -> Any:
    """Channels of different rates on one time grid (see the module's rules).

    Parameters
    ----------
    obj : DataFrame, Series, dict of Series, or xarray Dataset
        What :func:`hexoframe.read_hexoskin` or ``xr.open_dataset(..., engine="hexoskin")``
        gave (one user).
    to : str or datetime index, optional
        A channel whose times are the grid (``"heart_rate"``), or the grid itself.
    rate : float, optional
        A regular grid at this many samples per second over the data's span (or
        ``start``/``end``).
    how : {"auto", "asof", "mean"}
        ``"auto"`` takes the mean for channels faster than the grid, as-of otherwise.

    Returns
    -------
    DataFrame (from pandas input) or Dataset (from xarray), indexed by ``time``.

    Examples
    --------
    >>> import hexoframe
    >>> df = hexoframe.read_hexoskin(client=client, record=37700, datatypes=["hr", "rr"])
    >>> on_hr = align(df, to="heart_rate")
    >>> len(on_hr) == 3599, bool(on_hr["rr_interval"].iloc[10:].notna().all())
    (True, True)
    """
    if how not in _HOWS:
        raise InvalidQueryError(f"how={how!r} is not one of {', '.join(map(repr, _HOWS))}.")
    if hasattr(obj, "data_vars"):
        return _align_dataset(obj, to, rate, start, end, how)
    series = _series_of(obj)
    channels = {name: s.dropna().index for name, s in series.items()}
    nonempty = [s.dropna().index for s in series.values() if s.notna().any()]
    span = (
        (min(i[0] for i in nonempty), max(i[-1] for i in nonempty) + pd.Timedelta(1, "ns"))
        if nonempty
        else (None, None)
    )
    target = _target(to, rate, start, end, channels, span)
    target_ns = _ns(target)
    target_rate = float(rate) if rate is not None else _grid_rate(target_ns)
    out = {}
    for name, s in series.items():
        s = s.dropna()
        out[name] = _one(
            name, _ns(s.index), s.to_numpy(dtype=np.float64), target_ns, how, target_rate
        )
    frame = pd.DataFrame(out, index=pd.DatetimeIndex(target, name="time"))
    frame.attrs = {
        "hexoskin": {
            **_meta(obj),
            "aligned": {"how": how, "rate": rate, "to": to if isinstance(to, str) else None},
        }
    }
    return frame


def _meta(obj: Any) -> dict[str, Any]:
    meta = getattr(obj, "attrs", {}).get("hexoskin") if hasattr(obj, "attrs") else None
    return dict(meta) if isinstance(meta, dict) else {}


def _series_of(obj: Any) -> dict[str, pd.Series]:
    if isinstance(obj, pd.Series):
        return {str(obj.name): obj}
    if isinstance(obj, pd.DataFrame):
        if isinstance(obj.index, pd.MultiIndex):
            raise InvalidQueryError(
                "align() takes one user's channels; select a user first "
                "(df.xs(user, level='user'))."
            )
        if "datatype" in obj.columns and "value" in obj.columns:
            raise InvalidQueryError(
                "align() takes wide frames (how='outer') or dicts; this one is long."
            )
        return {str(c): obj[c] for c in obj.columns}
    if isinstance(obj, dict):
        return {str(k): v for k, v in obj.items()}
    raise InvalidQueryError(
        f"Cannot align a {type(obj).__name__}: give a DataFrame, a "
        "Series, a dict of Series or an xarray Dataset."
    )


def _align_dataset(ds: Any, to: Any, rate: float | None, start: Any, end: Any, how: str) -> Any:
    import xarray as xr

    from hexoframe.frontends.timeaxis import TimeAxisIndex

    def times(dim: str) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(ds.indexes[dim]).tz_localize("UTC")

    dims = {str(name): str(ds[name].dims[0]) for name in ds.data_vars if ds[name].ndim == 1}
    lows, highs = [], []
    for dim in set(dims.values()):
        if ds.sizes[dim]:
            index = ds.xindexes[dim]
            if isinstance(index, TimeAxisIndex):
                t = index.transform
                lows.append(pd.Timestamp(t.start_ns, unit="ns", tz="UTC"))
                highs.append(
                    pd.Timestamp(t.start_ns + (t.size - 1) * t.step_ns, unit="ns", tz="UTC")
                )
            else:
                lows.append(times(dim)[0])
                highs.append(times(dim)[-1])
    span = (min(lows), max(highs) + pd.Timedelta(1, "ns")) if lows else (None, None)
    if isinstance(to, str):
        if to not in dims:
            raise InvalidQueryError(f"to={to!r} is not one of the variables: {', '.join(dims)}.")
        target = times(dims[to])
    else:
        target = _target(to, rate, start, end, {}, span)
    target_ns = _ns(target)
    target_rate = float(rate) if rate is not None else _grid_rate(target_ns)
    data_vars = {}
    for name, dim in dims.items():
        var = ds[name]
        index = ds.xindexes[dim]
        dt_rate = _rate_of(name, np.empty(0, np.int64))
        rule = _rule(how, dt_rate, target_rate)
        if rule == "asof" and isinstance(index, TimeAxisIndex) and dt_rate is not None:
            # positions from the grid arithmetic; only the picked samples are read
            t = index.transform
            step = t.step_ns
            last = index.positions(target_ns.view("datetime64[ns]"), "ffill")  # stamp <= T
            if _end_stamped(name):
                nxt = last + 1  # the first stamp after T covers T if within one step
                nxt_ns = t.start_ns + nxt * step
                ok = (nxt < t.size) & (nxt_ns - target_ns <= step)
                back = ~ok & (last >= 0) & (target_ns - (t.start_ns + last * step) < step)
                pos = np.where(ok, nxt, np.where(back, last, -1))
            else:
                held = target_ns - (t.start_ns + last * step) < step
                pos = np.where((last >= 0) & held, last, -1)
            picked = var.isel({dim: np.maximum(pos, 0)}).values.astype(np.float64)
            values = np.where(pos >= 0, picked, np.nan)
        else:
            if isinstance(index, TimeAxisIndex) and target_ns.size:
                # read only the samples inside the grid's span
                step = int(np.median(np.diff(target_ns))) if target_ns.size > 1 else 1
                edges = np.array([target_ns[0], target_ns[-1] + step]).view("datetime64[ns]")
                lo, hi = index.positions(edges, "bfill")
                size = ds.sizes[dim]
                var = var.isel(
                    {dim: slice(int(lo) if lo >= 0 else size, int(hi) if hi >= 0 else size)}
                )
            values = _one(
                name,
                _ns(var[dim].values),
                var.values.astype(np.float64),
                target_ns,
                rule,
                target_rate,
            )
        data_vars[name] = ("time", values, dict(var.attrs))
    time = xr.Variable("time", target_ns.view("datetime64[ns]"), dict(cf.TIME_ATTRS))
    attrs = {**ds.attrs, "aligned_how": how}
    return xr.Dataset(data_vars, coords={"time": time}, attrs=attrs)
