"""xr.open_datatree(..., engine="hexoskin"): one group per sampling rate and one per event
channel, each with a single ``time`` dimension, as lazy as open_dataset."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from paths import EXPORT

NAMES = ["ecg", "resp", "resp_abdominal", "acc_x", "hr", "br", "hr_quality", "rr", "sdnn"]


def _open(opener, so, **kw):
    return opener(
        "hexoskin://record/37700", engine="hexoskin", datatypes=NAMES, storage_options=so, **kw
    )


def test_one_group_per_rate_and_event_channel(hexoskin_emulator, so):
    hexoskin_emulator.reset_stats()
    ds = _open(xr.open_dataset, so)
    opened_with = hexoskin_emulator.stats.data_requests  # event channels are read at open
    hexoskin_emulator.reset_stats()
    tree = _open(xr.open_datatree, so)
    assert hexoskin_emulator.stats.data_requests == opened_with == 1
    assert sorted(tree.children) == ["128hz", "1hz", "256hz", "300s", "64hz", "rr_interval"]
    expected = {
        "256hz": ["ecg_i"],
        "128hz": ["respiration_thoracic", "respiration_abdominal"],
        "64hz": ["acceleration_x"],
        "1hz": ["heart_rate", "breathing_rate", "heart_rate_quality"],
        "300s": ["sdnn"],
        "rr_interval": ["rr_interval"],
    }
    for group, names in expected.items():
        node = tree[group]
        assert list(node.dims) == ["time"], group
        assert sorted(node.data_vars) == sorted(names)
        assert node["time"].attrs["axis"] == "T"
        for name in names:
            np.testing.assert_array_equal(node["time"].values, ds[ds[name].dims[0]].values)
    assert tree["1hz"].sizes["time"] == 3599 and tree["256hz"].sizes["time"] == 921600
    assert tree.attrs["record_id"] == 37700 and tree.attrs["Conventions"] == "CF-1.10"
    assert hexoskin_emulator.stats.data_requests == 1  # nothing more read so far


def test_groups_read_lazily_and_equal_open_dataset(hexoskin_emulator, so):
    tree = _open(xr.open_datatree, so)
    ds = _open(xr.open_dataset, so)
    hexoskin_emulator.reset_stats()
    part = tree["256hz"]["ecg_i"].isel(time=slice(1000, 1100)).values
    assert hexoskin_emulator.stats.data_requests == 1
    np.testing.assert_array_equal(part, ds["ecg_i"].isel(time_256hz=slice(1000, 1100)).values)
    np.testing.assert_array_equal(tree["1hz"]["heart_rate"].values, ds["heart_rate"].values)
    np.testing.assert_array_equal(
        tree["rr_interval"]["rr_interval"].values, ds["rr_interval"].values
    )
    sel = tree["1hz"].sel(time=slice("2024-05-01T10:10", "2024-05-01T10:10:09"))
    assert sel.sizes["time"] == 10


def test_chunks_give_dask_arrays_per_group(so):
    pytest.importorskip("dask", reason="chunks need dask")
    tree = _open(xr.open_datatree, so, chunks={})
    ecg = tree["256hz"]["ecg_i"]
    assert ecg.chunks == ((2100 * 256, 1500 * 256),)  # lazy binary zips of 2,100 s
    assert int(tree["1hz"]["heart_rate"].count().compute()) == 3599


@pytest.mark.skipif(not EXPORT.is_dir(), reason="needs the real export in ../shared")
def test_export_groups_have_readable_names():
    ds = xr.open_dataset(EXPORT, engine="hexoskin")
    tree = xr.open_datatree(EXPORT, engine="hexoskin")
    # channels of a rate with another start or length get their own group, named after
    # their first channel (never time_1hz_2)
    assert "64hz_ppg" in tree.children and "1hz_breathing_rate" in tree.children
    assert all(not name.rsplit("_", 1)[-1].isdigit() for name in ds.dims)
    total = sum(len(tree[g].data_vars) for g in tree.children)
    assert total == len(ds.data_vars)
    assert tree["1hz_breathing_rate"].sizes["time"] == 129
    assert float(tree["1hz"]["heart_rate"].mean()) == 73.15625


def test_edf_file_opens_as_a_tree(athlete_client, tmp_path):
    pytest.importorskip("edfio", reason="EDF needs the edf extra")
    from hexoframe.data.reader import read_hexoskin

    frame = read_hexoskin(
        client=athlete_client,
        record=37700,
        datatypes=["hr", "br", "rr"],
        start="2024-05-01T10:00Z",
        end="2024-05-01T10:10Z",
    )
    path = frame.hexo.to_edf(tmp_path / "HX45123.edf")
    tree = xr.open_datatree(path, engine="hexoskin")
    assert sorted(tree.children) == ["1hz", "rr_interval"]
    np.testing.assert_array_equal(
        tree["1hz"]["heart_rate"].values, frame["heart_rate"].dropna().to_numpy()
    )
