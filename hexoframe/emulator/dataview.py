"""The emulator's ``/api/v1/data/`` answers: JSON, CSV and binary zip.

Formats (see ``docs/architecture.md``):

* JSON: ``[{"data": {"<id>": [[ts, value], ...]}, "user": "/api/v1/user/N/"}]``, one
  object per user, values ``raw * api_scale`` (integers when ``api_scale == 1``);
  ``flat=True`` with one datatype gives the plain list ``[[ts, value], ...]``;
  ``no_timestamps=True`` gives ``[value, ...]`` lists instead of pairs.
* CSV: header ``user,timestamp,<id>,...``; rows sorted by (user, timestamp), outer-joined,
  empty cells where a datatype has no sample at that time; ``user`` is the numeric id.
* Binary: a zip of ``info.json``, ``<stem>.wav`` per sync datatype and ``<stem>.hxd`` per
  async datatype, raw values, never subsampled, one user only.

JSON and CSV keep at most ``cap`` points per datatype and user, taking every k-th point
with ``k = ceil(n / cap)`` when there are more.

Example
-------
>>> from hexoframe.emulator.signals import make_source
>>> src = make_source(0, {"id": 1, "user": 7, "start": 0, "end": 256 * 60})
>>> status, headers, body = render_data([(7, src, 0, 256 * 60)], [19], start=0,
...     end=256 * 3, fmt="json", flat=False, cap=65535, request_path="/api/v1/data/")
>>> status, body[:30]
(200, b'[{"data":{"19":[[256,57],[512,')
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from hexoframe.core import catalog
from hexoframe.core.catalog import Datatype
from hexoframe.emulator.clock import HEXOSKIN, Clock
from hexoframe.formats import binformats

_orjson: Any
try:  # optional speed-up
    import orjson as _orjson
except ImportError:  # pragma: no cover - exercised where orjson is absent
    _orjson = None

__all__ = [
    "render_data",
    "DataQueryError",
    "subsample",
    "collect",
    "collect_capped",
    "Segment",
    "json_pairs",
    "json_values",
]

Segment = tuple[int, Any, int, int]  # (user_id, source, seg_start, seg_end)
DEFAULT_CAP = catalog.POINT_CAP


class DataQueryError(Exception):
    """A data query the emulator refuses; ``status`` is the HTTP status to answer with.

    Example
    -------
    >>> DataQueryError(400, "bad").status
    400
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = int(status)
        self.message = message


def subsample(ts: np.ndarray, raw: np.ndarray, cap: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Keep every k-th point (``k = ceil(n / cap)``) when there are more than ``cap``.

    Example
    -------
    >>> subsample(np.arange(10), np.arange(10), 4)[0].tolist()
    [0, 3, 6, 9]
    """
    n = ts.shape[0]
    if not cap or cap <= 0 or n <= cap:
        return ts, raw
    k = -(-n // cap)
    return ts[::k], raw[::k]


def _window(segments: Sequence[Segment], start: int | None, end: int | None) -> tuple[int, int]:
    if start is None:
        start = min((int(s[2]) for s in segments), default=0)
    if end is None:
        end = max((int(s[3]) for s in segments), default=0)
    return int(start), int(end)


def collect(
    segments: Sequence[Segment], dt: Datatype, start: int, end: int, *, shift: int = 0
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Samples of one datatype per user over the segments intersecting ``[start, end)``.

    ``shift`` moves the window (``[start+shift, end+shift)``), used for the binary
    interval-start rule of end-stamped channels.

    Example
    -------
    >>> from hexoframe.emulator.signals import make_source
    >>> src = make_source(0, {"id": 1, "user": 7, "start": 0, "end": 2560})
    >>> collect([(7, src, 0, 2560)], catalog.lookup(19), 0, 1024)[7][0].tolist()
    [256, 512, 768]
    """
    per_user: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
    for user, source, s0, s1 in segments:
        lo = max(int(start), int(s0)) + shift
        hi = min(int(end), int(s1)) + shift
        lst = per_user.setdefault(int(user), [])
        if hi > lo:
            lst.append(source.samples(dt, lo, hi))
    out: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for user, parts in per_user.items():
        if not parts:
            out[user] = (np.zeros(0, np.int64), np.zeros(0, np.int64))
            continue
        if len(parts) == 1:
            out[user] = parts[0]
            continue
        ts = np.concatenate([p[0] for p in parts])
        raw = np.concatenate([p[1] for p in parts])
        if len(parts) > 1:
            order = np.argsort(ts, kind="stable")
            ts, raw = ts[order], raw[order]
        out[user] = (ts, raw)
    return out


def _grid_window(source: Any, dt: Datatype, lo: int, hi: int) -> tuple[int, int]:
    """(first grid index, count) of a sync datatype's samples of a source in [lo, hi)."""
    lo = max(lo, int(source.start))
    hi = min(hi, int(source.end))
    step = int(dt.step_ticks)  # type: ignore[arg-type]
    first = int(source.start) + dt.first_offset
    k0 = max(0, -(-(lo - first) // step))
    k1 = max(k0, -(-(hi - first) // step))
    return k0, k1 - k0


def collect_capped(
    segments: Sequence[Segment], dt: Datatype, start: int, end: int, cap: int | None
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """:func:`collect` followed by :func:`subsample`, without generating skipped samples.

    For sync datatypes of sources offering ``grid_samples`` (the synthetic ones), only
    the kept points are computed, so a week of ECG subsampled to 65535 points is cheap.
    The result equals ``subsample(*collect(...)[user], cap)``.

    Example
    -------
    >>> from hexoframe.emulator.signals import make_source
    >>> src = make_source(0, {"id": 1, "user": 7, "start": 0, "end": 256 * 600})
    >>> ts, _ = collect_capped([(7, src, 0, 256 * 600)], catalog.lookup(4113), 0, 256 * 600,
    ...                        65535)[7]
    >>> len(ts), int(ts[1] - ts[0])
    (51200, 3)
    """
    full = not cap or dt.is_async or dt.kind == "annotation"
    by_user: dict[int, list[Segment]] = {}
    for seg in segments:
        by_user.setdefault(int(seg[0]), []).append(seg)
    out: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for user, segs in by_user.items():
        wins = sorted(
            ((max(int(start), int(s0)), min(int(end), int(s1)), src) for _, src, s0, s1 in segs),
            key=lambda w: w[0],
        )
        ok = (
            not full
            and all(hasattr(w[2], "grid_samples") for w in wins)
            and all(a[1] <= b[0] for a, b in zip(wins, wins[1:], strict=False))
        )
        if ok:
            counts = [_grid_window(src, dt, lo, hi)[1] if hi > lo else 0 for lo, hi, src in wins]
            total = sum(counts)
            ok = total > cap  # type: ignore[operator]
        if not ok:
            got = collect(segs, dt, start, end)[user]
            out[user] = subsample(got[0], got[1], cap)
            continue
        k = -(-total // int(cap))  # type: ignore[arg-type]
        parts = []
        g = 0
        for (lo, hi, src), n in zip(wins, counts, strict=True):
            off = (-g) % k
            if off < n:
                parts.append(src.grid_samples(dt, lo, hi, every=k, offset=off))
            g += n
        if parts:
            out[user] = (
                np.concatenate([p[0] for p in parts]),
                np.concatenate([p[1] for p in parts]),
            )
        else:
            out[user] = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    return out


# ---------------------------------------------------------------------------------------
# JSON
def _pairs_fast(a_json: bytes, b_json: bytes) -> bytes:
    """Interleave two flat JSON number lists into ``[[a0,b0],[a1,b1],...]``."""
    a = a_json[1:-1].split(b",")
    b = b_json[1:-1].split(b",")
    return b"[[" + b"],[".join(map(b",".join, zip(a, b, strict=True))) + b"]]"


def _values(dt: Datatype, raw: np.ndarray) -> np.ndarray:
    if dt.api_scale == 1.0:
        return raw
    return raw.astype(np.float64) * dt.api_scale


def json_pairs(ts: np.ndarray, values: np.ndarray) -> bytes:
    """``[[ts, value], ...]`` as compact JSON bytes (ints stay ints, floats shortest repr).

    Example
    -------
    >>> json_pairs(np.array([1, 2]), np.array([0.5, 3.0]))
    b'[[1,0.5],[2,3.0]]'
    """
    n = ts.shape[0]
    if n == 0:
        return b"[]"
    ts = np.ascontiguousarray(ts, dtype=np.int64)
    if _orjson is not None:
        opt = _orjson.OPT_SERIALIZE_NUMPY
        if values.dtype.kind in "iu":
            pair = np.column_stack([ts, values.astype(np.int64)])
            return _orjson.dumps(pair, option=opt)
        vals = np.ascontiguousarray(values, dtype=np.float64)
        if np.isfinite(vals).all():
            return _pairs_fast(_orjson.dumps(ts, option=opt), _orjson.dumps(vals, option=opt))
    vals_list = [None if v != v else v for v in values.tolist()]
    pairs = list(zip(ts.tolist(), vals_list, strict=True))
    return json.dumps(pairs, separators=(",", ":")).encode()


def json_values(values: np.ndarray) -> bytes:
    """``[value, ...]`` as compact JSON bytes (the ``no_timestamps`` form of :func:`json_pairs`).

    Example
    -------
    >>> json_values(np.array([0.5, np.nan, 3.0])), json_values(np.array([7, 8]))
    (b'[0.5,null,3.0]', b'[7,8]')
    """
    if values.shape[0] == 0:
        return b"[]"
    if _orjson is not None:
        opt = _orjson.OPT_SERIALIZE_NUMPY
        if values.dtype.kind in "iu":
            return _orjson.dumps(np.ascontiguousarray(values, dtype=np.int64), option=opt)
        vals = np.ascontiguousarray(values, dtype=np.float64)
        if np.isfinite(vals).all():
            return _orjson.dumps(vals, option=opt)
    return json.dumps(
        [None if v != v else v for v in values.tolist()], separators=(",", ":")
    ).encode()


def _served(
    per_user: dict[int, tuple[np.ndarray, np.ndarray]], clock: Clock
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Samples per user with their stamps as the clock serves them."""
    if clock.native:
        return per_user
    return {u: (clock.out_array(ts), raw) for u, (ts, raw) in per_user.items()}


def _render_json(
    segments: Sequence[Segment],
    dts: list[Datatype],
    start: int,
    end: int,
    flat: bool,
    cap: int,
    no_timestamps: bool = False,
    clock: Clock = HEXOSKIN,
) -> bytes:
    def encode(ts: np.ndarray, values: np.ndarray) -> bytes:
        return json_values(values) if no_timestamps else json_pairs(ts, values)

    users: list[int] = []
    for seg in segments:
        if int(seg[0]) not in users:
            users.append(int(seg[0]))
    per_dt = {dt.id: _served(collect_capped(segments, dt, start, end, cap), clock) for dt in dts}
    if flat:
        if len(dts) != 1:
            raise DataQueryError(400, "flat=1 needs exactly one datatype.")
        dt = dts[0]
        parts = [per_dt[dt.id][u] for u in users if u in per_dt[dt.id]]
        if not parts:
            return b"[]"
        chunks = []
        for ts, raw in parts:
            ts, raw = subsample(ts, raw, cap)
            if ts.size:
                chunks.append(encode(ts, _values(dt, raw))[1:-1])
        return b"[" + b",".join(chunks) + b"]"
    objs = []
    for u in users:
        fields = []
        for dt in dts:
            ts, raw = per_dt[dt.id].get(u, (np.zeros(0, np.int64), np.zeros(0, np.int64)))
            ts, raw = subsample(ts, raw, cap)
            fields.append(b'"%d":' % dt.id + encode(ts, _values(dt, raw)))
        objs.append(b'{"data":{' + b",".join(fields) + b'},"user":"/api/v1/user/%d/"}' % u)
    return b"[" + b",".join(objs) + b"]"


# ---------------------------------------------------------------------------------------
# CSV
def _format_column(dt: Datatype, raw: np.ndarray) -> list[str]:
    if dt.api_scale == 1.0:
        return raw.astype(str).tolist()
    return list(map(repr, (raw.astype(np.float64) * dt.api_scale).tolist()))


def _render_csv(
    segments: Sequence[Segment],
    dts: list[Datatype],
    start: int,
    end: int,
    cap: int,
    clock: Clock = HEXOSKIN,
) -> bytes:
    per_dt = {dt.id: _served(collect_capped(segments, dt, start, end, cap), clock) for dt in dts}
    users = sorted({int(s[0]) for s in segments})
    lines = ["user,timestamp," + ",".join(str(dt.id) for dt in dts)]
    for u in users:
        cols = []
        for dt in dts:
            ts, raw = per_dt[dt.id].get(u, (np.zeros(0, np.int64), np.zeros(0, np.int64)))
            cols.append((dt, *subsample(ts, raw, cap)))
        all_ts = [c[1] for c in cols if c[1].size]
        if not all_ts:
            continue
        union = np.unique(np.concatenate(all_ts))
        n = union.shape[0]
        columns: list[Iterable[str]] = [[str(u)] * n, union.astype(str).tolist()]
        for dt, ts, raw in cols:
            col = np.full(n, "", dtype=object)
            if ts.size:
                col[np.searchsorted(union, ts)] = _format_column(dt, raw)
            columns.append(col.tolist())
        lines.extend(map(",".join, zip(*columns, strict=True)))
    return ("\n".join(lines) + "\n").encode()


# ---------------------------------------------------------------------------------------
# binary
def _iso(ticks: int) -> str:
    secs, frac = divmod(int(ticks), 256)
    t = _dt.datetime(1970, 1, 1) + _dt.timedelta(seconds=secs, microseconds=frac * 3906.25)
    return t.isoformat(timespec="microseconds")


def _render_binary(
    segments: Sequence[Segment],
    dts: list[Datatype],
    start: int,
    end: int,
    request_path: str,
    clock: Clock = HEXOSKIN,
) -> bytes:
    users = sorted({int(s[0]) for s in segments})
    if len(users) > 1:
        raise DataQueryError(
            400, "Binary answers hold one user; query each user separately (give user=<id>)."
        )
    segs = sorted(segments, key=lambda s: int(s[2]))
    live = [s for s in segs if min(end, int(s[3])) > max(start, int(s[2]))]
    b_start = start
    if live and int(live[0][2]) > start:
        b_start = int(live[0][2])
    user = users[0] if users else None
    files: dict[str, bytes] = {}
    info = {
        "start": clock.out(b_start),
        "timestamp": b_start / 256.0,
        "start_date": _iso(b_start),
        "user": user,
        "request": request_path,
        "decoder_version": "hexoframe-emulator",
    }
    files["info.json"] = json.dumps(info, indent=4).encode()
    for dt in dts:
        if dt.kind == "annotation":
            continue
        if dt.is_async:
            ts, raw = collect(live, dt, b_start, end).get(
                user,  # type: ignore[arg-type]
                (np.zeros(0), np.zeros(0)),
            )
            files[f"{dt.stem}.hxd"] = binformats.hxd_bytes(clock.out_array(ts), raw)
            continue
        files[f"{dt.stem}.wav"] = _wav_for(live, dt, user, b_start, end)
    # As the reference shows (``unzip record_37700.zip`` gives ``record_37700/``): a query
    # naming one record gets that folder; other queries have no record id and stay flat.
    record = re.search(r"[?&]record=(\d+)(?:&|$)", request_path)
    folder = f"record_{record.group(1)}/" if record else ""
    return binformats.zip_bytes({folder + name: body for name, body in files.items()})


_BINARY_CHUNK = 1 << 21  # samples per piece when encoding long WAVs


def _wav_for(
    live: Sequence[Segment], dt: Datatype, user: int | None, b_start: int, end: int
) -> bytes:
    """The WAV of a sync datatype: samples whose interval starts in [b_start, end),
    encoded piece by piece so a week of ECG never sits in memory as int64."""
    step = dt.step
    shift = step if dt.end_stamped else 0
    expected = b_start + shift
    pieces: list[bytes] = []
    span = step * _BINARY_CHUNK
    for a in range(b_start, max(end, b_start), span):
        b = min(end, a + span)
        empty = (np.zeros(0, np.int64), np.zeros(0, np.int64))
        ts, raw = collect(live, dt, a, b, shift=shift).get(user, empty)  # type: ignore[arg-type]
        if ts.size == 0:
            continue
        # sources return strictly increasing ticks on their record's grid, so the
        # first, the last and the count tell whether they continue the grid
        if int(ts[0]) != expected or int(ts[-1]) - int(ts[0]) != (ts.shape[0] - 1) * step:
            if not pieces and int(ts[0]) != expected:
                raise DataQueryError(
                    400,
                    f"Binary window start {b_start} is not on the sample grid of datatype "
                    f"{dt.id} ({dt.name}, step {step} ticks from the record start); "
                    "start binary windows on the channel's grid.",
                )
            raise DataQueryError(
                400,
                f"Binary answer for datatype {dt.id} would span a gap between records; "
                "query one record at a time.",
            )
        expected = int(ts[-1]) + step
        pieces.append(binformats.pcm_bytes(raw, dt.signed))
    body = b"".join(pieces)
    return binformats.wav_header(len(body), binformats.rate_field(dt.freq)) + body  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
def render_data(
    segments: Sequence[Segment],
    datatypes: Sequence[Any],
    *,
    start: int | None,
    end: int | None,
    fmt: str = "json",
    flat: bool = False,
    cap: int | None = DEFAULT_CAP,
    request_path: str = "",
    no_timestamps: bool = False,
    people: Mapping[int, Mapping[str, Any]] | None = None,
    clock: Clock = HEXOSKIN,
) -> tuple[int, dict[str, str], bytes]:
    """Render a data query as the emulator answers it.

    Parameters
    ----------
    segments : sequence of (user_id, source, seg_start, seg_end)
        The records (or parts of records) of each user inside the query; ``source`` has
        ``samples(datatype, start, end)`` (see :mod:`hexoframe.emulator.signals`).
    datatypes : sequence
        Datatypes (``Datatype``, ids or names), in answer order.
    start, end : int or None
        Query window in ticks (half-open); ``None`` means the segments' extent.
    fmt : {"json", "csv", "binary"}
    flat : bool
        JSON only: a plain list of pairs for a single datatype.
    cap : int or None
        Points per datatype and user in JSON/CSV answers before subsampling.
    request_path : str
        Echoed as ``request`` in the binary ``info.json``.
    no_timestamps : bool
        JSON only: lists of values instead of ``[ts, value]`` pairs.
    people : mapping, optional
        EDF only: per user id, the header's ``patient`` subfields and ``equipment``.
    clock : Clock
        How stamps are served (``start``/``end`` are stored ticks; see
        :mod:`hexoframe.emulator.clock`).

    Returns
    -------
    (status, headers, body)
        ``200``, a header dict with ``Content-Type`` and the body bytes.

    Raises
    ------
    DataQueryError
        Unknown datatype, bad window, unsupported combination (status 400).

    Example
    -------
    >>> from hexoframe.emulator.signals import make_source
    >>> src = make_source(0, {"id": 1, "user": 7, "start": 0, "end": 2560})
    >>> render_data([(7, src, 0, 2560)], ["hr"], start=0, end=1024, fmt="csv",
    ...             flat=False, cap=65535, request_path="")[2].decode().splitlines()[:2]
    ['user,timestamp,19', '7,256,57']
    """
    try:
        dts = catalog.resolve(list(datatypes))
    except (KeyError, ValueError) as exc:
        raise DataQueryError(400, str(exc.args[0] if exc.args else exc)) from exc
    s, e = _window(segments, start, end)
    if e < s:
        raise DataQueryError(400, f"The window end ({e}) is before its start ({s}).")
    fmt = (fmt or "json").lower()
    if fmt == "json":
        body = _render_json(segments, dts, s, e, bool(flat), cap or 0, bool(no_timestamps), clock)
        return 200, {"Content-Type": "application/json"}, body
    if fmt == "csv":
        return (
            200,
            {"Content-Type": "text/csv; charset=utf-8"},
            _render_csv(segments, dts, s, e, cap or 0, clock),
        )
    if fmt == "binary":
        body = _render_binary(segments, dts, s, e, request_path, clock)
        return (
            200,
            {
                "Content-Type": "application/octet-stream",
                "Content-Disposition": 'attachment; filename="data.zip"',
            },
            body,
        )
    if fmt == "edf":  # EDF+ body built in edfview (issue 11)
        from hexoframe.emulator.edfview import render_edf

        return (
            200,
            {
                "Content-Type": "application/x-edf",
                "Content-Disposition": 'attachment; filename="data.edf"',
            },
            render_edf(segments, dts, s, e, people),
        )
    raise DataQueryError(400, f"Unknown format {fmt!r}; use json, csv, binary or edf.")
