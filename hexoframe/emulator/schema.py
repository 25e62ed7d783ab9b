"""Tastypie resource schemas served by the emulator.

The schemas come from ``hexoframe/core/api_schema.json``, the real service's own published
schema of its 42 resources (the one copy in the package, shared with the client). They
drive the schema endpoints and the validation of filters, ordering and HTTP methods.

Examples
--------
>>> from hexoframe.emulator.schema import resource_schema, filter_ops
>>> resource_schema("record")["default_limit"]
20
>>> sorted(filter_ops("record", "status"))
['exact', 'in']
"""

from __future__ import annotations

import copy
from typing import Any

from hexoframe.core import service_schema

#: Every filter operation Tastypie knows (used when a field allows all of them).
ALL_OPS: tuple[str, ...] = (
    "exact",
    "iexact",
    "in",
    "gt",
    "gte",
    "lt",
    "lte",
    "range",
    "contains",
    "icontains",
    "startswith",
    "istartswith",
    "endswith",
    "iendswith",
    "isnull",
)


def _schemas() -> dict[str, Any]:
    return service_schema.published()


def resource_names() -> list[str]:
    """Return the names of the resources the emulator serves, sorted."""
    return sorted(_schemas())


def resource_schema(name: str, prefix: str = "/api/v1/") -> dict[str, Any]:
    """Return the Tastypie schema of resource *name* (a deep copy).

    Parameters
    ----------
    name : str
        Resource name, e.g. ``"record"``.
    prefix : str
        API prefix used to build ``list_endpoint`` (``/api/v1/`` or ``/api/``).

    Raises
    ------
    KeyError
        If the emulator does not serve *name*.
    """
    schema = copy.deepcopy(_schemas()[name])
    schema["list_endpoint"] = f"{prefix}{name}/"
    return schema


def fields(name: str) -> dict[str, dict[str, Any]]:
    """Return the field descriptions of resource *name* (not copied: do not mutate)."""
    return _schemas()[name]["fields"]


def filter_ops(name: str, field: str) -> tuple[str, ...]:
    """Return the filter operations allowed on *field* of resource *name* (empty if none).

    A schema value of ``2`` (Tastypie's ``ALL_WITH_RELATIONS``) or ``1`` (``ALL``)
    allows every operation.
    """
    filtering = _schemas()[name].get("filtering") or {}
    ops = filtering.get(field)
    if ops is None:
        return ()
    if isinstance(ops, int):
        return ALL_OPS
    return tuple(ops)


def filtering(name: str) -> dict[str, Any]:
    """The ``filtering`` mapping of resource *name* (not copied: do not mutate)."""
    return _schemas()[name].get("filtering") or {}


def default_limit(name: str) -> int:
    """The default page size of resource *name*."""
    return int(_schemas()[name].get("default_limit") or 20)


def ordering(name: str) -> tuple[str, ...]:
    """Return the fields resource *name* may be ordered by."""
    return tuple(_schemas()[name].get("ordering") or ())


def allowed_methods(name: str, detail: bool) -> tuple[str, ...]:
    """Return the lower-case HTTP methods allowed on the list or detail view of *name*."""
    key = "allowed_detail_http_methods" if detail else "allowed_list_http_methods"
    return tuple(_schemas()[name].get(key) or ())


def api_root(prefix: str = "/api/v1/") -> dict[str, dict[str, str]]:
    """Return the body of ``GET /api/v1/``: every resource with its endpoints."""
    return {
        name: {"list_endpoint": f"{prefix}{name}/", "schema": f"{prefix}{name}/schema/"}
        for name in resource_names()
    }
