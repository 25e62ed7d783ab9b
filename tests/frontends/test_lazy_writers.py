"""Writing lazy datasets with per-chunk time axes (issue 14, item 2): ``ds.hexo.to_zarr`` and
``ds.hexo.to_netcdf`` give back, through plain xarray readers, exactly the times and values
of the lazy dataset, at 256 and 1000 ticks per second, for Zarr formats 2 and 3 and netCDF,
for sliced axes, unchunked datasets and appends; the stored axis is int64 with CF units."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
import zarr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hexoframe
from hexoframe.frontends.lazy_writers import encode_time_axes, lazy_time_axes

HOUR = 37700
pytestmark = pytest.mark.filterwarnings("ignore:Consolidated metadata:UserWarning")


@pytest.fixture(scope="module")
def so(clock_server: tuple[Any, dict[str, Any]]) -> dict[str, Any]:
    """Storage options of the emulator at 256 and at 1000 ticks per second."""
    return clock_server[1]


def _open(so: dict[str, Any], chunks: Any = None, **kw: Any) -> xr.Dataset:
    kw.setdefault("datatypes", ["ecg_i", "hr", "br", "rr_interval"])
    return xr.open_dataset(
        f"hexoskin://record/{HOUR}", engine="hexoskin", chunks=chunks, storage_options=so, **kw
    )


def _same(back: xr.Dataset, ds: xr.Dataset) -> None:
    """Every variable and coordinate of ``ds`` is in ``back`` with equal values."""
    assert set(back.variables) == set(ds.variables)
    for name, var in ds.variables.items():
        got, want = back.variables[name].values, var.values
        assert got.dtype.kind == want.dtype.kind or want.dtype.kind in "iu", name
        np.testing.assert_array_equal(got, want, err_msg=str(name))


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_zarr_round_trip_is_exact(so: dict[str, Any], zarr_format: int, tmp_path: Path) -> None:
    ds = _open(so, chunks={})
    assert set(lazy_time_axes(ds)) == {"time_256hz", "time_1hz"}
    ds.hexo.to_zarr(tmp_path / "a.zarr", zarr_format=zarr_format)
    with xr.open_zarr(tmp_path / "a.zarr") as back:
        _same(back, ds)
        assert back["time_256hz"].dtype == np.dtype("datetime64[ns]")
        assert back["time_256hz"].attrs["timezone"] == "UTC"
        assert back["time_256hz"].size == 921_600
    group = zarr.open_group(str(tmp_path / "a.zarr"), mode="r")
    stored = group["time_256hz"]
    assert stored.dtype == np.dtype("int64")
    first = str(ds["time_256hz"].values[0]).rstrip("0").rstrip(".")
    assert stored.attrs["units"] == f"nanoseconds since {first}"
    assert stored.attrs["calendar"] == "proleptic_gregorian"
    assert stored[:3].tolist() == [0, 3_906_250, 7_812_500]
    codec = stored.compressors[0]
    assert "blosc" in type(codec).__name__.lower()
    # an evenly spaced axis shrinks to under 5 % of its 7.4 MB (Zstandard alone: about 40 %)
    nbytes = sum(p.stat().st_size for p in (tmp_path / "a.zarr" / "time_256hz").rglob("*"))
    assert nbytes < 368_640


def test_netcdf_round_trip_is_exact(so: dict[str, Any], tmp_path: Path) -> None:
    ds = _open(so, chunks={})
    ds.hexo.to_netcdf(tmp_path / "a.nc")
    with xr.open_dataset(tmp_path / "a.nc") as back:
        _same(back, ds)
        assert back["time_1hz"].encoding["dtype"] == np.dtype("int64")


def test_matches_xarrays_own_encoding(so: dict[str, Any], tmp_path: Path) -> None:
    """What a reader gets is what plain ``ds.to_zarr`` (xarray's encoder) gives."""
    ds = _open(so, chunks={}, datatypes=["hr", "ecg_i"])
    ds.to_zarr(tmp_path / "plain.zarr")
    ds.hexo.to_zarr(tmp_path / "fast.zarr")
    with xr.open_zarr(tmp_path / "plain.zarr") as a, xr.open_zarr(tmp_path / "fast.zarr") as b:
        xr.testing.assert_identical(a.load(), b.load())


def test_unchunked_dataset_and_dataarray(so: dict[str, Any], tmp_path: Path) -> None:
    ds = _open(so, chunks=None, datatypes=["hr"])
    ds["heart_rate"].hexo.to_zarr(tmp_path / "hr.zarr")
    with xr.open_zarr(tmp_path / "hr.zarr") as back:
        _same(back, ds)


def test_append_keeps_the_store_units(so: dict[str, Any], tmp_path: Path) -> None:
    """An append is xarray's: times of the second part are encoded in the first's units."""
    ds = _open(so, chunks={}, datatypes=["hr"])
    half = ds.sizes["time_1hz"] // 2
    ds.isel(time_1hz=slice(0, half)).hexo.to_zarr(tmp_path / "a.zarr")
    ds.isel(time_1hz=slice(half, None)).hexo.to_zarr(tmp_path / "a.zarr", append_dim="time_1hz")
    with xr.open_zarr(tmp_path / "a.zarr") as back:
        _same(back, ds)
    stored = zarr.open_group(str(tmp_path / "a.zarr"), mode="r")["time_1hz"]
    assert stored[half] == half * 10**9


def test_explicit_encoding_wins(so: dict[str, Any], tmp_path: Path) -> None:
    ds = _open(so, chunks={}, datatypes=["hr"])
    ds.hexo.to_zarr(tmp_path / "a.zarr", encoding={"time_1hz": {"compressors": None}})
    stored = zarr.open_group(str(tmp_path / "a.zarr"), mode="r")["time_1hz"]
    assert stored.compressors == ()
    with xr.open_zarr(tmp_path / "a.zarr") as back:
        _same(back, ds)


def test_dataset_without_lazy_axes_is_unchanged() -> None:
    ds = xr.Dataset({"x": ("t", [1, 2])}, coords={"t": np.array([0, 1], "datetime64[s]")})
    assert encode_time_axes(ds) is ds


@pytest.fixture(scope="module")
def hour_hr(hexoskin_emulator: Any, hexoskin_users: dict[str, Any]) -> xr.Dataset:
    """An hour of heart rate, loaded (its time axis stays lazy)."""
    user = hexoskin_users["athlete"]
    with hexoframe.Client(
        base_url=hexoskin_emulator.url, username=user["email"], password=user["password"]
    ) as client:
        ds = xr.open_dataset(
            f"hexoskin://record/{HOUR}", engine="hexoskin", datatypes=["hr"], client=client
        )
        return ds.load()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    start=st.integers(-3600, 3600),
    stop=st.one_of(st.none(), st.integers(-3600, 3600)),
    step=st.integers(1, 700),
    chunk=st.one_of(st.none(), st.integers(1, 4000)),
    zarr_format=st.sampled_from([2, 3]),
)
def test_any_slice_round_trips(
    hour_hr: xr.Dataset,
    start: int,
    stop: int | None,
    step: int,
    chunk: int | None,
    zarr_format: int,
) -> None:
    """Any positional slice of a lazy axis, chunked or not, reads back to the same times."""
    part = hour_hr.isel(time_1hz=slice(start, stop, step))
    assert isinstance(part.xindexes["time_1hz"], type(hour_hr.xindexes["time_1hz"]))
    if chunk is not None:
        part = part.chunk(time_1hz=chunk)
    store = zarr.storage.MemoryStore()
    part.hexo.to_zarr(store, zarr_format=zarr_format)
    back = xr.open_zarr(store)
    _same(back, part)
