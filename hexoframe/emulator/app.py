"""WSGI application of the emulator: routing and Tastypie semantics.

Paths are served under ``/api/v1/`` and ``/api/`` alike. List views page with
``limit``/``offset`` (default 20, at most 1000; ``limit=0`` means 1000) and answer
``{"meta": {...}, "objects": [...]}``; filters (``field__op=value``) and ``order_by``
are checked against each resource's Tastypie schema; detail views live at
``/api/v1/<name>/<id>/``. POST (or PATCH) to a list view creates, PUT/PATCH/DELETE on
a detail view change; DELETE and PUT on list views and POST on detail views are 405.
Every error is a JSON body ``{"error": "..."}`` with a 4xx status.

Examples
--------
>>> from hexoframe.emulator.app import EmulatorApp
>>> app = EmulatorApp()
>>> from werkzeug.test import Client
>>> Client(app).get("/api/v1/record/").status_code
401
"""

from __future__ import annotations

import copy
import json
import logging
import math
import re
import threading
import time
import traceback
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, urlencode

from .. import catalog
from ..errors import UnknownDatatypeError
from . import schema as sch
from .auth import Authenticator, AuthError, Identity
from .faults import NO_FAULT, Fault, FaultInjector
from .store import Store, now_iso, visible_users, writable_users

log = logging.getLogger("hexoframe.emulator")

MAX_LIMIT = 1000
DATA_CAP = 65535
MAX_TICKS = 253402300799 * 256  # 9999-12-31T23:59:59Z
TOKEN_PATHS = ("/api/connect/oauth2/token/", "/api/v1/connect/oauth2/token/")
RESERVED_PARAMS = frozenset({"limit", "offset", "order_by", "format"})
JSON_TYPE = "application/json"

#: Target resource of each related field name.
RELATED: dict[str, str] = {
    "user": "user", "profile": "profile", "device": "device", "record": "record",
    "range": "range", "parent": "range", "track": "track", "datatype": "datatype",
    "activitytype": "activitytype", "trainingroutine": "trainingroutine",
    "metrics": "metric", "default_metrics": "metric", "algo": "algo",
    "importfile": "importfile", "unit": "unit", "unit_raw": "unit", "steps": "step",
    "application_metadata": "applicationmetadata", "include_metrics": "metric",
    "category": "category",
}
#: Fields whose stored value is shown as-is although the schema calls them related.
PLAIN_RELATED = {("datatype", "unit"), ("datatype", "unit_raw"), ("metric", "unit")}
#: Filters accepted (schema allows them) that select nothing in the emulator.
IGNORED_FILTERS = frozenset({
    "show_all", "include_metrics", "include_histograms", "short_metrics", "study",
    "study_group", "include_autodetected", "display", "group_by", "grouped",
})
#: Extra writable fields (read-only in the schema but settable in the emulator).
WRITABLE_EXTRA = {("range", "trainingroutine"), ("range", "activitytype")}
#: Fields a new object must provide (``user`` defaults to the caller).
REQUIRED: dict[str, tuple[str, ...]] = {
    "range": ("start",), "annotation": ("start", "annotation"), "record": ("start", "end"),
    "track": (), "trackpoint": ("track", "position"), "trainingroutine": ("name",),
    "activitytype": ("name",), "user": (), "profile": (),
}
DEFAULTS: dict[str, dict[str, Any]] = {
    "range": {"name": "", "end": None, "rank": 0, "note": "", "status": "complete",
              "metrics": [], "ranges": [], "parent": None, "trainingroutine": None,
              "activitytype": None},
    "annotation": {"datatype": 4096, "record": None},
    "record": {"status": "complete", "device": None, "firmware_rev": "", "soft_protocole": 0,
               "soft_uid": "", "dev_id": "", "garment": "", "data_status": {}, "metrics": [],
               "algo": None, "importfile": None},
    "track": {"name": "", "range": None, "area": None, "distance": 0.0, "importfile": None,
              "start_date": None, "end_date": None},
    "trackpoint": {"altitude": None, "course": None, "horizontal_accuracy": None,
                   "vertical_accuracy": None, "speed": None, "time": None, "timestamp": None,
                   "range": None, "record": None},
    "trainingroutine": {"activitytype": None, "application_metadata": [], "description": "",
                        "importfile": None, "last_used": None, "metadata": None, "steps": [],
                        "using": "True"},
    "activitytype": {"activityview": None, "base": "", "category": None,
                     "default_metrics": [], "description": "", "using": "True"},
}
STORED = frozenset(DEFAULTS) | {"user", "profile", "device"}


class ApiError(Exception):
    """An error answer: status, message for the JSON body, optional headers."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


class Stats:
    """Thread-safe request counters.

    Examples
    --------
    >>> s = Stats(); s.count("/api/v1/data/", data=True); s["data_requests"]
    1
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._paths: Counter[str] = Counter()
        self._data = 0

    def count(self, path: str, data: bool = False) -> None:
        """Count one request to *path* (and one data request if *data*)."""
        with self._lock:
            self._paths[path] += 1
            if data:
                self._data += 1

    def mark_data(self) -> None:
        """Count one data request."""
        with self._lock:
            self._data += 1

    def reset(self) -> None:
        """Zero every counter."""
        with self._lock:
            self._paths.clear()
            self._data = 0

    @property
    def data_requests(self) -> int:
        """Requests to the data endpoint."""
        with self._lock:
            return self._data

    @property
    def by_path(self) -> dict[str, int]:
        """Requests per path (a copy)."""
        with self._lock:
            return dict(self._paths)

    @property
    def requests(self) -> dict[str, int]:
        """Alias of :attr:`by_path`."""
        return self.by_path

    @property
    def total(self) -> int:
        """All requests."""
        with self._lock:
            return sum(self._paths.values())

    def snapshot(self) -> dict[str, Any]:
        """All counters as a plain dict."""
        paths = self.by_path
        return {"total": sum(paths.values()), "data_requests": self.data_requests,
                "by_path": paths, "requests": dict(paths)}

    def __getitem__(self, key: str) -> Any:
        return self.snapshot()[key]

    def __repr__(self) -> str:
        return f"Stats({self.snapshot()!r})"


# ----------------------------------------------------------------------------- helpers


def _json(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), allow_nan=False).encode("utf-8")


def _related_key(value: Any, target: str) -> Any:
    """Id (int, or device serial) from an id or a resource URI; raises ValueError."""
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


def _number(text: str) -> int | float:
    t = text.strip()
    if re.fullmatch(r"[-+]?\d+", t):
        return int(t)
    value = float(t)
    if not math.isfinite(value):
        raise ValueError("not finite")
    return value


def _strict_int(text: str, name: str) -> int:
    t = str(text).strip()
    if not re.fullmatch(r"[-+]?\d{1,19}", t):
        raise ApiError(400, f"'{name}' must be an integer, not {text!r:.60}")
    return int(t)


def _bool(text: str) -> bool:
    t = str(text).strip().lower()
    if t in ("1", "true", "t", "yes"):
        return True
    if t in ("0", "false", "f", "no", ""):
        return False
    raise ValueError("not a boolean")


def _parse_dt(text: Any) -> datetime:
    t = str(text).strip().replace("Z", "+00:00")
    if len(t) > 40:
        raise ValueError("too long")
    value = datetime.fromisoformat(t)
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def _coercer(resource: str, name: str) -> Callable[[str], Any]:
    fdef = sch.fields(resource).get(name, {})
    ftype = fdef.get("type")
    if ftype == "related":
        target = RELATED.get(name, name)
        return lambda v: _related_key(v, target)
    if ftype in ("integer", "float") or name == "duration":
        return _number
    if ftype == "boolean":
        return _bool
    if ftype == "datetime":
        return _parse_dt
    if ftype == "date":
        return lambda v: date.fromisoformat(str(v).strip())
    return lambda v: str(v)


def _comparable(resource: str, name: str, value: Any) -> Any:
    """A stored value in the form the coercer of its field produces."""
    if value is None:
        return None
    ftype = sch.fields(resource).get(name, {}).get("type")
    try:
        if ftype == "datetime":
            return _parse_dt(value)
        if ftype == "date":
            return date.fromisoformat(str(value))
    except ValueError:
        return None
    return value


def _match(op: str, stored: Any, wanted: Any) -> bool:
    if op == "isnull":
        return (stored is None) == wanted
    if op in ("contains", "icontains", "startswith", "istartswith", "endswith", "iendswith",
              "iexact"):
        if stored is None:
            return False
        s, w = str(stored), str(wanted)
        if op.startswith("i"):
            s, w, op = s.lower(), w.lower(), op[1:]
        if op == "exact":
            return s == w
        return {"contains": w in s, "startswith": s.startswith(w),
                "endswith": s.endswith(w)}[op]
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


# ----------------------------------------------------------------------------- the app


class EmulatorApp:
    """The emulator's WSGI application.

    Parameters
    ----------
    store : Store, optional
        Object store (a fresh in-memory one by default).
    auth : Authenticator, optional
        Credential checker and OAuth2 token issuer.
    faults : FaultInjector, optional
        Fault injection (none by default).
    seed : int
        Seed passed to the signal generator.
    import_paths : mapping, optional
        Record id -> export path for imported records.
    """

    def __init__(self, store: Store | None = None, auth: Authenticator | None = None,
                 faults: FaultInjector | None = None, seed: int = 0,
                 import_paths: Mapping[int, str] | None = None) -> None:
        self.store = store or Store()
        self.auth = auth or Authenticator()
        self.faults = faults or FaultInjector()
        self.seed = seed
        self.import_paths: dict[int, str] = dict(import_paths or {})
        self.stats = Stats()
        self._cache: OrderedDict[tuple, tuple[int, dict, bytes, float]] = OrderedDict()
        self._cache_bytes = 0
        self._cache_lock = threading.Lock()
        self._sources: OrderedDict[tuple, Any] = OrderedDict()
        self._source_lock = threading.Lock()

    # ------------------------------------------------------------------ WSGI entry
    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        self.stats.count(path)
        fault = self.faults.draw(path)
        if fault.latency:
            time.sleep(fault.latency)
        environ["hexoframe.fault"] = fault.transport
        if fault.status:
            status, headers, body = self._error(
                fault.status, "injected fault: service temporarily unavailable"
                if fault.status != 429 else "rate limit exceeded; retry later",
                {"Retry-After": str(fault.retry_after)},
            )
        else:
            try:
                status, headers, body = self.handle(environ, fault)
            except ApiError as exc:
                status, headers, body = self._error(exc.status, exc.message, exc.headers)
            except Exception:  # pragma: no cover - a bug; keep serving
                log.error("emulator error on %s %s:\n%s", environ.get("REQUEST_METHOD"), path,
                          traceback.format_exc())
                status, headers, body = self._error(500, "internal emulator error")
        if environ.get("REQUEST_METHOD") == "HEAD":
            headers["Content-Length"] = str(len(body))
            body = b""
        headers.setdefault("Content-Length", str(len(body)))
        start_response(f"{status} {_REASONS.get(status, 'Unknown')}", list(headers.items()))
        return [body]

    def _error(self, status: int, message: str,
               headers: Mapping[str, str] | None = None) -> tuple[int, dict, bytes]:
        out = {"Content-Type": JSON_TYPE}
        out.update(headers or {})
        return status, out, _json({"error": message})

    def _ok(self, obj: Any, status: int = 200,
            headers: Mapping[str, str] | None = None) -> tuple[int, dict, bytes]:
        out = {"Content-Type": JSON_TYPE}
        out.update(headers or {})
        return status, out, _json(obj)

    # ------------------------------------------------------------------ routing
    def handle(self, environ: dict, fault: Fault = NO_FAULT) -> tuple[int, dict, bytes]:
        """Answer one request: ``(status, headers, body)``; raises :class:`ApiError`."""
        path = environ.get("PATH_INFO", "") or "/"
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if method == "HEAD":
            method = "GET"
        if path in TOKEN_PATHS or path + "/" in TOKEN_PATHS:
            return self._token(environ, method)
        if path.startswith("/api/v1/"):
            prefix = "/api/v1/"
        elif path.startswith("/api/"):
            prefix = "/api/"
        elif path in ("/api", "/api/v1"):
            prefix = path + "/"
        else:
            raise ApiError(404, f"no such path {path[:100]!r}; the API lives under /api/v1/")
        rest = path[len(prefix):] if len(path) >= len(prefix) else ""
        parts = [p for p in rest.split("/") if p]
        if not parts:
            if method != "GET":
                raise ApiError(405, "only GET is allowed on the API root", {"Allow": "GET"})
            return self._ok(sch.api_root(prefix))
        name = parts[0]
        if name not in sch.resource_names():
            raise ApiError(404, f"unknown resource {name[:60]!r}; see {prefix} for the list")
        if len(parts) > 2:
            raise ApiError(404, f"no such path {path[:100]!r}")
        query = self._query(environ)
        ctx = _Context(self, environ, prefix, name, method, query, fault)
        if len(parts) == 2 and parts[1] == "schema":
            ctx.check_method(("get",), detail=False)
            ctx.identity()
            return self._ok(sch.resource_schema(name, prefix))
        if len(parts) == 2:
            return ctx.detail(parts[1])
        return ctx.list_view()

    def _query(self, environ: Mapping[str, Any]) -> list[tuple[str, str]]:
        qs = environ.get("QUERY_STRING", "")
        if isinstance(qs, bytes):
            qs = qs.decode("latin-1")
        try:
            return parse_qsl(qs, keep_blank_values=True, encoding="utf-8", errors="strict",
                             max_num_fields=200)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "malformed query string") from None

    # ------------------------------------------------------------------ OAuth2
    def _token(self, environ: dict, method: str) -> tuple[int, dict, bytes]:
        if method != "POST":
            raise ApiError(405, "use POST on the token endpoint", {"Allow": "POST"})
        body = _read_body(environ)
        try:
            form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except (UnicodeDecodeError, ValueError):
            raise ApiError(400, "the token request must be form-encoded") from None
        try:
            answer = self.auth.token(form, environ.get("HTTP_AUTHORIZATION", ""))
        except AuthError as exc:
            headers = {"Cache-Control": "no-store"}
            if exc.status == 401:
                headers["WWW-Authenticate"] = 'Basic realm="hexoskin"'
            return self._ok({"error": exc.code or "invalid_request",
                             "error_description": exc.message}, exc.status, headers)
        return self._ok(answer, 200, {"Cache-Control": "no-store", "Pragma": "no-cache"})

    # ------------------------------------------------------------------ caches
    def cache_get(self, key: tuple) -> tuple[int, dict, bytes, float] | None:
        """A cached data answer, or ``None``."""
        with self._cache_lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
            return hit

    def cache_put(self, key: tuple, status: int, headers: dict, body: bytes) -> None:
        """Remember a data answer (LRU, bounded by count and size)."""
        if len(body) > 16_000_000:
            return
        with self._cache_lock:
            old = self._cache.pop(key, None)
            if old is not None:
                self._cache_bytes -= len(old[2])
            self._cache[key] = (status, dict(headers), body, time.time())
            self._cache_bytes += len(body)
            while self._cache and (len(self._cache) > 256 or self._cache_bytes > 128_000_000):
                _, dropped = self._cache.popitem(last=False)
                self._cache_bytes -= len(dropped[2])

    def clear_cache(self) -> None:
        """Forget every cached data answer."""
        with self._cache_lock:
            self._cache.clear()
            self._cache_bytes = 0

    def source_for(self, record: Mapping[str, Any]) -> Any:
        """The signal source of a stored record (cached)."""
        from . import signals

        rec = {"id": record["id"], "user": record["user"], "start": record["start"],
               "end": record["end"], "import_path": self.import_paths.get(record["id"])}
        key = (rec["id"], rec["user"], rec["start"], rec["end"], rec["import_path"])
        with self._source_lock:
            src = self._sources.get(key)
            if src is not None:
                self._sources.move_to_end(key)
                return src
        src = signals.make_source(self.seed, rec)
        with self._source_lock:
            self._sources[key] = src
            while len(self._sources) > 64:
                self._sources.popitem(last=False)
        return src


_REASONS = {
    200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 400: "Bad Request",
    401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    406: "Not Acceptable", 411: "Length Required", 413: "Payload Too Large",
    429: "Too Many Requests", 500: "Internal Server Error", 501: "Not Implemented",
    503: "Service Unavailable",
}


def _read_body(environ: Mapping[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise ApiError(400, "invalid Content-Length") from None
    if length < 0 or length > 16_000_000:
        raise ApiError(413, "request body too large")
    stream = environ.get("wsgi.input")
    return stream.read(length) if stream is not None and length else b""


class _Context:
    """One API request to one resource."""

    def __init__(self, app: EmulatorApp, environ: dict, prefix: str, name: str, method: str,
                 query: list[tuple[str, str]], fault: Fault) -> None:
        self.app = app
        self.environ = environ
        self.prefix = prefix
        self.name = name
        self.method = method
        self.query = query
        self.fault = fault
        self._identity: Identity | None = None

    # ------------------------------------------------------------------ basics
    def url(self) -> str:
        env = self.environ
        raw = env.get("REQUEST_URI") or env.get("RAW_URI")
        if raw and raw.startswith(("http://", "https://")):
            return raw  # absolute-form request target: the URL as sent
        if not raw:
            raw = env.get("PATH_INFO", "")
            if env.get("QUERY_STRING"):
                raw += "?" + env["QUERY_STRING"]
        host = env.get("HTTP_HOST") or f"{env.get('SERVER_NAME')}:{env.get('SERVER_PORT')}"
        return f"{env.get('wsgi.url_scheme', 'http')}://{host}{raw}"

    def identity(self) -> Identity:
        if self._identity is None:
            try:
                self._identity = self.app.auth.authenticate(self.environ, self.url())
            except AuthError as exc:
                headers = {"WWW-Authenticate": 'Basic realm="hexoskin"'}
                if exc.code:
                    headers["WWW-Authenticate"] = f'Bearer error="{exc.code}"'
                raise ApiError(exc.status, exc.message, headers) from None
        return self._identity

    def check_method(self, allowed: Iterable[str], detail: bool) -> None:
        allowed = tuple(allowed)
        m = self.method.lower()
        view = "detail" if detail else "list"
        if (not detail and m in ("put", "delete")) or (detail and m == "post") \
                or m not in allowed:
            allow = ", ".join(a.upper() for a in allowed) or "none"
            raise ApiError(405, f"{self.method} is not allowed on the {self.name} {view} view "
                           f"(allowed: {allow})", {"Allow": allow})

    def uri(self, name: str, key: Any) -> str:
        return f"{self.prefix}{name}/{key}/"

    def visible(self) -> frozenset[int]:
        return visible_users(self.identity().user_id)

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
            return [dict(m) for m in _metric_list()]
        if name == "user":
            return [u for u in self.app.store.all("user") if u["id"] in seen]
        return [o for o in self.app.store.all(name)
                if o.get("user") is None or o.get("user") in seen]

    def find(self, key: str) -> dict[str, Any]:
        """The visible object with this id (404 otherwise)."""
        for obj in self._candidates(key):
            if self.name == "user":
                owner = obj["id"]
            else:
                owner = obj.get("user")
            if owner is None or owner in self.visible():
                return obj
        raise ApiError(404, f"no {self.name} with id {key[:40]!r}")

    def _candidates(self, key: str) -> list[dict[str, Any]]:
        if self.name == "device":
            return [d for d in self.app.store.all("device")
                    if str(d["id"]) == key or d["deviceid"] == key]
        if not re.fullmatch(r"\d{1,18}", key):
            return []
        oid = int(key)
        if self.name == "datatype":
            return [d.as_resource() for d in catalog.all_datatypes() if d.id == oid]
        if self.name == "metric":
            return [dict(m) for m in _metric_list() if m.get("id") == oid]
        if self.name not in STORED:
            return []
        obj = self.app.store.get(self.name, oid)
        return [obj] if obj is not None else []

    def render(self, obj: Mapping[str, Any], name: str | None = None) -> dict[str, Any]:
        name = name or self.name
        fields = sch.fields(name)
        out: dict[str, Any] = {}
        for fname, fdef in fields.items():
            if fname == "resource_uri":
                key = obj.get("deviceid") if name == "device" else obj.get("id")
                out[fname] = self.uri("user" if name == "account" else name, key)
                continue
            value = obj.get(fname)
            if fdef.get("type") == "related" and (name, fname) not in PLAIN_RELATED:
                target = RELATED.get(fname, fname)
                if isinstance(value, list):
                    value = [self.uri(target, v) for v in value]
                elif value is not None and not isinstance(value, dict):
                    value = self.uri(target, value)
            out[fname] = value
        for k, v in obj.items():
            if k not in out and not k.startswith("_"):
                out[k] = v
        if name == "user" and isinstance(obj.get("devices"), list):
            out["devices"] = [self.uri("device", d) for d in obj["devices"]]
        if name == "account":
            profile = self.app.store.get("profile", obj.get("profile"))
            if profile is not None:
                out["profile"] = self.render(profile, "profile")
            out.pop("devices", None)
            out.pop("stats", None)
        return out

    # ------------------------------------------------------------------ list view
    def list_view(self) -> tuple[int, dict, bytes]:
        if self.name == "data":
            self.check_method(sch.allowed_methods("data", False), detail=False)
            return self.data()
        if self.name == "report":
            self.check_method(sch.allowed_methods("report", False), detail=False)
            return self.report()
        self.check_method(sch.allowed_methods(self.name, False), detail=False)
        self.identity()
        if self.method == "GET":
            return self.list_get()
        return self.create()

    def list_get(self) -> tuple[int, dict, bytes]:
        filters, order, limit, offset = self.parse_list_query()
        objs = self.objects()
        for fname, op, value in filters:
            if fname == "search" and self.name == "user":
                w = str(value).lower()
                objs = [o for o in objs if any(w in str(o.get(k, "")).lower()
                                               for k in ("email", "first_name", "last_name"))]
                continue
            if fname in IGNORED_FILTERS or fname not in sch.fields(self.name):
                continue
            objs = [o for o in objs
                    if _match(op, _comparable(self.name, fname, o.get(fname)), value)]
        for key in reversed(order):
            desc = key.startswith("-")
            fname = key.lstrip("-")
            present = [o for o in objs if o.get(fname) is not None]
            missing = [o for o in objs if o.get(fname) is None]
            present.sort(key=lambda o, f=fname: _sort_key(o.get(f)), reverse=desc)
            objs = present + missing if not desc else missing + present  # as PostgreSQL
        total = len(objs)
        page = objs[offset:offset + limit]
        meta = {
            "limit": limit,
            "next": self.page_link(limit, offset + limit) if offset + limit < total else None,
            "offset": offset,
            "previous": self.page_link(limit, max(0, offset - limit)) if offset > 0 else None,
            "total_count": total,
        }
        return self.app._ok({"meta": meta, "objects": [self.render(o) for o in page]})

    def page_link(self, limit: int, offset: int) -> str:
        params = [(k, v) for k, v in self.query if k not in ("limit", "offset")]
        params += [("limit", str(limit)), ("offset", str(offset))]
        return f"{self.environ.get('PATH_INFO', '')}?{urlencode(params)}"

    def parse_list_query(self) -> tuple[list[tuple[str, str, Any]], list[str], int, int]:
        filters: list[tuple[str, str, Any]] = []
        order: list[str] = []
        limit = sch.default_limit(self.name)
        offset = 0
        schema_filtering = sch.filtering(self.name)
        for key, value in self.query:
            if key == "limit":
                limit = _strict_int(value, "limit")
                if limit < 0:
                    raise ApiError(400, "'limit' must not be negative")
                limit = MAX_LIMIT if limit == 0 else min(limit, MAX_LIMIT)
            elif key == "offset":
                offset = _strict_int(value, "offset")
                if offset < 0:
                    raise ApiError(400, "'offset' must not be negative")
            elif key == "order_by":
                allowed = sch.ordering(self.name)
                for item in value.split(","):
                    fname = item.strip().lstrip("-")
                    if fname not in allowed:
                        listed = ", ".join(allowed) if allowed else "none"
                        raise ApiError(400, f"cannot order {self.name} by {fname[:60]!r} "
                                            f"(allowed: {listed})")
                    order.append(item.strip())
            elif key == "format":
                if value not in ("json", ""):
                    raise ApiError(400, f"format {value[:20]!r} is not available for "
                                        f"{self.name}; only json")
            else:
                filters.append(self.parse_filter(key, value, schema_filtering))
        return filters, order, limit, offset

    def parse_filter(self, key: str, value: str,
                     filtering: Mapping[str, Any]) -> tuple[str, str, Any]:
        parts = key.split("__")
        fname = parts[0]
        op = parts[1] if len(parts) == 2 else "exact"
        if fname not in filtering:
            names = ", ".join(sorted(filtering)) or "none"
            raise ApiError(400, f"filtering {self.name} on {fname[:60]!r} is not allowed "
                                f"(filterable fields: {names})")
        allowed = sch.filter_ops(self.name, fname)
        if len(parts) > 2 or op not in allowed:
            raise ApiError(400, f"filter {key[:80]!r} is not allowed on {self.name}: field "
                                f"{fname!r} allows {', '.join(allowed)}")
        coerce = _coercer(self.name, fname)
        try:
            if op == "isnull":
                parsed: Any = _bool(value)
            elif op in ("contains", "icontains", "startswith", "istartswith", "endswith",
                        "iendswith", "iexact"):
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
            raise ApiError(400, f"invalid value {value[:60]!r} for filter {key[:80]!r} on "
                                f"{self.name}: {exc}") from None
        return fname, op, parsed

    # ------------------------------------------------------------------ detail view
    def detail(self, key: str) -> tuple[int, dict, bytes]:
        if self.name in ("data", "report"):
            self.check_method((), detail=True)
        self.check_method(sch.allowed_methods(self.name, True), detail=True)
        ident = self.identity()
        if self.method == "GET":
            bad = [k for k, _ in self.query if k != "format"]
            if bad:
                raise ApiError(400, f"detail views take no filters (got {bad[0][:60]!r})")
            return self.app._ok(self.render(self.find(key)))
        if self.method in ("PUT", "PATCH") and not self._candidates(key):
            raise ApiError(404, f"no {self.name} with id {key[:40]!r}")
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
                raise ApiError(400, f"PUT needs a complete {self.name}: missing "
                                    f"{', '.join(missing)}")
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
        return self.app._ok(self.render(saved))

    def replacement(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """The base of a PUT: what the client cannot set is kept, the rest is reset."""
        fields = sch.fields(self.name)
        defaults = DEFAULTS.get(self.name, {})
        new: dict[str, Any] = {}
        for key, value in obj.items():
            fdef = fields.get(key)
            settable = fdef is not None and (not fdef.get("readonly")
                                             or (self.name, key) in WRITABLE_EXTRA)
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
        if not ident.can_write:
            raise ApiError(403, "this token's scope is readonly")
        owner = obj["id"] if self.name == "user" else obj.get("user")
        if owner is None or owner not in writable_users(ident.user_id):
            raise ApiError(403, f"you may not change this {self.name}")

    # ------------------------------------------------------------------ create
    def body(self) -> dict[str, Any]:
        raw = _read_body(self.environ)
        try:
            data = json.loads(raw.decode("utf-8")) if raw.strip() else {}
        except (UnicodeDecodeError, ValueError):
            raise ApiError(400, "the request body must be a JSON object") from None
        if not isinstance(data, dict):
            raise ApiError(400, "the request body must be a JSON object")
        return data

    def create(self) -> tuple[int, dict, bytes]:
        ident = self.identity()
        if not ident.can_write:
            raise ApiError(403, "this token's scope is readonly")
        if self.name not in DEFAULTS:
            raise ApiError(405, f"{self.name} objects cannot be created")
        body = self.body()
        if self.method == "PATCH" and ("objects" in body or "deleted_objects" in body):
            return self.bulk(body, ident)
        saved = self.create_one(body, ident)
        location = self.url().split("?")[0].rstrip("/") + f"/{saved['id']}/"
        return self.app._ok(self.render(saved), 201, {"Location": location})

    def bulk(self, body: Mapping[str, Any], ident: Identity) -> tuple[int, dict, bytes]:
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
                key = str(_related_key(uri, self.name))
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
        missing = [f for f in REQUIRED.get(self.name, ()) if f not in body]
        if missing:
            raise ApiError(400, f"a new {self.name} needs {', '.join(missing)}")
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
        ftype = fdef.get("type")
        if value is None:
            if fdef.get("nullable") or key in DEFAULTS.get(self.name, {}):
                return None
            raise ApiError(400, f"{self.name} field {key!r} may not be null")
        try:
            if ftype == "integer":
                if isinstance(value, bool):
                    raise ValueError("not an integer")
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                if isinstance(value, str):
                    value = _strict_int(value, key)
                if not isinstance(value, int):
                    raise ValueError("not an integer")
                if abs(value) > 2**62:
                    raise ValueError("out of range")
                return value
            if ftype == "float":
                if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                    raise ValueError("not a number")
                value = float(value)
                if not math.isfinite(value):
                    raise ValueError("not finite")
                return value
            if ftype == "boolean":
                return value if isinstance(value, bool) else _bool(str(value))
            if ftype == "datetime":
                return _parse_dt(value).isoformat()
            if ftype == "date":
                return date.fromisoformat(str(value)).isoformat()
            if ftype == "geometry":
                return _point(value)
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
        except (ValueError, TypeError, OverflowError) as exc:
            raise ApiError(400, f"invalid value for {self.name} field {key!r}: {exc}") from None

    def related(self, key: str, target: str, value: Any) -> Any:
        ident = self.identity()
        rid = _related_key(value, target)
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
                found = [d for d in self.app.store.all("device")
                         if d["deviceid"] == rid or d["id"] == rid]
                obj = found[0] if found else None
            else:
                obj = self.app.store.get(target, rid) if isinstance(rid, int) else None
            if obj is None or (obj.get("user") is not None
                               and obj.get("user") not in self.visible()):
                raise ApiError(400, f"{target} {rid} does not exist")
            return obj["deviceid"] if target == "device" else rid
        return rid

    def validate(self, obj: Mapping[str, Any]) -> None:
        start, end = obj.get("start"), obj.get("end")
        for key in ("start", "end", "device_start"):
            value = obj.get(key)
            if isinstance(value, int) and not 0 <= value <= MAX_TICKS:
                raise ApiError(400, f"{self.name} {key} must be between 0 and {MAX_TICKS} "
                                    "ticks (1/256 s since 1970 UTC)")
        if isinstance(start, int) and isinstance(end, int) and end < start:
            raise ApiError(400, f"{self.name} end ({end}) is before its start ({start})")
        if self.name == "record" and isinstance(start, int) and isinstance(end, int) \
                and end == start:
            raise ApiError(400, "a record must not be empty (end == start)")

    # ------------------------------------------------------------------ data + report
    def data(self) -> tuple[int, dict, bytes]:
        return _data_answer(self)

    def report(self) -> tuple[int, dict, bytes]:
        return _report_answer(self)


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


def _point(value: Any) -> list[float]:
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


def _metric_list() -> list[dict[str, Any]]:
    try:
        from . import metrics
    except ImportError:
        return []
    return list(getattr(metrics, "METRICS", []))



# ----------------------------------------------------------------------------- data + report

FORMATS = {"json": "json", "csv": "csv", "binary": "binary", "zip": "binary",
           "octet-stream": "binary"}
MEDIA = {"application/json": "json", "text/csv": "csv", "application/octet-stream": "binary",
         "application/zip": "binary", "*/*": "json", "application/*": "json", "text/*": "csv"}


def _pick_format(accept: str, param: str | None) -> str:
    if param:
        fmt = FORMATS.get(param.strip().lower())
        if fmt is None:
            raise ApiError(400, f"unknown format {param[:20]!r}; use json, csv or binary")
        return fmt
    for part in accept.split(","):
        media = part.split(";")[0].strip().lower()
        if media in MEDIA:
            return MEDIA[media]
    if accept.strip() and "json" not in accept:
        raise ApiError(406, "the data endpoint answers application/json, text/csv or "
                            "application/octet-stream")
    return "json"


def _datatype_tokens(op: str, value: str) -> list[Any]:
    if op in ("exact", "in"):
        tokens = [t.strip() for t in value.split(",")]
        out = []
        for tok in tokens:
            m = re.fullmatch(r"(?:https?://[^/]+)?/api/(?:v1/)?datatype/([^/]+)/?", tok)
            tok = m.group(1) if m else tok
            if not tok:
                raise ApiError(400, "empty datatype id")
            try:
                out.append(catalog.lookup(tok))
            except (UnknownDatatypeError, KeyError, ValueError, TypeError) as exc:
                text = exc.args[0] if exc.args else f"unknown datatype {tok[:40]!r}"
                raise ApiError(400, str(text)) from None
        return out
    try:
        if op == "range":
            lo, hi = (int(v) for v in value.split(","))
            return [d for d in catalog.data_datatypes() if lo <= d.id <= hi]
        bound = int(value)
    except ValueError:
        raise ApiError(400, f"invalid datatype bound {value[:40]!r}") from None
    return [d for d in catalog.data_datatypes() if _match(op, d.id, bound)]


def _window_query(ctx: _Context, resource: str) -> dict[str, Any]:
    """Parse the data/report query: datatypes, record/range/user, start/end and flags."""
    filtering = sch.filtering(resource)
    out: dict[str, Any] = {"datatypes": [], "record": None, "range": None, "user": None,
                           "start": None, "end": None, "flat": False, "format": None,
                           "ts": [], "metrics": []}
    for key, value in ctx.query:
        if key == "format":
            out["format"] = value
            continue
        parts = key.split("__")
        fname = parts[0]
        op = parts[1] if len(parts) == 2 else "exact"
        if fname not in filtering:
            names = ", ".join(sorted(filtering))
            raise ApiError(400, f"unknown {resource} parameter {fname[:60]!r} (allowed: {names})")
        allowed = sch.filter_ops(resource, fname)
        if len(parts) > 2 or op not in allowed:
            raise ApiError(400, f"{resource} parameter {key[:80]!r} is not allowed: "
                                f"{fname!r} allows {', '.join(allowed)}")
        if fname == "datatype":
            out["datatypes"].extend(_datatype_tokens(op, value))
        elif fname == "include_metrics":
            for tok in value.split(","):
                try:
                    out["metrics"].append(_related_key(tok.strip(), "metric"))
                except ValueError:
                    raise ApiError(400, f"invalid metric id {tok[:40]!r}") from None
        elif fname in ("record", "range", "user"):
            if op != "exact":
                raise ApiError(400, f"the emulator takes a single {fname} id")
            try:
                out[fname] = _related_key(value, fname)
            except ValueError:
                raise ApiError(400, f"invalid {fname} id {value[:40]!r}") from None
        elif fname in ("start", "end"):
            out[fname] = _strict_int(value, fname)
        elif fname == "timestamp":
            if op == "range":
                items = value.split(",")
                if len(items) != 2:
                    raise ApiError(400, "timestamp__range needs two comma-separated ticks")
                out["ts"] += [("gte", _strict_int(items[0], key)),
                              ("lte", _strict_int(items[1], key))]
            else:
                out["ts"].append((op, _strict_int(value, key)))
        elif fname in ("flat", "no_timestamps", "scaled"):
            try:
                flag = _bool(value)
            except ValueError:
                raise ApiError(400, f"{fname!r} must be 0 or 1, not {value[:20]!r}") from None
            if fname == "flat":
                out["flat"] = flag
        elif fname in ("max_values", "seconds"):
            if _strict_int(value, fname) < 0:
                raise ApiError(400, f"{fname!r} must not be negative")
    return out


def _segments(ctx: _Context, q: dict[str, Any]) -> tuple[list[tuple], int, int, dict]:
    """Segments ``(user, source, start, end)`` of a parsed query, and the window."""
    store = ctx.app.store
    seen = ctx.visible()
    info: dict[str, Any] = {}
    if q["record"] is not None and q["range"] is not None:
        raise ApiError(400, "give either record or range, not both")
    if q["start"] is not None and q["end"] is not None and q["end"] <= q["start"]:
        raise ApiError(400, f"end ({q['end']}) must be after start ({q['start']})")
    if q["record"] is not None:
        rec = store.get("record", q["record"])
        if rec is None or rec["user"] not in seen:
            raise ApiError(404, f"no record with id {q['record']}")
        lo, hi = rec["start"], rec["end"]
        records = [rec]
        info["record"] = rec
    elif q["range"] is not None:
        rng = store.get("range", q["range"])
        if rng is None or rng["user"] not in seen:
            raise ApiError(404, f"no range with id {q['range']}")
        if not isinstance(rng.get("end"), int):
            raise ApiError(400, f"range {rng['id']} has no end")
        lo, hi = rng["start"], rng["end"]
        records = [r for r in store.all("record") if r["user"] == rng["user"]]
        info["range"] = rng
    else:
        if q["start"] is None or q["end"] is None:
            raise ApiError(400, "give record, range, or start and end (ticks)")
        user = q["user"] if q["user"] is not None else ctx.identity().user_id
        if user not in seen or store.get("user", user) is None:
            raise ApiError(404, f"no user with id {user}")
        lo, hi = q["start"], q["end"]
        records = [r for r in store.all("record") if r["user"] == user]
        info["user"] = user
    if q["start"] is not None:
        lo = max(lo, q["start"]) if (q["record"] or q["range"]) else q["start"]
    if q["end"] is not None:
        hi = min(hi, q["end"]) if (q["record"] or q["range"]) else q["end"]
    for op, bound in q["ts"]:
        if op in ("gt", "gte"):
            lo = max(lo, bound + (op == "gt"))
        elif op in ("lt", "lte"):
            hi = min(hi, bound + (op == "lte"))
    if hi <= lo:
        raise ApiError(400, f"empty time window: end ({hi}) must be after start ({lo})")
    segs = []
    for rec in sorted(records, key=lambda r: r["start"]):
        s, e = max(lo, rec["start"]), min(hi, rec["end"])
        if s < e:
            segs.append((rec["user"], ctx.app.source_for(rec), s, e))
    return segs, lo, hi, info


def _data_answer(ctx: _Context) -> tuple[int, dict, bytes]:
    ident = ctx.identity()
    ctx.app.stats.mark_data()
    q = _window_query(ctx, "data")
    accept = ctx.environ.get("HTTP_ACCEPT", "") or ""
    fmt = _pick_format(accept, q["format"])
    cap = DATA_CAP
    if ctx.fault.subsample_cap:
        cap = min(cap, int(ctx.fault.subsample_cap))
    key = (ident.user_id, ctx.url(), accept, cap)
    hit = ctx.app.cache_get(key)
    if hit is not None:
        status, headers, body, when = hit
        headers = dict(headers)
        headers["X-HexoCache"] = str(int(when))
        return status, headers, body
    if not q["datatypes"]:
        raise ApiError(400, "give datatype=<id> or datatype__in=<id>,<id>")
    datatypes = list(dict.fromkeys(q["datatypes"]))
    try:
        from . import dataview
    except ImportError:
        raise ApiError(503, "the data endpoint is not available in this build") from None
    segs, lo, hi, _ = _segments(ctx, q)
    path = ctx.environ.get("PATH_INFO", "")
    if ctx.environ.get("QUERY_STRING"):
        path += "?" + ctx.environ["QUERY_STRING"]
    try:
        status, headers, body = dataview.render_data(
            segs, datatypes, start=lo, end=hi, fmt=fmt, flat=q["flat"], cap=cap,
            request_path=path)
    except dataview.DataQueryError as exc:
        raise ApiError(exc.status, exc.message) from None
    headers = dict(headers)
    if status == 200:
        ctx.app.cache_put(key, status, headers, body)
    return status, headers, body


def _report_answer(ctx: _Context) -> tuple[int, dict, bytes]:
    ctx.identity()
    q = _window_query(ctx, "report")
    if _pick_format(ctx.environ.get("HTTP_ACCEPT", "") or "", q["format"]) != "json":
        raise ApiError(406, "reports are JSON only")
    ids = list(dict.fromkeys(q["metrics"]))
    if not ids:
        raise ApiError(400, "give include_metrics=<id>,<id>")
    if q["record"] is None and q["range"] is None and (q["start"] is None or q["end"] is None):
        raise ApiError(400, "give record, range, or start and end (ticks)")
    try:
        from . import metrics
    except ImportError:
        raise ApiError(501, "reports are not available in this build") from None
    known = {m.get("id") for m in getattr(metrics, "METRICS", [])}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise ApiError(400, f"unknown metric id {unknown[0]}; see /api/v1/metric/")
    segs, lo, hi, info = _segments(ctx, q)
    rec = ctx.render(info["record"], "record") if "record" in info else None
    rng = ctx.render(info["range"], "range") if "range" in info else None
    try:
        body = metrics.compute_report(segs, ids, record=rec, range=rng)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None
    return ctx.app._ok(body)
