"""Position-based reads of planned channels: what array indexes (sample positions) need.

Front doors index arrays by position; the service speaks ticks. :class:`ChannelReader`
maps sample positions of one channel to the request windows (for binary and EDF, the
binary planner's zips, one per dask chunk) and fetches them through
:func:`~hexoframe.data.fetch.fetch_plan`; :class:`SharedWindows` makes one request per
window for every channel of a rate (``datatype__in=...`` or one zip), joins touching
partial windows where the method has no point cap, and keeps decoded windows in a cache
bounded in bytes until every channel sharing them has taken them. Requests are built by
:func:`~hexoframe.data.plan.window_request`, never by hand.

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
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from hexoframe.core.catalog import Datatype
from hexoframe.core.errors import InvalidQueryError
from hexoframe.core.timebase import TimeBase
from hexoframe.core.units import convert
from hexoframe.data import methods
from hexoframe.data.fetch import Piece, fetch_plan, fetch_window, stitch
from hexoframe.data.plan import (
    BINARY_TARGET_SAMPLES,
    join_touching,
    request_windows,
    window_request,
    windows_within,
)

__all__ = ["CACHE_BYTES", "LAZY_TARGET_SAMPLES", "ChannelReader", "SharedWindows"]


#: Samples per binary zip of lazy reads (all channels of the plan): a quarter of an
#: in-memory read's zip (:data:`~hexoframe.data.plan.BINARY_TARGET_SAMPLES`), so that a
#: dask chunk of each variable and of its time axis (int64, encoded by the writer) stay
#: small per thread while each chunk is still one request.
LAZY_TARGET_SAMPLES = BINARY_TARGET_SAMPLES // 4

#: Bytes of decoded samples one :class:`SharedWindows` keeps at most (a few binary zips:
#: a lazy zip of :data:`LAZY_TARGET_SAMPLES` int16 samples is about 2.6 MB).
CACHE_BYTES = 32 * 2**20


def _nbytes(pieces: dict[int, list[Piece]]) -> int:
    return sum(
        p.raw.nbytes + (0 if p.ticks is None else p.ticks.nbytes)
        for got in pieces.values()
        for p in got
    )


def _cut(piece: Piece, a: int, b: int) -> Piece:
    """The samples of ``piece`` stamped in ``[a, b)``, copied (so that the cache does not
    keep the whole answer alive through a view)."""
    if piece.ticks is not None:
        lo, hi = np.searchsorted(piece.ticks, [a, b])
        return Piece(a, piece.raw[lo:hi].copy(), ticks=piece.ticks[lo:hi].copy())
    first, step = piece.grid()
    k0 = min(len(piece), TimeBase.position(first, step, a))
    k1 = min(len(piece), TimeBase.position(first, step, b))
    return Piece(a, piece.raw[k0:k1].copy(), first=TimeBase.at(first, step, k0), step=step)


@dataclass
class _Entry:
    """One decoded window: pieces per channel of its rate group, and the channels that
    have taken the whole window (it is dropped once all of them have)."""

    pieces: dict[int, list[Piece]]
    nbytes: int
    taken: set[int] = field(default_factory=set)


class SharedWindows:
    """Fetch a window once for every channel of the same rate; keep a few, bounded in bytes.

    Reading a whole Dataset slice asks each variable for the same span; channels of one
    rate share the planner's windows, so one request (``datatype__in=...`` or one zip)
    serves them all.  Decoded windows wait in a least-recently-used cache of at most
    ``max_bytes`` bytes of samples (:data:`CACHE_BYTES` by default; a window larger than
    that is not kept) until every channel of the group has taken the whole window, and
    are dropped then, so memory does not grow with the span read nor with the number of
    channels or chunks.  This is an adapter over the data engine's
    :func:`~hexoframe.data.fetch.fetch_plan`.

    Examples
    --------
    >>> from hexoframe.data.plan import plan_query
    >>> plan = plan_query(client, ["ecg", "ecg_ii"], record=37700)
    >>> shared = SharedWindows(client, plan, "binary")
    >>> ticks, raw = shared.fetch(0, *plan.channels[0].windows[0])
    >>> len(shared), shared.nbytes  # ecg_ii has not taken its part yet
    (1, 262140)
    >>> _ = shared.pieces(1, *plan.channels[1].windows[0], whole=True)
    >>> _ = shared.pieces(0, *plan.channels[0].windows[0], whole=True)
    >>> len(shared), shared.nbytes  # both channels took the window whole: freed
    (0, 0)
    """

    def __init__(
        self, client: Any, plan: Any, method: str, max_bytes: int = CACHE_BYTES, merge: int = 16
    ) -> None:
        self.client = client
        self.plan = plan
        self.method = method
        self.max_bytes = int(max_bytes)
        self.merge = merge
        self._init_state()

    def _init_state(self) -> None:
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[int, int, int], _Entry] = OrderedDict()
        self._bytes = 0
        self._inflight: dict[tuple[int, int, int], threading.Lock] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {
            "client": self.client,
            "plan": self.plan,
            "method": self.method,
            "max_bytes": self.max_bytes,
            "merge": self.merge,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._init_state()

    def __len__(self) -> int:
        """Windows held."""
        return len(self._cache)

    @property
    def nbytes(self) -> int:
        """Bytes of samples (and tick arrays) held; at most ``max_bytes``."""
        return self._bytes

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

    def _key(self, index: int, start: int, end: int) -> tuple[int, int, int]:
        return (int(self.plan.channels[index].step or 0), int(start), int(end))

    def _take(self, key: tuple[int, int, int], index: int, whole: bool) -> list[Piece] | None:
        """Pieces of channel ``index`` from the cache (lock held), or None."""
        entry = self._cache.get(key)
        if entry is None or index not in entry.pieces:
            return None
        self._cache.move_to_end(key)
        got = entry.pieces[index]
        if whole:
            entry.taken.add(index)
            if entry.taken >= set(entry.pieces):
                self._drop(key)
        return got

    def _drop(self, key: tuple[int, int, int]) -> None:
        entry = self._cache.pop(key)
        self._bytes -= entry.nbytes

    def _keep(
        self, key: tuple[int, int, int], pieces: dict[int, list[Piece]], index: int, whole: bool
    ) -> None:
        """Cache a fetched window (lock held) unless ``index`` was its only taker."""
        taken = {index} if whole else set()
        if taken >= set(pieces):
            return
        entry = _Entry(pieces, _nbytes(pieces), taken)
        if entry.nbytes > self.max_bytes:
            return
        if key in self._cache:
            self._drop(key)
        self._cache[key] = entry
        self._bytes += entry.nbytes
        while self._bytes > self.max_bytes:
            self._drop(next(iter(self._cache)))

    def pieces(self, index: int, start: int, end: int, whole: bool = False) -> list[Piece]:
        """The pieces of channel ``index`` in ``[start, end)``, from one request for its
        rate group (or the cache). ``whole``: the caller takes every sample of the window
        (so this channel will not ask for it again)."""
        key = self._key(index, start, end)
        with self._lock:
            got = self._take(key, index, whole)
            if got is not None:
                return got
            gate = self._inflight.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                got = self._take(key, index, whole)
                if got is not None:
                    return got
            group = self._group(index)
            req = window_request(self.plan, self.method, group, int(start), int(end))
            res = fetch_plan(self.client, self.plan, [req], max_workers=1)
            fetched = {i: res.pieces.get(i, []) for i in group}
            with self._lock:
                self._keep(key, fetched, index, whole)
                self._inflight.pop(key, None)
        return fetched[index]

    def fetch(self, index: int, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
        """``(ticks, raw)`` of channel ``index`` in ``[start, end)``."""
        return stitch(self.pieces(index, start, end))

    def _runs(self, windows: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Uncapped answers (binary, EDF): touching windows joined, ``merge`` at a time."""
        return (
            list(windows) if methods.get(self.method).capped else join_touching(windows, self.merge)
        )

    def pieces_many(
        self, index: int, windows: list[tuple[int, int]], whole: list[bool] | None = None
    ) -> list[list[Piece]]:
        """:meth:`pieces` of each window; missing windows are fetched concurrently (the data
        engine's thread pool) for the whole rate group, touching ones joined where the
        method has no cap unless ``whole`` marks them (a whole window is one request)."""
        whole = list(whole) if whole is not None else [False] * len(windows)
        if len(windows) <= 1:
            return [self.pieces(index, a, b, w) for (a, b), w in zip(windows, whole, strict=True)]
        out: dict[tuple[int, int], list[Piece]] = {}
        with self._lock:
            for (a, b), w in zip(windows, whole, strict=True):
                got = self._take(self._key(index, a, b), index, w)
                if got is not None:
                    out[(a, b)] = got
        missing = [(win, w) for win, w in zip(windows, whole, strict=True) if win not in out]
        if missing:
            group = self._group(index)
            runs = [win for win, w in missing if w]
            runs += self._runs([win for win, w in missing if not w])
            reqs = [window_request(self.plan, self.method, group, a, b) for a, b in runs]
            res = fetch_plan(self.client, self.plan, reqs)
            own = set(runs)  # requested alone: its pieces need no cut
            for (a, b), w in missing:
                cut = {
                    i: [
                        p if (a, b) in own else _cut(p, a, b)
                        for p in res.pieces.get(i, [])
                        if (a <= p.lo < b if (a, b) in own else True)
                    ]
                    for i in group
                }
                cut = {i: [p for p in got if len(p)] for i, got in cut.items()}
                out[(a, b)] = cut[index]
                with self._lock:
                    self._keep(self._key(index, a, b), cut, index, w)
        return [out[w] for w in windows]


def _filled(values: np.ndarray, dtype: np.dtype, fill: Any) -> np.ndarray:
    """``values`` ready for an array of ``dtype``: NaN becomes ``fill`` in integer arrays."""
    values = np.asarray(values)
    if dtype.kind in "iu" and values.dtype.kind == "f":
        values = np.where(np.isnan(values), fill, values)
    return values


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
    _whole: list[tuple[tuple[int, int], tuple[int, int]]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

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

    def _whole_windows(self) -> list[tuple[tuple[int, int], tuple[int, int]]] | None:
        """``((start, end), (p0, p1))`` of each request window of a grid-aligned method (the
        binary planner's zips, :func:`~hexoframe.data.plan.request_windows`): ticks and
        sample positions. None for capped methods, whose windows are the planner's."""
        if self._whole is None:
            spec = methods.get(self.method) if self.method in methods.CHOICES else None
            if spec is None or not spec.grid_aligned or self.channel.step is None:
                self._whole = []
            else:
                index = self._index()
                wins = request_windows(self.plan, self.method, LAZY_TARGET_SAMPLES)[index]
                self._whole = [
                    (w, p) for w, p in zip(wins, self._positions(wins), strict=True) if p[1] > p[0]
                ]
        return self._whole or None

    def _index(self) -> int:
        return next(i for i, ch in enumerate(self.plan.channels) if ch is self.channel)

    def _positions(self, windows: list[tuple[int, int]]) -> list[tuple[int, int]]:
        anchor, k_first = self.channel.anchor, self._k_first
        out = []
        for ws, we in windows:
            p0 = max(0, TimeBase.position(anchor, self.step, int(ws)) - k_first)
            p1 = min(self.count, max(0, TimeBase.position(anchor, self.step, int(we)) - k_first))
            out.append((min(p0, self.count), p1))
        return out

    def window_positions(self) -> list[tuple[int, int]]:
        """The request windows as sample-position ranges ``[p0, p1)``: one per binary zip
        for grid-aligned methods, the planner's capped windows otherwise."""
        whole = self._whole_windows()
        if whole is not None:
            return [p for _, p in whole]
        return [(p0, p1) for p0, p1 in self._positions(self.channel.windows) if p1 > p0]

    def chunk_sizes(self) -> tuple[int, ...]:
        """Sizes of the request windows in samples (for ``preferred_chunks``: one chunk,
        one request)."""
        sizes = tuple(p1 - p0 for p0, p1 in self.window_positions())
        return sizes if sizes and sum(sizes) == self.count else (self.count,)

    def requests_for(self, i0: int, i1: int) -> list[tuple[int, int, bool]]:
        """The ``(start, end, whole)`` tick windows that samples ``[i0, i1)`` need.

        A binary zip whose samples all lie in ``[i0, i1)`` is one request (``whole``);
        the parts of others are the planner's windows inside them, which neighbouring
        reads share.
        """
        if i1 <= i0:
            return []
        t0, t1 = self._stamp(i0), self._stamp(i1)
        whole = self._whole_windows()
        if whole is None:
            return [(a, b, False) for a, b in windows_within(self.channel.windows, t0, t1)]
        out: list[tuple[int, int, bool]] = []
        for (ws, we), (p0, p1) in whole:
            if p1 <= i0 or p0 >= i1:
                continue
            if i0 <= p0 and p1 <= i1:
                out.append((ws, we, True))
            else:
                lo, hi = max(ws, self._grid_tick(t0)), min(we, t1)
                out += [(a, b, False) for a, b in windows_within(self.channel.windows, lo, hi)]
        return out

    def _grid_tick(self, t: int) -> int:
        """``t`` if the sample stamped there lies exactly on it, else the start of the
        planner's window holding ``t`` (whose first sample does): a grid-aligned answer is
        placed from its start, so a request must not start at a rounded stamp (at 1000
        ticks/s, 256 Hz samples lie on whole ticks once every 32 samples)."""
        exact, _ = self.channel.exact_time(t)
        if exact == t:
            return t
        return max((int(a) for a, _ in self.channel.windows if a <= t), default=t)

    def fetch(self, start: int, end: int) -> tuple[np.ndarray, np.ndarray, str]:
        """``(ticks, values, source)`` of ``[start, end)`` from the data engine."""
        if self.shared is not None:
            ticks, values = self.shared.fetch(self._index(), start, end)
        else:
            ticks, values = fetch_window(
                self.client, self.plan, self.channel, start, end, self.method
            )
        return np.asarray(ticks, dtype=np.int64), np.asarray(values), "raw"

    def _pieces(self, windows: list[tuple[int, int, bool]]) -> list[list[Piece]]:
        """Pieces of each window, concurrently when there is more than one."""
        if self.shared is None:
            return [
                [Piece(a, raw, ticks=np.asarray(ticks, np.int64))]
                for a, b, _ in windows
                for ticks, raw in [
                    fetch_window(self.client, self.plan, self.channel, a, b, self.method)
                ]
            ]
        return self.shared.pieces_many(
            self._index(), [(a, b) for a, b, _ in windows], [w for _, _, w in windows]
        )

    def _place(self, out: np.ndarray, piece: Piece, i0: int, units: str, fill: Any) -> None:
        """Write ``piece``'s values (in ``units``) at their positions in ``out``, which
        starts at sample ``i0``."""
        if not len(piece):
            return
        if piece.ticks is None:  # on a grid: a slice, if it is this channel's grid
            first, step = piece.grid()
            at = (Fraction(first) - self.channel.anchor) / self.step
            if Fraction(step) == self.step and at.denominator == 1:
                start = int(at) - self._k_first - i0
                a, b = max(0, start), min(out.size, start + len(piece))
                if b > a:
                    vals = convert(
                        self.datatype, piece.raw[a - start : b - start], source="raw", units=units
                    )
                    out[a:b] = _filled(vals, out.dtype, fill)
                return
        ticks = piece.tick_array()
        vals = convert(self.datatype, piece.raw, source="raw", units=units)
        anchor, k_first = self.channel.anchor, self._k_first
        k = TimeBase.positions(anchor, self.step, ticks)
        pos = k - k_first - i0
        keep = (pos >= 0) & (pos < out.size)
        if self.grid_known:  # samples off the grid are not this channel's
            keep &= TimeBase.stamps_at(anchor, self.step, k) == ticks
        out[pos[keep]] = _filled(np.asarray(vals)[keep], out.dtype, fill)

    def read(
        self, i0: int, i1: int, units: str = "api", dtype: Any = None, fill: Any = np.nan
    ) -> np.ndarray:
        """Values of samples ``[i0, i1)`` in ``units``: float64 with NaN where missing, or
        ``dtype`` with ``fill`` where missing.

        Windows are fetched ``batch`` at a time, and each is written to its place and
        dropped before the next batch, so a read needs the memory of its answer plus a
        batch of windows.
        """
        i0, i1 = max(0, int(i0)), min(self.count, int(i1))
        kind = np.dtype(np.float64 if dtype is None else dtype)
        out = np.full(max(0, i1 - i0), fill, dtype=kind)
        windows = self.requests_for(i0, i1)
        for k in range(0, len(windows), self.batch):
            for got in self._pieces(windows[k : k + self.batch]):
                for piece in got:
                    self._place(out, piece, i0, units, fill)
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
