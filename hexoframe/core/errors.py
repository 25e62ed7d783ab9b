"""One exception hierarchy for everything hexoframe raises.

Errors that come from the service carry the HTTP status, the method, the URL (never with
secrets: hexoframe puts none in URLs) and the server's own error text.  Errors found
locally, before any request, subclass :class:`InvalidQueryError` (also a ``ValueError``)
or :class:`ConfigurationError`.

Examples
--------
>>> from hexoframe.core import errors
>>> err = errors.error_for_status(404, "GET", "https://api.hexoskin.com/api/v1/record/1/", "gone")
>>> isinstance(err, errors.NotFound), err.status
(True, 404)
"""

from __future__ import annotations


class HexoskinError(Exception):
    """Base class of every hexoframe error.

    Parameters
    ----------
    message : str
        What went wrong and what to do about it.
    status : int, optional
        HTTP status code, when the error came from a response.
    method, url : str, optional
        The request that failed (the URL never holds secrets).
    detail : str, optional
        The server's own error text.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str | None = None,
        url: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.method = method
        self.url = url
        self.detail = detail

    def __str__(self) -> str:
        parts = [self.message]
        if self.method and self.url:
            parts.append(f"[{self.method} {self.url}]")
        if self.detail:
            parts.append(f"server said: {self.detail}")
        return " ".join(parts)

    # Chained exceptions are dropped: a requests exception holds its prepared request, with
    # the Authorization header, and tblib (turned on by ``distributed``) pickles the chain.
    @property
    def __context__(self) -> None:
        return None

    @__context__.setter
    def __context__(self, value: BaseException | None) -> None:
        pass

    @property
    def __cause__(self) -> None:
        return None

    @__cause__.setter
    def __cause__(self, value: BaseException | None) -> None:
        pass

    def __reduce__(self):  # keep keyword arguments through pickling (dask workers)
        return (
            _rebuild,
            (type(self), self.message, self.status, self.method, self.url, self.detail),
            self.__dict__,
        )


def _rebuild(cls, message, status, method, url, detail):
    obj = cls.__new__(cls)
    HexoskinError.__init__(obj, message, status=status, method=method, url=url, detail=detail)
    return obj


class AuthenticationError(HexoskinError):
    """401: the credentials were refused or missing."""


class PermissionDenied(HexoskinError):
    """403: the user may not do this."""


class NotFound(HexoskinError):
    """404: no such object, or one the user may not see."""


class MethodNotAllowed(HexoskinError):
    """405: the resource does not allow this method (also raised locally, before sending)."""


class BadRequest(HexoskinError):
    """400: the service rejected the query or the data sent."""


class RateLimited(HexoskinError):
    """429: too many requests; ``retry_after`` says how long to wait (seconds) if known."""

    retry_after: float | None = None


class ServerError(HexoskinError):
    """5xx: the service failed."""


class ConnectionFailed(ServerError):
    """No answer at all: the service could not be reached or timed out (``status`` is None)."""


class ResponseError(HexoskinError):
    """The answer is not what it claims to be (bad JSON, truncated body, wrong type)."""


class ConfigurationError(HexoskinError):
    """Missing or invalid settings or credentials; found locally."""


class InvalidQueryError(HexoskinError, ValueError):
    """A query that cannot be right, found locally before any request is sent."""


class CrossHostError(InvalidQueryError):
    """A link, ``Location`` or path leads off the configured service (scheme, host and port);
    nothing was sent there, so no credentials left their host."""


class UnknownDatatypeError(InvalidQueryError, KeyError):
    """A datatype name or id that the catalogue does not know."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return HexoskinError.__str__(self)


class IncompleteDataError(HexoskinError):
    """Full resolution was asked for but the service did not deliver it."""


_BY_STATUS: dict[int, type[HexoskinError]] = {
    400: BadRequest,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    405: MethodNotAllowed,
    429: RateLimited,
}

_ADVICE: dict[type[HexoskinError], str] = {
    BadRequest: "the service rejected the request; check the filters and values sent",
    AuthenticationError: "authentication failed; check the credentials "
    "(arguments, HEXOSKIN_* environment variables or ~/.netrc)",
    PermissionDenied: "this user is not allowed to do that",
    NotFound: "not found, or not visible to this user",
    MethodNotAllowed: "this resource does not allow that method",
    RateLimited: "rate limited by the service; wait and retry",
    ServerError: "the service failed; retry later",
}


def error_for_status(
    status: int,
    method: str,
    url: str,
    detail: str | None = None,
    retry_after: float | None = None,
) -> HexoskinError:
    """Build the error subclass that matches an HTTP status.

    Parameters
    ----------
    status : int
        HTTP status code (400 or above).
    method, url : str
        The request that failed; ``url`` must already be free of secrets.
    detail : str, optional
        The server's error text.
    retry_after : float, optional
        Seconds from a ``Retry-After`` header, kept on :class:`RateLimited`.

    Examples
    --------
    >>> error_for_status(503, "GET", "http://x/api/v1/data/").__class__.__name__
    'ServerError'
    """
    cls = _BY_STATUS.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else HexoskinError
    advice = _ADVICE.get(cls, "the request failed")
    err = cls(f"HTTP {status}: {advice}.", status=status, method=method, url=url, detail=detail)
    if isinstance(err, RateLimited):
        err.retry_after = retry_after
    return err


class HexoskinWarning(UserWarning):
    """Something worth knowing that is not an error: a read far slower than it could be,
    a span without data."""


class ExportFormatError(HexoskinError, ValueError):
    """A local export file (folder or zip) is damaged or ambiguous; found while reading it.

    Attributes
    ----------
    path : str
        The file (or zip member) at fault.
    problem : str
        What is wrong with it.

    Examples
    --------
    >>> print(ExportFormatError("rec/heart_rate.wav", "truncated"))
    rec/heart_rate.wav: truncated. Download the export again; the file is damaged.
    """

    def __init__(self, path: str, problem: str) -> None:
        self.path = str(path)
        self.problem = problem.rstrip(".")
        super().__init__(
            f"{self.path}: {self.problem}. Download the export again; the file is damaged."
        )

    def __reduce__(self):
        return (type(self), (self.path, self.problem))
