"""Deterministic physiology of the emulator: convention, determinism, locality, consistency."""

from __future__ import annotations

import numpy as np
import pytest

from hexoframe.core import catalog
from hexoframe.emulator import physiology as ph
from hexoframe.emulator.signals import make_source

START = 1714557600 * 256  # 2024-05-01T10:00Z
HOUR = 3600 * 256
DATA_TYPES = catalog.data_datatypes()


def _record(rec_id: int = 37700, hours: float = 1.0, user: int = 1511) -> dict:
    return {"id": rec_id, "user": user, "start": START, "end": START + int(hours * HOUR)}


@pytest.fixture(scope="module")
def src():
    return make_source(0, _record())


@pytest.mark.parametrize("dt", [d for d in DATA_TYPES if not d.is_async], ids=lambda d: d.name)
def test_sync_grid_follows_record_convention(src, dt):
    ts, raw = src.samples(dt, src.start, src.end)
    expected = catalog.sample_ticks(dt, src.start, src.end)
    assert ts.dtype == np.int64 and raw.dtype == np.int64
    assert np.array_equal(ts, expected)
    assert len(raw) == catalog.sample_count(dt, src.start, src.end) > 0
    lo, hi = (-32768, 32767) if dt.signed else (0, 65535)
    assert raw.min() >= lo and raw.max() <= hi


@pytest.mark.parametrize("dt", [d for d in DATA_TYPES if d.is_async], ids=lambda d: d.name)
def test_async_events_inside_record_and_sorted(src, dt):
    ts, raw = src.samples(dt, src.start, src.end)
    assert len(ts) == len(raw) > 0
    assert ts.min() >= src.start and ts.max() < src.end
    assert np.all(np.diff(ts) > 0)


def test_annotation_datatypes_are_empty(src):
    for key in (208, 209, 4096):
        ts, raw = src.samples(key, src.start, src.end)
        assert ts.size == 0 and raw.size == 0


@pytest.mark.parametrize("dt", DATA_TYPES, ids=lambda d: d.name)
def test_window_independence(src, dt):
    cut = src.start + 1800 * 256 + 3  # off every grid
    a = src.samples(dt, src.start, cut)
    b = src.samples(dt, cut, src.end)
    whole = src.samples(dt, src.start, src.end)
    assert np.array_equal(np.concatenate([a[0], b[0]]), whole[0])
    assert np.array_equal(np.concatenate([a[1], b[1]]), whole[1])


@pytest.mark.parametrize("name", ["ecg_ii", "respiration_thoracic", "rr_interval", "step"])
def test_small_windows_agree_with_large(src, name):
    whole_ts, whole = src.samples(name, src.start, src.end)
    for lo in (src.start + 12345, src.start + 2000 * 256 + 1):
        ts, raw = src.samples(name, lo, lo + 777)
        m = (whole_ts >= lo) & (whole_ts < lo + 777)
        assert np.array_equal(ts, whole_ts[m]) and np.array_equal(raw, whole[m])


def test_same_seed_same_data_other_seed_other_data():
    a = make_source(0, _record())
    b = make_source(0, dict(_record()))
    c = make_source(1, _record())
    win = (START, START + 60 * 256)
    assert np.array_equal(a.samples(4113, *win)[1], b.samples(4113, *win)[1])
    assert not np.array_equal(a.samples(4113, *win)[1], c.samples(4113, *win)[1])
    assert not np.array_equal(a.samples(18, *win)[1], c.samples(18, *win)[1])


def test_rr_equals_differences_of_beat_times(src):
    qts, _ = src.samples("qrs", src.start, src.end)
    rts, rr = src.samples("rr_interval", src.start, src.end)
    assert np.array_equal(qts, rts)
    assert rr[0] == 0  # first beat of the record
    assert np.array_equal(rr[1:], np.diff(rts))
    nts, nn = src.samples("nn_interval", src.start, src.end)
    qts2, qual = src.samples("rr_interval_quality", src.start, src.end)
    good = (qual == 0) & (rr > 0)
    assert np.array_equal(nts, rts[good]) and np.array_equal(nn, rr[good])
    assert 0.9 < good.mean() < 1.0


def test_heart_rate_matches_rr(src):
    hts, hr = src.samples("heart_rate", src.start, src.end)
    rts, rr = src.samples("rr_interval", src.start, src.end)
    valid = rr > 0
    rts, rr = rts[valid], rr[valid]
    checked = 0
    for t, h in zip(hts.tolist(), hr.tolist(), strict=True):
        m = (rts >= t - 256) & (rts < t)
        if m.any():
            assert abs(h - 60 * 256 / rr[m].mean()) <= 0.5 + 1e-9
            checked += 1
    assert checked > 3000
    assert 40 <= hr.min() and hr.max() <= 200


def test_ventilation_is_tidal_volume_times_breathing_rate(src):
    _, br = src.samples("breathing_rate", src.start, src.end)
    _, tv = src.samples("tidal_volume", src.start, src.end)
    _, mv = src.samples("minute_ventilation", src.start, src.end)
    _, tva = src.samples("tidal_volume_adjusted", src.start, src.end)
    _, mva = src.samples("minute_ventilation_adjusted", src.start, src.end)
    tv_ml = tv * 13.28
    mv_ml = mv * 13.28
    assert np.all(np.abs(mv_ml - tv_ml * br) <= 0.04 * mv_ml + 13.28 * 0.5 * (br + 2))
    assert np.all(np.abs(tva - tv_ml) <= 13.28 / 2 + 0.5)  # both rounded
    assert np.all(np.abs(mva * 10 - mv_ml) <= 13.28 / 2 + 5)
    assert 6 <= br.min() and br.max() <= 45


def test_breaths_match_breathing_rate(src):
    its, _ = src.samples("inspiration", src.start, src.end)
    ets, _ = src.samples("expiration", src.start, src.end)
    _, br = src.samples("breathing_rate", src.start, src.end)
    assert abs(len(its) - br.mean() * 60) < 0.02 * len(its) + 2
    assert abs(len(its) - len(ets)) <= 1


def test_cadence_matches_steps(src):
    sts, steps = src.samples("step", src.start, src.end)
    _, cad = src.samples("cadence", src.start, src.end)
    assert np.array_equal(steps, np.arange(1, len(steps) + 1))  # cumulative count
    assert abs(len(steps) - cad.sum() / 60) < 0.01 * len(steps) + 3
    # per minute
    minute = (sts - src.start) // (60 * 256)
    per_min = np.bincount(minute, minlength=60)[:59]
    cad_min = cad[: 59 * 60].reshape(59, 60).mean(axis=1)
    assert np.all(np.abs(per_min - cad_min) <= 0.05 * cad_min + 3)


def test_activity_follows_walking(src):
    _, cad = src.samples("cadence", src.start, src.end)
    _, act = src.samples("activity", src.start, src.end)
    walking = cad > 90
    still = cad == 0
    assert walking.any() and still.any()
    assert act[walking].mean() > 5 * act[still].mean()


def test_ecg_beats_at_qrs_and_physical_range(src):
    ts, ecg = src.samples("ecg_ii", src.start, src.start + 60 * 256)
    qts, _ = src.samples("qrs", src.start, src.start + 60 * 256)
    mv = (ecg - 1360) * 0.0064
    assert -1.5 < mv.min() and mv.max() < 3.0
    peaks = ecg[(qts - src.start)]
    assert np.all(peaks > np.median(ecg) + 100)


def test_hrv_channels_from_nn(src):
    ts, ann = src.samples("ann", src.start, src.end)
    assert len(ts) == 11  # end-stamped: the 12th would sit at the record end
    nts, nn = src.samples("nn_interval", src.start, src.end)
    block = (ts[0] - 300 * 256, ts[0])
    m = (nts >= block[0]) & (nts < block[1])
    assert ann[0] == round(nn[m].mean() * 16)
    _, lfn = src.samples("hrv_lf_normalized", src.start, src.end)
    assert np.all((lfn >= 0) & (lfn <= 100))


def test_week_record_is_lazy_and_windows_are_cheap():
    import time

    t0 = time.perf_counter()
    src = make_source(0, _record(37702, hours=24 * 7))
    ts, raw = src.samples(4113, src.end - 10 * 256, src.end)
    assert len(ts) == 2560
    assert time.perf_counter() - t0 < 2.0


def test_sleep_at_night_changes_posture_and_heart_rate():
    day0 = 1714608000 * 256  # 2024-05-02T00:00Z
    src = make_source(0, {"id": 37701, "user": 1511, "start": day0, "end": day0 + 24 * HOUR})
    _, hr = src.samples("heart_rate", day0, day0 + 24 * HOUR)
    night = hr[: 5 * 3600].mean()
    day = hr[12 * 3600 : 17 * 3600].mean()
    assert night < day
    pts, pos = src.samples("sleep_position", day0, day0 + 24 * HOUR)
    assert set(pos[:3].tolist()) <= {ph.POS_SUPINE, ph.POS_PRONE, ph.POS_LEFT, ph.POS_RIGHT}


try:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover
    given = None

if given is not None:
    _NAMES = [d.name for d in DATA_TYPES if d.freq is None or d.freq >= 1]

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        name=st.sampled_from(_NAMES),
        lo=st.integers(-5000, HOUR),
        width=st.integers(0, 40 * 256),
        cut=st.floats(0, 1),
    )
    def test_any_split_of_any_window_agrees(name, lo, width, cut):
        src = make_source(0, _record())
        a, b = START + lo, START + lo + width
        m = a + int(cut * width)
        whole = src.samples(name, a, b)
        left, right = src.samples(name, a, m), src.samples(name, m, b)
        assert np.array_equal(np.concatenate([left[0], right[0]]), whole[0])
        assert np.array_equal(np.concatenate([left[1], right[1]]), whole[1])
        assert np.all((whole[0] >= max(a, START)) & (whole[0] < min(b, START + HOUR)))
