"""The emulator's physiology checked end to end, as a user would: through read_hexoskin.

The ECG waveform served over HTTP must carry its beats where the RR events say, and the
heart rate must follow those intervals.
"""

from __future__ import annotations

import numpy as np
import pytest

from hexoframe.core.timestamps import NS_PER_TICK
from hexoframe.data.reader import read_hexoskin

signal = pytest.importorskip("scipy.signal", reason="scipy detects the ECG's R-peaks")

SPAN = {"start": "2024-05-01T10:20Z", "end": "2024-05-01T10:25Z"}  # inside record 37700


@pytest.fixture(scope="module")
def channels(athlete_client):
    return read_hexoskin(
        record=37700,
        datatypes=["ecg", "rr", "hr"],
        client=athlete_client,
        how="dict",
        progress=False,
        **SPAN,
    )


def test_r_peaks_of_the_ecg_are_the_rr_events(channels):
    ecg, rr = channels["ecg_i"], channels["rr_interval"]
    ecg_ticks = ecg.index.asi8 // NS_PER_TICK
    x = ecg.to_numpy().astype(np.float64)
    level = np.median(x) + 0.5 * (x.max() - np.median(x))
    peaks, _ = signal.find_peaks(x, height=level, distance=64)  # >= 0.25 s apart
    peak_ticks = ecg_ticks[peaks]
    rr_ticks = rr.index.asi8 // NS_PER_TICK
    assert len(peak_ticks) == len(rr_ticks) > 300
    assert np.abs(peak_ticks - rr_ticks).max() <= 1  # within one 1/256 s tick
    # each interval is the time since the previous beat, in seconds
    np.testing.assert_array_equal(rr.to_numpy()[1:], np.diff(rr_ticks) / 256)


def test_heart_rate_follows_the_rr_intervals(channels):
    hr, rr = channels["heart_rate"], channels["rr_interval"]
    rr_ticks = rr.index.asi8 // NS_PER_TICK
    seconds = rr.to_numpy()
    checked = 0
    for t, bpm in zip(hr.index.asi8 // NS_PER_TICK, hr.to_numpy(), strict=True):
        beats = (rr_ticks >= t - 256) & (rr_ticks < t) & (seconds > 0)  # the second before t
        if beats.any():
            assert abs(bpm - 60 / seconds[beats].mean()) <= 0.5
            checked += 1
    assert checked >= 290  # of 300 one-second samples
