"""``read_hexoskin``: a data query in, full-resolution time-indexed pandas objects out.

Orchestration only: :mod:`~hexoframe.data.plan` cuts the query into windows and picks the
method, :mod:`~hexoframe.data.fetch` fetches and verifies, :mod:`~hexoframe.data.assemble`
builds the Series and the frame.

Examples
--------
>>> import hexoframe
>>> df = hexoframe.read_hexoskin(record=37700, datatypes=["hr", "br"])
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from hexoframe.core.catalog import Datatype
from hexoframe.core.errors import HexoskinWarning, IncompleteDataError, InvalidQueryError
from hexoframe.core.timestamps import describe_span
from hexoframe.core.units import check_units, raw_dtype
from hexoframe.data import assemble, methods
from hexoframe.data.fetch import default_workers, fetch_plan, progress_wanted, stitch, stitch_grid
from hexoframe.data.plan import build_requests, choose_method, describe, plan_query

__all__ = ["read_hexoskin"]

logger = logging.getLogger("hexoframe")


def _build_indexes(grids: set[tuple[int, int, int, int]], out: dict) -> None:
    for first, step, count, tick_rate in sorted(grids, key=lambda g: -g[2]):
        out[(first, step, count, tick_rate)] = assemble.grid_index(first, step, count, tick_rate)


def _progress_bar(enabled: bool, total: int | None, desc: str) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="sample", unit_scale=True, desc=desc, leave=False)


def _check_keywords(extra: dict[str, Any]) -> None:
    """Keywords that are neither read_hexoskin's nor a client setting: a clear error that
    names read_hexoskin and the closest keyword (``strat`` -> ``start``)."""
    import difflib
    import inspect

    from hexoframe.api.client import client_settings

    ours = set(inspect.signature(read_hexoskin).parameters) - {"client_kwargs"}
    settings = client_settings()
    for key in extra:
        if key in settings:
            continue
        close = difflib.get_close_matches(key, sorted(ours | settings), n=1, cutoff=0.6)
        hint = (
            f"; did you mean {close[0]!r}?"
            if close
            else (f"; it takes {', '.join(sorted(ours))} and client settings")
        )
        raise InvalidQueryError(f"read_hexoskin() got an unexpected keyword {key!r}{hint}")


def read_hexoskin(
    *,
    record: Any = None,
    range: Any = None,  # noqa: A002 - the service's own name
    start: Any = None,
    end: Any = None,
    user: Any = None,
    datatypes: int | str | Datatype | Iterable[int | str | Datatype] | None = None,
    method: str = "auto",
    units: str = "api",
    resolution: str = "full",
    how: str = "outer",
    progress: bool | None = None,
    client: Any = None,
    max_workers: int | None = None,
    **client_kwargs: Any,
) -> pd.DataFrame | dict[str, pd.Series]:
    """Read Hexoskin data at full resolution into pandas.

    Parameters
    ----------
    record, range : int, optional
        Record or range id; ``start``/``end`` then narrow it.
    start, end : time-like, optional
        ISO strings (naive = UTC), datetimes, Timestamps or HexoTimestamp ticks. Without a
        record or range both are required (with ``user`` for another user than the caller).
    user : int or list of int, optional
        User id(s) for a bare time span.
    datatypes : id, name, alias or a list of them
        E.g. ``"ecg"``, ``["heart_rate", "breathing_rate"]``, ``[19, 33, 18]``.
    method : {"auto", "json", "csv", "binary", "edf"}
        ``"auto"`` takes the binary zip where JSON would need many windows or a channel is
        raw and high-rate, JSON otherwise. The choice and its reason are logged (INFO on
        logger ``"hexoframe"``) and kept in ``attrs["hexoskin"]``.
    units : {"api", "raw", "physical"}
        Values in the datatype's API unit (default, identical whichever method fetched
        them), raw integers, or physical units (mV, g, mL, ...).
    resolution : {"full", "any"}
        ``"full"`` delivers every sample or raises
        :class:`~hexoframe.core.errors.IncompleteDataError`;
        ``"any"`` allows one (possibly subsampled) JSON request per rate.
    how : {"outer", "long", "dict"}
        Wide DataFrame (one column per datatype, outer-joined on time), tidy DataFrame
        (``time``, ``datatype``, ``value``), or ``{name: Series}``.
    progress : bool, optional
        tqdm bar; by default on for long reads on a terminal or in a notebook.
    client : Client, optional
        Otherwise one is built from ``client_kwargs`` (``base_url``, ``username``, ...).
    max_workers : int, optional
        Concurrent requests.

    Returns
    -------
    DataFrame or dict of Series
        Indexed by tz-aware UTC ``time``; ``attrs["hexoskin"]`` holds method, reason,
        request count, units and per-column rate/unit.

    Raises
    ------
    InvalidQueryError, UnknownDatatypeError
        Bad input, before any data request.
    IncompleteDataError
        Full resolution asked for but not obtainable.

    Examples
    --------
    >>> df = read_hexoskin(record=37700, datatypes=["hr", "br"], base_url=url,
    ...                    username="athlete@hexoskin.com", password="hexoskin")
    >>> df.columns.tolist()
    ['heart_rate', 'breathing_rate']
    """
    _check_keywords(client_kwargs)
    if datatypes is None:
        raise InvalidQueryError(
            "read_hexoskin needs datatypes=... (ids, names or aliases, "
            "e.g. datatypes=['hr', 'br'])."
        )
    check_units(units)
    assemble.check_how(how)
    if resolution not in ("full", "any"):
        raise InvalidQueryError(f"resolution={resolution!r} is not 'full' or 'any'.")
    if record is None and range is None and (start is None or end is None):
        # check locally before building a client or sending anything
        from hexoframe.core import catalog

        catalog.resolve(datatypes)
        raise InvalidQueryError(
            "No time span: give record=..., range=..., or both start=... and end=... "
            "(with user=... for another user)."
        )
    from hexoframe.api.client import obtain_client

    client, owned = obtain_client(client, client_kwargs)
    try:
        return _read(
            client,
            record,
            range,
            start,
            end,
            user,
            datatypes,
            method,
            units,
            resolution,
            how,
            progress,
            max_workers,
        )
    finally:
        if owned:
            client.close()


def _read(
    client: Any,
    record: Any,
    range_: Any,
    start: Any,
    end: Any,
    user: Any,
    datatypes: Any,
    method: str,
    units: str,
    resolution: str,
    how: str,
    progress: bool | None,
    max_workers: int | None,
) -> Any:
    from hexoframe.core import catalog

    catalog.resolve(datatypes)  # unknown names fail before any request
    methods.check(method)
    plan = plan_query(
        client, datatypes, record=record, range=range_, start=start, end=end, user=user
    )
    chosen, reason = choose_method(plan, method, resolution)
    if resolution == "any" and methods.get(chosen).capped:
        for ch in plan.channels:
            ch.windows = [(ch.windows[0][0], ch.windows[-1][1])] if ch.windows else []
    requests = build_requests(plan, chosen)
    _warn_if_slow(plan, chosen, len(requests))
    what = (
        f"record {plan.record}"
        if plan.record is not None
        else f"range {plan.range}"
        if plan.range is not None
        else "time span"
    )
    logger.info("read_hexoskin %s: %s, %d request(s) (%s)", what, chosen, len(requests), reason)
    total = sum(ch.count or 0 for ch in plan.channels) or None
    bar = _progress_bar(progress_wanted(progress, len(requests)), total, f"hexoskin {what}")
    # The time axes of sync channels are known from the plan: build them while the
    # answers download (sockets and zlib release the GIL); a channel that comes back
    # shorter than planned gets its own index later.
    shared_index: dict = {}
    grids = {
        (ch.exact_time(ch.first)[0], ch.step, ch.count, plan.tick_rate)
        for ch in plan.channels
        if ch.count and ch.step is not None and resolution == "full"
    }
    builder = threading.Thread(
        target=_build_indexes, args=(grids, shared_index), daemon=True, name="hexoframe-index"
    )
    builder.start()
    # binary samples go straight to their place in one array per channel (no final concat)
    into = (
        {
            i: np.empty(ch.count, raw_dtype(ch.datatype))
            for i, ch in enumerate(plan.channels)
            if ch.count and ch.step is not None
        }
        if methods.get(chosen).grid_aligned
        else None
    )
    try:
        result = fetch_plan(
            client,
            plan,
            requests,
            resolution=resolution,
            max_workers=max_workers or default_workers(),
            on_piece=(bar.update if bar is not None else None),
            into=into,
        )
    finally:
        if bar is not None:
            bar.close()
        builder.join()
    series = []
    missing: dict[str, int] = {}
    for i, ch in enumerate(plan.channels):
        pieces = result.pieces.get(i, [])
        grid = stitch_grid(pieces, None if into is None else into.get(i))
        if grid is not None:
            ticks, raw = None, grid[2]
        else:
            ticks, raw = stitch(pieces)
            if resolution == "full" and ticks.size > 1 and (np.diff(ticks) <= 0).any():
                raise IncompleteDataError(
                    f"{ch.datatype.name}: samples duplicated or out of order after stitching."
                )
        n = raw.size
        if resolution == "full" and ch.count is not None and n > ch.count:
            raise IncompleteDataError(
                f"{ch.datatype.name}: got {n} samples, the record holds {ch.count}."
            )
        if ch.count is not None and n < ch.count and resolution == "full":
            missing[ch.datatype.name] = ch.count - n
            logger.warning(
                "%s: the service holds %d of the %d samples the record span allows (the "
                "channel starts late, ends early or has gaps; nothing was subsampled)",
                ch.datatype.name,
                n,
                ch.count,
            )
        series.append(
            assemble.channel_series(
                ch.datatype,
                ticks,
                raw,
                source="raw",
                units=units,
                tick_rate=plan.tick_rate,
                user=ch.user,
                extra={"record": plan.record, "range": plan.range},
                grid=None if grid is None else grid[:2],
                index_cache=shared_index,
            )
        )
    meta = {
        "method": chosen,
        "reason": reason,
        "requests": result.requests,
        "refetched": result.refetched,
        "subsampled": result.subsampled,
        "missing": missing,
        "resolution": resolution,
        "units": units,
        "record": plan.record,
        "range": plan.range,
        "users": plan.users,
        "start": plan.start,
        "end": plan.end,
        "tick_rate": plan.tick_rate,
        "channels": describe(plan),
    }
    if plan.channels and not any(len(s) for s in series):
        span = (
            describe_span(plan.start, plan.end, plan.tick_rate)
            if (plan.start is not None and plan.end is not None)
            else "the span asked for"
        )
        warnings.warn(
            f"No data: {', '.join(ch.datatype.name for ch in plan.channels)} "
            f"hold no sample in {span}.",
            HexoskinWarning,
            stacklevel=3,
        )
    return assemble.combine(series, how=how, attrs=meta)


#: A capped method needing more requests than this, where a grid-aligned one would need
#: a tenth as many, is worth a warning.
SLOW_REQUESTS = 50


def _warn_if_slow(plan: Any, chosen: str, n_requests: int) -> None:
    """Warn when the chosen method needs many requests and binary would need few."""
    if (
        not methods.get(chosen).capped
        or n_requests <= SLOW_REQUESTS
        or not plan.grid_known
        or len(plan.users) > 1
    ):
        return
    binary = len(build_requests(plan, "binary"))
    if binary * 10 <= n_requests:
        warnings.warn(
            f"method={chosen!r} needs {n_requests} requests for this read; method='binary' "
            f"needs {binary} (and is never subsampled). Pass method='binary' or "
            "method='auto'.",
            HexoskinWarning,
            stacklevel=4,
        )
