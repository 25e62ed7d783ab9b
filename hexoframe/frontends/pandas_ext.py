"""pandas front door: ``pd.read_hexoskin`` and the ``.hexo`` Series/DataFrame accessors.

pandas has no plugin mechanism for ``read_*`` functions, so :func:`register` assigns
``pd.read_hexoskin`` only when it is absent or already ours; ``hexoframe.read_hexoskin`` is
the canonical name. The accessors are stateless (pandas rebuilds them on every access):
everything they know comes from the object's index and ``attrs``.

Examples
--------
>>> import pandas as pd, hexoframe
>>> s = pd.Series([438926745600, 438926745856])
>>> s.hexo.to_datetime().iloc[1]
Timestamp('2024-05-01 10:00:01+0000', tz='UTC')
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from hexoframe.core import catalog, cf
from hexoframe.core.errors import InvalidQueryError
from hexoframe.core.timestamps import TICKS_PER_SECOND, ns_per_tick
from hexoframe.core.units import convert
from hexoframe.data import assemble
from hexoframe.data.reader import read_hexoskin

__all__ = ["register", "HexoSeriesAccessor", "HexoFrameAccessor"]


# pd.read_hexoskin is hexoframe.read_hexoskin itself: its signature and docstring in help()
_read_hexoskin = read_hexoskin
_read_hexoskin._hexoframe = True  # type: ignore[attr-defined]


def register() -> bool:
    """Set ``pd.read_hexoskin`` (if absent or ours) and the ``.hexo`` accessors.

    Returns
    -------
    bool
        True when ``pd.read_hexoskin`` is hexoframe's after the call.

    Examples
    --------
    >>> register()
    True
    """
    current = getattr(pd, "read_hexoskin", None)
    ours = current is None or getattr(current, "_hexoframe", False)
    if ours:
        pd.read_hexoskin = _read_hexoskin
    else:
        warnings.warn(
            "pd.read_hexoskin is already defined by another package; left as is. "
            "Use hexoframe.read_hexoskin.",
            stacklevel=2,
        )
    for cls, accessor in ((pd.Series, HexoSeriesAccessor), (pd.DataFrame, HexoFrameAccessor)):
        existing = getattr(cls, "hexo", None)
        if existing is accessor:
            continue
        if existing is None or getattr(existing, "__module__", "") == __name__:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                if cls is pd.Series:
                    pd.api.extensions.register_series_accessor("hexo")(accessor)
                else:
                    pd.api.extensions.register_dataframe_accessor("hexo")(accessor)
    return ours


def _tick_rate(obj: pd.Series | pd.DataFrame, tick_rate: int | None) -> int:
    if tick_rate is not None:
        return int(tick_rate)
    meta = obj.attrs.get("hexoskin", obj.attrs)
    return int(meta.get("tick_rate", TICKS_PER_SECOND) or TICKS_PER_SECOND)


def _ticks_to_dt(values: Any, tick_rate: int) -> np.ndarray:
    ints = np.asarray(values, dtype=np.int64)
    return (ints * np.int64(ns_per_tick(tick_rate))).view("datetime64[ns]")


def _dt_to_ticks(index: Any, tick_rate: int) -> np.ndarray:
    idx = pd.DatetimeIndex(index)
    if idx.tz is not None:
        idx = idx.tz_convert("UTC").tz_localize(None)
    return np.floor_divide(idx.as_unit("ns").asi8, np.int64(ns_per_tick(tick_rate)))


def _naive_utc(index: Any) -> pd.DatetimeIndex:
    """A datetime index as naive UTC (what xarray stores), named ``time`` if unnamed."""
    idx = pd.DatetimeIndex(index)
    if idx.tz is not None:
        idx = idx.tz_convert("UTC").tz_localize(None)
    return idx.rename(idx.name or "time")


def _storable(attrs: dict[str, Any]) -> dict[str, Any]:
    """Attributes netCDF can hold: numbers, strings and lists of them (None dropped)."""
    out: dict[str, Any] = {}
    for key, value in attrs.items():
        if isinstance(value, bool):
            out[key] = int(value)
        elif isinstance(value, (int, float, str, np.integer, np.floating)):
            out[key] = value
        elif isinstance(value, (list, tuple)) and all(
            isinstance(v, (int, float, str)) and not isinstance(v, bool) for v in value
        ):
            out[key] = list(value)
    return out


def _datatype(attrs: dict[str, Any], name: Any) -> catalog.Datatype:
    key = attrs.get("id") or name
    if key is None:
        raise InvalidQueryError("No datatype known for this object: set attrs['id'] or name it.")
    return catalog.lookup(key)


class _AnalysisMethods:
    """The analysis shortcuts both accessors offer (on the Series or DataFrame ``_obj``)."""

    _obj: Any

    def plot(self, **kwargs: Any) -> Any:
        """Plot against time with a ``name [unit]`` label (:func:`hexoframe.plot`)."""
        from hexoframe.analysis.plotting import plot

        return plot(self._obj, **kwargs)

    def clean_rr(self, **kwargs: Any) -> pd.DataFrame:
        """Beats kept or dropped, and why (:func:`hexoframe.analysis.clean_rr`)."""
        from hexoframe.analysis.beats import clean_rr

        return clean_rr(self._obj, **kwargs)

    def hrv(self, **kwargs: Any) -> pd.Series | pd.DataFrame:
        """HRV of RR intervals, whole or windowed (:func:`hexoframe.analysis.hrv`)."""
        from hexoframe.analysis.hrv import hrv

        return hrv(self._obj, **kwargs)

    def time_in_zones(self, hr_max: float, **kwargs: Any) -> pd.DataFrame:
        """Time in heart-rate zones (:func:`hexoframe.analysis.zones.time_in_zones`)."""
        from hexoframe.analysis.zones import time_in_zones

        return time_in_zones(self._obj, hr_max, **kwargs)

    def to_neurokit(self, **kwargs: Any) -> dict[str, Any]:
        """ECG or cleaned RR for neurokit2 (:func:`hexoframe.analysis.bridges.to_neurokit`)."""
        from hexoframe.analysis.bridges import to_neurokit

        return to_neurokit(self._obj, **kwargs)

    def to_mne(self, **kwargs: Any) -> Any:
        """An ``mne.io.RawArray`` (:func:`hexoframe.analysis.bridges.to_mne`)."""
        from hexoframe.analysis.bridges import to_mne

        return to_mne(self._obj, **kwargs)

    def to_wfdb(self, **kwargs: Any) -> Any:
        """A ``wfdb.Record`` (:func:`hexoframe.analysis.bridges.to_wfdb`)."""
        from hexoframe.analysis.bridges import to_wfdb

        return to_wfdb(self._obj, **kwargs)


class HexoSeriesAccessor(_AnalysisMethods):
    """``Series.hexo``: ticks <-> datetimes, units from attrs.

    Examples
    --------
    >>> import pandas as pd, hexoframe
    >>> s = pd.Series([1360, 1516], name="ecg_i")
    >>> s.attrs.update(id=4113, units="raw")
    >>> s.hexo.to_physical().round(4).tolist()
    [0.0, 0.9984]
    """

    def __init__(self, obj: pd.Series) -> None:
        self._obj = obj

    @property
    def datatype(self) -> catalog.Datatype:
        """The catalogue datatype of this Series (from ``attrs["id"]`` or its name)."""
        return _datatype(self._obj.attrs, self._obj.name)

    @property
    def unit(self) -> str:
        """Unit label of the values."""
        units = self._obj.attrs.get("hexoskin_units", "api")
        return str(self._obj.attrs.get("unit", assemble.unit_of(self.datatype, units)))

    def to_datetime(self, tick_rate: int | None = None) -> pd.Series:
        """HexoTimestamp integers (the values) to tz-aware UTC datetimes, exactly."""
        rate = _tick_rate(self._obj, tick_rate)
        arr = _ticks_to_dt(self._obj.to_numpy(), rate)
        out = pd.Series(arr, index=self._obj.index, name=self._obj.name).dt.tz_localize("UTC")
        return out

    def to_ticks(self, tick_rate: int | None = None) -> pd.Series:
        """Datetime values to HexoTimestamp integers (floored)."""
        rate = _tick_rate(self._obj, tick_rate)
        return pd.Series(_dt_to_ticks(self._obj, rate), index=self._obj.index, name=self._obj.name)

    def index_ticks(self, tick_rate: int | None = None) -> np.ndarray:
        """The DatetimeIndex as HexoTimestamp integers."""
        return _dt_to_ticks(self._obj.index, _tick_rate(self._obj, tick_rate))

    def with_tick_index(self, tick_rate: int | None = None) -> pd.Series:
        """A copy indexed by HexoTimestamp integers (``ts``) instead of datetimes."""
        out = self._obj.copy()
        out.index = pd.Index(self.index_ticks(tick_rate), name="ts")
        return out

    def with_time_index(self, tick_rate: int | None = None) -> pd.Series:
        """A copy whose integer HexoTimestamp index becomes a UTC ``time`` index."""
        out = self._obj.copy()
        rate = _tick_rate(self._obj, tick_rate)
        out.index = assemble.time_index(np.asarray(self._obj.index, dtype=np.int64), rate)
        return out

    def convert(self, units: str) -> pd.Series:
        """Values in ``"api"``, ``"raw"`` or ``"physical"`` units (from
        ``attrs["hexoskin_units"]``); the CF attributes follow."""
        dt = self.datatype
        src = self._obj.attrs.get("hexoskin_units", "api")
        vals = convert(dt, self._obj.to_numpy(), source=src, units=units)
        out = pd.Series(vals, index=self._obj.index, name=self._obj.name)
        out.attrs = {
            **self._obj.attrs,
            **cf.variable_attrs(dt, units),
            "unit": assemble.unit_of(dt, units),
        }
        return out

    def to_physical(self) -> pd.Series:
        """Values in physical units (mV, g, mL, ...)."""
        return self.convert("physical")

    def to_raw(self) -> pd.Series:
        """Raw integer values as the device stores them."""
        return self.convert("raw")

    def info(self) -> dict[str, Any]:
        """Datatype id, name, rate and unit."""
        dt = self.datatype
        return {
            "id": dt.id,
            "name": dt.name,
            "rate": dt.freq,
            "unit": self.unit,
            "units": self._obj.attrs.get("hexoskin_units", "api"),
        }

    def to_xarray(self) -> Any:
        """A DataArray with the flat CF attributes (pandas' own ``to_xarray()`` drops
        ``attrs``); its ``time`` coordinate is UTC with ``standard_name``/``axis``.

        Examples
        --------
        >>> hr = hexoframe.read_hexoskin(client=client, record=37700, datatypes="hr",
        ...                              how="dict")["heart_rate"]
        >>> da = hr.hexo.to_xarray()
        >>> da.attrs["units"], da["time"].attrs["axis"]
        ('min-1', 'T')
        """
        import xarray as xr

        index = _naive_utc(self._obj.index)
        da = xr.DataArray(
            self._obj.to_numpy(),
            dims=(index.name or "time",),
            coords={index.name or "time": index},
            name=self._obj.name,
            attrs=_storable(self._obj.attrs),
        )
        da[index.name or "time"].attrs.update(cf.TIME_ATTRS)
        return da


class HexoFrameAccessor(_AnalysisMethods):
    """``DataFrame.hexo``: units per column (from attrs), tick/datetime conversions.

    Examples
    --------
    >>> import pandas as pd, hexoframe
    >>> df = pd.DataFrame({"heart_rate": [70], "activity": [0.5]})
    >>> df.hexo.to_physical()["activity"].tolist()
    [0.5]
    """

    def __init__(self, obj: pd.DataFrame) -> None:
        self._obj = obj

    def _meta(self) -> dict[str, Any]:
        return dict(self._obj.attrs.get("hexoskin", {}))

    def units(self) -> dict[str, str]:
        """Unit label of each column."""
        cols = self._meta().get("columns", {})
        out = {}
        for name in self._obj.columns:
            info = cols.get(str(name))
            if info is not None:
                out[str(name)] = info.get("unit")
            else:
                try:
                    out[str(name)] = catalog.lookup(str(name)).unit
                except InvalidQueryError:
                    continue
        return out

    def convert(self, units: str) -> pd.DataFrame:
        """Every datatype column in ``units`` (``"api"``, ``"raw"`` or ``"physical"``)."""
        meta = self._meta()
        cols = meta.get("columns", {})
        src_default = meta.get("units", "api")
        out = self._obj.copy()
        new_cols = {}
        for name in self._obj.columns:
            try:
                dt = catalog.lookup(cols.get(str(name), {}).get("id") or str(name))
            except InvalidQueryError:
                continue
            src = cols.get(str(name), {}).get("units", src_default)
            out[name] = convert(dt, self._obj[name].to_numpy(), source=src, units=units)
            new_cols[str(name)] = {
                **cols.get(str(name), {}),
                "units": units,
                "unit": assemble.unit_of(dt, units),
            }
        out.attrs = {**self._obj.attrs, "hexoskin": {**meta, "units": units, "columns": new_cols}}
        return out

    def to_physical(self) -> pd.DataFrame:
        """Every datatype column in physical units."""
        return self.convert("physical")

    def to_datetime(self, columns: Any = None, tick_rate: int | None = None) -> pd.DataFrame:
        """Integer HexoTimestamp columns (default: those named ``ts``/``timestamp``/``start``
        /``end``) to tz-aware UTC datetimes."""
        rate = _tick_rate(self._obj, tick_rate)
        if columns is None:
            columns = [
                c
                for c in self._obj.columns
                if str(c) in ("ts", "timestamp", "start", "end", "device_start")
                and pd.api.types.is_integer_dtype(self._obj[c])
            ]
        elif isinstance(columns, str):
            columns = [columns]
        out = self._obj.copy()
        for col in columns:
            out[col] = pd.Series(
                _ticks_to_dt(self._obj[col].to_numpy(), rate), index=out.index
            ).dt.tz_localize("UTC")
        return out

    def to_edf(self, path: Any, **kwargs: Any) -> Any:
        """Write the frame (one user) as EDF+ (:func:`hexoframe.formats.edf.frame_to_edf`)."""
        from hexoframe.formats import edf

        return edf.frame_to_edf(self._obj, path, **kwargs)

    def index_ticks(self, tick_rate: int | None = None) -> np.ndarray:
        """The time index as HexoTimestamp integers."""
        index = self._obj.index
        if isinstance(index, pd.MultiIndex):
            index = index.get_level_values("time")
        return _dt_to_ticks(index, _tick_rate(self._obj, tick_rate))

    # -- analysis ---------------------------------------------------------------------------
    def align(self, to: Any = None, **kwargs: Any) -> pd.DataFrame:
        """Every channel on one time grid (:func:`hexoframe.align`).

        Examples
        --------
        >>> df = hexoframe.read_hexoskin(client=client, record=37700, datatypes=["hr", "br"])
        >>> df.hexo.align(rate=0.5).shape
        (1800, 2)
        """
        from hexoframe.analysis.alignment import align

        return align(self._obj, to, **kwargs)

    def to_xarray(self) -> Any:
        """A Dataset whose variables carry the CF attributes of their datatype (pandas' own
        ``to_xarray()`` drops ``attrs``); ``time`` is UTC with ``standard_name``/``axis``;
        global attributes are ``Conventions`` and the read's scalar metadata.

        Examples
        --------
        >>> vitals = hexoframe.read_hexoskin(client=client, record=37700,
        ...                                  datatypes=["hr", "br"])
        >>> ds = vitals.hexo.to_xarray()
        >>> ds["breathing_rate"].attrs["units"], ds.attrs["Conventions"]
        ('min-1', 'CF-1.10')
        """
        import xarray as xr

        meta = self._meta()
        cols = meta.get("columns", {})
        frame = self._obj.copy()
        frame.attrs = {}
        if isinstance(frame.index, pd.MultiIndex):
            levels = [
                _naive_utc(frame.index.get_level_values(k))
                if isinstance(frame.index.get_level_values(k), pd.DatetimeIndex)
                else frame.index.get_level_values(k)
                for k in range(frame.index.nlevels)
            ]
            frame.index = pd.MultiIndex.from_arrays(levels, names=frame.index.names)
        else:
            frame.index = _naive_utc(frame.index)
        ds = xr.Dataset.from_dataframe(frame)
        for name in ds.data_vars:
            col = cols.get(str(name), {})
            try:
                dt = catalog.lookup(col.get("id") or str(name))
            except InvalidQueryError:
                continue
            ds[name].attrs = _storable(
                {
                    **cf.variable_attrs(dt, col.get("units") or meta.get("units", "api")),
                    "user": meta.get("user"),
                }
            )
        for coord in ds.coords:
            if np.issubdtype(ds[coord].dtype, np.datetime64):
                ds[coord].attrs.update(cf.TIME_ATTRS)
        ds.attrs = _storable(cf.dataset_attrs(**{k: v for k, v in meta.items() if k != "columns"}))
        return ds

    def mask_quality(self, bits: Any = None, **kwargs: Any) -> pd.DataFrame:
        """Heart/breathing rate flagged by their quality channels set to NaN
        (:func:`hexoframe.analysis.quality.mask_quality`)."""
        from hexoframe.analysis.quality import mask_quality

        return mask_quality(self._obj, bits, **kwargs)
