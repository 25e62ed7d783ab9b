"""Metrics (``/api/v1/metric/``) and reports (``/api/v1/report/``) of the emulator.

Values are computed from the same samples the data endpoint serves, so a client can
check them: metric 44 (HR avg) is the mean of the ``heart_rate`` channel over the span,
45 is its histogram, 71 counts ``step`` events, 126 integrates ``energy_mifflin_keytel``,
and 50 (HRV LF norm) is computed from the NN intervals only for ranges of activity type
8 (rest) or 12 (sleep) with at least 128 beats, else -1, as the service documents.

Example
-------
>>> from hexoframe.emulator.signals import make_source
>>> src = make_source(0, {"id": 1, "user": 7, "start": 0, "end": 256 * 600})
>>> rep = compute_report([(7, src, 0, 256 * 600)], [44, 50])
>>> [m["name"] for m in rep["data"][0]], rep["data"][0][1]["value"]
(['heartrate_avg', 'hrvlfnorm_avg'], -1)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from hexoframe.emulator import physiology as ph

__all__ = ["METRICS", "compute_report", "metric_by_id"]


def _m(
    mid: int,
    name: str,
    title: str,
    unit: str,
    zones: Sequence[float],
    kind: str = "value",
    description: str = "",
    kpi: bool = False,
) -> dict[str, Any]:
    return {
        "id": mid,
        "name": name,
        "title": title,
        "unit": unit,
        "type": kind,
        "zones": list(zones),
        "description": description or title,
        "is_kpi": kpi,
        "writable": False,
        "resource_uri": f"/api/v1/metric/{mid}/",
    }


_ACT_Z = [0, 0.1, 0.2, 0.3, 0.4, 0.5]
_BR_Z = [0, 10, 20, 30, 40, 50]
_CAD_Z = [0, 60, 90, 120, 150, 180]
_HR_Z = [0, 60, 100, 140, 170, 200]
_MV_Z = [0, 10, 20, 40, 80, 120]

METRICS: list[dict[str, Any]] = [
    _m(1, "activity_avg", "Act Avg", "g", _ACT_Z, kpi=True),
    _m(3, "activity_min", "Act Min", "g", _ACT_Z),
    _m(4, "activity_max", "Act Max", "g", _ACT_Z),
    _m(12, "breathingrate_avg", "BR Avg", "rpm", _BR_Z, kpi=True),
    _m(14, "breathingrate_min", "BR Min", "rpm", _BR_Z),
    _m(15, "breathingrate_max", "BR Max", "rpm", _BR_Z),
    _m(
        17,
        "cadence_avg",
        "Cadence Avg",
        "spm",
        _CAD_Z,
        description="Average cadence over the seconds with steps",
    ),
    _m(19, "cadence_min", "Cadence Min", "spm", _CAD_Z),
    _m(20, "cadence_max", "Cadence Max", "spm", _CAD_Z),
    _m(44, "heartrate_avg", "HR Avg", "bpm", _HR_Z, kpi=True),
    _m(45, "heartrate_histo", "heartrate histo", "bpm", [], kind="histogram"),
    _m(46, "heartrate_min", "HR Min", "bpm", _HR_Z),
    _m(47, "heartrate_max", "HR Max", "bpm", _HR_Z),
    _m(
        50,
        "hrvlfnorm_avg",
        "HRV LF norm",
        "%",
        [50, 60, 70, 80, 90, 100],
        description="Normalised LF power of the NN intervals; -1 when not computed "
        "(only rest or sleep ranges with at least 128 beats)",
    ),
    _m(55, "minuteventilation_avg", "MV Avg", "L/min", _MV_Z),
    _m(57, "minuteventilation_min", "MV Min", "L/min", _MV_Z),
    _m(58, "minuteventilation_max", "MV Max", "L/min", _MV_Z),
    _m(71, "step_count", "Steps", "Step", [0, 1000, 5000, 10000, 15000, 20000], kpi=True),
    _m(
        126,
        "energy_total",
        "Energy",
        "kcal",
        [0, 500, 1000, 2000, 3000, 4000],
        kpi=True,
        description="Total energy consumed (kcal)",
    ),
    _m(1032, "sleep_total_time", "Sleep Total Time", "s", [0, 3600, 14400, 21600, 28800, 36000]),
    _m(1038, "sleep_position_changes", "Sleep Position Changes", "", [0, 5, 10, 20, 40, 80]),
    _m(1039, "sleep_efficiency", "Sleep Efficiency", "%", [0, 50, 70, 85, 95, 100]),
]

_BY_ID = {m["id"]: m for m in METRICS}


def metric_by_id(mid: int) -> dict[str, Any]:
    """The metric description of an id (KeyError when unknown).

    Example
    -------
    >>> metric_by_id(44)["title"]
    'HR Avg'
    """
    return _BY_ID[int(mid)]


# ---------------------------------------------------------------------------------------
class _Span:
    """Samples of one user's segments, fetched once per datatype."""

    def __init__(self, segments: Sequence[tuple[int, Any, int, int]]) -> None:
        self.segments = list(segments)
        self._cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def get(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        if name not in self._cache:
            parts = [src.samples(name, s0, s1) for _, src, s0, s1 in self.segments]
            ts = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
            raw = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64)
            self._cache[name] = (ts, raw)
        return self._cache[name]

    def states(self, name: str) -> list[tuple[int, int, int]]:
        """(start, end, code) intervals of a position-like event channel within the span,
        including the code already active at each segment's start."""
        out: list[tuple[int, int, int]] = []
        for _, src, s0, s1 in self.segments:
            ts, raw = src.samples(name, getattr(src, "start", s0), s1)
            if ts.size == 0:
                continue
            before = np.searchsorted(ts, s0, side="right") - 1
            starts = [s0] + ts[ts > s0].tolist() if before >= 0 else ts.tolist()
            codes = ([int(raw[before])] if before >= 0 else []) + raw[ts > s0].tolist()
            ends = starts[1:] + [s1]
            out.extend((a, b, c) for a, b, c in zip(starts, ends, codes, strict=True) if b > a)
        return out


def _stat(values: np.ndarray, how: str) -> float | None:
    if values.size == 0:
        return None
    if how == "avg":
        return float(values.mean())
    return float(values.min() if how == "min" else values.max())


def _simple(channel: str, how: str, scale: float = 1.0, nonzero: bool = False):
    def fn(span: _Span, activitytype: int | None) -> float | None:
        _, raw = span.get(channel)
        vals = raw[raw > 0] if nonzero else raw
        out = _stat(vals.astype(np.float64) * scale if scale != 1.0 else vals, how)
        return out

    return fn


def _hrv_lf_norm(span: _Span, activitytype: int | None) -> float:
    if activitytype not in (8, 12):
        return -1
    nts, nn = span.get("nn_interval")
    if nn.size < 128:
        return -1
    lf, hf = ph.lf_hf(nts, nn)
    if lf + hf <= 0:
        return -1
    return round(100.0 * lf / (lf + hf), 2)


def _steps(span: _Span, activitytype: int | None) -> int:
    return int(span.get("step")[0].size)


def _energy(span: _Span, activitytype: int | None) -> float:
    _, w = span.get("energy_mifflin_keytel")
    return float(w.sum()) / 4184.0  # W over 1 s samples -> J -> kcal


def _sleep_time(span: _Span, activitytype: int | None) -> float:
    return sum(b - a for a, b, c in span.states("sleep_phase") if c != 0) / 256.0


def _sleep_changes(span: _Span, activitytype: int | None) -> int:
    codes = [c for _, _, c in span.states("sleep_position")]
    return int(sum(1 for a, b in zip(codes, codes[1:], strict=False) if a and b and a != b))


def _sleep_efficiency(span: _Span, activitytype: int | None) -> float | None:
    lying = sum(b - a for a, b, c in span.states("sleep_position") if c != 0)
    if lying <= 0:
        return None
    asleep = sum(b - a for a, b, c in span.states("sleep_phase") if c != 0)
    return round(100.0 * min(asleep, lying) / lying, 2)


_VALUE: dict[int, Callable[[_Span, int | None], Any]] = {
    1: _simple("activity", "avg", 1 / 256), 3: _simple("activity", "min", 1 / 256),
    4: _simple("activity", "max", 1 / 256),
    12: _simple("breathing_rate", "avg"), 14: _simple("breathing_rate", "min"),
    15: _simple("breathing_rate", "max"),
    17: _simple("cadence", "avg", nonzero=True), 19: _simple("cadence", "min", nonzero=True),
    20: _simple("cadence", "max", nonzero=True),
    44: _simple("heart_rate", "avg"), 46: _simple("heart_rate", "min"),
    47: _simple("heart_rate", "max"),
    50: _hrv_lf_norm,
    55: _simple("minute_ventilation", "avg", 13.28 / 1000),
    57: _simple("minute_ventilation", "min", 13.28 / 1000),
    58: _simple("minute_ventilation", "max", 13.28 / 1000),
    71: _steps, 126: _energy, 1032: _sleep_time, 1038: _sleep_changes, 1039: _sleep_efficiency,
}  # fmt: skip

HISTO_EDGES = list(range(20, 221, 20))


def _histogram(span: _Span) -> tuple[dict[str, Any], dict[str, Any]]:
    _, hr = span.get("heart_rate")
    counts, _ = np.histogram(hr, bins=HISTO_EDGES)
    centres = [e + 10 for e in HISTO_EDGES[:-1]]
    data1 = {"bin_edge": HISTO_EDGES, "count": len(centres), "unit": "bpm", "value": centres}
    data2 = {"count": len(centres), "unit": "rep", "value": counts.astype(int).tolist()}
    return data1, data2


def _zone(value: Any, zones: list[float]) -> int | None:
    if value is None or not zones:
        return None
    return int(sum(1 for z in zones if z <= value))


def _ident(obj: Any) -> int | None:
    """An id from an int, a digit string, a resource URI or an object with ``id``."""
    if obj is None or isinstance(obj, bool):
        return None
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, dict):
        return _ident(obj.get("id"))
    m = re.search(r"(\d+)/?$", str(obj))
    return int(m.group(1)) if m else None


def compute_report(
    segments: Sequence[tuple[int, Any, int, int]],
    metric_ids: Sequence[int],
    *,
    record: dict[str, Any] | None = None,
    range: dict[str, Any] | None = None,  # noqa: A002 - the service's parameter name
    activitytype: int | None = None,
) -> dict[str, Any]:
    """A ``/api/v1/report/`` answer computed from the records' samples.

    Parameters
    ----------
    segments : sequence of (user_id, source, seg_start, seg_end)
        The data the report covers (as for :func:`hexoframe.emulator.dataview.render_data`).
    metric_ids : sequence of int
        Metrics to include, in order.
    record, range : dict, optional
        The record or range resource the report is about (echoed; a range's
        ``activitytype`` decides whether HRV is computed).
    activitytype : int, optional
        Overrides the range's activity type.

    Returns
    -------
    dict
        ``{count, data: [[metric, ...] per user], name, outputtype, record, report, title}``.

    Raises
    ------
    ValueError
        For an unknown metric id.

    Example
    -------
    >>> from hexoframe.emulator.signals import make_source
    >>> src = make_source(0, {"id": 1, "user": 7, "start": 0, "end": 256 * 60})
    >>> compute_report([(7, src, 0, 256 * 60)], [71])["data"][0][0]["outputtype"]
    'value'
    """
    for mid in metric_ids:
        if int(mid) not in _BY_ID:
            raise ValueError(f"unknown metric id {mid}; see /api/v1/metric/")
    if activitytype is None and range is not None:
        activitytype = _ident(range.get("activitytype"))
        if activitytype is None and isinstance(range.get("trainingroutine"), dict):
            activitytype = _ident(range["trainingroutine"].get("activitytype"))
    users: list[int] = []
    for seg in segments:
        if int(seg[0]) not in users:
            users.append(int(seg[0]))
    ctx: dict[str, Any] = {}
    if record is not None:
        ctx["record"] = record.get("resource_uri") or f"/api/v1/record/{_ident(record)}/"
    if range is not None:
        ctx["range"] = range.get("resource_uri") or f"/api/v1/range/{_ident(range)}/"
    data = []
    for u in users:
        segs = [s for s in segments if int(s[0]) == u]
        span = _Span(segs)
        timerange = {
            "start": int(min(s[2] for s in segs)),
            "end": int(max(s[3] for s in segs)),
            "user": f"/api/v1/user/{u}/",
        }
        items = []
        for mid in metric_ids:
            meta = _BY_ID[int(mid)]
            item: dict[str, Any] = {
                "metric": meta["resource_uri"],
                "name": meta["name"],
                "outputtype": "value",
                **ctx,
                "timerange": timerange,
                "title": meta["title"],
                "uri": meta["resource_uri"],
            }
            if meta["type"] == "histogram":
                item["data1"], item["data2"] = _histogram(span)
            else:
                value = _VALUE[int(mid)](span, activitytype)
                item.update(
                    {
                        "unit": meta["unit"],
                        "value": value,
                        "zone": _zone(value, meta["zones"]),
                        "zones": meta["zones"],
                    }
                )
            items.append(dict(sorted(item.items())))
        data.append(items)
    return {
        "count": len(data),
        "data": data,
        "name": "",
        "outputtype": "list",
        "record": record,
        "report": "/api/v1/templatereport/None/",
        "title": "",
    }
