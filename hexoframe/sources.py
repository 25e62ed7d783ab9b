"""What the front doors (xarray, fsspec, cohort) share: a source's metadata and
position-based reads of one channel, on top of the data engine.

This module plans, fetches and decodes nothing itself: it asks
:func:`hexoframe.data.plan.plan_query` for the channels and their windows,
:func:`hexoframe.data.plan.choose_method` for the format, and
:func:`hexoframe.data.fetch.fetch_plan` (or ``fetch_window``) for the samples, then
converts units with :func:`hexoframe.units.convert`.  What it adds is the
mapping between *sample positions* (what an array index is) and ticks (what the service
speaks), and :class:`SharedWindows`: one request per window for all channels of a rate,
touching windows joined for binary answers, a small cache of recent windows.  Those are
adapters that could move into the data engine.

Examples
--------
>>> from hexoframe.urls import parse_url
>>> src = open_source(parse_url("hexoskin://record/37700"), ["hr"], client=client)
>>> src.channels[0].read(0, 10, "api")
array([106., 108., 106., 109., 106., 103., 107., 104., 102., 108.])
"""

from __future__ import annotations

import inspect
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import catalog
from .catalog import Datatype
from .errors import InvalidQueryError
from .references import ref_id
from .timestamps import TICKS_PER_SECOND, to_ticks
from .urls import HexoskinURL

__all__ = [
    "DEFAULT_DATATYPES",
    "SECRET_KEYS",
    "SharedWindows",
    "make_client",
    "Source",
    "ChannelReader",
    "open_source",
    "dim_name",
]

#: Channels a Hexoskin shirt records, read when ``datatypes`` is not given (sync only:
#: asynchronous channels need a request each to know their times).
DEFAULT_DATATYPES: tuple[str, ...] = (
    "ecg_i",
    "respiration_thoracic",
    "respiration_abdominal",
    "acceleration_x",
    "acceleration_y",
    "acceleration_z",
    "heart_rate",
    "heart_rate_quality",
    "breathing_rate",
    "breathing_rate_quality",
    "minute_ventilation",
    "tidal_volume",
    "activity",
    "cadence",
)

#: Client options that are credentials: kept by the client, never serialised.
SECRET_KEYS = frozenset(
    {"password", "api_secret", "token", "client_secret", "refresh_token", "api_key"}
)


def make_client(client: Any = None, options: Mapping[str, Any] | None = None) -> Any:
    """The client to use: ``client`` itself, or a new ``Client(**options)``.

    ``options`` may use ``url`` as an alias of ``base_url``; unknown keys raise
    :class:`InvalidQueryError`.  With neither, the client discovers its settings from
    ``HEXOSKIN_*`` environment variables and ``~/.netrc``.

    Examples
    --------
    >>> make_client(None, {"url": "http://127.0.0.1:9", "token": "t"})
    Client(url='http://127.0.0.1:9/api/v1/', auth='oauth2')
    """
    if client is not None:
        if options:
            raise InvalidQueryError(
                "Give client=... or client options (storage_options), not both."
            )
        return client
    from .client import Client

    opts = dict(options or {})
    if "url" in opts:
        opts["base_url"] = opts.pop("url")
    accepted = set(inspect.signature(Client).parameters) - {"self"}
    unknown = set(opts) - accepted
    if unknown:
        raise InvalidQueryError(
            f"Unknown client option(s) {sorted(unknown)}; "
            f"accepted: {', '.join(sorted(accepted))}."
        )
    return Client(**opts)


def dim_name(dt: Datatype) -> str:
    """The time dimension of a channel: ``time_256hz``, ``time_1hz``, ``time_300s``, or
    ``time_<name>`` for asynchronous channels.

    Examples
    --------
    >>> [dim_name(catalog.lookup(k)) for k in ("ecg", "sdnn", "rr")]
    ['time_256hz', 'time_300s', 'time_rr_interval']
    """
    if dt.freq is None:
        return f"time_{dt.name}"
    if dt.freq >= 1:
        return f"time_{dt.freq:g}hz"
    return f"time_{1 / dt.freq:g}s"


class SharedWindows:
    """Fetch a window once for every channel of the same rate, and keep the last few.

    Reading a whole Dataset slice asks each variable for the same span; channels of one
    rate share the planner's windows, so one request (``datatype__in=...`` or one zip)
    serves them all.  This is an adapter over the data engine's
    :func:`~hexoframe.data.fetch.fetch_plan`; it belongs there eventually.

    Examples
    --------
    >>> shared = SharedWindows(client, plan, "binary")
    >>> ticks, raw = shared.fetch(0, *plan.channels[0].windows[0])
    """

    def __init__(self, client: Any, plan: Any, method: str, keep: int = 8, merge: int = 16
                 ) -> None:
        self.client = client
        self.plan = plan
        self.method = method
        self.keep = keep
        self.merge = merge
        self._init_state()

    def _init_state(self) -> None:
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[int, int, int], dict[int, Any]] = OrderedDict()
        self._inflight: dict[tuple[int, int, int], threading.Lock] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"client": self.client, "plan": self.plan, "method": self.method,
                "keep": self.keep, "merge": self.merge}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._init_state()

    def _group(self, index: int) -> list[int]:
        ch = self.plan.channels[index]
        if ch.datatype.is_async:
            return [index]
        return [i for i, other in enumerate(self.plan.channels)
                if other.datatype.step_ticks == ch.datatype.step_ticks
                and other.datatype.first_offset == ch.datatype.first_offset
                and other.user == ch.user and not other.datatype.is_async]

    def fetch(self, index: int, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
        """``(ticks, raw)`` of channel ``index`` in ``[start, end)``."""
        from .data.fetch import fetch_plan, stitch
        from .data.plan import window_request

        ch = self.plan.channels[index]
        step = ch.datatype.step_ticks or 0
        key = (step, int(start), int(end))
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and index in hit:
                self._cache.move_to_end(key)
                return hit[index]
            gate = self._inflight.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                hit = self._cache.get(key)
                if hit is not None and index in hit:
                    return hit[index]
            group = self._group(index)
            req = window_request(self.plan, self.method, group, int(start), int(end))
            res = fetch_plan(self.client, self.plan, [req], max_workers=1)
            got = {i: stitch(res.pieces.get(i, [])) for i in group}
            with self._lock:
                self._cache[key] = got
                self._cache.move_to_end(key)
                while len(self._cache) > self.keep:
                    self._cache.popitem(last=False)
                self._inflight.pop(key, None)
        return got[index]

    def _runs(self, windows: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Uncapped answers (binary, EDF): join touching windows, ``merge`` at a time."""
        from .data import methods

        if methods.get(self.method).capped:
            return list(windows)
        runs: list[tuple[int, int]] = []
        n = 0
        for a, b in windows:
            if runs and runs[-1][1] == a and n < self.merge:
                runs[-1] = (runs[-1][0], b)
                n += 1
            else:
                runs.append((a, b))
                n = 1
        return runs

    def fetch_many(self, index: int, windows: list[tuple[int, int]]
                   ) -> list[tuple[np.ndarray, np.ndarray]]:
        """``(ticks, raw)`` of channel ``index`` for each window; missing windows are
        fetched concurrently (the data engine's thread pool), for the whole rate group."""
        from .data.fetch import fetch_plan, stitch
        from .data.plan import window_request

        if len(windows) <= 1:
            return [self.fetch(index, a, b) for a, b in windows]
        ch = self.plan.channels[index]
        step = ch.datatype.step_ticks or 0
        out: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
        with self._lock:
            for a, b in windows:
                hit = self._cache.get((step, int(a), int(b)))
                if hit is not None and index in hit:
                    out[(a, b)] = hit[index]
        missing = [w for w in windows if w not in out]
        if missing:
            group = self._group(index)
            reqs = [window_request(self.plan, self.method, group, a, b)
                    for a, b in self._runs(missing)]
            res = fetch_plan(self.client, self.plan, reqs)
            joined = {i: stitch(res.pieces.get(i, [])) for i in group}
            per_window: dict[tuple[int, int], dict[int, Any]] = {}
            for a, b in missing:
                cut = {}
                for i, (ticks, raw) in joined.items():
                    lo, hi = np.searchsorted(ticks, [a, b])
                    cut[i] = (ticks[lo:hi], raw[lo:hi])
                per_window[(a, b)] = cut
                out[(a, b)] = cut[index]
            with self._lock:  # keep the most recent windows only
                for a, b in missing[-self.keep:]:
                    self._cache[(step, int(a), int(b))] = per_window[(a, b)]
                while len(self._cache) > self.keep:
                    self._cache.popitem(last=False)
        return [out[w] for w in windows]


@dataclass
class ChannelReader:
    """Position-based access to one channel of a plan.

    Attributes
    ----------
    client, plan, channel
        The data engine's client, :class:`Plan` and :class:`ChannelPlan`.
    method : str
        Fetch method (``"json"``, ``"csv"`` or ``"binary"``).
    shared : SharedWindows, optional
        Request sharing between the channels of one rate.

    Examples
    --------
    >>> src = open_source(parse_url("hexoskin://record/37700"), ["ecg"], client=client)
    >>> src.channels[0].read(0, 256, "physical").shape
    (256,)
    """

    client: Any
    plan: Any
    channel: Any
    method: str = "auto"
    shared: SharedWindows | None = None
    #: windows fetched concurrently per batch (bounds the memory of long reads)
    batch: int = 32

    @property
    def datatype(self) -> Datatype:
        return self.channel.datatype

    @property
    def step(self) -> int:
        return int(self.datatype.step_ticks)  # type: ignore[arg-type]

    @property
    def first(self) -> int:
        """Tick of sample 0 (sync channels)."""
        return int(self.channel.first)

    @property
    def grid_known(self) -> bool:
        """False for a bare time span, whose sample grid is assumed to start at ``start``."""
        return self.channel.grid_origin is not None

    @property
    def count(self) -> int:
        if self.channel.count is not None:
            return int(self.channel.count)
        if self.datatype.is_async:
            return 0
        return max(0, -(-(int(self.channel.end) - self.first) // self.step))

    def window_positions(self) -> list[tuple[int, int]]:
        """The planner's windows as sample-position ranges ``[p0, p1)``."""
        out = []
        for ws, we in self.channel.windows:
            p0 = max(0, -(-(int(ws) - self.first) // self.step))
            p1 = min(self.count, max(0, -(-(int(we) - self.first) // self.step)))
            if p1 > p0:
                out.append((p0, p1))
        return out

    def chunk_sizes(self) -> tuple[int, ...]:
        """Sizes of the planner's windows in samples (for ``preferred_chunks``)."""
        sizes = tuple(p1 - p0 for p0, p1 in self.window_positions())
        return sizes if sizes and sum(sizes) == self.count else (self.count,)

    def requests_for(self, i0: int, i1: int) -> list[tuple[int, int]]:
        """The (start, end) tick windows that samples ``[i0, i1)`` need."""
        if i1 <= i0:
            return []
        t0, t1 = self.first + i0 * self.step, self.first + i1 * self.step
        out = []
        for ws, we in self.channel.windows:
            a, b = max(int(ws), t0), min(int(we), t1)
            if b > a:
                out.append((int(ws), int(we)) if (a, b) == (ws, we) else (a, b))
        return out

    def fetch(self, start: int, end: int) -> tuple[np.ndarray, np.ndarray, str]:
        """``(ticks, values, source)`` of ``[start, end)`` from the data engine."""
        if self.shared is not None:
            index = next(i for i, ch in enumerate(self.plan.channels) if ch is self.channel)
            ticks, values = self.shared.fetch(index, start, end)
        else:
            from .data.fetch import fetch_window

            ticks, values = fetch_window(self.client, self.plan, self.channel, start, end,
                                         self.method)
        return np.asarray(ticks, dtype=np.int64), np.asarray(values), "raw"

    def fetch_many(self, windows: list[tuple[int, int]]
                   ) -> list[tuple[np.ndarray, np.ndarray, str]]:
        """:meth:`fetch` of several windows, concurrently when there is more than one."""
        if self.shared is None or len(windows) <= 1:
            return [self.fetch(a, b) for a, b in windows]
        index = next(i for i, ch in enumerate(self.plan.channels) if ch is self.channel)
        got = self.shared.fetch_many(index, windows)
        return [(np.asarray(t, dtype=np.int64), np.asarray(v), "raw") for t, v in got]

    def read(self, i0: int, i1: int, units: str = "api") -> np.ndarray:
        """Values of samples ``[i0, i1)`` in ``units`` (float64; NaN where missing)."""
        from .units import convert

        i0, i1 = max(0, int(i0)), min(self.count, int(i1))
        out = np.full(max(0, i1 - i0), np.nan)
        windows = self.requests_for(i0, i1)
        fetched = (got for k in range(0, len(windows), self.batch)
                   for got in self.fetch_many(windows[k:k + self.batch]))
        for ticks, values, source in fetched:
            if ticks.size == 0:
                continue
            vals = convert(self.datatype, values, source=source, units=units)
            pos = (ticks - self.first) // self.step - i0
            keep = (pos >= 0) & (pos < out.size)
            if self.grid_known:
                keep &= (ticks - self.first) % self.step == 0
            out[pos[keep]] = np.asarray(vals, dtype=np.float64)[keep]
        return out

    def read_events(self, units: str = "api") -> tuple[np.ndarray, np.ndarray]:
        """All ``(ticks, values)`` of an asynchronous channel, one request per window."""
        from .units import convert

        all_t, all_v = [], []
        for ws, we in self.channel.windows:
            ticks, values, source = self.fetch(int(ws), int(we))
            all_t.append(ticks)
            all_v.append(np.asarray(convert(self.datatype, values, source=source,
                                                   units=units), dtype=np.float64))
        if not all_t:
            return np.zeros(0, np.int64), np.zeros(0)
        ticks, values = np.concatenate(all_t), np.concatenate(all_v)
        order = np.argsort(ticks, kind="stable")
        return ticks[order], values[order]


@dataclass
class Source:
    """A record, range or user span: its metadata and one reader per channel.

    Examples
    --------
    >>> src = open_source(parse_url("hexoskin://range/58979"), "hr", client=client)
    >>> src.user, [r.count for r in src.channels]
    (1511, [1200])
    """

    url: HexoskinURL
    start: int
    end: int
    user: int | None
    meta: dict[str, Any] = field(default_factory=dict)
    channels: list[ChannelReader] = field(default_factory=list)
    tick_rate: int = TICKS_PER_SECOND

    @property
    def last_modified(self) -> str | None:
        return self.meta.get("last_modified") or self.meta.get("start_date")


def source_meta(client: Any, url: HexoskinURL) -> dict[str, Any]:
    """The record's or range's resource (one metadata request); ``{}`` for a user span."""
    if url.kind in ("record", "range"):
        return dict(client.get(url.kind, url.id))
    return {}


def open_source(
    url: HexoskinURL,
    datatypes: Iterable[Any] | Any = None,
    *,
    client: Any = None,
    start: Any = None,
    end: Any = None,
    method: str = "auto",
    meta: dict[str, Any] | None = None,
) -> Source:
    """Plan the channels of a source (metadata requests only, never data).

    Parameters
    ----------
    url : HexoskinURL
    datatypes : datatype key(s), optional
        Defaults to the URL's ``datatypes`` or :data:`DEFAULT_DATATYPES`.
    client : Client, optional
    start, end : time-like, optional
        Narrow the source (override the URL's own bounds).
    method : str
        Fetch method for the data engine (``"auto"``, ``"binary"``, ``"json"``, ``"csv"``).
    meta : dict, optional
        The record/range resource when already known (saves a request).
    """
    from .data.plan import choose_method, plan_query

    if datatypes is None:
        datatypes = url.datatypes or DEFAULT_DATATYPES
    dts = catalog.resolve(datatypes)
    kwargs = url.query_kwargs()
    if start is not None:
        kwargs["start"] = start
    if end is not None:
        kwargs["end"] = end
    tick_rate = int(getattr(client, "tick_rate", TICKS_PER_SECOND) or TICKS_PER_SECOND)
    for key in ("start", "end"):
        if key in kwargs:
            kwargs[key] = to_ticks(kwargs[key], tick_rate)
    if meta is None:
        meta = source_meta(client, url)
    plan = plan_query(client, dts, **kwargs)
    method = choose_method(plan, method)[0]
    shared = SharedWindows(client, plan, method)
    readers = [ChannelReader(client, plan, ch, method, shared) for ch in plan.channels]
    s = getattr(plan, "start", None)
    e = getattr(plan, "end", None)
    if s is None:
        s = min(int(ch.start) for ch in plan.channels)
    if e is None:
        e = max(int(ch.end) for ch in plan.channels)
    user = ref_id(getattr(plan, "user", None) or meta.get("user"))
    if url.kind == "user":
        user = url.id
    if user is None and plan.channels:
        user = ref_id(plan.channels[0].user)
    return Source(url=url, start=int(s), end=int(e), user=user, meta=meta,
                  channels=readers, tick_rate=tick_rate)

