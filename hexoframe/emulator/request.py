"""One API request: its parts, its caller, its body.

:func:`parse_query` and :func:`read_body` read the WSGI environ; :class:`Request` holds
what routing found (prefix, resource, method, query, fault) and answers the questions
every view asks: the URL as sent, who is calling, whether the method is allowed, what
the caller may see, and the JSON body.

Examples
--------
>>> parse_query({"QUERY_STRING": "limit=5&order_by=-start"})
[('limit', '5'), ('order_by', '-start')]
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from hexoframe.emulator.auth import AuthError, Identity
from hexoframe.emulator.faults import Fault
from hexoframe.emulator.responses import ApiError
from hexoframe.emulator.store import visible_users

if TYPE_CHECKING:
    from hexoframe.emulator.app import EmulatorApp

__all__ = ["Request", "parse_query", "read_body"]


def parse_query(environ: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The query string's ``(key, value)`` pairs, in order (at most 200).

    Parameters
    ----------
    environ : mapping
        The WSGI environ.

    Returns
    -------
    list of (str, str)
        Pairs, blank values kept.

    Raises
    ------
    ApiError
        400 for a malformed or non-UTF-8 query string.
    """
    qs = environ.get("QUERY_STRING", "")
    if isinstance(qs, bytes):
        qs = qs.decode("latin-1")
    try:
        return parse_qsl(
            qs, keep_blank_values=True, encoding="utf-8", errors="strict", max_num_fields=200
        )
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "malformed query string") from None


def read_body(environ: Mapping[str, Any]) -> bytes:
    """The request body (``Content-Length`` bytes of ``wsgi.input``).

    Parameters
    ----------
    environ : mapping
        The WSGI environ.

    Returns
    -------
    bytes
        The body (empty without a length).

    Raises
    ------
    ApiError
        400 for an invalid ``Content-Length``, 413 above 16 MB.
    """
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise ApiError(400, "invalid Content-Length") from None
    if length < 0 or length > 16_000_000:
        raise ApiError(413, "request body too large")
    stream = environ.get("wsgi.input")
    return stream.read(length) if stream is not None and length else b""


class Request:
    """One API request to one resource.

    Parameters
    ----------
    app : EmulatorApp
        The application (store, authenticator, caches).
    environ : dict
        The WSGI environ.
    prefix : str
        ``/api/v1/`` or ``/api/``.
    name : str
        The resource.
    method : str
        Upper-case HTTP method (``HEAD`` already turned into ``GET``).
    query : list of (str, str)
        The parsed query string.
    fault : Fault
        The fault drawn for this request.
    """

    def __init__(
        self,
        app: EmulatorApp,
        environ: dict,
        prefix: str,
        name: str,
        method: str,
        query: list[tuple[str, str]],
        fault: Fault,
    ) -> None:
        self.app = app
        self.environ = environ
        self.prefix = prefix
        self.name = name
        self.method = method
        self.query = query
        self.fault = fault
        self._identity: Identity | None = None

    def url(self) -> str:
        """The full URL of the request, as the client signed it."""
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
        """The authenticated caller (checked once); raises 401/403 :class:`ApiError`."""
        if self._identity is None:
            try:
                self._identity = self.app.auth.authenticate(self.environ, self.url())
            except AuthError as exc:
                headers = {"WWW-Authenticate": 'Basic realm="hexoskin"'}
                if exc.code:
                    headers["WWW-Authenticate"] = f'Bearer error="{exc.code}"'
                # Tastypie answers a failed authentication with an empty HttpUnauthorized
                raise ApiError(
                    exc.status, exc.message, headers, body=b"" if exc.status == 401 else None
                ) from None
        return self._identity

    def check_method(self, allowed: Iterable[str], detail: bool) -> None:
        """Raise 405 unless the method is in *allowed* (lower-case) for this view.

        DELETE and PUT on list views and POST on detail views are never allowed.
        """
        allowed = tuple(
            a
            for a in allowed
            if not ((not detail and a in ("put", "delete")) or (detail and a == "post"))
        )
        m = self.method.lower()
        view = "detail" if detail else "list"
        allow = ",".join(a.upper() for a in allowed)
        if m == "options":  # Tastypie's method_check: 200, the allowed methods as the body
            raise ApiError(200, allow, {"Allow": allow}, body=allow.encode())
        if m not in allowed:  # HEAD included: the schemas never allow it
            raise ApiError(
                405,
                f"{self.method} is not allowed on the {self.name} {view} view "
                f"(allowed: {allow or 'none'})",
                {"Allow": allow},
                body=allow.encode(),
            )

    def user_by_email(self, value: Any) -> Any:
        """A user given by e-mail (as the schema's help text allows) as its id; any other
        value unchanged; ``-1`` for an e-mail no user has."""
        if not isinstance(value, str) or "@" not in value:
            return value
        for user in self.app.store.all("user"):
            if str(user.get("email", "")).lower() == value.strip().lower():
                return int(user["id"])
        return -1

    def uri(self, name: str, key: Any) -> str:
        """The resource URI of object *key* of resource *name*."""
        return f"{self.prefix}{name}/{key}/"

    def visible(self) -> frozenset[int]:
        """Ids of the users whose objects the caller may see."""
        return visible_users(self.identity().user_id)

    def body(self) -> dict[str, Any]:
        """The request body as a JSON object (``{}`` when empty); 400 otherwise."""
        ctype = self.environ.get("CONTENT_TYPE", "") or "application/json"
        media = ctype.split(";", 1)[0].strip().lower()
        if media not in ("application/json", "text/json"):
            raise ApiError(
                415, f"Content-Type {ctype[:60]!r} is not supported; send application/json"
            )
        raw = read_body(self.environ)
        try:
            data = json.loads(raw.decode("utf-8")) if raw.strip() else {}
        except RecursionError:  # json.loads of a deeply nested document
            raise ApiError(400, "the request body is nested too deeply to parse") from None
        except (UnicodeDecodeError, ValueError):
            raise ApiError(400, "the request body must be a JSON object") from None
        if not isinstance(data, dict):
            raise ApiError(400, "the request body must be a JSON object")
        return data
