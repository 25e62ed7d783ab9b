"""HRV from RR intervals, through the public API, against the emulator, textbook
definitions written out here, neurokit2, the emulator's own HRV channels and a real export."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from paths import EXPORT

import hexoframe
from hexoframe.analysis import frequency_domain, time_domain
from hexoframe.core.errors import InvalidQueryError

needs_export = pytest.mark.skipif(
    not EXPORT.is_dir(), reason=f"real export absent ({EXPORT}); it lives in ../shared"
)
TEN_MIN = {"start": "2024-05-01T10:00:00Z", "end": "2024-05-01T10:10:00Z"}


@pytest.fixture(scope="module")
def rr10(athlete_client):
    """Ten minutes of RR intervals with their quality (record 37700)."""
    return hexoframe.read_hexoskin(
        record=37700,
        datatypes=["rr", "rr_quality"],
        client=athlete_client,
        progress=False,
        **TEN_MIN,
    )


@pytest.fixture(scope="module")
def record_hour(athlete_client):
    """The whole 1-hour record 37700: RR, quality, NN and the service's HRV channels."""
    rr = hexoframe.read_hexoskin(
        record=37700, datatypes=["rr", "rr_quality"], client=athlete_client, progress=False
    )
    nn = hexoframe.read_hexoskin(
        record=37700, datatypes=["nn"], client=athlete_client, progress=False
    )
    svc = hexoframe.read_hexoskin(
        record=37700,
        datatypes=["ann", "sdnn", "rmssd", "hrv_lf", "hrv_hf", "hrv_lf_normalized"],
        client=athlete_client,
        progress=False,
    )
    return rr, nn, svc


def _textbook(nn_ms: list[float], follows: list[bool]) -> dict[str, float]:
    """Task Force (1996) definitions, written out with plain loops."""
    n = len(nn_ms)
    mean = sum(nn_ms) / n
    sdnn = math.sqrt(sum((x - mean) ** 2 for x in nn_ms) / (n - 1))
    diffs = [nn_ms[i] - nn_ms[i - 1] for i in range(1, n) if follows[i]]
    rmssd = math.sqrt(sum(d * d for d in diffs) / len(diffs))
    nn50 = sum(1 for d in diffs if abs(d) > 50.0)
    return {
        "n_nn": n,
        "mean_nn": mean,
        "sdnn": sdnn,
        "rmssd": rmssd,
        "pnn50": 100.0 * nn50 / n,
        "mean_hr": 60000.0 / mean,
    }


def test_cleaning_drops_the_leading_zero_flagged_and_impossible_beats(rr10):
    beats = hexoframe.clean_rr(rr10)
    raw = rr10["rr_interval"].dropna()
    qual = rr10["rr_interval_quality"].dropna()
    assert len(beats) == len(raw)
    # the record's first beat: 0 s, quality 0x80, dropped as "first"
    assert beats["rr"].iloc[0] == 0.0 and beats["quality"].iloc[0] == 0x80
    assert beats["reason"].iloc[0] == "first"
    flagged = (qual.to_numpy() != 0) & (raw.to_numpy() > 0)
    assert (beats["reason"] == "flagged").to_numpy().tolist() == flagged.tolist()
    assert int(flagged.sum()) > 0
    assert beats["keep"].sum() == len(raw) - 1 - int(flagged.sum())
    # a beat is "successive" exactly when it and the beat before it are kept
    keep = beats["keep"].to_numpy()
    assert beats["successive"].to_numpy()[1:].tolist() == (keep[1:] & keep[:-1]).tolist()
    # impossible intervals are dropped by value
    tight = hexoframe.clean_rr(rr10, min_rr=0.6, max_rr=0.9)
    vals = tight["rr"].to_numpy()
    assert set(tight["reason"][(vals > 0) & (vals < 0.6) & (tight["quality"] == 0)]) == {
        "too_short"
    }
    assert set(tight["reason"][(vals > 0.9) & (tight["quality"] == 0)]) <= {"too_long"}
    assert (tight["reason"] == "too_short").sum() > 0


def test_time_domain_equals_the_textbook_definitions(rr10):
    beats = hexoframe.clean_rr(rr10)
    kept = beats[beats["keep"]]
    expected = _textbook((kept["rr"] * 1000).tolist(), kept["successive"].tolist())
    got = hexoframe.hrv(rr10, frequency=False)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-12), key
    assert got.attrs["units"]["rmssd"] == "ms" and got.attrs["units"]["mean_hr"] == "bpm"


def test_leaving_the_first_beat_in_would_inflate_rmssd(rr10):
    beats = hexoframe.clean_rr(rr10)
    with_zero = beats["rr"].to_numpy()[: int(beats["keep"].to_numpy()[1:].argmin()) + 1] * 1000
    clean = with_zero[1:]
    d_bad, d_good = np.diff(with_zero), np.diff(clean)
    assert np.sqrt(np.mean(d_bad**2)) > 2 * np.sqrt(np.mean(d_good**2))
    got = hexoframe.hrv(rr10.iloc[: len(with_zero)], frequency=False)
    assert got["rmssd"] == pytest.approx(np.sqrt(np.mean(d_good**2)), rel=1e-12)


@settings(derandomize=True, max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(100, 500), st.booleans()), min_size=3, max_size=60))
def test_time_domain_property_matches_textbook(pairs):
    ticks = [p[0] for p in pairs]
    follows = [False] + [p[1] for p in pairs[1:]]
    nn = np.array(ticks) / 256.0
    if not any(follows):
        follows[-1] = True
    got = time_domain(nn, np.array(follows))
    expected = _textbook((nn * 1000).tolist(), follows)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-9), key


def test_equal_to_neurokit2_on_the_same_cleaned_series(rr10):
    nk = pytest.importorskip("neurokit2")
    d = hexoframe.to_neurokit(rr10)
    ours = hexoframe.hrv(rr10, frequency=False)
    theirs = nk.hrv_time(d).iloc[0]
    assert ours["mean_nn"] == pytest.approx(theirs["HRV_MeanNN"], rel=1e-12)
    assert ours["sdnn"] == pytest.approx(theirs["HRV_SDNN"], rel=1e-12)
    # neurokit2 finds the gaps from RRI_Time, so it also skips differences across them
    assert ours["rmssd"] == pytest.approx(theirs["HRV_RMSSD"], rel=1e-12)
    # pNN50: same NN50 count; neurokit2 divides by (successive differences + 1), the Task
    # Force (and hexoframe) by the number of NN intervals
    beats = hexoframe.clean_rr(rr10)
    n_diff = int(beats["successive"].sum())
    assert ours["pnn50"] * ours["n_nn"] == pytest.approx(
        theirs["HRV_pNN50"] * (n_diff + 1), rel=1e-9
    )


def test_within_quantisation_of_the_emulators_hrv_channels(record_hour):
    rr, _, svc = record_hour
    ours = hexoframe.hrv(rr, window="5min")
    assert ours.index.equals(svc.index)  # stamped like the service: start + 5 min * (k + 1)
    assert len(ours) == 11
    # ANN/SDNN/RMSSD travel as integers of 1/4096 s: within half a step (0.122 ms)
    half = 0.5 * 1000 / 4096 + 1e-9
    assert np.abs(ours["mean_nn"] - svc["ann"] * 1000).max() <= half
    assert np.abs(ours["sdnn"] - svc["sdnn"] * 1000).max() <= half
    assert np.abs(ours["rmssd"] - svc["rmssd"] * 1000).max() <= half
    # LF/HF (0.1 ms^2 integers; the emulator uses a symmetric Hann window, scipy the
    # periodic one): within 1 %; LF n.u. (integer percent) within 0.5 + 1 %
    assert (np.abs(ours["lf"] - svc["hrv_lf"]) / svc["hrv_lf"]).max() < 0.01
    assert (np.abs(ours["hf"] - svc["hrv_hf"]) / svc["hrv_hf"]).max() < 0.01
    assert np.abs(ours["lf_nu"] - svc["hrv_lf_normalized"]).max() < 1.0


def test_nn_channel_values_not_nn_timestamps(record_hour):
    rr, nn, _ = record_hour
    from_rr = hexoframe.hrv(rr, frequency=False)
    from_nn = hexoframe.hrv(nn, frequency=False)
    for key in ("n_nn", "mean_nn", "sdnn", "rmssd", "pnn50"):
        assert from_nn[key] == pytest.approx(from_rr[key], rel=1e-12), key
    # the trap: intervals rebuilt from NN timestamps skip the dropped beats
    t = nn["nn_interval"].dropna().index.as_unit("ns").asi8 / 1e9
    fake = np.diff(t) * 1000
    fake_rmssd = float(np.sqrt(np.mean(np.diff(fake) ** 2)))
    assert fake_rmssd > 2 * from_rr["rmssd"]


def test_frequency_domain_of_known_oscillations():
    # beats every 0.25 s on the resampling grid, so linear interpolation loses nothing
    # (at real heart rates it attenuates HF a little, as it does in the emulator)
    t = np.cumsum(np.full(4800, 0.25))
    nn = 0.5 + 0.010 * np.sin(2 * np.pi * 0.1 * t) + 0.020 * np.sin(2 * np.pi * 0.25 * t)
    p = frequency_domain(t, nn)
    # a sine of amplitude A ms carries A**2 / 2 ms^2
    assert p["lf"] == pytest.approx(50.0, rel=0.03)
    assert p["hf"] == pytest.approx(200.0, rel=0.03)
    assert p["vlf"] < 1.0
    assert p["lf_hf"] == pytest.approx(0.25, rel=0.05)
    assert p["lf_nu"] == pytest.approx(20.0, rel=0.05)
    short = frequency_domain(t[:10], nn[:10])
    assert all(math.isnan(v) for v in short.values())


def test_windows_anchor_at_origin_and_skip_the_partial_end(rr10):
    h = hexoframe.hrv(rr10, window=120, frequency=False)
    assert h.index.strftime("%H:%M").tolist() == ["10:02", "10:04", "10:06", "10:08"]
    h2 = hexoframe.hrv(rr10, window="3min", origin="2024-05-01T10:01:00Z", frequency=False)
    assert h2.index.strftime("%H:%M").tolist() == ["10:04", "10:07"]
    beats = hexoframe.clean_rr(rr10)
    t = beats.index
    lo, hi = pd.Timestamp("2024-05-01T10:04Z"), pd.Timestamp("2024-05-01T10:07Z")
    inside = beats[(t >= lo) & (t < hi)]
    assert h2["n_nn"].iloc[1] == inside["keep"].sum()
    assert rr10.hexo.hrv(window=120, frequency=False).equals(h)


def test_bad_input_gets_clear_errors(rr10):
    with pytest.raises(InvalidQueryError, match="rr_interval"):
        hexoframe.hrv(
            pd.DataFrame({"heart_rate": [70.0]}, index=pd.DatetimeIndex(["2024-05-01"], tz="UTC"))
        )
    with pytest.raises(InvalidQueryError, match="whole number of ticks"):
        hexoframe.hrv(rr10, window="1ms")
    with pytest.raises(InvalidQueryError, match="min_rr"):
        hexoframe.clean_rr(rr10, min_rr=2.0, max_rr=1.0)


@needs_export
def test_real_export_is_plausible_and_matches_the_services_rmssd_statistic():
    df = hexoframe.read_export(EXPORT, datatypes=["rr", "rr_quality"])
    beats = hexoframe.clean_rr(df)
    assert beats["reason"].iloc[0] == "first" and beats["rr"].iloc[0] == 0.0
    assert beats["reason"].value_counts().to_dict() == {"ok": 119, "flagged": 22, "first": 1}
    h = hexoframe.hrv(df)
    stats = df.attrs["hexoskin"]["statistics"][0]
    assert abs(h["mean_hr"] - stats["heartrate_avg"]) < 2.0
    assert 20 < h["sdnn"] < 300 and 5 < h["rmssd"] < 200 and 0 <= h["pnn50"] <= 100
    # statistics.csv's RMSSD takes differences across dropped beats: reproduced exactly
    svc = hexoframe.hrv(df, frequency=False, across_gaps=True)
    assert svc["rmssd"] == pytest.approx(stats["RMSSD"], rel=1e-12)
    assert h["rmssd"] < svc["rmssd"]


@needs_export
def test_damaged_export_without_rr_quality(tmp_path):
    import shutil

    copy = tmp_path / "export"
    shutil.copytree(EXPORT, copy, ignore=shutil.ignore_patterns("*.wav", "matlab-converted"))
    (copy / "RR_interval_quality.csv").unlink()
    df = hexoframe.read_export(copy, datatypes=["rr"])
    beats = hexoframe.clean_rr(df)
    # without quality codes only the leading 0 s and impossible intervals can be dropped
    assert beats["reason"].iloc[0] == "first"
    assert set(beats["reason"]) <= {"first", "ok", "too_short", "too_long"}
    assert int(beats["keep"].sum()) == int(((beats["rr"] >= 0.25) & (beats["rr"] <= 2.0)).sum())
    h = hexoframe.hrv(df, frequency=False)
    assert h["n_nn"] == beats["keep"].sum()


def test_an_empty_span_gives_nan_not_an_error(athlete_client):
    empty = hexoframe.read_hexoskin(
        record=37700,
        datatypes=["rr", "rr_quality"],
        client=athlete_client,
        progress=False,
        start="2024-05-01T10:00:00Z",
        end="2024-05-01T10:00:00.5Z",
    )
    h = hexoframe.hrv(empty)
    assert h["n_nn"] == 0 and math.isnan(h["rmssd"]) and math.isnan(h["lf"])
