"""The real service's published Tastypie schema (``api_schema.json``), read once.

Both sides use it: the client to encode filters and type columns, the emulator to serve
the same resources, fields, filters and orderings. The schema's help texts mark some
HexoTimestamp fields ("256ths of a second") and not others, so the tick fields are listed
here once; the client's copies mark them ``"ticks": True``, the emulator serves the schema
as published.

Examples
--------
>>> "record" in resource_names(), is_tick_field(resource("annotation")["fields"]["start"])
(True, True)
>>> is_tick_field(published()["annotation"]["fields"]["start"], "start", "annotation")
True
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["TICK_FIELDS", "published", "resource", "resource_names", "is_tick_field"]

#: Fields that hold HexoTimestamps, by resource (marked ``"ticks": True`` in the schema).
TICK_FIELDS: dict[str, tuple[str, ...]] = {
    "activityattributevalue": ("start",),
    "annotation": ("start",),
    "data": ("start", "end", "timestamp"),
    "datafile": ("start", "end", "timestamp"),
    "distribution": ("start", "end"),
    "range": ("start", "end"),
    "record": ("start", "end", "device_start"),
    "report": ("start", "end"),
}
#: Field names taken as HexoTimestamps when no schema describes the field.
_TICK_NAMES = frozenset({"start", "end", "timestamp", "device_start", "last_update"})


@lru_cache(maxsize=1)
def published() -> dict[str, Any]:
    """Every resource of the packaged schema by name, as the service publishes it (shared:
    do not change it; :func:`resource` gives a copy)."""
    path = Path(__file__).with_name("api_schema.json")
    with path.open(encoding="utf-8") as fh:
        return dict(json.load(fh)["resources"])


def resource(name: str) -> dict[str, Any] | None:
    """A copy of resource ``name``'s schema with its tick fields marked ``"ticks": True``,
    or ``None`` if the schema does not know it."""
    found = published().get(name)
    if found is None:
        return None
    out = copy.deepcopy(found)
    for field in TICK_FIELDS.get(name, ()):
        out["fields"][field]["ticks"] = True
    return out


def resource_names() -> list[str]:
    """Names of the resources in the packaged schema, sorted."""
    return sorted(published())


def is_tick_field(spec: Mapping[str, Any] | None, name: str = "", resource: str = "") -> bool:
    """Whether a schema field holds HexoTimestamps (integer ticks): marked, listed in
    :data:`TICK_FIELDS` for ``resource``, described as 256ths of a second, or (without a
    schema) named like one."""
    if name in TICK_FIELDS.get(resource, ()):
        return True
    if not spec:
        return name in _TICK_NAMES
    if spec.get("ticks"):
        return True
    return spec.get("type") == "integer" and "256ths" in str(spec.get("help_text", ""))
