"""Astroskin's time base (1000 ticks per second) end to end, against the emulator's
Astroskin mode: reads exact at both rates, windows on the 1000-tick grid, every method
giving the same frame, filters and written times crossing the clock as the service's do."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

import hexoframe
from hexoframe.core import catalog
from hexoframe.core.errors import InvalidQueryError
from hexoframe.core.timebase import TimeBase
from hexoframe.data.plan import plan_query
from hexoframe.emulator.cli import banner, build_parser
from hexoframe.emulator.clock import Clock

RECORD = 37700
SYNC = ["ecg", "resp", "acc_x", "hr"]


@pytest.fixture(scope="module")
def astro(hexoskin_astroskin_emulator: Any) -> Any:
    """The emulator serving 1000 ticks per second."""
    return hexoskin_astroskin_emulator


@pytest.fixture(scope="module")
def astro_client(astro: Any, hexoskin_users: dict[str, Any]) -> Any:
    user = hexoskin_users["athlete"]
    with hexoframe.Client(
        astro.url, username=user["email"], password=user["password"], tick_rate=1000
    ) as client:
        yield client


@pytest.fixture(scope="module")
def hexo_client(hexoskin_emulator: Any, hexoskin_users: dict[str, Any]) -> Any:
    user = hexoskin_users["athlete"]
    with hexoframe.Client(
        hexoskin_emulator.url, username=user["email"], password=user["password"]
    ) as client:
        yield client


@pytest.fixture(scope="module")
def starts(astro_client: Any, hexo_client: Any) -> tuple[int, int]:
    """The record's start at 1000 and at 256 ticks per second."""
    return astro_client.get("record", RECORD)["start"], hexo_client.get("record", RECORD)["start"]


def test_stored_times_are_served_at_1000_ticks(starts: tuple[int, int], astro_client: Any) -> None:
    astro_start, hexo_start = starts
    assert astro_start == hexo_start * 1000 // 256 and astro_start % 1000 == 0
    rec = astro_client.get("record", RECORD)
    assert rec["end"] - rec["start"] == 3600 * 1000  # one hour, counted in milliseconds


def test_filters_compare_served_ticks(starts: tuple[int, int], astro_client: Any) -> None:
    s = starts[0]

    def ids(**flt: Any) -> set[int]:
        return set(astro_client.records(**flt)["id"].astype(int))

    assert RECORD in ids(start__gte=s) and RECORD in ids(start=s) and RECORD in ids(start__lte=s)
    assert RECORD not in ids(start__gt=s) and RECORD not in ids(start__lt=s)
    assert RECORD in ids(start__gt=s - 1) and RECORD in ids(start__lt=s + 1)
    assert RECORD not in ids(start=s + 1)  # no stored tick is served as s + 1


def test_ten_seconds_of_heart_rate_are_ten_samples(
    starts: tuple[int, int], astro_client: Any
) -> None:
    s = starts[0]
    df = hexoframe.read_hexoskin(
        client=astro_client, record=RECORD, datatypes="hr", start=s + 60_000, end=s + 70_000
    )
    assert len(df) == 10
    want = pd.date_range(pd.Timestamp(s + 60_000, unit="ms", tz="UTC"), periods=10, freq="1s")
    assert df.index.equals(want.rename("time"))


def test_ecg_windows_lie_on_the_1000_tick_grid(starts: tuple[int, int], astro_client: Any) -> None:
    s = starts[0]
    plan = plan_query(astro_client, "ecg", record=RECORD, start=s, end=s + 1_200_000)
    ch = plan.channels[0]
    assert plan.tick_rate == 1000 and ch.step == Fraction(125, 32) and ch.count == 1200 * 256
    edges = [w[0] for w in ch.windows] + [ch.windows[-1][1]]
    assert all(isinstance(e, int) and (e - ch.anchor) % 125 == 0 for e in edges[:-1])
    counts = [ch.expected_in(a, b) for a, b in ch.windows]
    assert counts[:-1] == [65504] * (len(counts) - 1) and sum(counts) == ch.count
    df = hexoframe.read_hexoskin(
        client=astro_client,
        record=RECORD,
        datatypes="ecg",
        start=s,
        end=s + 1_200_000,
        method="json",
    )
    assert len(df) == 1200 * 256 and df.attrs["hexoskin"]["requests"] == len(ch.windows)
    assert df.index.freq == pd.Timedelta(3_906_250, "ns")


@pytest.mark.parametrize("method", ["json", "csv", "binary"])
def test_every_method_matches_the_256_tick_read(
    method: str, starts: tuple[int, int], astro_client: Any, hexo_client: Any
) -> None:
    a, h = starts
    ref = hexoframe.read_hexoskin(
        client=hexo_client, record=RECORD, datatypes=SYNC, start=h, end=h + 600 * 256
    )
    got = hexoframe.read_hexoskin(
        client=astro_client, record=RECORD, datatypes=SYNC, start=a, end=a + 600_000, method=method
    )
    pd.testing.assert_frame_equal(got, ref, check_freq=False)
    assert int(got["ecg_i"].sum()) == int(ref["ecg_i"].sum())


def test_events_are_stamped_to_the_millisecond_and_methods_agree(
    starts: tuple[int, int], astro_client: Any, hexo_client: Any
) -> None:
    a, h = starts
    frames = {
        m: hexoframe.read_hexoskin(
            client=astro_client,
            record=RECORD,
            datatypes=["rr", "ecg"],
            start=a,
            end=a + 300_000,
            method=m,
        )
        for m in ("json", "csv", "binary")
    }
    pd.testing.assert_frame_equal(frames["json"], frames["csv"])
    pd.testing.assert_frame_equal(frames["json"], frames["binary"])
    ref = hexoframe.read_hexoskin(
        client=hexo_client, record=RECORD, datatypes="rr", start=h, end=h + 300 * 256
    )
    ms = frames["json"]["rr_interval"].dropna()
    ref_ticks = ref.index.asi8 // 3_906_250
    assert (ms.index.asi8 == (ref_ticks * 1000 // 256) * 1_000_000).all()
    np.testing.assert_array_equal(ms.to_numpy(), ref["rr_interval"].to_numpy())


def test_a_lower_service_cap_is_found_and_split_at_1000_ticks(
    hexoskin_emulator_factory: Any, hexoskin_users: dict[str, Any], starts: tuple[int, int]
) -> None:
    from hexoframe.emulator.faults import FaultConfig

    emu = hexoskin_emulator_factory(tick_rate=1000, faults=FaultConfig(subsample_cap=20_000))
    user = hexoskin_users["athlete"]
    with hexoframe.Client(
        emu.url, username=user["email"], password=user["password"], tick_rate=1000
    ) as client:
        s = starts[0]
        df = hexoframe.read_hexoskin(
            client=client, record=RECORD, datatypes="ecg", start=s, end=s + 300_000, method="json"
        )
    assert len(df) == 300 * 256 and df.attrs["hexoskin"]["refetched"] > 0
    assert df.index.freq == pd.Timedelta(3_906_250, "ns")


def test_edf_is_refused_at_1000_ticks(starts: tuple[int, int], astro_client: Any) -> None:
    with pytest.raises(InvalidQueryError, match="method='binary'"):
        hexoframe.read_hexoskin(
            client=astro_client,
            record=RECORD,
            datatypes="ecg",
            start=starts[0],
            end=starts[0] + 10_000,
            method="edf",
        )


def test_xarray_reads_the_astroskin_host_through_the_environment(
    astro: Any,
    hexoskin_users: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    starts: tuple[int, int],
    hexo_client: Any,
) -> None:
    user = hexoskin_users["athlete"]
    monkeypatch.setenv("HEXOSKIN_TICK_RATE", "1000")
    so = {"base_url": astro.url, "username": user["email"], "password": user["password"]}
    ds = xr.open_dataset(
        f"hexoskin://record/{RECORD}",
        engine="hexoskin",
        datatypes=["ecg", "hr"],
        storage_options=so,
    )
    h = starts[1]
    ref = hexoframe.read_hexoskin(
        client=hexo_client, record=RECORD, datatypes=["ecg", "hr"], start=h, end=h + 3600 * 256
    )
    assert ds.attrs["tick_rate"] == 1000
    ecg = ds["ecg_i"].isel({ds["ecg_i"].dims[0]: slice(0, 2560)}).values
    np.testing.assert_array_equal(ecg, ref["ecg_i"].to_numpy()[:2560])
    times = ds[ds["ecg_i"].dims[0]].values[:3].astype("datetime64[ns]").astype(np.int64)
    assert times.tolist() == ref.index.asi8[:3].tolist()
    assert int(ds["heart_rate"].count()) == int(ref["heart_rate"].count()) == 3599


def test_times_written_at_1000_ticks_come_back_on_the_stored_grid(
    astro: Any, hexoskin_users: dict[str, Any], starts: tuple[int, int]
) -> None:
    user = hexoskin_users["athlete"]
    s = starts[0]
    with hexoframe.Client(
        astro.url, username=user["email"], password=user["password"], tick_rate=1000
    ) as client:
        whole = client.create("range", {"name": "whole", "start": s + 5000, "end": s + 9000})
        odd = client.create("range", {"name": "odd", "start": s + 5001, "end": s + 9001})
        try:
            assert (whole["start"], whole["end"]) == (s + 5000, s + 9000)
            # 5.001 s is not on the 1/256 s grid: stored at the next 1/256 s (5.00390625 s)
            assert (odd["start"], odd["end"]) == (s + 5003, s + 9003)
        finally:
            client.delete("range", whole["id"])
            client.delete("range", odd["id"])


def test_the_emulator_command_takes_the_tick_rate(astro: Any) -> None:
    assert build_parser().parse_args(["--tick-rate", "1000"]).tick_rate == 1000
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--tick-rate", "500"])
    assert "export HEXOSKIN_TICK_RATE=1000" in banner(astro)


@pytest.mark.filterwarnings("ignore::hexoframe.core.errors.HexoskinWarning")  # between samples
@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    a=st.integers(0, 3_590_000),
    span=st.integers(1, 9_000),
    name=st.sampled_from(["ecg", "resp", "acc_x", "hr"]),
)
def test_any_window_holds_exactly_the_samples_stamped_in_it(
    astro_client: Any, starts: tuple[int, int], a: int, span: int, name: str
) -> None:
    s = starts[0]
    lo, hi = s + a, s + a + span
    dt = catalog.lookup(name)
    base = TimeBase(1000)
    got = hexoframe.read_hexoskin(
        client=astro_client, record=RECORD, datatypes=name, start=lo, end=hi, method="json"
    )
    anchor = s + base.first_offset(dt)
    step = base.step(dt)
    k0, k1 = TimeBase.position(anchor, step, lo), TimeBase.position(anchor, step, hi)
    assert len(got) == k1 - k0
    want_ns = [base.ns(TimeBase.at(anchor, step, k)) for k in range(k0, k1)]
    assert got.index.asi8.tolist() == want_ns


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    first=st.integers(-(10**12), 10**12),
    num=st.integers(1, 10**6),
    den=st.sampled_from([1, 2, 8, 16, 32, 125]),
    t=st.integers(-(10**6), 10**6),
)
def test_positions_and_stamps_agree(first: int, num: int, den: int, t: int) -> None:
    step = Fraction(num, den)
    k = TimeBase.position(first, step, first + t)
    if k > 0:
        assert TimeBase.stamp(first, step, k - 1) < first + t
    assert TimeBase.stamp(first, step, k) >= first + t or (k == 0 and t < 0)
    stamps = TimeBase.stamps(first, step, 3, k0=max(k, 0))
    assert stamps.tolist() == [TimeBase.stamp(first, step, max(k, 0) + i) for i in range(3)]
    assert Clock(1000).out(Clock(1000).up(first)) >= first
