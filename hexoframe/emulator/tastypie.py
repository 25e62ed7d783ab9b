"""Tastypie read semantics: visible objects, rendering, list and detail GET.

List views page with ``limit``/``offset`` (default per resource, at most 1000;
``limit=0`` means 1000) and answer ``{"meta": {...}, "objects": [...]}``. Filters
(``field__op=value``) and ``order_by`` are checked against each resource's Tastypie
schema; ``None`` sorts last ascending and first descending, as PostgreSQL does. Related
fields are stored as ids and rendered as resource URIs.

Examples
--------
>>> match("icontains", "Morning Run", "run"), match("range", 5, (1, 4))
(True, False)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any
from urllib.parse import urlencode

from hexoframe.core import catalog
from hexoframe.emulator import schema as sch
from hexoframe.emulator.clock import holds_ticks
from hexoframe.emulator.coerce import number, parse_bool, parse_dt, related_key
from hexoframe.emulator.request import Request
from hexoframe.emulator.responses import Answer, ApiError, ok
from hexoframe.emulator.shapes import USER_NESTED_FIELDS, conform
from hexoframe.emulator.store import STORED_RESOURCES
from hexoframe.emulator.units import unit_id

__all__ = ["IGNORED_FILTERS", "MAX_LIMIT", "PLAIN_RELATED", "RELATED", "ResourceView", "match"]

MAX_LIMIT = 1000

#: Target resource of each related field name.
RELATED: dict[str, str] = {
    "user": "user",
    "profile": "profile",
    "device": "device",
    "record": "record",
    "range": "range",
    "parent": "range",
    "track": "track",
    "datatype": "datatype",
    "activitytype": "activitytype",
    "trainingroutine": "trainingroutine",
    "metrics": "metric",
    "default_metrics": "metric",
    "algo": "algo",
    "importfile": "importfile",
    "unit": "unit",
    "unit_raw": "unit",
    "steps": "step",
    "application_metadata": "applicationmetadata",
    "include_metrics": "metric",
    "category": "category",
    "owner": "user",
    "members": "user",
}
#: Fields stored as unit names, rendered as ``unit`` URIs.
PLAIN_RELATED = {("datatype", "unit"), ("datatype", "unit_raw"), ("metric", "unit")}
#: Filters accepted (the schema allows them) that select nothing: the metric options of
#: records and ranges (read by :meth:`ResourceView.metric_options`), a study's subjects
#: (applied in ``list_get``), and ones the emulator has nothing for (no autodetected
#: ranges are seeded; no display grouping).
IGNORED_FILTERS = frozenset(
    {
        "show_all",
        "include_metrics",
        "include_histograms",
        "short_metrics",
        "study",
        "study_group",
        "include_autodetected",
        "display",
        "group_by",
        "grouped",
    }
)
#: Resources whose list and filters carry the metric options.
WITH_METRICS = frozenset({"record", "range"})
#: Non-"related" fields rendered as a nested user object or a resource URI.
NESTED_USER = frozenset({("study", "owner"), ("studysubject", "user")})
URI_FIELDS: dict[tuple[str, str], str] = {
    ("studygroup", "owner"): "user",
    ("studygroup", "study"): "study",
    ("studysubject", "study"): "study",
    ("studysubject", "study_group"): "studygroup",
}
#: Resources kept in the store (the others are computed).
STORED = frozenset(STORED_RESOURCES)
#: Filter operators that compare text.
TEXT_OPS = ("contains", "icontains", "startswith", "istartswith", "endswith", "iendswith", "iexact")


# ----------------------------------------------------------------------------- filters


def coercer(resource: str, name: str) -> Callable[[str], Any]:
    """The parser of filter values of field *name* of *resource* (by schema type).

    Parameters
    ----------
    resource, name : str
        Resource and field.

    Returns
    -------
    callable
        Text -> value; raises ValueError on bad input.
    """
    fdef = sch.fields(resource).get(name, {})
    ftype = fdef.get("type")
    if ftype == "related":
        target = RELATED.get(name, name)
        return lambda v: related_key(v, target)
    if ftype in ("integer", "float") or name == "duration":
        return number
    if ftype == "boolean":
        return parse_bool
    if ftype == "datetime":
        return parse_dt
    if ftype == "date":
        return lambda v: date.fromisoformat(str(v).strip())
    return lambda v: str(v)


def comparable(resource: str, name: str, value: Any) -> Any:
    """A stored value in the form the coercer of its field produces.

    Parameters
    ----------
    resource, name : str
        Resource and field.
    value : Any
        The stored value.

    Returns
    -------
    Any
        Datetimes and dates parsed (``None`` when unparsable); other values unchanged.
    """
    if value is None:
        return None
    ftype = sch.fields(resource).get(name, {}).get("type")
    try:
        if ftype == "datetime":
            return parse_dt(value)
        if ftype == "date":
            return date.fromisoformat(str(value))
    except ValueError:
        return None
    return value


def match(op: str, stored: Any, wanted: Any) -> bool:
    """Whether *stored* passes the filter ``op`` with the parsed value *wanted*.

    Parameters
    ----------
    op : str
        Tastypie operator (``exact``, ``in``, ``range``, ``gt``, ``icontains``, ...).
    stored : Any
        The object's value (``None`` passes only ``isnull``).
    wanted : Any
        The parsed filter value.

    Returns
    -------
    bool
        ``False`` for values that do not compare.
    """
    if op == "isnull":
        return (stored is None) == wanted
    if op in TEXT_OPS:
        if stored is None:
            return False
        s, w = str(stored), str(wanted)
        if op.startswith("i"):
            s, w, op = s.lower(), w.lower(), op[1:]
        if op == "exact":
            return s == w
        return {"contains": w in s, "startswith": s.startswith(w), "endswith": s.endswith(w)}[op]
    if stored is None:
        return False
    try:
        if op == "exact":
            return stored == wanted
        if op == "in":
            return stored in wanted
        if op == "range":
            return wanted[0] <= stored <= wanted[1]
        if op == "gt":
            return stored > wanted
        if op == "gte":
            return stored >= wanted
        if op == "lt":
            return stored < wanted
        if op == "lte":
            return stored <= wanted
    except TypeError:
        return False
    return False


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _sort_key(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value, "")
    return (1, 0, str(value))


def metric_list() -> list[dict[str, Any]]:
    """The emulator's metric definitions as the ``metric`` resource holds them (empty
    when the metrics module is absent): unit as a unit id, ``value`` a string."""
    try:
        from hexoframe.emulator import metrics
    except ImportError:
        return []
    return [
        {**m, "unit": unit_id(str(m["unit"])), "value": str(m.get("value") or "")}
        for m in getattr(metrics, "METRICS", [])
    ]


# ----------------------------------------------------------------------------- views


class ResourceView(Request):
    """Read access to one resource: objects, rendering, list and detail GET."""

    # ------------------------------------------------------------------ objects
    def objects(self) -> list[dict[str, Any]]:
        """Every object of this resource the caller may see (raw form)."""
        name = self.name
        ident = self.identity()
        seen = self.visible()
        if name == "account":
            user = self.app.store.get("user", ident.user_id) or {}
            return [user]
        if name == "datatype":
            return [d.as_resource() for d in catalog.all_datatypes()]
        if name == "metric":
            return [dict(m) for m in metric_list()]
        if name == "user":
            return [u for u in self.app.store.all("user") if u["id"] in seen]
        return [
            o for o in self.app.store.all(name) if o.get("user") is None or o.get("user") in seen
        ]

    def objects_of(self, name: str) -> list[dict[str, Any]]:
        """The stored objects of resource ``name`` the caller sees (by their owner)."""
        seen = self.visible()
        return [o for o in self.app.store.all(name) if o.get("user") in seen]

    def find(self, key: str) -> dict[str, Any]:
        """The visible object with this id (404 otherwise)."""
        for obj in self.candidates(key):
            if self.name == "user":
                owner = obj["id"]
            else:
                owner = obj.get("user")
            if owner is None or owner in self.visible():
                return obj
        raise ApiError(404, f"no {self.name} with id {key[:40]!r}", body=b"")  # as HttpNotFound

    def candidates(self, key: str) -> list[dict[str, Any]]:
        """Objects with this id (or device serial), visible or not."""
        if self.name == "device":
            return [
                d
                for d in self.app.store.all("device")
                if str(d["id"]) == key or d["deviceid"] == key
            ]
        if not re.fullmatch(r"\d{1,18}", key):
            return []
        oid = int(key)
        if self.name == "datatype":
            return [d.as_resource() for d in catalog.all_datatypes() if d.id == oid]
        if self.name == "metric":
            return [dict(m) for m in metric_list() if m.get("id") == oid]
        if self.name not in STORED:
            return []
        obj = self.app.store.get(self.name, oid)
        return [obj] if obj is not None else []

    def render(self, obj: Mapping[str, Any], name: str | None = None) -> dict[str, Any]:
        """The API form of a stored object: schema fields in the schema's types, related
        ids as URIs, unit names as ``unit`` URIs, a record's user nested (see shapes)."""
        name = name or self.name
        fields = sch.fields(name)
        out: dict[str, Any] = {}
        for fname, fdef in fields.items():
            if fname == "resource_uri":
                key = obj.get("deviceid") if name == "device" else obj.get("id")
                out[fname] = self.uri("user" if name == "account" else name, key)
                continue
            value = obj.get(fname)
            if (name, fname) in PLAIN_RELATED and isinstance(value, str):
                value = unit_id(value)
            if fdef.get("type") == "related":
                target = RELATED.get(fname, fname)
                if isinstance(value, list):
                    value = [self.uri(target, v) for v in value]
                elif value is not None and not isinstance(value, dict):
                    value = self.uri(target, value)
            elif (name, fname) in URI_FIELDS and value is not None:
                value = self.uri(URI_FIELDS[(name, fname)], value)
            elif (name, fname) in NESTED_USER and isinstance(value, int):
                value = obj.get("subject", value)  # a study subject's user is the subject
                user = self.app.store.get("user", value)
                nested = self.render(user, "user") if user is not None else {"id": value}
                value = {k: nested[k] for k in USER_NESTED_FIELDS if k in nested}
            if isinstance(value, int) and holds_ticks(name, fname, fdef):
                value = self.app.clock.out(value)  # stored ticks as served
            out[fname] = value
        for k, v in obj.items():
            if k not in out and not k.startswith("_"):
                out[k] = v
        if name == "user" and isinstance(obj.get("devices"), list):
            out["devices"] = [self.uri("device", d) for d in obj["devices"]]
        if name == "datatype":
            freq = obj.get("freq")
            out["freq"] = (
                int(freq)
                if isinstance(freq, (int, float)) and freq >= 1 and float(freq).is_integer()
                else None
            )
        if name == "record":
            user = self.app.store.get("user", int(obj.get("user") or 0))
            if user is not None:
                nested = self.render(user, "user")
                out["user"] = {k: nested[k] for k in USER_NESTED_FIELDS if k in nested}
        if name == "account":
            profile = self.app.store.get("profile", int(obj.get("profile") or 0))
            if profile is not None:
                out["profile"] = self.render(profile, "profile")
        return conform(name, fields, out)

    # ------------------------------------------------------------------ list view
    def list_get(self) -> Answer:
        """GET on the list view: filtered, ordered, paged objects with ``meta``."""
        filters, order, limit, offset = self.parse_list_query()
        objs = self.objects()
        for fname, op, value in filters:
            if fname == "search" and self.name == "user":
                w = str(value).lower()
                objs = [
                    o
                    for o in objs
                    if any(
                        w in str(o.get(k, "")).lower() for k in ("email", "first_name", "last_name")
                    )
                ]
                continue
            if fname in ("study", "study_group") and self.name in WITH_METRICS:
                subjects = self.subjects(fname, value, op)
                objs = [o for o in objs if o.get("user") in subjects]
                continue
            if "__" in fname:  # a lookup through a related field (ALL_WITH_RELATIONS)
                base, rel = fname.split("__", 1)
                target = RELATED.get(base, base)
                objs = [
                    o
                    for o in objs
                    if match(
                        op,
                        comparable(target, rel, self.related_value(target, o.get(base), rel)),
                        value,
                    )
                ]
                continue
            if fname in IGNORED_FILTERS or fname not in sch.fields(self.name):
                continue
            objs = [o for o in objs if match(op, comparable(self.name, fname, o.get(fname)), value)]
        for key in reversed(order):
            desc = key.startswith("-")
            path = key.lstrip("-").split("__", 1)

            def value_of(o: Mapping[str, Any], path: list[str] = path) -> Any:
                if len(path) == 1:
                    return o.get(path[0])
                target = RELATED.get(path[0], path[0])
                return self.related_value(target, o.get(path[0]), path[1])

            present = [o for o in objs if value_of(o) is not None]
            missing = [o for o in objs if value_of(o) is None]
            present.sort(key=lambda o: _sort_key(value_of(o)), reverse=desc)
            objs = present + missing if not desc else missing + present  # as PostgreSQL
        total = len(objs)
        page = objs[offset : offset + limit]
        meta = {
            "limit": limit,
            "next": self.page_link(limit, offset + limit) if offset + limit < total else None,
            "offset": offset,
            # as Tastypie's paginator: no previous page when offset - limit < 0
            "previous": self.page_link(limit, offset - limit) if offset - limit >= 0 else None,
            "total_count": total,
        }
        return ok({"meta": meta, "objects": [self.with_metrics(self.render(o), o) for o in page]})

    def page_link(self, limit: int, offset: int) -> str:
        """The path and query of another page of this list."""
        params = [(k, v) for k, v in self.query if k not in ("limit", "offset")]
        params += [("limit", str(limit)), ("offset", str(offset))]
        return f"{self.environ.get('PATH_INFO', '')}?{urlencode(params)}"

    def parse_list_query(self) -> tuple[list[tuple[str, str, Any]], list[str], int, int]:
        """``(filters, order_by keys, limit, offset)`` of a list query; 400 when invalid.

        As Tastypie reads a Django ``QueryDict``: a repeated parameter counts once with its
        last value, except ``__in``/``__range`` lookups, which merge every value (Django's
        ``getlist``); parameters that name no field of the resource (cache busters such as
        ``_=123``, ``callback``) are ignored.
        """
        filters: list[tuple[str, str, Any]] = []
        order: list[str] = []
        limit = sch.default_limit(self.name)
        offset = 0
        schema_filtering = sch.filtering(self.name)
        merged: dict[str, list[str]] = {}
        for key, value in self.query:
            merged.setdefault(key, []).append(value)
        for key, values in merged.items():
            value = values[-1]
            if key == "limit":
                limit = _page_number(value, "limit")
                limit = MAX_LIMIT if limit == 0 else min(limit, MAX_LIMIT)
            elif key == "offset":
                offset = _page_number(value, "offset")
            elif key == "order_by":
                allowed = sch.ordering(self.name)
                for item in (v for val in values for v in val.split(",")):
                    fname = item.strip().lstrip("-").split("__")[0]
                    if fname not in sch.fields(self.name):
                        raise ApiError(400, f"No matching '{fname[:60]}' field for ordering on.")
                    if fname not in allowed:
                        raise ApiError(400, f"The '{fname[:60]}' field does not allow ordering.")
                    order.append(item.strip())
            elif key == "format":
                if value not in ("json", ""):
                    raise ApiError(
                        400, f"format {value[:20]!r} is not available for {self.name}; only json"
                    )
            else:
                if key.rsplit("__", 1)[-1] in ("in", "range"):
                    value = ",".join(values)
                parsed = self.parse_filter(key, value, schema_filtering)
                if parsed is not None:
                    filters.append(parsed)
        return filters, order, limit, offset

    def parse_filter(
        self, key: str, value: str, filtering: Mapping[str, Any]
    ) -> tuple[str, str, Any] | None:
        """``(field, op, parsed value)`` of one ``field__op=value`` pair; 400 if refused.

        ``None`` for a parameter that names no field of the resource: Tastypie ignores it.
        """
        parts = key.split("__")
        fname = parts[0]
        op = parts[1] if len(parts) >= 2 else "exact"
        if fname not in sch.fields(self.name) and fname not in filtering and fname != "search":
            return None
        if fname not in filtering:
            raise ApiError(400, f"The '{fname[:60]}' field does not allow filtering.")
        if fname in IGNORED_FILTERS and fname not in ("study", "study_group"):
            return None  # options, read where they apply (metric_options)
        if filtering.get(fname) == 2 and len(parts) >= 2 and parts[1] not in sch.ALL_OPS:
            return self.parse_relation_filter(parts, value)
        allowed = sch.filter_ops(self.name, fname)
        if len(parts) > 2 or op not in allowed:
            raise ApiError(
                400, f"'{op[:40]}' is not an allowed filter on the '{fname[:60]}' field."
            )
        coerce = coercer(self.name, fname)
        if RELATED.get(fname) == "user" and "@" in value:  # users by e-mail, as the help
            value = ",".join(str(self.user_by_email(v)) for v in value.split(","))  # says
        parsed = self.parse_value(key, value, op, coerce)
        if holds_ticks(self.name, fname, sch.fields(self.name).get(fname)):
            op, parsed = self.app.clock.filter_value(op, parsed)  # served ticks to stored
        return fname, op, parsed

    def parse_relation_filter(self, parts: list[str], value: str) -> tuple[str, str, Any]:
        """``field__relfield[__op]`` on a field the schema filters ALL_WITH_RELATIONS:
        checked against the related resource's own filtering, as Tastypie does."""
        fname, rel = parts[0], parts[1]
        target = RELATED.get(fname, fname)
        if len(parts) > 3:
            raise ApiError(
                400,
                f"Lookups are not allowed more than one level deep on the '{fname[:60]}' field.",
            )
        op = parts[2] if len(parts) == 3 else "exact"
        if target not in sch.resource_names() or rel not in sch.filtering(target):
            raise ApiError(400, f"The '{rel[:60]}' field does not allow filtering.")
        if op not in sch.filter_ops(target, rel):
            raise ApiError(400, f"'{op[:40]}' is not an allowed filter on the '{rel[:60]}' field.")
        parsed = self.parse_value("__".join(parts), value, op, coercer(target, rel))
        return f"{fname}__{rel}", op, parsed

    def parse_value(self, key: str, value: str, op: str, coerce: Callable[[str], Any]) -> Any:
        """A filter's value parsed for ``op`` with the field's ``coerce``; 400 if invalid."""
        try:
            if op == "isnull":
                parsed: Any = parse_bool(value)
            elif op in TEXT_OPS:
                parsed = str(value)
            elif op == "in":
                parsed = [coerce(v) for v in value.split(",")]
                parsed = set(parsed) if all(_hashable(p) for p in parsed) else parsed
            elif op == "range":
                items = value.split(",")
                if len(items) != 2:
                    raise ValueError("range needs two comma-separated values")
                parsed = (coerce(items[0]), coerce(items[1]))
            else:
                parsed = coerce(value)
        except (ValueError, TypeError, OverflowError) as exc:
            raise ApiError(
                400, f"invalid value {value[:60]!r} for filter {key[:80]!r} on {self.name}: {exc}"
            ) from None
        return parsed

    # ------------------------------------------------------------------ relations
    def related_value(self, target: str, rid: Any, field: str) -> Any:
        """Field ``field`` of the ``target`` object ``rid`` (its id needs no lookup)."""
        if rid is None or field == "id":
            return rid
        if target == "datatype":
            found = [d.as_resource() for d in catalog.all_datatypes() if d.id == rid]
            return found[0].get(field) if found else None
        obj = self.app.store.get(target, rid) if target in STORED else None
        return None if obj is None else obj.get(field)

    def subjects(self, field: str, value: Any, op: str) -> frozenset[int]:
        """Users who are subjects of the studies (``field="study"``) or study groups
        (``"study_group"``) a filter names, among those the caller sees."""
        try:
            wanted = {
                int(related_key(v, field.replace("_", "")))
                for v in (value if op == "in" else [value])
            }
        except (TypeError, ValueError):
            raise ApiError(400, f"{field}={value!r} is not a study id") from None
        return frozenset(
            s["subject"] for s in self.objects_of("studysubject") if s.get(field) in wanted
        )

    # ------------------------------------------------------------------ metric options
    @functools.cached_property
    def metric_options(self) -> tuple[list[int], bool, bool] | None:
        """``(metric ids, histograms wanted, short form)`` asked for on a record or range
        (``include_metrics``, ``show_all``, ``include_histograms``, ``short_metrics``),
        or None when none is."""
        if self.name not in WITH_METRICS:
            return None
        query = dict(self.query)
        ids: list[int] = []
        for token in str(query.get("include_metrics", "")).split(","):
            if token.strip():
                try:
                    ids.append(int(related_key(token.strip(), "metric")))
                except (ValueError, TypeError):
                    raise ApiError(
                        400,
                        f"invalid metric {token.strip()[:40]!r} in "
                        "include_metrics; give metric ids or URIs",
                    ) from None
        if _flag(query.get("show_all")):
            ids += [int(m["id"]) for m in metric_list() if m.get("type") != "histogram"]
        histograms = _flag(query.get("include_histograms"))
        if not ids and not histograms:
            return None
        if histograms and not any(
            m.get("type") == "histogram" for m in metric_list() if int(m["id"]) in ids
        ):
            ids += [int(m["id"]) for m in metric_list() if m.get("type") == "histogram"]
        return list(dict.fromkeys(ids)), histograms, _flag(query.get("short_metrics"))

    def with_metrics(self, rendered: dict[str, Any], obj: Mapping[str, Any]) -> dict[str, Any]:
        """``rendered`` with its ``metrics`` filled as the metric options ask (the report
        endpoint's items for this record or range)."""
        options = self.metric_options  # read from the query once per request
        if options is None or obj.get("end") is None:
            return rendered
        ids, histograms, short = options
        known = {int(m["id"]): m for m in metric_list()}
        ids = [i for i in ids if i in known and (histograms or known[i].get("type") != "histogram")]
        unknown = [i for i in options[0] if i not in known]
        if unknown:
            raise ApiError(400, f"unknown metric id {unknown[0]}; see /api/v1/metric/")
        segs = self.segments_of(obj)
        if not ids or not segs:
            return {**rendered, "metrics": []}
        from hexoframe.emulator import metrics

        if self.name == "record":
            items = metrics.compute_report(segs, ids, record=rendered)["data"][0]
        else:
            items = metrics.compute_report(segs, ids, range=rendered)["data"][0]
        if short:
            items = [
                {k: item[k] for k in ("metric", "value", "data1", "data2") if k in item}
                for item in items
            ]
        return {**rendered, "metrics": items}

    def segments_of(self, obj: Mapping[str, Any]) -> list[tuple[int, Any, int, int]]:
        """The ``(user, source, start, end)`` pieces of data a record or range covers."""
        lo, hi = int(obj["start"]), int(obj["end"])
        records = (
            [obj]
            if self.name == "record"
            else [r for r in self.app.store.all("record") if r["user"] == obj["user"]]
        )
        out = []
        for rec in sorted(records, key=lambda r: r["start"]):
            s, e = max(lo, int(rec["start"])), min(hi, int(rec["end"]))
            if s < e:
                out.append((int(rec["user"]), self.app.source_for(rec), s, e))
        return out

    # ------------------------------------------------------------------ detail view
    def detail_get(self, key: str) -> Answer:
        """GET on the detail view; query parameters it does not use are ignored (Tastypie)."""
        fmt = dict(self.query).get("format", "json")
        if fmt not in ("json", ""):
            raise ApiError(400, f"format {fmt[:20]!r} is not available for {self.name}; only json")
        obj = self.find(key)
        return ok(self.with_metrics(self.render(obj), obj))


def _flag(value: Any) -> bool:
    """A query flag as Django reads a boolean: ``1``, ``true``, ``yes``, ``on``."""
    return str(value or "").strip().lower() in ("1", "true", "yes", "on", "t")


def _page_number(text: str, name: str) -> int:
    """``limit``/``offset`` as Tastypie's paginator reads them, with its wording."""
    try:
        number = int(text)
    except ValueError:
        kind = "a positive integer" if name == "limit" else "an integer"
        raise ApiError(
            400, f"Invalid {name} '{text[:40]}' provided. Please provide {kind}."
        ) from None
    if number < 0:
        raise ApiError(
            400, f"Invalid {name} '{text[:40]}' provided. Please provide a positive integer >= 0."
        )
    return number
