"""Heart-rate variability from RR intervals (Task Force of the ESC/NASPE, 1996).

Time domain, on the NN intervals that :func:`~hexoframe.analysis.beats.clean_rr` keeps:

- ``mean_nn``: mean NN interval (ms); ``mean_hr``: ``60000 / mean_nn`` (beats per minute);
- ``sdnn``: sample standard deviation of the NN intervals (ms, ``ddof=1``);
- ``rmssd``: root mean square of the differences of *successive* NN intervals (ms): pairs
  of kept beats that are neighbours in the RR series, never a difference across a dropped
  beat;
- ``pnn50``: successive differences larger than 50 ms, as a percentage of the number of
  NN intervals (the Task Force's denominator).

Frequency domain (``vlf`` 0.0033-0.04 Hz, ``lf`` 0.04-0.15 Hz, ``hf`` 0.15-0.4 Hz, in
ms², ``lf_hf`` and ``lf_nu = 100 * lf / (lf + hf)``): the NN series (each interval stamped
at the beat that ends it) is linearly interpolated onto an even 4 Hz grid, and its power
spectral density is estimated with **Welch's method** (``scipy.signal.welch``: Hann
window, segments of ``2 / 0.0033`` s = about 10 minutes or the whole series if shorter, half
overlapping, each linearly detrended). Band power is the sum of the density over the band's
bins (``lo <= f < hi``) times the bin width. A 5-minute window is therefore one Hann
periodogram, as neurokit2's default also gives; VLF from 5 minutes is not reliable
(the Task Force advises against it), LF and HF are.

Examples
--------
>>> import numpy as np
>>> out = time_domain(np.array([0.8, 0.85, 0.8, 0.9]))
>>> round(out["rmssd"], 3), round(out["pnn50"], 1)
(70.711, 25.0)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hexoframe.analysis.beats import clean_rr, nn_intervals
from hexoframe.core.errors import InvalidQueryError
from hexoframe.core.timestamps import ns_per_tick

__all__ = [
    "BANDS",
    "RESAMPLE_HZ",
    "UNITS",
    "time_domain",
    "frequency_domain",
    "hrv",
    "window_ticks",
]

#: Frequency bands (Hz, lower bound included, upper excluded).
BANDS: dict[str, tuple[float, float]] = {
    "vlf": (0.0033, 0.04),
    "lf": (0.04, 0.15),
    "hf": (0.15, 0.4),
}
#: Rate of the evenly resampled NN series (Hz).
RESAMPLE_HZ = 4.0
#: Unit of every HRV output.
UNITS = {
    "n_nn": "1",
    "mean_nn": "ms",
    "sdnn": "ms",
    "rmssd": "ms",
    "pnn50": "%",
    "mean_hr": "bpm",
    "vlf": "ms^2",
    "lf": "ms^2",
    "hf": "ms^2",
    "lf_hf": "1",
    "lf_nu": "%",
}
_TIME = ("n_nn", "mean_nn", "sdnn", "rmssd", "pnn50", "mean_hr")
_FREQ = ("vlf", "lf", "hf", "lf_hf", "lf_nu")


def time_domain(nn: np.ndarray, successive: np.ndarray | None = None) -> dict[str, float]:
    """Time-domain HRV of NN intervals (seconds).

    Parameters
    ----------
    nn : array of float
        NN intervals in seconds, in beat order.
    successive : array of bool, optional
        ``successive[i]`` is True when interval ``i`` directly follows interval ``i - 1``
        (no dropped beat between them); all True by default.

    Examples
    --------
    >>> time_domain(np.array([0.8, 0.8]))["mean_hr"]
    75.0
    """
    ms = np.asarray(nn, dtype=np.float64) * 1000.0
    n = ms.size
    if successive is None:
        successive = np.ones(n, dtype=bool)
    successive = np.asarray(successive, dtype=bool)
    if successive.shape != ms.shape:
        raise InvalidQueryError("nn and successive must have the same length.")
    nan = float("nan")
    if n == 0:
        return {
            "n_nn": 0.0,
            "mean_nn": nan,
            "sdnn": nan,
            "rmssd": nan,
            "pnn50": nan,
            "mean_hr": nan,
        }
    d = np.diff(ms)[successive[1:]]
    mean_nn = float(ms.mean())
    return {
        "n_nn": float(n),
        "mean_nn": mean_nn,
        "sdnn": float(ms.std(ddof=1)) if n > 1 else nan,
        "rmssd": float(np.sqrt(np.mean(d * d))) if d.size else nan,
        "pnn50": 100.0 * float(np.count_nonzero(np.abs(d) > 50.0)) / n if d.size else nan,
        "mean_hr": 60000.0 / mean_nn,
    }


def _welch() -> Any:
    try:
        from scipy.signal import welch
    except ImportError as exc:  # pragma: no cover - scipy is in the analysis extra
        raise ImportError(
            "Frequency-domain HRV needs scipy: pip install 'hexoframe[analysis]' "
            "(or pass frequency=False)."
        ) from exc
    return welch


def frequency_domain(
    times: np.ndarray,
    nn: np.ndarray,
    *,
    fs: float = RESAMPLE_HZ,
    bands: dict[str, tuple[float, float]] | None = None,
) -> dict[str, float]:
    """Band powers (ms²) of an NN series by Welch's method on a 4 Hz resampling.

    Parameters
    ----------
    times : array of float
        Time of each NN interval's closing beat, in seconds (any origin).
    nn : array of float
        NN intervals in seconds.
    fs : float
        Resampling rate in Hz.
    bands : dict, optional
        ``{"vlf": (lo, hi), "lf": ..., "hf": ...}``; :data:`BANDS` by default.

    Returns
    -------
    dict
        ``vlf``, ``lf``, ``hf`` (ms²), ``lf_hf``, ``lf_nu`` (%); NaN when the series spans
        less than 16 beats or 16 seconds.

    Examples
    --------
    >>> t = np.arange(1, 601) * 0.5
    >>> p = frequency_domain(t, 0.5 + 0.01 * np.sin(2 * np.pi * 0.1 * t))
    >>> bool(abs(p["lf"] - 50.0) < 2.0), bool(p["hf"] < 1.0)  # a 10 ms sine: 10**2 / 2
    (True, True)
    """
    bands = dict(BANDS if bands is None else bands)
    t = np.asarray(times, dtype=np.float64)
    ms = np.asarray(nn, dtype=np.float64) * 1000.0
    out = dict.fromkeys(_FREQ, float("nan"))
    if t.size < 16 or t[-1] - t[0] < 16.0:
        return out
    grid = np.arange(t[0], t[-1], 1.0 / fs)
    x = np.interp(grid, t, ms)
    seg = int(min(x.size, round(fs * 2.0 / bands["vlf"][0])))
    f, psd = _welch()(
        x, fs=fs, window="hann", nperseg=seg, noverlap=seg // 2, detrend="linear", scaling="density"
    )
    df = float(f[1] - f[0])
    for name, (lo, hi) in bands.items():
        out[name] = float(psd[(f >= lo) & (f < hi)].sum() * df)
    lf, hf = out["lf"], out["hf"]
    out["lf_hf"] = lf / hf if hf > 0 else float("nan")
    out["lf_nu"] = 100.0 * lf / (lf + hf) if lf + hf > 0 else float("nan")
    return out


def window_ticks(window: Any, tick_rate: int) -> int:
    """A window length (``"5min"``, seconds, Timedelta) in whole ticks.

    Examples
    --------
    >>> window_ticks("5min", 256)
    76800
    """
    delta = (
        pd.Timedelta(window, unit="s") if isinstance(window, int | float) else pd.Timedelta(window)
    )
    per = ns_per_tick(tick_rate)
    if delta.value <= 0 or delta.value % per:
        raise InvalidQueryError(f"Window {window!r} is not a positive whole number of ticks.")
    return int(delta.value // per)


def _one(
    nn: pd.DataFrame,
    ticks: np.ndarray,
    rate: int,
    frequency: bool,
    fs: float,
    across_gaps: bool = False,
) -> dict[str, float]:
    succ = nn["successive"].to_numpy().copy()
    if across_gaps:
        succ[:] = True
    if succ.size:
        succ[0] = False
    out = time_domain(nn["nn"].to_numpy(), succ)
    if frequency:
        rel = (ticks - (ticks[0] if ticks.size else 0)) / rate
        out.update(frequency_domain(rel, nn["nn"].to_numpy(), fs=fs))
    return out


def hrv(
    obj: pd.Series | pd.DataFrame,
    *,
    window: Any = None,
    origin: Any = None,
    frequency: bool = True,
    fs: float = RESAMPLE_HZ,
    across_gaps: bool = False,
    **clean: Any,
) -> pd.Series | pd.DataFrame:
    """HRV of a span of RR intervals, whole or in windows stamped like the service's.

    Parameters
    ----------
    obj : DataFrame or Series
        RR intervals (with ``rr_interval_quality``) as :func:`hexoframe.read_hexoskin` or
        :func:`hexoframe.read_export` give them, or the output of :func:`clean_rr`.
    window : str, float or Timedelta, optional
        ``"5min"`` for windows like the service's HRV channels (``ann``, ``sdnn``,
        ``rmssd``, ``hrv_lf``, ...): window ``k`` holds the beats in
        ``[origin + k*w, origin + (k+1)*w)`` and is stamped at its end, and only windows
        stamped before the end of the span read are given. None: one result for the span.
    origin : time-like, optional
        Where windows start; the start of the span read (``attrs["hexoskin"]["start"]``,
        the record start when a whole record was read) by default, else the first beat.
    frequency : bool
        Also compute the frequency domain (needs scipy).
    fs : float
        Resampling rate of the frequency domain, Hz.
    across_gaps : bool
        Take successive differences between consecutive *kept* beats even across a
        dropped one. Not the Task Force definition, but what the service's own
        ``statistics.csv`` RMSSD does (checked on a real export); False by default.
    **clean
        ``min_rr``, ``max_rr``, ``drop_bits`` for :func:`clean_rr`.

    Returns
    -------
    Series (whole span) or DataFrame (one row per window, ``time`` index)
        Columns ``n_nn``, ``mean_nn``, ``sdnn``, ``rmssd``, ``pnn50``, ``mean_hr`` and
        with ``frequency`` ``vlf``, ``lf``, ``hf``, ``lf_hf``, ``lf_nu``; units in
        ``attrs["units"]`` (:data:`UNITS`).

    Examples
    --------
    >>> rr = hexoframe.read_hexoskin(record=37700, datatypes=["rr", "rr_quality"],
    ...                    end="2024-05-01T10:10:00Z", client=client, progress=False)
    >>> h = hrv(rr, window="5min")
    >>> h.index.strftime("%H:%M").tolist(), round(float(h["mean_hr"].iloc[0]))
    (['10:05'], 103)
    """
    beats = clean_rr(obj, **clean) if "rr" not in getattr(obj, "columns", ()) else obj
    meta = beats.attrs.get("hexoskin", {})
    rate = int(meta.get("tick_rate") or 256)
    nn = nn_intervals(beats)
    per = np.int64(ns_per_tick(rate))
    ticks = pd.DatetimeIndex(nn.index).as_unit("ns").asi8 // per
    if window is None:
        row = _one(nn, ticks, rate, frequency, fs, across_gaps)
        out = pd.Series(row, name="hrv", dtype=np.float64)
        out.attrs = {"units": {k: UNITS[k] for k in row}, "hexoskin": dict(meta)}
        return out
    w = window_ticks(window, rate)
    if origin is not None:
        from hexoframe.core.timestamps import to_ticks

        first = int(to_ticks(origin, rate))
    elif meta.get("start") is not None:
        first = int(meta["start"])
    else:
        all_t = pd.DatetimeIndex(beats.index).as_unit("ns").asi8 // per
        first = int(all_t[0]) if all_t.size else 0
    if meta.get("end") is not None:
        end = int(meta["end"])
    else:
        all_t = pd.DatetimeIndex(beats.index).as_unit("ns").asi8 // per
        end = int(all_t[-1]) + 1 if all_t.size else first
    stamps = np.arange(first + w, end, w, dtype=np.int64)
    lo = np.searchsorted(ticks, stamps - w, side="left")
    hi = np.searchsorted(ticks, stamps, side="left")
    rows = [
        _one(nn.iloc[a:b], ticks[a:b], rate, frequency, fs, across_gaps)
        for a, b in zip(lo.tolist(), hi.tolist(), strict=True)
    ]
    cols = list(_TIME) + (list(_FREQ) if frequency else [])
    index = pd.DatetimeIndex((stamps * per).view("datetime64[ns]"), name="time").tz_localize("UTC")
    frame = pd.DataFrame(rows, index=index, columns=cols, dtype=np.float64)
    frame.attrs = {
        "units": {k: UNITS[k] for k in cols},
        "hexoskin": {**meta, "window": int(w), "origin": first},
    }
    return frame
