"""Parsing of the values clients send: ids and URIs, numbers, booleans, times, points.

Each parser raises :class:`ValueError` on bad input (the caller words the 400 answer),
except :func:`strict_int`, which raises the :class:`~.responses.ApiError` itself.

Examples
--------
>>> related_key("/api/v1/record/37700/", "record")
37700
>>> parse_bool("t"), number("2.5")
(True, 2.5)
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from typing import Any

from hexoframe.emulator.responses import ApiError

__all__ = ["number", "parse_bool", "parse_dt", "point", "related_key", "strict_int"]


def related_key(value: Any, target: str) -> Any:
    """Id (int, or device serial) from an id or a resource URI.

    Parameters
    ----------
    value : Any
        An int, a URI (``/api/v1/<target>/<id>/``, optionally absolute), a string id or
        an object with ``resource_uri``.
    target : str
        The resource the id must point to.

    Returns
    -------
    int or str
        The id (a device's serial may be a string).

    Raises
    ------
    ValueError
        When *value* is not an id of *target*.
    """
    if isinstance(value, bool):
        raise ValueError("not an id")
    if isinstance(value, int):
        return value
    if isinstance(value, dict) and "resource_uri" in value:
        value = value["resource_uri"]
    if not isinstance(value, str):
        raise ValueError("not an id or URI")
    text = value.strip()
    m = re.fullmatch(r"(?:https?://[^/]+)?/api/(?:v1/)?([a-z_]+)/([^/]+)/?", text)
    if m:
        if m.group(1) != target:
            raise ValueError(f"URI does not point to a {target}")
        text = m.group(2)
    if target == "device":
        if not text or not re.fullmatch(r"[A-Za-z0-9_-]+", text):
            raise ValueError("not a device id")
        return int(text) if text.isdigit() else text
    if not re.fullmatch(r"-?\d+", text):
        raise ValueError("not an integer id or URI")
    return int(text)


def number(text: str) -> int | float:
    """A number from query text.

    Parameters
    ----------
    text : str
        Decimal text.

    Returns
    -------
    int or float
        An int when *text* is integral, else a finite float.

    Raises
    ------
    ValueError
        For text that is not a finite number.
    """
    t = text.strip()
    if re.fullmatch(r"[-+]?\d+", t):
        return int(t)
    value = float(t)
    if not math.isfinite(value):
        raise ValueError("not finite")
    return value


def strict_int(text: str, name: str) -> int:
    """An integer of at most 19 digits.

    Parameters
    ----------
    text : str
        Decimal text (an optional sign, 1 to 19 digits).
    name : str
        Parameter name for the error message.

    Returns
    -------
    int
        The value.

    Raises
    ------
    ApiError
        400 for anything else.
    """
    t = str(text).strip()
    if not re.fullmatch(r"[-+]?\d{1,19}", t):
        raise ApiError(400, f"'{name}' must be an integer, not {text!r:.60}")
    return int(t)


def parse_bool(text: str) -> bool:
    """A boolean from query text.

    Parameters
    ----------
    text : str
        ``1/true/t/yes`` or ``0/false/f/no`` or empty (any case).

    Returns
    -------
    bool
        The flag.

    Raises
    ------
    ValueError
        For any other text.
    """
    t = str(text).strip().lower()
    if t in ("1", "true", "t", "yes"):
        return True
    if t in ("0", "false", "f", "no", ""):
        return False
    raise ValueError("not a boolean")


def parse_dt(text: Any) -> datetime:
    """A naive UTC datetime from text, read as Tastypie's DateTimeField reads it (dateutil).

    ISO 8601 first (``Z`` or an offset allowed), then anything ``dateutil.parser.parse``
    understands (``2024-05-01 10:00``, ``May 1 2024 10:00 UTC``); at most 40 characters.

    Examples
    --------
    >>> parse_dt("May 1 2024 10:00"), parse_dt("2024-05-01T12:00:00+02:00")
    (datetime.datetime(2024, 5, 1, 10, 0), datetime.datetime(2024, 5, 1, 10, 0))

    Parameters
    ----------
    text : Any
        The date and time (a naive one is UTC).

    Returns
    -------
    datetime
        Naive, in UTC (aware values are converted).

    Raises
    ------
    ValueError
        For text that is not an ISO datetime.
    """
    t = str(text).strip()
    if len(t) > 40:
        raise ValueError("too long")
    try:
        value = datetime.fromisoformat(t.replace("Z", "+00:00"))
    except ValueError:
        from dateutil import parser  # python-dateutil comes with pandas

        try:
            value = parser.parse(t)
        except (ValueError, OverflowError, parser.ParserError):
            raise ValueError(f"{t!r} is not a date and time") from None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def point(value: Any) -> list[float]:
    """``[lon, lat]`` from a list, a GeoJSON point or WKT ``POINT (lon lat)``.

    Parameters
    ----------
    value : Any
        ``[lon, lat]``, ``{"coordinates": [lon, lat]}`` or ``"POINT (lon lat)"``.

    Returns
    -------
    list of float
        Longitude and latitude.

    Raises
    ------
    ValueError
        For other shapes and coordinates out of range.

    Examples
    --------
    >>> point("POINT (-73.6 45.5)")
    [-73.6, 45.5]
    """
    if isinstance(value, dict):
        value = value.get("coordinates")
    if isinstance(value, str):
        m = re.fullmatch(r"\s*POINT\s*\(\s*(\S+)\s+(\S+)\s*\)\s*", value, re.I)
        if not m:
            raise ValueError("position must be [lon, lat]")
        value = [m.group(1), m.group(2)]
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError("position must be [lon, lat]")
    lon, lat = (float(v) for v in value)
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValueError("position out of range")
    return [lon, lat]
