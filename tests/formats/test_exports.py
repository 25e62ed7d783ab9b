"""read_export against the real dashboard export and its independent MATLAB decoding."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest
from paths import EXPORT

from hexoframe.core import catalog
from hexoframe.core.errors import ExportFormatError, InvalidQueryError
from hexoframe.formats.exports import open_export, read_export

MATLAB = EXPORT / "matlab-converted"

needs_fixture = pytest.mark.skipif(
    not EXPORT.is_dir(),
    reason=f"shared fixture folder {EXPORT} is absent (it sits beside the repository in CI "
    "and development checkouts, not in a fresh clone)",
)


@pytest.fixture(scope="module")
def export():
    return open_export(EXPORT)


@needs_fixture
def test_info_and_start(export):
    assert export.start == 382085877327
    assert export.user == 11136
    assert export.info["algo"]["record_id"] == 122445


@needs_fixture
@pytest.mark.parametrize(
    "path", sorted(MATLAB.glob("*.csv")) if MATLAB.is_dir() else [], ids=lambda p: p.stem
)
def test_matches_matlab_decoding(export, path):
    expected = np.loadtxt(path, delimiter=",")
    dt = catalog.by_stem(path.stem)
    assert dt is not None
    got_dt, ticks, raw = export.channels[dt.name]
    assert got_dt is dt
    seconds = (ticks - export.start) / 256
    np.testing.assert_array_equal(seconds, expected[:, 0])
    if dt.stem == "PPG":
        # MATLAB read PPG as signed int16, which is wrong: PPG is unsigned.
        assert raw.dtype == np.uint16
        np.testing.assert_array_equal(raw.astype(np.int16).astype(float), expected[:, 1])
        assert (raw.astype(float) != expected[:, 1]).any()
    else:
        np.testing.assert_array_equal(raw.astype(float), expected[:, 1])


@needs_fixture
def test_statistics_oracle():
    df = read_export(EXPORT, datatypes=["heart_rate", "breathing_rate"])
    stats = df.attrs["hexoskin"]["statistics"][0]
    assert df["heart_rate"].mean() == stats["heartrate_avg"] == 73.15625
    assert df["heart_rate"].min() == stats["heartrate_min"] == 49
    assert df["heart_rate"].max() == stats["heartrate_max"] == 92
    assert df["breathing_rate"].mean() == stats["breathingrate_avg"]
    assert df.attrs["hexoskin"]["statistics_units"]["heartrate_avg"] == "bpm"


@needs_fixture
def test_async_csv_exact_times(export):
    _, ticks, raw = export.channels["rr_interval"]
    assert ticks[0] - export.start == int(5.55859375 * 256)
    assert raw[0] == 0 and raw[1] == 191
    s = export.series("rr_interval")
    assert s.attrs["unit"] == "s" and s.iloc[1] == 191 / 256
    pos = export.series("device_position")
    assert np.isnan(pos.iloc[0]) and pos.iloc[1] == 4.0


@needs_fixture
def test_read_export_shapes_and_units(tmp_path):
    df = read_export(EXPORT)
    assert isinstance(df.index, pd.DatetimeIndex) and str(df.index.tz) == "UTC"
    assert df.index.name == "time"
    assert df["ecg_i"].count() == 33024 and df["heart_rate"].count() == 128
    assert df.index[0] == pd.Timestamp("2017-04-18 13:42:38.308593750", tz="UTC")
    phys = read_export(EXPORT, datatypes="ecg_i", units="physical", how="dict")["ecg_i"]
    assert phys.iloc[0] == pytest.approx((1392 - 1360) * 0.0064)
    assert phys.attrs["unit"] == "mV"
    raw = read_export(EXPORT, datatypes="respiration_thoracic", units="raw", how="dict")
    assert raw["respiration_thoracic"].dtype == np.uint16
    long = read_export(EXPORT, datatypes=["hr", "br"], how="long")
    assert list(long.columns) == ["time", "datatype", "value"] and len(long) == 128 + 129
    # the same export zipped reads the same
    archive = tmp_path / "record_122445.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in EXPORT.iterdir():
            if f.is_file():
                z.write(f, f"record_122445/{f.name}")
    pd.testing.assert_frame_equal(read_export(archive), df)


def test_start_timestamp_variant_and_errors(tmp_path):
    buf = io.BytesIO()
    wav = (
        b"RIFF"
        + (36 + 4).to_bytes(4, "little")
        + b"WAVEfmt "
        + (16).to_bytes(4, "little")
        + bytes.fromhex("0100 0100 01000000 02000000 0200 1000".replace(" ", ""))
        + b"data"
        + (4).to_bytes(4, "little")
        + (70).to_bytes(2, "little")
        + (71).to_bytes(2, "little")
    )
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("info.json", json.dumps({"start_timestamp": 1000, "user": 5}))
        z.writestr("heart_rate.wav", wav)
        z.writestr("RR_interval.csv", "time [s],RR_interval [s/256](/api/datatype/18/)\n")
    df = read_export(buf.getvalue(), how="dict")
    assert df["heart_rate"].index.asi8.tolist() == [(1000 + 256) * 3906250, (1000 + 512) * 3906250]
    assert len(df["rr_interval"]) == 0
    with pytest.raises(InvalidQueryError, match="no ecg_i"):
        read_export(buf.getvalue(), datatypes="ecg")
    with pytest.raises(InvalidQueryError):
        read_export(tmp_path / "missing.zip")
    with pytest.raises(ExportFormatError, match="not a zip"):
        read_export(b"not a zip")
