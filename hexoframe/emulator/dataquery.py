"""The data and report endpoints: query parsing, time windows, answers.

Both take datatypes or metrics, and either a ``record``, a ``range`` or ``start`` and
``end`` (ticks) with an optional ``user``; ``timestamp__gt``/``__lt``/``__range`` narrow
the window. :func:`segments` turns a parsed query into the ``(user, source, start, end)``
segments of the records it covers, which :func:`hexoframe.emulator.dataview.render_data`
and :func:`hexoframe.emulator.metrics.compute_report` consume. Data answers are cached
per caller, URL, ``Accept`` and sample cap.

Examples
--------
>>> pick_format("text/csv", None), pick_format("", "zip")
('csv', 'binary')
"""

from __future__ import annotations

import re
from typing import Any

from hexoframe.core import catalog
from hexoframe.core.errors import UnknownDatatypeError
from hexoframe.emulator import schema as sch
from hexoframe.emulator.clock import Clock
from hexoframe.emulator.coerce import parse_bool, related_key, strict_int
from hexoframe.emulator.responses import Answer, ApiError, ok
from hexoframe.emulator.tastypie import ResourceView, match

__all__ = [
    "DATA_CAP",
    "FORMATS",
    "MEDIA",
    "UNDEFINED",
    "check_options",
    "data_answer",
    "pick_format",
    "report_answer",
    "segments",
    "window_query",
]

DATA_CAP = catalog.POINT_CAP

#: Data parameters of the real schema whose meaning neither the API reference nor
#: ``hexoskin-facts.md`` establishes: refused with a 400 saying so, never ignored.
UNDEFINED = {
    name: (
        f"'{name}' is not supported by the emulator: the real service accepts it, but "
        f"its meaning is not documented ({why}), so the emulator refuses it rather than "
        "guess; see docs/emulator.md"
    )
    for name, why in (
        ("seconds", "a window length, timestamps in seconds, or something else"),
        (
            "scaled",
            "JSON values already come in the datatype's unit; whether 'scaled' "
            "means that, raw or physical units is not said",
        ),
    )
}

#: ``format=`` values -> answer format.
FORMATS = {
    "json": "json",
    "csv": "csv",
    "binary": "binary",
    "zip": "binary",
    "octet-stream": "binary",
    "edf": "edf",
}
#: ``Accept`` media types -> answer format.
MEDIA = {
    "application/json": "json",
    "text/csv": "csv",
    "application/octet-stream": "binary",
    "application/zip": "binary",
    "*/*": "json",
    "application/*": "json",
    "text/*": "csv",
    "application/x-edf": "edf",
}


# ----------------------------------------------------------------------------- parsing


def pick_format(accept: str, param: str | None) -> str:
    """The answer format (``json``, ``csv`` or ``binary``) of a data request.

    Parameters
    ----------
    accept : str
        The ``Accept`` header.
    param : str or None
        The ``format`` query parameter, which wins over *accept*.

    Returns
    -------
    str
        The format.

    Raises
    ------
    ApiError
        400 for an unknown ``format``, 406 for an ``Accept`` the endpoint cannot meet.
    """
    if param:
        fmt = FORMATS.get(param.strip().lower())
        if fmt is None:
            raise ApiError(400, f"unknown format {param[:20]!r}; use json, csv, binary or edf")
        return fmt
    for part in accept.split(","):
        media = part.split(";")[0].strip().lower()
        if media in MEDIA:
            return MEDIA[media]
    if accept.strip() and "json" not in accept:
        raise ApiError(
            406,
            "the data endpoint answers application/json, text/csv or "
            "application/octet-stream or application/x-edf",
        )
    return "json"


def _datatype_tokens(op: str, value: str) -> list[Any]:
    """Datatypes named by one ``datatype`` filter (ids, names or URIs; or id bounds)."""
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
    return [d for d in catalog.data_datatypes() if match(op, d.id, bound)]


def window_query(query: list[tuple[str, str]], resource: str) -> dict[str, Any]:
    """Parse a data/report query: datatypes, record/range/user, start/end and flags.

    Parameters
    ----------
    query : list of (str, str)
        The query string's pairs.
    resource : str
        ``"data"`` or ``"report"`` (whose schema lists the parameters allowed).

    Returns
    -------
    dict
        ``datatypes``, ``record``, ``range``, ``user``, ``start``, ``end``, ``flat``,
        ``format``, ``ts`` (``(op, bound)`` pairs), ``metrics``, ``max_values`` (int or
        None) and ``no_timestamps``.

    Raises
    ------
    ApiError
        400 for refused operators and bad values (unknown parameters are ignored), and for the
        parameters whose meaning is not established (:data:`UNDEFINED`).
    """
    filtering = sch.filtering(resource)
    out: dict[str, Any] = {
        "datatypes": [],
        "record": None,
        "range": None,
        "user": None,
        "start": None,
        "end": None,
        "flat": False,
        "format": None,
        "ts": [],
        "metrics": [],
        "max_values": None,
        "no_timestamps": False,
    }
    for key, value in query:
        if key == "format":
            out["format"] = value
            continue
        parts = key.split("__")
        fname = parts[0]
        op = parts[1] if len(parts) == 2 else "exact"
        if fname not in filtering:  # Tastypie ignores what names no field (cache busters)
            continue
        allowed = sch.filter_ops(resource, fname)
        if len(parts) > 2 or op not in allowed:
            raise ApiError(
                400,
                f"{resource} parameter {key[:80]!r} is not allowed: "
                f"{fname!r} allows {', '.join(allowed)}",
            )
        if fname == "datatype":
            out["datatypes"].extend(_datatype_tokens(op, value))
        elif fname == "include_metrics":
            for tok in value.split(","):
                try:
                    out["metrics"].append(related_key(tok.strip(), "metric"))
                except ValueError:
                    raise ApiError(400, f"invalid metric id {tok[:40]!r}") from None
        elif fname in ("record", "range", "user"):
            if op != "exact":
                raise ApiError(400, f"the emulator takes a single {fname} id")
            try:
                out[fname] = related_key(value, fname)
            except ValueError:
                raise ApiError(400, f"invalid {fname} id {value[:40]!r}") from None
        elif fname in ("start", "end"):
            out[fname] = strict_int(value, fname)
        elif fname == "timestamp":
            if op == "range":
                items = value.split(",")
                if len(items) != 2:
                    raise ApiError(400, "timestamp__range needs two comma-separated ticks")
                out["ts"] += [
                    ("gte", strict_int(items[0], key)),
                    ("lte", strict_int(items[1], key)),
                ]
            else:
                out["ts"].append((op, strict_int(value, key)))
        elif fname in UNDEFINED:
            raise ApiError(400, UNDEFINED[fname])
        elif fname in ("flat", "no_timestamps"):
            try:
                out[fname] = parse_bool(value)
            except ValueError:
                raise ApiError(400, f"{fname!r} must be 0 or 1, not {value[:20]!r}") from None
        elif fname == "max_values":
            out["max_values"] = strict_int(value, fname)
            if out["max_values"] < 1:
                raise ApiError(
                    400,
                    "'max_values' must be a positive integer (the largest "
                    "number of points per datatype in the answer)",
                )
    return out


def check_options(q: dict[str, Any], fmt: str) -> None:
    """Refuse ``max_values``/``no_timestamps`` where they have no meaning (never ignored).

    ``max_values`` lowers the per-datatype point cap of JSON and CSV answers; binary
    answers are never subsampled, so it does not apply to them (as ``hexoskin-facts.md``
    says). ``no_timestamps`` drops the timestamps of JSON answers; CSV rows are joined on
    their timestamp and binary answers have their own layout, so it applies to JSON only.

    Examples
    --------
    >>> check_options({"max_values": 10, "no_timestamps": False}, "csv")
    >>> check_options({"max_values": None, "no_timestamps": True}, "csv")
    Traceback (most recent call last):
    ...
    hexoframe.emulator.responses.ApiError: 'no_timestamps' applies to JSON answers only ...
    """
    if q.get("max_values") is not None and fmt in ("binary", "edf"):
        raise ApiError(
            400,
            "'max_values' does not apply to binary answers, which are never "
            "subsampled; drop it or ask for JSON or CSV",
        )
    if q.get("no_timestamps") and fmt != "json":
        raise ApiError(
            400,
            "'no_timestamps' applies to JSON answers only (CSV rows are "
            "keyed by their timestamp); drop it or ask for JSON",
        )


def _stored_times(clock: Clock, q: dict[str, Any]) -> dict[str, Any]:
    """A parsed query's ``start``, ``end`` and ``timestamp`` bounds in stored ticks."""
    if clock.native:
        return q
    out = dict(q)
    for name in ("start", "end"):
        if q[name] is not None:
            out[name] = clock.up(q[name])
    out["ts"] = [clock.bound(op, bound) for op, bound in q["ts"]]
    return out


def segments(view: ResourceView, q: dict[str, Any]) -> tuple[list[tuple], int, int, dict]:
    """Segments of a parsed query, its window and what it names.

    Parameters
    ----------
    view : ResourceView
        The request (caller, store, sources).
    q : dict
        A query parsed by :func:`window_query`.

    Returns
    -------
    tuple
        ``(segments, start, end, info)``: ``(user, source, start, end)`` per record in
        the window (by start), the window in ticks and ``{"record": ...}``,
        ``{"range": ...}`` or ``{"user": id}``.

    Raises
    ------
    ApiError
        404 for objects the caller cannot see, 400 for an empty or unbounded window.
    """
    store = view.app.store
    seen = view.visible()
    info: dict[str, Any] = {}
    q = _stored_times(view.app.clock, q)
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
        user = q["user"] if q["user"] is not None else view.identity().user_id
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
            segs.append((rec["user"], view.app.source_for(rec), s, e))
    return segs, lo, hi, info


# ----------------------------------------------------------------------------- answers


def data_answer(view: ResourceView) -> Answer:
    """GET on the data endpoint: samples as JSON, CSV or binary (cached).

    Parameters
    ----------
    view : ResourceView
        The request to ``/api/v1/data/``.

    Returns
    -------
    Answer
        ``(status, headers, body)``; a cached answer carries ``X-HexoCache``.
    """
    ident = view.identity()
    view.app.stats.mark_data()
    q = window_query(view.query, "data")
    accept = view.environ.get("HTTP_ACCEPT", "") or ""
    fmt = pick_format(accept, q["format"])
    check_options(q, fmt)
    cap = DATA_CAP
    if view.fault.subsample_cap:
        cap = min(cap, int(view.fault.subsample_cap))
    if q["max_values"] is not None:  # at most the service's own cap
        cap = min(cap, q["max_values"])
    key = (ident.user_id, view.url(), accept, cap)
    hit = view.app.cache_get(key)
    if hit is not None:
        status, headers, body, when = hit
        headers = dict(headers)
        headers["X-HexoCache"] = str(int(when))
        return status, headers, body
    if not q["datatypes"]:
        raise ApiError(400, "give datatype=<id> or datatype__in=<id>,<id>")
    datatypes = list(dict.fromkeys(q["datatypes"]))
    try:
        from hexoframe.emulator import dataview
    except ImportError:
        raise ApiError(503, "the data endpoint is not available in this build") from None
    segs, lo, hi, _ = segments(view, q)
    path = view.environ.get("PATH_INFO", "")
    if view.environ.get("QUERY_STRING"):
        path += "?" + view.environ["QUERY_STRING"]
    try:
        status, headers, body = dataview.render_data(
            segs,
            datatypes,
            start=lo,
            end=hi,
            fmt=fmt,
            flat=q["flat"],
            cap=cap,
            request_path=path,
            no_timestamps=q["no_timestamps"],
            people=edf_people(view, segs) if fmt == "edf" else None,
            clock=view.app.clock,
        )
    except dataview.DataQueryError as exc:
        raise ApiError(exc.status, exc.message) from None
    headers = dict(headers)
    if status == 200:
        view.app.cache_put(key, status, headers, body)
    return status, headers, body


def edf_people(view: ResourceView, segs: list[tuple]) -> dict[int, dict[str, Any]]:
    """Per user of ``segs``: EDF+ patient subfields from the user and profile, and the
    device serial of the user's record as the recording equipment."""
    store = view.app.store
    out: dict[int, dict[str, Any]] = {}
    for uid in {int(s[0]) for s in segs}:
        user = store.get("user", uid) or {}
        profile = store.get("profile", int(user["profile"])) if user.get("profile") else None
        name = " ".join(str(user.get(k) or "") for k in ("first_name", "last_name")).strip()
        devices = user.get("devices") or []
        out[uid] = {
            "patient": {
                "name": name or None,
                "sex": (profile or {}).get("gender"),
                "birthdate": (profile or {}).get("date_of_birth"),
            },
            "equipment": str(devices[0]) if devices else None,
        }
    return out


def report_answer(view: ResourceView) -> Answer:
    """GET on the report endpoint: metrics of a record, range or window (JSON).

    Parameters
    ----------
    view : ResourceView
        The request to ``/api/v1/report/``.

    Returns
    -------
    Answer
        ``(status, headers, body)``.
    """
    view.identity()
    q = window_query(view.query, "report")
    if pick_format(view.environ.get("HTTP_ACCEPT", "") or "", q["format"]) != "json":
        raise ApiError(406, "reports are JSON only")
    ids = list(dict.fromkeys(q["metrics"]))
    if not ids:
        raise ApiError(400, "give include_metrics=<id>,<id>")
    if q["record"] is None and q["range"] is None and (q["start"] is None or q["end"] is None):
        raise ApiError(400, "give record, range, or start and end (ticks)")
    try:
        from hexoframe.emulator import metrics
    except ImportError:
        raise ApiError(501, "reports are not available in this build") from None
    known = {m.get("id") for m in getattr(metrics, "METRICS", [])}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise ApiError(400, f"unknown metric id {unknown[0]}; see /api/v1/metric/")
    segs, lo, hi, info = segments(view, q)
    rec = view.render(info["record"], "record") if "record" in info else None
    rng = view.render(info["range"], "range") if "range" in info else None
    try:
        body = metrics.compute_report(segs, ids, record=rec, range=rng)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None
    return ok(body)
