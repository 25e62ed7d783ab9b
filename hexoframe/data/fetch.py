"""Fetch a planned query: concurrent requests, decoding, verification, refetch of splits.

Each request of :func:`hexoframe.data.plan.build_requests` is sent on the client's session
from a bounded thread pool; answers are decoded in the worker, checked against what the
plan expects (exact sample counts and spacing for sync channels; for asynchronous ones,
event for event against the binary ``.hxd`` of the same window, which the service never
subsamples), and an answer that shows subsampling is split and refetched. Pieces
are stitched by sample time, so the order in which answers arrive does not matter.

Values come back *raw* (binary integers, or JSON/CSV values divided by ``api_scale``).

Examples
--------
>>> from hexoframe.data.plan import plan_query
>>> plan = plan_query(client, "ecg", record=37700)
>>> ticks, raw = fetch_window(client, plan, plan.channels[0], *plan.channels[0].windows[0],
...                           method="json")
"""

from __future__ import annotations

import logging
import math
import sys
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from hexoframe.core.errors import IncompleteDataError, InvalidQueryError
from hexoframe.core.timebase import TimeBase
from hexoframe.core.timestamps import describe_span
from hexoframe.core.units import api_to_raw
from hexoframe.data import methods
from hexoframe.data.plan import ChannelPlan, Plan, Request, split_windows, window_request

__all__ = ["fetch_window", "fetch_plan", "FetchResult", "Piece", "default_workers"]

logger = logging.getLogger("hexoframe")

MAX_SPLIT_DEPTH = 16


def default_workers() -> int:
    """Concurrent requests by default: 8, whatever the number of cores.

    Fetching is bound by the network, not the CPU: with requests of equal size sharing one
    link, a wave of requests finishes together and the next wave waits a whole round trip
    with the link idle. Eight in flight keep a 12.5 MB/s link with 100 ms round trips busy
    (``benchmarks/bench_wan.py``: 1 h of ECG as JSON at 1.06-1.08x the wire-time limit,
    against 1.17-1.21x with four).

    Examples
    --------
    >>> default_workers()
    8
    """
    return 8


@dataclass
class Piece:
    """Samples of one channel from one answer: ``ticks`` or a grid (``first``, ``step``):
    the exact time of the first sample and the ticks between samples, either of which may
    be a fraction of a tick (see :mod:`hexoframe.core.timebase`)."""

    lo: int
    raw: np.ndarray
    ticks: np.ndarray | None = None
    first: Fraction | int | None = None
    step: Fraction | int | None = None

    def __len__(self) -> int:
        return int(self.raw.size)

    def grid(self) -> tuple[Fraction | int, Fraction | int]:
        """``(exact first tick, step)`` of a piece on a regular grid."""
        if self.first is None or self.step is None:
            raise ValueError("this piece carries its ticks, not a grid")
        return self.first, self.step

    def tick_array(self) -> np.ndarray:
        """The tick stamped on each sample."""
        if self.ticks is not None:
            return self.ticks
        first, step = self.grid()
        return TimeBase.stamps(first, step, self.raw.size)


@dataclass
class FetchResult:
    """Pieces per channel index plus bookkeeping."""

    pieces: dict[int, list[Piece]] = field(default_factory=dict)
    requests: int = 0
    refetched: int = 0
    subsampled: bool = False
    cap: int = 0


class _State:
    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.lock = threading.Lock()

    def learn(self, got: int) -> None:
        with self.lock:
            if 0 < got < self.cap:
                self.cap = got


def _params(plan: Plan, req: Request, ids: list[int]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if len(ids) == 1:
        params["datatype"] = ids[0]
    else:
        params["datatype__in"] = ",".join(str(i) for i in ids)
    if plan.record is not None:
        params["record"] = plan.record
    elif methods.get(req.method).grid_aligned and plan.grid_record is not None:
        params["record"] = plan.grid_record  # narrowed by start/end below
    elif plan.range is not None:
        params["range"] = plan.range
    elif req.user is not None:
        params["user"] = req.user
    params["start"] = int(req.start)
    params["end"] = int(req.end)
    return params


def _send(client: Any, plan: Plan, req: Request) -> bytes:
    """The answer body of ``req``, read whole and checked by the client's transport (its one
    retry policy covers statuses, resets and bodies cut short)."""
    ids = list(dict.fromkeys(plan.channels[i].datatype.id for i, _, _ in req.members))
    resp = client.request(
        "GET",
        "data/",
        params=_params(plan, req, ids),
        headers={"Accept": methods.get(req.method).accept},
    )
    return resp.content


def _pick(decoded: dict[tuple[int | None, int], Any], user: int | None, dt_id: int) -> Any:
    got = decoded.get((user, dt_id))
    if got is None:
        for (u, d), value in decoded.items():
            if d == dt_id and (user is None or u is None or u == user):
                return value
    return got


def _decode(
    plan: Plan, req: Request, body: bytes, into: dict[int, np.ndarray] | None = None
) -> dict[int, Piece]:
    """Answer bytes to one piece per member, cut to the member's ``[lo, hi)``.

    ``into`` maps channel indices to preallocated arrays of the channel's planned samples:
    binary samples are copied straight to their place there (in the worker thread).
    """
    out: dict[int, Piece] = {}
    spec = methods.get(req.method)
    if spec.grid_aligned:
        answer = spec.decode(body)
        start = int(req.start if answer.start is None else answer.start)
        for i, lo, hi in req.members:
            ch = plan.channels[i]
            dt = ch.datatype
            if dt.is_async:
                ticks, raw = answer.events(dt)
                keep = (ticks >= lo) & (ticks < hi)
                out[i] = Piece(lo, raw[keep], ticks=ticks[keep])
                continue
            got = answer.sync(dt)
            rel, raw = got if got is not None else (None, np.empty(0, np.int16))
            step = ch.step
            assert step is not None  # a sync channel
            t0 = start + (ch.offset if rel is None else rel)  # exact: the grid starts there
            k0 = TimeBase.position(t0, step, lo)
            k1 = min(raw.size, TimeBase.position(t0, step, hi))
            first = TimeBase.at(t0, step, k0)
            piece = Piece(lo, raw[k0:k1], first=first, step=step)
            dest = None if into is None else into.get(i)
            if dest is not None and dest.dtype == piece.raw.dtype and piece.raw.size:
                offset = (first - ch.exact_time(ch.first)[0]) / step
                at = int(offset) if offset.denominator == 1 else -1
                if 0 <= at and at + piece.raw.size <= dest.size:
                    dest[at : at + piece.raw.size] = piece.raw
                    piece.raw = dest[at : at + piece.raw.size]
            out[i] = piece
        return out
    decoded = spec.decode(body)
    for i, lo, hi in req.members:
        ch = plan.channels[i]
        dt = ch.datatype
        got = _pick(decoded, ch.user, dt.id)
        if got is None:
            ticks, values = np.empty(0, np.int64), np.empty(0, np.float64)
        else:
            ticks, values = got
        if ticks.size and (ticks[0] < lo or ticks[-1] >= hi):
            keep = (ticks >= lo) & (ticks < hi)
            ticks, values = ticks[keep], values[keep]
        out[i] = Piece(lo, api_to_raw(dt, values), ticks=ticks)
    return out


def _event_reference(client: Any, plan: Plan, req: Request) -> dict[int, np.ndarray]:
    """Event times of ``req``'s event channels from the binary ``.hxd`` of the same window.

    Event channels have no spacing that shows subsampling, and the service may cap answers
    below the point cap the client assumes. Binary answers are never subsampled, so their
    event times are the reference a JSON or CSV answer must match, event for event.
    """
    members = [m for m in req.members if plan.channels[m[0]].datatype.is_async]
    if not methods.get(req.method).capped or not members:
        return {}
    ref_req = Request("binary", req.user, req.start, req.end, members)
    pieces = _decode(plan, ref_req, _send(client, plan, ref_req))
    return {i: pieces[i].tick_array() for i, _, _ in members}


def _verdict(
    ch: ChannelPlan,
    lo: int,
    hi: int,
    piece: Piece,
    state: _State,
    method: str,
    reference: np.ndarray | None = None,
) -> str:
    """``"ok"``, ``"split"`` (subsampled or at the cap) or ``"incomplete"``."""
    n = len(piece)
    dt = ch.datatype
    if dt.is_async:
        if not methods.get(method).capped or reference is None:
            return "ok"
        if n == reference.size and np.array_equal(piece.tick_array(), reference):
            return "ok"
        if n < reference.size:  # fewer events than the uncapped answer: subsampled
            state.learn(max(1, n))
            return "split"
        return "incomplete"  # events the binary answer does not have
    expected = ch.expected_in(lo, hi)
    if expected is not None and n > expected:
        return "incomplete"  # more samples than the grid holds: not a plain answer
    if piece.ticks is None:  # grid answer: never subsampled; short = channel ends early
        return "ok"
    step = ch.step
    assert piece.ticks is not None and step is not None  # JSON/CSV pieces carry their ticks
    if n:
        # a regular run on the channel's grid: keep it as a grid, the stamps are implied
        first = _exact_first(ch, int(piece.ticks[0]))
        if np.array_equal(piece.ticks, TimeBase.stamps(first, step, n)):
            piece.first, piece.step, piece.ticks = first, step, None
            return "ok"
    diffs = np.diff(piece.ticks) if n > 1 else np.empty(0, np.int64)
    if (diffs < math.floor(step)).any():
        return "incomplete"  # off the grid or duplicated
    # Subsampling keeps every k-th point: spacing k*step throughout. A channel that ends
    # early or has a gap keeps the step between the samples it has.
    if diffs.size and np.median(diffs) > math.ceil(step):
        state.learn(n)
        return "split"
    return "ok"


def _exact_first(ch: ChannelPlan, stamp: int) -> Fraction:
    """The exact time of the sample stamped ``stamp`` on the channel's grid (the stamp
    itself when no sample of the grid carries it: the answer is then kept as stamped)."""
    assert ch.step is not None
    k = TimeBase.position(ch.anchor, ch.step, stamp)
    if TimeBase.stamp(ch.anchor, ch.step, k) == stamp:
        return TimeBase.at(ch.anchor, ch.step, k)
    return Fraction(stamp)


def _split(
    plan: Plan,
    req: Request,
    failing: list[tuple[int, int, int]],
    state: _State,
    n_got: int,
    n_ref: int = 0,
) -> list[Request]:
    ch0 = plan.channels[failing[0][0]]
    step = ch0.step or 1
    lo = min(m[1] for m in failing)
    hi = max(m[2] for m in failing)
    if ch0.datatype.is_async:
        wanted = max(n_got, n_ref)
        parts = max(2, -(-wanted // max(1, state.cap - 1)) + 1)
    else:
        expected = max(ch0.expected_in(lo, hi) or 0, n_got)
        parts = -(-expected // max(1, state.cap - 1))
        parts = max(2, parts)
    origin = ch0.anchor if not ch0.datatype.is_async else lo
    subs = []
    for a, b in split_windows(lo, hi, parts, step, origin):
        members = [
            (i, max(a, mlo), min(b, mhi)) for i, mlo, mhi in failing if min(b, mhi) > max(a, mlo)
        ]
        if members:
            subs.append(Request(req.method, req.user, a, b, members))
    return subs


def fetch_plan(
    client: Any,
    plan: Plan,
    requests: list[Request],
    *,
    resolution: str = "full",
    max_workers: int | None = None,
    on_piece: Callable[[int], None] | None = None,
    into: dict[int, np.ndarray] | None = None,
) -> FetchResult:
    """Send ``requests`` concurrently and collect verified pieces per channel.

    Parameters
    ----------
    client : Client
    plan : Plan
    requests : list of Request
        From :func:`hexoframe.data.plan.build_requests`.
    resolution : {"full", "any"}
        ``"full"``: split and refetch subsampled answers; raise
        :class:`~hexoframe.core.errors.IncompleteDataError` where full resolution cannot be had.
        ``"any"``: accept answers as they come.
    max_workers : int, optional
        Concurrent requests (default :func:`default_workers`).
    on_piece : callable, optional
        Called with the number of samples of each accepted piece (progress bars).
    into : dict, optional
        Preallocated raw arrays per channel index (binary reads); see :func:`stitch_grid`.

    Returns
    -------
    FetchResult

    Examples
    --------
    >>> from hexoframe.data.plan import plan_query, build_requests
    >>> plan = plan_query(client, "hr", record=37700)
    >>> res = fetch_plan(client, plan, build_requests(plan, "json"))
    """
    if resolution not in ("full", "any"):
        raise InvalidQueryError(f"resolution={resolution!r} is not 'full' or 'any'.")
    state = _State(plan.cap)
    result = FetchResult(cap=plan.cap)
    workers = max(1, int(max_workers or default_workers()))

    def work(
        req: Request, depth: int
    ) -> tuple[Request, int, dict[int, Piece], dict[int, np.ndarray]]:
        pieces = _decode(plan, req, _send(client, plan, req), into)
        reference = _event_reference(client, plan, req) if resolution == "full" else {}
        return req, depth, pieces, reference

    if not requests:
        return result
    with ThreadPoolExecutor(
        max_workers=min(workers, len(requests)) if len(requests) > 1 else 1,
        thread_name_prefix="hexoframe-fetch",
    ) as pool:
        pending: set[Future] = {pool.submit(work, r, 0) for r in requests}
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    req, depth, pieces, reference = fut.result()
                    result.requests += 2 if reference else 1  # a binary check for events
                    failing: list[tuple[int, int, int]] = []
                    for i, lo, hi in req.members:
                        piece = pieces[i]
                        verdict = (
                            "ok"
                            if resolution == "any"
                            else _verdict(
                                plan.channels[i], lo, hi, piece, state, req.method, reference.get(i)
                            )
                        )
                        if resolution == "any" and not plan.channels[i].datatype.is_async:
                            exp = plan.channels[i].expected_in(lo, hi)
                            if exp is not None and len(piece) < exp:
                                result.subsampled = True
                        if verdict == "ok":
                            result.pieces.setdefault(i, []).append(piece)
                            if on_piece is not None:
                                on_piece(len(piece))
                        elif verdict == "split" and depth < MAX_SPLIT_DEPTH:
                            failing.append((i, lo, hi))
                        else:
                            ch = plan.channels[i]
                            why = (
                                "is still subsampled after splitting"
                                if verdict == "split"
                                else "is off the sample grid"
                            )
                            raise IncompleteDataError(
                                f"{ch.datatype.name}: the answer for {describe_span(lo, hi)} "
                                f"({len(piece)} samples, {ch.expected_in(lo, hi)} expected) "
                                f"{why}. Pass resolution='any' to accept what the service "
                                "gives."
                            )
                    if failing:
                        n_got = max(len(pieces[i]) for i, _, _ in failing)
                        n_ref = max(
                            (reference[i].size for i, _, _ in failing if i in reference), default=0
                        )
                        subs = _split(plan, req, failing, state, n_got, n_ref)
                        result.refetched += len(subs)
                        logger.debug(
                            "answer [%s, %s) subsampled; refetching as %d windows",
                            req.start,
                            req.end,
                            len(subs),
                        )
                        for sub in subs:
                            pending.add(pool.submit(work, sub, depth + 1))
        except BaseException:
            for fut in pending:
                fut.cancel()
            raise
    result.cap = state.cap
    return result


def stitch_grid(
    pieces: list[Piece], into: np.ndarray | None = None
) -> tuple[Fraction | int, Fraction | int, np.ndarray] | None:
    """``(exact first tick, step, raw)`` when a channel's pieces join into one regular grid.

    Examples
    --------
    >>> a = Piece(0, np.array([1, 2]), first=0, step=2)
    >>> b = Piece(4, np.array([3]), first=4, step=2)
    >>> first, step, raw = stitch_grid([b, a])
    >>> first, step, raw.tolist()
    (0, 2, [1, 2, 3])
    """
    pieces = sorted((p for p in pieces if len(p)), key=lambda p: p.lo)
    if not pieces or any(p.ticks is not None for p in pieces):
        return None
    first, step = pieces[0].grid()
    expect = first
    for p in pieces:
        if p.grid() != (expect, step):
            return None
        expect += len(p) * step
    raws = [p.raw for p in pieces]
    total = expect - first
    if (
        into is not None
        and total / step == into.size
        and all(r.base is into for r in raws)
        and raws[0].__array_interface__["data"][0] == into.__array_interface__["data"][0]
    ):
        return first, step, into  # every piece was copied to its place already
    kinds = {r.dtype for r in raws}
    raw = (
        raws[0]
        if len(raws) == 1
        else np.concatenate(raws if len(kinds) == 1 else [r.astype(np.float64) for r in raws])
    )
    return first, step, raw


def stitch(pieces: list[Piece]) -> tuple[np.ndarray, np.ndarray]:
    """Join a channel's pieces by time: ``(ticks, raw)``.

    Examples
    --------
    >>> a = Piece(0, np.array([1, 2]), first=0, step=1)
    >>> b = Piece(2, np.array([3]), ticks=np.array([2]))
    >>> [x.tolist() for x in stitch([b, a])]
    [[0, 1, 2], [1, 2, 3]]
    """
    pieces = sorted(pieces, key=lambda p: p.lo)
    if not pieces:
        return np.empty(0, np.int64), np.empty(0, np.float64)
    if len(pieces) == 1:
        return pieces[0].tick_array(), pieces[0].raw
    ticks = np.concatenate([p.tick_array() for p in pieces])
    kinds = {p.raw.dtype for p in pieces}
    dtype = kinds.pop() if len(kinds) == 1 else np.float64
    raw = np.concatenate([p.raw.astype(dtype, copy=False) for p in pieces])
    return ticks, raw


def fetch_window(
    client: Any, plan: Plan, channel: ChannelPlan, start: int, end: int, method: str
) -> tuple[np.ndarray, np.ndarray]:
    """Samples of one channel with a sample time in ``[start, end)``, verified.

    Parameters
    ----------
    client : Client
    plan : Plan
    channel : ChannelPlan
        One of ``plan.channels``.
    start, end : int
        Sample-time window in ticks (for sync channels, ``start`` on the channel's grid).
    method : str
        A method of :mod:`hexoframe.data.methods` (``"json"``, ``"csv"``, ``"binary"``,
        ``"edf"``).

    Returns
    -------
    (ticks int64 array, raw values)

    Examples
    --------
    >>> window = plan.channels[0].windows[0]
    >>> ticks, raw = fetch_window(client, plan, plan.channels[0], *window, "json")
    >>> raw[:3]
    array([106, 108, 106])
    """
    idx = next(i for i, ch in enumerate(plan.channels) if ch is channel)
    req = window_request(plan, method, [idx], int(start), int(end))
    res = fetch_plan(client, plan, [req], max_workers=1)
    return stitch(res.pieces.get(idx, []))


def progress_wanted(progress: bool | None, total_requests: int) -> bool:
    """Whether to show a bar: explicit, or for long reads on a terminal or notebook.

    Examples
    --------
    >>> progress_wanted(True, 1), progress_wanted(None, 2)
    (True, False)
    """
    if progress is not None:
        return bool(progress)
    if total_requests < 8:
        return False
    try:
        if sys.stderr is not None and sys.stderr.isatty():
            return True
    except (AttributeError, ValueError):
        pass
    return "ipykernel" in sys.modules
