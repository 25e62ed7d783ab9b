"""read_cohort and dask: lazy graphs, whole-request chunks, process workers over HTTP."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from hexoframe.core import errors
from hexoframe.data.reader import read_hexoskin
from hexoframe.frontends.cohort import read_cohort

dask = pytest.importorskip("dask")
pytest.importorskip("dask.dataframe")


@pytest.fixture(scope="module")
def client(athlete_client):
    return athlete_client


def _expected(client, record, names):
    df = read_hexoskin(record=record, datatypes=names, client=client, how="outer")
    return df.astype(np.float64)


def test_cohort_frame_is_lazy_and_matches_read_hexoskin(hexoskin_emulator, client):
    names = ["heart_rate", "breathing_rate"]
    hexoskin_emulator.reset_stats()
    ddf = read_cohort(records=[37700, 37701], datatypes=["hr", "br"], client=client)
    assert hexoskin_emulator.stats.data_requests == 0
    assert ddf.npartitions == 3  # 1 window for 1 h, 2 for 24 h at 1 Hz
    assert list(ddf.columns) == ["record", "user", *names]
    df = ddf.compute(scheduler="sync")
    for rec in (37700, 37701):
        got = df[df["record"] == rec][names]
        pd.testing.assert_frame_equal(
            got, _expected(client, rec, names), check_freq=False, check_names=False
        )
    assert set(df["user"]) == {1511}


def test_cohort_by_user_and_span(client):
    ddf = read_cohort(
        users=1511,
        start="2024-05-01T10:30Z",
        end="2024-05-02T00:10Z",
        datatypes="hr",
        client=client,
    )
    df = ddf.compute(scheduler="sync")
    assert set(df["record"]) == {37700, 37701}
    assert df.index.min() >= pd.Timestamp("2024-05-01T10:30Z")
    assert df.index.max() < pd.Timestamp("2024-05-02T00:10Z")


def test_cohort_dataset_along_records(hexoskin_emulator, client):
    hexoskin_emulator.reset_stats()
    ds = read_cohort(records=[37700, 37701], datatypes="hr", client=client, output="dataset")
    assert hexoskin_emulator.stats.data_requests == 0
    assert ds.sizes == {"record": 2, "sample_1hz": 86399}
    assert ds["heart_rate"].chunks[1][0] == 3599
    hr = ds["heart_rate"].sel(record=37700).values
    exp = _expected(client, 37700, ["heart_rate"])["heart_rate"].to_numpy()
    np.testing.assert_array_equal(hr[:3599], exp)
    assert np.isnan(hr[3599:]).all()
    assert str(ds["start_time_1hz"].values[0]) == "2024-05-01T10:00:01.000000000"


def test_cohort_errors_are_typed(client):
    with pytest.raises(errors.InvalidQueryError):
        read_cohort(datatypes="hr", client=client)
    with pytest.raises(errors.UnknownDatatypeError):
        read_cohort(records=[37700], datatypes="nope", client=client)
    with pytest.raises(errors.NotFound):
        read_cohort(records=[99999999], datatypes="hr", client=client)


def test_distributed_process_workers(hexoskin_emulator, client, monkeypatch):
    distributed = pytest.importorskip("distributed")
    # workers are other processes: they find the server and credentials in the environment
    monkeypatch.setenv("HEXOSKIN_URL", hexoskin_emulator.url)
    monkeypatch.setenv("HEXOSKIN_USERNAME", "athlete@hexoskin.com")
    monkeypatch.setenv("HEXOSKIN_PASSWORD", "hexoskin")
    opened = [
        xr.open_dataset(f"hexoskin://record/{r}", engine="hexoskin", datatypes=["hr"], chunks={})
        for r in (37700, 37701)
    ]
    ddf = read_cohort(records=[37700, 37701], datatypes="hr")
    graph = pickle.dumps([o.__dask_graph__() for o in opened])
    assert b"athlete@hexoskin.com" not in graph and b"HEXOSKIN_PASSWORD" not in graph
    keys = str([o.__dask_keys__() for o in opened]) + str(ddf.__dask_keys__())
    assert "athlete" not in keys and "password" not in keys
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as dclient,
    ):
        means = dask.compute(*[o["heart_rate"].mean() for o in opened])
        df = ddf.compute()
        # a filesystem made with a password travels without it and works from the env
        from hexoframe.frontends.fs import HexoskinFileSystem

        fs = HexoskinFileSystem(
            base_url=hexoskin_emulator.url,
            username="x@y.z",
            password="not-this-one",
            skip_instance_cache=True,
        )
        info = dclient.submit(fs.cat_file, "record/37701/info.json").result()
        assert b"37701" in info
        assert len(dclient.scheduler_info()["workers"]) == 2
    for rec, m in zip((37700, 37701), means, strict=True):
        exp = _expected(client, rec, ["heart_rate"])["heart_rate"]
        assert float(m) == pytest.approx(exp.mean())
        assert (df["record"] == rec).sum() == exp.size
