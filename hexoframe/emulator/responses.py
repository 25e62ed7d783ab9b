"""JSON answers and errors of the emulator.

An answer is a ``(status, headers, body)`` triple; every error is a JSON body
``{"error": "..."}``. Handlers raise :class:`ApiError`, which the WSGI entry turns into
an error answer.

Examples
--------
>>> ok({"a": 1})
(200, {'Content-Type': 'application/json'}, b'{"a":1}')
>>> status_line(404)
'404 Not Found'
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = [
    "Answer",
    "ApiError",
    "REASON_HEADER",
    "field_error",
    "JSON_TYPE",
    "REASONS",
    "error",
    "json_bytes",
    "ok",
    "status_line",
]

JSON_TYPE = "application/json"

#: One answer: status, headers, body.
Answer = tuple[int, dict, bytes]

#: Reason phrases of the statuses the emulator sends.
REASONS: dict[int, str] = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    301: "Moved Permanently",
    406: "Not Acceptable",
    411: "Length Required",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
}


class ApiError(Exception):
    """An error answer: status, message for the JSON body, optional headers.

    ``body`` replaces the ``{"error": message}`` body when given: ``b""`` for Tastypie's
    empty answers (401, a missing detail's 404), or bytes of another shape.
    """

    def __init__(
        self,
        status: int,
        message: str,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})
        self.body = body

    def answer(self) -> Answer:
        """The ``(status, headers, body)`` this error answers with."""
        if self.body is None:
            return error(self.status, self.message, self.headers)
        # the service sends no reason here; the emulator adds one in a header of its own
        text = self.message.encode("ascii", "backslashreplace").decode("ascii")
        reason = "".join(c if c.isprintable() else " " for c in text)[:200]
        return (
            self.status,
            {
                "Content-Type": "text/html; charset=utf-8",
                REASON_HEADER: " ".join(reason.split()),
                **self.headers,
            },
            self.body,
        )


#: Emulator-only header that says why an answer with an empty body failed.
REASON_HEADER = "X-Emulator-Reason"


def field_error(resource: str, field: str | list[str], message: str) -> ApiError:
    """A 400 as Tastypie's form validation shapes it: ``{"<resource>": {"<field>": [...]}}``
    (one entry per field when several have the same problem).

    Examples
    --------
    >>> field_error("range", "start", "This field is required.").answer()[2]
    b'{"range":{"start":["This field is required."]}}'
    """
    names = [field] if isinstance(field, str) else list(field)
    body = json_bytes({resource: {name: [message] for name in names}})
    return ApiError(
        400, f"{resource}.{','.join(names)}: {message}", {"Content-Type": JSON_TYPE}, body=body
    )


def json_bytes(obj: Any) -> bytes:
    """Compact UTF-8 JSON of *obj* (NaN and infinities are refused).

    Parameters
    ----------
    obj : Any
        A JSON-serialisable value.

    Returns
    -------
    bytes
        The encoded body.
    """
    return json.dumps(obj, separators=(",", ":"), allow_nan=False).encode("utf-8")


def ok(obj: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Answer:
    """A JSON answer.

    Parameters
    ----------
    obj : Any
        The body, encoded with :func:`json_bytes`.
    status : int
        HTTP status.
    headers : mapping, optional
        Extra headers (they may override ``Content-Type``).

    Returns
    -------
    Answer
        ``(status, headers, body)``.
    """
    out = {"Content-Type": JSON_TYPE}
    out.update(headers or {})
    return status, out, json_bytes(obj)


def error(status: int, message: str, headers: Mapping[str, str] | None = None) -> Answer:
    """An error answer ``{"error": message}``.

    Parameters
    ----------
    status : int
        HTTP status (4xx or 5xx).
    message : str
        Text of the ``error`` member.
    headers : mapping, optional
        Extra headers.

    Returns
    -------
    Answer
        ``(status, headers, body)``.
    """
    return ok({"error": message}, status, headers)


def status_line(status: int) -> str:
    """The WSGI status line of *status*, e.g. ``"404 Not Found"``.

    Parameters
    ----------
    status : int
        HTTP status.

    Returns
    -------
    str
        Status and reason phrase (``Unknown`` for statuses the emulator does not send).
    """
    return f"{status} {REASONS.get(status, 'Unknown')}"
