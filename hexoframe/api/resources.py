"""Generic Tastypie resources: list (every page), get, create, update, delete.

A :class:`Resource` knows its schema (a packaged copy of the real service's schema,
refreshable from ``/api/v1/<name>/schema/``), so it can

* refuse a method the resource does not allow *before* sending anything
  (:class:`~hexoframe.core.errors.MethodNotAllowed`);
* refuse a filter field, filter operation or ordering the resource does not offer
  (:class:`~hexoframe.core.errors.InvalidQueryError`);
* turn Python values into query strings: times (``datetime``, ``Timestamp``,
  ``datetime64``, ISO strings) on HexoTimestamp fields become ticks, on date/time fields
  ISO strings in UTC; lists become comma-separated; booleans ``true``/``false``.

Answers carry the ``X-HexoCache`` header (Unix seconds, when served from the service's
cache) as ``cached_at`` on :class:`ApiObject`/:class:`ApiList`, and in ``DataFrame.attrs``.

Examples
--------
>>> from hexoframe.api.resources import encode_filters, load_schema
>>> encode_filters(load_schema("record"), {"start__gte": "1970-01-01T00:00:01", "user__in": [1, 2]})
{'start__gte': '256', 'user__in': '1,2'}
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from hexoframe.core import errors, service_schema
from hexoframe.core.references import ref_id
from hexoframe.core.service_schema import is_tick_field
from hexoframe.core.timestamps import TICKS_PER_SECOND, to_ticks

if TYPE_CHECKING:  # pragma: no cover
    from hexoframe.api.client import Client

#: Most objects the service returns in one page.
MAX_PAGE = 1000
#: Query parameters that are not filters.
_CONTROL_PARAMS = frozenset({"limit", "offset", "order_by", "format"})


def known_resources() -> list[str]:
    """Names of the resources in the packaged schema.

    Examples
    --------
    >>> "record" in known_resources()
    True
    """
    return service_schema.resource_names()


def load_schema(name: str) -> dict[str, Any] | None:
    """Packaged schema of resource *name*, or ``None`` if the copy does not know it."""
    return service_schema.resource(name)


def _is_time_like(value: Any) -> bool:
    return isinstance(value, (_dt.date, np.datetime64, pd.Timestamp))


def _count_param(key: str, value: Any) -> str:
    """``limit``/``offset``: a whole number >= 0 (an int or a string of digits)."""
    if isinstance(value, str) and value.strip().isdigit():
        return str(int(value))
    if (
        isinstance(value, (int, np.integer))
        and not isinstance(value, (bool, np.bool_))
        and value >= 0
    ):
        return str(int(value))
    raise errors.InvalidQueryError(
        f"{key}={value!r} is not a count: pass a whole number >= 0 (e.g. {key}=20)."
    )


def _order_list(value: Any) -> list[str]:
    """``order_by``: a field name, ``-field`` for descending, or a list of them."""
    items = [value] if isinstance(value, str) else value
    if (
        isinstance(items, (list, tuple))
        and items
        and all(isinstance(v, str) and v.strip("-") for v in items)
    ):
        return list(items)
    raise errors.InvalidQueryError(
        f"order_by={value!r} is not an ordering: pass a field name, '-name' for descending, "
        "or a list of them (e.g. order_by='-start')."
    )


def _encode_scalar(value: Any, spec: Mapping[str, Any] | None, field: str, tick_rate: int) -> str:
    if isinstance(value, (float, np.floating)) and not math.isfinite(value):
        raise errors.InvalidQueryError(
            f"Filter on {field!r}: {value!r} cannot be compared; pass a finite number "
            f"(or {field}__isnull=True for missing values)."
        )
    if isinstance(value, bool) or isinstance(value, np.bool_):
        return "true" if value else "false"
    kind = (spec or {}).get("type")
    if is_tick_field(spec, field) and (
        _is_time_like(value) or (isinstance(value, str) and not value.lstrip("-").isdigit())
    ):
        return str(to_ticks(value, tick_rate))
    if kind in ("datetime", "date") and (_is_time_like(value) or isinstance(value, str)):
        ts = pd.Timestamp(value)
        if ts.tzinfo is not None:
            ts = ts.tz_convert("UTC").tz_localize(None)
        return ts.date().isoformat() if kind == "date" else ts.isoformat()
    if _is_time_like(value):  # a time on a field of unknown type: ticks, the API's own unit
        return str(to_ticks(value, tick_rate))
    if kind == "related" and isinstance(value, Mapping):
        ident = ref_id(value)
        if ident is not None:
            return str(ident)
    if isinstance(value, (np.integer, np.floating)):
        return str(value.item())
    return str(value)


def encode_filters(
    schema: Mapping[str, Any] | None,
    filters: Mapping[str, Any],
    tick_rate: int = TICKS_PER_SECOND,
    *,
    validate: bool = True,
    resource: str = "",
) -> dict[str, str]:
    """Turn ``field__op=value`` keyword filters into Tastypie query parameters.

    Parameters
    ----------
    schema : mapping or None
        Resource schema (``fields``, ``filtering``, ``ordering``); ``None`` skips validation.
    filters : mapping
        ``{"start__gte": datetime(...), "user__in": [1, 2], "order_by": "-start"}``.
    tick_rate : int
        Ticks per second of the host, for times on HexoTimestamp fields.
    validate : bool
        Check fields, operations and ordering against the schema.
    resource : str
        Name used in error messages.

    Raises
    ------
    InvalidQueryError
        For a field, operation or ordering the resource does not offer, or a bad value.

    Examples
    --------
    >>> encode_filters(None, {"flag": True, "ids__in": (1, 2)})
    {'flag': 'true', 'ids__in': '1,2'}
    """
    fields = (schema or {}).get("fields", {})
    filtering = (schema or {}).get("filtering")
    params: dict[str, str] = {}
    for key, value in filters.items():
        if value is None:
            raise errors.InvalidQueryError(
                f"Filter {key}=None: drop it, or use {key.split('__')[0]}__isnull=True."
            )
        if key == "order_by":
            orders = _order_list(value)
            if validate and schema is not None:
                allowed = schema.get("ordering") or []
                for item in orders:
                    if str(item).lstrip("-") not in allowed:
                        raise errors.InvalidQueryError(
                            f"{resource or 'This resource'} cannot be ordered by {item!r}; "
                            f"allowed: {', '.join(allowed) or 'none'}."
                        )
            params[key] = ",".join(str(o) for o in orders)
            continue
        if key in ("limit", "offset"):
            params[key] = _count_param(key, value)
            continue
        if key in _CONTROL_PARAMS:
            params[key] = str(value)
            continue
        field, _, op = key.partition("__")
        op = op or "exact"
        if validate and filtering is not None:
            _check_filter(resource, filtering, field, op, key)
        spec = fields.get(field)
        if isinstance(value, (list, tuple, set, frozenset, np.ndarray, pd.Index, pd.Series)):
            items = list(value)
            if op == "range" and len(items) != 2:
                raise errors.InvalidQueryError(f"{key} needs two values (start, end).")
            params[key] = ",".join(_encode_scalar(v, spec, field, tick_rate) for v in items)
        else:
            params[key] = _encode_scalar(value, spec, field, tick_rate)
    return params


def _check_filter(
    resource: str, filtering: Mapping[str, Any], field: str, op: str, key: str
) -> None:
    if field not in filtering:
        names = ", ".join(sorted(filtering)) or "none"
        raise errors.InvalidQueryError(
            f"{resource or 'This resource'} cannot be filtered on {field!r} ({key}); "
            f"filterable fields: {names}."
        )
    ops = filtering[field]
    if isinstance(ops, list) and "__" not in op and op not in ops:
        raise errors.InvalidQueryError(
            f"{resource or 'This resource'} field {field!r} does not allow {op!r} "
            f"({key}); allowed: {', '.join(ops)}."
        )


class ApiObject(dict):
    """One object of the API (a ``dict``) with the ``X-HexoCache`` time, if any.

    Attributes
    ----------
    cached_at : float or None
        Unix seconds at which the service cached this answer (``X-HexoCache``).
    """

    cached_at: float | None = None


class ApiList(list):
    """Objects of a list view, every page, with ``cached_at`` and the last ``meta``.

    Attributes
    ----------
    cached_at : float or None
        Earliest ``X-HexoCache`` among the pages, or ``None`` when none was cached.
    total_count : int or None
        ``meta.total_count`` announced by the service.
    """

    cached_at: float | None = None
    total_count: int | None = None


def cache_time(headers: Mapping[str, str]) -> float | None:
    """``X-HexoCache`` as Unix seconds, or ``None``."""
    value = headers.get("X-HexoCache")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


class Resource:
    """One Tastypie resource of the API, e.g. ``record`` or ``annotation``.

    Get one from :meth:`hexoframe.Client.resource`.

    Parameters
    ----------
    client : Client
        Connection to use.
    name : str
        Resource name (singular, as in the URL: ``"range"``).
    schema : mapping, optional
        Schema to use instead of the packaged one.

    Examples
    --------
    >>> from hexoframe import Client
    >>> annotations = Client().resource("annotation").list(record=37700)
    """

    def __init__(self, client: Client, name: str, schema: Mapping[str, Any] | None = None):
        self.client = client
        self.name = name.strip("/")
        self._schema: dict[str, Any] | None = dict(schema) if schema else load_schema(self.name)

    def __repr__(self) -> str:
        return f"Resource({self.name!r})"

    # -- schema -------------------------------------------------------------------------------
    @property
    def schema(self) -> dict[str, Any]:
        """The schema in use (fetched from the service if no copy is packaged)."""
        if self._schema is None:
            self.refresh_schema()
        assert self._schema is not None
        return self._schema

    def refresh_schema(self) -> dict[str, Any]:
        """Replace the schema with the service's own ``/api/v1/<name>/schema/``."""
        self._schema = self.client.get_json(f"{self.name}/schema/")
        return self._schema

    @property
    def path(self) -> str:
        """List path relative to the API root, e.g. ``"record/"``."""
        return f"{self.name}/"

    def detail_path(self, ident: int | str) -> str:
        """Detail path of object *ident*, e.g. ``"record/37700/"``."""
        found = ref_id(ident) if not isinstance(ident, int) else ident
        if found is None:
            raise errors.InvalidQueryError(f"{self.name}: not an id or URI.")
        ident = found
        return f"{self.name}/{ident}/"

    def _require(self, method: str, view: str, path: str) -> None:
        key = f"allowed_{view}_http_methods"
        allowed = self.schema.get(key)
        if allowed is None or method.lower() in allowed:
            return
        raise errors.MethodNotAllowed(
            f"{self.name} does not allow {method} on its {view} view "
            f"(allowed: {', '.join(m.upper() for m in allowed) or 'none'}); nothing was sent.",
            status=405,
            method=method,
            url=self.client.api_root + path,
        )

    def _params(self, filters: Mapping[str, Any], validate: bool) -> dict[str, str]:
        return encode_filters(
            self.schema, filters, self.client.tick_rate, validate=validate, resource=self.name
        )

    # -- reading ------------------------------------------------------------------------------
    def iter_pages(
        self, *, page_size: int = MAX_PAGE, validate: bool = True, **filters: Any
    ) -> Iterator[tuple[list[dict], dict, float | None]]:
        """Yield ``(objects, meta, cached_at)`` for each page, following ``meta.next``."""
        self._require("GET", "list", self.path)
        params = self._params(filters, validate)
        limit = int(params.get("limit", page_size)) or MAX_PAGE  # Tastypie: 0 = the most
        params["limit"] = str(max(1, min(limit, MAX_PAGE)))
        path: str | None = self.path
        query: dict[str, str] | None = params
        seen: set[str] = set()
        while path is not None:
            body, resp = self.client._request_json("GET", path, params=query)
            if not isinstance(body, dict) or not isinstance(body.get("objects"), list):
                raise errors.ResponseError(
                    f"{self.name} list answer has no 'objects' list.",
                    status=resp.status_code,
                    method="GET",
                    url=self.client._safe(resp.url),
                )
            meta = body.get("meta") or {}
            yield body["objects"], meta, cache_time(resp.headers)
            nxt = meta.get("next")
            if not nxt:
                break
            if nxt in seen:
                raise errors.ResponseError(
                    f"{self.name} pagination loops: meta.next repeats.",
                    method="GET",
                    url=self.client._safe(resp.url),
                )
            seen.add(nxt)
            path, query = nxt, None

    def list_raw(
        self, *, page_size: int = MAX_PAGE, validate: bool = True, **filters: Any
    ) -> ApiList:
        """Every object matching *filters*, as dicts (all pages fetched).

        Parameters
        ----------
        page_size : int
            Objects per request (at most 1000, the service's cap).
        validate : bool
            Check filters and ordering against the schema before sending.
        **filters
            ``field__op=value`` filters and ``order_by``; see :func:`encode_filters`.

        Raises
        ------
        ResponseError
            If the pages do not add up to ``meta.total_count``.

        Examples
        --------
        >>> client.resource("annotation").list_raw(record=37700)[0]["id"]
        90000
        """
        out = ApiList()
        total: int | None = None
        for objects, meta, cached in self.iter_pages(
            page_size=page_size, validate=validate, **filters
        ):
            out.extend(objects)
            if meta.get("total_count") is not None:
                total = int(meta["total_count"])
            if cached is not None:
                out.cached_at = cached if out.cached_at is None else min(out.cached_at, cached)
        out.total_count = total
        if total is not None and len(out) != total and "offset" not in filters:
            raise errors.ResponseError(
                f"{self.name} list: the service announced total_count={total} but its pages "
                f"held {len(out)} objects (data changed while paging, or pages were lost); "
                "retry.",
                method="GET",
                url=self.client.api_root + self.path,
            )
        return out

    def list(
        self, *, page_size: int = MAX_PAGE, validate: bool = True, **filters: Any
    ) -> pd.DataFrame:
        """Every object matching *filters* as a DataFrame (see :mod:`hexoframe.api.tables`).

        Examples
        --------
        >>> records = client.resource("record")
        >>> df = records.list(start__gte="2024-05-01", order_by="-start")
        >>> df[["id", "start_time", "duration"]].head(3)
              id                start_time  duration
        0  37774 2024-06-25 08:00:00+00:00       600
        1  37773 2024-06-24 08:00:00+00:00       600
        2  37772 2024-06-23 08:00:00+00:00       600
        """
        from hexoframe.api.tables import objects_to_frame

        objects = self.list_raw(page_size=page_size, validate=validate, **filters)
        frame = objects_to_frame(
            objects, self.schema, tick_rate=self.client.tick_rate, resource=self.name
        )
        frame.attrs["hexoskin_resource"] = self.name
        frame.attrs["hexoskin_cached_at"] = objects.cached_at
        return frame

    def get(self, ident: int | str, **params: Any) -> ApiObject:
        """One object by id (or URI).

        Examples
        --------
        >>> client.resource("record").get(37700)["id"]
        37700
        """
        path = self.detail_path(ident)
        self._require("GET", "detail", path)
        body, resp = self.client._request_json(
            "GET", path, params=self._params(params, False) or None
        )
        if not isinstance(body, dict):
            raise errors.ResponseError(
                f"{self.name} detail answer is not an object.",
                method="GET",
                url=self.client._safe(resp.url),
            )
        obj = ApiObject(body)
        obj.cached_at = cache_time(resp.headers)
        return obj

    # -- writing ------------------------------------------------------------------------------
    def _encode_body(self, data: Mapping[str, Any]) -> dict[str, Any]:
        fields = self.schema.get("fields", {})
        out: dict[str, Any] = {}
        for key, value in data.items():
            spec = fields.get(key)
            if isinstance(value, str) and value.lstrip("-").isdigit():
                value = int(value) if is_tick_field(spec, key) else value
            elif is_tick_field(spec, key) and value is not None and not isinstance(value, int):
                value = int(to_ticks(value, self.client.tick_rate))
            elif _is_time_like(value):
                value = _encode_scalar(value, spec, key, self.client.tick_rate)
            elif isinstance(value, (np.integer, np.floating, np.bool_)):
                value = value.item()
            out[key] = value
        return out

    def create(self, data: Mapping[str, Any]) -> ApiObject:
        """Create an object (POST to the list view); returns it with its ``id``.

        Times on HexoTimestamp fields may be given as datetimes or ISO strings.

        Examples
        --------
        >>> made = client.resource("range").create({
        ...     "name": "run", "start": "2024-05-01T10:00", "end": "2024-05-01T11:00",
        ...     "user": 1511})
        >>> made["name"], made["duration"], made["start"]
        ('run', '3600', 438926745600)
        """
        self._require("POST", "list", self.path)
        resp = self.client.request("POST", self.path, json=self._encode_body(data))
        body = self.client._decode_json(resp) if resp.content.strip() else {}
        obj = ApiObject(body if isinstance(body, dict) else {})
        location = resp.headers.get("Location")
        ident = ref_id(location) if location else None
        if ident is None:
            ident = ref_id(obj)
        if ident is None:
            raise errors.ResponseError(
                f"{self.name} was created (HTTP {resp.status_code}) but the answer names no "
                "id (no Location header, no id in the body).",
                status=resp.status_code,
                method="POST",
                url=self.client._safe(resp.url),
            )
        obj.setdefault("id", ident)
        obj.setdefault(
            "resource_uri", urlsplit(location).path if location else f"/api/v1/{self.name}/{ident}/"
        )
        return obj

    def update(
        self, ident: int | str, data: Mapping[str, Any], *, partial: bool = True
    ) -> ApiObject | None:
        """Change an object: PATCH (``partial=True``, only the given fields) or PUT.

        Returns the updated object when the service sends it back, else ``None``.

        Examples
        --------
        >>> client.resource("range").update(58979, {"name": "tempo"})["name"]
        'tempo'
        """
        method = "PATCH" if partial else "PUT"
        path = self.detail_path(ident)
        self._require(method, "detail", path)
        resp = self.client.request(method, path, json=self._encode_body(data))
        if not resp.content.strip():
            return None
        body = self.client._decode_json(resp)
        return ApiObject(body) if isinstance(body, dict) else None

    def delete(self, ident: int | str) -> None:
        """Delete an object.

        Examples
        --------
        >>> client.resource("annotation").delete(61353)
        """
        path = self.detail_path(ident)
        self._require("DELETE", "detail", path)
        self.client.request("DELETE", path)
