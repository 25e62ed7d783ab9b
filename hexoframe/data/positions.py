"""Position-based reads of planned channels: what array indexes (sample positions) need.

Front doors index arrays by position; the service speaks ticks. :class:`ChannelReader`
maps sample positions of one channel to the planner's windows and fetches them through
:func:`~hexoframe.data.fetch.fetch_plan`; :class:`SharedWindows` makes one request per
window for every channel of a rate (``datatype__in=...`` or one zip), joins touching
windows where the method has no point cap, and keeps the last few windows. Requests are
built by :func:`~hexoframe.data.plan.window_request`, never by hand.

Examples
--------
>>> from hexoframe.data.plan import plan_query
>>> plan = plan_query(client, "hr", record=37700)
>>> ChannelReader(client, plan, plan.channels[0], "json").read(0, 3)
array([106., 108., 106.])
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from hexoframe.core.catalog import Datatype
from hexoframe.core.errors import InvalidQueryError
from hexoframe.core.timebase import TimeBase
from hexoframe.core.units import convert
from hexoframe.data import methods
from hexoframe.data.fetch import fetch_plan, fetch_window, stitch
from hexoframe.data.plan import join_touching, window_request, windows_within

__all__ = ["ChannelReader", "SharedWindows"]


class SharedWindows:
    """Fetch a window once for every channel of the same rate, and keep the last few.

    Reading a whole Dataset slice asks each variable for the same span; channels of one
    rate share the planner's windows, so one request (``datatype__in=...`` or one zip)
    serves them all.  This is an adapter over the data engine's
    :func:`~hexoframe.data.fetch.fetch_plan`; it belongs there eventually.

    Examples
    --------
    >>> from hexoframe.data.plan import plan_query
    >>> plan = plan_query(client, ["ecg", "ecg_ii"], record=37700)
    >>> shared = SharedWindows(client, plan, "binary")
    >>> ticks, raw = shared.fetch(0, *plan.channels[0].windows[0])
    """

    def __init__(self, client: Any, plan: Any, method: str, keep: int = 8, merge: int = 16) -> None:
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
        return {
            "client": self.client,
            "plan": self.plan,
            "method": self.method,
            "keep": self.keep,
            "merge": self.merge,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._init_state()

    def _group(self, index: int) -> list[int]:
        ch = self.plan.channels[index]
        if ch.datatype.is_async:
            return [index]
        return [
            i
            for i, other in enumerate(self.plan.channels)
            if other.step == ch.step
            and other.offset == ch.offset
            and other.user == ch.user
            and not other.datatype.is_async
        ]

    def fetch(self, index: int, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
        """``(ticks, raw)`` of channel ``index`` in ``[start, end)``."""
        ch = self.plan.channels[index]
        step = ch.step or 0
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
        """Uncapped answers (binary, EDF): touching windows joined, ``merge`` at a time."""
        return (
            list(windows) if methods.get(self.method).capped else join_touching(windows, self.merge)
        )

    def fetch_many(
        self, index: int, windows: list[tuple[int, int]]
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """``(ticks, raw)`` of channel ``index`` for each window; missing windows are
        fetched concurrently (the data engine's thread pool), for the whole rate group."""
        if len(windows) <= 1:
            return [self.fetch(index, a, b) for a, b in windows]
        ch = self.plan.channels[index]
        step = ch.step or 0
        out: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
        with self._lock:
            for a, b in windows:
                hit = self._cache.get((step, int(a), int(b)))
                if hit is not None and index in hit:
                    out[(a, b)] = hit[index]
        missing = [w for w in windows if w not in out]
        if missing:
            group = self._group(index)
            reqs = [
                window_request(self.plan, self.method, group, a, b) for a, b in self._runs(missing)
            ]
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
                for a, b in missing[-self.keep :]:
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
    >>> from hexoframe.frontends.sources import open_source
    >>> from hexoframe.frontends.urls import parse_url
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
    def step(self) -> Fraction:
        """Ticks between samples in the plan's time base (sync channels)."""
        if self.channel.step is None:
            raise InvalidQueryError(f"{self.datatype.name} is an event channel: no sample step.")
        return Fraction(self.channel.step)

    @property
    def first(self) -> int:
        """Tick stamped on sample 0 (sync channels)."""
        return int(self.channel.first)

    @property
    def exact_first(self) -> Fraction:
        """Exact time in ticks of sample 0 (sync channels; a fraction of a tick at times)."""
        return Fraction(self.channel.exact_time(self.channel.first)[0])

    @property
    def _k_first(self) -> int:
        """Position of sample 0 on the channel's grid (counted from its anchor)."""
        return TimeBase.position(self.channel.anchor, self.step, self.first)

    def _stamp(self, i: int) -> int:
        return TimeBase.stamp(self.channel.anchor, self.step, self._k_first + int(i))

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
        return max(0, TimeBase.position(self.first, self.step, int(self.channel.end)))

    def window_positions(self) -> list[tuple[int, int]]:
        """The planner's windows as sample-position ranges ``[p0, p1)``."""
        out = []
        anchor, k_first = self.channel.anchor, self._k_first
        for ws, we in self.channel.windows:
            p0 = max(0, TimeBase.position(anchor, self.step, int(ws)) - k_first)
            p1 = min(self.count, max(0, TimeBase.position(anchor, self.step, int(we)) - k_first))
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
        return windows_within(self.channel.windows, self._stamp(i0), self._stamp(i1))

    def fetch(self, start: int, end: int) -> tuple[np.ndarray, np.ndarray, str]:
        """``(ticks, values, source)`` of ``[start, end)`` from the data engine."""
        if self.shared is not None:
            index = next(i for i, ch in enumerate(self.plan.channels) if ch is self.channel)
            ticks, values = self.shared.fetch(index, start, end)
        else:
            ticks, values = fetch_window(
                self.client, self.plan, self.channel, start, end, self.method
            )
        return np.asarray(ticks, dtype=np.int64), np.asarray(values), "raw"

    def fetch_many(
        self, windows: list[tuple[int, int]]
    ) -> list[tuple[np.ndarray, np.ndarray, str]]:
        """:meth:`fetch` of several windows, concurrently when there is more than one."""
        if self.shared is None or len(windows) <= 1:
            return [self.fetch(a, b) for a, b in windows]
        index = next(i for i, ch in enumerate(self.plan.channels) if ch is self.channel)
        got = self.shared.fetch_many(index, windows)
        return [(np.asarray(t, dtype=np.int64), np.asarray(v), "raw") for t, v in got]

    def read(self, i0: int, i1: int, units: str = "api") -> np.ndarray:
        """Values of samples ``[i0, i1)`` in ``units`` (float64; NaN where missing)."""
        i0, i1 = max(0, int(i0)), min(self.count, int(i1))
        out = np.full(max(0, i1 - i0), np.nan)
        windows = self.requests_for(i0, i1)
        fetched = (
            got
            for k in range(0, len(windows), self.batch)
            for got in self.fetch_many(windows[k : k + self.batch])
        )
        for ticks, values, source in fetched:
            if ticks.size == 0:
                continue
            vals = convert(self.datatype, values, source=source, units=units)
            anchor, k_first = self.channel.anchor, self._k_first
            k = TimeBase.positions(anchor, self.step, ticks)
            pos = k - k_first - i0
            keep = (pos >= 0) & (pos < out.size)
            if self.grid_known:  # samples off the grid are not this channel's
                keep &= TimeBase.stamps_at(anchor, self.step, k) == ticks
            out[pos[keep]] = np.asarray(vals, dtype=np.float64)[keep]
        return out

    def read_events(self, units: str = "api") -> tuple[np.ndarray, np.ndarray]:
        """All ``(ticks, values)`` of an asynchronous channel, one request per window."""
        all_t, all_v = [], []
        for ws, we in self.channel.windows:
            ticks, values, source = self.fetch(int(ws), int(we))
            all_t.append(ticks)
            all_v.append(
                np.asarray(
                    convert(self.datatype, values, source=source, units=units), dtype=np.float64
                )
            )
        if not all_t:
            return np.zeros(0, np.int64), np.zeros(0)
        ticks, values = np.concatenate(all_t), np.concatenate(all_v)
        order = np.argsort(ticks, kind="stable")
        return ticks[order], values[order]
