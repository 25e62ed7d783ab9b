"""Deterministic physiology drivers for the emulator.

Everything here is a pure function of a 64-bit key (derived from the emulator seed, the
user and the record) and of time in ticks (1/256 s).  Slowly varying quantities (heart
rate, breathing rate, tidal volume, cadence, posture) live in per-minute tables that
cost a few milliseconds even for a week-long record; fast quantities (beats, breaths,
steps) are integer crossings of phases integrated in closed form from those tables, so
any window of any channel is computed locally and agrees with every other window.

Example
-------
>>> drv = Drivers(key=1, start=0, end=256 * 600)
>>> beats = drv.beats(0, 256 * 60)
>>> bool(40 < len(beats.ticks) < 200)
True
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

TICKS = 256
MINUTE = 60 * TICKS
BLOCK_MINUTES = 5

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_MASK64 = (1 << 64) - 1

# Activity states (per minute).
SLEEP, SIT, STAND, WALK, RUN = 0, 1, 2, 3, 4
_INTENSITY = np.array([0.0, 0.05, 0.12, 0.45, 0.9])

# device_position codes used by the emulator (0-6, as the service's range).
POS_UNKNOWN, POS_STANDING, POS_SITTING, POS_SUPINE, POS_PRONE, POS_LEFT, POS_RIGHT = range(7)

# Unit gravity vector (x, y, z) in g for each device_position code.
GRAVITY = np.array(
    [
        [-0.90, 0.10, -0.40],  # unknown
        [-0.97, 0.05, -0.22],  # standing
        [-0.55, 0.35, -0.75],  # sitting (close to the real export's means)
        [0.05, 0.06, -0.99],  # supine
        [0.05, -0.06, 0.99],  # prone
        [0.05, 0.99, -0.10],  # left side
        [0.05, -0.99, -0.10],  # right side
    ]
)


def splitmix64(x: np.ndarray) -> np.ndarray:
    """Hash an array of uint64 counters with splitmix64 (vectorised, wrapping).

    Example
    -------
    >>> splitmix64(np.arange(2, dtype=np.uint64)).dtype
    dtype('uint64')
    """
    z = np.asarray(x, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = z + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        return z ^ (z >> np.uint64(31))


def mix_key(*parts: int) -> int:
    """Combine integers into one 64-bit key (order matters).

    Example
    -------
    >>> mix_key(0, 1511, 37700) != mix_key(1, 1511, 37700)
    True
    """
    h = np.array([0x243F6A8885A308D3], dtype=np.uint64)
    for p in parts:
        h = splitmix64(h ^ np.array([int(p) & _MASK64], dtype=np.uint64))
    return int(h[0])


def uniform(key: int, idx: np.ndarray | int, salt: int) -> np.ndarray:
    """Deterministic uniform numbers in [0, 1) for integer indices.

    Example
    -------
    >>> u = uniform(7, np.arange(5), salt=1)
    >>> bool(((u >= 0) & (u < 1)).all())
    True
    """
    k = np.uint64(mix_key(key, salt))
    i = np.asarray(idx, dtype=np.int64).astype(np.uint64)
    with np.errstate(over="ignore"):
        h = splitmix64(i * _GOLDEN ^ k)
    return (h >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def gauss(key: int, idx: np.ndarray | int, salt: int) -> np.ndarray:
    """Deterministic approximately standard-normal numbers (Irwin-Hall of 4 uniforms)."""
    s = uniform(key, idx, salt)
    for j in range(1, 4):
        s = s + uniform(key, idx, salt * 16 + j)
    return (s - 2.0) * np.sqrt(3.0)


_NOISE: list[np.ndarray] = []
_NOISE_LOCK = threading.Lock()


def noise_table() -> np.ndarray:
    """A shared table of ~1e6 deterministic standard-normal float32 numbers (built once)."""
    if not _NOISE:
        with _NOISE_LOCK:
            if not _NOISE:
                _NOISE.append(gauss(0x5EED, np.arange(1_000_003), salt=99).astype(np.float32))
    return _NOISE[0]


class Phase:
    """A phase (in cycles) integrated in closed form from a per-minute rate table.

    The rate (cycles per minute) is linear between nodes placed at ``start + j*MINUTE``.

    Example
    -------
    >>> ph = Phase(0, np.array([60.0, 60.0, 60.0]))
    >>> float(ph.at(np.array([256 * 30]))[0])
    30.0
    """

    def __init__(self, start: int, rate_nodes: np.ndarray) -> None:
        r = np.asarray(rate_nodes, dtype=np.float64)
        self.start = int(start)
        self.r0 = r[:-1]
        self.r1 = r[1:]
        self.cum = np.concatenate([[0.0], np.cumsum((self.r0 + self.r1) / 2.0)])
        self.n_minutes = len(self.r0)

    def _split(self, ticks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        off = np.asarray(ticks, dtype=np.int64) - self.start
        j = np.clip(off // MINUTE, 0, self.n_minutes - 1)
        tau = (off - j * MINUTE) / TICKS
        return j, tau

    def at(self, ticks: np.ndarray) -> np.ndarray:
        """Phase in cycles at the given ticks (0 at the record start)."""
        j, tau = self._split(ticks)
        r0 = self.r0[j]
        return self.cum[j] + (r0 * tau + (self.r1[j] - r0) * tau * tau / 120.0) / 60.0

    def rate(self, ticks: np.ndarray) -> np.ndarray:
        """Instantaneous rate (cycles per minute) at the given ticks."""
        j, tau = self._split(ticks)
        return self.r0[j] + (self.r1[j] - self.r0[j]) * (tau / 60.0)

    def crossing_ticks(self, targets: np.ndarray) -> np.ndarray:
        """Time (float ticks, absolute) at which the phase first reaches each target."""
        n = np.asarray(targets, dtype=np.float64)
        j = np.clip(np.searchsorted(self.cum, n, side="left") - 1, 0, self.n_minutes - 1)
        r0 = self.r0[j]
        a = (self.r1[j] - r0) / 7200.0
        b = r0 / 60.0
        r = n - self.cum[j]
        disc = np.sqrt(np.maximum(b * b + 4.0 * a * r, 0.0))
        den = b + disc
        with np.errstate(divide="ignore", invalid="ignore"):
            tau = np.where(den > 0, 2.0 * r / den, 0.0)
        return self.start + j * MINUTE + tau * TICKS

    def indices(self, t0: int, t1: int, offset: float = 0.0, pad: int = 64) -> np.ndarray:
        """Candidate cycle indices n whose crossing of ``n + offset`` may lie in [t0, t1)."""
        p = self.at(np.array([t0 - pad, t1 + pad], dtype=np.int64))
        lo = max(int(np.floor(p[0] - offset)), 1)
        hi = int(np.ceil(p[1] - offset)) + 1
        return np.arange(lo, max(hi, lo), dtype=np.int64)


@dataclass(frozen=True)
class Beats:
    """Heart beats in a window: beat index, R-peak tick, RR (ticks, 0 for the first beat
    of the record) and RR quality flags (0 good, 0x01 noisy, 0x80 unreliable)."""

    index: np.ndarray
    ticks: np.ndarray
    rr: np.ndarray
    quality: np.ndarray


class Drivers:
    """Per-record slowly varying drivers and the phases derived from them.

    Parameters
    ----------
    key : int
        64-bit key (see :func:`mix_key`), e.g. from (seed, user, record).
    start, end : int
        Record bounds in ticks.
    user_key : int, optional
        Key for per-user traits (resting heart rate, body); defaults to ``key``.

    Example
    -------
    >>> d = Drivers(key=3, start=0, end=256 * 3600)
    >>> d.hr.shape[0] >= 61
    True
    """

    def __init__(self, key: int, start: int, end: int, user_key: int | None = None) -> None:
        self.key = int(key)
        self.user_key = int(self.key if user_key is None else user_key)
        self.start = int(start)
        self.end = int(end)
        n_min = max(1, -(-(self.end - self.start) // MINUTE)) + 2
        self.n_minutes = n_min
        nodes = np.arange(n_min + 1, dtype=np.int64)
        self._build(nodes)
        self._mayer_phase = float(uniform(self.key, 0, salt=33))

    # -- tables -------------------------------------------------------------------------
    def _build(self, nodes: np.ndarray) -> None:
        k = self.key
        uk = self.user_key
        secs = self.start // TICKS + nodes * 60
        hour = (secs % 86400) / 3600.0
        asleep = (hour >= 23.0) | (hour < 7.0)
        block = (secs // (60 * BLOCK_MINUTES)).astype(np.int64)
        u = uniform(k, block, salt=11)
        state = np.select(
            [asleep, u < 0.55, u < 0.72, u < 0.93], [SLEEP, SIT, STAND, WALK], default=RUN
        ).astype(np.int8)
        intensity = _INTENSITY[state]
        # First-order lag: the heart follows effort with a time constant of ~1-2 minutes.
        smooth = np.empty_like(intensity)
        acc = intensity[0]
        for i, v in enumerate(intensity.tolist()):
            acc = acc + 0.55 * (v - acc)
            smooth[i] = acc
        g = gauss(k, nodes, salt=21)
        t_min = nodes.astype(np.float64)
        rest_hr = 56.0 + 12.0 * float(uniform(uk, 0, salt=1))
        sleep = asleep.astype(np.float64)
        self.state = state
        self.intensity = smooth
        self.hr = (
            rest_hr - 7.0 * sleep + 92.0 * smooth + 3.0 * np.sin(2 * np.pi * t_min / 97.0) + 1.5 * g
        )
        self.br = (
            13.5
            - 2.0 * sleep
            + 22.0 * smooth
            + 1.0 * np.sin(2 * np.pi * t_min / 71.0)
            + 0.6 * gauss(k, nodes, salt=22)
        )
        self.tv = 470.0 - 40.0 * sleep + 1250.0 * smooth + 25.0 * gauss(k, nodes, salt=23)
        cad_u = uniform(k, block, salt=12)
        self.cadence = np.where(
            state == WALK, 104.0 + 10.0 * cad_u, np.where(state == RUN, 160.0 + 12.0 * cad_u, 0.0)
        )
        self.accel_amp = np.where(state == WALK, 0.32, np.where(state == RUN, 0.85, 0.0))
        # Posture: upright states by activity, lying sides while asleep (changing every
        # 20-60 minutes).
        sleep_blk = (secs // 1800).astype(np.int64)
        side = np.array([POS_SUPINE, POS_LEFT, POS_RIGHT, POS_PRONE])[
            (uniform(k, sleep_blk, salt=13) * 4).astype(np.int64) % 4
        ]
        self.posture = np.where(
            asleep, side, np.where(state == SIT, POS_SITTING, POS_STANDING)
        ).astype(np.int64)
        # Sleep phase: 90-minute cycles of light (1), deep (2), light, REM (3); 0 awake.
        cyc = ((secs % 5400) // 1350).astype(np.int64)
        self.sleep_phase = np.where(asleep, np.array([1, 2, 1, 3])[cyc], 0).astype(np.int64)
        self.rest_hr = rest_hr
        self.heart = Phase(self.start, self.hr)
        self.breath = Phase(self.start, self.br)
        self.steps = Phase(self.start, self.cadence)

    # -- per-tick helpers ---------------------------------------------------------------
    def minute_of(self, ticks: np.ndarray) -> np.ndarray:
        """Index of the per-minute node at or before each tick (clipped)."""
        off = np.asarray(ticks, dtype=np.int64) - self.start
        return np.clip(off // MINUTE, 0, self.n_minutes - 1)

    def interp(self, table: np.ndarray, ticks: np.ndarray) -> np.ndarray:
        """Linear interpolation of a node table at the given ticks."""
        off = np.asarray(ticks, dtype=np.int64) - self.start
        j = np.clip(off // MINUTE, 0, self.n_minutes - 1)
        frac = (off - j * MINUTE) / MINUTE
        return table[j] + (table[j + 1] - table[j]) * frac

    def noise(self, idx: np.ndarray) -> np.ndarray:
        """Standard-normal noise indexed by an integer (e.g. a tick), from a shared table."""
        tab = noise_table()
        return tab[np.asarray(idx, dtype=np.int64) % tab.shape[0]]

    # -- events -------------------------------------------------------------------------
    def beat_ticks(self, n: np.ndarray) -> np.ndarray:
        """R-peak tick of beat index n (n >= 1), deterministic per beat."""
        base = self.heart.crossing_ticks(n.astype(np.float64))
        rsa_phase = self.breath.at(np.floor(base).astype(np.int64))
        calm = 1.0 - np.clip(self.interp(self.intensity, base.astype(np.int64)), 0.0, 1.0)
        mayer = np.sin(2 * np.pi * (0.095 * (base - self.start) / TICKS + self._mayer_phase))
        jitter = (
            2.2 * gauss(self.key, n, salt=31)
            + 4.0 * calm * np.sin(2 * np.pi * rsa_phase)
            + 9.0 * calm * mayer
        )
        return np.rint(base + jitter).astype(np.int64)

    def beats(self, t0: int, t1: int) -> Beats:
        """Beats whose R peak lies in [t0, t1) within the record."""
        t0 = max(int(t0), self.start)
        t1 = min(int(t1), self.end)
        if t1 <= t0:
            e = np.zeros(0, dtype=np.int64)
            return Beats(e, e, e, e)
        n = self.heart.indices(t0, t1, pad=128)
        if n.size == 0:
            e = np.zeros(0, dtype=np.int64)
            return Beats(e, e, e, e)
        nn = np.concatenate([[n[0] - 1], n]) if n[0] > 1 else n
        tk = self.beat_ticks(np.maximum(nn, 1))
        if n[0] > 1:
            prev, tk = tk[:-1], tk[1:]
        else:
            prev = np.concatenate([[tk[0]], tk[:-1]])
        rr = tk - prev
        keep = (tk >= t0) & (tk < t1)
        n, tk, rr = n[keep], tk[keep], rr[keep]
        inten = self.interp(self.intensity, tk)
        u = uniform(self.key, n, salt=32)
        q = np.where(u < 0.004, 0x80, np.where(u < 0.01 + 0.05 * inten, 0x01, 0))
        q = np.where(n == 1, 0x80, q).astype(np.int64)
        return Beats(n, tk, rr, q)

    def cycle_events(
        self, phase: Phase, t0: int, t1: int, offset: float = 0.0
    ) -> tuple[np.ndarray, np.ndarray]:
        """(cycle index, tick) of the crossings of ``n + offset`` lying in [t0, t1)."""
        t0 = max(int(t0), self.start)
        t1 = min(int(t1), self.end)
        if t1 <= t0:
            e = np.zeros(0, dtype=np.int64)
            return e, e
        n = phase.indices(t0, t1, offset=offset, pad=4)
        tk = np.ceil(phase.crossing_ticks(n + offset)).astype(np.int64)
        keep = (tk >= t0) & (tk < t1)
        return n[keep], tk[keep]

    def change_events(self, table: np.ndarray, t0: int, t1: int) -> tuple[np.ndarray, np.ndarray]:
        """Events at minute boundaries where a per-minute code changes (and at the record
        start), as (ticks, code)."""
        t0 = max(int(t0), self.start)
        t1 = min(int(t1), self.end)
        if t1 <= t0:
            e = np.zeros(0, dtype=np.int64)
            return e, e
        j0 = -(-(t0 - self.start) // MINUTE)
        j1 = -(-(t1 - self.start) // MINUTE)
        j = np.arange(j0, j1, dtype=np.int64)
        code = table[j]
        prev = table[np.maximum(j - 1, 0)]
        keep = (j == 0) | (code != prev)
        return self.start + j[keep] * MINUTE, code[keep].astype(np.int64)


HRV_NAMES = (
    "ann",
    "sdnn",
    "rmssd",
    "hrv_lf_normalized",
    "nn_over_rr",
    "hrv_triangular",
    "hrv_lf",
    "hrv_hf",
)


def lf_hf(nn_ticks: np.ndarray, nn_values: np.ndarray) -> tuple[float, float]:
    """LF (0.04-0.15 Hz) and HF (0.15-0.4 Hz) power in ms^2 of an NN series.

    The series (beat tick, NN in ticks) is interpolated at 4 Hz, detrended, Hann-windowed
    and integrated from its periodogram.

    Example
    -------
    >>> t = np.cumsum(np.full(400, 256)); lf, hf = lf_hf(t, np.full(400, 256))
    >>> lf < 1e-9 and hf < 1e-9
    True
    """
    if nn_ticks.size < 16:
        return 0.0, 0.0
    t = nn_ticks.astype(np.float64) / TICKS
    v = nn_values.astype(np.float64) * (1000.0 / TICKS)
    fs = 4.0
    grid = np.arange(t[0], t[-1], 1.0 / fs)
    if grid.size < 64:
        return 0.0, 0.0
    x = np.interp(grid, t, v)
    x = x - np.polyval(np.polyfit(np.arange(x.size), x, 1), np.arange(x.size))
    w = np.hanning(x.size)
    spec = np.abs(np.fft.rfft(x * w)) ** 2 / (fs * np.sum(w * w))
    spec[1:] *= 2.0
    f = np.fft.rfftfreq(x.size, 1.0 / fs)
    df = f[1] - f[0]
    lf = float(spec[(f >= 0.04) & (f < 0.15)].sum() * df)
    hf = float(spec[(f >= 0.15) & (f < 0.4)].sum() * df)
    return lf, hf


def hrv_stats(
    ticks: np.ndarray, rr: np.ndarray, quality: np.ndarray, index: np.ndarray
) -> dict[str, float]:
    """HRV summaries of a block of beats, as raw values of the HRV datatypes.

    ANN/SDNN/RMSSD in 1/4096 s, LF/HF in 0.1 ms^2, LF normalised and NN/RR in percent,
    the triangular index (NN histogram with 1/128 s bins) as a plain number.

    Example
    -------
    >>> t = np.arange(1, 400) * 200; s = hrv_stats(t, np.full(399, 200),
    ...     np.zeros(399, int), np.arange(1, 400))
    >>> float(s["ann"])
    3200.0
    """
    ok = (quality == 0) & (rr > 0)
    n_rr = int((rr > 0).sum())
    if ok.sum() < 3:
        return dict.fromkeys(HRV_NAMES, 0.0)
    nn = rr[ok].astype(np.float64)
    idx = index[ok]
    d = np.diff(nn)[np.diff(idx) == 1]
    lf, hf = lf_hf(ticks[ok], rr[ok])
    hist = np.bincount(((nn - nn.min()) // 2).astype(np.int64))
    return {
        "ann": nn.mean() * 16.0,
        "sdnn": nn.std(ddof=1) * 16.0,
        "rmssd": float(np.sqrt(np.mean(d * d))) * 16.0 if d.size else 0.0,
        "hrv_lf": lf * 10.0,
        "hrv_hf": hf * 10.0,
        "hrv_lf_normalized": 100.0 * lf / (lf + hf) if lf + hf > 0 else 0.0,
        "nn_over_rr": 100.0 * nn.size / max(n_rr, 1),
        "hrv_triangular": nn.size / hist.max(),
    }
