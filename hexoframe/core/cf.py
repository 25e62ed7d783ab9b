"""CF metadata of Hexoskin channels: units that pint and UDUNITS read, flags, time axes.

Every object hexoframe builds (xarray variables, pandas Series, ``.hexo.to_xarray()``)
takes its attributes from here, so a dataset and a frame describe a channel alike:

* ``units``: a UDUNITS/CF string (``min-1``, ``mL``, ``mV``, ``gravity``, ``1`` ...) that
  pint (with cf-xarray's registry, as ``pint-xarray``'s ``quantify`` uses it) parses
  correctly; the service's own unit name stays in ``hexoskin_unit`` (``bpm``, ``rpm``,
  ``g/256``, ``ADC`` ...). Rates per minute are ``min-1`` with a ``long_name`` saying
  what is counted (beats, breaths, steps), never ``rpm`` (revolutions) or ``bpm``;
  acceleration is ``gravity`` (9.80665 m s-2), never ``g`` (grams); counts, arbitrary
  units and ADC values are ``1``. Values in a unit with a scale factor (raw ``1/256 s``,
  ``13.28 mL``) are ``1``: UDUNITS strings cannot carry the factor, so the conversion is
  in ``hexoskin_unit`` and :mod:`hexoframe.core.units`.
* quality bitmasks are CF flag variables (``flag_masks``, ``flag_meanings``); coded
  channels (positions, sleep phase) carry ``flag_values`` and ``flag_meanings``;
* time coordinates have ``standard_name="time"`` and ``axis="T"``;
* datasets say ``Conventions = "CF-1.10"``; ``rate_hz`` is a number, absent for event
  channels.

Examples
--------
>>> from hexoframe.core.catalog import lookup
>>> a = variable_attrs(lookup("br"), "api")
>>> a["units"], a["hexoskin_unit"], a["long_name"]
('min-1', 'rpm', 'Breathing rate (breaths per minute)')
>>> variable_attrs(lookup("hr_quality"), "api")["flag_meanings"].split()[:2]
['disconnected', 'mains_noise']
"""

from __future__ import annotations

from typing import Any

from hexoframe.core.catalog import CODE_MEANINGS, FLAG_BITS, Datatype

__all__ = ["CONVENTIONS", "TIME_ATTRS", "cf_units", "variable_attrs", "dataset_attrs", "unit_label"]

CONVENTIONS = "CF-1.10"
#: Attributes of every time coordinate (values are UTC datetimes).
TIME_ATTRS: dict[str, str] = {
    "standard_name": "time",
    "axis": "T",
    "long_name": "time",
    "timezone": "UTC",
}

# The service's unit names -> UDUNITS/CF strings. A name with a scale factor
# ("13.28 mL", "1/256 s") is absent: its values are dimensionless counts ("1").
_CF = {
    "ADC": "1",
    "a.u.": "1",
    "g/256": "1",
    "bitmask": "1",
    "code": "1",
    "event": "1",
    "steps": "1",
    "": "1",
    "bpm": "min-1",
    "rpm": "min-1",
    "steps/min": "min-1",
    "mL/min": "mL min-1",
    "mL": "mL",
    "mV": "mV",
    "g": "gravity",
    "W": "W",
    "%": "percent",
    "mmHg": "mmHg",
    "degC": "degC",
    "s": "s",
    "ms^2": "ms2",
}
_PER_MINUTE = {
    "bpm": "beats per minute",
    "rpm": "breaths per minute",
    "steps/min": "steps per minute",
}


def unit_label(dt: Datatype, units: str) -> str:
    """The service's name of the unit of ``dt``'s values in ``units`` (api/raw/physical).

    Examples
    --------
    >>> from hexoframe.core.catalog import lookup
    >>> unit_label(lookup("ecg"), "physical"), unit_label(lookup("activity"), "raw")
    ('mV', 'g/256')
    """
    if units == "raw":
        return dt.unit_raw
    if units == "physical":
        return dt.physical_unit
    return dt.unit


def cf_units(dt: Datatype, units: str = "api") -> str:
    """The UDUNITS/CF ``units`` string of ``dt``'s values in ``units``.

    Examples
    --------
    >>> from hexoframe.core.catalog import lookup
    >>> [cf_units(lookup(k)) for k in ("hr", "activity", "ecg", "rr", "minute_ventilation")]
    ['min-1', 'gravity', '1', 's', 'mL min-1']
    >>> cf_units(lookup("ecg"), "physical"), cf_units(lookup("rr"), "raw")
    ('mV', '1')
    """
    return _CF.get(unit_label(dt, units), "1")


def _long_name(dt: Datatype, label: str) -> str:
    base = dt.info.split(";")[0].split(":")[0].split(",")[0].rstrip(".") or dt.api_name
    per = _PER_MINUTE.get(label)
    if per:
        return f"{base} ({per})"
    if _CF.get(label) is None and label:
        return f"{base} (in units of {label})"
    return base


def variable_attrs(dt: Datatype, units: str = "api") -> dict[str, Any]:
    """CF attributes of a channel's values in ``units``.

    Examples
    --------
    >>> from hexoframe.core.catalog import lookup
    >>> a = variable_attrs(lookup("acc_x"), "physical")
    >>> a["units"], a["hexoskin_unit"], a["rate_hz"]
    ('gravity', 'g', 64.0)
    >>> "rate_hz" in variable_attrs(lookup("rr"), "api")
    False
    """
    label = unit_label(dt, units)
    attrs: dict[str, Any] = {
        "units": cf_units(dt, units),
        "long_name": _long_name(dt, label),
        "hexoskin_unit": label,
        "hexoskin_units": units,
        "datatype": dt.name,
        "datatype_id": dt.id,
    }
    if dt.freq is not None:
        attrs["rate_hz"] = float(dt.freq)
    bits = FLAG_BITS.get(dt.name)
    if bits:
        attrs["flag_masks"] = [int(v) for v in bits.values()]
        attrs["flag_meanings"] = " ".join(bits)
    codes = CODE_MEANINGS.get(dt.name)
    if codes:
        attrs["flag_values"] = [int(v) for v in codes.values()]
        attrs["flag_meanings"] = " ".join(codes)
        attrs["comment"] = "The service does not publish what each code means."
    return attrs


def dataset_attrs(**extra: Any) -> dict[str, Any]:
    """Global attributes: ``Conventions`` and ``timezone`` plus ``extra``.

    Examples
    --------
    >>> dataset_attrs(record_id=1)["Conventions"]
    'CF-1.10'
    """
    return {"Conventions": CONVENTIONS, "timezone": "UTC", **extra}
