"""Deterministic synthetic biometrics for every datatype of the catalogue.

:func:`make_source` turns an emulator record into a *source*: an object whose
``samples(datatype, start, end)`` returns ``(ticks, raw)`` int64 arrays for the samples
with ``start <= ticks < end`` inside the record, following the record/sample convention
of ``docs/architecture.md`` (sync step ``s``: ``rec_start + k*s`` above 1 Hz,
``rec_start + (k+1)*s`` at 1 Hz and slower, all ``< rec_end``; async: events).  Raw
values are in the datatype's ``unit_raw`` and fit the WAV int16 range (signed or
unsigned as catalogued).  Any window is computed on demand, locally, in time
proportional to the window, and equals the same span cut out of any larger window.

Example
-------
>>> src = make_source(0, {"id": 1, "user": 1511, "start": 0, "end": 256 * 60})
>>> ts, raw = src.samples("heart_rate", 0, 256 * 10)
>>> ts.tolist()[:3], len(raw)
([256, 512, 768], 9)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from hexoframe.core import catalog
from hexoframe.core.catalog import Datatype
from hexoframe.emulator import physiology as ph
from hexoframe.emulator.physiology import MINUTE, TICKS, Drivers

__all__ = ["Source", "SyntheticSource", "make_source", "EMPTY"]

EMPTY = np.zeros(0, dtype=np.int64)
_CHUNK = 1 << 17  # samples per vectorised chunk (bounds temporary memory)


class Source(Protocol):
    """What the data endpoint needs from a record's data."""

    start: int
    end: int

    def samples(self, datatype: Any, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
        """(ticks, raw) int64 arrays of the samples with start <= ticks < end."""
        ...


def _pad_range(ts: np.ndarray, lo: int, hi: int) -> tuple[int, int]:
    return int(ts[0]) + lo, int(ts[-1]) + hi + 1


# ---------------------------------------------------------------------------------------
# waveform templates (tables per integer tick offset)
def _gauss_sum(t: np.ndarray, parts: list[tuple[float, float, float]]) -> np.ndarray:
    out = np.zeros_like(t, dtype=np.float64)
    for amp, mu, sigma in parts:
        out += amp * np.exp(-0.5 * ((t - mu) / sigma) ** 2)
    return out


_ECG_LO, _ECG_HI = -115, 115
_ecg_t = np.arange(_ECG_LO, _ECG_HI + 1) / TICKS
_MV = 1.0 / 0.0064  # ADC counts per mV
_ECG_II = _MV * _gauss_sum(
    _ecg_t,
    [
        (0.15, -0.18, 0.025),
        (-0.12, -0.035, 0.008),
        (1.25, 0.0, 0.010),
        (-0.30, 0.035, 0.010),
        (0.35, 0.26, 0.045),
    ],
)
_ECG_I = _MV * _gauss_sum(
    _ecg_t,
    [
        (0.10, -0.18, 0.025),
        (-0.06, -0.035, 0.008),
        (0.75, 0.0, 0.010),
        (-0.12, 0.035, 0.010),
        (0.22, 0.26, 0.045),
    ],
)
_ECG_TEMPLATES = {"ecg_i": _ECG_I, "ecg_ii": _ECG_II, "ecg_iii": _ECG_II - _ECG_I}
_ECG_LEAD = {"ecg_i": 0, "ecg_ii": 1, "ecg_iii": 2}
_ECG_WANDER = {"ecg_i": 9.0, "ecg_ii": 14.0, "ecg_iii": 5.0}

_PPG_LO, _PPG_HI = 0, 220
_ppg_t = np.arange(_PPG_LO, _PPG_HI + 1) / TICKS
_PPG = (
    2600.0
    * np.where(
        _ppg_t < 0.26,
        np.sin(np.clip((_ppg_t - 0.14) / 0.12, 0, 1) * np.pi / 2) ** 2,
        np.exp(-(_ppg_t - 0.26) / 0.22),
    )
    * (1 + 0.18 * np.exp(-0.5 * ((_ppg_t - 0.5) / 0.04) ** 2))
)


_TABLES: dict[str, np.ndarray] = {
    "ecg_i": _ECG_TEMPLATES["ecg_i"],
    "ecg_ii": _ECG_TEMPLATES["ecg_ii"],
    "ecg_iii": _ECG_TEMPLATES["ecg_iii"],
    "ppg": _PPG,
}


@functools.lru_cache(maxsize=32)
def _phased(name: str, step: int) -> np.ndarray:
    """Rows p = table[p::step] (zero padded): the template seen from grid phase p."""
    table = _TABLES[name]
    width = (table.shape[0] - 1) // step + 1
    padded = np.concatenate([table, np.zeros(step)])
    return np.stack([padded[p : p + width * step : step] for p in range(step)])


def _pulse_train(ts: np.ndarray, step: int, beats: np.ndarray, name: str, lo: int) -> np.ndarray:
    """Sum of template ``name`` (indexed by tick offset - lo) placed at each beat, on a grid.

    Every output sample sums its beats' contributions in beat order, whatever the
    window, so windows agree bit for bit.
    """
    n = ts.shape[0]
    if beats.size == 0 or n == 0:
        return np.zeros(n, dtype=np.float64)
    rows = _phased(name, step)
    width = rows.shape[1]
    t0 = int(ts[0])
    k_first = -(-(beats + lo - t0) // step)
    phase = t0 + k_first * step - beats - lo
    idx = k_first[:, None] + np.arange(width, dtype=np.int64)[None, :]
    edge = (k_first < 0) | (k_first + width > n)
    if edge.any():
        sub = idx[edge]
        sub[(sub < 0) | (sub >= n)] = n  # a dump bin
        idx[edge] = sub
    acc = np.bincount(idx.ravel(), weights=rows[phase].ravel(), minlength=n + 1)
    return acc[:n]


def _coarse(fn: Callable[[np.ndarray], np.ndarray], ts: np.ndarray, shift: int = 3) -> np.ndarray:
    """``fn`` evaluated on the absolute grid of 2**shift ticks at or before each tick.

    For slowly varying terms: 1/2**shift of the work, and still a function of the tick
    alone, so windows agree.
    """
    c = ts >> shift
    if c.size == 0:
        return fn(ts)
    c0 = int(c[0])
    if int(c[-1]) - c0 + 1 > 4 * c.size:  # sparse ticks (events): evaluate directly
        return fn(c << shift)
    grid = np.arange(c0, int(c[-1]) + 1, dtype=np.int64) << shift
    return fn(grid)[c - c0]


# ---------------------------------------------------------------------------------------
class SyntheticSource:
    """Deterministic physiology of one record (see module docstring).

    Parameters
    ----------
    key : int
        64-bit key from (seed, user, record).
    start, end : int
        Record bounds in ticks.
    user_key : int
        Key of per-user traits (the same person looks alike across records).

    Example
    -------
    >>> src = SyntheticSource(ph.mix_key(0, 1, 2), 0, 256 * 120, user_key=5)
    >>> ts, raw = src.samples(4113, 0, 256)
    >>> len(ts), int(ts[-1])
    (256, 255)
    """

    def __init__(self, key: int, start: int, end: int, user_key: int | None = None) -> None:
        self.key = int(key)
        self.start = int(start)
        self.end = int(end)
        self.user_key = self.key if user_key is None else int(user_key)
        self._drivers: Drivers | None = None
        self._hrv_cache: dict[int, dict[str, float]] = {}

    def __repr__(self) -> str:
        return f"SyntheticSource(start={self.start}, end={self.end})"

    @property
    def drivers(self) -> Drivers:
        """Per-record drivers, built on first use (a few ms even for a week)."""
        if self._drivers is None:
            self._drivers = Drivers(self.key, self.start, self.end, self.user_key)
        return self._drivers

    # -- public API ---------------------------------------------------------------------
    def samples(
        self, datatype: Datatype | int | str, start: int, end: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Samples of one datatype with ``start <= ticks < end`` inside the record.

        Parameters
        ----------
        datatype : Datatype, int or str
            Anything :func:`hexoframe.core.catalog.lookup` accepts.
        start, end : int
            Window in ticks (half-open).

        Returns
        -------
        (ticks, raw) : tuple of int64 ndarrays
            Raw values in the datatype's ``unit_raw``.
        """
        dt = catalog.lookup(datatype)
        lo = max(int(start), self.start)
        hi = min(int(end), self.end)
        if dt.kind == "annotation" or hi <= lo:
            return EMPTY, EMPTY
        if dt.is_async:
            gen = _ASYNC.get(dt.name)
            if gen is None:
                return EMPTY, EMPTY
            ts, raw = gen(self, lo, hi)
            return np.asarray(ts, dtype=np.int64), np.asarray(raw, dtype=np.int64)
        return self.grid_samples(dt, lo, hi)

    def grid_samples(
        self,
        datatype: Datatype | int | str,
        start: int,
        end: int,
        every: int = 1,
        offset: int = 0,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Every ``every``-th sample of a sync datatype in ``[start, end)``, from the
        ``offset``-th one on: what an evenly subsampled answer needs, computed without
        generating the skipped samples.  Values equal those of :meth:`samples`.

        Example
        -------
        >>> src = SyntheticSource(ph.mix_key(0, 1, 2), 0, 256 * 120)
        >>> ts, raw = src.grid_samples(4113, 0, 256, every=100, offset=5)
        >>> ts.tolist(), bool((raw == src.samples(4113, 0, 256)[1][5::100]).all())
        ([5, 105, 205], True)
        """
        dt = catalog.lookup(datatype)
        if dt.is_async or dt.kind == "annotation":
            raise ValueError(f"{dt.name} has no sample grid")
        lo = max(int(start), self.start)
        hi = min(int(end), self.end)
        step = int(dt.step_ticks)  # type: ignore[arg-type]
        first = self.start + dt.first_offset
        k0 = max(0, -(-(lo - first) // step)) + int(offset)
        k1 = max(k0, -(-(hi - first) // step))
        ts = first + np.arange(k0, k1, int(every), dtype=np.int64) * step
        gen_sync = _SYNC.get(dt.name, _zeros)
        lim = (0.0, 65535.0) if not dt.signed else (-32768.0, 32767.0)
        raw = np.empty(ts.shape[0], dtype=np.int64)
        for i in range(0, ts.shape[0], _CHUNK):
            vals = gen_sync(self, dt.name, ts[i : i + _CHUNK], step)
            raw[i : i + _CHUNK] = np.clip(np.rint(vals), lim[0], lim[1])
        return ts, raw

    # -- shared pieces ------------------------------------------------------------------
    def _mid(self, ts: np.ndarray, step: int) -> np.ndarray:
        """Middle of each 1 Hz (or slower) end-stamped interval."""
        return ts - step // 2

    def _slow(self, ts: np.ndarray, period_s: float, salt: int) -> np.ndarray:
        phase = uniform_scalar(self.key, salt)
        return np.sin(2 * np.pi * ((ts - self.start) / (TICKS * period_s) + phase))

    def _minute_noise(self, ts: np.ndarray, salt: int) -> np.ndarray:
        return ph.gauss(self.key, (ts - self.start) // MINUTE, salt=salt)

    def _hr_from_beats(self, ts: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray]:
        """Heart rate (bpm, float) and quality bits for end-stamped samples at ``ts``."""
        d = self.drivers
        b = d.beats(int(ts[0]) - step - 8 * TICKS, int(ts[-1]))
        valid = b.rr > 0
        cs = np.concatenate([[0], np.cumsum(np.where(valid, b.rr, 0))])
        cv = np.concatenate([[0], np.cumsum(valid)])
        cq = np.concatenate([[0], np.cumsum(b.quality != 0)])
        hi = np.searchsorted(b.ticks, ts, side="left")
        lo = np.searchsorted(b.ticks, ts - step, side="left")
        cnt = cv[hi] - cv[lo]
        tot = cs[hi] - cs[lo]
        last = None
        if valid.size:
            last = np.maximum.accumulate(np.where(valid, np.arange(valid.size), -1))
        mean_rr = np.zeros(ts.shape[0])
        has = cnt > 0
        mean_rr[has] = tot[has] / cnt[has]
        if last is not None:
            li = np.where(hi > 0, last[np.maximum(hi - 1, 0)], -1)
            use = ~has & (li >= 0)
            mean_rr[use] = b.rr[li[use]]
        hr = np.where(mean_rr > 0, 60.0 * TICKS / np.where(mean_rr > 0, mean_rr, 1), 0.0)
        none = mean_rr <= 0
        hr[none] = d.heart.rate(ts[none])
        flagged = (cq[hi] - cq[lo]) > 0
        qual = np.where(flagged, 0x10, 0)
        return hr, qual


def uniform_scalar(key: int, salt: int) -> float:
    """One deterministic uniform number in [0, 1)."""
    return float(ph.uniform(key, 0, salt=salt))


# ---------------------------------------------------------------------------------------
# sync generators: (source, name, ticks, step) -> float raw values
SyncGen = Callable[[SyntheticSource, str, np.ndarray, int], np.ndarray]


def _zeros(src: SyntheticSource, name: str, ts: np.ndarray, step: int) -> np.ndarray:
    return np.zeros(ts.shape[0])


def _spacing(ts: np.ndarray, step: int) -> int:
    """Tick spacing of a uniform grid array (a multiple of the datatype's step)."""
    return int(ts[1] - ts[0]) if ts.shape[0] > 1 else step


def _ecg(src: SyntheticSource, name: str, ts: np.ndarray, step: int) -> np.ndarray:
    d = src.drivers
    a, b = _pad_range(ts, -_ECG_HI - 1, -_ECG_LO + 1)
    beats = d.beats(a, b).ticks
    lead = _ECG_LEAD[name]
    sig = _pulse_train(ts, _spacing(ts, step), beats, name, _ECG_LO)
    wander = _coarse(lambda g: _ECG_WANDER[name] * np.sin(2 * np.pi * d.breath.at(g)), ts)
    motion = _coarse(lambda g: 1.0 + 5.0 * d.interp(d.intensity, g), ts, shift=8)
    noise = d.noise(ts * 3 + lead + src.key % 999_983) * (2.2 * motion)
    return np.clip(1360.0 + sig + wander + noise, 0, 4095)


_RESP = {"respiration_thoracic": (27200.0, 0.6, 1), "respiration_abdominal": (28300.0, 0.4, 2)}


def _resp_value(src: SyntheticSource, name: str, ts: np.ndarray) -> np.ndarray:
    d = src.drivers
    base, share, lead = _RESP[name]
    amp = _coarse(lambda g: share * d.interp(d.tv, g) / 13.28 / 2.0, ts, shift=6)
    breath = -np.cos(2 * np.pi * d.breath.at(ts))
    drift = _coarse(lambda g: 35.0 * src._slow(g, 437.0, salt=40 + lead), ts, shift=6)
    noise = 0.8 * d.noise(ts * 5 + lead + src.key % 999_979)
    return base + amp * breath + drift + noise


def _resp(src: SyntheticSource, name: str, ts: np.ndarray, step: int) -> np.ndarray:
    return _resp_value(src, name, ts)


_ACC_AXIS = {"acceleration_x": 0, "acceleration_y": 1, "acceleration_z": 2}


def _accel(src: SyntheticSource, name: str, ts: np.ndarray, step: int) -> np.ndarray:
    d = src.drivers
    axis = _ACC_AXIS[name]
    grav = ph.GRAVITY[d.posture[d.minute_of(ts)], axis]
    amp = _coarse(lambda g: d.interp(d.accel_amp, g), ts, shift=6)
    sp = d.steps.at(ts)
    if axis == 0:
        dyn = amp * np.sin(2 * np.pi * sp)
    elif axis == 1:
        dyn = 0.45 * amp * np.sin(np.pi * sp)
    else:
        dyn = 0.3 * amp * np.sin(2 * np.pi * sp + 0.8)
    noise = 0.006 * d.noise(ts * 7 + axis + src.key % 999_961)
    return 256.0 * (grav + dyn + noise)


def _ppg(src: SyntheticSource, name: str, ts: np.ndarray, step: int) -> np.ndarray:
    d = src.drivers
    a, b = _pad_range(ts, -_PPG_HI - 1, 1)
    beats = d.beats(a, b).ticks
    sig = _pulse_train(ts, _spacing(ts, step), beats, "ppg", _PPG_LO)
    drift = _coarse(
        lambda g: 300.0 * src._slow(g, 180.0, salt=50) + 120.0 * np.sin(2 * np.pi * d.breath.at(g)),
        ts,
    )
    return 29000.0 + sig + drift + 15.0 * d.noise(ts * 11 + src.key % 999_953)


def _heart_rate(src: SyntheticSource, name: str, ts: np.ndarray, step: int) -> np.ndarray:
    hr, qual = src._hr_from_beats(ts, step)
    return hr if name == "heart_rate" else qual.astype(np.float64)


def _breathing(src: SyntheticSource, name: str, ts: np.ndarray, step: int) -> np.ndarray:
    d = src.drivers
    m = src._mid(ts, step)
    br = d.breath.rate(m)
    if name == "breathing_rate":
        return br
    if name == "breathing_rate_quality":
        noisy = (d.interp(d.intensity, m) > 0.7) & (ph.uniform(src.key, ts // TICKS, 61) < 0.3)
        return np.where(noisy, 0x10, 0).astype(np.float64)
    tv = d.interp(d.tv, m)
    return {
        "tidal_volume": tv / 13.28,
        "minute_ventilation": tv * br / 13.28,
        "tidal_volume_adjusted": tv,
        "minute_ventilation_adjusted": tv * br / 10.0,
    }[name]


def _activity(src: SyntheticSource, name: str, ts: np.ndarray, step: int) -> np.ndarray:
    d = src.drivers
    m = src._mid(ts, step)
    amp = d.interp(d.accel_amp, m)
    jitter = np.abs(ph.gauss(src.key, ts // TICKS, salt=70 if name == "activity" else 71))
    base = 0.55 * amp + 0.012 + 0.004 * jitter
    return 256.0 * (base if name == "activity" else 0.9 * base)


def _cadence(src: SyntheticSource, name: str, ts: np.ndarray, step: int) -> np.ndarray:
    return src.drivers.steps.rate(src._mid(ts, step))


def _energy(src: SyntheticSource, name: str, ts: np.ndarray, step: int) -> np.ndarray:
    d = src.drivers
    hr = d.heart.rate(src._mid(ts, step))

    def keytel_w(h: np.ndarray | float) -> np.ndarray | float:
        return (-33.13 + 0.6309 * h) * 1000.0 / 60.0  # kJ/min -> W (75 kg, 35 y, male)

    # resting metabolism (Mifflin, ~84 W) plus Keytel's effort above rest
    return 84.0 + np.maximum(keytel_w(hr) - keytel_w(d.rest_hr + 10.0), 0.0)


def _astroskin(src: SyntheticSource, name: str, ts: np.ndarray, step: int) -> np.ndarray:
    d = src.drivers
    m = src._mid(ts, step)
    if name.endswith("_quality"):
        return np.zeros(ts.shape[0])
    if name == "spo2":
        return 97.0 + np.floor(2.999 * ph.uniform(src.key, (ts - src.start) // MINUTE, 80))
    if name.startswith("systolic_pressure"):
        hr = d.heart.rate(m)
        sbp = 112.0 + 0.5 * (hr - d.rest_hr) + 2.0 * src._minute_noise(ts, 81)
        return sbp - (3.0 if name.endswith("adjusted") else 0.0)
    if name == "temperature":
        return 2281.0 + 12.0 * src._slow(ts, 2400.0, 82) + 1.5 * src._minute_noise(ts, 83)
    if name == "temperature_celcius":
        return 3350.0 + 40.0 * src._slow(ts, 2400.0, 82) + 5.0 * src._minute_noise(ts, 84)
    if name == "resp_tmpr":
        return 3250.0 + 60.0 * np.sin(2 * np.pi * d.breath.at(ts)) + 30.0 * src._slow(ts, 900, 85)
    return np.zeros(ts.shape[0])


def _hrv(src: SyntheticSource, name: str, ts: np.ndarray, step: int) -> np.ndarray:
    d = src.drivers
    cache = src._hrv_cache
    todo = [int(t) for t in ts.tolist() if int(t) not in cache]
    if todo:
        b = d.beats(todo[0] - step, todo[-1])
        edges = np.searchsorted(b.ticks, np.array(todo) - step, side="left")
        ends = np.searchsorted(b.ticks, np.array(todo), side="left")
        if len(cache) > 200_000:
            cache.clear()
        for t, i0, i1 in zip(todo, edges.tolist(), ends.tolist(), strict=True):
            sl = slice(i0, i1)
            cache[t] = ph.hrv_stats(b.ticks[sl], b.rr[sl], b.quality[sl], b.index[sl])
    return np.array([cache[int(t)].get(name, 0.0) for t in ts.tolist()], dtype=np.float64)


_SYNC: dict[str, SyncGen] = {
    "ecg_i": _ecg, "ecg_ii": _ecg, "ecg_iii": _ecg,
    "respiration_thoracic": _resp, "respiration_abdominal": _resp,
    "acceleration_x": _accel, "acceleration_y": _accel, "acceleration_z": _accel,
    "ppg": _ppg,
    "heart_rate": _heart_rate, "heart_rate_quality": _heart_rate,
    "breathing_rate": _breathing, "breathing_rate_quality": _breathing,
    "tidal_volume": _breathing, "minute_ventilation": _breathing,
    "tidal_volume_adjusted": _breathing, "minute_ventilation_adjusted": _breathing,
    "activity": _activity, "actigraphy": _activity,
    "cadence": _cadence,
    "energy_mifflin_keytel": _energy,
    "spo2": _astroskin, "spo2_quality": _astroskin,
    "systolic_pressure": _astroskin, "systolic_pressure_adjusted": _astroskin,
    "systolic_pressure_quality": _astroskin,
    "temperature": _astroskin, "temperature_celcius": _astroskin,
    "temperature_quality": _astroskin, "resp_tmpr": _astroskin,
    "ann": _hrv, "sdnn": _hrv, "rmssd": _hrv, "hrv_lf_normalized": _hrv,
    "nn_over_rr": _hrv, "hrv_triangular": _hrv, "hrv_lf": _hrv, "hrv_hf": _hrv,
}  # fmt: skip


# ---------------------------------------------------------------------------------------
# async generators: (source, lo, hi) -> (ticks, raw)
AsyncGen = Callable[[SyntheticSource, int, int], tuple[np.ndarray, np.ndarray]]


def _rr(src: SyntheticSource, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    b = src.drivers.beats(lo, hi)
    return b.ticks, b.rr


def _nn(src: SyntheticSource, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    b = src.drivers.beats(lo, hi)
    keep = (b.quality == 0) & (b.rr > 0)
    return b.ticks[keep], b.rr[keep]


def _rr_quality(src: SyntheticSource, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    b = src.drivers.beats(lo, hi)
    return b.ticks, b.quality


def _qrs(src: SyntheticSource, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    b = src.drivers.beats(lo, hi)
    return b.ticks, np.ones_like(b.ticks)


def _breath_events(offset: float) -> AsyncGen:
    def gen(src: SyntheticSource, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        d = src.drivers
        _, tk = d.cycle_events(d.breath, lo, hi, offset=offset)
        if tk.size == 0:
            return EMPTY, EMPTY
        val = np.rint(_resp_value(src, "respiration_thoracic", tk)).astype(np.int64)
        return tk, val

    return gen


def _steps(src: SyntheticSource, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    d = src.drivers
    n, tk = d.cycle_events(d.steps, lo, hi)
    return tk, n


def _positions(kind: str) -> AsyncGen:
    def gen(src: SyntheticSource, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        d = src.drivers
        if kind == "device":
            table = d.posture
        elif kind == "sleep":
            table = np.where(d.state == ph.SLEEP, d.posture, 0)
        else:
            table = d.sleep_phase
        return d.change_events(table, lo, hi)

    return gen


_ASYNC: dict[str, AsyncGen] = {
    "rr_interval": _rr,
    "rr_interval_realigned": _rr,
    "nn_interval": _nn,
    "rr_interval_quality": _rr_quality,
    "qrs": _qrs,
    "inspiration": _breath_events(0.0),
    "expiration": _breath_events(0.5),
    "step": _steps,
    "device_position": _positions("device"),
    "sleep_position": _positions("sleep"),
    "sleep_phase": _positions("phase"),
}


# ---------------------------------------------------------------------------------------
def make_source(seed: int, record: dict[str, Any]) -> Source:
    """The data source of one emulator record.

    Parameters
    ----------
    seed : int
        Emulator seed; the same (seed, user, record) always gives the same data.
    record : dict
        ``id``, ``user`` (int), ``start``, ``end`` (ticks) and optionally ``import_path``
        (an export folder or zip served as is through :mod:`hexoframe.emulator.importer`).

    Returns
    -------
    Source
        Object with ``start``, ``end`` and ``samples(datatype, start, end)``.

    Example
    -------
    >>> src = make_source(0, {"id": 37700, "user": 1511, "start": 0, "end": 256 * 3600})
    >>> ts, rr = src.samples("rr_interval", 0, 256 * 60)
    >>> int(rr[0])
    0
    """
    path = record.get("import_path")
    if path:
        from hexoframe.emulator.importer import open_export

        return open_export(str(path))
    return _cached_source(
        int(seed),
        int(record.get("id") or 0),
        int(record.get("user") or 0),
        int(record["start"]),
        int(record["end"]),
    )


@functools.lru_cache(maxsize=128)
def _cached_source(seed: int, rec_id: int, user: int, start: int, end: int) -> SyntheticSource:
    return SyntheticSource(
        ph.mix_key(seed, user, rec_id), start, end, user_key=ph.mix_key(seed, user)
    )
