"""Alignment: the lazy time index's sel/reindex with methods, and hexoframe.align."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

import hexoframe
from hexoframe.core import errors
from hexoframe.data.reader import read_hexoskin
from hexoframe.frontends.timeaxis import TimeAxisIndex

START = pd.Timestamp("2024-05-01T10:00Z")
METHODS = ["ffill", "pad", "bfill", "backfill", "nearest"]


@pytest.fixture(scope="module")
def client(athlete_client):
    return athlete_client


@pytest.fixture(scope="module")
def hour(so):
    return xr.open_dataset(
        "hexoskin://record/37700",
        engine="hexoskin",
        datatypes=["ecg", "hr", "rr"],
        storage_options=so,
    ).load()


def _plain(ds, dim):
    """The same dataset with an ordinary pandas index on ``dim``."""
    return ds.drop_indexes(dim).set_xindex(dim)


@settings(derandomize=True, max_examples=40, deadline=None)
@given(
    offsets=st.lists(st.integers(-3_000, 3_600_000 + 3_000), min_size=1, max_size=8),
    method=st.sampled_from(METHODS),
    tol=st.sampled_from([None, "400ms", "2s"]),
)
def test_sel_with_methods_equals_a_pandas_index(hour, offsets, method, tol):
    assert isinstance(hour.xindexes["time_1hz"], TimeAxisIndex)
    plain = _plain(hour[["heart_rate"]], "time_1hz")
    labels = (START.tz_localize(None) + pd.to_timedelta(offsets, unit="ms")).values
    kw = {"method": method, "tolerance": tol}
    try:
        want = plain.sel(time_1hz=labels, **kw)
    except KeyError:
        with pytest.raises(KeyError):
            hour[["heart_rate"]].sel(time_1hz=labels, **kw)
        return
    got = hour[["heart_rate"]].sel(time_1hz=labels, **kw)
    np.testing.assert_array_equal(got["heart_rate"].values, want["heart_rate"].values)
    np.testing.assert_array_equal(got["time_1hz"].values, want["time_1hz"].values)


@pytest.mark.parametrize("method", [None, *METHODS])
def test_reindex_like_between_lazy_axes_equals_pandas(hour, method):
    """1 Hz heart rate onto the 256 Hz ECG axis, both lazy, equals the pandas result."""
    hr = hour[["heart_rate"]].rename(time_1hz="time")
    ecg = hour[["ecg_i"]].rename(time_256hz="time")
    got = hr.reindex_like(ecg, method=method)
    want = _plain(hr, "time").reindex_like(_plain(ecg, "time"), method=method)
    np.testing.assert_array_equal(got["heart_rate"].values, want["heart_rate"].values)
    if method in ("ffill", "pad"):
        assert int(got["heart_rate"].isnull().sum()) == 256  # before the first HR stamp


def test_pandas_index_swap_lets_xarray_align_with_ordinary_indexes(hour):
    """xarray aligns indexes of one type only; a pandas index (8 bytes a label) does."""
    target = pd.date_range("2024-05-01T10:00:00.5", periods=50, freq="1500ms")
    plain = _plain(hour[["heart_rate"]], "time_1hz")
    got = plain.reindex(time_1hz=target, method="ffill")
    lazy = hour[["heart_rate"]].sel(time_1hz=target[1:], method="ffill")
    np.testing.assert_array_equal(got["heart_rate"].values[1:], lazy["heart_rate"].values)
    assert np.isnan(got["heart_rate"].values[0])  # 10:00:00.5 is before the first stamp


def test_align_pandas_heart_rate_on_the_ecg_grid(client):
    df = read_hexoskin(client=client, record=37700, datatypes=["ecg", "hr", "br", "rr"])
    outer = df["heart_rate"].notna().mean()
    assert outer < 0.005  # the outer join: 0.39 % of rows hold a heart rate
    on_ecg = hexoframe.align(df, to="ecg_i")
    assert len(on_ecg) == 921_600 and on_ecg.index.equals(df["ecg_i"].dropna().index)
    hr = on_ecg["heart_rate"]
    assert hr.notna().all()  # every ECG sample lies in the second of some heart rate
    # the heart rate stamped s describes [s - 1 s, s): each ECG time takes the first
    # heart rate stamped after it; past the last stamp, the last one stands a second
    stamps = df["heart_rate"].dropna()
    for k in (0, 255, 256, 256 * 1800 + 100):
        t = on_ecg.index[k]
        assert hr.iloc[k] == stamps[stamps.index > t].iloc[0]
    assert hr.iloc[-1] == stamps.iloc[-1]
    assert on_ecg["breathing_rate"].notna().all()
    # RR events are held until the next beat
    rr = df["rr_interval"].dropna()
    after = on_ecg["rr_interval"][on_ecg.index >= rr.index[0]]
    assert after.notna().all() and set(after.unique()) <= set(rr.unique())


def test_align_means_faster_channels_and_matches_xarray(client, hour):
    df = read_hexoskin(
        client=client,
        record=37700,
        datatypes=["ecg", "hr", "rr"],
        start="2024-05-01T10:00Z",
        end="2024-05-01T10:10Z",
    )
    one_hz = hexoframe.align(df, rate=1)
    assert len(one_hz) == 600 and one_hz.index[0] == START
    ecg = df["ecg_i"].dropna().to_numpy().reshape(600, 256).mean(axis=1)
    np.testing.assert_allclose(one_hz["ecg_i"].to_numpy(), ecg, rtol=0, atol=1e-9)
    # the same through xarray, with lazy axes
    part = hour.sel(
        time_256hz=slice(None, "2024-05-01T10:09:59.999"),
        time_1hz=slice(None, "2024-05-01T10:09:59.999"),
    )
    ds = hexoframe.align(part, rate=1, start="2024-05-01T10:00Z", end="2024-05-01T10:10Z")
    assert list(ds.sizes) == ["time"] and ds.sizes["time"] == 600
    for name in ("ecg_i", "heart_rate", "rr_interval"):
        np.testing.assert_allclose(
            ds[name].values, one_hz[name].to_numpy(), rtol=0, atol=1e-9, equal_nan=True
        )
    assert ds["time"].attrs["axis"] == "T" and ds["ecg_i"].attrs["units"] == "1"


def test_align_on_a_lazy_week_reads_only_what_it_needs(hexoskin_emulator, so):
    ds = xr.open_dataset(
        "hexoskin://record/37702", engine="hexoskin", datatypes=["hr"], storage_options=so
    )
    hexoskin_emulator.reset_stats()
    hourly = ds.hexo.align(rate=1 / 3600)  # 1 Hz is faster than the grid: hourly means
    assert hourly.sizes["time"] == 7 * 24
    first_hour = ds["heart_rate"].sel(time_1hz=slice("2024-05-10T00:00", "2024-05-10T00:59:59.999"))
    assert first_hour.size == 3599
    assert hourly["heart_rate"].values[0] == pytest.approx(float(first_hour.mean()), rel=1e-12)
    hexoskin_emulator.reset_stats()
    picked = ds.hexo.align(
        rate=1 / 3600, how="asof", start="2024-05-10T00:00Z", end="2024-05-11T00:00Z"
    )
    assert hexoskin_emulator.stats.data_requests <= 2  # as-of reads the picked samples only
    # 00:00:00 lies in the second the heart rate stamped 00:00:01 describes
    at = [float(ds["heart_rate"].sel(time_1hz=f"2024-05-10T0{h}:00:01").values) for h in (0, 1)]
    assert list(picked["heart_rate"].values[:2]) == at and picked.sizes["time"] == 24


def test_bad_arguments_are_typed(client):
    df = read_hexoskin(client=client, record=37700, datatypes=["hr"])
    with pytest.raises(errors.InvalidQueryError, match="exactly one"):
        hexoframe.align(df, to="heart_rate", rate=1)
    with pytest.raises(errors.InvalidQueryError, match="exactly one"):
        hexoframe.align(df)
    with pytest.raises(errors.InvalidQueryError, match="how="):
        hexoframe.align(df, rate=1, how="median")
    with pytest.raises(errors.InvalidQueryError, match="not one of the channels"):
        hexoframe.align(df, to="ecg_i")
    with pytest.raises(errors.InvalidQueryError, match="rate"):
        hexoframe.align(df, rate=0)
    long = read_hexoskin(client=client, record=37700, datatypes=["hr"], how="long")
    with pytest.raises(errors.InvalidQueryError, match="long"):
        hexoframe.align(long, rate=1)
