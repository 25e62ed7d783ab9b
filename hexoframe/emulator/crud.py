"""Tastypie write semantics: create, bulk PATCH, PUT/PATCH/DELETE on detail views.

POST (or PATCH) to a list view creates, PUT/PATCH/DELETE on a detail view change;
DELETE and PUT on list views and POST on detail views are 405. PUT replaces an object
(writable fields the body omits are reset), PATCH updates it. Writes need a token with
write scope and an owner the caller may change; every write clears the data cache.

Examples
--------
>>> sorted(REQUIRED["record"])
['end', 'start']
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from datetime import date
from typing import Any

from hexoframe.core import catalog
from hexoframe.core.errors import UnknownDatatypeError
from hexoframe.emulator import schema as sch
from hexoframe.emulator.auth import Identity
from hexoframe.emulator.clock import holds_ticks
from hexoframe.emulator.coerce import parse_bool, parse_dt, point, related_key
from hexoframe.emulator.responses import Answer, ApiError, field_error, ok
from hexoframe.emulator.store import now_iso, visible_users, writable_users
from hexoframe.emulator.tastypie import RELATED, ResourceView

__all__ = ["DEFAULTS", "MAX_TICKS", "REQUIRED", "WRITABLE_EXTRA", "WritableView"]

MAX_TICKS = 253402300799 * 256  # 9999-12-31T23:59:59Z
#: Django's messages for a value its field cannot take, by schema type.
_INVALID = {
    "integer": "Enter a whole number.",
    "float": "Enter a number.",
    "boolean": "Enter a boolean (true or false).",
    "datetime": "Enter a valid date/time.",
    "date": "Enter a valid date.",
    "string": "Enter a valid value.",
    "related": "Give the object as a resource URI or an id.",
    "geometry": "Enter a point as [longitude, latitude].",
}

#: Extra writable fields (read-only in the schema but settable in the emulator).
WRITABLE_EXTRA = {("range", "trainingroutine"), ("range", "activitytype")}
#: Fields a new object must provide (``user`` defaults to the caller).
REQUIRED: dict[str, tuple[str, ...]] = {
    "range": ("start",),
    "annotation": ("start", "annotation"),
    "record": ("start", "end"),
    "track": (),
    "trackpoint": ("track", "position"),
    "trainingroutine": ("name",),
    "activitytype": ("name",),
    "user": (),
    "profile": (),
}
#: Values of the fields a new object omits; the keys are the creatable resources.
DEFAULTS: dict[str, dict[str, Any]] = {
    "range": {
        "name": "",
        "end": None,
        "rank": 0,
        "note": "",
        "status": "complete",
        "metrics": [],
        "ranges": [],
        "parent": None,
        "trainingroutine": None,
        "activitytype": None,
    },
    "annotation": {"datatype": 4096, "record": None},
    "record": {
        "status": "complete",
        "device": None,
        "firmware_rev": "",
        "soft_protocole": 0,
        "soft_uid": "",
        "dev_id": "",
        "garment": "",
        "data_status": {},
        "metrics": [],
        "algo": None,
        "importfile": None,
    },
    "track": {
        "name": "",
        "range": None,
        "area": None,
        "distance": 0.0,
        "importfile": None,
        "start_date": None,
        "end_date": None,
    },
    "trackpoint": {
        "altitude": None,
        "course": None,
        "horizontal_accuracy": None,
        "vertical_accuracy": None,
        "speed": None,
        "time": None,
        "timestamp": None,
        "range": None,
        "record": None,
    },
    "trainingroutine": {
        "activitytype": None,
        "application_metadata": [],
        "description": "",
        "importfile": None,
        "last_used": None,
        "metadata": None,
        "steps": [],
        "using": "True",
    },
    "activitytype": {
        "activityview": None,
        "base": "",
        "category": None,
        "default_metrics": [],
        "description": "",
        "using": "True",
    },
}


class WritableView(ResourceView):
    """Read and write access to one resource: the list and detail views of the API."""

    # ------------------------------------------------------------------ views
    def list_view(self) -> Answer:
        """GET (list) or POST/PATCH (create) on the list view."""
        self.check_method(sch.allowed_methods(self.name, False), detail=False)
        self.identity()
        if self.method == "GET":
            return self.list_get()
        return self.create()

    def detail(self, key: str) -> Answer:
        """GET, PUT, PATCH or DELETE on the detail view of object *key*."""
        self.check_method(sch.allowed_methods(self.name, True), detail=True)
        ident = self.identity()
        if self.method == "GET":
            return self.detail_get(key)
        if self.method in ("PUT", "PATCH") and not self.candidates(key):
            raise ApiError(404, f"no {self.name} with id {key[:40]!r}", body=b"")
        obj = self.find(key)
        self.check_write(obj, ident)
        if self.method == "DELETE":
            self.app.store.delete(self.name, obj["id"])
            self.app.clear_cache()
            return 204, {}, b""
        body = self.body()
        if self.method == "PUT":
            missing = [f for f in REQUIRED.get(self.name, ()) if f not in body]
            if missing:
                raise ApiError(
                    400, f"PUT needs a complete {self.name}: missing {', '.join(missing)}"
                )
            new = self.replacement(obj)
        else:
            new = dict(obj)
        new.update(self.clean(body, new))
        owner = new["id"] if self.name == "user" else new.get("user")
        if owner is not None and owner not in writable_users(ident.user_id):
            raise ApiError(403, f"you may not give this {self.name} to user {owner}")
        self.validate(new)
        new["last_modified"] = now_iso()
        saved = self.app.store.replace(self.name, new)
        self.app.clear_cache()
        # Tastypie with always_return_data (the reference: "the instance will be in the
        # body"): PUT answers 200 with the object, PATCH 202 Accepted with it
        return ok(self.render(saved), 202 if self.method == "PATCH" else 200)

    def replacement(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """The base of a PUT: what the client cannot set is kept, the rest is reset."""
        fields = sch.fields(self.name)
        defaults = DEFAULTS.get(self.name, {})
        new: dict[str, Any] = {}
        for key, value in obj.items():
            fdef = fields.get(key)
            settable = fdef is not None and (
                not fdef.get("readonly") or (self.name, key) in WRITABLE_EXTRA
            )
            fdef = fdef or {}
            if key in ("id", "user") or not settable:
                new[key] = value
            elif key in defaults:
                new[key] = copy.deepcopy(defaults[key])
            elif fdef.get("nullable"):
                new[key] = None
            else:
                new[key] = value
        return new

    def check_write(self, obj: Mapping[str, Any], ident: Identity) -> None:
        """Raise 403 unless *ident* may change *obj*."""
        if not ident.can_write:
            raise ApiError(403, "this token's scope is readonly")
        owner = obj["id"] if self.name == "user" else obj.get("user")
        if owner is None or owner not in writable_users(ident.user_id):
            raise ApiError(403, f"you may not change this {self.name}")

    # ------------------------------------------------------------------ create
    def create(self) -> Answer:
        """POST (or PATCH) on the list view: one new object, or a bulk PATCH."""
        ident = self.identity()
        if not ident.can_write:
            raise ApiError(403, "this token's scope is readonly")
        if self.name not in DEFAULTS:
            raise ApiError(405, f"{self.name} objects cannot be created")
        body = self.body()
        if self.method == "PATCH" and ("objects" in body or "deleted_objects" in body):
            return self.bulk(body, ident)
        saved = self.create_one(body, ident)
        rendered = self.render(saved)
        # Location is the resource URI path, as Tastypie's get_resource_uri gives it
        return ok(
            rendered,
            201,
            {"Location": rendered.get("resource_uri") or self.uri(self.name, saved["id"])},
        )

    def bulk(self, body: Mapping[str, Any], ident: Identity) -> Answer:
        """Tastypie bulk PATCH: create ``objects``, delete ``deleted_objects`` (URIs)."""
        objects = body.get("objects", [])
        deleted = body.get("deleted_objects", [])
        if not isinstance(objects, list) or not all(isinstance(o, dict) for o in objects):
            raise ApiError(400, "'objects' must be a list of JSON objects")
        if not isinstance(deleted, list):
            raise ApiError(400, "'deleted_objects' must be a list of URIs")
        doomed = []
        for uri in deleted:
            try:
                key = str(related_key(uri, self.name))
            except ValueError:
                raise ApiError(400, f"invalid {self.name} URI {str(uri)[:60]!r}") from None
            obj = self.find(key)
            self.check_write(obj, ident)
            doomed.append(obj["id"])
        for item in objects:
            self.create_one(item, ident)
        for oid in doomed:
            self.app.store.delete(self.name, oid)
        self.app.clear_cache()
        return 202, {}, b""

    def create_one(self, body: dict[str, Any], ident: Identity) -> dict[str, Any]:
        """Validate and store one new object for the caller; returns the stored object."""
        missing = [f for f in REQUIRED.get(self.name, ()) if f not in body]
        if missing:
            raise field_error(self.name, missing, "This field is required.")
        new = dict(DEFAULTS[self.name])
        new["user"] = ident.user_id
        new.update(self.clean(body, new))
        if self.name == "trackpoint":
            track = self.app.store.get("track", new["track"])
            new["user"] = track["user"] if track else new["user"]
        if new.get("user") not in writable_users(ident.user_id):
            raise ApiError(403, f"you may not create objects for user {new.get('user')}")
        self.validate(new)
        now = now_iso()
        new["last_modified"] = now
        if "created" in sch.fields(self.name):
            new["created"] = now
        new["id"] = None
        saved = self.app.store.insert(self.name, new)
        self.app.clear_cache()
        return saved

    # ------------------------------------------------------------------ validation
    def clean(self, body: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
        """Validated, coerced writable fields of a request body."""
        fields = sch.fields(self.name)
        out: dict[str, Any] = {}
        for key, value in body.items():
            fdef = fields.get(key)
            if fdef is None or key in ("id", "resource_uri"):
                continue
            if fdef.get("readonly") and (self.name, key) not in WRITABLE_EXTRA:
                continue
            out[key] = self.clean_value(key, fdef, value)
        if self.name == "range" and out.get("trainingroutine") and "activitytype" not in out:
            routine = self.app.store.get("trainingroutine", out["trainingroutine"])
            if routine:
                out["activitytype"] = routine.get("activitytype")
        return out

    def clean_value(self, key: str, fdef: Mapping[str, Any], value: Any) -> Any:
        """One field's value in stored form (by schema type); 400 when invalid."""
        ftype = fdef.get("type")
        if value is None:
            if fdef.get("nullable") or key in DEFAULTS.get(self.name, {}):
                return None
            raise field_error(self.name, key, "This field cannot be null.")
        try:
            if ftype == "integer":
                # Tastypie's IntegerField: int() of what it is given (floats truncate,
                # booleans are 0/1, numeric strings parse)
                if isinstance(value, (bool, float)):
                    value = int(value)  # ValueError/OverflowError for NaN/inf
                elif isinstance(value, str):
                    value = int(value.strip())
                if not isinstance(value, int):
                    raise ValueError("not an integer")
                if abs(value) > 2**62:
                    raise ValueError("out of range")
                if holds_ticks(self.name, key, fdef):
                    return self.app.clock.up(value)  # stored at 256 ticks per second
                return value
            if ftype == "float":
                if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                    raise ValueError("not a number")
                value = float(value)
                if not math.isfinite(value):
                    raise ValueError("not finite")
                return value
            if ftype == "boolean":
                return value if isinstance(value, bool) else parse_bool(str(value))
            if ftype == "datetime":
                return parse_dt(value).isoformat()
            if ftype == "date":
                return date.fromisoformat(str(value)).isoformat()
            if ftype == "geometry":
                return point(value)
            if ftype == "related":
                target = RELATED.get(key, key)
                if fdef.get("related_type") == "to_many":
                    if not isinstance(value, list):
                        raise ValueError("expected a list of ids or URIs")
                    return [self.related(key, target, v) for v in value]
                return self.related(key, target, value)
            if isinstance(value, (dict, list)) and ftype == "string":
                return value
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                raise ValueError("expected a string")
            return str(value)
        except ApiError:
            raise
        except (ValueError, TypeError, OverflowError):
            raise field_error(
                self.name, key, _INVALID.get(str(ftype), "Enter a valid value.")
            ) from None

    def related(self, key: str, target: str, value: Any) -> Any:
        """The stored id of a related object the caller may see; 400 otherwise."""
        ident = self.identity()
        rid = related_key(self.user_by_email(value) if target == "user" else value, target)
        if target == "user":
            if rid not in visible_users(ident.user_id):
                raise ApiError(400, f"user {rid} does not exist")
            return rid
        if target == "datatype":
            try:
                return catalog.lookup(rid).id
            except (UnknownDatatypeError, KeyError, ValueError):
                raise ApiError(400, f"datatype {rid} does not exist") from None
        if target in ("record", "range", "track", "trainingroutine", "activitytype", "device"):
            if target == "device":
                found = [
                    d
                    for d in self.app.store.all("device")
                    if d["deviceid"] == rid or d["id"] == rid
                ]
                obj = found[0] if found else None
            else:
                obj = self.app.store.get(target, rid) if isinstance(rid, int) else None
            if obj is None or (
                obj.get("user") is not None and obj.get("user") not in self.visible()
            ):
                raise ApiError(400, f"{target} {rid} does not exist")
            return obj["deviceid"] if target == "device" else rid
        return rid

    def validate(self, obj: Mapping[str, Any]) -> None:
        """Raise 400 for times outside ``[0, MAX_TICKS]``, ends before starts, empty records."""
        start, end = obj.get("start"), obj.get("end")
        for key in ("start", "end", "device_start"):
            value = obj.get(key)
            if isinstance(value, int) and not 0 <= value <= MAX_TICKS:
                raise field_error(
                    self.name,
                    key,
                    f"Ensure this value is between 0 and {MAX_TICKS} (1/256 s since 1970 UTC).",
                )
        if isinstance(start, int) and isinstance(end, int) and end < start:
            raise field_error(self.name, "end", f"The end ({end}) is before the start ({start}).")
        if (
            self.name == "record"
            and isinstance(start, int)
            and isinstance(end, int)
            and end == start
        ):
            raise ApiError(400, "a record must not be empty (end == start)")
