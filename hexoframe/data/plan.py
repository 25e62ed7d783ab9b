"""Plan a data query: per channel, its span, exact sample count and windows below the cap.

The data endpoint returns at most :data:`POINT_CAP` points per datatype per answer and
silently subsamples above it, so a full-resolution read is cut into windows of at most
``POINT_CAP`` samples. Windows are expressed in *sample time* (half-open ``[start, end)`` on
the timestamps the samples carry) and start on the channel's grid relative to the record
start, which binary requests need. Channels of the same rate share windows (and so
requests).

Examples
--------
>>> from hexoframe.core.catalog import lookup
>>> ch = channel_plan(lookup("ecg"), user=1, start=0, end=256 * 600, grid_origin=0)
>>> ch.count, len(ch.windows), ch.windows[0]
(153600, 3, (0, 65535))
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from hexoframe.core import catalog
from hexoframe.core.catalog import POINT_CAP, Datatype
from hexoframe.core.errors import HexoskinError, InvalidQueryError
from hexoframe.core.references import require_id
from hexoframe.core.timebase import ASYNC_MAX_RATE, DEFAULT, TimeBase, timebase_of
from hexoframe.core.timestamps import describe_span, ns_per_tick, ticks_to_timestamp, to_ticks
from hexoframe.data import methods
from hexoframe.data.decode import parse_user

__all__ = [
    "POINT_CAP",
    "ASYNC_MAX_RATE",
    "METHODS",
    "ChannelPlan",
    "Plan",
    "Request",
    "channel_plan",
    "plan_query",
    "choose_method",
    "build_requests",
    "split_windows",
    "tile",
    "group_windows",
    "join_touching",
    "windows_within",
    "window_request",
    "request_windows",
]

logger = logging.getLogger("hexoframe")

#: Binary answers are uncapped, but long reads are cut into zips of about this many samples
#: (about 10 MB of int16) so that they download, and the service builds them, in parallel:
#: 2 h of a full Hexoskin channel set, a week of 1 Hz vitals in one zip.
BINARY_TARGET_SAMPLES = 5_120_000
#: What ``method=`` accepts (see :mod:`hexoframe.data.methods`).
METHODS = methods.CHOICES


@dataclass
class ChannelPlan:
    """What to fetch for one datatype of one user.

    Attributes
    ----------
    datatype : Datatype
    user : int or None
    start, end : int
        Sample-time span wanted, in ticks (half-open).
    count : int or None
        Exact number of samples expected (sync channels of a known record); None otherwise.
    windows : list of (int, int)
        Sample-time windows of at most ``cap`` samples each, tiling ``[first, end)``.
    grid_origin : int or None
        Record start the sample grid is relative to (None when unknown).
    first : int
        Time of the first sample (sync) or ``start`` (async).
    step : Fraction or None
        Ticks between samples in the plan's time base (None for event channels).
    offset : int
        Ticks from a record's start to its first sample in the plan's time base.
    anchor : int
        Exact tick of sample 0 of the channel's grid (the record start plus ``offset``;
        ``start`` when the grid is unknown). Sample ``k`` lies at ``anchor + k*step``.
    """

    datatype: Datatype
    user: int | None
    start: int
    end: int
    count: int | None
    windows: list[tuple[int, int]]
    grid_origin: int | None
    first: int
    step: Fraction | None = None
    offset: int = 0
    anchor: int = 0

    def exact_time(self, t: int) -> tuple[Fraction, int]:
        """``(exact tick, position)`` of the first sample stamped at or after ``t``.

        Examples
        --------
        >>> from hexoframe.core.catalog import lookup
        >>> ch = channel_plan(lookup("ecg"), None, 0, 1000, 0, timebase=TimeBase(1000))
        >>> ch.exact_time(5)
        (Fraction(125, 16), 2)
        """
        if self.step is None:
            return Fraction(int(t)), 0
        k = TimeBase.position(self.anchor, self.step, t)
        return TimeBase.at(self.anchor, self.step, k), k

    def expected_in(self, lo: int, hi: int) -> int | None:
        """Samples expected with a time in ``[lo, hi)`` (None when not known).

        Examples
        --------
        >>> from hexoframe.core.catalog import lookup
        >>> channel_plan(lookup("hr"), None, 0, 2560, 0).expected_in(0, 1024)
        3
        """
        if self.count is None or self.step is None:
            return None
        k0 = TimeBase.position(self.anchor, self.step, self.first)
        a = min(self.count, max(0, TimeBase.position(self.anchor, self.step, lo) - k0))
        b = min(self.count, max(0, TimeBase.position(self.anchor, self.step, hi) - k0))
        return max(0, b - a)


@dataclass
class Plan:
    """A planned query: channels and the context they were planned in."""

    channels: list[ChannelPlan]
    record: int | None = None
    range: int | None = None
    users: list[int | None] = field(default_factory=list)
    start: int | None = None
    end: int | None = None
    grid_known: bool = True
    cap: int = POINT_CAP
    timebase: TimeBase = DEFAULT
    grid_record: int | None = None

    @property
    def tick_rate(self) -> int:
        """Ticks per second of the plan's time base."""
        return self.timebase.tick_rate

    def json_requests(self) -> int:
        """Requests a JSON/CSV read needs (channels of one rate and user share windows)."""
        seen = {(ch.user, ch.step, tuple(ch.windows)) for ch in self.channels}
        return sum(len(w) for _, _, w in seen)


@dataclass
class Request:
    """One HTTP request: a window shared by several channels.

    ``members`` holds ``(channel index, lo, hi)``: the sample-time range each channel
    contributes from this answer. ``start``/``end`` are the request's own parameters.
    """

    method: str
    user: int | None
    start: int
    end: int
    members: list[tuple[int, int, int]]


def tile(first: int, end: int, length: int) -> list[tuple[int, int]]:
    """``[first, end)`` cut into consecutive windows of ``length`` ticks (the last shorter).

    Examples
    --------
    >>> tile(0, 10, 4)
    [(0, 4), (4, 8), (8, 10)]
    """
    return [(a, min(a + length, end)) for a in range(int(first), int(end), int(length))]


def split_windows(
    lo: int, hi: int, parts: int, step: Fraction | int = 1, origin: int = 0
) -> list[tuple[int, int]]:
    """Split ``[lo, hi)`` into up to ``parts`` windows whose inner edges lie on the grid
    (whole ticks that hold a whole number of steps from ``origin``).

    Examples
    --------
    >>> split_windows(0, 10, 3)
    [(0, 4), (4, 8), (8, 10)]
    """
    parts = max(1, int(parts))
    step = TimeBase.whole_ticks(step)
    span = hi - lo
    if span <= 0:
        return []
    size = -(-span // parts)
    size = max(step, -(-size // step) * step)
    out = []
    a = lo
    while a < hi:
        b = min(hi, origin + -(-(a + size - origin) // step) * step)
        if b <= a:
            b = min(hi, a + step)
        out.append((a, b))
        a = b
    return out


def group_windows(
    windows: list[tuple[int, int]], per_group: int, lo: int | None = None, hi: int | None = None
) -> list[tuple[int, int]]:
    """Consecutive windows joined ``per_group`` at a time; the first group starts at ``lo``
    and the last ends at ``hi`` when they lie outside (other channels of the span).

    Examples
    --------
    >>> group_windows([(0, 4), (4, 8), (8, 10)], 2, lo=-1, hi=12)
    [(-1, 8), (8, 12)]
    """
    per_group = max(1, int(per_group))
    out = [
        (int(windows[k][0]), int(windows[min(k + per_group, len(windows)) - 1][1]))
        for k in range(0, len(windows), per_group)
    ]
    if out and lo is not None:
        out[0] = (min(out[0][0], int(lo)), out[0][1])
    if out and hi is not None:
        out[-1] = (out[-1][0], max(out[-1][1], int(hi)))
    return out


def join_touching(windows: list[tuple[int, int]], merge: int) -> list[tuple[int, int]]:
    """Touching windows joined, at most ``merge`` into one (for answers without a cap).

    Examples
    --------
    >>> join_touching([(0, 4), (4, 8), (8, 10), (12, 14)], 2)
    [(0, 8), (8, 10), (12, 14)]
    """
    runs: list[tuple[int, int]] = []
    n = 0
    for a, b in windows:
        if runs and runs[-1][1] == a and n < merge:
            runs[-1] = (runs[-1][0], b)
            n += 1
        else:
            runs.append((a, b))
            n = 1
    return runs


def windows_within(windows: list[tuple[int, int]], t0: int, t1: int) -> list[tuple[int, int]]:
    """The parts of ``windows`` inside ``[t0, t1)``; whole windows are kept as they are
    (so that reads of neighbouring slices ask for, and share, the same windows).

    Examples
    --------
    >>> windows_within([(0, 4), (4, 8), (8, 10)], 2, 9)
    [(2, 4), (4, 8), (8, 9)]
    """
    out = []
    for ws, we in windows:
        a, b = max(int(ws), int(t0)), min(int(we), int(t1))
        if b > a:
            out.append((a, b))
    return out


def channel_plan(
    dt: Datatype,
    user: int | None,
    start: int,
    end: int,
    grid_origin: int | None,
    record_end: int | None = None,
    cap: int = POINT_CAP,
    timebase: TimeBase = DEFAULT,
) -> ChannelPlan:
    """Plan one channel over the sample-time span ``[start, end)``.

    Parameters
    ----------
    dt : Datatype
    user : int or None
    start, end : int
        Wanted span in ticks.
    grid_origin : int or None
        The record start the grid hangs from; None when unknown (counts unknown too).
    record_end : int, optional
        End of the record, to count samples exactly; defaults to ``end``.
    cap : int
        Points per window.
    timebase : TimeBase
        The connection's ticks per second (Hexoskin's 256 by default).

    Examples
    --------
    >>> from hexoframe.core.catalog import lookup
    >>> channel_plan(lookup("hr"), 1, 0, 256 * 129, 0).count
    128
    >>> astro = channel_plan(lookup("ecg"), 1, 0, 1000 * 600, 0, timebase=TimeBase(1000))
    >>> astro.count, astro.windows[0], astro.expected_in(*astro.windows[0])
    (153600, (0, 255875), 65504)
    """
    step = timebase.step_or_none(dt)
    if step is None:
        length = timebase.async_window(cap)
        return ChannelPlan(dt, user, start, end, None, tile(start, end, length), grid_origin, start)
    offset = timebase.first_offset(dt)
    # without a record the grid is unknown: take whatever lies in [start, end)
    anchor = start if grid_origin is None else int(grid_origin) + offset
    k_first = TimeBase.position(anchor, step, start)
    first = TimeBase.stamp(anchor, step, k_first)
    count: int | None = None
    if grid_origin is not None:
        rec_end = end if record_end is None else min(end, record_end)
        count = max(0, TimeBase.position(anchor, step, rec_end) - k_first)
    length = timebase.window_ticks(step, cap)
    windows = tile(first, end, length) if first < end else []
    return ChannelPlan(
        dt, user, start, end, count, windows, grid_origin, first, step, offset, anchor
    )


def _bounds_of(client: Any, resource: str, ident: int) -> dict[str, Any]:
    obj = client.get(resource, ident)
    if not isinstance(obj, dict) or obj.get("start") is None:
        raise InvalidQueryError(f"{resource} {ident} has no start time.")
    return obj


def _as_users(user: Any) -> list[int | None]:
    if user is None:
        return [None]
    if isinstance(user, (list, tuple, set)):
        out = [parse_user(u) for u in user]
        if not out:
            raise InvalidQueryError("user=[] names no user.")
        return list(dict.fromkeys(out))
    return [parse_user(user)]


def _ident(value: Any, what: str) -> int:
    return require_id(value, what)


def plan_query(
    client: Any,
    datatypes: int | str | Datatype | Iterable[int | str | Datatype],
    record: Any = None,
    range: Any = None,  # noqa: A002 - the service's own filter name
    start: Any = None,
    end: Any = None,
    user: Any = None,
    *,
    cap: int = POINT_CAP,
) -> Plan:
    """Plan a query: resolve datatypes, look up record/range bounds, cut windows.

    Parameters
    ----------
    client : Client or None
        Used only to look up record/range bounds (``client.get``); may be None when
        ``start``, ``end`` are given without a record or range.
    datatypes : datatype key(s)
        Ids, names or aliases (see :func:`hexoframe.core.catalog.resolve`).
    record, range : int, optional
        Record or range id; ``start``/``end`` then narrow it.
    start, end : time-like, optional
        Anything :func:`hexoframe.core.timestamps.to_ticks` accepts.
    user : int or list, optional
        User id(s) for a bare time span (default: the caller).

    Returns
    -------
    Plan

    Raises
    ------
    InvalidQueryError, UnknownDatatypeError
        Bad input, found before any data request.

    Examples
    --------
    >>> plan = plan_query(None, ["ecg", "hr"], start="2024-05-01T10:00Z",
    ...                   end="2024-05-01T11:00Z")
    >>> [len(ch.windows) for ch in plan.channels]
    [15, 1]
    """
    if isinstance(datatypes, (list, tuple)) and not datatypes:
        raise InvalidQueryError("datatypes=[] names no datatype; pass ids or names, e.g. 'ecg'.")
    dts = catalog.resolve(datatypes)
    if not dts:
        raise InvalidQueryError("No datatype given; pass ids or names, e.g. datatypes='ecg'.")
    if record is not None and range is not None:
        raise InvalidQueryError("Give a record or a range, not both.")
    timebase = timebase_of(client)
    tick_rate = timebase.tick_rate
    q_start = None if start is None else _one_time(start, "start", tick_rate)
    q_end = None if end is None else _one_time(end, "end", tick_rate)
    if q_start is not None and q_end is not None and q_end <= q_start:
        raise InvalidQueryError(
            f"end ({end!r}) is not after start ({start!r}); the span [start, end) is empty."
        )
    rec_id = rng_id = grid_record = None
    origin: int | None = None
    rec_end: int | None = None
    if record is not None or range is not None:
        what, ident = ("record", record) if record is not None else ("range", range)
        ident = _ident(ident, what)
        if what == "record":
            rec_id = grid_record = ident
        else:
            rng_id = ident
        if client is None:
            raise InvalidQueryError(f"Looking up {what} {ident} needs a client.")
        obj = _bounds_of(client, what, ident)
        b_start, b_end = int(obj["start"]), int(obj["end"])
        owner = parse_user(obj.get("user"))
        if user is not None and _as_users(user) != [owner]:
            raise InvalidQueryError(f"{what} {ident} belongs to user {owner}, not {user!r}.")
        users: list[int | None] = [owner]
        if what == "record":
            origin, rec_end = b_start, b_end
        else:
            origin, rec_end, grid_record = _range_grid(client, obj, b_start, b_end)
        span_start = b_start if q_start is None else max(b_start, q_start)
        span_end = b_end if q_end is None else min(b_end, q_end)
        if span_end <= span_start:
            raise InvalidQueryError(
                f"start/end do not overlap {what} {ident}, which spans "
                f"{describe_span(b_start, b_end, tick_rate)}."
            )
    else:
        if q_start is None or q_end is None:
            raise InvalidQueryError(
                "No time span: give record=..., range=..., or both start=... and end=... "
                "(with user=... for another user)."
            )
        users = _as_users(user)
        span_start, span_end = q_start, q_end
    check_span(span_start, span_end, tick_rate)
    channels = [
        channel_plan(dt, u, span_start, span_end, origin, rec_end, cap, timebase)
        for u in users
        for dt in dts
    ]
    return Plan(
        channels,
        rec_id,
        rng_id,
        users,
        span_start,
        span_end,
        origin is not None,
        cap,
        timebase,
        grid_record,
    )


#: The longest span one query may cover (bounds the windows planned before any request).
MAX_SPAN_DAYS = 366


def _one_time(value: Any, name: str, tick_rate: int) -> int:
    """``start``/``end`` as one tick count (a list or array of times is refused)."""
    ticks = to_ticks(value, tick_rate)
    if isinstance(ticks, np.ndarray):
        raise InvalidQueryError(
            f"{name}={value!r} holds several times; pass one time (ticks, ISO string or datetime)."
        )
    return int(ticks)


def check_span(start: int, end: int, tick_rate: int = DEFAULT.tick_rate) -> None:
    """Refuse spans that no record holds before planning windows for them.

    Raises
    ------
    InvalidQueryError
        When ``start``/``end`` lie outside the datetimes pandas represents, or the span is
        longer than :data:`MAX_SPAN_DAYS` days.

    Examples
    --------
    >>> check_span(0, 256 * 86400)
    >>> try:
    ...     check_span(0, 400 * 86400 * 256)  # 400 days
    ... except InvalidQueryError as exc:
    ...     print(str(exc).split(";")[1])
     read long spans in parts of at most 366 days.
    """
    limit = (2**63 - 1) // ns_per_tick(tick_rate)
    for name, t in (("start", start), ("end", end)):
        if not -limit <= t <= limit:
            raise InvalidQueryError(
                f"{name} = {t} ticks is outside 1677-09-21 to 2262-04-11 UTC; pass a time "
                "within it."
            )
    if end - start > MAX_SPAN_DAYS * 86400 * tick_rate:
        first = ticks_to_timestamp(start, tick_rate).strftime("%Y-%m-%dT%H:%M:%S")
        raise InvalidQueryError(
            f"The span [{start}, {end}) ticks (from {first} UTC) is longer than "
            f"{MAX_SPAN_DAYS} days; read long spans in parts of at most {MAX_SPAN_DAYS} days."
        )


def _range_grid(
    client: Any, obj: dict[str, Any], start: int, end: int
) -> tuple[int | None, int | None, int | None]:
    """The record a range lies in: (start, end, id), or Nones if none can be found.

    Its start is the sample grid; binary reads ask for the record narrowed to the range,
    since a binary answer for a range omits end-stamped samples whose interval starts
    before the range.
    """
    ref = obj.get("record")
    if ref is None:
        recs = obj.get("records") or []
        ref = recs[0] if len(recs) == 1 else None
    if ref is not None:
        rec = (
            ref
            if isinstance(ref, dict) and "start" in ref
            else client.get("record", _ident(ref, "record"))
        )
        return int(rec["start"]), int(rec["end"]), _ident(rec, "record")
    try:
        found = list(
            client.resource("record").list_raw(
                user=parse_user(obj.get("user")), start__lte=start, end__gte=end
            )
        )
    except HexoskinError:  # the lookup is an optimisation; JSON works without it
        logger.debug("no record found around range %s", obj.get("id"), exc_info=True)
        return None, None, None
    if len(found) == 1:
        return int(found[0]["start"]), int(found[0]["end"]), _ident(found[0], "record")
    return None, None, None


def choose_method(plan: Plan, method: str = "auto", resolution: str = "full") -> tuple[str, str]:
    """Pick the method for a plan (``auto``: ``json`` or ``binary``), with the reason.

    ``auto`` takes binary (one zip, never subsampled) where JSON would need many windows or
    a channel is raw and high-rate, JSON otherwise; binary needs a known sample grid (a
    record, or a range inside one record) and a single user.

    Examples
    --------
    >>> plan = plan_query(None, "hr", start=0, end=256 * 3600)
    >>> choose_method(plan)
    ('json', '1 JSON request(s); binary needs a record or range (unknown sample grid)')
    """
    methods.check(method)
    multi = len(plan.users) > 1
    if method != "auto" and methods.get(method).grid_aligned:
        if not plan.grid_known:
            raise InvalidQueryError(
                f"method={method!r} needs record=... or range=... (its answers are aligned "
                "to the record's sample grid); use method='json' for a bare time span."
            )
        if multi:
            raise InvalidQueryError(f"method={method!r} reads one user at a time.")
        return method, "asked for"
    if method != "auto":
        return method, "asked for"
    n = plan.json_requests()
    if resolution == "any":
        return "json", "resolution='any': one JSON request per rate (may be subsampled)"
    if not plan.grid_known or multi:
        why = (
            "needs a record or range (unknown sample grid)"
            if not plan.grid_known
            else ("reads one user at a time")
        )
        return "json", f"{n} JSON request(s); binary {why}"
    fast = [ch.datatype for ch in plan.channels if (ch.datatype.freq or 0) >= 64]
    if fast:
        dt = fast[0]
        return "binary", f"raw high-rate channel {dt.name} ({dt.freq:g} Hz): binary zip"
    if n > 4:
        return "binary", f"JSON would need {n} requests; one binary zip is uncapped"
    return "json", f"{n} JSON request(s) suffice"


def binary_chunk_ticks(plan: Plan, target_samples: int = BINARY_TARGET_SAMPLES) -> int:
    """Ticks per binary zip: about ``target_samples`` samples of the plan's channels.

    Asynchronous channels count at :data:`~hexoframe.core.timebase.ASYNC_MAX_RATE`. The result
    is a whole number of binary grids (:attr:`~hexoframe.core.timebase.TimeBase.binary_grid`), at
    least one.

    Examples
    --------
    >>> full = ["ecg", "resp", "resp_abdominal", "ax", "ay", "az", "hr", "br", "rr"]
    >>> binary_chunk_ticks(plan_query(None, full, start=0, end=1)) // 256   # 2 h
    7200
    >>> binary_chunk_ticks(plan_query(None, ["hr", "br"], start=0, end=1)) // 256 // 86400
    29
    """
    rate = sum(ch.datatype.freq or ASYNC_MAX_RATE for ch in plan.channels) or 1.0
    grid = plan.timebase.binary_grid
    ticks = plan.timebase.ticks(target_samples / rate)
    return max(grid, ticks // grid * grid)


def build_requests(plan: Plan, method: str, binary_chunk: int | None = None) -> list[Request]:
    """The HTTP requests that fetch a plan with ``method``.

    JSON/CSV: one request per window of each (user, rate) group, shared by its channels.
    Grid-aligned methods (binary, EDF): the span cut into pieces of ``binary_chunk`` ticks
    (by default :func:`binary_chunk_ticks` of the plan) aligned to the record start, each
    one answer for all channels.

    Examples
    --------
    >>> plan = plan_query(None, ["ecg", "ecg_ii"], start=0, end=256 * 600)
    >>> [(r.start, r.end, len(r.members)) for r in build_requests(plan, "json")]
    [(0, 65535, 2), (65535, 131070, 2), (131070, 153600, 2)]
    """
    reqs: list[Request] = []
    methods.get(method).check_tick_rate(plan.tick_rate)
    if not methods.get(method).grid_aligned:
        index: dict[tuple[Any, int, int], Request] = {}
        for i, ch in enumerate(plan.channels):
            for lo, hi in ch.windows:
                key = (ch.user, lo, hi)
                req = index.get(key)
                if req is None:
                    req = index[key] = Request(method, ch.user, lo, hi, [])
                    reqs.append(req)
                req.members.append((i, lo, hi))
        return reqs
    origin = plan.channels[0].grid_origin if plan.channels else None
    if origin is None:
        raise InvalidQueryError(f"method={method!r} needs a record's sample grid.")
    if binary_chunk is None:
        binary_chunk = binary_chunk_ticks(plan)
    grid = plan.timebase.binary_grid
    chunk = max(grid, binary_chunk // grid * grid)
    # the first request must hold the interval start of every channel's first sample
    lo_all = min(ch.first - ch.offset for ch in plan.channels)
    hi_all = max(ch.end for ch in plan.channels)
    # request (interval-start) boundaries on the common grid of every rate
    a = origin + (lo_all - origin) // grid * grid
    a = max(a, origin) if lo_all >= origin else a
    while a < hi_all:
        b = min(a + chunk, hi_all)
        req = Request(method, plan.channels[0].user, a, b, [])
        for i, ch in enumerate(plan.channels):
            off = ch.offset
            lo = max(ch.start, a + off)
            hi = min(ch.end, b + off) if b < hi_all else ch.end
            if hi > lo:
                req.members.append((i, lo, hi))
        if req.members:
            reqs.append(req)
        a = b
    return reqs


def window_request(plan: Plan, method: str, members: list[int], start: int, end: int) -> Request:
    """One request for channels ``members`` (indices into ``plan.channels``, one rate)
    with sample times in ``[start, end)``.

    Grid-aligned methods ask for the window in interval-start time: the sample-time window
    shifted back by the channel's first offset (1 Hz and slower samples are stamped at the
    end of their interval).

    Examples
    --------
    >>> plan = plan_query(None, "hr", start=0, end=2560)
    >>> r = window_request(plan, "binary", [0], 256, 1280)
    >>> (r.method, r.start, r.end, r.members)
    ('binary', 0, 1024, [(0, 256, 1280)])
    """
    off = plan.channels[members[0]].offset if methods.get(method).grid_aligned and members else 0
    return Request(
        method,
        plan.channels[members[0]].user if members else None,
        int(start) - off,
        int(end) - off,
        [(i, int(start), int(end)) for i in members],
    )


def request_windows(
    plan: Plan, method: str, target_samples: int = BINARY_TARGET_SAMPLES
) -> list[list[tuple[int, int]]]:
    """Per channel, the sample-time windows of the requests :func:`build_requests` sends
    for ``method``: the planner's capped windows for JSON/CSV, the binary zips (whole
    :attr:`~hexoframe.core.timebase.TimeBase.binary_grid` multiples of
    :func:`binary_chunk_ticks` of ``target_samples``) for grid-aligned methods.

    Examples
    --------
    >>> plan = plan_query(None, "ecg", start=0, end=256 * 86400)
    >>> [len(w) for w in request_windows(plan, "json")]
    [338]
    >>> ecg = channel_plan(catalog.lookup("ecg"), 1, 0, 256 * 86400, 0)
    >>> request_windows(Plan([ecg]), "binary")[0][:2]
    [(0, 5068800), (5068800, 10137600)]
    """
    if not methods.get(method).grid_aligned:
        return [list(ch.windows) for ch in plan.channels]
    out: list[list[tuple[int, int]]] = [[] for _ in plan.channels]
    for req in build_requests(plan, method, binary_chunk_ticks(plan, target_samples)):
        for i, lo, hi in req.members:
            out[i].append((int(lo), int(hi)))
    return out


def describe(plan: Plan) -> list[dict[str, Any]]:
    """Per-channel summary (for logs and attrs).

    Examples
    --------
    >>> describe(plan_query(None, "hr", start=0, end=2560))
    [{'datatype': 'heart_rate', 'user': None, 'count': None, 'windows': 1}]
    """
    return [
        {
            "datatype": ch.datatype.name,
            "user": ch.user,
            "count": ch.count,
            "windows": len(ch.windows),
        }
        for ch in plan.channels
    ]
