"""References to service objects, read in one place.

The service links objects by resource URI (``"/api/v1/user/1511/"``), sometimes nests them
(``{"id": 1511, "resource_uri": ...}``), and users give plain ids (``1511``, ``"1511"``,
numpy integers). Every part of hexoframe that reads such a reference goes through
:func:`ref_id` (``None`` when there is no id) or :func:`require_id` (a typed error).

Examples
--------
>>> ref_id("/api/v1/user/1511/"), ref_id("https://api.hexoskin.com/api/record/7"), ref_id(12)
(1511, 7, 12)
>>> ref_id({"resource_uri": "/api/unit/3/"}), ref_id(None), ref_id(True)
(3, None, None)
>>> ref_key("/api/v1/unit/bpm/")
'bpm'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from hexoframe.core.errors import HexoskinError, InvalidQueryError

__all__ = ["ref_id", "ref_key", "require_id", "require_ids"]

_TRAILING_ID = re.compile(r"(?:^|/)(\d+)/?$")


def ref_key(value: Any) -> str | None:
    """The last path segment of a URI (or of a nested object's ``resource_uri``/``id``);
    an integer as text; ``None`` when there is none.

    Examples
    --------
    >>> ref_key({"resource_uri": "/api/v1/datatype/19/"}), ref_key(4), ref_key("")
    ('19', '4', None)
    """
    if isinstance(value, Mapping):
        value = value.get("resource_uri") or value.get("id")
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, str) and value.strip().strip("/"):
        path = value.strip().split("?", 1)[0].split("#", 1)[0]
        return path.rstrip("/").rsplit("/", 1)[-1] or None
    return None


def ref_id(value: Any) -> int | None:
    """The integer id of a reference, or ``None`` when it holds none.

    Accepts integers (not booleans), numpy integers, digit strings, resource URIs and
    absolute URLs ending in ``/<id>/``, and nested objects (their ``id``, else their
    ``resource_uri``).

    Examples
    --------
    >>> ref_id(" 42 "), ref_id("/api/v1/user/x/"), ref_id(np.int64(5))
    (42, None, 5)
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, Mapping):
        inner = value.get("id")
        return ref_id(inner if inner is not None else value.get("resource_uri"))
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text)
        match = _TRAILING_ID.search(text.split("?", 1)[0].split("#", 1)[0])
        return int(match.group(1)) if match else None
    return None


def require_id(value: Any, what: str, error: type[HexoskinError] = InvalidQueryError) -> int:
    """:func:`ref_id`, or ``error`` saying that ``value`` names no ``what``.

    Examples
    --------
    >>> require_id("/api/v1/record/37700/", "record")
    37700
    >>> require_id("abc", "record")
    Traceback (most recent call last):
    ...
    hexoframe.core.errors.InvalidQueryError: record='abc' is not an id or resource URI of a record.
    """
    ident = ref_id(value)
    if ident is None:
        raise error(f"{what}={value!r} is not an id or resource URI of a {what}.")
    return ident


def require_ids(values: Any, what: str) -> list[int]:
    """One or several references to a list of ids (``None`` gives ``[]``).

    Examples
    --------
    >>> require_ids("7", "users"), require_ids([1, "/api/user/2/"], "users")
    ([7], [1, 2])
    """
    if values is None:
        return []
    if isinstance(values, (int, np.integer, str, Mapping)):
        values = [values]
    if not isinstance(values, Iterable):
        raise InvalidQueryError(f"{what} must be ids or resource URIs, not {values!r}.")
    return [require_id(v, what.rstrip("s")) for v in values]
