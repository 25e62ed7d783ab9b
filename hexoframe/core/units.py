"""Values of a datatype in its three units, converted both ways, in one place.

* ``raw``: the integers of the binary format (WAV int16/uint16, ``.hxd`` int64);
* ``api``: what JSON and CSV answers hold, ``raw * api_scale``;
* ``physical``: ``(raw - physical_offset) * physical_scale`` (mV, g, mL, s ...).

The data engine, the accessors, the xarray engine and the EDF writer all convert through
:func:`convert`; the scales themselves are the catalogue's (:mod:`hexoframe.core.catalog`).

Examples
--------
>>> import numpy as np
>>> from hexoframe.core.catalog import lookup
>>> convert(lookup("activity"), np.array([256]), source="raw", units="api")
array([1.])
>>> convert(lookup("activity"), np.array([1.0]), source="physical", units="raw")
array([256], dtype=int16)
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from hexoframe.core.catalog import Datatype
from hexoframe.core.errors import InvalidQueryError

__all__ = ["UNITS", "Units", "check_units", "raw_dtype", "api_to_raw", "physical_to_raw", "convert"]

UNITS = ("api", "raw", "physical")
Units = Literal["api", "raw", "physical"]


def check_units(units: str) -> str:
    """Validate a ``units`` argument.

    Examples
    --------
    >>> check_units("api")
    'api'
    """
    if units not in UNITS:
        raise InvalidQueryError(f"units={units!r} is not one of {', '.join(map(repr, UNITS))}.")
    return units


def raw_dtype(dt: Datatype) -> np.dtype:
    """The integer dtype of a datatype's raw values (int16/uint16 for WAV, int64 for hxd).

    Examples
    --------
    >>> from hexoframe.core.catalog import lookup
    >>> raw_dtype(lookup("respiration_thoracic")).name
    'uint16'
    """
    if dt.is_async:
        return np.dtype(np.int64)
    return np.dtype(np.int16 if dt.signed else np.uint16)


def _as_int(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``values`` as ``dtype`` when they fit exactly, else float64."""
    if values.dtype == dtype:
        return values
    if values.dtype.kind in "iu":
        info = np.iinfo(dtype)
        if values.size == 0 or (values.min() >= info.min and values.max() <= info.max):
            return values.astype(dtype)
        return values.astype(np.float64)
    if values.size == 0:
        return values.astype(dtype)
    info = np.iinfo(dtype)
    if (
        np.isfinite(values).all()
        and values.min() >= info.min
        and values.max() <= info.max
        and (np.rint(values) == values).all()
    ):
        return values.astype(dtype)
    return values.astype(np.float64, copy=False)


def api_to_raw(dt: Datatype, values: np.ndarray) -> np.ndarray:
    """API values (JSON/CSV) to raw values: integral where they round-trip (within 1e-6),
    NaN kept.

    Examples
    --------
    >>> import numpy as np
    >>> from hexoframe.core.catalog import lookup
    >>> api_to_raw(lookup("activity"), np.array([0.5, np.nan])).tolist()
    [128.0, nan]
    """
    if dt.api_scale == 1.0:
        return values
    raw = np.asarray(values, dtype=np.float64) / dt.api_scale
    rounded = np.rint(raw)
    with np.errstate(invalid="ignore"):
        close = np.abs(raw - rounded) <= 1e-6 * np.maximum(1.0, np.abs(raw))
    return np.where(close | np.isnan(raw), rounded, raw)


def physical_to_raw(dt: Datatype, values: np.ndarray) -> np.ndarray:
    """Physical values back to raw, rounded to the nearest integer (NaN kept).

    Examples
    --------
    >>> import numpy as np
    >>> from hexoframe.core.catalog import lookup
    >>> physical_to_raw(lookup("activity"), np.array([0.5])).tolist()
    [128.0]
    """
    values = np.asarray(values, dtype=np.float64)
    return np.rint(values / dt.physical_scale + dt.physical_offset)


def convert(dt: Datatype, values: np.ndarray, *, source: str, units: str = "api") -> np.ndarray:
    """Values of one channel from ``source`` units to ``units`` (any of the three).

    Parameters
    ----------
    dt : Datatype
    values : numpy.ndarray
        Raw integers (binary), API values (JSON/CSV, float64 with NaN for null) or
        physical values.
    source, units : {"api", "raw", "physical"}
        Raw and API values keep integer dtypes where they are integral (see
        :mod:`hexoframe.data.assemble`); physical values are float64.

    Examples
    --------
    >>> import numpy as np
    >>> from hexoframe.core.catalog import lookup
    >>> convert(lookup("activity"), np.array([2.0 / 256]), source="api", units="raw")
    array([2], dtype=int16)
    """
    check_units(units)
    check_units(source)
    values = np.asarray(values)
    if source == units == "physical":
        return values
    if source == "physical":
        raw = physical_to_raw(dt, values)
    else:
        raw = values if source == "raw" else api_to_raw(dt, values)
    if units == "physical":
        return dt.to_physical(raw)
    raw = _as_int(raw, raw_dtype(dt))
    if units == "raw" or dt.api_scale == 1.0:
        return raw
    return raw.astype(np.float64) * dt.api_scale
