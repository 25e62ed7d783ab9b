"""read_hexoskin over real HTTP against the emulator: methods agree, windows, errors."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from paths import EXPORT

import hexoframe
from hexoframe.api.client import Client
from hexoframe.core import catalog, errors
from hexoframe.data import fetch
from hexoframe.data.reader import read_hexoskin
from hexoframe.emulator import Emulator, FaultConfig
from hexoframe.formats.exports import read_export

REC_START = 438926745600  # record 37700: 2024-05-01T10:00Z, 1 h


@pytest.fixture(scope="module")
def client(hexoskin_emulator):
    with Client(
        base_url=hexoskin_emulator.url, username="athlete@hexoskin.com", password="hexoskin"
    ) as c:
        yield c


def _read(client, **kw):
    kw.setdefault("record", 37700)
    kw.setdefault("how", "dict")
    return read_hexoskin(client=client, **kw)


@pytest.mark.parametrize(
    "datatypes, span",
    [
        (["ecg_i", "ecg_ii"], ("2024-05-01T10:00:00.5Z", "2024-05-01T10:09:00Z")),  # 3 windows
        (["resp_thoracic", "acc_x"], ("2024-05-01T10:01Z", "2024-05-01T10:20Z")),
        (["heart_rate", "activity", "tidal_volume", "hr_quality"], (None, None)),
        (["rr_interval", "inspiration"], (None, None)),
        (["ann", "rmssd"], (None, None)),
    ],
    ids=["sync-raw-256", "sync-128-64", "1hz", "async", "slow-1/300"],
)
def test_methods_agree(client, datatypes, span):
    start, end = span
    frames = {
        m: _read(client, datatypes=datatypes, start=start, end=end, method=m)
        for m in ("json", "csv", "binary", "edf")
    }
    for name in frames["json"]:
        ref = frames["json"][name]
        assert len(ref) > 0
        for m in ("csv", "binary", "edf"):
            pd.testing.assert_series_equal(frames[m][name], ref, check_exact=True)
        dt = catalog.lookup(name)
        if not dt.is_async:
            ticks = hexoframe.frontends.pandas_ext._dt_to_ticks(ref.index, 256)
            assert (np.diff(ticks) == dt.step_ticks).all()


def test_full_record_counts_and_attrs(client, caplog):
    with caplog.at_level(logging.INFO, logger="hexoframe"):
        df = read_hexoskin(client=client, record=37700, datatypes=["heart_rate", "breathing_rate"])
    assert list(df.columns) == ["heart_rate", "breathing_rate"]
    assert len(df) == catalog.sample_count(catalog.lookup("hr"), REC_START, REC_START + 921600)
    assert len(df) == 3599
    assert df.index[0] == pd.Timestamp("2024-05-01T10:00:01Z")
    assert df.index.name == "time" and str(df.index.tz) == "UTC"
    meta = df.attrs["hexoskin"]
    assert meta["method"] == "json" and meta["requests"] == 1 and meta["reason"]
    assert meta["columns"]["heart_rate"]["unit"] == "bpm"
    assert any("json" in r.getMessage() and r.name == "hexoframe" for r in caplog.records)


def test_auto_takes_binary_for_raw_high_rate(client, hexoskin_emulator):
    before = hexoskin_emulator.stats.data_requests
    ecg = read_hexoskin(client=client, record=37700, datatypes="ecg", how="dict")["ecg_i"]
    assert hexoskin_emulator.stats.data_requests - before == 1
    assert len(ecg) == 921600 and ecg.attrs["rate"] == 256.0
    assert ecg.index[-1] == pd.Timestamp("2024-05-01T10:59:59.99609375Z")


def test_json_windows_no_loss_no_duplicate(client):
    # 1 h of ECG over JSON: 15 windows, stitched exactly
    got = _read(client, datatypes="ecg", method="json")
    ecg = got["ecg_i"]
    assert len(ecg) == 921600
    ns = ecg.index.asi8
    assert (np.diff(ns) == 3_906_250).all()
    assert ecg.attrs["unit"] == "ADC"


def test_range_and_units(client):
    df = read_hexoskin(client=client, range=58979, datatypes=["hr", "activity"])
    assert len(df) == 1200
    assert df.index[0] == pd.Timestamp("2024-05-01T10:10:00Z")
    raw = read_hexoskin(client=client, range=58979, datatypes="activity", units="raw", how="dict")
    assert raw["activity"].dtype == np.int16
    np.testing.assert_allclose(raw["activity"].to_numpy() / 256, df["activity"].to_numpy())
    phys = read_hexoskin(
        client=client,
        range=58979,
        start="2024-05-01T10:10Z",
        end="2024-05-01T10:11Z",
        datatypes="ecg",
        units="physical",
        how="dict",
    )
    assert phys["ecg_i"].attrs["unit"] == "mV" and len(phys["ecg_i"]) == 60 * 256
    long = read_hexoskin(client=client, range=58979, datatypes=["hr", "br"], how="long")
    assert list(long.columns) == ["time", "datatype", "value"] and len(long) == 2400


def test_bare_time_span_with_user(client):
    df = read_hexoskin(
        client=client, start="2024-05-01T10:00Z", end="2024-05-01T10:10Z", user=1511, datatypes="hr"
    )
    assert df.attrs["hexoskin"]["method"] == "json"
    assert len(df) == 599  # end-stamped: 10:00:01 .. 10:09:59 (10:10:00 is excluded)


def test_subsampling_detected_and_refetched(hexoskin_emulator, client):
    hexoskin_emulator.set_faults(FaultConfig(subsample_cap=5000))
    try:
        span = dict(start="2024-05-01T10:00Z", end="2024-05-01T10:02Z")
        ref = _read(client, datatypes="ecg", method="binary", **span)["ecg_i"]
        for method in ("json", "csv"):
            full = _read(client, datatypes="ecg", method=method, **span)
            pd.testing.assert_series_equal(full["ecg_i"], ref)
        any_ = read_hexoskin(
            client=client,
            record=37700,
            datatypes="ecg",
            method="json",
            resolution="any",
            how="outer",
            **span,
        )
        assert any_.attrs["hexoskin"]["subsampled"] is True
        assert len(any_) <= 5000 < len(ref)
        ref_rr = _read(client, datatypes="rr", method="binary")["rr_interval"]
        got_rr = _read(client, datatypes="rr", method="json")["rr_interval"]
        pd.testing.assert_series_equal(got_rr, ref_rr)
    finally:
        hexoskin_emulator.set_faults(None)


def test_subsampling_never_silent(hexoskin_emulator, client, monkeypatch):
    monkeypatch.setattr(fetch, "MAX_SPLIT_DEPTH", 0)
    hexoskin_emulator.set_faults(FaultConfig(subsample_cap=1000))
    try:
        with pytest.raises(errors.IncompleteDataError, match="ecg_i"):
            _read(
                client,
                datatypes="ecg",
                method="json",
                start="2024-05-01T10:00Z",
                end="2024-05-01T10:01Z",
            )
    finally:
        hexoskin_emulator.set_faults(None)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (
            dict(record=37700, datatypes="not_a_datatype"),
            errors.UnknownDatatypeError,
            "not_a_datatype",
        ),
        (dict(record=37700, datatypes=[]), errors.InvalidQueryError, "datatype"),
        (
            dict(start="2024-05-01T11:00Z", end="2024-05-01T10:00Z", datatypes="hr"),
            errors.InvalidQueryError,
            "not after start",
        ),
        (dict(datatypes="hr"), errors.InvalidQueryError, "No time span"),
        (dict(start="2024-05-01T10:00Z", datatypes="hr"), errors.InvalidQueryError, "No time span"),
        (dict(record=37700, datatypes="hr", units="volts"), errors.InvalidQueryError, "units"),
        (dict(record=37700, datatypes="hr", method="xml"), errors.InvalidQueryError, "method"),
        (dict(record=37740, datatypes="hr"), errors.HexoskinError, "37740"),
        (
            dict(record=37700, start="2030-01-01", end="2030-01-02", datatypes="hr"),
            errors.InvalidQueryError,
            "overlap",
        ),
    ],
    ids=[
        "unknown",
        "empty",
        "end-before-start",
        "no-span",
        "start-only",
        "units",
        "method",
        "invisible-record",
        "outside-record",
    ],
)
def test_bad_input_fails_before_data_requests(hexoskin_emulator, client, kwargs, error, match):
    before = hexoskin_emulator.stats.data_requests
    with pytest.raises(error, match=match) as info:
        read_hexoskin(client=client, **kwargs)
    if kwargs.get("record") == 37740:
        assert isinstance(info.value, (errors.NotFound, errors.PermissionDenied))
    assert hexoskin_emulator.stats.data_requests == before


def test_client_kwargs_and_pd_alias(hexoskin_emulator):
    df = pd.read_hexoskin(
        record=37700,
        datatypes=["hr"],
        base_url=hexoskin_emulator.url,
        username="athlete@hexoskin.com",
        password="hexoskin",
    )
    assert len(df) == 3599


@pytest.mark.skipif(not EXPORT.is_dir(), reason=f"shared fixture folder {EXPORT} is absent")
def test_imported_export_served_equals_read_export():
    with (
        Emulator(imports=[EXPORT]) as emu,
        Client(base_url=emu.url, username="athlete@hexoskin.com", password="hexoskin") as c,
    ):
        names = ["ecg_i", "ppg", "respiration_thoracic", "heart_rate", "rr_interval"]
        try:
            rec = c.get("record", 122445)
        except errors.HexoskinError as exc:  # pragma: no cover - depends on the emulator
            pytest.skip(f"emulator does not serve the import to this user: {exc}")
        assert int(rec["start"]) == 382085877327
        local = read_export(EXPORT, datatypes=names, how="dict")
        for method in ("binary", "json"):
            got = read_hexoskin(client=c, record=122445, datatypes=names, method=method, how="dict")
            for name in names:
                np.testing.assert_array_equal(got[name].to_numpy(), local[name].to_numpy())
                assert got[name].dtype == local[name].dtype, (method, name)
                assert got[name].index.equals(local[name].index), (method, name)


def test_progress_bar_and_outer_mixed_rates(client, capsys):
    df = read_hexoskin(
        client=client,
        record=37700,
        datatypes=["hr", "ecg", "rr"],
        start="2024-05-01T10:00Z",
        end="2024-05-01T10:10Z",
        method="json",
        progress=True,
    )
    err = capsys.readouterr().err
    assert "hexoskin" in err  # the tqdm bar went to stderr
    assert df["ecg_i"].notna().sum() == 600 * 256 and df["heart_rate"].notna().sum() == 599
    assert df.index.is_monotonic_increasing and df.index.is_unique
    assert df["rr_interval"].notna().sum() > 100


@pytest.mark.parametrize("datatypes", [["hr", "ann", "rr"], ["ecg", "acc_x"]])
def test_range_methods_agree(client, datatypes):
    """A range: binary asks the range's record (narrowed), so end-stamped samples whose
    interval starts before the range are not lost."""
    got = {
        m: read_hexoskin(client=client, range=58979, datatypes=datatypes, method=m, how="dict")
        for m in ("json", "binary", "csv", "edf")
    }
    for name, ref in got["json"].items():
        assert ref.index[0] >= pd.Timestamp("2024-05-01T10:10Z")
        assert ref.index[-1] < pd.Timestamp("2024-05-01T10:30Z")
        for m in ("binary", "csv", "edf"):
            pd.testing.assert_series_equal(got[m][name], ref, check_exact=True)
    if "heart_rate" in got["json"]:
        assert len(got["binary"]["heart_rate"]) == 1200


def test_broken_answers_are_retried(hexoskin_emulator, client):
    span = dict(start="2024-05-01T10:00Z", end="2024-05-01T10:05Z")
    ref = _read(client, datatypes=["ecg", "hr"], method="json", **span)
    hexoskin_emulator.set_faults(
        FaultConfig(seed=3, truncate_rate=0.3, error_rate=0.2, path_pattern="/data/")
    )
    try:
        for method in ("json", "binary", "edf"):
            got = _read(client, datatypes=["ecg", "hr"], method=method, **span)
            for name in ref:
                pd.testing.assert_series_equal(got[name], ref[name])
    finally:
        hexoskin_emulator.set_faults(None)


def test_several_users_keep_the_user(hexoskin_emulator):
    """A coach (1513) reads two athletes (1511, 1514) over one time span."""
    with Client(hexoskin_emulator.url, username="coach@hexoskin.com", password="coachpass") as c:
        span = {"start": "2024-05-04T09:00Z", "end": "2024-05-04T09:05Z"}
        both = read_hexoskin(
            client=c, user=[1511, 1514], datatypes=["hr", "rr"], how="long", progress=False, **span
        )
        alone = read_hexoskin(
            client=c, user=1514, datatypes=["hr", "rr"], how="long", progress=False, **span
        )
        wide = read_hexoskin(
            client=c,
            user=[1511, 1514],
            datatypes="hr",
            progress=False,
            start="2024-05-01T10:00Z",
            end="2024-05-01T10:05Z",
        )
    assert set(both["user"]) == {1514}  # 1511 has no record in that span
    mine = both[both["user"] == 1514].drop(columns="user").reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, alone.drop(columns="user", errors="ignore"))
    assert (both["datatype"] == "heart_rate").sum() == 299  # 1 Hz, end-stamped: 300 s - 1
    assert wide.index.names == ["user", "time"]
    assert wide.index.get_level_values("user").unique().tolist() == [1511]
    assert len(wide) == 299
