"""Planner and stitcher: pure planning, and reads over real HTTP from a private emulator.

The property tests create records of random bounds on the emulator (which generates
deterministic synthetic data for any stored record), read them with ``read_hexoskin`` /
``fetch_plan`` through a real :class:`~hexoframe.api.client.Client`, and compare every tick
and value with the emulator's signal source read in one piece, without cap or HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from hexoframe.api.client import Client
from hexoframe.core import catalog
from hexoframe.core.errors import InvalidQueryError
from hexoframe.data.fetch import fetch_plan, stitch
from hexoframe.data.plan import (
    POINT_CAP,
    build_requests,
    channel_plan,
    choose_method,
    plan_query,
    split_windows,
)
from hexoframe.data.reader import read_hexoskin
from hexoframe.emulator import DEMO_USERS, Emulator, FaultConfig
from hexoframe.emulator.signals import make_source

S = 438926745600  # 2024-05-01T10:00Z, the start of record 37700
SYNC = ["ecg_i", "respiration_thoracic", "acceleration_x", "heart_rate", "ann"]
USER = 1511  # the demo athlete
#: Longest record (ticks) of a read, and samples per record by emulator cap, so that one
#: example makes at most ~100 data requests (a cap below 65535 costs about 65535 / cap
#: refetches per planned window).
MAX_TICKS = 3 * 3600 * 256
MAX_SAMPLES = {700: 65535, 5000: 6 * 65535, POINT_CAP: None}
CSV_FAST_TICKS = 600 * 256  # CSV of >= 64 Hz channels: keep the slow path quick


# ---------------------------------------------------------------------------------------
# pure planning (no requests)
def test_ecg_windows_are_65535_ticks():
    ch = channel_plan(catalog.lookup("ecg"), 1, S, S + 3600 * 256, S)
    assert ch.count == 921600 and len(ch.windows) == 15
    assert all(b - a <= POINT_CAP for a, b in ch.windows)
    assert ch.windows[0] == (S, S + 65535)
    hr = channel_plan(catalog.lookup("hr"), 1, S, S + 24 * 3600 * 256, S)
    assert len(hr.windows) == 2 and hr.windows[0][1] - hr.windows[0][0] == 65535 * 256
    assert hr.count == 24 * 3600 - 1 and hr.first == S + 256


def test_same_rate_shares_requests():
    plan = plan_query(None, ["ecg_i", "ecg_ii", "hr", "br"], start=S, end=S + 3600 * 256)
    reqs = build_requests(plan, "json")
    assert len(reqs) == 15 + 1
    assert plan.json_requests() == 16
    assert sorted(len(r.members) for r in reqs)[-1] == 2


@given(
    lo=st.integers(0, 10_000),
    span=st.integers(1, 50_000),
    parts=st.integers(1, 9),
    step=st.sampled_from([1, 2, 4, 256]),
)
def test_split_windows_tile(lo, span, parts, step):
    windows = split_windows(lo, lo + span, parts, step, origin=0)
    assert windows[0][0] == lo and windows[-1][1] == lo + span
    assert all(a < b for a, b in windows)
    assert all(windows[i][1] == windows[i + 1][0] for i in range(len(windows) - 1))
    assert all(b % step == 0 for _, b in windows[:-1])


# ---------------------------------------------------------------------------------------
# against the emulator, over HTTP on loopback
@pytest.fixture(scope="module")
def emu(hexoskin_module_emulator_factory) -> Emulator:
    """A private emulator: these tests create records and set faults."""
    return hexoskin_module_emulator_factory()


@pytest.fixture(scope="module")
def client(emu: Emulator) -> Iterator[Client]:
    me = DEMO_USERS["athlete"]
    with Client(emu.url, username=me["email"], password=me["password"]) as c:
        yield c


@contextmanager
def subsample_cap(emu: Emulator, cap: int) -> Iterator[None]:
    """JSON/CSV answers of ``emu`` subsample above ``cap`` points; faults off afterwards."""
    emu.set_faults(FaultConfig(subsample_cap=cap) if cap != POINT_CAP else None)
    try:
        yield
    finally:
        emu.set_faults(None)


@contextmanager
def new_record(client: Client, start: int, end: int) -> Iterator[dict[str, Any]]:
    """A record of the athlete with these bounds, for the duration of the block (as the
    dict ``make_source`` takes).

    The emulator's data depend on the record id too; deleting the record afterwards gives
    the next one the same id (the largest plus one), so that an example replayed by
    hypothesis reads the same data.
    """
    rec = client.create("record", {"start": start, "end": end})
    try:
        assert (rec["start"], rec["end"], rec["user"]["resource_uri"]) == (
            start,
            end,
            f"/api/v1/user/{USER}/",
        )
        yield {"id": int(rec["id"]), "user": USER, "start": start, "end": end}
    finally:
        client.delete("record", rec["id"])


def truth(
    emu: Emulator, rec: dict[str, Any], name: str, lo: int, hi: int
) -> tuple[np.ndarray, np.ndarray]:
    """(ticks, raw) the emulator holds for ``rec`` in ``[lo, hi)``: one piece, no cap."""
    return make_source(emu.seed, rec).samples(name, lo, hi)


def test_choose_method(client):
    assert choose_method(plan_query(client, ["hr", "br"], record=37700)) == (
        "json",
        "1 JSON request(s) suffice",
    )
    assert choose_method(plan_query(client, "ecg", record=37700)) == (
        "binary",
        "raw high-rate channel ecg_i (256 Hz): binary zip",
    )
    week = plan_query(client, "hr", record=37702)  # 7 days: 604799 samples, 10 windows
    assert week.channels[0].count == 7 * 86400 - 1 and len(week.channels[0].windows) == 10
    assert choose_method(week) == (
        "binary",
        "JSON would need 10 requests; one binary zip is uncapped",
    )
    assert choose_method(plan_query(client, "ecg", record=37700), "json") == ("json", "asked for")
    assert choose_method(plan_query(client, "hr", record=37702), resolution="any") == (
        "json",
        "resolution='any': one JSON request per rate (may be subsampled)",
    )
    with pytest.raises(InvalidQueryError, match="record"):
        choose_method(plan_query(None, "ecg", start=S, end=S + 256), "binary")


def narrows() -> st.SearchStrategy[tuple[float, float]]:
    """Fractions of the record to read: often all of it, else any part."""
    return st.one_of(st.just((0.0, 1.0)), st.tuples(st.floats(0, 1), st.floats(0, 1)))


def spread(lo: int, hi: int) -> st.SearchStrategy[int]:
    """Integers in ``[lo, hi]`` spread over the whole range (``integers`` alone mostly draws
    values near ``lo``)."""
    return st.one_of(st.integers(lo, hi), st.floats(0, 1).map(lambda f: lo + round(f * (hi - lo))))


@st.composite
def read_cases(draw: st.DrawFn, method: str, cap: int) -> dict[str, Any]:
    """A sync channel and a record sized to keep requests few: nearly empty, a little over
    the cap (answers subsampled), any size up to the budget, or most of it (several
    windows)."""
    name = draw(st.sampled_from(SYNC))
    dt = catalog.lookup(name)
    step = dt.step_ticks
    longest = MAX_TICKS
    if method != "binary" and MAX_SAMPLES[cap] is not None:
        longest = min(longest, MAX_SAMPLES[cap] * step)
    if method == "csv" and dt.freq >= 64:
        longest = min(longest, CSV_FAST_TICKS)
    most = longest // step
    samples = draw(
        st.one_of(
            st.integers(0, 3), spread(cap + 1, 3 * cap), spread(0, most), spread(most // 2, most)
        )
    )
    length = max(1, min(samples, most) * step + draw(st.integers(0, step - 1)))
    return {
        "name": name,
        "offset": draw(st.integers(0, 2**20)),  # record start: any tick
        "length": length,
        "extra": draw(st.integers(0, 255)),  # ... and an end off the 1 Hz grid
        "narrow": draw(narrows()),
    }


#: Methods and emulator caps (binary answers are never subsampled: the cap must not matter).
READS = [
    ("json", 700),
    ("json", 5000),
    ("json", POINT_CAP),
    ("csv", 700),
    ("csv", 5000),
    ("csv", POINT_CAP),
    ("binary", 700),
    ("binary", POINT_CAP),
]


@pytest.mark.parametrize(("method", "cap"), READS)
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_stitched_reads_are_exact(emu, client, method, cap, data):
    """Random spans, rates, methods and caps: every sample once, none lost, none doubled."""
    case = data.draw(read_cases(method, cap), label="case")
    dt = catalog.lookup(case["name"])
    rs = S + case["offset"]
    end = rs + case["length"] + case["extra"]
    a, b = sorted(case["narrow"])
    q_start = rs + int(a * (end - rs - 1))
    q_end = max(q_start + 1, rs + int(b * (end - rs)))
    with new_record(client, rs, end) as rec:
        plan = plan_query(client, dt.name, record=rec["id"], start=q_start, end=q_end)
        planned = len(build_requests(plan, method))
        emu.reset_stats()
        with subsample_cap(emu, cap):
            series = read_hexoskin(
                client=client,
                record=rec["id"],
                datatypes=dt.name,
                start=q_start,
                end=q_end,
                method=method,
                how="dict",
                max_workers=2,
            )[dt.name]
        sent = emu.stats.data_requests
    want = catalog.sample_ticks(dt, rs, end)
    want = want[(want >= q_start) & (want < q_end)]
    ts, raw = truth(emu, rec, dt.name, q_start, q_end)
    np.testing.assert_array_equal(ts, want)  # the emulator follows the convention
    ticks = series.index.asi8 // 3_906_250
    np.testing.assert_array_equal(ticks, want)
    np.testing.assert_array_equal(series.to_numpy(), raw * dt.api_scale)
    if method == "binary" or cap == POINT_CAP:
        assert sent == planned  # the planned windows sufficed
    else:
        assert planned <= sent <= 120
    event(
        f"{method}: {'split and refetched' if sent > planned else 'as planned'}, "
        f"{'several' if planned > 1 else 'one' if planned else 'no'} planned request(s)"
    )


@pytest.mark.parametrize("coarse", [False, True], ids=["planned", "coarse"])
@pytest.mark.parametrize("cap", [100, 1000, POINT_CAP])
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(offset=st.integers(0, 2**20), data=st.data(), narrow=narrows())
def test_async_windows_split_at_cap(emu, client, cap, coarse, offset, data, narrow):
    """RR intervals read in JSON windows, answers subsampled above ``cap``: every event
    comes back exactly once, with its value.

    The planner sizes windows for ``cap`` at a bounded event rate; ``coarse`` asks for the
    whole span in one window instead, so that answers are subsampled and must be split and
    refetched until none is.
    """
    longest = {100: 20 * 60 * 256, 1000: 3 * 3600 * 256, POINT_CAP: 4 * 3600 * 256}[cap]
    length = data.draw(spread(1, longest), label="length")
    rs = S + offset
    end = rs + length
    a, b = sorted(narrow)
    q_start = rs + int(a * (end - rs - 1))
    q_end = max(q_start + 1, rs + int(b * (end - rs)))
    rr = catalog.lookup("rr")
    with new_record(client, rs, end) as rec:
        plan = plan_query(client, rr, record=rec["id"], start=q_start, end=q_end, cap=cap)
        windows = plan.channels[0].windows
        assert windows[0][0] == q_start and windows[-1][1] == q_end
        assert all(hi - lo <= cap / 5 * 256 for lo, hi in windows)
        if coarse:
            plan.channels[0].windows = [(q_start, q_end)]
        emu.reset_stats()
        with subsample_cap(emu, cap):
            result = fetch_plan(client, plan, build_requests(plan, "json"), max_workers=2)
        assert emu.stats.data_requests == result.requests <= 150
    ticks, raw = stitch(result.pieces.get(0, []))
    events, values = truth(emu, rec, rr.name, q_start, q_end)
    np.testing.assert_array_equal(ticks, events)
    np.testing.assert_array_equal(raw, values)
    if coarse and events.size > cap:  # the one answer was subsampled: it was split
        assert result.refetched > 0
    event(
        f"cap {cap}: {'split and refetched' if result.refetched else 'as planned'}, "
        f"{'one coarse' if coarse else 'planned'} window(s)"
    )


def test_order_independent_and_frame_shapes(emu, client):
    with new_record(client, S, S + 1200 * 256) as rec:
        emu.reset_stats()
        df = read_hexoskin(
            client=client, record=rec["id"], datatypes=["hr", "ecg"], method="json", max_workers=8
        )
        assert df.attrs["hexoskin"]["requests"] == emu.stats.data_requests == 5 + 1
        long = read_hexoskin(client=client, record=rec["id"], datatypes=["hr", "br"], how="long")
    assert df["ecg_i"].notna().sum() == 1200 * 256
    assert df["heart_rate"].notna().sum() == 1199
    assert df.index.is_monotonic_increasing and df.index.is_unique
    assert isinstance(df.index, pd.DatetimeIndex)
    for name in ("ecg_i", "heart_rate"):
        col = df[name].dropna()
        ts, raw = truth(emu, rec, name, S, S + 1200 * 256)
        np.testing.assert_array_equal(col.index.asi8 // 3_906_250, ts)
        np.testing.assert_array_equal(col.to_numpy(), raw)
    assert long["datatype"].tolist()[:1] == ["heart_rate"] and len(long) == 2 * 1199
