"""The data endpoint's formats (JSON, CSV, binary zip) rendered by the emulator."""

from __future__ import annotations

import io
import json
import struct
import zipfile

import numpy as np
import pytest

from hexoframe.core import catalog
from hexoframe.emulator.dataview import DataQueryError, render_data, subsample
from hexoframe.emulator.signals import make_source
from hexoframe.emulator.store import DEMO_USERS
from hexoframe.formats import binformats

START = 1714557600 * 256
HOUR = 3600 * 256
USER = 1511


def _src(seed: int = 0, rec: int = 37700, user: int = USER, start: int = START, hours=1.0):
    return make_source(
        seed, {"id": rec, "user": user, "start": start, "end": start + int(hours * HOUR)}
    )


def _render(segments, dts, start, end, fmt, flat=False, cap=65535):
    status, headers, body = render_data(
        segments,
        dts,
        start=start,
        end=end,
        fmt=fmt,
        flat=flat,
        cap=cap,
        request_path="/api/v1/data/?x=1",
    )
    assert status == 200
    return headers, body


def _seg(src, user=USER):
    return [(user, src, src.start, src.end)]


def _decode_json(body):
    out = {}
    for obj in json.loads(body):
        uid = int(obj["user"].rstrip("/").rsplit("/", 1)[1])
        for key, pairs in obj["data"].items():
            arr = np.array(pairs, dtype=object).reshape(-1, 2)
            out[(uid, int(key))] = (arr[:, 0].astype(np.int64), arr[:, 1])
    return out


def _decode_csv(body):
    lines = body.decode().splitlines()
    head = lines[0].split(",")
    assert head[:2] == ["user", "timestamp"]
    ids = [int(h) for h in head[2:]]
    out = {}
    rows = [ln.split(",") for ln in lines[1:]]
    for j, dt_id in enumerate(ids):
        for r in rows:
            if r[2 + j] != "":
                out.setdefault((int(r[0]), dt_id), []).append((int(r[1]), r[2 + j]))
    return out, rows


def _decode_zip(body):
    zf = zipfile.ZipFile(io.BytesIO(body))
    info = json.loads(zf.read("info.json"))
    out = {}
    for name in zf.namelist():
        if name == "info.json":
            continue
        stem, ext = name.rsplit(".", 1)
        dt = catalog.by_stem(stem)
        data = zf.read(name)
        if ext == "wav":
            rate, raw = binformats.read_wav(data, signed=dt.signed)
            assert rate == binformats.rate_field(dt.freq)
            assert len(data) == 44 + 2 * len(raw)
            first = info["start"] + (dt.step_ticks if dt.end_stamped else 0)
            ts = first + np.arange(len(raw), dtype=np.int64) * dt.step_ticks
        else:
            ts, raw = binformats.read_hxd(data)
        out[dt.id] = (ts, raw)
    return info, out


MIXED = [19, 33, 36, 49, 18, 1004, 4129, 271, 52]


def test_json_shape_and_values():
    src = _src()
    _, body = _render(_seg(src), [19, 49, 18], START, START + 600 * 256, "json")
    doc = json.loads(body)
    assert isinstance(doc, list) and len(doc) == 1
    assert doc[0]["user"] == "/api/v1/user/1511/"
    assert list(doc[0]["data"]) == ["19", "49", "18"]
    hr = doc[0]["data"]["19"]
    assert hr[0][0] == START + 256 and all(isinstance(v, int) for _, v in hr)
    ts, raw = src.samples(49, START, START + 600 * 256)
    act = doc[0]["data"]["49"]
    assert [p[0] for p in act] == ts.tolist()
    assert [p[1] for p in act] == (raw * (1 / 256)).tolist()
    assert all(isinstance(v, float) for _, v in act)


def test_json_flat_single_datatype():
    src = _src()
    _, body = _render(_seg(src), [19], START, START + 10 * 256, "json", flat=True)
    assert json.loads(body) == [
        list(p)
        for p in zip(*[a.tolist() for a in src.samples(19, START, START + 10 * 256)], strict=True)
    ]
    with pytest.raises(DataQueryError) as err:
        render_data(
            _seg(src),
            [19, 33],
            start=START,
            end=START + 2560,
            fmt="json",
            flat=True,
            cap=65535,
            request_path="",
        )
    assert err.value.status == 400


def test_deterministic_bytes_across_sources_and_seeds():
    win = (START, START + 120 * 256)
    for fmt in ("json", "csv", "binary"):
        a = _render(_seg(_src(0)), MIXED + [4113], *win, fmt)[1]
        b = _render(_seg(_src(0)), MIXED + [4113], *win, fmt)[1]
        c = _render(_seg(_src(1)), MIXED + [4113], *win, fmt)[1]
        assert a == b
        assert a != c


def test_cap_subsamples_json_evenly_and_binary_stays_full():
    src = _src()
    win = (START, START + 300 * 256)
    _, body = _render(_seg(src), [4113], *win, "json")
    pairs = json.loads(body)[0]["data"]["4113"]
    n = 300 * 256
    k = -(-n // 65535)
    assert len(pairs) == -(-n // k) <= 65535
    ts = np.array([p[0] for p in pairs])
    assert np.all(np.diff(ts) == k)
    full_ts, full = src.samples(4113, *win)
    assert [p[1] for p in pairs] == full[::k].tolist()
    _, zbody = _render(_seg(src), [4113], *win, "binary")
    _, dec = _decode_zip(zbody)
    assert np.array_equal(dec[4113][0], full_ts) and np.array_equal(dec[4113][1], full)
    # below the cap nothing is dropped
    _, body = _render(_seg(src), [4113], START, START + 255 * 256, "json")
    assert len(json.loads(body)[0]["data"]["4113"]) == 255 * 256


def test_subsample_rule():
    ts = np.arange(131071)
    s, _ = subsample(ts, ts, 65535)
    assert len(s) == 43691 and s[1] == 3
    s, _ = subsample(ts[:65535], ts[:65535], 65535)
    assert len(s) == 65535


@pytest.mark.parametrize("win_s", [(0, 500), (37, 480)])
def test_json_csv_binary_carry_the_same_values(win_s):
    src = _src()
    lo, hi = START + win_s[0] * 256, START + win_s[1] * 256
    dts = catalog.resolve(MIXED)
    _, jbody = _render(_seg(src), dts, lo, hi, "json")
    _, cbody = _render(_seg(src), dts, lo, hi, "csv")
    jdec = _decode_json(jbody)
    cdec, rows = _decode_csv(cbody)
    keys = [(int(r[0]), int(r[1])) for r in rows]
    assert keys == sorted(set(keys))
    _, zbody = _render(
        _seg(src),
        [d for d in dts if d.is_async or (lo - START) % d.step_ticks == 0],
        lo,
        hi,
        "binary",
    )
    info, zdec = _decode_zip(zbody)
    assert info["start"] == lo and info["user"] == USER
    for dt in dts:
        ts, raw = src.samples(dt, lo, hi)
        jts, jval = jdec[(USER, dt.id)]
        assert np.array_equal(jts, ts)
        api = dt.to_api(raw)
        assert list(jval) == np.asarray(api).tolist()
        cpairs = cdec.get((USER, dt.id), [])
        assert [t for t, _ in cpairs] == ts.tolist()
        conv = int if dt.api_scale == 1 else float
        assert [conv(v) for _, v in cpairs] == np.asarray(api).tolist()
        if dt.id in zdec:
            zts, zraw = zdec[dt.id]
            if dt.end_stamped:  # the interval-start rule: intervals starting in [lo, hi)
                ts, raw = src.samples(dt, lo + dt.step_ticks, hi + dt.step_ticks)
            assert np.array_equal(zts, ts) and np.array_equal(zraw, raw)
            assert np.asarray(dt.to_api(zraw)).tolist() == np.asarray(dt.to_api(raw)).tolist()


def test_binary_layout():
    src = _src()
    dts = catalog.data_datatypes()
    _, body = _render(_seg(src), dts, START, START + 900 * 256, "binary")
    zf = zipfile.ZipFile(io.BytesIO(body))
    names = zf.namelist()
    assert names[0] == "info.json"
    for dt in dts:
        assert f"{dt.stem}.{'hxd' if dt.is_async else 'wav'}" in names
    info = json.loads(zf.read("info.json"))
    assert info["start"] == START and info["timestamp"] == START / 256
    assert info["start_date"] == "2024-05-01T10:00:00.000000"
    assert info["request"] == "/api/v1/data/?x=1"
    wav = zf.read("ECG_I.wav")
    riff, size, wave, fmt, fsz, pcm, ch, rate, brate, align, bits, data, dsz = struct.unpack(
        "<4sI4s4sIHHIIHH4sI", wav[:44]
    )
    assert (riff, wave, fmt, data) == (b"RIFF", b"WAVE", b"fmt ", b"data")
    assert (pcm, ch, rate, bits, dsz) == (1, 1, 256, 16, 900 * 256 * 2)
    assert struct.unpack("<I", zf.read("ANN.wav")[24:28])[0] == 300
    hxd = zf.read("RR_interval.hxd")
    assert len(hxd) % 16 == 0
    t0, v0 = struct.unpack("<Qq", hxd[:16])
    assert v0 == 0 and START <= t0 < START + 2 * 256


def test_window_independence_over_formats():
    src = _src()
    for dt, span in ((4113, 250 * 256), (19, 3000 * 256), (18, 3000 * 256), (52, 3000 * 256)):
        mid = START + span // 2 + 1
        _, a = _render(_seg(src), [dt], START, mid, "json")
        _, b = _render(_seg(src), [dt], mid, START + span, "json")
        _, w = _render(_seg(src), [dt], START, START + span, "json")
        pa, pb, pw = (json.loads(x)[0]["data"][str(dt)] for x in (a, b, w))
        assert pa + pb == pw


def test_binary_refuses_multi_user_and_off_grid():
    a, b = _src(user=1), _src(user=2, rec=2)
    with pytest.raises(DataQueryError) as err:
        render_data(
            [(1, a, a.start, a.end), (2, b, b.start, b.end)],
            [19],
            start=START,
            end=START + 2560,
            fmt="binary",
            flat=False,
            cap=0,
            request_path="",
        )
    assert err.value.status == 400
    with pytest.raises(DataQueryError) as err:
        render_data(
            _seg(a, 1),
            [19],
            start=START + 3,
            end=START + 2560,
            fmt="binary",
            flat=False,
            cap=0,
            request_path="",
        )
    assert err.value.status == 400 and "grid" in err.value.message


def test_multi_user_json_and_csv():
    a, b = _src(user=1), _src(user=2, rec=2)
    segs = [(1, a, a.start, a.end), (2, b, b.start, b.end)]
    _, body = _render(segs, [19], START, START + 10 * 256, "json")
    doc = json.loads(body)
    assert [o["user"] for o in doc] == ["/api/v1/user/1/", "/api/v1/user/2/"]
    _, body = _render(segs, [19], START, START + 10 * 256, "csv")
    rows = body.decode().splitlines()[1:]
    assert [r.split(",")[0] for r in rows] == ["1"] * 9 + ["2"] * 9


def test_unknown_datatype_and_format_are_400():
    src = _src()
    for dts, fmt in (([999999], "json"), ([19], "xml")):
        with pytest.raises(DataQueryError) as err:
            render_data(
                _seg(src),
                dts,
                start=START,
                end=START + 256,
                fmt=fmt,
                flat=False,
                cap=0,
                request_path="",
            )
        assert err.value.status == 400


def test_json_is_fast():
    import time

    src = _src()
    win = (START, START + 255 * 256)  # 65280 ECG points
    _render(_seg(src), [4113], *win, "json")
    t0 = time.perf_counter()
    for _ in range(5):
        _render(_seg(src), [4113], *win, "json")
    assert (time.perf_counter() - t0) / 5 < 0.1


# ---------------------------------------------------------------------------------------
# over real HTTP
#: The demo athlete, from the emulator's own table (what ``hexoskin_users`` holds).
AUTH = (DEMO_USERS["athlete"]["email"], DEMO_USERS["athlete"]["password"])
BIN = {"Accept": "application/octet-stream"}


def _http(emu, params, headers=None):
    requests = pytest.importorskip("requests")
    r = requests.get(
        emu.url + "/api/v1/data/", params=params, auth=AUTH, headers=headers or {}, timeout=120
    )
    assert r.status_code == 200, r.text[:300]
    return r


def test_http_formats_agree(hexoskin_emulator):
    src = _src()
    lo, hi = START + 600 * 256, START + 1000 * 256  # on every grid (HRV: 300 s)
    dts = catalog.resolve(MIXED)
    params = {
        "datatype__in": ",".join(str(d.id) for d in dts),
        "start": lo,
        "end": hi,
        "user": USER,
    }
    jdec = _decode_json(_http(hexoskin_emulator, params).content)
    r = _http(hexoskin_emulator, params, {"Accept": "text/csv"})
    assert r.headers["Content-Type"].startswith("text/csv")
    cdec, _ = _decode_csv(r.content)
    r = _http(hexoskin_emulator, params, BIN)
    info, zdec = _decode_zip(r.content)
    assert info["start"] == lo and info["user"] == USER
    for dt in dts:
        ts, raw = src.samples(dt, lo, hi)
        api = np.asarray(dt.to_api(raw)).tolist()
        jts, jval = jdec[(USER, dt.id)]
        assert jts.tolist() == ts.tolist() and list(jval) == api
        conv = int if dt.api_scale == 1 else float
        assert [conv(v) for _, v in cdec.get((USER, dt.id), [])] == api
        zts, zraw = zdec[dt.id]
        if dt.end_stamped:
            ts, raw = src.samples(dt, lo + dt.step_ticks, hi + dt.step_ticks)
        assert zts.tolist() == ts.tolist() and zraw.tolist() == raw.tolist()
        assert np.asarray(dt.to_api(zraw)).tolist() == np.asarray(dt.to_api(raw)).tolist()


def test_http_cap_and_full_binary(hexoskin_emulator):
    params = {"datatype": 4113, "start": START, "end": START + 300 * 256, "user": USER}
    pairs = _http(hexoskin_emulator, params).json()[0]["data"]["4113"]
    assert len(pairs) == 38400 <= 65535
    assert set(np.diff([p[0] for p in pairs]).tolist()) == {2}
    _, zdec = _decode_zip(_http(hexoskin_emulator, params, BIN).content)
    assert len(zdec[4113][0]) == 300 * 256
    assert zdec[4113][1][::2].tolist() == [p[1] for p in pairs]
    whole = _http(hexoskin_emulator, {"datatype": 19, "record": 37700}).json()
    assert len(whole[0]["data"]["19"]) == catalog.sample_count(
        catalog.lookup(19), START, START + HOUR
    )


def test_http_same_seed_same_bytes_other_seed_other_bytes(hexoskin_emulator_factory):

    params = {
        "datatype__in": "4113,19,18,49",
        "start": START,
        "end": START + 120 * 256,
        "user": USER,
    }
    bodies = []
    for seed in (0, 0, 5):
        emu = hexoskin_emulator_factory(seed=seed)
        bodies.append((_http(emu, params).content, _http(emu, params, BIN).content))
    assert bodies[0] == bodies[1]
    assert bodies[0][0] != bodies[2][0] and bodies[0][1] != bodies[2][1]


def test_http_window_independence(hexoskin_emulator):
    for dt in (4129, 18):
        mid = START + 100 * 256 + 3
        parts = [
            _http(
                hexoskin_emulator, {"datatype": dt, "start": a, "end": b, "user": USER, "flat": 1}
            ).json()
            for a, b in ((START, mid), (mid, START + 400 * 256), (START, START + 400 * 256))
        ]
        assert parts[0] + parts[1] == parts[2]


def test_json_without_orjson_is_identical(monkeypatch):
    from hexoframe.emulator import dataview

    src = _src()
    args = (_seg(src), [49, 4113, 36, 18], START, START + 200 * 256, "json")
    fast = _render(*args)[1]
    monkeypatch.setattr(dataview, "_orjson", None)
    assert _render(*args)[1] == fast


@pytest.mark.parametrize("cap", [65535, 1000, 7])
def test_capped_collection_equals_subsampled_full(cap):
    from hexoframe.emulator.dataview import collect, collect_capped

    a = _src()
    b = make_source(0, {"id": 37799, "user": USER, "start": a.end, "end": a.end + HOUR // 2})
    segs = [(USER, a, a.start + 1001, a.end), (USER, b, b.start, b.end)]
    lo, hi = a.start + 777, b.end - 333
    for dt in catalog.data_datatypes():
        if dt.kind == "annotation":
            continue
        full = collect(segs, dt, lo, hi)[USER]
        want = subsample(full[0], full[1], cap)
        got = collect_capped(segs, dt, lo, hi, cap)[USER]
        assert np.array_equal(got[0], want[0]), dt.name
        assert np.array_equal(got[1], want[1]), dt.name


def test_week_of_ecg_as_json_is_cheap():
    import time

    src = _src(rec=37702, hours=24 * 7)
    t0 = time.perf_counter()
    _, body = _render(_seg(src), [4113], src.start, src.end, "json")
    assert time.perf_counter() - t0 < 5
    pairs = json.loads(body)[0]["data"]["4113"]
    k = -(-(7 * 86400 * 256) // 65535)
    assert len(pairs) == -(-(7 * 86400 * 256) // k) and pairs[1][0] - pairs[0][0] == k
    ts, raw = src.samples(4113, pairs[-1][0], pairs[-1][0] + 1)
    assert pairs[-1][1] == raw[0]


def test_binary_across_adjacent_records_and_gaps():
    a = _src()
    b = make_source(0, {"id": 37799, "user": USER, "start": a.end, "end": a.end + HOUR})
    segs = [(USER, a, a.start, a.end), (USER, b, b.start, b.end)]
    _, body = _render(segs, [4129, 4113, 18], a.start, b.end, "binary")
    _, dec = _decode_zip(body)
    for dt in (4129, 4113, 18):
        want = [np.concatenate([x.samples(dt, x.start, x.end)[i] for x in (a, b)]) for i in (0, 1)]
        assert np.array_equal(dec[dt][0], want[0]) and np.array_equal(dec[dt][1], want[1])
    # an end-stamped channel has no sample for a record's last second: a one-sample gap
    c = make_source(0, {"id": 37798, "user": USER, "start": b.end + 600 * 256, "end": b.end + HOUR})
    for dts, more in (([19], []), ([4113], [(USER, c, c.start, c.end)])):
        with pytest.raises(DataQueryError) as err:
            render_data(
                segs + more,
                dts,
                start=a.start,
                end=c.end,
                fmt="binary",
                flat=False,
                cap=0,
                request_path="",
            )
        assert err.value.status == 400 and "gap" in err.value.message
