"""Lazy channels chunk like the binary planner's zips (issue 14, item 2): one dask chunk is
one data request, reads stay exact across zip boundaries at 256 and 1000 ticks per second,
and the shared window cache of a source stays within its byte bound."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import xarray as xr

import hexoframe
from hexoframe.data.positions import CACHE_BYTES, LAZY_TARGET_SAMPLES
from hexoframe.frontends.sources import open_source
from hexoframe.frontends.urls import parse_url

DAY = 37701  # 24 h
# 256 + 2 * 128 + 3 * 64 samples/s: lazy zips of LAZY_TARGET_SAMPLES (1,280,000) samples
# are 1,818 s, cut to whole binary grids of 300 s: 30 min
CHANNELS = ["ecg", "resp", "resp_abdominal", "acc_x", "acc_y", "acc_z"]
ZIP = 1800  # seconds per zip
ECG_ZIP = ZIP * 256  # 460,800 ECG samples
N = 48  # zips in 24 h


@pytest.fixture(scope="module")
def server(clock_server: tuple[Any, dict]) -> Iterator[tuple[Any, Any, dict]]:
    """(emulator, client, storage options) at 256 and at 1000 ticks per second."""
    emu, so = clock_server
    with hexoframe.Client(**so) as client:
        yield emu, client, so


def _open(client: Any, **kw: Any) -> xr.Dataset:
    return xr.open_dataset(
        f"hexoskin://record/{DAY}",
        engine="hexoskin",
        datatypes=CHANNELS,
        units="raw",
        client=client,
        **kw,
    )


def _eager(client: Any, ds: xr.Dataset, p0: int, p1: int) -> Any:
    """ECG samples [p0, p1) of the lazy axis, read in memory by time (binary zips)."""
    t = ds["time_256hz"].values
    got = hexoframe.read_hexoskin(
        client=client,
        record=DAY,
        datatypes="ecg",
        units="raw",
        start=t[p0],
        end=t[p1],
        method="binary",
        progress=False,
    )
    return got["ecg_i"]


def test_chunks_are_the_binary_zips_and_one_chunk_is_one_request(server: Any) -> None:
    emu, client, _ = server
    emu.reset_stats()
    ds = _open(client, chunks={})
    assert emu.stats.data_requests == 0
    assert ds["ecg_i"].chunks == ((ECG_ZIP,) * N,)
    assert ds["respiration_thoracic"].chunks == ((ZIP * 128,) * N,)
    assert ds["acceleration_x"].chunks == ((ZIP * 64,) * N,)
    assert ds["time_256hz"].chunks == ds["ecg_i"].chunks
    emu.reset_stats()
    block = ds["ecg_i"][5 * ECG_ZIP : 6 * ECG_ZIP].compute()
    assert emu.stats.data_requests == 1
    ref = _eager(client, ds, 5 * ECG_ZIP, 6 * ECG_ZIP)
    assert block.dtype == np.int16 and block.size == ref.size == ECG_ZIP
    np.testing.assert_array_equal(block.values, ref.to_numpy())
    np.testing.assert_array_equal(block["time_256hz"].values, ref.index.values)


def test_chunks_across_zip_boundaries_equal_the_eager_read(server: Any) -> None:
    _, client, _ = server
    ds = _open(client, chunks={"time_256hz": 300_000})
    p0, p1 = ECG_ZIP - 450_000, 2 * ECG_ZIP + 123_457  # two zip boundaries inside
    lazy = ds["ecg_i"][p0:p1]
    assert len(lazy.chunks[0]) > 2
    got = lazy.compute()
    ref = _eager(client, ds, p0, p1)
    assert got.size == ref.size == p1 - p0
    np.testing.assert_array_equal(got.values, ref.to_numpy())
    np.testing.assert_array_equal(got["time_256hz"].values, ref.index.values)


def test_shared_cache_keeps_at_most_its_bound_and_frees_taken_windows(server: Any) -> None:
    emu, client, _ = server
    src = open_source(parse_url(f"hexoskin://record/{DAY}"), CHANNELS, client=client)
    names = [r.datatype.name for r in src.channels]
    ecg, acc_x, acc_y, acc_z = (
        src.channels[names.index(n)]
        for n in ("ecg_i", "acceleration_x", "acceleration_y", "acceleration_z")
    )
    assert LAZY_TARGET_SAMPLES == 1_280_000
    shared = acc_x.shared
    assert shared is not None and shared.max_bytes == CACHE_BYTES
    # ECG is alone at 256 Hz: a whole zip read is freed at once
    p0, p1 = ecg.window_positions()[3]
    assert ecg.read(p0, p1, "raw").size == ECG_ZIP
    assert len(shared) == 0 and shared.nbytes == 0
    # acceleration x/y/z share zips: what x reads waits for y and z, within the bound
    zip_bytes = 3 * ZIP * 64 * 2  # three int16 channels
    shared.max_bytes = 2 * zip_bytes + 1
    windows = acc_x.window_positions()
    assert len(windows) == N
    emu.reset_stats()
    for p0, p1 in windows[:6]:
        assert acc_x.read(p0, p1, "raw").size == ZIP * 64
        assert shared.nbytes <= shared.max_bytes
    assert emu.stats.data_requests == 6
    assert len(shared) == 2 and shared.nbytes == 2 * zip_bytes
    # y and z take the newest zip from the cache (no request), which frees it
    p0, p1 = windows[5]
    emu.reset_stats()
    y, z = acc_y.read(p0, p1, "raw"), acc_z.read(p0, p1, "raw")
    assert emu.stats.data_requests == 0
    assert len(shared) == 1 and shared.nbytes == zip_bytes
    # the values are the in-memory read's
    eager = hexoframe.read_hexoskin(
        client=client, record=DAY, datatypes=["acc_y", "acc_z"], units="raw", how="dict"
    )
    np.testing.assert_array_equal(y, eager["acceleration_y"].to_numpy()[p0:p1])
    np.testing.assert_array_equal(z, eager["acceleration_z"].to_numpy()[p0:p1])
