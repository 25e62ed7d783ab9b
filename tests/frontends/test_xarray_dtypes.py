"""Lazy variables of the xarray engine carry the eager read's dtype, fixed without data."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from hexoframe.core import catalog
from hexoframe.data.reader import read_hexoskin
from hexoframe.frontends.xarray_backend import gap_fill

HOUR = "hexoskin://record/37700"


@pytest.fixture(scope="module")
def eager(athlete_client, so):
    """Every channel of the 1 h record, eagerly, in the three kinds of units."""
    names = list(xr.open_dataset(HOUR, engine="hexoskin", storage_options=so).data_vars)
    assert len(names) >= 12
    names.append("rr_interval")  # an event channel too (not opened by default)
    return {
        units: read_hexoskin(
            record=37700, datatypes=names, units=units, client=athlete_client, how="dict"
        )
        for units in ("raw", "api", "physical")
    }


@pytest.mark.parametrize("units", ["raw", "api", "physical"])
def test_lazy_dtype_is_the_eager_dtype_for_every_channel(hexoskin_emulator, so, eager, units):
    frames = eager[units]
    hexoskin_emulator.reset_stats()
    ds = xr.open_dataset(
        HOUR, engine="hexoskin", storage_options=so, units=units, datatypes=list(frames), chunks={}
    )
    sync = [n for n in frames if not catalog.lookup(n).is_async]
    events = len(frames) - len(sync)
    # opening read only the event channels (one request each), not one synchronous sample
    assert hexoskin_emulator.stats.data_requests == events
    assert sorted(ds.data_vars) == sorted(frames)
    for name, s in frames.items():
        assert ds[name].dtype == s.dtype, (name, units)
    assert {ds[n].dtype.name for n in sync} >= ({"int16"} if units != "physical" else set())
    # and loading keeps the dtype and the values
    for name in ("ecg_i", "heart_rate", "rr_interval"):
        loaded = ds[name].load()
        assert loaded.dtype == frames[name].dtype
        np.testing.assert_array_equal(loaded.values[: len(frames[name])], frames[name].to_numpy())


def test_integer_gaps_hold_the_fill_value_and_zarr_masks_them(so, tmp_path):
    ds = xr.open_dataset(
        HOUR, engine="hexoskin", storage_options=so, units="raw", datatypes=["hr"], chunks={}
    )
    hr = ds["heart_rate"]
    assert hr.dtype == np.int16 and hr.encoding["_FillValue"] == gap_fill(hr.dtype) == -32768
    # past the record's end the service has no sample: the fill value, as int16
    past = xr.open_dataset(
        "hexoskin://user/1511?start=2024-05-01T10:59:50Z&end=2024-05-01T11:00:10Z",
        engine="hexoskin",
        storage_options=so,
        units="raw",
        datatypes=["hr"],
    )["heart_rate"]
    values = past.values
    gaps = values == -32768
    assert past.dtype == np.int16 and values.size == 20
    assert gaps.tolist() == [False] * 10 + [True] * 10  # the record ends at 11:00:00
    past.to_dataset().to_zarr(tmp_path / "hr.zarr")
    back = xr.open_zarr(tmp_path / "hr.zarr")["heart_rate"].values
    assert np.isnan(back).tolist() == gaps.tolist()
    np.testing.assert_array_equal(back[:10], values[:10])
