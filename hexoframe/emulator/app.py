"""WSGI application of the emulator: the entry point and the routing.

Paths are served under ``/api/v1/`` and ``/api/`` alike: the API root, the OAuth2 token
endpoint, ``<name>/schema/``, list views ``<name>/`` and detail views ``<name>/<id>/``.
The semantics live elsewhere: :mod:`.tastypie` (reading: filters, ordering, pages),
:mod:`.crud` (writing), :mod:`.dataquery` (the data and report endpoints),
:mod:`.responses` (JSON answers and errors), :mod:`.cache` and :mod:`.stats`.
Every error is a JSON body ``{"error": "..."}`` with a 4xx status.

Examples
--------
>>> from wsgiref.util import setup_testing_defaults
>>> environ = {"PATH_INFO": "/api/v1/record/"}
>>> setup_testing_defaults(environ)
>>> seen = []
>>> body = EmulatorApp()(environ, lambda status, headers: seen.append(status))
>>> seen
['401 Unauthorized']
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote

from hexoframe.emulator import schema as sch
from hexoframe.emulator.auth import Authenticator, AuthError
from hexoframe.emulator.cache import ANSWER_CACHE_BYTES, AnswerCache, Entry, SourceCache
from hexoframe.emulator.clock import HEXOSKIN, Clock
from hexoframe.emulator.crud import WritableView
from hexoframe.emulator.dataquery import data_answer, report_answer
from hexoframe.emulator.faults import NO_FAULT, Fault, FaultInjector
from hexoframe.emulator.oauth import AUTHORIZE_PATHS, authorize_answer
from hexoframe.emulator.request import parse_query, read_body
from hexoframe.emulator.responses import Answer, ApiError, error, ok, status_line
from hexoframe.emulator.stats import Stats
from hexoframe.emulator.store import Store

__all__ = ["ApiError", "EmulatorApp", "Stats"]

log = logging.getLogger("hexoframe.emulator")

TOKEN_PATHS = ("/api/connect/oauth2/token/", "/api/v1/connect/oauth2/token/")
#: Resources answered by :mod:`.dataquery` rather than Tastypie views.
COMPUTED = {"data": data_answer, "report": report_answer}


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
    clock : Clock, optional
        How HexoTimestamps are served: Hexoskin's 256 ticks/s by default, or Astroskin's
        ``Clock(1000)``.
    answer_cache : int
        Most bytes of data answers kept (least recently used dropped first).
    """

    def __init__(
        self,
        store: Store | None = None,
        auth: Authenticator | None = None,
        faults: FaultInjector | None = None,
        seed: int = 0,
        import_paths: Mapping[int, str] | None = None,
        clock: Clock = HEXOSKIN,
        answer_cache: int = ANSWER_CACHE_BYTES,
    ) -> None:
        self.store = store or Store()
        self.clock = clock
        self.auth = auth or Authenticator()
        self.faults = faults or FaultInjector()
        self.seed = seed
        self.import_paths: dict[int, str] = dict(import_paths or {})
        self.stats = Stats()
        self._answers = AnswerCache(max_bytes=answer_cache)
        self._sources = SourceCache(self._make_source)

    # ------------------------------------------------------------------ WSGI entry
    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        self.stats.count(path)
        fault = self.faults.draw(path)
        if fault.latency:
            time.sleep(fault.latency)
        environ["hexoframe.fault"] = fault.transport
        if fault.status:
            status, headers, body = error(
                fault.status,
                "injected fault: service temporarily unavailable"
                if fault.status != 429
                else "rate limit exceeded; retry later",
                {"Retry-After": str(fault.retry_after)},
            )
        else:
            try:
                status, headers, body = self.handle(environ, fault)
            except ApiError as exc:
                status, headers, body = exc.answer()
            except Exception:  # pragma: no cover - a bug; keep serving
                log.error(
                    "emulator error on %s %s:\n%s",
                    environ.get("REQUEST_METHOD"),
                    path,
                    traceback.format_exc(),
                )
                status, headers, body = error(500, "internal emulator error")
        if environ.get("REQUEST_METHOD") == "HEAD":
            headers["Content-Length"] = str(len(body))
            body = b""
        headers.setdefault("Content-Length", str(len(body)))
        start_response(status_line(status), list(headers.items()))
        return [body]

    # ------------------------------------------------------------------ routing
    def handle(self, environ: dict, fault: Fault = NO_FAULT) -> Answer:
        """Answer one request: ``(status, headers, body)``; raises :class:`ApiError`.

        Parameters
        ----------
        environ : dict
            The WSGI environ.
        fault : Fault
            The fault drawn for this request (its sample cap applies to data answers).

        Returns
        -------
        Answer
            ``(status, headers, body)``.
        """
        path = environ.get("PATH_INFO", "") or "/"
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if path in TOKEN_PATHS or path + "/" in TOKEN_PATHS:
            return self._token(environ, method)
        if path in AUTHORIZE_PATHS or path + "/" in AUTHORIZE_PATHS:
            return authorize_answer(self.auth, environ, method)
        if path.startswith("/api/v1/"):
            prefix = "/api/v1/"
        elif path.startswith("/api/"):
            prefix = "/api/"
        elif path in ("/api", "/api/v1"):
            prefix = path + "/"
        else:
            raise ApiError(404, f"no such path {path[:100]!r}; the API lives under /api/v1/")
        rest = path[len(prefix) :] if len(path) >= len(prefix) else ""
        parts = [p for p in rest.split("/") if p]
        routable = not parts or (parts[0] in sch.resource_names() and len(parts) <= 2)
        if not path.endswith("/") and routable:
            # Django's APPEND_SLASH: the path with a slash would match, so redirect there
            query = environ.get("QUERY_STRING", "")
            where = quote(path.encode("latin-1", "replace") + b"/", safe="/%:@!$&'()*+,;=-._~")
            if method not in ("GET", "HEAD", "OPTIONS"):
                # Django would redirect these too, but a client following a 301 turns a
                # write into a GET and the write is lost without a word: refuse it instead
                raise ApiError(404, f"{method} needs the trailing slash: {where}")
            where += "?" + query if query else ""
            return 301, {"Location": where, "Content-Type": "text/html; charset=utf-8"}, b""
        # Tastypie's dispatch honours X-HTTP-Method-Override before checking the method
        override = environ.get("HTTP_X_HTTP_METHOD_OVERRIDE", "").strip()
        if override:
            method = override.upper()
        if not parts:
            if method == "OPTIONS":
                return 200, {"Allow": "GET", "Content-Type": "text/html; charset=utf-8"}, b"GET"
            if method != "GET":
                raise ApiError(
                    405, "only GET is allowed on the API root", {"Allow": "GET"}, body=b"GET"
                )
            return ok(sch.api_root(prefix))
        name = parts[0]
        if name not in sch.resource_names():
            raise ApiError(404, f"unknown resource {name[:60]!r}; see {prefix} for the list")
        if len(parts) > 2:
            raise ApiError(404, f"no such path {path[:100]!r}")
        query = parse_query(environ)
        view = WritableView(self, environ, prefix, name, method, query, fault)
        if len(parts) == 2 and parts[1] == "schema":
            view.check_method(("get",), detail=False)
            view.identity()
            return ok(sch.resource_schema(name, prefix))
        if name in COMPUTED:
            if len(parts) == 2:
                view.check_method((), detail=True)
            view.check_method(sch.allowed_methods(name, False), detail=False)
            return COMPUTED[name](view)
        if len(parts) == 2:
            return view.detail(parts[1])
        return view.list_view()

    # ------------------------------------------------------------------ OAuth2
    def _token(self, environ: dict, method: str) -> Answer:
        if method != "POST":
            raise ApiError(405, "use POST on the token endpoint", {"Allow": "POST"})
        body = read_body(environ)
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
            return ok(
                {"error": exc.code or "invalid_request", "error_description": exc.message},
                exc.status,
                headers,
            )
        return ok(answer, 200, {"Cache-Control": "no-store", "Pragma": "no-cache"})

    # ------------------------------------------------------------------ caches
    def cache_get(self, key: tuple) -> Entry | None:
        """A cached data answer ``(status, headers, body, stored_at)``, or ``None``."""
        return self._answers.get(key)

    def cache_put(self, key: tuple, status: int, headers: dict, body: bytes) -> None:
        """Remember a data answer (LRU, bounded by count and size)."""
        self._answers.put(key, status, headers, body)

    def clear_cache(self) -> None:
        """Forget every cached data answer."""
        self._answers.clear()

    def source_for(self, record: Mapping[str, Any]) -> Any:
        """The signal source of a stored record (cached)."""
        return self._sources.get(record, self.import_paths.get(record["id"]))

    def _make_source(self, record: dict[str, Any]) -> Any:
        from hexoframe.emulator import signals

        return signals.make_source(self.seed, record)
