"""HTTP transport: a pooled, retrying ``requests`` session and typed errors from responses.

* :func:`make_retry` — a urllib3 :class:`~urllib3.util.Retry` for 429/500/502/503/504 and
  connection errors on idempotent methods (429 with ``Retry-After`` on any method: the
  request was not processed), exponential backoff with jitter, ``Retry-After`` respected,
  and a bound on the total time spent retrying.
* :func:`make_session` — a :class:`requests.Session` whose adapter is sized for a worker
  pool, puts a timeout on every request and never turns TLS verification off.
* :func:`check_user_session` — the rules for a caller's own session (``Client(session=)``):
  :class:`Transport` mounts the same adapter on it for the service's origin only.
* :class:`Transport` — sends one request, checks that a body is complete (a body shorter
  than its ``Content-Length`` is retried, then reported as
  :class:`~hexoframe.core.errors.ResponseError`) and turns error statuses into
  :mod:`hexoframe.core.errors` exceptions.

Redirect policy (every request the package sends, the OAuth2 token endpoint included)
-------------------------------------------------------------------------------------
``requests`` never follows a redirect by itself here (:class:`NoRedirectSession`).
:func:`send_following` follows 301/302/303/307/308 itself, at most
:data:`MAX_REDIRECTS` times, and only when the ``Location`` has the same scheme, host and
port as the request (:func:`check_same_origin`); the next request goes through the session
again, so authentication is applied afresh (a new API-key signature for the new URL).  A
``Location`` anywhere else raises :class:`~hexoframe.core.errors.CrossHostError` before anything
is sent there.  303 (and 301/302 after a POST) continue with a GET without body; 307/308
repeat the method and body.

When the service cannot be reached
----------------------------------
A connection that cannot be made (refused, name not resolved, connect timeout) is retried by
:class:`HexoRetry` like any other failure, but for at most ``connect_wait`` seconds after the
first failure (10 s by default), and the first failure of each request issues a
:class:`~hexoframe.core.errors.HexoskinWarning` naming the host and how long hexoframe will
keep trying, so nobody waits in silence. When the time (or the retries) run out the request
raises :class:`~hexoframe.core.errors.ConnectionFailed`, which says how many attempts were
made and what to check. ``connect_wait=0`` fails at the first refused connection.

Examples
--------
>>> t = Transport(RetrySettings(retries=2, backoff_factor=0.0))
>>> t.session.adapters["https://"].max_retries.total
2
"""

from __future__ import annotations

import logging
import os
import random
import sys
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProxyError,
    ReadTimeoutError,
)
from urllib3.exceptions import ResponseError as _Urllib3ResponseError
from urllib3.util.retry import Retry

from hexoframe.core import errors

logger = logging.getLogger("hexoframe")
T = TypeVar("T")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
_SECRET_PARAMS = frozenset(
    {
        "api_key",
        "apikey",
        "access_token",
        "token",
        "refresh_token",
        "password",
        "signature",
        "client_secret",
        "key",
        "secret",
    }
)


@dataclass(frozen=True)
class RetrySettings:
    """How hard to try.

    Attributes
    ----------
    retries : int
        Retries after the first attempt (per request), for error statuses, connection
        errors and truncated bodies.
    backoff_factor : float
        Sleep ``backoff_factor * 2**(n-1)`` seconds before retry ``n`` (n >= 2).
    backoff_jitter : float
        Up to this many random seconds added to each backoff.
    backoff_max : float
        Longest single backoff.
    retry_after_max : float
        Longest ``Retry-After`` honoured; longer waits are cut to this.
    max_retry_time : float
        Give up retrying once this many seconds have passed since the first retry.
    connect_wait : float
        Give up retrying a connection that cannot be made (refused, name not resolved,
        connect timeout) once this many seconds have passed since the first such failure
        of a request; 0 fails at once. A warning is issued at that first failure.
    timeout : float or (float, float)
        Connect and read timeout of every request, in seconds.
    pool_size : int
        Connections kept per host: size it to the number of worker threads.
    """

    retries: int = 5
    backoff_factor: float = 0.5
    backoff_jitter: float = 0.25
    backoff_max: float = 30.0
    retry_after_max: float = 60.0
    max_retry_time: float = 120.0
    timeout: float | tuple[float, float] = (10.0, 120.0)
    pool_size: int = 16
    connect_wait: float = 10.0


class RetriesExhausted(MaxRetryError):
    """urllib3's ``MaxRetryError`` that knows how many attempts were made."""

    def __init__(self, pool: Any, url: str, reason: Exception | None, attempts: int) -> None:
        super().__init__(pool, url, reason)
        self.attempts = attempts

    def __reduce__(self) -> Any:
        return (type(self), (None, self.url, self.reason, self.attempts))


def _is_connect_error(error: Exception | None) -> bool:
    """The connection could not be made (the server never saw the request)."""
    if isinstance(error, ProxyError):
        error = error.original_error
    return isinstance(error, ConnectTimeoutError)


def _connect_reason(error: Exception | None) -> str:
    """A short cause of a connect error: "[Errno 111] Connection refused", "timed out"."""
    if isinstance(error, ProxyError):
        return f"proxy: {_connect_reason(error.original_error)}"
    if isinstance(error, NameResolutionError):
        return "host name not resolved"
    if isinstance(error, NewConnectionError):
        return str(error).split("new connection: ", 1)[-1]
    return "connect timed out"


#: Folders whose frames a warning skips, to point at the caller's line.
_LIBRARY_DIRS = tuple(
    os.path.dirname(os.path.abspath(path)) + os.sep
    for path in (os.path.dirname(__file__), requests.__file__, urllib3.__file__)
)


def _caller_stacklevel() -> int:
    """``stacklevel`` of the first frame outside hexoframe, requests and urllib3."""
    frame = sys._getframe(1)
    level = 0
    while frame is not None:
        level += 1
        if not frame.f_code.co_filename.startswith(_LIBRARY_DIRS):
            break
        frame = frame.f_back  # type: ignore[assignment]
    return level


class HexoRetry(Retry):
    """urllib3 ``Retry`` with a bounded total retry time, a shorter bound for connections
    that cannot be made (with a warning at the first), and 429 retried on any method."""

    def __init__(
        self,
        *args: Any,
        max_time: float | None = None,
        deadline: float | None = None,
        connect_wait: float | None = None,
        connect_deadline: float | None = None,
        warned: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.max_time = max_time
        self.deadline = deadline
        self.connect_wait = connect_wait
        self.connect_deadline = connect_deadline
        self.warned = warned

    def new(self, **kw: Any) -> HexoRetry:
        kw.setdefault("max_time", self.max_time)
        kw.setdefault("deadline", self.deadline)
        kw.setdefault("connect_wait", self.connect_wait)
        kw.setdefault("connect_deadline", self.connect_deadline)
        kw.setdefault("warned", self.warned)
        return super().new(**kw)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if status_code == 429 and has_retry_after and self.total:
            return True  # the service did not process it: safe even for POST
        return super().is_retry(method, status_code, has_retry_after)

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> HexoRetry:
        attempts = len(self.history) + 1
        try:
            new = super().increment(method, url, response, error, _pool, _stacktrace)
        except RetriesExhausted:
            raise
        except MaxRetryError as exc:
            raise RetriesExhausted(_pool, url or "", exc.reason, attempts) from None
        now = time.monotonic()
        wait = None
        if response is not None and self.respect_retry_after_header:
            wait = new.get_retry_after(response)
        if wait is None:
            wait = new.get_backoff_time()
        reason = error or _Urllib3ResponseError("retry time budget exhausted")
        if self.max_time is not None:
            deadline = self.deadline if self.deadline is not None else now + self.max_time
            new.deadline = deadline
            if now + wait > deadline:
                raise RetriesExhausted(_pool, url or "", reason, attempts)
        if self.connect_wait is not None and _is_connect_error(error):
            wait_until = self.connect_deadline
            if wait_until is None:
                wait_until = now + self.connect_wait
            new.connect_deadline = wait_until
            if now + wait >= wait_until:
                raise RetriesExhausted(_pool, url or "", reason, attempts)
            if not self.warned:
                new.warned = True
                self._warn_unreachable(_pool, error, wait_until - now)
        logger.debug(
            "retrying %s %s in %.3f s (%s)",
            method,
            redact_url(url or ""),
            wait,
            error or getattr(response, "status", ""),
        )
        return new

    def _warn_unreachable(self, pool: Any, error: Exception | None, remaining: float) -> None:
        host = f"{getattr(pool, 'host', '?')}:{getattr(pool, 'port', '?')}"
        warnings.warn(
            f"Cannot connect to {host} ({_connect_reason(error)}); hexoframe keeps trying "
            f"for up to {remaining:.1f} s more, then raises ConnectionFailed. Check the URL "
            "(HEXOSKIN_URL) and the network; Client(connect_wait=...) sets how long to keep "
            "trying (0: fail at once).",
            errors.HexoskinWarning,
            stacklevel=_caller_stacklevel(),
        )


def make_retry(settings: RetrySettings) -> HexoRetry:
    """The urllib3 retry policy of a session.

    Examples
    --------
    >>> r = make_retry(RetrySettings(retries=3))
    >>> r.total, 503 in r.status_forcelist, "POST" in r.allowed_methods
    (3, True, False)
    """
    return HexoRetry(
        total=settings.retries,
        connect=settings.retries,
        read=settings.retries,
        status=settings.retries,
        other=0,
        redirect=5,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=IDEMPOTENT_METHODS,
        backoff_factor=settings.backoff_factor,
        backoff_jitter=settings.backoff_jitter,
        backoff_max=settings.backoff_max,
        retry_after_max=int(settings.retry_after_max),
        respect_retry_after_header=True,
        raise_on_status=False,  # hand back the last response: it becomes a typed error
        raise_on_redirect=False,
        max_time=settings.max_retry_time,
        connect_wait=settings.connect_wait,
    )


class _SafeAdapter(HTTPAdapter):
    """Adapter that always sets a timeout and always verifies TLS (and, on a caller's
    session, sends hexoframe's ``User-Agent``)."""

    def __init__(
        self, timeout: float | tuple[float, float], user_agent: str | None = None, **kwargs: Any
    ) -> None:
        self._timeout = timeout
        self._user_agent = user_agent
        super().__init__(**kwargs)

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        if timeout is None:
            timeout = self._timeout
        if verify is False:  # a CA bundle path is fine; switching verification off is not
            verify = True
        if self._user_agent:
            request.headers["User-Agent"] = self._user_agent
        return super().send(
            request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies
        )

    def __getstate__(self) -> dict[str, Any]:
        state: dict[str, Any] = super().__getstate__()  # type: ignore[misc]
        state["_timeout"] = self._timeout
        state["_user_agent"] = self._user_agent
        return state


class NoRedirectSession(requests.Session):
    """A session that never follows redirects by itself (see :func:`send_following`)."""

    def get_redirect_target(self, resp: requests.Response) -> None:
        return None


REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: Redirects followed (same host only) before giving up.
MAX_REDIRECTS = 10
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int] | None:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:
        return None
    if (
        not parts.hostname
        or port is None
        or parts.username is not None
        or parts.password is not None
        or "\\" in url
    ):
        return None
    return scheme, parts.hostname.lower(), port


def check_same_origin(base_url: str, url: str) -> None:
    """Raise :class:`~hexoframe.core.errors.CrossHostError` unless *url* has the scheme, host
    and port of *base_url* (and no user info).

    Examples
    --------
    >>> check_same_origin("https://h/api/v1/", "https://H:443/api/v1/record/")
    >>> check_same_origin("https://h", "http://h/")
    Traceback (most recent call last):
    ...
    hexoframe.core.errors.CrossHostError: http://h/ is not on https://h; ...
    """
    mine = _origin(base_url)
    if mine is None or _origin(url) != mine:
        raise errors.CrossHostError(
            f"{redact_url(url)} is not on {redact_url(base_url)}; hexoframe only sends "
            "requests (and credentials) to the configured service's scheme, host and port."
        )


def send_following(
    session: requests.Session, method: str, url: str, **kwargs: Any
) -> requests.Response:
    """Send with *session* and follow same-host redirects only (the module's policy).

    Each hop is a new request through the session, so its ``auth`` is applied afresh.

    Raises
    ------
    hexoframe.core.errors.CrossHostError
        For a ``Location`` on another scheme, host or port; nothing is sent there.
    """
    for _ in range(MAX_REDIRECTS + 1):
        resp = session.request(method, url, allow_redirects=False, **kwargs)
        location = resp.headers.get("Location")
        if resp.status_code not in REDIRECT_STATUSES or not location:
            return resp
        target = urljoin(url, location.strip())
        resp.close()
        check_same_origin(url, target)
        logger.debug(
            "%s %s -> %s, following to %s",
            method,
            redact_url(url),
            resp.status_code,
            redact_url(target),
        )
        if (
            resp.status_code == 303
            and method != "HEAD"
            or (resp.status_code in (301, 302) and method == "POST")
        ):
            method = "GET"
            kwargs = {**kwargs, "json": None, "data": None}
        kwargs["params"] = None  # the Location carries its own query
        url = target
    raise errors.ResponseError(
        f"More than {MAX_REDIRECTS} redirects; the service is misconfigured.",
        method=method,
        url=redact_url(url),
    )


def make_session(settings: RetrySettings, user_agent: str | None = None) -> requests.Session:
    """A session with pooled, retrying, timed, TLS-verifying adapters.

    Examples
    --------
    >>> s = make_session(RetrySettings(pool_size=8))
    >>> s.verify, s.adapters["https://"]._pool_maxsize
    (True, 8)
    """
    session = NoRedirectSession()
    adapter = make_adapter(settings)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.verify = True
    session.trust_env = True  # proxies and CA bundles from the environment; never netrc auth
    if user_agent:
        session.headers["User-Agent"] = user_agent
    session.headers["Accept"] = "application/json"
    return session


def make_adapter(settings: RetrySettings, user_agent: str | None = None) -> HTTPAdapter:
    """The adapter of every hexoframe request: retries (:func:`make_retry`), timeout, TLS
    verification, a pool of ``pool_size`` connections; ``user_agent`` is set on every
    request it sends (used on a caller's session, whose headers hexoframe leaves alone).

    Examples
    --------
    >>> make_adapter(RetrySettings(retries=1)).max_retries.total
    1
    """
    return _SafeAdapter(
        settings.timeout,
        user_agent=user_agent,
        pool_connections=4,
        pool_maxsize=max(1, settings.pool_size),
        max_retries=make_retry(settings),
    )


#: Request headers that carry credentials: refused on a caller's session.
CREDENTIAL_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-hexoapikey", "x-hexoapisignature"}
)


def check_user_session(session: Any, origin: str) -> None:
    """Refuse a caller's session that is not a ``requests.Session`` or holds credentials;
    warn when it turns TLS verification off.

    hexoframe passes its authentication with each request and never stores it on the
    session, so a session whose ``auth`` or ``Authorization``-like header is set would mix
    the caller's credentials with hexoframe's (and send them to the service): refused.

    Raises
    ------
    hexoframe.core.errors.ConfigurationError
        Not a session, or a session holding credentials.

    Examples
    --------
    >>> s = requests.Session(); s.auth = ("me", "pw")
    >>> check_user_session(s, "https://api.hexoskin.com")
    Traceback (most recent call last):
    ...
    hexoframe.core.errors.ConfigurationError: The session given to Client(session=...) has ...
    """
    if not isinstance(session, requests.Session):
        raise errors.ConfigurationError(
            f"Client(session=...) takes a requests.Session (or a subclass such as "
            f"requests_cache.CachedSession), not {type(session).__name__}."
        )
    held = sorted(h for h in session.headers if h.lower() in CREDENTIAL_HEADERS)
    if session.auth is not None or held:
        what = ", ".join(["session.auth"] * (session.auth is not None) + held)
        raise errors.ConfigurationError(
            f"The session given to Client(session=...) has credentials set ({what}); "
            "hexoframe sends its own with each request and never stores any on the session. "
            "Remove them (session.auth = None; del session.headers[...]) and give your "
            "Hexoskin credentials to Client() instead."
        )
    if session.verify is False:
        warnings.warn(
            f"session.verify is False; hexoframe verifies TLS certificates for {origin} "
            "anyway (a CA bundle path in session.verify is used). Your other requests "
            "through this session are not changed.",
            errors.HexoskinWarning,
            stacklevel=_caller_stacklevel(),
        )


def origin_prefix(url: str) -> str:
    """The ``scheme://host:port/`` prefix hexoframe mounts its adapter on.

    Examples
    --------
    >>> origin_prefix("https://API.hexoskin.com/api/v1/")
    'https://api.hexoskin.com/'
    """
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}/"


def redact_url(url: str) -> str:
    """URL with user info and secret-looking query parameters removed.

    Examples
    --------
    >>> redact_url("https://u:p@h/api/v1/x/?limit=1&api_key=s")
    'https://h/api/v1/x/?limit=1&api_key=%2A%2A%2A'
    """
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(k.lower() in _SECRET_PARAMS for k, _ in pairs):
            query = urlencode([(k, "***" if k.lower() in _SECRET_PARAMS else v) for k, v in pairs])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def error_detail(resp: requests.Response, limit: int = 500) -> str | None:
    """The server's error text: ``{"error": ...}``/``{"errors": ...}``, Tastypie's form
    errors ``{"<resource>": {"<field>": [...]}}`` as ``resource.field: message``, the
    allowed methods of a 405, or the start of the body.

    Examples
    --------
    >>> r = requests.Response(); r.status_code = 400
    >>> r._content = b'{"range": {"start": ["This field is required."]}}'
    >>> error_detail(r)
    'range.start: This field is required.'
    """
    if resp.status_code == 405 and resp.headers.get("Allow") is not None:
        return f"allowed methods: {resp.headers['Allow'] or 'none'}"
    try:
        body = resp.json()
    except ValueError:
        text = (resp.text or "").strip()
        return text[:limit] or None
    if isinstance(body, dict):
        for key in ("error", "errors", "error_message", "detail", "message"):
            if key in body and body[key]:
                value = body[key]
                return (value if isinstance(value, str) else repr(value))[:limit]
        fields = [
            f"{res}.{name}: {' '.join(map(str, msgs))}"
            for res, per in body.items()
            if isinstance(per, dict)
            for name, msgs in per.items()
            if isinstance(msgs, list)
        ]
        if fields:
            return "; ".join(fields)[:limit]
    return repr(body)[:limit]


def _retry_after(resp: requests.Response) -> float | None:
    value = resp.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def raise_for_status(resp: requests.Response) -> None:
    """Raise the :mod:`hexoframe.core.errors` exception matching an error status (>= 400).

    Examples
    --------
    >>> r = requests.Response(); r.status_code = 404; r._content = b'{"error": "gone"}'
    >>> r.request = requests.Request("GET", "http://h/api/v1/record/1/").prepare()
    >>> try:
    ...     raise_for_status(r)
    ... except errors.NotFound as exc:
    ...     print(exc.status, exc.url, exc.detail)
    404 http://h/api/v1/record/1/ gone
    """
    if resp.status_code < 400:
        return
    method = resp.request.method or "GET"
    url = redact_url(resp.request.url or resp.url or "")
    raise errors.error_for_status(
        resp.status_code, method, url, error_detail(resp), retry_after=_retry_after(resp)
    )


class _BodyProblem(Exception):
    """A body that could not be read whole (cut short, reset) or failed its check."""


def read_body(resp: requests.Response) -> bytes:
    """Read a streamed response's whole body at once and check it against Content-Length.

    One read of the whole body (the socket loop runs in C, without the GIL) rather than
    requests' 10 kB chunks: measured 1.7x faster for 15 concurrent 1.3 MB answers on two
    cores. The connection goes back to the pool; ``resp.content`` then holds the body.
    Raises :class:`_BodyProblem` for a body cut short or a connection reset mid-body.
    """
    raw: Any = getattr(resp, "raw", None)
    if not hasattr(raw, "release_conn"):  # not urllib3-backed (custom adapters)
        body = resp.content
    else:
        try:
            body = raw.read(decode_content=True)
        except (HTTPError, OSError) as exc:  # protocol errors, resets mid-body
            resp.close()
            raise _BodyProblem(f"the body could not be read ({type(exc).__name__})") from None
        raw.release_conn()
        resp._content = body  # requests' slot for a read body: .content/.json() work
        resp._content_consumed = True  # type: ignore[attr-defined]
    declared = resp.headers.get("Content-Length")
    if (
        declared is not None
        and declared.isdigit()
        and not resp.headers.get("Content-Encoding")
        and resp.request.method != "HEAD"
        and len(body) != int(declared)
    ):
        raise _BodyProblem(f"truncated body ({len(body)} of {declared} bytes)")
    return body


class Transport:
    """Send requests: retries (urllib3 and truncated bodies), timeouts, typed errors.

    Parameters
    ----------
    settings : RetrySettings
        Retry, timeout and pool settings.
    user_agent : str, optional
        ``User-Agent`` header.
    session : requests.Session, optional
        The caller's own session (see :func:`check_user_session`); default: a new one
        (:func:`make_session`) that this transport owns and closes.
    origin : str, optional
        The service's URL; required with ``session``: the adapter of :func:`make_adapter`
        is mounted on that session for this origin's prefix only (:func:`origin_prefix`),
        and taken off again (the adapter that was there before put back) by :meth:`close`.

    Attributes
    ----------
    auth : requests.auth.AuthBase or None
        Passed with every request (never stored on the session).

    Examples
    --------
    >>> Transport(RetrySettings()).settings.retries
    5
    >>> mine = requests.Session()
    >>> t = Transport(RetrySettings(), session=mine, origin="https://api.hexoskin.com")
    >>> type(mine.get_adapter("https://api.hexoskin.com/api/v1/")).__name__
    '_SafeAdapter'
    >>> t.close(); type(mine.get_adapter("https://api.hexoskin.com/api/v1/")).__name__
    'HTTPAdapter'
    """

    def __init__(
        self,
        settings: RetrySettings,
        user_agent: str | None = None,
        *,
        session: requests.Session | None = None,
        origin: str | None = None,
    ) -> None:
        self.settings = settings
        self.auth: Any = None
        self.owns_session = session is None
        self._mount_lock = threading.Lock()
        self._mounted = False
        if session is None:
            self.session = make_session(settings, user_agent)
            return
        if origin is None:
            raise ValueError("Transport(session=...) needs origin=")
        check_user_session(session, origin)
        self.session = session
        self._prefix = origin_prefix(origin)
        self._adapter = make_adapter(settings, user_agent=user_agent)
        self._previous: Any = None
        self._mount()

    def _mount(self) -> None:
        """Put hexoframe's adapter on the caller's session for the service's origin."""
        with self._mount_lock:
            if not self._mounted:
                self._previous = self.session.adapters.get(self._prefix)
                self.session.mount(self._prefix, self._adapter)
                self._mounted = True

    def close(self) -> None:
        """Close pooled connections; a caller's session stays open, as it was before."""
        if self.owns_session:
            self.session.close()
            return
        with self._mount_lock:
            adapters = self.session.adapters
            if self._mounted and adapters.get(self._prefix) is self._adapter:
                del adapters[self._prefix]
                if self._previous is not None:
                    self.session.mount(self._prefix, self._previous)
            self._mounted = False
            self._previous = None
            self._adapter.close()

    def _backoff(self, attempt: int) -> float:
        s = self.settings
        value = s.backoff_factor * (2 ** max(0, attempt - 1)) + random.random() * s.backoff_jitter
        return min(s.backoff_max, value)

    def send(
        self,
        method: str,
        url: str,
        *,
        params: Any = None,
        json: Any = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
        stream: bool = False,
        auth: Any = None,
    ) -> requests.Response:
        """Send one request and return a successful response, or raise a typed error.

        The body is read whole and checked (:func:`read_body`) unless ``stream`` is set;
        see :meth:`send_decoded` for the retry policy.

        Raises
        ------
        hexoframe.core.errors.HexoskinError
            The subclass matching the status; :class:`~hexoframe.core.errors.ConnectionFailed` when
            the service cannot be reached; :class:`~hexoframe.core.errors.ResponseError` when a
            body stays truncated after the retries.
        """
        return self.send_decoded(
            method,
            url,
            params=params,
            json=json,
            data=data,
            headers=headers,
            stream=stream,
            auth=auth,
        )[0]

    def send_decoded(
        self,
        method: str,
        url: str,
        *,
        decode: Callable[[requests.Response], T] | None = None,
        params: Any = None,
        json: Any = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
        stream: bool = False,
        auth: Any = None,
    ) -> tuple[requests.Response, T | None]:
        """Send one request, read its body and decode it, under one retry policy.

        The retry policy, written once for every request:

        * urllib3's :class:`HexoRetry` (:func:`make_retry`) retries connection errors and
          the statuses in :data:`RETRY_STATUSES` for idempotent methods, ``retries`` times,
          honouring ``Retry-After`` up to ``retry_after_max``;
        * a body cut short, a connection reset mid-body, or a body ``decode`` refuses
          (:class:`~hexoframe.core.errors.ResponseError`, e.g. JSON that does not parse) is
          refetched here, for idempotent methods, up to ``retries`` more times;
        * both stop when ``max_retry_time`` is spent. The worst case is therefore
          ``(1 + retries)`` body attempts, each of which urllib3 may retry ``retries`` times,
          within ``max_retry_time`` plus one request's ``timeout``.

        ``Client(retries=0)`` sends every request once.

        Parameters
        ----------
        decode : callable, optional
            Applied to the response once its body is read; its result is returned.
        stream : bool
            Return without reading the body (no body check, no body retries).

        Returns
        -------
        (requests.Response, decoded or None)
        """
        method = method.upper()
        safe_url = redact_url(url)
        if not self.owns_session and not self._mounted:  # used again after close()
            self._mount()
        if auth is None:
            auth = self.auth
        headers = {"Accept": "application/json", **(headers or {})}
        body_attempts = 1 + (self.settings.retries if method in IDEMPOTENT_METHODS else 0)
        started = time.monotonic()
        problem = "no answer"
        for attempt in range(1, body_attempts + 1):
            t0 = time.monotonic()
            failed: str | None = None
            try:
                resp = send_following(
                    self.session,
                    method,
                    url,
                    params=params,
                    json=json,
                    data=data,
                    headers=headers,
                    stream=True,
                    auth=auth,
                    timeout=self.settings.timeout,
                )
            except requests.exceptions.ChunkedEncodingError as exc:
                problem = f"truncated body ({type(exc).__name__})"
            except requests.exceptions.RequestException as exc:
                # raised below, outside this block: no chained requests exception (it holds
                # the prepared request and its Authorization header)
                failed = _failure_message(exc, url, time.monotonic() - started)
            else:
                logger.debug(
                    "%s %s -> %s (%.3f s)",
                    method,
                    redact_url(resp.url or url),
                    resp.status_code,
                    time.monotonic() - t0,
                )
                if resp.status_code >= 400:
                    raise_for_status(resp)
                if stream:
                    return resp, None
                try:
                    read_body(resp)
                    return resp, (decode(resp) if decode is not None else None)
                except _BodyProblem as exc:
                    problem = str(exc)
                except errors.ResponseError as exc:  # decode refused the body
                    if attempt >= body_attempts:
                        raise
                    problem = str(exc)
                resp.close()
            if failed is not None:
                raise errors.ConnectionFailed(failed, method=method, url=safe_url)
            elapsed = time.monotonic() - started
            wait = self._backoff(attempt)
            if attempt >= body_attempts or elapsed + wait > self.settings.max_retry_time:
                break
            logger.debug("%s %s: %s; retrying in %.3f s", method, safe_url, problem, wait)
            time.sleep(wait)
        raise errors.ResponseError(
            f"The service sent an incomplete answer ({problem}) {attempt} time(s); retry later.",
            method=method,
            url=safe_url,
        )


def _failure_message(exc: requests.exceptions.RequestException, url: str, spent: float) -> str:
    """What went wrong when no answer came, and what to do about it."""
    inner = exc.args[0] if exc.args else None
    reason = getattr(inner, "reason", None)
    attempts = getattr(inner, "attempts", None)
    tries = f"{attempts} attempt(s)" if attempts else "the retries"
    if isinstance(inner, MaxRetryError) and _is_connect_error(reason):
        host = urlsplit(url).netloc
        return (
            f"Could not get an answer from {host}: no connection could be made "
            f"({_connect_reason(reason)}) in {tries} over {spent:.1f} s. Check the URL "
            "(base_url or HEXOSKIN_URL), the network and any proxy, or retry later; "
            "Client(connect_wait=...) sets how long to keep trying."
        )
    if _is_timeout(exc):
        return (
            f"The request timed out after {tries} ({_describe(exc)}); the service is slow "
            "or unreachable; retry later or raise the timeout."
        )
    return (
        f"Could not get an answer from the service after {tries} ({_describe(exc)}); "
        "check the URL and the network, or retry later."
    )


def _is_timeout(exc: BaseException) -> bool:
    if isinstance(exc, requests.exceptions.ConnectionError) and not isinstance(
        exc, requests.exceptions.ConnectTimeout
    ):
        inner = exc.args[0] if exc.args else None
        reason = getattr(inner, "reason", inner)
        return isinstance(reason, (ReadTimeoutError, ConnectTimeoutError)) and not isinstance(
            reason, NewConnectionError
        )
    return isinstance(exc, requests.exceptions.Timeout)


def _describe(exc: BaseException) -> str:
    """Short cause of a requests error, without URLs (they may be long) or secrets."""
    inner = exc.args[0] if exc.args else None
    reason = getattr(inner, "reason", None)
    if reason is not None:
        return f"{type(exc).__name__}: {type(reason).__name__}"
    return type(exc).__name__
