"""The emulator's clock as its clients see it: Hexoskin's 256 ticks/s, or Astroskin's 1000.

The emulator stores and generates everything at 256 ticks per second. In Astroskin mode
(``Emulator(tick_rate=1000)``) every HexoTimestamp crosses the HTTP boundary through this
clock: stored times go out as the tick they fall in at the served rate (``floor``), and
times that come in (filters, data windows, written objects) map to the first stored tick
served at or after them (``ceil``). So a data window ``[a, b)`` in served ticks holds
exactly the samples whose served stamps lie in it, and a filter such as
``start__gte=v`` keeps exactly the objects whose served ``start`` is at least ``v``.

A time written at 1/1000 s is stored on the 1/256 s grid, so it reads back up to 3 ms
later unless it falls on that grid (whole seconds always do): see ``docs/emulator.md``.

Examples
--------
>>> astro = Clock(1000)
>>> astro.out(256), astro.up(1000), astro.up(1001)
(1000, 256, 257)
>>> astro.bound("lte", 1000)
('lt', 257)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from hexoframe.core.service_schema import is_tick_field
from hexoframe.core.timestamps import TICKS_PER_SECOND, ns_per_tick

__all__ = ["Clock", "HEXOSKIN", "holds_ticks"]


def holds_ticks(resource: str, name: str, fdef: Any) -> bool:
    """Whether a resource's field holds HexoTimestamps (so crosses the clock).

    Examples
    --------
    >>> holds_ticks("annotation", "start", {"type": "integer"})
    True
    """
    return is_tick_field(fdef, name, resource)


@dataclass(frozen=True)
class Clock:
    """Conversion between stored ticks (256/s) and served ticks (``tick_rate``/s).

    Parameters
    ----------
    tick_rate : int
        Ticks per second the emulator serves: 256 (Hexoskin) or 1000 (Astroskin).
    """

    tick_rate: int = TICKS_PER_SECOND

    def __post_init__(self) -> None:
        ns_per_tick(int(self.tick_rate))  # refuses rates that are not whole nanoseconds

    @property
    def native(self) -> bool:
        """True when served ticks are stored ticks (256 per second)."""
        return self.tick_rate == TICKS_PER_SECOND

    def out(self, ticks: int) -> int:
        """A stored tick as served: the served tick it falls in."""
        if self.native:
            return int(ticks)
        return (int(ticks) * self.tick_rate) // TICKS_PER_SECOND

    def out_array(self, ticks: np.ndarray) -> np.ndarray:
        """:meth:`out` of an int64 array."""
        if self.native:
            return ticks
        arr = np.asarray(ticks, dtype=np.int64)
        return (arr * np.int64(self.tick_rate)) // np.int64(TICKS_PER_SECOND)

    def up(self, ticks: int) -> int:
        """The first stored tick served at or after the served tick ``ticks``."""
        if self.native:
            return int(ticks)
        return -(-(int(ticks) * TICKS_PER_SECOND) // self.tick_rate)

    def bound(self, op: str, value: int) -> tuple[str, int]:
        """A comparison ``served op value`` as one on stored ticks: ``("gte"|"lt", tick)``
        for the order operators, ``("exact", tick)`` for equality (``-1`` when no stored
        tick is served as ``value``)."""
        if op == "gte":
            return "gte", self.up(value)
        if op == "gt":
            return "gte", self.up(value + 1)
        if op == "lt":
            return "lt", self.up(value)
        if op == "lte":
            return "lt", self.up(value + 1)
        tick = self.up(value)
        return op, (tick if self.out(tick) == int(value) else -1)

    def filter_value(self, op: str, value: Any) -> tuple[str, Any]:
        """A parsed list filter on a tick field, on stored ticks (see :meth:`bound`)."""
        if self.native or value is None or isinstance(value, bool):
            return op, value
        if op in ("gt", "gte", "lt", "lte", "exact") and isinstance(value, int):
            return self.bound(op, value)
        if op == "in" and isinstance(value, (set, list)):
            return op, {self.bound("exact", v)[1] for v in value if isinstance(v, int)}
        if op == "range" and isinstance(value, tuple) and len(value) == 2:
            lo, hi = value
            return op, (self.up(lo), self.up(hi + 1) - 1)
        return op, value


#: The Hexoskin clock: served ticks are stored ticks.
HEXOSKIN = Clock()
