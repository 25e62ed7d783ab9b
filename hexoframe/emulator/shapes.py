"""Object shapes as the real service renders them: one rule per schema field type.

The store keeps convenient Python values (durations as numbers, lists, naive UTC
datetimes); :func:`conform` turns one rendered object into what the real schema
describes: integer fields hold JSON integers, string fields strings, datetimes carry the
``+00:00`` offset the reference's examples print, and fields the schema lacks are
dropped, except those the reference's own examples show (:data:`REFERENCE_EXTRAS`).
Values the reference's examples show in another type than the schema says are kept as
the examples show them (:data:`REFERENCE_TYPES`); ``docs/emulator.md`` lists both.

Examples
--------
>>> fields = {"duration": {"type": "string"}, "end": {"type": "integer"},
...           "start_date": {"type": "datetime"}}
>>> conform("range", fields, {"duration": 1200, "end": 512.0,
...                           "start_date": "2024-05-01T10:10:00", "zones": [1]})
{'duration': '1200', 'end': 512, 'start_date': '2024-05-01T10:10:00+00:00'}
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["REFERENCE_EXTRAS", "REFERENCE_TYPES", "USER_NESTED_FIELDS", "conform"]

#: Fields outside the schema that the reference's examples show (kept).
REFERENCE_EXTRAS: frozenset[tuple[str, str]] = frozenset(
    {
        ("profile", "height"),
        ("profile", "weight"),
    }
)
#: Fields whose reference example has another JSON type than the schema says (kept so).
REFERENCE_TYPES: dict[tuple[str, str], tuple[type, ...]] = {
    ("record", "data_status"): (dict,),  # example: "data_status": {}
    ("profile", "fitness"): (dict,),  # example: a mapping of fitness values
    ("profile", "unit_system"): (str,),  # example: "unit_system": "metric"
}
#: Fields of a user nested in a record, as the reference's record list shows them.
USER_NESTED_FIELDS: tuple[str, ...] = (
    "email",
    "first_name",
    "id",
    "last_name",
    "profile",
    "resource_uri",
    "username",
)
_NAIVE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?$")


def _value(name: str, fname: str, kind: str | None, value: Any) -> Any:
    if value is None or isinstance(value, REFERENCE_TYPES.get((name, fname), ())):
        return value
    if kind == "integer" and isinstance(value, float) and value.is_integer():
        return int(value)
    if kind == "string" and isinstance(value, bool):
        return "true" if value else "false"
    if kind == "string" and isinstance(value, (int, float)):
        return str(value)
    if kind == "string" and isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"))
    if kind == "datetime" and isinstance(value, str) and _NAIVE.match(value):
        return value + "+00:00"
    return value


def conform(
    name: str, fields: Mapping[str, Mapping[str, Any]], out: Mapping[str, Any]
) -> dict[str, Any]:
    """The object *out* of resource *name* in the types its schema *fields* give."""
    return {
        fname: _value(name, fname, (fields.get(fname) or {}).get("type"), value)
        for fname, value in out.items()
        if fname in fields or (name, fname) in REFERENCE_EXTRAS
    }
