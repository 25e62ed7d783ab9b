"""Decoders: JSON (fast path and fallback), CSV, WAV (sign, empty), hxd, zip."""

from __future__ import annotations

import io
import json
import struct
import zipfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hexoframe.core.catalog import lookup
from hexoframe.core.errors import ResponseError
from hexoframe.core.units import convert, raw_dtype
from hexoframe.data.decode import decode_csv, decode_json, decode_zip, read_hxd, read_wav


def wav(values: np.ndarray, rate: int, signed: bool = True) -> bytes:
    data = values.astype("<i2" if signed else "<u2").tobytes()
    return (
        b"RIFF"
        + struct.pack("<I", 36 + len(data))
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
        + b"data"
        + struct.pack("<I", len(data))
        + data
    )


@given(
    st.lists(
        st.tuples(
            st.integers(0, 2**50),
            st.one_of(
                st.none(),
                st.integers(-(2**31), 2**31),
                st.floats(allow_nan=False, allow_infinity=False, width=64),
            ),
        ),
        max_size=50,
    ),
    st.booleans(),
)
def test_json_fast_path_matches_json_module(pairs, spaced):
    doc = [{"data": {"19": [list(p) for p in pairs], "33": []}, "user": "/api/v1/user/7/"}]
    body = json.dumps(doc, separators=(", ", ": ") if spaced else (",", ":")).encode()
    got = decode_json(body)
    ticks, values = got[(7, 19)]
    assert ticks.dtype == np.int64 and ticks.tolist() == [p[0] for p in pairs]
    want = np.array([np.nan if v is None else v for _, v in pairs], dtype=np.float64)
    np.testing.assert_array_equal(values, want)
    assert got[(7, 33)][0].size == 0


def test_json_multi_user_indented_and_flat():
    doc = [
        {"user": "/api/v1/user/1/", "data": {"19": [[1, 2]], "33": [[1, 3]]}},
        {"data": {"19": [[5, 6], [7, 8]]}, "user": "/api/v1/user/2/"},
    ]
    for body in (json.dumps(doc), json.dumps(doc, indent=2)):
        got = decode_json(body.encode())
        assert got[(1, 19)][1].tolist() == [2.0] and got[(1, 33)][1].tolist() == [3.0]
        assert got[(2, 19)][0].tolist() == [5, 7]
    assert decode_json(b"[[1, 2.5], [3, null]]", datatype=19)[(None, 19)][0].tolist() == [1, 3]
    assert decode_json(b"[]", datatype=19)[(None, 19)][0].size == 0
    assert decode_json(b" [ ] ") == {}
    with pytest.raises(ResponseError):
        decode_json(b"<html>oops</html>")
    with pytest.raises(ResponseError):
        decode_json(b"[[1, 2], [3,", datatype=19)


def test_csv_outer_joined():
    body = b"user,timestamp,19,4113\n/api/v1/user/7/,0,,5\n/api/v1/user/7/,256,70,-3\n"
    got = decode_csv(body)
    assert got[(7, 19)][0].tolist() == [256] and got[(7, 4113)][1].tolist() == [5.0, -3.0]
    assert decode_csv(b"") == {}


def test_wav_sign_rate_empty_and_errors():
    rate, raw = read_wav(wav(np.array([40000, 5]), 128, signed=False), signed=False)
    assert rate == 128 and raw.dtype == np.uint16 and raw.tolist() == [40000, 5]
    assert read_wav(wav(np.array([40000]), 128, signed=False), signed=True)[1][0] == 40000 - 65536
    assert read_wav(wav(np.array([], dtype=int), 300))[1].size == 0
    with pytest.raises(ResponseError):
        read_wav(b"RIFF....WAVX")


def test_hxd_and_zip():
    raw = struct.pack("<QqQq", 10, 0, 20, -191)
    assert read_hxd(raw)[1].tolist() == [0, -191]
    with pytest.raises(ResponseError):
        read_hxd(raw[:-1])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("info.json", json.dumps({"start": 512}))
        z.writestr("ECG_I.wav", wav(np.array([1, 2]), 256))
        z.writestr("RR_interval.hxd", raw)
    got = decode_zip(buf.getvalue())
    assert got.info["start"] == 512 and set(got.wav) == {"ECG_I"}
    assert got.hxd["RR_interval"][0].tolist() == [10, 20]
    with pytest.raises(ResponseError):
        decode_zip(b"nope")


@pytest.mark.parametrize("name", ["ecg", "activity", "rr", "tidal_volume", "resp_thoracic"])
def test_units_identical_from_raw_and_api(name):
    dt = lookup(name)
    raw = np.array([0, 1, 17, 1000], dtype=raw_dtype(dt))
    api = raw.astype(float) * dt.api_scale
    for units in ("api", "raw", "physical"):
        a = convert(dt, raw, source="raw", units=units)
        b = convert(dt, api, source="api", units=units)
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


def test_decode_zip_reads_only_the_export_folder():
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("record_1/info.json", '{"start": 256}')
        z.writestr("record_1/RR_interval.csv", "time [s],RR_interval [s/256]\n1.0,0\n")
        z.writestr("record_1/matlab-converted/RR_interval.csv", "1.0,0.0\n")
        z.writestr("record_1/matlab-converted/ECG_I.csv", "0.0,1392.0\n")
        z.writestr("notes/readme.csv", "x\n")
    got = decode_zip(buf.getvalue())
    assert got.info == {"start": 256}
    assert list(got.csv) == ["RR_interval"]
    assert got.csv["RR_interval"].startswith(b"time [s]")
    assert got.wav == {} and got.hxd == {}
