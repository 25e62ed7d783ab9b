"""A connection's time base: ticks per second, and where each channel's samples fall on it.

A Hexoskin host counts 256 ticks per second, an Astroskin host 1000. A channel sampled at
``freq`` Hz has a step of ``tick_rate / freq`` ticks, which at 1000 ticks/s is fractional for
the 256, 128 and 64 Hz channels (125/32, 125/16 and 125/8 ticks). So a channel's grid is
held in *sample positions*: sample ``k`` of a channel whose first sample is at tick ``first``
lies at the exact rational time ``first + k * step`` and carries the stamp
``floor(first + k * step)``, the tick it falls in. A window ``[a, b)`` of whole ticks then
holds exactly the samples whose stamps, and so whose exact times, lie in it; the exact time
of every sample is a whole number of nanoseconds, which is what the time index holds.

Every step, count, position, window length and grid here is derived from the tick rate;
nothing else in hexoframe assumes 256.

Examples
--------
>>> from hexoframe.core.catalog import lookup
>>> astro = TimeBase(1000)
>>> astro.step(lookup("ecg")), astro.step(lookup("hr"))
(Fraction(125, 32), Fraction(1000, 1))
>>> astro.count(lookup("hr"), 0, 11_000)  # stamped at the end of each second
10
>>> astro.stamps(0, astro.step(lookup("ecg")), 5).tolist()
[0, 3, 7, 11, 15]
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from hexoframe.core.errors import InvalidQueryError
from hexoframe.core.timestamps import ASTROSKIN_TICKS_PER_SECOND, TICKS_PER_SECOND, ns_per_tick

if TYPE_CHECKING:
    from hexoframe.core.catalog import Datatype

__all__ = [
    "TimeBase",
    "DEFAULT",
    "timebase_of",
    "timebase_for_host",
    "TICK_RATE_VAR",
    "ASYNC_MAX_RATE",
    "BINARY_GRID_SECONDS",
]

#: Safe upper bound on the event rate of asynchronous datatypes (events per second), used
#: to size their windows; answers at the cap are split and refetched anyway.
ASYNC_MAX_RATE = 5.0
#: Binary pieces start on a grid of this many seconds: a whole number of samples of every
#: rate down to 1/300 Hz, at 256 and at 1000 ticks per second.
BINARY_GRID_SECONDS = 300


def _rate_fraction(freq: float) -> Fraction:
    """A sampling rate as an exact fraction (1/300 Hz is stored as a float)."""
    return Fraction(freq).limit_denominator(1_000_000)


@dataclass(frozen=True)
class TimeBase:
    """Ticks per second of a connection, and the sample grid of each channel on it.

    Parameters
    ----------
    tick_rate : int
        Ticks per second: 256 (Hexoskin, the default) or 1000 (Astroskin).

    Examples
    --------
    >>> TimeBase().tick_rate, TimeBase(1000).ns_per_tick
    (256, 1000000)
    """

    tick_rate: int = TICKS_PER_SECOND

    def __post_init__(self) -> None:
        ns_per_tick(int(self.tick_rate))  # refuses rates that are not whole nanoseconds

    @property
    def ns_per_tick(self) -> int:
        """Nanoseconds in one tick."""
        return ns_per_tick(self.tick_rate)

    @property
    def binary_grid(self) -> int:
        """Ticks of the grid every binary piece starts on (:data:`BINARY_GRID_SECONDS`)."""
        return BINARY_GRID_SECONDS * self.tick_rate

    def ticks(self, seconds: float) -> int:
        """Whole ticks in ``seconds`` (floored).

        Examples
        --------
        >>> TimeBase(1000).ticks(1.5)
        1500
        """
        return int(seconds * self.tick_rate)

    def step(self, dt: Datatype) -> Fraction:
        """Ticks between two samples of a sync channel, exactly.

        Examples
        --------
        >>> from hexoframe.core.catalog import lookup
        >>> TimeBase().step(lookup("ecg")), TimeBase(1000).step(lookup("breathing_rate"))
        (Fraction(1, 1), Fraction(1000, 1))
        """
        if dt.freq is None:
            raise InvalidQueryError(f"{dt.name} is an event channel: it has no sample step.")
        return Fraction(self.tick_rate) / _rate_fraction(dt.freq)

    def step_or_none(self, dt: Datatype) -> Fraction | None:
        """:meth:`step`, or ``None`` for an event channel."""
        return None if dt.freq is None else self.step(dt)

    def first_offset(self, dt: Datatype) -> int:
        """Ticks from a record's start to its first sample: one step when the channel is
        stamped at the end of its interval (1 Hz and slower, whole ticks), else 0."""
        if dt.freq is None or not dt.end_stamped:
            return 0
        return int(self.step(dt))

    def step_ns(self, step: Fraction | int) -> int:
        """Nanoseconds in ``step`` ticks (exact; ``ValueError`` if not whole).

        Examples
        --------
        >>> TimeBase(1000).step_ns(Fraction(125, 32))
        3906250
        """
        ns = Fraction(step) * self.ns_per_tick
        if ns.denominator != 1:
            raise ValueError(f"{step} ticks is not a whole number of nanoseconds")
        return int(ns)

    def ns(self, tick: Fraction | int) -> int:
        """Nanoseconds since the epoch of an exact tick time (a whole number of them).

        Examples
        --------
        >>> TimeBase(1000).ns(Fraction(125, 32))
        3906250
        """
        return self.step_ns(tick)

    @staticmethod
    def whole_ticks(step: Fraction | int) -> int:
        """The shortest whole number of ticks holding a whole number of steps.

        Window edges that must fall on the grid are multiples of this from the first sample.

        Examples
        --------
        >>> TimeBase.whole_ticks(Fraction(125, 32)), TimeBase.whole_ticks(4)
        (125, 4)
        """
        return Fraction(step).numerator

    @staticmethod
    def stamp(first: Fraction | int, step: Fraction | int, k: int) -> int:
        """The tick stamped on sample ``k`` of a grid whose sample 0 is at exact tick ``first``.

        Examples
        --------
        >>> TimeBase.stamp(0, Fraction(125, 32), 3)
        11
        """
        return math.floor(Fraction(first) + int(k) * Fraction(step))

    @staticmethod
    def stamps(first: Fraction | int, step: Fraction | int, n: int, k0: int = 0) -> np.ndarray:
        """Stamps of samples ``k0 .. k0+n-1`` of a grid whose sample 0 is at ``first`` (int64).

        Examples
        --------
        >>> TimeBase.stamps(Fraction(125, 32), Fraction(125, 32), 3).tolist()
        [3, 7, 11]
        """
        return TimeBase.stamps_at(first, step, np.arange(int(k0), int(k0) + int(n), dtype=np.int64))

    @staticmethod
    def stamps_at(first: Fraction | int, step: Fraction | int, k: np.ndarray) -> np.ndarray:
        """Stamps of the samples at positions ``k`` (an int64 array) of a grid whose sample 0
        is at ``first``.

        Examples
        --------
        >>> TimeBase.stamps_at(0, Fraction(125, 32), np.array([0, 8])).tolist()
        [0, 31]
        """
        f, s = Fraction(first), Fraction(step)
        k = np.asarray(k, dtype=np.int64)
        if f.denominator == 1 and s.denominator == 1:
            return k * np.int64(s.numerator) + np.int64(
                f.numerator
            )  # array first: numpy's fast path
        d = math.lcm(f.denominator, s.denominator)
        a, p = int(f * d), int(s * d)
        return (k * np.int64(p) + np.int64(a)) // np.int64(d)

    @staticmethod
    def position(first: Fraction | int, step: Fraction | int, t: int) -> int:
        """Position of the first sample stamped at or after tick ``t`` (0 when ``t`` is
        before sample 0): also the number of samples stamped before ``t``.

        Examples
        --------
        >>> TimeBase.position(0, Fraction(125, 32), 4), TimeBase.position(0, 256, -5)
        (2, 0)
        """
        return max(0, math.ceil((int(t) - Fraction(first)) / Fraction(step)))

    @staticmethod
    def positions(first: int, step: Fraction | int, ticks: np.ndarray) -> np.ndarray:
        """:meth:`position` of each tick in ``ticks`` from a whole-tick ``first`` (int64;
        negative before sample 0).

        Examples
        --------
        >>> TimeBase.positions(0, Fraction(125, 32), np.array([0, 3, 4, 7])).tolist()
        [0, 1, 2, 2]
        """
        s = Fraction(step)
        span = np.asarray(ticks, dtype=np.int64) - np.int64(first)
        return -((-span * np.int64(s.denominator)) // np.int64(s.numerator))

    @staticmethod
    def at(first: Fraction | int, step: Fraction | int, k: int) -> Fraction:
        """The exact time in ticks of sample ``k`` (a fraction of a tick in general)."""
        return Fraction(first) + int(k) * Fraction(step)

    def grid_start(self, dt: Datatype, origin: int, t: int) -> int:
        """Stamp of the first sample at or after ``t`` of a channel in a record from
        ``origin`` (``t`` itself for event channels).

        Examples
        --------
        >>> from hexoframe.core.catalog import lookup
        >>> TimeBase().grid_start(lookup("heart_rate"), 0, 1), TimeBase(1000).grid_start(
        ...     lookup("ecg"), 0, 5)
        (256, 7)
        """
        if dt.freq is None:
            return int(t)
        first = int(origin) + self.first_offset(dt)
        step = self.step(dt)
        return self.stamp(first, step, self.position(first, step, t))

    def count(self, dt: Datatype, origin: int, end: int) -> int:
        """Samples of a sync channel in a record running from ``origin`` to ``end``.

        Examples
        --------
        >>> from hexoframe.core.catalog import lookup
        >>> TimeBase().count(lookup("ecg"), 0, 256 * 129), TimeBase(1000).count(
        ...     lookup("ecg"), 0, 1000)
        (33024, 256)
        """
        first = int(origin) + self.first_offset(dt)
        return self.position(first, self.step(dt), end)

    def window_ticks(self, step: Fraction | int, cap: int) -> int:
        """Length in ticks of a window of at most ``cap`` samples that ends on the grid.

        Examples
        --------
        >>> TimeBase(1000).window_ticks(Fraction(125, 32), 65535)
        255875
        """
        s = Fraction(step)
        samples = max(s.denominator, int(cap) // s.denominator * s.denominator)
        return int(samples * s)

    def async_window(self, cap: int) -> int:
        """Ticks of a window of an event channel that should hold fewer than ``cap`` events."""
        return max(1, int(cap / ASYNC_MAX_RATE * self.tick_rate))


#: The Hexoskin time base (256 ticks per second).
DEFAULT = TimeBase()


#: Environment variable naming the ticks per second of the host (256 or 1000).
TICK_RATE_VAR = "HEXOSKIN_TICK_RATE"


def timebase_for_host(host: str) -> TimeBase:
    """The time base of a host: ``HEXOSKIN_TICK_RATE`` when set, else Astroskin's 1000
    ticks/s for a host named "astroskin", else Hexoskin's 256.

    Examples
    --------
    >>> timebase_for_host("api.astroskin.com").tick_rate
    1000
    """
    value = os.environ.get(TICK_RATE_VAR, "").strip()
    if value:
        try:
            return TimeBase(int(value))
        except ValueError:
            raise InvalidQueryError(
                f"{TICK_RATE_VAR}={value!r} is not a tick rate; set it to 256 (Hexoskin) "
                "or 1000 (Astroskin), or unset it."
            ) from None
    return TimeBase(ASTROSKIN_TICKS_PER_SECOND if "astroskin" in host.lower() else TICKS_PER_SECOND)


def timebase_of(owner: Any) -> TimeBase:
    """The time base of a client, plan or source (its ``timebase``, else its ``tick_rate``).

    Examples
    --------
    >>> timebase_of(None).tick_rate
    256
    """
    tb = getattr(owner, "timebase", None)
    if isinstance(tb, TimeBase):
        return tb
    rate = getattr(owner, "tick_rate", None)
    return TimeBase(int(rate)) if rate else DEFAULT
