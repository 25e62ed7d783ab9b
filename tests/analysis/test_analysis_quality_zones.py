"""Quality masks and heart-rate zones through the public API (emulator and a real export)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from paths import EXPORT

import hexoframe
from hexoframe.core.errors import InvalidQueryError


@pytest.fixture(scope="module")
def vitals(athlete_client):
    return hexoframe.read_hexoskin(
        record=37700,
        datatypes=["hr", "hr_quality", "br", "br_quality"],
        client=athlete_client,
        progress=False,
    )


def test_mask_quality_hides_exactly_the_flagged_heart_rate_samples(vitals):
    q = vitals["heart_rate_quality"].to_numpy()
    flagged = q != 0
    assert flagged.sum() == 77  # the emulator flags artifacts (0x10) where beats are flagged
    assert set(np.unique(q[flagged])) == {0x10}
    masked = hexoframe.mask_quality(vitals)
    assert masked["heart_rate"].isna().to_numpy().tolist() == flagged.tolist()
    assert (
        masked.loc[~flagged, "heart_rate"].tolist()
        == vitals.loc[~flagged, "heart_rate"].astype(float).tolist()
    )
    assert masked.attrs["hexoskin"]["masked"] == {"heart_rate": 77, "breathing_rate": 0}
    assert vitals["heart_rate"].notna().all()  # the input is left alone
    # only the chosen bits mask
    assert hexoframe.mask_quality(vitals, ["artifacts"])["heart_rate"].isna().sum() == 77
    assert (
        hexoframe.mask_quality(vitals, ["disconnected", "saturated"])["heart_rate"].isna().sum()
        == 0
    )
    assert vitals.hexo.mask_quality(0x10).equals(masked)


def test_breathing_bits_and_a_separate_quality_frame():
    t = pd.date_range("2024-05-01", periods=6, freq="s", tz="UTC")
    br = pd.DataFrame({"breathing_rate": [14, 15, 16, 17, 18, 19]}, index=t)
    q = pd.DataFrame({"breathing_rate_quality": [0, 0x01, 0x04, 0x10, 0x20, 0]}, index=t)
    out = hexoframe.mask_quality(br, quality=q)
    assert out["breathing_rate"].isna().tolist() == [False, True, True, True, True, False]
    only_noise = hexoframe.mask_quality(br, {"breathing_rate": ["noisy_a", "noisy_b"]}, quality=q)
    assert only_noise["breathing_rate"].isna().tolist() == [False, False, False, True, True, False]
    # a quality frame that misses some times: those samples are kept
    out = hexoframe.mask_quality(br, quality=q.iloc[:2])
    assert out["breathing_rate"].isna().tolist() == [False, True, False, False, False, False]


def test_mask_quality_errors_say_what_to_read(vitals):
    with pytest.raises(InvalidQueryError, match="heart_rate_quality"):
        hexoframe.mask_quality(vitals[["heart_rate"]])
    with pytest.raises(InvalidQueryError, match="Unknown quality bit"):
        hexoframe.mask_quality(vitals, ["sweaty"])
    with pytest.raises(InvalidQueryError, match="neither"):
        hexoframe.mask_quality(vitals[["heart_rate_quality"]])


@pytest.mark.skipif(not EXPORT.is_dir(), reason=f"real export absent ({EXPORT})")
def test_mask_quality_on_a_real_export():
    df = hexoframe.read_export(EXPORT, datatypes=["hr", "hr_quality"])
    masked = df.hexo.mask_quality()
    assert masked.attrs["hexoskin"]["masked"] == {"heart_rate": 2}  # codes 0x10 and 0x08
    assert hexoframe.mask_quality(df, ["saturated"]).attrs["hexoskin"]["masked"] == {
        "heart_rate": 1
    }


def _zones_by_hand(hr: np.ndarray, hr_max: float) -> list[int]:
    counts = [0] * 7
    for v in hr:
        pct = v / hr_max
        if pct < 0.5:
            counts[0] += 1
        elif pct >= 1.0:
            counts[6] += 1
        else:
            counts[1 + min(int((pct - 0.5) * 10 + 1e-12), 4)] += 1
    return counts


def test_heart_rate_zones_of_a_record_from_the_profile(athlete_client, vitals):
    z = hexoframe.heart_rate_zones(record=37700, client=athlete_client)
    assert z.attrs["hr_max"] == 183.0  # the athlete's profile.fitness.hr_max
    assert z.index.tolist() == ["below", "zone 1", "zone 2", "zone 3", "zone 4", "zone 5", "above"]
    hr = hexoframe.mask_quality(vitals)["heart_rate"].dropna().to_numpy()
    expected = _zones_by_hand(hr, 183.0)
    assert z["samples"].tolist() == expected
    assert z["seconds"].tolist() == [float(c) for c in expected]  # 1 Hz: a second each
    assert int(z["samples"].sum()) + z.attrs["masked"] == 3599
    assert z["fraction"].sum() == pytest.approx(1.0)
    assert z.loc["zone 3", "lower_bpm"] == pytest.approx(0.7 * 183)
    unmasked = hexoframe.heart_rate_zones(
        record=37700, client=athlete_client, mask=False, hr_max=200
    )
    assert unmasked["samples"].tolist() == _zones_by_hand(vitals["heart_rate"].to_numpy(), 200.0)


def test_zones_of_a_range_and_of_another_user(athlete_client):
    z = hexoframe.heart_rate_zones(range=58979, client=athlete_client)
    assert int(z["samples"].sum()) + z.attrs["masked"] == 1200  # a 20-minute run
    # the accessor on a Series
    hr = hexoframe.read_hexoskin(
        range=58979, datatypes="hr", client=athlete_client, progress=False
    )["heart_rate"]
    direct = hr.hexo.time_in_zones(183)
    assert direct["samples"].tolist() == _zones_by_hand(hr.to_numpy(), 183.0)
    with pytest.raises(InvalidQueryError, match="hr_max"):
        hexoframe.time_in_zones(hr, 0)
