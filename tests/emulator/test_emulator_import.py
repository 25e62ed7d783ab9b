"""Serving a real export (../shared fixture) through the emulator, bit for bit."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
from paths import EXPORT

from hexoframe.core import catalog
from hexoframe.emulator.dataview import render_data
from hexoframe.emulator.importer import export_bounds, open_export, record_bounds
from hexoframe.emulator.signals import make_source
from hexoframe.formats import binformats

START = 382085877327

pytestmark = pytest.mark.skipif(
    not EXPORT.is_dir(),
    reason=f"../shared fixtures not present ({EXPORT}); they live beside the repository",
)


def _file_channels():
    """Independent decoding of the export files (fixed 44-byte header, plain csv)."""
    out = {}
    for f in sorted(EXPORT.glob("*.wav")):
        dt = catalog.by_stem(f.stem)
        raw = np.fromfile(f, dtype="<i2" if dt.signed else "<u2", offset=44).astype(np.int64)
        ts = START + dt.first_offset + np.arange(len(raw)) * dt.step_ticks
        out[dt.id] = (ts, raw)
    for f in sorted(EXPORT.glob("*.csv")):
        dt = catalog.by_stem(f.stem)
        if dt is None:
            continue
        rows = [ln.split(",") for ln in f.read_text().splitlines()[1:]]
        rows = [r for r in rows if r[1] != "nan"]
        ts = np.array([START + int(float(r[0]) * 256) for r in rows], dtype=np.int64)
        assert all(float(r[0]) * 256 == int(float(r[0]) * 256) for r in rows)
        out[dt.id] = (ts, np.array([int(float(r[1])) for r in rows], dtype=np.int64))
    return out


@pytest.fixture(scope="module")
def files():
    return _file_channels()


def test_bounds():
    start, end, rid, user = export_bounds(EXPORT)
    assert (start, rid, user) == (START, 122445, 11136)
    # one tick past the latest sample (temperature_celcius has 130 end-stamped samples)
    assert end == START + 130 * 256 + 1
    assert record_bounds(EXPORT) == (rid, start, end)


def test_values_bit_identical_to_files(files):
    src = make_source(
        0, {"id": 122445, "user": 1511, "start": START, "end": 0, "import_path": str(EXPORT)}
    )
    assert src.start == START
    assert len(files) == 33
    for dt_id, (ts, raw) in files.items():
        got_ts, got = src.samples(dt_id, src.start, src.end)
        assert np.array_equal(got_ts, ts), catalog.lookup(dt_id).name
        assert np.array_equal(got, raw), catalog.lookup(dt_id).name
    # channels keep their own lengths; unsigned channels read unsigned
    assert len(src.samples("heart_rate", src.start, src.end)[0]) == 128
    assert len(src.samples("temperature_celcius", src.start, src.end)[0]) == 130
    assert src.samples("ppg", src.start, src.end)[1].max() > 32767
    assert src.samples("ecg_iii", src.start, src.end)[1].min() < 0
    # the position intervals' NaN markers are skipped
    assert src.samples("device_position", src.start, src.end)[1].tolist() == [4]
    # absent channels are empty
    assert src.samples("qrs", src.start, src.end)[0].size == 0


def test_mean_heart_rate_matches_server_statistics():
    src = open_export(EXPORT)
    _, hr = src.samples("heart_rate", src.start, src.end)
    stats = (EXPORT / "statistics.csv").read_text().splitlines()
    cols = stats[0].split(",")
    row = stats[2].split(",")
    assert hr.mean() == float(row[cols.index("heartrate_avg")])


def test_zip_export_equals_folder(tmp_path, files):
    archive = tmp_path / "record_122445.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in EXPORT.iterdir():
            if f.is_file():
                zf.write(f, f"record_122445/{f.name}")
    src = open_export(archive)
    assert (src.start, src.record_id) == (START, 122445)
    for dt_id, (ts, raw) in files.items():
        got_ts, got = src.samples(dt_id, src.start, src.end)
        assert np.array_equal(got_ts, ts) and np.array_equal(got, raw)


def test_binary_answer_reproduces_the_wav_files():
    src = open_export(EXPORT)
    dts = catalog.data_datatypes()
    _, _, body = render_data(
        [(1511, src, src.start, src.end)],
        dts,
        start=src.start,
        end=src.end,
        fmt="binary",
        flat=False,
        cap=65535,
        request_path="/api/v1/data/?record=122445",
    )
    zf = zipfile.ZipFile(io.BytesIO(body))
    folder = "record_122445/"  # the reference's layout: unzipping gives record_<id>/
    assert json.loads(zf.read(folder + "info.json"))["start"] == START
    for f in EXPORT.glob("*.wav"):
        assert zf.read(folder + f.name)[44:] == f.read_bytes()[44:], f.name
        rate, _ = binformats.read_wav(zf.read(folder + f.name), signed=True)
        assert rate == int.from_bytes(f.read_bytes()[24:28], "little")


def test_over_http(files, athlete_auth, hexoskin_emulator_factory):
    requests = pytest.importorskip("requests")

    auth = athlete_auth
    emu = hexoskin_emulator_factory(imports=[EXPORT])
    url = emu.url + "/api/v1/data/"
    rec = requests.get(emu.url + "/api/v1/record/122445/", auth=auth, timeout=30).json()
    assert (rec["start"], rec["end"]) == (START, START + 130 * 256 + 1)
    ids = ",".join(str(i) for i in files)
    r = requests.get(url, params={"datatype__in": ids, "record": 122445}, auth=auth, timeout=30)
    assert r.status_code == 200
    data = r.json()[0]["data"]
    for dt_id, (ts, raw) in files.items():
        dt = catalog.lookup(dt_id)
        pairs = data[str(dt_id)]
        assert [p[0] for p in pairs] == ts.tolist()
        assert [p[1] for p in pairs] == np.asarray(dt.to_api(raw)).tolist()
    r = requests.get(
        url,
        params={"datatype__in": ids, "record": 122445},
        auth=auth,
        headers={"Accept": "application/octet-stream"},
        timeout=30,
    )
    assert r.status_code == 200
    zf = zipfile.ZipFile(io.BytesIO(r.content))
    for f in EXPORT.glob("*.wav"):
        assert zf.read("record_122445/" + f.name)[44:] == f.read_bytes()[44:], f.name
    ts, val = binformats.read_hxd(zf.read("record_122445/RR_interval.hxd"))
    assert np.array_equal(ts, files[18][0]) and np.array_equal(val, files[18][1])
