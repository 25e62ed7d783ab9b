"""API answers as pandas DataFrames.

:func:`objects_to_frame` turns the objects of a list view into a DataFrame:

* HexoTimestamp columns stay as integer ticks and gain a tz-aware UTC datetime column
  next to them (``start`` -> ``start_time``);
* ISO date-time strings (naive ones are UTC) become tz-aware UTC datetimes in place;
* ``id`` is ``int64``; related resources keep their URI and gain an integer
  ``<name>_id`` column (nested objects too, from their ``id``);
* a ``position`` of ``[lon, lat]`` (trackpoints) becomes ``longitude`` and ``latitude``.

:func:`report_metrics_frame` and :func:`report_histograms_frame` turn a ``report`` answer
into a tidy table of metrics (one row per metric) and a long table of histogram bins.

Integer columns that may hold nulls use pandas' nullable ``Int64``.

Examples
--------
>>> df = objects_to_frame([{"id": 1, "start": 256, "user": "/api/v1/user/1511/"}])
>>> list(df.columns)
['id', 'start', 'start_time', 'user', 'user_id']
>>> str(df.loc[0, "start_time"])
'1970-01-01 00:00:01+00:00'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from hexoframe.api.resources import is_tick_field
from hexoframe.core.references import ref_id, ref_key
from hexoframe.core.timestamps import TICKS_PER_SECOND, ticks_to_datetime64

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_URI = re.compile(r"^/api/(v\d+/)?[A-Za-z_]+/[^/]+/?$")


def ticks_column(values: Sequence[Any] | pd.Series) -> pd.Series:
    """Integer ticks as ``int64``, or nullable ``Int64`` when some are missing."""
    s = pd.Series(values, dtype=object) if not isinstance(values, pd.Series) else values
    if s.isna().any():
        return pd.array([None if pd.isna(v) else int(v) for v in s], dtype="Int64")
    return pd.Series([int(v) for v in s], dtype=np.int64, index=s.index)


def ticks_to_utc(values: Any, tick_rate: int = TICKS_PER_SECOND) -> pd.Series:
    """Ticks (with possible nulls) to a tz-aware UTC ``datetime64[ns, UTC]`` series.

    Examples
    --------
    >>> t = ticks_to_utc([256, None])
    >>> str(t[0]), bool(t.isna()[1])
    ('1970-01-01 00:00:01+00:00', True)
    """
    s = pd.Series(values, dtype=object) if not isinstance(values, pd.Series) else values
    mask = s.isna().to_numpy()
    ints = np.array([0 if m else int(v) for v, m in zip(s, mask, strict=True)], dtype=np.int64)
    stamps = ticks_to_datetime64(ints, tick_rate).copy()
    stamps[mask] = np.datetime64("NaT")
    return pd.Series(pd.DatetimeIndex(stamps).tz_localize("UTC"), index=s.index)


def iso_to_utc(values: Any) -> pd.Series:
    """ISO strings (naive = UTC, offsets converted) to ``datetime64[ns, UTC]``.

    Examples
    --------
    >>> iso_to_utc(["2014-08-29T09:25:15", "2014-09-28T10:16:28+02:00"]).astype(str).tolist()
    ['2014-08-29 09:25:15+00:00', '2014-09-28 08:16:28+00:00']
    """
    s = pd.Series(values, dtype=object) if not isinstance(values, pd.Series) else values
    out = pd.to_datetime(s, utc=True, format="ISO8601")
    return out.dt.as_unit("ns") if hasattr(out, "dt") else out


def _ids(values: pd.Series) -> Any:
    """Integer ids of URIs/objects (``Int64`` when some are missing); keys that are not
    integers (device serial numbers) are kept as strings."""
    ids = [ref_id(v) for v in values]
    keys = [ref_key(v) for v in values]
    if any(i is None and k is not None for i, k in zip(ids, keys, strict=True)):
        return pd.Series(keys, dtype=object, index=values.index)
    if any(i is None for i in ids):
        return pd.array(ids, dtype="Int64")
    return pd.Series(ids, dtype=np.int64, index=values.index)


#: String fields the service fills with a number of seconds (``record.duration``).
_SECONDS_TEXT = frozenset({"duration"})
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _looks(values: pd.Series, pattern: re.Pattern[str]) -> bool:
    present = [v for v in values if v is not None and not (isinstance(v, float) and np.isnan(v))]
    return bool(present) and all(isinstance(v, str) and pattern.match(v) for v in present)


def _is_point_column(name: str, spec: Mapping[str, Any] | None, values: pd.Series) -> bool:
    if name != "position" and (spec or {}).get("type") != "geometry":
        return False
    present = [v for v in values if v is not None and not (isinstance(v, float) and np.isnan(v))]
    return all(
        isinstance(v, (list, tuple)) and len(v) == 2 and all(isinstance(x, (int, float)) for x in v)
        for v in present
    ) and (bool(present) or name == "position")


def _split_point(name: str, values: pd.Series) -> dict[str, pd.Series]:
    lon = [float(v[0]) if isinstance(v, (list, tuple)) else np.nan for v in values]
    lat = [float(v[1]) if isinstance(v, (list, tuple)) else np.nan for v in values]
    prefix = "" if name == "position" else f"{name}_"
    return {
        f"{prefix}longitude": pd.Series(lon, dtype=np.float64, index=values.index),
        f"{prefix}latitude": pd.Series(lat, dtype=np.float64, index=values.index),
    }


def _convert_column(
    name: str, values: pd.Series, spec: Mapping[str, Any] | None, tick_rate: int
) -> dict[str, Any]:
    kind = (spec or {}).get("type")
    if _is_point_column(name, spec, values):
        return _split_point(name, values)
    if name == "id":
        return {name: _ids(values)}
    if name == "resource_uri":
        return {name: values}
    if is_tick_field(spec, name) and all(
        v is None
        or (isinstance(v, (int, np.integer)) and not isinstance(v, bool))
        or (isinstance(v, float) and np.isnan(v))
        for v in values
    ):
        return {name: ticks_column(values), f"{name}_time": ticks_to_utc(values, tick_rate)}
    if name in _SECONDS_TEXT and _looks(values, _NUMBER):
        return {name: _settle(pd.to_numeric(values.astype(object)))}
    if kind == "datetime" or (kind in (None, "string") and _looks(values, _ISO)):
        try:
            return {name: iso_to_utc(values)}
        except (ValueError, TypeError):
            return {name: values}
    if (
        kind == "related"
        or _looks(values, _URI)
        or (kind is None and values.map(lambda v: isinstance(v, Mapping)).any())
    ):
        if (spec or {}).get("related_type") == "to_many" or values.map(
            lambda v: isinstance(v, list)
        ).any():
            return {name: values}
        return {name: values, f"{name}_id": _ids(values)}
    return {name: values}


def _settle(col: pd.Series) -> pd.Series:
    """Natural dtype of an object column: ``int64`` (``Int64`` with nulls), ``float64``,
    ``bool`` (``boolean`` with nulls), else what pandas infers; nested values stay objects."""
    present = [v for v in col if v is not None and not (isinstance(v, float) and np.isnan(v))]
    if not present:
        return col
    nulls = len(present) != len(col)
    if all(isinstance(v, (bool, np.bool_)) for v in present):
        return col.astype("boolean" if nulls else bool)
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in present):
        return col.astype("Int64" if nulls else np.int64)
    if all(
        isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
        for v in present
    ):
        return pd.to_numeric(col.astype(object).where(col.notna(), np.nan)).astype(np.float64)
    if any(isinstance(v, (dict, list, tuple)) for v in present):
        return col
    return col.infer_objects()


def objects_to_frame(
    objects: Iterable[Mapping[str, Any]],
    schema: Mapping[str, Any] | None = None,
    *,
    tick_rate: int = TICKS_PER_SECOND,
    resource: str = "",
) -> pd.DataFrame:
    """Objects of a list view as a DataFrame (see the module docstring for the columns).

    Parameters
    ----------
    objects : iterable of dict
        ``objects`` of one or more list pages.
    schema : mapping, optional
        The resource schema; its field types decide the conversions (without it they are
        inferred from names and values). With no objects, its fields name the columns.
    tick_rate : int
        Ticks per second of the host.
    resource : str
        Resource name, kept in ``DataFrame.attrs["hexoskin_resource"]``.

    Examples
    --------
    >>> objects_to_frame([{"id": 7, "position": [-73.6, 45.5], "time": "2014-08-29T09:25:15"}]
    ...                  ).dtypes.astype(str).to_dict()
    {'id': 'int64', 'longitude': 'float64', 'latitude': 'float64', 'time': 'datetime64[ns, UTC]'}
    """
    rows = [dict(o) for o in objects]
    fields: Mapping[str, Any] = (schema or {}).get("fields", {})
    if rows:  # object columns keep the JSON values as they came (ints stay ints)
        keys = list(dict.fromkeys(k for row in rows for k in row))
        frame = pd.DataFrame(
            {k: pd.Series([row.get(k) for row in rows], dtype=object) for k in keys}
        )
    else:
        frame = pd.DataFrame({name: pd.Series([], dtype=object) for name in fields})
    out: dict[str, Any] = {}
    for name in frame.columns:
        converted = _convert_column(str(name), frame[name], fields.get(name), tick_rate)
        for key, col in converted.items():
            if key != name and key in frame.columns:
                continue  # the service's own column wins over a derived one
            out[key] = col
    result = pd.DataFrame(out, index=pd.RangeIndex(len(frame)))
    for name in result.columns:  # let plain columns settle on their natural dtype
        if result[name].dtype == object:
            result[name] = _settle(result[name])
    if resource:
        result.attrs["hexoskin_resource"] = resource
    return result


# -- reports ------------------------------------------------------------------------------------
def _report_metrics(report: Any) -> list[Mapping[str, Any]]:
    """Every metric dict of a report answer, flattened."""
    data = report.get("data", []) if isinstance(report, Mapping) else report
    found: list[Mapping[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            if "metric" in node or "uri" in node:
                found.append(node)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(data)
    return found


def _context(m: Mapping[str, Any]) -> dict[str, Any]:
    tr = m.get("timerange") or {}
    return {
        "metric_id": ref_id(m.get("metric") or m.get("uri")),
        "name": m.get("name"),
        "title": m.get("title"),
        "start": tr.get("start"),
        "end": tr.get("end"),
        "user": tr.get("user"),
        "record_id": ref_id(m.get("record")),
        "range_id": ref_id(m.get("range")),
    }


def _finish(rows: list[dict[str, Any]], columns: list[str], tick_rate: int) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns)
    for name in ("start", "end"):
        frame[name] = ticks_column(frame[name].astype(object))
        pos = frame.columns.get_loc(name) + 1
        frame.insert(pos, f"{name}_time", ticks_to_utc(frame[name].astype(object), tick_rate))
    frame.insert(frame.columns.get_loc("user") + 1, "user_id", _ids(frame["user"]))
    for name in ("metric_id", "record_id", "range_id"):
        frame[name] = _ids(frame[name])
    return frame


_METRIC_COLUMNS = [
    "metric_id",
    "name",
    "title",
    "unit",
    "value",
    "zone",
    "start",
    "end",
    "user",
    "record_id",
    "range_id",
    "zones",
]
_HISTO_COLUMNS = [
    "metric_id",
    "name",
    "title",
    "bin",
    "bin_start",
    "bin_end",
    "bin_center",
    "count",
    "x_unit",
    "y_unit",
    "start",
    "end",
    "user",
    "record_id",
    "range_id",
]


def report_metrics_frame(report: Any, *, tick_rate: int = TICKS_PER_SECOND) -> pd.DataFrame:
    """Value metrics of a ``report`` answer, one row per metric.

    Columns: ``metric_id``, ``name``, ``title``, ``unit``, ``value``, ``zone``, ``start``,
    ``start_time``, ``end``, ``end_time``, ``user``, ``user_id``, ``record_id``,
    ``range_id``, ``zones``.  Histograms are left to :func:`report_histograms_frame`.
    A ``value`` of -1 is the service's "not computed" (e.g. HRV); it is kept as is.

    Examples
    --------
    >>> m = {"metric": "/api/v1/metric/1/", "name": "activity_avg", "value": 0.15,
    ...      "timerange": {"start": 0, "end": 256, "user": "/api/v1/user/1511/"}}
    >>> row = report_metrics_frame({"data": [[m]]}).iloc[0]
    >>> int(row["metric_id"]), float(row["value"]), int(row["user_id"])
    (1, 0.15, 1511)
    """
    rows = []
    for m in _report_metrics(report):
        if "data1" in m or "data2" in m:
            continue
        row = _context(m)
        row.update(
            unit=m.get("unit"), value=m.get("value"), zone=m.get("zone"), zones=m.get("zones")
        )
        rows.append(row)
    frame = _finish(rows, _METRIC_COLUMNS, tick_rate)
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype(np.float64)
    frame["zone"] = pd.array([None if pd.isna(z) else int(z) for z in frame["zone"]], dtype="Int64")
    return frame


def report_histograms_frame(report: Any, *, tick_rate: int = TICKS_PER_SECOND) -> pd.DataFrame:
    """Histogram metrics of a ``report`` answer in long form, one row per bin.

    Columns: ``metric_id``, ``name``, ``title``, ``bin`` (0-based), ``bin_start`` and
    ``bin_end`` (from ``data1.bin_edge``), ``bin_center`` (``data1.value``), ``count``
    (``data2.value``), ``x_unit``, ``y_unit``, then the time range and user as in
    :func:`report_metrics_frame`.

    Examples
    --------
    >>> h = {"metric": "/api/v1/metric/45/", "timerange": {"start": 0, "end": 1, "user": None},
    ...      "data1": {"bin_edge": [20, 40, 60], "value": [30, 50], "unit": "bpm"},
    ...      "data2": {"value": [4, 5], "unit": "rep"}}
    >>> report_histograms_frame({"data": [[h]]})[["bin_start", "count"]].values.tolist()
    [[20.0, 4.0], [40.0, 5.0]]
    """
    rows = []
    for m in _report_metrics(report):
        if "data1" not in m and "data2" not in m:
            continue
        d1, d2 = m.get("data1") or {}, m.get("data2") or {}
        centers, counts = list(d1.get("value") or []), list(d2.get("value") or [])
        edges = list(d1.get("bin_edge") or [])
        n = max(len(centers), len(counts))
        for k in range(n):
            row = _context(m)
            row.update(
                bin=k,
                bin_start=edges[k] if k < len(edges) else None,
                bin_end=edges[k + 1] if k + 1 < len(edges) else None,
                bin_center=centers[k] if k < len(centers) else None,
                count=counts[k] if k < len(counts) else None,
                x_unit=d1.get("unit"),
                y_unit=d2.get("unit"),
            )
            rows.append(row)
    frame = _finish(rows, _HISTO_COLUMNS, tick_rate)
    frame["bin"] = frame["bin"].astype(np.int64)
    for name in ("bin_start", "bin_end", "bin_center", "count"):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype(np.float64)
    return frame
