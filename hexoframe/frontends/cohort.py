"""Read many records at once, lazily, with dask: :func:`read_cohort`.

Building the graph costs metadata requests only (one record listing per user, the
record lookups of the planner); every partition is one call of
:func:`hexoframe.read_hexoskin` for one record and one time window, so it runs anywhere a
client can be built: dask workers find credentials in their own ``HEXOSKIN_*``
environment variables or netrc file (a pickled client never carries secrets).

dask is an optional dependency (``pip install hexoframe[dask]``).

Examples
--------
>>> import hexoframe
>>> ddf = hexoframe.read_cohort(records=[37700, 37701], datatypes=["hr", "br"])
>>> ddf.groupby("record")["heart_rate"].mean().compute()
record
37700    78.061684
37701    72.841595
Name: heart_rate, dtype: float64
>>> ds = hexoframe.read_cohort(users=[1511], datatypes="hr", output="dataset")
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, cast

import numpy as np
import pandas as pd

from hexoframe.core import catalog
from hexoframe.core.errors import InvalidQueryError
from hexoframe.core.references import require_ids
from hexoframe.core.timestamps import TICKS_PER_SECOND, to_ticks

__all__ = ["read_cohort", "cohort_records"]

MAX_CONCURRENT = 8  # default bound on reads in flight across a whole cohort
_LOCAL: dict[tuple[str, int], threading.BoundedSemaphore] = {}
_LOCAL_LOCK = threading.Lock()


@contextmanager
def _lease(name: str, leases: int) -> Iterator[None]:
    """Hold one of *leases* slots named *name*: a ``distributed.Semaphore`` shared by
    every worker of the cluster when running on dask.distributed, else one semaphore of
    this process (threaded or synchronous schedulers).

    Examples
    --------
    >>> with _lease("doc", 2):
    ...     _LOCAL[("doc", 2)]._value
    1
    """
    sem: Any = None
    try:
        from distributed import Semaphore, get_worker

        get_worker()  # raises ValueError outside a distributed worker
        sem = Semaphore(max_leases=leases, name=name)
    except (ImportError, ValueError):
        with _LOCAL_LOCK:
            sem = _LOCAL.setdefault((name, leases), threading.BoundedSemaphore(leases))
    with sem:
        yield


def _require_dask() -> Any:
    try:
        import dask
        import dask.dataframe
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError(
            "read_cohort needs dask: pip install 'hexoframe[dask]' "
            "(dask[array,dataframe] and distributed)."
        ) from exc
    return dask


def cohort_records(
    client: Any,
    records: Iterable[int] | None = None,
    users: Iterable[int] | None = None,
    start: Any = None,
    end: Any = None,
) -> list[dict[str, Any]]:
    """The record resources of a cohort: given ids, or every record of ``users`` that
    overlaps ``[start, end)`` (one listing per user).

    Examples
    --------
    >>> [r["id"] for r in cohort_records(client, users=[1511])][:2]
    [37700, 37701]
    """
    rec_ids, user_ids = require_ids(records, "records"), require_ids(users, "users")
    if not rec_ids and not user_ids:
        raise InvalidQueryError("Name a cohort: records=[...] or users=[...].")
    out = [dict(client.get("record", r)) for r in rec_ids]
    tick_rate = int(getattr(client, "tick_rate", TICKS_PER_SECOND))
    filters: dict[str, Any] = {}
    if start is not None:
        filters["end__gt"] = to_ticks(start, tick_rate)
    if end is not None:
        filters["start__lt"] = to_ticks(end, tick_rate)
    for u in user_ids:
        found = client.resource("record").list_raw(user=u, order_by="start", **filters)
        out.extend(dict(o) for o in found)
    seen: set[int] = set()
    unique = []
    for r in out:
        if int(r["id"]) not in seen:
            seen.add(int(r["id"]))
            unique.append(r)
    return unique


def _partition(
    client: Any,
    record: int,
    user: Any,
    start: int,
    end: int,
    datatypes: list[int],
    units: str,
    method: str,
    columns: list[str],
    bound: tuple[str, int] | None = None,
) -> pd.DataFrame:
    """One partition: one record, one window, wide and float64 (module-level: picklable).

    With ``bound=(name, n)`` the read holds one of ``n`` cohort-wide leases and sends one
    request at a time, so at most ``n`` requests of the cohort are in flight.
    """
    from hexoframe.data.reader import read_hexoskin

    def read() -> pd.DataFrame:
        return cast(
            pd.DataFrame,
            read_hexoskin(
                record=record,
                start=int(start),
                end=int(end),
                datatypes=datatypes,
                units=units,
                method=method,
                client=client,
                how="outer",
                max_workers=1 if bound else None,
            ),
        )

    if bound is None:
        df = read()
    else:
        with _lease(*bound):
            df = read()
    df = df.reindex(columns=columns).astype(np.float64)
    df.attrs = {}
    df.insert(0, "user", np.int64(user if user is not None else -1))
    df.insert(0, "record", np.int64(record))
    return df


def _meta(columns: list[str]) -> pd.DataFrame:
    index = pd.DatetimeIndex([], dtype="datetime64[ns, UTC]", name="time")
    data: dict[str, Any] = {"record": np.zeros(0, np.int64), "user": np.zeros(0, np.int64)}
    data.update({c: np.zeros(0, np.float64) for c in columns})
    return pd.DataFrame(data, index=index)


def _windows(plan: Any, per_partition: int) -> list[tuple[int, int]]:
    """Partition windows: the finest channel's planner windows, grouped, covering the span."""
    from hexoframe.data.plan import group_windows

    sync = [ch for ch in plan.channels if ch.windows]
    if not sync:
        return []
    finest = max(sync, key=lambda c: len(c.windows))
    return group_windows(
        finest.windows,
        per_partition,
        lo=min(int(c.start) for c in plan.channels),
        hi=max(int(c.end) for c in plan.channels),
    )


def read_cohort(
    records: Iterable[int] | int | None = None,
    users: Iterable[int] | int | None = None,
    *,
    datatypes: Any,
    start: Any = None,
    end: Any = None,
    units: str = "api",
    method: str = "auto",
    output: str = "dataframe",
    windows_per_partition: int = 1,
    max_concurrent: int | None = MAX_CONCURRENT,
    client: Any = None,
    storage_options: Mapping[str, Any] | None = None,
) -> Any:
    """Many records as one lazy dask DataFrame (or an xarray Dataset along ``record``).

    Parameters
    ----------
    records : int or list of int, optional
        Record ids.
    users : int or list of int, optional
        Every record of these users overlapping ``[start, end)``.
    datatypes : datatype key(s)
        As in :func:`hexoframe.read_hexoskin`.
    start, end : time-like, optional
        Narrow every record to this span.
    units : {"api", "raw", "physical"}
    method : {"auto", "json", "csv", "binary", "edf"}
    output : {"dataframe", "dataset"}
        ``"dataframe"``: a dask DataFrame indexed by UTC ``time`` with ``record`` and
        ``user`` columns and one float64 column per datatype, one partition per record and
        planner window (``windows_per_partition`` windows of the fastest channel).
        ``"dataset"``: an xarray Dataset of dask arrays with a ``record`` dimension; each
        rate's dimension counts sample positions (``sample_256hz`` ...), records shorter
        than the longest are padded with NaN, and ``start_<dim>`` (per record) with its
        ``step_ns`` attribute gives the times: ``start_<dim> + i * step_ns``.
    max_concurrent : int or None
        Data requests of the whole cohort in flight at once (``output="dataframe"``):
        each partition holds one of this many leases while it reads, one request at a
        time. On dask.distributed the leases are a ``distributed.Semaphore`` shared by
        every worker; elsewhere a semaphore of the process. A 429 answer's
        ``Retry-After`` is waited out (by the transport) inside the lease, so a
        rate-limited cohort slows down as a whole. ``None``: no bound (each partition
        reads with the default concurrency).
    client : Client, optional
    storage_options : dict, optional
        ``Client`` arguments when no client is given.

    Returns
    -------
    dask.dataframe.DataFrame or xarray.Dataset

    Examples
    --------
    >>> ddf = read_cohort(records=[37700, 37701], datatypes="hr")
    >>> ddf.npartitions
    3
    """
    _require_dask()
    from hexoframe.core.units import check_units

    check_units(units)
    if max_concurrent is not None and (
        isinstance(max_concurrent, bool)
        or not isinstance(max_concurrent, int)
        or max_concurrent < 1
    ):
        raise InvalidQueryError(
            f"max_concurrent={max_concurrent!r}: give a whole number of requests >= 1, "
            "or None for no bound."
        )
    dts = catalog.resolve(datatypes)
    if output not in ("dataframe", "dataset"):
        raise InvalidQueryError(f"output={output!r} is not 'dataframe' or 'dataset'.")
    from hexoframe.api.client import obtain_client

    cl, owned = obtain_client(client, storage_options)
    try:
        recs = cohort_records(
            cl, require_ids(records, "records"), require_ids(users, "users"), start, end
        )
        if not recs:
            raise InvalidQueryError("The cohort holds no record in that span.")
        if output == "dataset":
            result = _cohort_dataset(cl, recs, dts, start, end, units, method)
        else:
            result = _cohort_frame(
                cl, recs, dts, start, end, units, method, windows_per_partition, max_concurrent
            )
    except BaseException:
        if owned:
            cl.close()
        raise
    if owned:  # the client lives as long as the result: its partitions read through it
        if output == "dataset":
            result.set_close(cl.close)
        weakref.finalize(result, cl.close)
    return result


def _cohort_frame(
    client: Any,
    recs: list[dict[str, Any]],
    dts: list[Any],
    start: Any,
    end: Any,
    units: str,
    method: str,
    per_partition: int,
    max_concurrent: int | None = None,
) -> Any:
    import uuid

    import dask
    import dask.dataframe as dd

    from hexoframe.data.plan import plan_query

    columns = [dt.name for dt in dts]
    ids = [dt.id for dt in dts]
    bound = (
        None if max_concurrent is None else (f"hexoframe-cohort-{uuid.uuid4().hex}", max_concurrent)
    )
    parts = []
    for rec in recs:
        plan = plan_query(client, dts, record=int(rec["id"]), start=start, end=end)
        user = plan.users[0] if plan.users else None
        for a, b in _windows(plan, max(1, int(per_partition))):
            parts.append(
                dask.delayed(_partition, pure=True)(
                    client, int(rec["id"]), user, a, b, ids, units, method, columns, bound
                )
            )
    return dd.from_delayed(parts, meta=_meta(columns), verify_meta=False)


def _cohort_dataset(
    client: Any,
    recs: list[dict[str, Any]],
    dts: list[Any],
    start: Any,
    end: Any,
    units: str,
    method: str,
) -> Any:
    import dask.array as da
    import xarray as xr

    from hexoframe.frontends.xarray_backend import open_hexoskin_dataset

    if any(dt.is_async for dt in dts):
        raise InvalidQueryError(
            "output='dataset' takes synchronous datatypes only; read events with "
            "output='dataframe'."
        )
    opened = []
    for rec in recs:
        ds = open_hexoskin_dataset(
            f"hexoskin://record/{int(rec['id'])}",
            datatypes=dts,
            units=units,
            method=method,
            start=start,
            end=end,
            client=client,
        )
        opened.append(
            ds.chunk({d: ds[d].encoding.get("preferred_chunks", {}).get(d, -1) for d in ds.dims})
        )
    names = [dt.name for dt in dts]
    dims = {n: opened[0][n].dims[0] for n in names}
    sizes = {d: max(ds.sizes[d] for ds in opened) for d in set(dims.values())}
    data_vars: dict[str, Any] = {}
    for n in names:
        dim = dims[n]
        sample = "sample_" + dim.removeprefix("time_")
        rows = []
        for ds in opened:
            arr = ds[n].data
            pad = sizes[dim] - arr.shape[0]
            if pad:
                arr = da.concatenate([arr, da.full((pad,), np.nan, chunks=pad)])
            rows.append(arr)
        data_vars[n] = (("record", sample), da.stack(rows), dict(opened[0][n].attrs))
    coords: dict[str, Any] = {"record": [int(r["id"]) for r in recs]}
    coords["user"] = ("record", [int(ds.attrs.get("user_id", -1)) for ds in opened])
    for dim in sizes:
        firsts = [
            d[dim].values[0] if d.sizes[dim] else np.datetime64("NaT", "ns")
            for d in (ds.isel({dim: slice(0, 1)}) for ds in opened)
        ]
        two = opened[0][dim].isel({dim: slice(0, 2)}).values
        step_ns = int((two[1] - two[0]).astype(np.int64)) if two.size > 1 else 0
        coords[f"start_{dim}"] = (
            "record",
            np.array(firsts, dtype="datetime64[ns]"),
            {"timezone": "UTC", "step_ns": step_ns},
        )
    return xr.Dataset(
        data_vars,
        coords=coords,
        attrs={"units": units, "timezone": "UTC", "records": [int(r["id"]) for r in recs]},
    )
