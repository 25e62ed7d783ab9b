"""Download a record, range or user span to a file, streaming, in bounded memory.

:func:`download` is what ``hexoframe download`` runs. The format comes from the file's
extension or ``fmt`` (the one rule of :func:`hexoframe.formats.writers.format_of`), and
the file is written atomically (:func:`hexoframe.formats.writers.atomic_output`: a
temporary name beside the target, renamed at the end; nothing is left behind on an error
or Ctrl-C). How each format streams:

- **netCDF, Zarr**: the lazy xarray engine (``xr.open_dataset(..., engine="hexoskin",
  chunks={})``) and dask's chunked writes (:mod:`hexoframe.frontends.lazy_writers`, time
  axes written per chunk): each dask chunk is one planned request, fetched, written and
  dropped.
- **CSV, Parquet**: consecutive time slices of about :data:`SLICE_SAMPLES` samples (cut
  on the planner's window edges), each read with ``read_hexoskin`` and appended (CSV
  without repeating the header; Parquet one row group per slice). The file equals the
  frame ``read_hexoskin`` gives for the whole span.
- **EDF**: the EDF writer builds the whole file in memory (``edfio`` writes whole
  signals), so it does not stream: spans of more than :data:`EDF_MAX_SAMPLES` samples
  (all channels together; 12 h of ECG) are refused with :class:`DownloadTooLarge`,
  which names the formats that stream.

Peak memory therefore does not grow with the span for netCDF, Zarr, CSV and Parquet
(``benchmarks/bench_download.py`` measures it; bound: 300 MB for a week of ECG).

Examples
--------
>>> import tempfile, pathlib, pandas as pd
>>> out = pathlib.Path(tempfile.mkdtemp()) / "hr.parquet"
>>> download(out, record=37700, datatypes=["hr", "br"], client=client)
PosixPath('...hr.parquet')
>>> pd.read_parquet(out).shape
(3599, 2)
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from hexoframe.core.errors import InvalidQueryError
from hexoframe.formats.writers import atomic_output, folder_of, format_of, write_frame

__all__ = [
    "DownloadTooLarge",
    "EDF_MAX_SAMPLES",
    "SLICE_SAMPLES",
    "SliceTypeError",
    "download",
    "time_slices",
]

#: Samples (all channels together) read per CSV/Parquet slice: about an hour of ECG.
SLICE_SAMPLES = 1_000_000

#: The largest EDF download, in samples of all channels together (12 h of ECG at 256 Hz).
EDF_MAX_SAMPLES = 12 * 3600 * 256


class DownloadTooLarge(InvalidQueryError):
    """A span too long for a format that is written in memory (EDF)."""


class SliceTypeError(InvalidQueryError):
    """A Parquet slice holding values the first slice's column types cannot (fractions in
    an integer column). Gaps are fine: an integer column takes nulls, read back as NaN."""


def time_slices(plan: Any, samples: int = SLICE_SAMPLES) -> list[tuple[int, int]]:
    """``[start, end)`` of a plan cut into consecutive slices of about ``samples`` samples
    (all channels together), on the window edges of its fastest channel.

    The slices tile the plan's span exactly, so reads of them, concatenated, give the
    read of the whole span.

    Examples
    --------
    >>> from hexoframe.data.plan import plan_query
    >>> plan = plan_query(None, ["ecg", "hr"], start="2024-05-01T10:00Z",
    ...                   end="2024-05-01T13:00Z")
    >>> cuts = time_slices(plan, 1_000_000)
    >>> len(cuts), cuts[0][0] == plan.start, cuts[-1][1] == plan.end
    (3, True, True)
    """
    start, end = int(plan.start), int(plan.end)
    per_second = sum(float(ch.datatype.freq or 0) for ch in plan.channels) or 1.0
    span_ticks = max(1, int(samples / per_second * plan.tick_rate))
    timed = [ch for ch in plan.channels if ch.step is not None and ch.windows]
    if timed:
        finest = min(timed, key=lambda ch: ch.step)
        windows = finest.windows
        width = max(1, int(windows[0][1]) - int(windows[0][0]))
        per_group = max(1, span_ticks // width)
        edges = [int(a) for a, _ in windows[::per_group]][1:]
    else:
        edges = list(range(start + span_ticks, end, span_ticks))
    cuts = [start, *(e for e in edges if start < e < end), end]
    return list(zip(cuts[:-1], cuts[1:], strict=True))


def _span_keywords(record: Any, range_: Any, start: Any, end: Any, user: Any) -> dict[str, Any]:
    return {"record": record, "range": range_, "start": start, "end": end, "user": user}


def _source_url(cl: Any, plan: Any, user: Any) -> str:
    if plan.record is not None:
        return f"hexoskin://record/{int(plan.record)}"
    if plan.range is not None:
        return f"hexoskin://range/{int(plan.range)}"
    if user is None:
        user = cl.account()["id"]  # a bare span is the caller's, as in read_hexoskin
    return f"hexoskin://user/{int(user)}?start={int(plan.start)}&end={int(plan.end)}"


def _bar(enabled: bool, total: int, desc: str) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, leave=False)


def _frames(
    cl: Any,
    plan: Any,
    span: dict[str, Any],
    cuts: list[tuple[int, int]],
    read_kwargs: dict[str, Any],
    bar: Any,
) -> Iterator[Any]:
    """``read_hexoskin`` of each slice, in time order, slices without a row left out
    (their dtypes say nothing: an empty column keeps its raw dtype where the span's is
    float). When no slice has a row, the last (empty) one, and one "No data" warning for
    the whole span instead of one per slice."""
    from hexoframe.core.errors import HexoskinWarning
    from hexoframe.core.timestamps import describe_span
    from hexoframe.data.reader import read_hexoskin

    frame = None
    rows = 0
    for lo, hi in cuts:
        kw = dict(span, start=lo, end=hi)
        if plan.record is not None or plan.range is not None:
            kw["user"] = None  # the record's or range's owner; checked by the whole plan
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="No data: ", category=HexoskinWarning)
            frame = read_hexoskin(**kw, **read_kwargs, client=cl, progress=False)
        if bar is not None:
            bar.update(1)
        if len(frame):
            rows += len(frame)
            yield frame
    if not rows and frame is not None:
        names = ", ".join(ch.datatype.name for ch in plan.channels)
        warnings.warn(
            f"No data: {names} hold no sample in "
            f"{describe_span(plan.start, plan.end, plan.tick_rate)}.",
            HexoskinWarning,
            stacklevel=4,
        )
        yield frame


def _write_csv(frames: Iterable[Any], tmp: Path) -> int:
    rows = 0
    with open(tmp, "w", newline="") as fh:
        for k, frame in enumerate(frames):
            frame.to_csv(fh, header=k == 0)
            rows += len(frame)
    return rows


def _write_parquet(frames: Iterable[Any], tmp: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = 0
    writer: Any = None
    try:
        for frame in frames:
            if writer is None:
                table = pa.Table.from_pandas(frame, preserve_index=True)
                writer = pq.ParquetWriter(tmp, table.schema)
            else:  # the first slice's schema, so that every row group agrees
                try:
                    table = pa.Table.from_pandas(frame, schema=writer.schema, preserve_index=True)
                except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                    raise SliceTypeError(
                        f"The slice from {frame.index[0]} on holds values the first slice's "
                        f"column types cannot ({exc}); download with --units physical "
                        "(float columns), or to .zarr or .nc."
                    ) from None
            writer.write_table(table, row_group_size=max(1, len(frame)))
            rows += len(frame)
    finally:
        if writer is not None:
            writer.close()
    return rows


def _dask_bar(enabled: bool) -> Any:
    """A dask callback drawing a tqdm bar of the tasks done (a no-op when disabled)."""
    from contextlib import nullcontext

    if not enabled:
        return nullcontext()
    from dask.callbacks import Callback
    from tqdm.auto import tqdm

    class _TqdmCallback(Callback):
        def _start_state(self, dsk: Any, state: Any) -> None:
            self._bar = tqdm(total=sum(len(state[k]) for k in ("ready", "waiting")), leave=False)

        def _posttask(self, *args: Any) -> None:
            self._bar.update(1)

        def _finish(self, *args: Any) -> None:
            self._bar.close()

    return _TqdmCallback()


def _write_lazy(
    cl: Any,
    tmp: Path,
    fmt: str,
    url: str,
    datatypes: Any,
    units: str,
    method: str,
    start: Any,
    end: Any,
    show: bool,
) -> int:
    from concurrent.futures import ThreadPoolExecutor

    import dask
    import xarray as xr

    from hexoframe.frontends import lazy_writers

    ds = xr.open_dataset(
        url,
        engine="hexoskin",
        chunks={},
        datatypes=datatypes,
        units=units,
        method=method,
        start=start,
        end=end,
        client=cl,
    )
    # dask's own pool keeps running the tasks in flight after one fails (or Ctrl-C), and
    # they would write into the temporary after it is removed: a pool of ours, waited for
    pool = ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="hexoframe-download")
    try:
        with ds, _dask_bar(show), dask.config.set(pool=pool), warnings.catch_warnings():
            # zarr 3 notes that consolidated metadata is not in its spec; xarray reads it
            warnings.filterwarnings("ignore", message="Consolidated metadata")
            if fmt == "zarr":
                lazy_writers.to_zarr(ds, tmp, mode="w")
            else:
                lazy_writers.to_netcdf(ds, tmp)
            return int(sum(v.size for v in ds.data_vars.values()))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def download(
    path: str | os.PathLike[str],
    *,
    record: Any = None,
    range: Any = None,  # noqa: A002 - the service's own name
    start: Any = None,
    end: Any = None,
    user: Any = None,
    datatypes: Any = None,
    method: str = "auto",
    units: str = "api",
    fmt: str | None = None,
    progress: bool | None = None,
    client: Any = None,
    slice_samples: int = SLICE_SAMPLES,
    **client_kwargs: Any,
) -> Path:
    """Download a record, range or user span to ``path``, streaming, atomically.

    Parameters
    ----------
    path : path
        The file to write (a folder for Zarr): ``.csv``, ``.parquet``/``.pq``,
        ``.nc``/``.netcdf``, ``.zarr`` or ``.edf``.
    record, range, start, end, user, datatypes, method, units
        As in :func:`hexoframe.data.reader.read_hexoskin`.
    fmt : {"csv", "parquet", "netcdf", "zarr", "edf"}, optional
        Overrides the extension.
    progress : bool, optional
        A tqdm bar; by default only for long downloads on a terminal.
    client : Client, optional
        Otherwise one is built from ``client_kwargs`` (``base_url``, ``username``, ...).
    slice_samples : int
        Samples (all channels) per CSV/Parquet slice; memory grows with it, not the span.

    Returns
    -------
    Path
        Where the file now is.

    Raises
    ------
    InvalidQueryError
        Unknown extension or format, bad span or datatypes (before any data request).
    DownloadTooLarge
        An EDF span above :data:`EDF_MAX_SAMPLES` samples.
    FileNotFoundError
        The target's folder does not exist.
    HexoskinError
        The service failed; nothing is left behind.

    Examples
    --------
    >>> import tempfile, pathlib, xarray as xr
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "ecg.zarr"
    >>> download(out, record=37700, datatypes="ecg", start="2024-05-01T10:00Z",
    ...          end="2024-05-01T10:10Z", client=client).name
    'ecg.zarr'
    >>> xr.open_zarr(out)["ecg_i"].size
    153600
    """
    from hexoframe.api.client import obtain_client
    from hexoframe.core.units import check_units
    from hexoframe.data.fetch import progress_wanted
    from hexoframe.data.plan import plan_query

    target = Path(path)
    fmt = format_of(target, fmt)  # unknown extensions fail before anything else
    if datatypes is None:
        raise InvalidQueryError("download needs datatypes=... (e.g. datatypes=['ecg', 'hr']).")
    check_units(units)
    if slice_samples < 1:
        raise InvalidQueryError(f"slice_samples={slice_samples!r} must be at least 1.")
    folder_of(target)  # before any request; atomic_output checks it again
    cl, owned = obtain_client(client, client_kwargs)
    try:
        span = _span_keywords(record, range, start, end, user)
        plan = plan_query(cl, datatypes, **span)  # bad datatypes or span: before any data
        read_kwargs = {"datatypes": datatypes, "method": method, "units": units}
        if fmt == "edf":
            total = sum(int(ch.count or 0) for ch in plan.channels)
            if total > EDF_MAX_SAMPLES:
                raise DownloadTooLarge(
                    f"{total:,} samples are too many for EDF, which is written in memory "
                    f"(at most {EDF_MAX_SAMPLES:,}, 12 h of ECG): download to .zarr, .nc, "
                    ".parquet or .csv (they stream), or narrow --start/--end."
                )
            from hexoframe.data.reader import read_hexoskin

            frame = read_hexoskin(**span, **read_kwargs, client=cl, progress=progress)
            return write_frame(frame, target, "edf")
        show = progress_wanted(progress, plan.json_requests())
        with atomic_output(target) as tmp:
            if fmt in ("zarr", "netcdf"):
                url = _source_url(cl, plan, user)
                _write_lazy(cl, tmp, fmt, url, datatypes, units, method, start, end, show)
            else:
                cuts = time_slices(plan, slice_samples)
                bar = _bar(show, len(cuts), f"download {target.name}")
                try:
                    frames = _frames(cl, plan, span, cuts, read_kwargs, bar)
                    (_write_csv if fmt == "csv" else _write_parquet)(frames, tmp)
                finally:
                    if bar is not None:
                        bar.close()
        return target
    finally:
        if owned:
            cl.close()
