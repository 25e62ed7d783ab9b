"""Label slices on the lazy time axis select what the same slice selects on a pandas
index: partial date strings keep their whole second, minute or day; instants are exact."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from hexoframe.frontends.timeaxis import time_coords

START = 438926745600  # 2024-05-01T10:00:00Z in ticks
SIZE = 256 * 180  # three minutes at 256 Hz


@pytest.fixture(scope="module")
def pair() -> tuple[xr.DataArray, xr.DataArray]:
    lazy = xr.DataArray(np.arange(SIZE), dims="t", coords=time_coords(START, 1, SIZE, "t", 256))
    plain = xr.DataArray(np.arange(SIZE), dims="t", coords={"t": lazy["t"].values})
    return lazy, plain


@pytest.mark.parametrize(
    ("start", "stop"),
    [
        ("2024-05-01T10:00", "2024-05-01T10:00:59"),
        ("2024-05-01T10:00:30", "2024-05-01T10:01"),
        ("2024-05-01T10:00:00.5", "2024-05-01T10:00:59.5"),
        ("2024-05-01", "2024-05-01"),
        (None, "2024-05-01T10:02:00.003"),
        ("2024-05-01T10:00:10", np.datetime64("2024-05-01T10:00:59")),
        ("2024-05-01T10:00:10", pd.Timestamp("2024-05-01T10:00:59.00390625")),
        ("2024-05-01T09", "2024-05-01T10:00:01"),
    ],
)
def test_slices_select_what_pandas_selects(
    pair: tuple[xr.DataArray, xr.DataArray], start: object, stop: object
) -> None:
    lazy, plain = pair
    got = lazy.sel(t=slice(start, stop))
    want = plain.sel(t=slice(start, stop))
    assert got.size == want.size
    np.testing.assert_array_equal(got.values, want.values)
    np.testing.assert_array_equal(got["t"].values, want["t"].values)


def test_a_stop_with_an_offset_is_read_in_its_own_time_zone(
    pair: tuple[xr.DataArray, xr.DataArray],
) -> None:
    lazy, _ = pair
    local = lazy.sel(t=slice("2024-05-01T12:00+02:00", "2024-05-01T12:00:59+02:00"))
    utc = lazy.sel(t=slice("2024-05-01T10:00Z", "2024-05-01T10:00:59Z"))
    assert local.size == utc.size == 256 * 60
    np.testing.assert_array_equal(local.values, utc.values)
