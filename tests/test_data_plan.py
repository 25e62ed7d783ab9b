"""Planner and stitcher, tested directly against an in-process fake of the data endpoint."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hexoframe import catalog
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
from hexoframe.errors import InvalidQueryError

sys.path.insert(0, str(Path(__file__).parent))
from _fake_service import FakeClient, values_for  # noqa: E402

S = 438926745600
SYNC = ["ecg_i", "respiration_thoracic", "acceleration_x", "heart_rate", "ann"]


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


def test_choose_method():
    fc = FakeClient({1: (S, S + 3600 * 256)})
    assert choose_method(plan_query(fc, ["hr", "br"], record=1))[0] == "json"
    method, reason = choose_method(plan_query(fc, "ecg", record=1))
    assert method == "binary" and "ecg_i" in reason
    fc.records[2] = (S, S + 7 * 86400 * 256)
    method, reason = choose_method(plan_query(fc, "hr", record=2))
    assert method == "binary" and "10 requests" in reason
    assert choose_method(plan_query(fc, "ecg", record=1), "json") == ("json", "asked for")
    with pytest.raises(InvalidQueryError, match="record"):
        choose_method(plan_query(None, "ecg", start=S, end=S + 256), "binary")


@given(lo=st.integers(0, 10_000), span=st.integers(1, 50_000), parts=st.integers(1, 9),
       step=st.sampled_from([1, 2, 4, 256]))
def test_split_windows_tile(lo, span, parts, step):
    windows = split_windows(lo, lo + span, parts, step, origin=0)
    assert windows[0][0] == lo and windows[-1][1] == lo + span
    assert all(a < b for a, b in windows)
    assert all(windows[i][1] == windows[i + 1][0] for i in range(len(windows) - 1))
    assert all(b % step == 0 for _, b in windows[:-1])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(SYNC),
    length=st.integers(1, 3 * 3600 * 256),
    extra=st.integers(0, 255),
    narrow=st.tuples(st.floats(0, 1), st.floats(0, 1)),
    cap=st.sampled_from([700, 5000, 65535]),
    method=st.sampled_from(["json", "binary", "csv"]),
)
def test_stitched_reads_are_exact(name, length, extra, narrow, cap, method):
    """Random spans, rates and caps: every sample once, none lost, none doubled."""
    dt = catalog.lookup(name)
    if method == "csv" and dt.freq >= 64:
        length = min(length, 600 * 256)  # keep the slow CSV path quick
    end = S + length + extra
    a, b = sorted(narrow)
    q_start = S + int(a * (end - S - 1))
    q_end = max(q_start + 1, S + int(b * (end - S)))
    fc = FakeClient({1: (S, end)}, cap=cap)
    series = read_hexoskin(client=fc, record=1, datatypes=name, start=q_start, end=q_end,
                           method=method, how="dict", max_workers=2)[dt.name]
    want = catalog.sample_ticks(dt, S, end)
    want = want[(want >= q_start) & (want < q_end)]
    ticks = series.index.asi8 // 3_906_250
    np.testing.assert_array_equal(ticks, want)
    np.testing.assert_array_equal(series.to_numpy(), values_for(dt, want) * dt.api_scale)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(0, 3000), cap=st.sampled_from([100, 1000, 65535]),
       seed=st.integers(0, 100))
def test_async_windows_split_at_cap(n, cap, seed):
    rng = np.random.default_rng(seed)
    end = S + 4 * 3600 * 256
    events = np.sort(rng.choice(np.arange(S, end), n, replace=False)).astype(np.int64)
    fc = FakeClient({1: (S, end)}, cap=cap, events={18: events})
    plan = plan_query(fc, "rr", record=1, cap=cap)
    result = fetch_plan(fc, plan, build_requests(plan, "json"))
    ticks, raw = stitch(result.pieces.get(0, []))
    np.testing.assert_array_equal(ticks, events)
    np.testing.assert_array_equal(raw, values_for(catalog.lookup("rr"), events))


def test_order_independent_and_frame_shapes():
    fc = FakeClient({1: (S, S + 1200 * 256)})
    df = read_hexoskin(client=fc, record=1, datatypes=["hr", "ecg"], method="json",
                       max_workers=8)
    assert df["ecg_i"].notna().sum() == 1200 * 256
    assert df["heart_rate"].notna().sum() == 1199
    assert df.index.is_monotonic_increasing and df.index.is_unique
    assert isinstance(df.index, pd.DatetimeIndex)
    long = read_hexoskin(client=fc, record=1, datatypes=["hr", "br"], how="long")
    assert long["datatype"].tolist()[:1] == ["heart_rate"] and len(long) == 2 * 1199
