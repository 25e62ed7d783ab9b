"""CF metadata that tools parse: pint (through pint-xarray and cf-xarray's registry) and
cf-xarray read every variable hexoframe builds, with the right magnitudes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import xarray as xr
from paths import EXPORT

from hexoframe.core import catalog, cf
from hexoframe.data.reader import read_hexoskin

cf_xarray = pytest.importorskip("cf_xarray", reason="cf-xarray is in the test extra")
pytest.importorskip("pint_xarray", reason="pint-xarray is in the test extra")
from cf_xarray.units import units as ureg  # noqa: E402 - after the skip

ALL = [dt.name for dt in catalog.data_datatypes()]


@pytest.fixture(scope="module")
def physical(so):
    return xr.open_dataset(
        "hexoskin://record/37700",
        engine="hexoskin",
        datatypes=ALL,
        units="physical",
        storage_options=so,
    ).load()


@pytest.fixture(scope="module")
def api(so):
    return xr.open_dataset(
        "hexoskin://record/37700", engine="hexoskin", datatypes=ALL, storage_options=so
    ).load()


def _quantify(ds):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pint's UnitStrippedWarning on index coordinates
        return ds.pint.quantify(unit_registry=ureg)


@pytest.mark.parametrize("which", ["api", "physical"])
def test_pint_quantifies_every_variable(request, which):
    ds = request.getfixturevalue(which)
    q = _quantify(ds)
    assert sorted(q.data_vars) == sorted(ds.data_vars) and len(ds.data_vars) == len(ALL)
    for name in ds.data_vars:
        assert ureg.Unit(ds[name].attrs["units"]) == q[name].pint.units, name


def test_rates_per_minute_are_per_minute_not_revolutions(api):
    q = _quantify(api)
    hr, br = api["heart_rate"].values, api["breathing_rate"].values
    np.testing.assert_allclose(q["heart_rate"].pint.to("Hz").pint.magnitude, hr / 60)
    np.testing.assert_allclose(q["breathing_rate"].pint.to("Hz").pint.magnitude, br / 60)
    assert api["breathing_rate"].attrs["long_name"] == "Breathing rate (breaths per minute)"
    assert api["heart_rate"].attrs["long_name"] == "Heart rate (beats per minute)"
    assert api["breathing_rate"].attrs["hexoskin_unit"] == "rpm"
    cadence = q["cadence"].pint.to("s-1").pint.magnitude
    np.testing.assert_allclose(cadence, api["cadence"].values / 60)


def test_acceleration_is_gravity_not_grams(physical, api):
    q = _quantify(physical)
    got = q["acceleration_x"].pint.to("m s-2").pint.magnitude
    np.testing.assert_allclose(got, physical["acceleration_x"].values * 9.80665)
    activity = _quantify(api)["activity"].pint.to("m s-2").pint.magnitude
    np.testing.assert_allclose(activity, api["activity"].values * 9.80665)
    assert api["acceleration_x"].attrs["units"] == "1"  # raw counts of 1/256 g
    assert api["acceleration_x"].attrs["hexoskin_unit"] == "g/256"


def test_physical_magnitudes(physical):
    q = _quantify(physical)
    np.testing.assert_allclose(
        q["ecg_i"].pint.to("V").pint.magnitude, physical["ecg_i"].values / 1000
    )
    np.testing.assert_allclose(
        q["rr_interval"].pint.to("ms").pint.magnitude, physical["rr_interval"].values * 1000
    )
    np.testing.assert_allclose(
        q["tidal_volume"].pint.to("L").pint.magnitude, physical["tidal_volume"].values / 1000
    )
    np.testing.assert_allclose(
        q["minute_ventilation"].pint.to("L s-1").pint.magnitude,
        physical["minute_ventilation"].values / 1000 / 60,
    )


def test_cf_xarray_finds_the_time_axis_of_every_variable(api):
    assert api.attrs["Conventions"] == cf.CONVENTIONS == "CF-1.10"
    for name in api.data_vars:
        var = api[name]
        assert var.cf.axes["T"] == [var.dims[0]], name
        assert var.cf["T"].attrs["standard_name"] == "time"
        dt = catalog.lookup(name)
        if dt.is_async:
            assert "rate_hz" not in var.attrs
        else:
            assert var.attrs["rate_hz"] == float(dt.freq)


def test_quality_bitmasks_are_flag_variables(api):
    hq = api["heart_rate_quality"]
    assert hq.attrs["flag_masks"] == [2, 4, 8, 16, 32]
    values = hq.values.astype(np.int64)
    assert (values & 0x10).any() and not (values == 0).all()
    for meaning, mask in catalog.FLAG_BITS["heart_rate_quality"].items():
        np.testing.assert_array_equal((hq.cf == meaning).values, (values & mask) != 0)
    bq = api["breathing_rate_quality"]
    for meaning, mask in catalog.FLAG_BITS["breathing_rate_quality"].items():
        np.testing.assert_array_equal(
            (bq.cf == meaning).values, (bq.values.astype(np.int64) & mask) != 0
        )
    pos = api["device_position"]
    assert pos.attrs["flag_values"] == list(range(7))
    np.testing.assert_array_equal((pos.cf == "code_2").values, pos.values == 2)


def test_pandas_attrs_are_flat_and_survive_to_xarray(athlete_client):
    client = athlete_client
    frames = read_hexoskin(
        client=client, record=37700, datatypes=["hr", "br", "acc_x"], units="physical", how="dict"
    )
    hr = frames["heart_rate"]
    assert hr.attrs["units"] == "min-1" and hr.attrs["hexoskin_units"] == "physical"
    assert hr.attrs["rate_hz"] == 1.0 and hr.attrs["long_name"]
    da = hr.hexo.to_xarray()
    assert da.attrs["units"] == "min-1" and da["time"].attrs["axis"] == "T"
    np.testing.assert_allclose(
        _quantify(da.to_dataset())["heart_rate"].pint.to("Hz").pint.magnitude, hr.to_numpy() / 60
    )
    wide = read_hexoskin(
        client=client, record=37700, datatypes=["hr", "br", "acc_x"], units="physical"
    )
    ds = wide.hexo.to_xarray()
    assert ds.attrs["Conventions"] == "CF-1.10" and ds.attrs["method"] in ("json", "binary")
    assert ds["acceleration_x"].attrs["units"] == "gravity"
    assert ds["breathing_rate"].attrs["units"] == "min-1"
    q = _quantify(ds)
    np.testing.assert_allclose(
        q["acceleration_x"].pint.to("m s-2").pint.magnitude,
        wide["acceleration_x"].to_numpy() * 9.80665,
    )
    assert ds["acceleration_x"].cf.axes["T"] == ["time"]
    converted = hr.hexo.convert("raw")
    assert converted.attrs["units"] == "min-1" and converted.attrs["hexoskin_units"] == "raw"


@pytest.mark.skipif(not EXPORT.is_dir(), reason="needs the real export in ../shared")
def test_real_export_dataset_is_cf():
    ds = xr.open_dataset(EXPORT, engine="hexoskin", units="physical")
    assert ds.attrs["Conventions"] == "CF-1.10"
    q = _quantify(ds)
    assert sorted(q.data_vars) == sorted(ds.data_vars)
    for name in ds.data_vars:
        assert ds[name].cf.axes["T"] == [ds[name].dims[0]], name
    np.testing.assert_allclose(
        q["heart_rate"].pint.to("Hz").pint.magnitude, ds["heart_rate"].values / 60
    )
