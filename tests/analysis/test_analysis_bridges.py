"""One-call bridges: values and times round-trip through neurokit2, MNE and wfdb."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import hexoframe
from hexoframe.core.errors import InvalidQueryError

SPAN = {"start": "2024-05-01T10:00:00Z", "end": "2024-05-01T10:00:30Z"}
T0 = pd.Timestamp(SPAN["start"])


@pytest.fixture(scope="module")
def ecg(athlete_client):
    return hexoframe.read_hexoskin(
        record=37700, datatypes=["ecg_i", "ecg_ii"], client=athlete_client, progress=False, **SPAN
    )


@pytest.fixture(scope="module")
def rr(athlete_client):
    return hexoframe.read_hexoskin(
        record=37700, datatypes=["rr", "rr_quality"], client=athlete_client, progress=False, **SPAN
    )


def test_neurokit_ecg_finds_the_services_beats(ecg, rr):
    nk = pytest.importorskip("neurokit2")
    d = hexoframe.to_neurokit(ecg)
    assert set(d) == {"ecg_signal", "sampling_rate"} and d["sampling_rate"] == 256.0
    assert np.array_equal(d["ecg_signal"], ecg.hexo.to_physical()["ecg_i"].to_numpy())
    assert len(d["ecg_signal"]) == 30 * 256
    _, info = nk.ecg_peaks(d["ecg_signal"], sampling_rate=d["sampling_rate"])
    found = T0 + pd.to_timedelta(np.asarray(info["ECG_R_Peaks"]) / 256.0, unit="s")
    beats = rr["rr_interval"].dropna().index
    gaps = np.array([np.abs((found - b).total_seconds()).min() for b in beats])
    assert len(beats) > 40
    assert np.mean(gaps <= 0.03) >= 0.95  # R peaks within 30 ms of the service's beats
    assert (
        hexoframe.to_neurokit(ecg, channel="ecg_ii")["ecg_signal"].tolist()
        == ecg.hexo.to_physical()["ecg_ii"].tolist()
    )


def test_neurokit_rri_values_and_times(rr):
    nk = pytest.importorskip("neurokit2")
    d = rr.hexo.to_neurokit()
    beats = hexoframe.clean_rr(rr)
    kept = beats[beats["keep"]]
    assert d["RRI"].tolist() == (kept["rr"] * 1000).tolist()
    back = T0 + pd.to_timedelta(d["RRI_Time"] * 1e9, unit="ns")
    assert back.equals(kept.index)  # seconds from the span start, exact to the tick
    theirs = nk.hrv_time(d).iloc[0]
    ours = hexoframe.hrv(rr, frequency=False)
    assert theirs["HRV_RMSSD"] == pytest.approx(ours["rmssd"], rel=1e-12)
    assert theirs["HRV_MeanNN"] == pytest.approx(ours["mean_nn"], rel=1e-12)


def test_mne_raw_in_volts_with_types_and_meas_date(ecg, tmp_path):
    mne = pytest.importorskip("mne")
    raw = hexoframe.to_mne(ecg)
    assert raw.ch_names == ["ecg_i", "ecg_ii"]
    assert raw.get_channel_types() == ["ecg", "ecg"]
    assert raw.info["sfreq"] == 256.0
    assert raw.info["meas_date"] == dt.datetime(2024, 5, 1, 10, tzinfo=dt.timezone.utc)
    mv = ecg.hexo.to_physical()
    assert np.allclose(raw.get_data() * 1e3, mv.to_numpy().T, rtol=1e-12, atol=0)
    times = raw.info["meas_date"] + pd.to_timedelta(raw.times, unit="s")
    assert np.array_equal(pd.DatetimeIndex(times).as_unit("ns").asi8, ecg.index.as_unit("ns").asi8)
    # and through a FIF file (stored as float32)
    path = tmp_path / "ecg_raw.fif"
    raw.save(path, verbose="error")
    back = mne.io.read_raw_fif(path, preload=True, verbose="error")
    assert back.info["meas_date"] == raw.info["meas_date"]
    assert back.get_channel_types() == ["ecg", "ecg"]
    assert np.allclose(back.get_data(), raw.get_data(), rtol=1e-6, atol=1e-9)


def test_mne_and_wfdb_refuse_mixed_rates(athlete_client):
    pytest.importorskip("mne")
    mixed = hexoframe.read_hexoskin(
        record=37700,
        datatypes=["ecg", "resp"],
        client=athlete_client,
        progress=False,
        start=SPAN["start"],
        end="2024-05-01T10:00:02Z",
    )
    with pytest.raises(InvalidQueryError, match="several rates"):
        hexoframe.to_mne(mixed)
    raw = hexoframe.to_mne(mixed, channels=["respiration_thoracic"])
    assert raw.get_channel_types() == ["resp"] and raw.info["sfreq"] == 128.0
    with pytest.raises(InvalidQueryError, match="event channel"):
        hexoframe.to_wfdb(mixed.assign(rr_interval=np.nan), channels=["rr_interval"])


def test_wfdb_record_round_trips_values_units_and_base_time(ecg, tmp_path):
    wfdb = pytest.importorskip("wfdb")
    rec = ecg.hexo.to_wfdb()
    assert rec.record_name == "hexoskin_37700"
    assert rec.units == ["mV", "mV"] and rec.fs == 256.0
    assert rec.adc_gain == [156.25, 156.25] and rec.baseline == [1360, 1360]
    rec.wrsamp(write_dir=str(tmp_path))
    back = wfdb.rdrecord(str(tmp_path / rec.record_name))
    assert back.base_date == dt.date(2024, 5, 1) and back.base_time == dt.time(10, 0)
    assert back.sig_name == ["ecg_i", "ecg_ii"] and back.units == ["mV", "mV"]
    assert back.fs == 256 and back.sig_len == 30 * 256
    assert np.allclose(back.p_signal, ecg.hexo.to_physical().to_numpy(), rtol=0, atol=1e-9)
    digital = wfdb.rdrecord(str(tmp_path / rec.record_name), physical=False)
    assert np.array_equal(digital.d_signal, ecg.hexo.convert("raw").to_numpy())


def test_wfdb_unsigned_respiration_and_acceleration(athlete_client, tmp_path):
    wfdb = pytest.importorskip("wfdb")
    span = {"start": SPAN["start"], "end": "2024-05-01T10:00:05Z"}
    resp = hexoframe.read_hexoskin(
        record=37700, datatypes=["resp"], client=athlete_client, progress=False, **span
    )
    acc = hexoframe.read_hexoskin(
        record=37700,
        datatypes=["acc_x", "acc_y", "acc_z"],
        client=athlete_client,
        progress=False,
        **span,
    )
    for frame, unit in ((resp, "mL"), (acc, "g")):
        rec = hexoframe.to_wfdb(frame, record_name="part")
        rec.wrsamp(write_dir=str(tmp_path))
        back = wfdb.rdrecord(str(tmp_path / "part"))
        assert set(back.units) == {unit}
        assert np.allclose(back.p_signal, frame.hexo.to_physical().to_numpy(), rtol=1e-9, atol=1e-9)
    with pytest.raises(InvalidQueryError, match="record names"):
        hexoframe.to_wfdb(acc, record_name="no spaces/please")
