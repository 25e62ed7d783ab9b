"""EDF+ end to end: the emulator's x-edf answers, edf.py's writer/reader, MNE and pyedflib."""

from __future__ import annotations

import datetime
import io
import json
import os
import warnings
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hexoframe.core import catalog
from hexoframe.emulator.store import DEMO_USERS
from hexoframe.formats import binformats, edf

requests = pytest.importorskip("requests")
pytest.importorskip("edfio")

#: The demo athlete, from the emulator's own table (what ``hexoskin_users`` holds).
AUTH = (DEMO_USERS["athlete"]["email"], DEMO_USERS["athlete"]["password"])
USER = 1511
START = 1714557600 * 256  # record 37700
LO, HI = START + 600 * 256, START + 1200 * 256  # on every grid (HRV: 300 s)
ALL = [dt for dt in catalog.data_datatypes() if dt.kind != "annotation"]


def _get(emu, params, headers=None, status=200):
    r = requests.get(
        emu.url + "/api/v1/data/", params=params, auth=AUTH, headers=headers or {}, timeout=120
    )
    assert r.status_code == status, r.text[:300]
    return r


def _params(dts):
    return {"datatype__in": ",".join(str(d.id) for d in dts), "start": LO, "end": HI, "user": USER}


def _decode_zip(body):
    zf = zipfile.ZipFile(io.BytesIO(body))
    info = json.loads(zf.read("info.json"))
    out = {}
    for name in zf.namelist():
        stem, ext = name.rsplit(".", 1)
        dt = catalog.by_stem(stem)
        if ext == "wav":
            _, raw = binformats.read_wav(zf.read(name), signed=dt.signed)
            first = info["start"] + dt.first_offset
            out[dt.name] = (first + np.arange(len(raw), dtype=np.int64) * dt.step_ticks, raw)
        elif ext == "hxd":
            out[dt.name] = binformats.read_hxd(zf.read(name))
    return info, out


@pytest.fixture(scope="module")
def served(hexoskin_emulator):
    """One EDF and one binary answer of every datatype over the same span."""
    r = _get(hexoskin_emulator, _params(ALL), {"Accept": "application/x-edf"})
    assert r.headers["Content-Type"] == "application/x-edf"
    z = _get(hexoskin_emulator, _params(ALL), {"Accept": "application/octet-stream"})
    return r.content, _decode_zip(z.content)


def test_served_edf_equals_binary_exactly(served):
    body, (info, zdec) = served
    got = edf.read_edf(body)
    assert got.start == info["start"] == LO and got.end == HI
    assert got.unknown == [] and got.annotations == []
    sync = [dt for dt in ALL if not dt.is_async]
    assert sorted(got.channels) == sorted(dt.name for dt in sync)
    for dt in sync:
        ts, raw = got.channels[dt.name]
        zts, zraw = zdec[dt.name]
        assert ts.tolist() == zts.tolist(), dt.name
        assert raw.tolist() == zraw.astype(np.int64).tolist(), dt.name
    for dt in ALL:
        if dt.is_async and len(zdec[dt.name][0]):
            ets, eraw = got.events[dt.name]
            assert ets.tolist() == zdec[dt.name][0].tolist(), dt.name
            assert eraw.tolist() == zdec[dt.name][1].tolist(), dt.name
    assert sum(len(v[0]) for v in got.events.values()) > 100  # RR and friends are present
    assert got.patient.startswith(f"hexoskin_user_{USER}")


def test_format_param_and_refusals(hexoskin_emulator, served):
    r = _get(hexoskin_emulator, {**_params(ALL), "format": "edf"})
    assert r.content == served[0]
    r = _get(hexoskin_emulator, {**_params(ALL), "format": "edf", "max_values": 10}, status=400)
    assert "max_values" in r.text
    off = {**_params([catalog.lookup("hr")]), "start": LO + 1, "format": "edf"}
    assert "grid" in _get(hexoskin_emulator, off, status=400).text


def _mne_check(path, dts, start):
    mne = pytest.importorskip("mne")
    raw = mne.io.read_raw_edf(path, preload=True, verbose="error")
    labels = [edf.edf_label(dt) for dt in dts]
    assert raw.ch_names == labels
    # MNE 1.13 keeps the header's whole second and drops the EDF+ "+0.xxx" start offset
    assert raw.info["meas_date"].timestamp() == start // 256
    assert raw.info["sfreq"] == max(dt.freq for dt in dts)
    return raw


def _pyedflib_check(path, dts, start):
    pyedflib = pytest.importorskip("pyedflib")
    with pyedflib.EdfReader(str(path)) as f:
        assert f.getSignalLabels() == [edf.edf_label(dt) for dt in dts]
        for i, dt in enumerate(dts):
            assert f.getSampleFrequency(i) == pytest.approx(dt.freq)
            assert f.getPhysicalDimension(i) == edf.edf_unit(dt)
        # getStartdatetime() of pyedflib 0.1.42 divides EDFlib's 100 ns units by 100 (a
        # factor 10 off); the raw fields are right: whole second + "+0.xxx" in 100 ns units
        whole = f.getStartdatetime().replace(microsecond=0, tzinfo=datetime.UTC).timestamp()
        assert whole == start // 256
        assert round(f.starttime_subsecond * 256 / 10**7) == start % 256
        return [f.readSignal(i) for i in range(len(dts))]


def test_mne_and_pyedflib_read_what_the_emulator_serves(served, tmp_path):
    body, (_, zdec) = served
    path = tmp_path / "record.edf"
    path.write_bytes(body)
    sync = [dt for dt in ALL if not dt.is_async]
    raw = _mne_check(path, sync, LO)
    values = _pyedflib_check(path, sync, LO)
    for i, dt in enumerate(sync):
        want = dt.to_physical(zdec[dt.name][1])
        step = abs(dt.physical_scale)
        assert np.max(np.abs(values[i][: len(want)] - want)) <= step, dt.name
        if dt.physical_unit == "mV":  # MNE keeps volts
            got = raw.get_data(picks=[i])[0][: len(want)] * 1000
            assert np.max(np.abs(got - want)) <= step


def test_write_round_trip_and_foreign_readers(tmp_path):
    t0 = START + 77  # not on a whole second: the "+0.xxx" start annotation carries it
    rng = np.random.default_rng(3)
    chans = {
        "ecg": rng.integers(0, 4096, 256 * 600),
        "resp": rng.integers(0, 65536, 128 * 600),
        "hr": rng.integers(40, 200, 600),
        "sdnn": rng.integers(0, 300, 2),
    }
    events = {"rr": (t0 + np.array([100, 300, 555]), np.array([200, 255, 190]))}
    path = edf.write_edf(tmp_path / "HX45123.edf", chans, t0, events=events, patient="p 1")
    assert [p.name for p in tmp_path.iterdir()] == ["HX45123.edf"]
    back = edf.read_edf(path)
    assert back.start == t0 and back.end == t0 + 600 * 256
    for key, raw in chans.items():
        dt = catalog.lookup(key)
        assert back.channels[dt.name][1].tolist() == raw.tolist(), key
    assert back.channels["sdnn"][0].tolist() == [t0 + 300 * 256, t0 + 600 * 256]
    assert back.events["rr_interval"][0].tolist() == events["rr"][0].tolist()
    assert back.events["rr_interval"][1].tolist() == [200, 255, 190]
    dts = [catalog.lookup(k) for k in chans]
    _mne_check(path, dts, t0)
    _pyedflib_check(path, dts, t0)


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    bad = {"hr": [60, 61], "ecg": [1, 2, 70000]}  # does not fit 16 bits
    with pytest.raises(edf.EdfError, match="16 bits"):
        edf.write_edf(tmp_path / "x.edf", bad, START)
    with pytest.raises(edf.EdfError, match="raw integers"):
        edf.write_edf(tmp_path / "x.edf", {"hr": [60.5]}, START)
    with pytest.raises(edf.EdfError, match="1985"):
        edf.write_edf(tmp_path / "x.edf", {"hr": [60]}, 0)
    assert os.listdir(tmp_path) == []
    (tmp_path / "x.edf").write_bytes(b"old")
    with pytest.raises(edf.EdfError):
        edf.write_edf(tmp_path / "x.edf", bad, START)
    assert os.listdir(tmp_path) == ["x.edf"] and (tmp_path / "x.edf").read_bytes() == b"old"
    with pytest.raises(FileNotFoundError):
        edf.read_edf(tmp_path / "missing.edf")


def test_unknown_labels_are_kept_with_a_warning(tmp_path):
    import edfio

    sig = edfio.EdfSignal(
        np.zeros(4), 2, label="SpO2 finger", physical_dimension="%", physical_range=(0, 100)
    )
    sig.digital[:] = [1, 2, 3, 4]
    hr = edfio.EdfSignal(
        np.array([60.0, 61.0]), 1, label="heart rate", physical_range=(-32768, 32767)
    )
    path = tmp_path / "other.edf"
    rec = edfio.Recording(startdate=datetime.date(2024, 5, 1))
    edfio.Edf([sig, hr], recording=rec, starttime=datetime.time(10, 0, 0)).write(path)
    with pytest.warns(UserWarning, match="SpO2 finger"):
        got = edf.read_edf(path)
    assert got.unknown == ["SpO2 finger"]
    assert got.channels["SpO2 finger"][1].tolist() == [1, 2, 3, 4]
    assert np.diff(got.channels["SpO2 finger"][0]).tolist() == [128, 128, 128]
    assert got.channels["heart_rate"][1].tolist() == [60, 61]  # label mapped by alias
    assert got.start == 1714557600 * 256 and got.channels["heart_rate"][0][0] == got.start + 256
    edfio.Edf([hr], starttime=datetime.time(10, 0, 0)).write(path)  # "Startdate X"
    with pytest.raises(edf.EdfError, match="anonymi"):
        edf.read_edf(path)


@settings(derandomize=True, max_examples=25, deadline=None)
@given(
    frac=st.integers(0, 255),
    n=st.integers(1, 40),
    name=st.sampled_from(["ecg", "resp", "acc_x", "hr", "ppg"]),
    seed=st.integers(0, 99),
)
def test_raw_integers_and_start_round_trip_exactly(frac, n, name, seed):
    dt = catalog.lookup(name)
    lo, hi = (-32768, 32768) if dt.signed else (0, 65536)
    raw = np.random.default_rng(seed).integers(lo, hi, n * int(dt.freq))
    raw[:2] = [lo, hi - 1][: len(raw[:2])]
    t0 = START + frac
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        back = edf.read_edf(edf.edf_bytes({name: raw}, t0))
    assert back.start == t0
    assert back.channels[dt.name][1].tolist() == raw.tolist()


def test_read_export_and_open_dataset_of_study_named_edf(served, hexoskin_emulator, tmp_path):
    import xarray as xr

    from hexoframe.formats.exports import read_export

    body, _ = served
    zbody = _get(hexoskin_emulator, _params(ALL), {"Accept": "application/octet-stream"})
    zpath = tmp_path / "data.zip"
    zpath.write_bytes(zbody.content)
    want = read_export(zpath, units="raw", how="dict")
    for name in ("HX45123.edf", "HX45123-1_110134_4503.EDF"):
        path = tmp_path / name
        path.write_bytes(body)
        got = read_export(path, units="raw", how="dict")
        assert sorted(got) == sorted(k for k, v in want.items() if len(v))
        for key, series in got.items():
            assert series.index.equals(want[key].index), key
            assert series.tolist() == want[key].tolist(), key
        frame = read_export(path, datatypes=["hr", "br"])
        assert frame.attrs["hexoskin"]["info"]["device"] == "HX45123"
        assert frame.attrs["hexoskin"]["user"] == USER
        ds = xr.open_dataset(path, engine="hexoskin", units="raw")
        ref = xr.open_dataset(zpath, engine="hexoskin", units="raw")
        for var in ref.data_vars:
            if ref[var].size:
                assert ds[var].values.tolist() == ref[var].values.tolist(), var
                assert ds[var].dims == ref[var].dims, var


def test_frame_and_dataset_to_edf(athlete_client, tmp_path):
    import xarray as xr

    from hexoframe import read_export, read_hexoskin

    names = ["ecg", "resp", "hr", "br", "rr"]
    frame = read_hexoskin(
        client=athlete_client, record=37700, datatypes=names, start=LO, end=HI, method="binary"
    )
    path = frame.hexo.to_edf(tmp_path / "HX45123.edf")
    assert os.listdir(tmp_path) == ["HX45123.edf"]
    back = read_hexoskin_like = read_export(path)
    for col in frame.columns:
        want = frame[col].dropna()
        got = read_hexoskin_like[col].dropna()
        assert got.index.equals(want.index), col
        assert np.allclose(got.to_numpy(float), want.to_numpy(float), rtol=0, atol=1e-9), col
    dts = [catalog.lookup(n) for n in names if not catalog.lookup(n).is_async]
    _mne_check(path, dts, int(edf.read_edf(path).start))
    _pyedflib_check(path, dts, int(edf.read_edf(path).start))
    assert back.attrs["hexoskin"]["info"]["device"] == "HX45123"
    ds = xr.open_dataset(path, engine="hexoskin")
    out = ds.hexo.to_edf(tmp_path / "copy.edf")
    again = edf.read_edf(out)
    first = edf.read_edf(path)
    assert again.start == first.start
    for key, (ticks, raw) in first.channels.items():
        assert again.channels[key][0].tolist() == ticks.tolist(), key
        assert again.channels[key][1].tolist() == raw.tolist(), key
    assert again.events["rr_interval"][1].tolist() == first.events["rr_interval"][1].tolist()
    gappy = frame[["heart_rate"]].dropna().iloc[[0, 1, 3]]
    with pytest.raises(edf.EdfError, match="gap"):
        gappy.hexo.to_edf(tmp_path / "gap.edf")
    assert sorted(os.listdir(tmp_path)) == ["HX45123.edf", "copy.edf"]
