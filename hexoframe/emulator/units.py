"""The ``unit`` objects the emulator serves: every unit its datatypes and metrics use.

The real service links ``datatype.unit``, ``datatype.unit_raw`` and ``metric.unit`` to
``/api/v1/unit/N/`` objects (``si_short``, ``si_long``, ``info``). The emulator numbers
its units 1, 2, ... in sorted order of their short names, so ids are stable.

Examples
--------
>>> from hexoframe.emulator.units import unit_id, unit_objects
>>> obj = unit_objects()[unit_id("bpm") - 1]
>>> obj["si_short"], obj["id"] == unit_id("bpm")
('bpm', True)
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

__all__ = ["unit_id", "unit_objects"]

#: Long names of the short unit names the catalogue and metrics use.
_LONG = {
    "": "dimensionless",
    "%": "percent",
    "ADC": "analog-to-digital converter counts",
    "W": "watt",
    "a.u.": "arbitrary unit",
    "bpm": "beats per minute",
    "degC": "degree Celsius",
    "g": "standard gravity",
    "kcal": "kilocalorie",
    "L/min": "litre per minute",
    "mL": "millilitre",
    "mL/min": "millilitre per minute",
    "mmHg": "millimetre of mercury",
    "ms^2": "square millisecond",
    "rpm": "respirations per minute",
    "s": "second",
    "spm": "steps per minute",
    "steps": "steps",
    "steps/min": "steps per minute",
    "Step": "steps",
}


@lru_cache(maxsize=1)
def _names() -> tuple[str, ...]:
    from hexoframe.core.catalog import all_datatypes
    from hexoframe.emulator.metrics import METRICS

    names = {d.unit for d in all_datatypes()} | {d.unit_raw for d in all_datatypes()}
    names |= {str(m["unit"]) for m in METRICS}
    return tuple(sorted(names))


def unit_objects() -> list[dict[str, Any]]:
    """Every unit as stored (related fields none; ``resource_uri`` added on rendering)."""
    return [
        {
            "id": n,
            "si_short": name,
            "si_long": _LONG.get(name, name),
            "info": f"Unit {name!r} of Hexoskin datatypes and metrics."
            if name
            else "No unit (counts, codes, flags).",
        }
        for n, name in enumerate(_names(), start=1)
    ]


def unit_id(name: str) -> int:
    """The id of the unit whose short name is *name*.

    Raises
    ------
    KeyError
        If no datatype or metric uses that unit.
    """
    try:
        return _names().index(name) + 1
    except ValueError:
        raise KeyError(f"no unit {name!r}") from None
