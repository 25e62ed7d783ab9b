"""xarray backend: ``xr.open_dataset("hexoskin://record/37700", engine="hexoskin")``.

Opening costs metadata requests only.  Each synchronous channel is a lazy
:class:`HexoskinBackendArray`; a slice of it turns into windowed requests of just that
span (through the data engine), and ``encoding["preferred_chunks"]`` follows the
planner's windows so that ``chunks={}`` gives dask chunks that are whole requests.
Time axes are lazy (:class:`hexoframe.frontends.timeaxis.TimeAxisIndex`): one dimension per rate
(``time_256hz``, ``time_128hz``, ``time_64hz``, ``time_1hz``, ``time_300s``) shared by
the channels of that rate; labels are naive UTC ``datetime64[ns]`` with
``attrs["timezone"] = "UTC"``.

Asynchronous channels (``rr_interval``, ``qrs``, ``step`` ...) have no times until read:
when requested they are loaded at open (one request per planner window, usually one) and
get their own dimension ``time_<name>``.

Values are in the ``units`` asked for (``"api"`` by default, ``"raw"`` or
``"physical"``) with the dtype an eager read gives (:func:`value_dtype`: the raw
int16/uint16 where values are integers, float64 where they are scaled), fixed at open
without reading data. Where the service has no sample, float variables hold NaN and
integer ones the fill value :func:`gap_fill` (the dtype's minimum, or maximum when
unsigned), also in ``encoding["_FillValue"]``: netCDF and Zarr writers record it, so
readers of those files see the gaps masked; in memory, mask with
``v.where(v != v.encoding["_FillValue"])``.  ``method`` picks the data endpoint format
(``"auto"``: binary zips for records and ranges, JSON for a bare user span).

Credentials: ``client=`` or ``storage_options={...}`` (``Client`` arguments), else the
client's discovery (``HEXOSKIN_*`` environment variables, ``~/.netrc``).  Arrays pickle
without secrets, so dask workers need those environment variables.

Downloaded exports (a folder or ``.zip``) open the same way, from local files.

Examples
--------
>>> import xarray as xr
>>> ds = xr.open_dataset("hexoskin://record/37700", engine="hexoskin",
...                      datatypes=["ecg", "hr"], chunks={})
>>> ten = slice("2024-05-01T10:00", "2024-05-01T10:10")  # through 10:10:59, as in pandas
>>> round(float(ds.heart_rate.sel(time_1hz=ten).mean()), 3)
87.088
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import xarray as xr
from xarray.backends import BackendArray, BackendEntrypoint
from xarray.core import indexing

from hexoframe.core import cf
from hexoframe.core.catalog import Datatype
from hexoframe.core.errors import InvalidQueryError
from hexoframe.core.references import ref_id
from hexoframe.core.timestamps import TICKS_PER_SECOND, ticks_to_datetime64
from hexoframe.data.positions import ChannelReader
from hexoframe.frontends.sources import Source, dim_name, open_source
from hexoframe.frontends.timeaxis import time_coords
from hexoframe.frontends.urls import HexoskinURL, looks_like_hexoskin_url, parse_url

__all__ = ["HexoskinBackendEntrypoint", "HexoskinBackendArray", "open_hexoskin_dataset"]


def value_dtype(dt: Datatype, units: str) -> np.dtype:
    """The dtype of a channel's values in *units*, as an eager read gives it.

    Examples
    --------
    >>> from hexoframe.core.catalog import lookup
    >>> [value_dtype(lookup("heart_rate"), u).name for u in ("raw", "api", "physical")]
    ['int16', 'int16', 'float64']
    """
    from hexoframe.core.units import convert, raw_dtype

    return convert(dt, np.zeros(0, raw_dtype(dt)), source="raw", units=units).dtype


def gap_fill(dtype: np.dtype) -> Any:
    """The value marking missing samples: NaN for floats, else the integer dtype's
    minimum (maximum when unsigned).

    Examples
    --------
    >>> gap_fill(np.dtype("int16")), gap_fill(np.dtype("uint16")), gap_fill(np.dtype("f8"))
    (-32768, 65535, nan)
    """
    if dtype.kind == "f":
        return np.nan
    info = np.iinfo(dtype)
    return int(info.max if dtype.kind == "u" else info.min)


def _typed(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Float64 values (NaN where missing) as *dtype*, gaps as :func:`gap_fill`."""
    if dtype.kind == "f":
        return values.astype(dtype, copy=False)
    missing = np.isnan(values)
    if missing.any():
        values = np.where(missing, gap_fill(dtype), values)
    return values.astype(dtype)


class HexoskinBackendArray(BackendArray):
    """One synchronous channel, read lazily by sample position.

    Parameters
    ----------
    reader : ChannelReader
        Position-based access to the channel through the data engine.
    units : {"api", "raw", "physical"}

    Examples
    --------
    >>> arr = HexoskinBackendArray(src.channels[0])
    >>> arr[indexing.BasicIndexer((slice(0, 4),))]
    array([106, 108, 106, 109], dtype=int16)
    """

    def __init__(self, reader: ChannelReader, units: str = "api") -> None:
        self.reader = reader
        self.units = units
        self.shape = (reader.count,)
        self.dtype = value_dtype(reader.datatype, units)

    def __getitem__(self, key: indexing.ExplicitIndexer) -> np.ndarray:
        return indexing.explicit_indexing_adapter(
            key, self.shape, indexing.IndexingSupport.BASIC, self._raw_indexing_method
        )

    def _raw_indexing_method(self, key: tuple) -> np.ndarray:
        (k,) = key
        if isinstance(k, slice):
            start, stop, step = k.indices(self.shape[0])
            if step < 0 or stop <= start:
                return np.zeros(0, self.dtype)
            values = self._read(start, stop)
            return values[::step] if step != 1 else values
        i = int(k)
        return self._read(i, i + 1)[0]

    def _read(self, i0: int, i1: int) -> np.ndarray:
        """Samples ``[i0, i1)`` in the variable's dtype, gaps as :func:`gap_fill`."""
        return self.reader.read(i0, i1, self.units, dtype=self.dtype, fill=gap_fill(self.dtype))


def _dataset_attrs(source: Source, units: str) -> dict[str, Any]:
    attrs: dict[str, Any] = cf.dataset_attrs(source=str(source.url).split("?")[0], units=units)
    if source.url.kind == "record":
        attrs["record_id"] = source.url.id
    elif source.url.kind == "range":
        attrs["range_id"] = source.url.id
    if source.user is not None:
        attrs["user_id"] = int(source.user)
    attrs["start"] = str(ticks_to_datetime64(source.start, source.tick_rate))
    attrs["end"] = str(ticks_to_datetime64(source.end, source.tick_rate))
    attrs["start_ticks"] = int(source.start)
    attrs["end_ticks"] = int(source.end)
    attrs["tick_rate"] = int(source.tick_rate)
    return attrs


def _async_coords(name: str, ticks: np.ndarray, tick_rate: int) -> xr.Variable:
    return xr.Variable((name,), ticks_to_datetime64(ticks, tick_rate), attrs=dict(cf.TIME_ATTRS))


class _DimNames:
    """Time dimensions of sync channels: one per grid (rate, first sample, length).

    The first grid of a rate is ``time_<rate>``; another grid of the same rate (a channel
    that starts later or stops earlier) is named after its first channel,
    ``time_<rate>_<channel>``.

    Examples
    --------
    >>> from hexoframe.core.catalog import lookup
    >>> names = _DimNames()
    >>> [names.of(lookup(k), key) for k, key in (("hr", 1), ("br", 1), ("spo2", 2))]
    ['time_1hz', 'time_1hz', 'time_1hz_spo2']
    """

    def __init__(self) -> None:
        self._seen: dict[str, dict[Any, str]] = {}

    def of(self, dt: Datatype, grid: Any) -> str:
        base = dim_name(dt)
        seen = self._seen.setdefault(base, {})
        if grid not in seen:
            seen[grid] = f"{base}_{dt.name}" if seen else base
        return seen[grid]


def _shared_dims(readers: Iterable[ChannelReader]) -> dict[int, str]:
    """Dimension per reader (see :class:`_DimNames`)."""
    names = _DimNames()
    return {id(r): names.of(r.datatype, (r.step, r.first, r.count)) for r in readers}


def dataset_from_source(source: Source, units: str = "api") -> xr.Dataset:
    """Build the lazy Dataset of a planned source (no data requests for sync channels).

    Examples
    --------
    >>> src = open_source(parse_url("hexoskin://record/37700"), ["hr"], client=client)
    >>> ds = dataset_from_source(src)
    """
    from hexoframe.core.units import check_units

    check_units(units)
    sync = [r for r in source.channels if not r.datatype.is_async]
    events = [r for r in source.channels if r.datatype.is_async]
    dims = _shared_dims(sync)
    coords: dict[str, Any] = {}
    data_vars: dict[str, xr.Variable] = {}
    for r in sync:
        dim = dims[id(r)]
        if dim not in coords:
            coords[dim] = time_coords(r.exact_first, r.step, r.count, dim, source.tick_rate)
        data = indexing.LazilyIndexedArray(HexoskinBackendArray(r, units))
        var = xr.Variable((dim,), data, attrs=cf.variable_attrs(r.datatype, units))
        var.encoding["preferred_chunks"] = {dim: r.chunk_sizes()}
        if var.dtype.kind in "iu":
            var.encoding["_FillValue"] = gap_fill(var.dtype)
        data_vars[r.datatype.name] = var
    for r in events:
        dim = dim_name(r.datatype)
        ticks, values = r.read_events(units)
        coords[dim] = {dim: _async_coords(dim, ticks, source.tick_rate)}
        data_vars[r.datatype.name] = xr.Variable(
            (dim,),
            _typed(values, value_dtype(r.datatype, units)),
            attrs=cf.variable_attrs(r.datatype, units),
        )
    all_coords = xr.Coordinates()
    for c in coords.values():
        all_coords = all_coords.merge(
            c if isinstance(c, xr.Coordinates) else xr.Coordinates(c)
        ).coords
    ds = xr.Dataset(data_vars, coords=all_coords, attrs=_dataset_attrs(source, units))
    for r in sync:  # lazy time axes chunk like their channels under chunks={}
        enc = ds.variables[dims[id(r)]].encoding
        enc["preferred_chunks"] = {dims[id(r)]: r.chunk_sizes()}
        # CF units given up front: writers (to_zarr, to_netcdf) encode each chunk on its
        # own instead of computing the whole axis first to choose them
        units = ds.xindexes[dims[id(r)]].transform.cf_units  # type: ignore[attr-defined]
        enc.update({"units": units, "dtype": np.dtype("int64")})
    return ds


def groups_of(ds: xr.Dataset) -> dict[str, xr.Dataset]:
    """A dataset split by time dimension: ``"/"`` holds the global attributes, and each
    dimension ``time_<x>`` becomes group ``/<x>`` (``/256hz``, ``/1hz``, ``/300s``,
    ``/rr_interval`` for an event channel) whose dimension is ``time``. Variables stay as
    lazy as they are.

    Examples
    --------
    >>> ds = xr.Dataset({"a": ("time_1hz", [1, 2]), "b": ("time_step", [3])})
    >>> {k: dict(v.sizes) for k, v in groups_of(ds).items()}
    {'/': {}, '/1hz': {'time': 2}, '/step': {'time': 1}}
    """
    groups: dict[str, xr.Dataset] = {"/": xr.Dataset(attrs=dict(ds.attrs))}
    for dim in ds.dims:
        names = [n for n in ds.data_vars if ds[n].dims == (dim,)]
        if not names:
            continue
        part = ds[names].rename({dim: "time"})
        part.attrs = {"time_dimension": str(dim)}
        for var in part.variables.values():  # chunk as before, under the new name
            chunks = var.encoding.get("preferred_chunks", {})
            if dim in chunks:
                var.encoding["preferred_chunks"] = {"time": chunks[dim]}
        groups["/" + str(dim).removeprefix("time_")] = part
    return groups


def dataset_from_export(path: Any, datatypes: Any = None, units: str = "api") -> xr.Dataset:
    """A downloaded export (folder or zip) as a Dataset with lazy time axes.

    Channels of one rate share a dimension when they have the same start and length;
    another gets its own, named after its first channel (``time_256hz_ecg_ii``).

    Examples
    --------
    >>> ds = dataset_from_export("record_122445.zip", ["hr"])  # doctest: +SKIP
    >>> float(ds.heart_rate.mean())  # doctest: +SKIP
    73.15625
    """
    from hexoframe.core.units import check_units, convert
    from hexoframe.formats.exports import open_export

    check_units(units)
    export = open_export(path)
    tick_rate = getattr(export, "tick_rate", TICKS_PER_SECOND)
    names = export.channel_names(datatypes)
    dim_names = _DimNames()
    coords = xr.Coordinates()
    data_vars: dict[str, xr.Variable] = {}
    end = export.start
    for name in names:
        dt, ticks, raw = export.channels[name]
        values = np.asarray(convert(dt, raw, source="raw", units=units), np.float64)
        if ticks.size:
            end = max(end, int(ticks[-1]) + (dt.step_ticks or 1))
        if dt.is_async:
            dim = dim_name(dt)
            coords = coords.merge(
                xr.Coordinates({dim: _async_coords(dim, ticks, tick_rate)})
            ).coords
        else:
            first = int(ticks[0]) if ticks.size else export.start + dt.first_offset
            dim = dim_names.of(dt, (first, ticks.size))
            if dim not in coords:
                coords = coords.merge(
                    time_coords(first, dt.step, ticks.size, dim, tick_rate)
                ).coords
        data_vars[name] = xr.Variable((dim,), values, attrs=cf.variable_attrs(dt, units))
    attrs: dict[str, Any] = cf.dataset_attrs(source="export", units=units)
    record = export.info.get("record") or export.info.get("record_id")
    if record is not None:
        ident = ref_id(record)
        if ident is not None:
            attrs["record_id"] = ident
    if export.user is not None:
        attrs["user_id"] = int(export.user)
    attrs["start"] = str(ticks_to_datetime64(export.start, tick_rate))
    attrs["end"] = str(ticks_to_datetime64(end, tick_rate))
    attrs["start_ticks"] = int(export.start)
    attrs["end_ticks"] = int(end)
    attrs["tick_rate"] = int(tick_rate)
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)


def _is_export_path(obj: Any) -> bool:
    if isinstance(obj, (bytes, bytearray)):
        return True
    try:
        path = os.fspath(obj)
    except TypeError:
        return hasattr(obj, "read")
    return not looks_like_hexoskin_url(path)


def _check_cf_decoders(**decoders: Any) -> None:
    """xarray's CF decoder options: the engine's variables are already decoded.

    Time axes are exact datetimes built from ticks and values are in their units, so only
    the default of each option (``None`` or ``True``; ``use_cftime`` ``None`` or ``False``)
    can be honoured; anything else is refused rather than silently ignored.
    """
    for name, value in decoders.items():
        default = (None, False) if name == "use_cftime" else (None, True)
        if value not in default:
            raise InvalidQueryError(
                f"{name}={value!r} is not supported by the hexoskin engine: its variables are "
                "decoded already (times are exact datetimes from HexoTimestamps). For raw "
                "ticks, open with units='raw' and use ds['<time>'].hexo or "
                "hexoframe.core.timestamps.to_ticks on the time coordinate."
            )


def open_hexoskin_dataset(
    filename_or_obj: Any,
    *,
    datatypes: Any = None,
    units: str = "api",
    method: str = "auto",
    start: Any = None,
    end: Any = None,
    client: Any = None,
    storage_options: Mapping[str, Any] | None = None,
    drop_variables: Iterable[str] | str | None = None,
) -> xr.Dataset:
    """Open a ``hexoskin://`` source or a downloaded export as a lazy Dataset.

    Same as ``xr.open_dataset(..., engine="hexoskin")`` without xarray's chunking.

    Examples
    --------
    >>> ds = open_hexoskin_dataset("hexoskin://range/58979", datatypes="hr")
    """
    if isinstance(drop_variables, str):
        drop_variables = [drop_variables]
    if _is_export_path(filename_or_obj):
        if storage_options:
            raise InvalidQueryError("storage_options apply to hexoskin:// addresses only.")
        ds = dataset_from_export(filename_or_obj, datatypes, units)
    else:
        url: HexoskinURL = parse_url(os.fspath(filename_or_obj))
        if url.path:
            raise InvalidQueryError(
                f"{filename_or_obj!r} names a file inside a source; open "
                f"hexoskin://{url.root} with datatypes=... instead."
            )
        from hexoframe.api.client import obtain_client

        cl, owned = obtain_client(client, storage_options)
        try:
            source = open_source(url, datatypes, client=cl, start=start, end=end, method=method)
            ds = dataset_from_source(source, units)
        except BaseException:
            if owned:
                cl.close()
            raise
        if owned:
            ds.set_close(cl.close)  # ds.close() (or a with block) closes the client
    if drop_variables:
        ds = ds.drop_vars(list(drop_variables), errors="ignore")
    return ds


class HexoskinBackendEntrypoint(BackendEntrypoint):
    """``engine="hexoskin"``: Hexoskin records, ranges, user spans and exports.

    Keyword arguments of ``xr.open_dataset``: ``datatypes``, ``units``
    (``"api"``/``"raw"``/``"physical"``), ``method`` (``"auto"``/``"binary"``/``"json"``/
    ``"csv"``), ``start``/``end``, ``client`` or ``storage_options`` (``Client``
    arguments such as ``base_url``, ``username``, ``password``; environment variables
    and ``~/.netrc`` otherwise).

    Examples
    --------
    >>> import xarray as xr
    >>> url = "hexoskin://record/37702"
    >>> ds = xr.open_dataset(url, engine="hexoskin", chunks={})
    """

    description = "Hexoskin smart-shirt records, ranges and exports (hexoframe)"
    url = "https://github.com/hexoframe/hexoframe"
    open_dataset_parameters = (
        "filename_or_obj",
        "drop_variables",
        "datatypes",
        "units",
        "method",
        "start",
        "end",
        "client",
        "storage_options",
        "decode_times",
        "decode_timedelta",
        "mask_and_scale",
        "use_cftime",
        "concat_characters",
        "decode_coords",
    )

    def open_dataset(
        self,
        filename_or_obj: Any,
        *,
        drop_variables: Iterable[str] | str | None = None,
        datatypes: Any = None,
        units: str = "api",
        method: str = "auto",
        start: Any = None,
        end: Any = None,
        client: Any = None,
        storage_options: Mapping[str, Any] | None = None,
        decode_times: Any = None,
        decode_timedelta: Any = None,
        mask_and_scale: Any = None,
        use_cftime: Any = None,
        concat_characters: Any = None,
        decode_coords: Any = None,
    ) -> xr.Dataset:
        _check_cf_decoders(
            decode_times=decode_times,
            decode_timedelta=decode_timedelta,
            mask_and_scale=mask_and_scale,
            use_cftime=use_cftime,
            concat_characters=concat_characters,
            decode_coords=decode_coords,
        )
        return open_hexoskin_dataset(
            filename_or_obj,
            datatypes=datatypes,
            units=units,
            method=method,
            start=start,
            end=end,
            client=client,
            storage_options=storage_options,
            drop_variables=drop_variables,
        )

    def open_groups_as_dict(self, filename_or_obj: Any, **kwargs: Any) -> dict[str, xr.Dataset]:
        """:func:`groups_of` the dataset ``open_dataset`` gives (same keywords)."""
        return groups_of(self.open_dataset(filename_or_obj, **kwargs))

    def open_datatree(self, filename_or_obj: Any, **kwargs: Any) -> xr.DataTree:
        """One group per sampling rate and one per event channel, each with one ``time``
        dimension, as lazy as ``open_dataset`` (see :func:`groups_of`).

        Examples
        --------
        >>> tree = xr.open_datatree("hexoskin://record/37700", engine="hexoskin",
        ...                         datatypes=["ecg", "hr", "br", "rr"])
        >>> sorted(tree.children), dict(tree["1hz"].sizes)
        (['1hz', '256hz', 'rr_interval'], {'time': 3599})
        """
        ds = self.open_dataset(filename_or_obj, **kwargs)
        tree = xr.DataTree.from_dict(groups_of(ds))
        tree.set_close(ds.close)  # closes the client the dataset owns, if any
        return tree

    def guess_can_open(self, filename_or_obj: Any) -> bool:
        """True for ``hexoskin://`` addresses (a string check; no request, no file access)."""
        return looks_like_hexoskin_url(filename_or_obj)
