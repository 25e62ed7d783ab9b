"""xr.open_dataset(..., engine="hexoskin") over real HTTP against the emulator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from paths import EXPORT

from hexoframe.core import errors
from hexoframe.data.reader import read_hexoskin
from hexoframe.formats.exports import read_export
from hexoframe.frontends.timeaxis import TimeAxisIndex
from hexoframe.frontends.xarray_backend import HexoskinBackendEntrypoint

WEEK = "hexoskin://record/37702"  # 7 days from 2024-05-10T00:00Z
HOUR = "hexoskin://record/37700"  # 1 h from 2024-05-01T10:00Z


@pytest.fixture(scope="module")
def client(athlete_client):
    return athlete_client


def _open(url, so, **kw):
    return xr.open_dataset(url, engine="hexoskin", storage_options=so, **kw)


def test_guess_can_open_is_a_string_check():
    be = HexoskinBackendEntrypoint()
    assert be.guess_can_open("hexoskin://record/1")
    assert be.guess_can_open("HEXOSKIN://range/2")
    assert not be.guess_can_open("data.nc")
    assert not be.guess_can_open(Path("record.zip"))
    assert "hexoskin" in xr.backends.list_engines()


def test_lazy_open_of_a_week_makes_no_data_request(hexoskin_emulator, so):
    hexoskin_emulator.reset_stats()
    ds = _open(WEEK, so, chunks={})
    assert hexoskin_emulator.stats.data_requests == 0
    n = 7 * 86400 * 256
    assert ds.sizes["time_256hz"] == n
    assert ds.sizes["time_1hz"] == 7 * 86400 - 1  # 1 Hz samples are end-stamped
    assert isinstance(ds.xindexes["time_256hz"], TimeAxisIndex)
    ecg = ds["ecg_i"]
    # one chunk per lazy binary zip of the 14 default channels: 1,500 s (5 grids of 300 s)
    assert ecg.chunks[0] == (1500 * 256,) * 403 + (300 * 256,)
    assert ds["time_256hz"].chunks == ecg.chunks
    assert ecg.attrs["units"] == "1" and ecg.attrs["hexoskin_unit"] == "ADC"
    assert ecg.attrs["datatype_id"] == 4113 and ds.attrs["Conventions"] == "CF-1.10"
    assert ecg.attrs["rate_hz"] == 256.0 and ecg.attrs["long_name"]
    assert ds["time_256hz"].attrs["timezone"] == "UTC"
    assert ds["time_256hz"].dtype == np.dtype("datetime64[ns]")
    assert ds.attrs["record_id"] == 37702 and ds.attrs["user_id"] == 1511
    assert ds.attrs["start"].startswith("2024-05-10T00:00:00")
    assert ds.attrs["end"].startswith("2024-05-17T00:00:00")
    # selecting by time labels is index arithmetic: still no data request
    sub = ds.sel(time_256hz=slice("2024-05-12T00:00", "2024-05-12T00:00:01"))
    assert sub.sizes["time_256hz"] == 512  # the stop's whole second, as pandas reads it
    assert str(sub["time_256hz"].values[-1]) == "2024-05-12T00:00:01.996093750"
    assert hexoskin_emulator.stats.data_requests == 0


def test_slice_loads_only_its_windows(hexoskin_emulator, so):
    ten = slice(np.datetime64("2024-05-10T01:00"), np.datetime64("2024-05-10T01:10"))
    # JSON: one request per planner window (65535 samples) the slice touches;
    # positions [921600, 1075201) straddle windows 14..16
    ds = _open(WEEK, so, datatypes=["ecg", "hr"], method="json")
    hexoskin_emulator.reset_stats()
    part = ds["ecg_i"].sel(time_256hz=ten).load()
    assert part.size == 600 * 256 + 1
    first, last = 921600 // 65535, (921600 + 600 * 256) // 65535
    assert hexoskin_emulator.stats.data_requests == last - first + 1 == 3
    hexoskin_emulator.reset_stats()
    assert ds["heart_rate"].sel(time_1hz=ten).load().size == 601
    assert hexoskin_emulator.stats.data_requests == 1
    # binary (the default for records) is never capped: touching windows join
    ds = _open(WEEK, so, datatypes=["ecg", "hr"])
    hexoskin_emulator.reset_stats()
    np.testing.assert_array_equal(ds["ecg_i"].sel(time_256hz=ten).values, part.values)
    assert hexoskin_emulator.stats.data_requests == 1


def test_channels_of_one_rate_share_requests(hexoskin_emulator, so):
    ten = slice(np.datetime64("2024-05-10T01:00"), np.datetime64("2024-05-10T01:10"))
    names = ["acc_x", "acc_y", "acc_z", "hr", "br"]
    ds = _open(WEEK, so, datatypes=names, method="json")
    hexoskin_emulator.reset_stats()
    ds.sel(time_64hz=ten, time_1hz=ten).load()
    # 64 Hz positions [230400, 268801) lie in planner windows 3 and 4; 1 Hz in one window
    assert hexoskin_emulator.stats.data_requests == 2 + 1
    ds = _open(WEEK, so, datatypes=names)
    hexoskin_emulator.reset_stats()
    ds.sel(time_64hz=ten, time_1hz=ten).load()
    assert hexoskin_emulator.stats.data_requests == 1 + 1


@pytest.mark.parametrize("method", ["json", "csv", "edf"])
def test_methods_give_identical_variables(so, method):
    ten = slice(np.datetime64("2024-05-01T10:05"), np.datetime64("2024-05-01T10:06"))
    base = (
        _open(HOUR, so, datatypes=["resp", "hr"], method="binary")
        .sel(time_128hz=ten, time_1hz=ten)
        .load()
    )
    other = (
        _open(HOUR, so, datatypes=["resp", "hr"], method=method)
        .sel(time_128hz=ten, time_1hz=ten)
        .load()
    )
    xr.testing.assert_identical(base, other)


def test_dask_chunks_are_independent_requests(hexoskin_emulator, so):
    ds = _open(WEEK, so, datatypes=["ecg"], chunks={})
    # ECG alone: lazy binary zips of 4,800 s (16 binary grids of 300 s)
    assert ds["ecg_i"].chunks == ((4800 * 256,) * 126,)
    hexoskin_emulator.reset_stats()
    ds["ecg_i"].data.blocks[30].compute()
    assert hexoskin_emulator.stats.data_requests == 1


@pytest.mark.parametrize("units", ["api", "physical"])
def test_whole_variables_equal_read_hexoskin(so, client, units):
    names = ["ecg_i", "heart_rate", "tidal_volume", "rr_interval"]
    ds = _open(HOUR, so, datatypes=names, units=units)
    frames = read_hexoskin(record=37700, datatypes=names, units=units, client=client, how="dict")
    for name in names:
        s = frames[name]
        var = ds[name]
        np.testing.assert_array_equal(var.values, s.to_numpy(dtype=np.float64))
        np.testing.assert_array_equal(var[var.dims[0]].values, s.index.tz_convert(None).to_numpy())
    assert ds["rr_interval"].dims == ("time_rr_interval",)


def test_export_opens_like_read_export():
    if not EXPORT.exists():
        pytest.skip("../shared fixtures are absent (fresh clone)")
    ds = xr.open_dataset(EXPORT, engine="hexoskin")
    df = read_export(EXPORT, datatypes=["heart_rate", "ecg", "rr_interval"], how="dict")
    for name in ("heart_rate", "ecg_i", "rr_interval"):
        np.testing.assert_array_equal(ds[name].values, df[name].to_numpy(dtype=np.float64))
        np.testing.assert_array_equal(
            ds[ds[name].dims[0]].values, df[name].index.tz_convert(None).to_numpy()
        )
    assert ds.attrs["user_id"] == 11136
    assert ds["heart_rate"].mean().item() == pytest.approx(73.15625)


def test_export_zip_opens_like_the_folder(tmp_path):
    if not EXPORT.exists():
        pytest.skip("../shared fixtures are absent (fresh clone)")
    import zipfile

    zipped = tmp_path / "record_122445.zip"
    with zipfile.ZipFile(zipped, "w") as zf:  # top-level files (not matlab-converted/)
        for f in EXPORT.iterdir():
            if f.is_file():
                zf.write(f, f.name)
    a = xr.open_dataset(zipped, engine="hexoskin", datatypes=["ecg", "hr", "rr"])
    b = xr.open_dataset(EXPORT, engine="hexoskin", datatypes=["ecg", "hr", "rr"])
    xr.testing.assert_identical(a, b)


def test_netcdf_and_zarr_round_trips(tmp_path, so):
    pytest.importorskip("zarr")
    ds = _open(HOUR, so, datatypes=["ecg", "hr", "rr"], chunks={})
    ds = ds.isel(time_256hz=slice(0, 200_000))
    ds.to_netcdf(tmp_path / "r.nc")
    with xr.open_dataset(tmp_path / "r.nc") as back:
        xr.testing.assert_equal(back.load(), ds.load())
        assert back["time_256hz"].attrs["timezone"] == "UTC"
    ds.to_zarr(tmp_path / "r.zarr", mode="w", consolidated=False)
    with xr.open_zarr(tmp_path / "r.zarr", consolidated=False) as back:
        xr.testing.assert_equal(back.load(), ds.load())


def test_range_user_span_and_client_argument(so, client):
    rng = _open("hexoskin://range/58979", so, datatypes="hr")
    assert rng.attrs["range_id"] == 58979
    exp = read_hexoskin(range=58979, datatypes="hr", client=client, how="dict")["heart_rate"]
    np.testing.assert_array_equal(rng["time_1hz"].values, exp.index.tz_convert(None).to_numpy())
    np.testing.assert_array_equal(rng["heart_rate"].values, exp.to_numpy(dtype=np.float64))
    # the same span of the record, narrowed in the address or by keywords
    narrowed = _open(
        "hexoskin://record/37700?start=2024-05-01T10:10Z&end=2024-05-01T10:30Z", so, datatypes="hr"
    )
    xr.testing.assert_equal(narrowed, rng)
    kw = _open(HOUR, so, datatypes="hr", start="2024-05-01T10:10Z", end="2024-05-01T10:30Z")
    xr.testing.assert_equal(kw, rng)
    span = xr.open_dataset(
        "hexoskin://user/1511?start=2024-05-01T10:10Z&end=2024-05-01T10:20Z",
        engine="hexoskin",
        client=client,
        datatypes="hr",
    )
    assert span.attrs["user_id"] == 1511
    exp = read_hexoskin(
        user=1511,
        start="2024-05-01T10:10Z",
        end="2024-05-01T10:20Z",
        datatypes="hr",
        client=client,
        how="dict",
    )["heart_rate"]
    np.testing.assert_array_equal(span["heart_rate"].values, exp.to_numpy(dtype=np.float64))
    np.testing.assert_array_equal(span["time_1hz"].values, exp.index.tz_convert(None).to_numpy())


def test_time_index_selection_semantics():
    idx = TimeAxisIndex.from_ticks(256, 256, 10, dim="t")
    ds = xr.Dataset({"v": ("t", np.arange(10.0))}, coords=xr.Coordinates.from_xindex(idx))
    assert ds.sel(t="1970-01-01T00:00:03").v.item() == 2.0
    assert ds.sel(t=pd.Timestamp("1970-01-01T00:00:03.4"), method="nearest").v.item() == 2.0
    with pytest.raises(KeyError):
        ds.sel(t="1970-01-01T00:00:03.5")
    assert ds.sel(t=slice(None, "1970-01-01T00:00:02.5")).v.values.tolist() == [0.0, 1.0]
    assert isinstance(ds.isel(t=slice(2, 8, 2)).xindexes["t"], TimeAxisIndex)
    assert ds.isel(t=slice(2, 8, 2)).t.values.tolist() == ds.t.values[2:8:2].tolist()
    assert ds.to_dataframe().index.equals(pd.DatetimeIndex(ds.t.values, name="t"))


def test_time_index_alignment():
    idx = TimeAxisIndex.from_ticks(256, 256, 10, dim="t")
    v = xr.DataArray(np.arange(10.0), dims="t", coords=xr.Coordinates.from_xindex(idx))
    a, b = v.isel(t=slice(0, 6)), v.isel(t=slice(3, 9))
    total = a + b  # inner join stays lazy
    assert total.values.tolist() == [6.0, 8.0, 10.0]
    assert isinstance(total.xindexes["t"], TimeAxisIndex)
    outer = xr.align(a, b, join="outer")[0]
    np.testing.assert_array_equal(outer.values, [0, 1, 2, 3, 4, 5, np.nan, np.nan, np.nan])
    assert a.reindex_like(b).values[:3].tolist() == [3.0, 4.0, 5.0]
    gap = xr.align(v.isel(t=slice(0, 2)), v.isel(t=slice(5, 7)), join="outer")[0]
    assert gap.sizes["t"] == 4  # disjoint: falls back to a pandas index


def test_bad_urls_and_unknown_records_give_typed_errors(hexoskin_emulator, so):
    hexoskin_emulator.reset_stats()
    with pytest.raises(errors.InvalidQueryError, match="hexoskin://record/<id>"):
        _open("hexoskin://recording/1", so)
    with pytest.raises(errors.InvalidQueryError, match="take no credentials") as err:
        _open("hexoskin://me:s3cret@record/1", so)
    assert "s3cret" not in str(err.value)
    with pytest.raises(errors.InvalidQueryError, match="start=...&end="):
        _open("hexoskin://user/1511", so)
    with pytest.raises(errors.UnknownDatatypeError):
        _open(HOUR, so, datatypes="not_a_channel")
    assert hexoskin_emulator.stats.data_requests == 0
    with pytest.raises(errors.NotFound):
        _open("hexoskin://record/99999999", so)
    with pytest.raises(errors.NotFound):
        _open("hexoskin://record/37740", so)  # another user's, invisible to 1511


def test_a_served_export_reads_as_the_local_one(hexoskin_emulator_factory):
    if not EXPORT.exists():
        pytest.skip("../shared fixtures are absent (fresh clone)")

    names = ["ecg", "ecg_ii", "ppg", "resp", "hr", "spo2", "rr_interval"]
    local = xr.open_dataset(EXPORT, engine="hexoskin", datatypes=names)
    emu = hexoskin_emulator_factory(imports=[EXPORT])
    so = {"base_url": emu.url, "username": "athlete@hexoskin.com", "password": "hexoskin"}
    served = _open("hexoskin://record/122445", so, datatypes=names).load()
    for name in local.data_vars:
        n = local[name].size  # channels of an export differ in length; the record spans all
        np.testing.assert_array_equal(served[name].values[:n], local[name].values)
        gaps = served[name].values[n:]  # gaps: NaN in floats, the fill value in integers
        fill = served[name].encoding.get("_FillValue", np.nan)
        assert (np.isnan(gaps) if np.isnan(fill) else gaps == fill).all()
        dim = served[name].dims[0]
        np.testing.assert_array_equal(served[dim].values[:n], local[local[name].dims[0]].values)
