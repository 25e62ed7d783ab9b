"""The connection to a Hexoskin API: :class:`Client`.

Everything else in hexoframe (the data engine, pandas/xarray/fsspec front doors, the
CLI) talks to the service through one :class:`Client`: it finds credentials
(:mod:`hexoframe.api.config`), authenticates (:mod:`hexoframe.api.auth`), retries and raises typed
errors (:mod:`hexoframe.api.transport`), and offers the Tastypie resources
(:mod:`hexoframe.api.resources`) as DataFrames (:mod:`hexoframe.api.tables`).

Pickling
--------
A pickled ``Client`` holds **no secrets**: only the URL, tick rate, API version and retry
settings.  Unpickling (in a dask worker, a subprocess, ...) discovers credentials again
from that process's ``HEXOSKIN_*`` environment variables or netrc file, so set those on
the workers.  A client unpickled where no credentials can be found raises
:class:`~hexoframe.core.errors.ConfigurationError` at its first request.  A client made
with ``session=`` pickles the same way, without that session (sessions, with their
hooks, caches and sockets, do not pickle in general): the unpickled copy makes and owns a
fresh session of its own.

Your own ``requests.Session``
-----------------------------
``Client(session=my_session)`` sends every request through ``my_session`` (its proxies,
``verify`` CA bundle, ``cert``, cookies, hooks and ``send`` override, e.g. requests-cache),
with hexoframe's rules applied:

* hexoframe **mounts** its adapter (retries, timeout, TLS verification, pool) on the
  session for the service's ``scheme://host:port/`` prefix only, and nothing else on it;
  ``close()`` takes it off again and puts back whatever adapter was there (an adapter
  mounted on a *longer* prefix of the service's URL would win over hexoframe's: don't);
* each request carries hexoframe's timeout, ``User-Agent`` and ``Accept`` and its
  authentication; none of them is stored on the session (``session.auth`` and
  ``session.headers`` stay as they were), so nothing reaches the caller's other requests;
* a session that already holds credentials (``session.auth``, an ``Authorization``,
  ``Proxy-Authorization`` or ``X-HEXOAPI*`` header) is **refused** with
  :class:`~hexoframe.core.errors.ConfigurationError`;
* ``session.verify = False`` issues a :class:`~hexoframe.core.errors.HexoskinWarning`:
  hexoframe still verifies TLS for the service (a CA bundle path is used as given);
* redirects and ``next`` links follow the one-origin policy as always
  (:func:`~hexoframe.api.transport.send_following`): nothing goes to another host;
* ``close()`` (and ``with``) never closes a session the caller gave; it closes the one
  it made.

Examples
--------
>>> import hexoframe
>>> client = hexoframe.Client("http://127.0.0.1:9", username="a@b.c", password="pw")
>>> client
Client(url='http://127.0.0.1:9/api/v1/', auth='basic')
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import pandas as pd
import requests

from hexoframe import __version__
from hexoframe.api.auth import TOKEN_PATH, ApiKeyAuth, BasicAuth, OAuth2Auth
from hexoframe.api.config import Credentials, discover
from hexoframe.api.resources import ApiObject, Resource, encode_filters
from hexoframe.api.tables import report_histograms_frame, report_metrics_frame
from hexoframe.api.transport import RetrySettings, Transport, check_same_origin, redact_url
from hexoframe.core import catalog, errors
from hexoframe.core.timebase import TimeBase, timebase_for_host

logger = logging.getLogger("hexoframe")


class Client:
    """A thread-safe connection to the Hexoskin REST API.

    Parameters
    ----------
    base_url : str, optional
        Server root, with or without ``/api/v1`` (default ``HEXOSKIN_URL`` or
        ``https://api.hexoskin.com``).
    username, password : str, optional
        Account e-mail and password: Basic auth, or the OAuth2 password grant when an
        OAuth2 application (``client_id``/``client_secret``) is known.
    api_key, api_secret : str, optional
        API key pair: requests are signed (``X-HEXOAPISIGNATURE``).
    token, refresh_token : str, optional
        OAuth2 tokens; with ``client_id``/``client_secret`` an expired token is refreshed.
    client_id, client_secret : str, optional
        OAuth2 application.
    tick_rate : int, optional
        Ticks per second of the host: 256, or 1000 for Astroskin (default:
        ``HEXOSKIN_TICK_RATE``, else 1000 when the host name contains "astroskin", else
        256). The client's :class:`~hexoframe.core.timebase.TimeBase` is ``client.timebase``.
    api_version : str, optional
        Sent as ``X-HexoAPIVersion``.
    timeout : float or (float, float)
        Connect and read timeouts of every request, in seconds.
    retries : int
        Retries of a failed request (429, 5xx, dropped connections, truncated bodies).
    backoff_factor, backoff_jitter, max_retry_time, retry_after_max : float
        Backoff between retries, its random jitter, the total time allowed for retrying
        one request and the longest ``Retry-After`` honoured (all seconds).
    pool_size : int
        Connections kept open: at least the number of threads sharing this client.
    require_auth : bool
        Raise :class:`~hexoframe.core.errors.ConfigurationError` when no credentials are found.
    connect_wait : float
        How long (seconds) to keep retrying a connection that cannot be made (refused,
        unknown host, connect timeout) before raising
        :class:`~hexoframe.core.errors.ConnectionFailed`; a
        :class:`~hexoframe.core.errors.HexoskinWarning` names the host at the first failure.
        0 fails at once.
    session : requests.Session, optional
        Your own session (proxies, CA bundle, requests-cache, hooks): see "Your own
        ``requests.Session``" in :mod:`hexoframe.api.client`. Not closed by :meth:`close`.

    Raises
    ------
    ConfigurationError
        Invalid URL, or no credentials (arguments, environment, netrc).

    Notes
    -----
    * Thread-safe: share one client between threads (size ``pool_size`` to match).
    * Pickles **without secrets** (URL, tick rate, API version and retry settings only);
      the unpickled copy finds credentials again in its own process's ``HEXOSKIN_*``
      environment variables or netrc, so set those on dask workers.
    * Logs each request (method, URL, status, time) at DEBUG on the ``"hexoframe"``
      logger; never credentials, ``Authorization`` headers or token bodies.

    Examples
    --------
    >>> client = Client("https://api.hexoskin.com", token="...")  # doctest: +SKIP
    >>> client.records(start__gte="2024-05-01", order_by="-start")  # doctest: +SKIP
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        username: str | None = None,
        password: str | None = None,
        api_key: str | None = None,
        api_secret: str | None = None,
        token: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        refresh_token: str | None = None,
        tick_rate: int | None = None,
        api_version: str | None = None,
        timeout: float | tuple[float, float] = (10.0, 120.0),
        retries: int = 5,
        backoff_factor: float = 0.5,
        backoff_jitter: float = 0.25,
        max_retry_time: float = 120.0,
        retry_after_max: float = 60.0,
        pool_size: int = 16,
        require_auth: bool = True,
        connect_wait: float = 10.0,
        session: requests.Session | None = None,
    ) -> None:
        creds = discover(
            base_url,
            username=username,
            password=password,
            api_key=api_key,
            api_secret=api_secret,
            token=token,
            client_id=client_id,
            client_secret=client_secret,
            refresh_token=refresh_token,
        )
        settings = RetrySettings(
            retries=retries,
            backoff_factor=backoff_factor,
            backoff_jitter=backoff_jitter,
            max_retry_time=max_retry_time,
            retry_after_max=retry_after_max,
            timeout=timeout,
            pool_size=pool_size,
            connect_wait=connect_wait,
        )
        self._setup(creds, settings, tick_rate, api_version, require_auth, session)

    def _setup(
        self,
        creds: Credentials,
        settings: RetrySettings,
        tick_rate: int | None,
        api_version: str | None,
        require_auth: bool,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = creds.base_url
        self.api_root = creds.api_root
        self.timebase = TimeBase(int(tick_rate)) if tick_rate else timebase_for_host(creds.host)
        self.tick_rate = self.timebase.tick_rate
        self.api_version = api_version
        self.auth_kind = creds.auth_kind
        self._settings = settings
        self._deferred_error: errors.ConfigurationError | None = None
        self._transport = Transport(
            settings, user_agent=f"hexoframe/{__version__}", session=session, origin=self.base_url
        )
        self._resources: dict[str, Resource] = {}
        self._lock = threading.Lock()
        self.auth = self._make_auth(creds)
        self._transport.auth = self.auth  # sent with each request, never set on the session
        if self.auth is None and require_auth:
            raise errors.ConfigurationError(
                "No Hexoskin credentials found: pass username/password, api_key/api_secret "
                "or token (with client_id/client_secret to refresh it) to Client(), or set "
                "HEXOSKIN_USERNAME/HEXOSKIN_PASSWORD, HEXOSKIN_API_KEY/HEXOSKIN_API_SECRET or "
                f"HEXOSKIN_TOKEN, or add a netrc entry for {creds.host!r}."
            )

    def _make_auth(self, creds: Credentials) -> Any:
        kind = creds.auth_kind
        if kind == "oauth2":
            return OAuth2Auth(
                self.base_url + TOKEN_PATH,
                self._transport.session,
                token=creds.token,
                refresh_token=creds.refresh_token,
                client_id=creds.client_id,
                client_secret=creds.client_secret,
                username=creds.username,
                password=creds.password,
                timeout=self._settings.timeout,
            )
        if kind == "apikey":
            assert creds.api_key and creds.api_secret
            basic = (creds.username, creds.password) if creds.username and creds.password else None
            return ApiKeyAuth(creds.api_key, creds.api_secret, basic=basic)
        if kind == "basic":
            assert creds.username and creds.password
            return BasicAuth(creds.username, creds.password)
        return None

    # -- OAuth2 authorization-code grant (see hexoframe.api.oauth_flow) ---------------------------
    @staticmethod
    def authorization_url(
        base_url: str | None = None,
        *,
        client_id: str | None = None,
        redirect_uri: str,
        state: str | None = None,
        scope: str | None = None,
    ) -> tuple[str, str]:
        """The login page URL and its ``state``: :func:`hexoframe.api.oauth_flow.authorization_url`.

        Examples
        --------
        >>> login, state = Client.authorization_url(url, client_id="hexoframe-demo",
        ...                                         redirect_uri="http://localhost:8888/done")
        >>> "/api/connect/oauth2/auth/?response_type=code" in login
        True
        """
        from hexoframe.api.oauth_flow import authorization_url

        return authorization_url(base_url, client_id, redirect_uri, state=state, scope=scope)

    @classmethod
    def from_authorization_code(
        cls,
        base_url: str | None = None,
        *,
        code: str,
        client_id: str | None = None,
        client_secret: str | None = None,
        redirect_uri: str,
        expected_state: str | None = None,
        **kwargs: Any,
    ) -> Client:
        """A client signed in with an authorization code (or the whole redirect URL):
        :func:`hexoframe.api.oauth_flow.client_from_code`.

        Examples
        --------
        >>> Client.from_authorization_code(url, code="used-or-made-up",  # doctest: +ELLIPSIS
        ...     client_id="hexoframe-demo", client_secret="hexoframe-demo-secret",
        ...     redirect_uri="http://localhost:8888/done")
        Traceback (most recent call last):
        ...
        hexoframe.core.errors.AuthenticationError: HTTP 400: ...
        """
        from hexoframe.api.oauth_flow import client_from_code

        return client_from_code(
            base_url,
            code,
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri=redirect_uri,
            expected_state=expected_state,
            **kwargs,
        )

    # -- object protocol ----------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"Client(url={self.api_root!r}, auth={self.auth_kind!r})"

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Close pooled connections; a session given as ``session=`` stays open (only
        hexoframe's adapter is taken off it)."""
        self._transport.close()

    def __getstate__(self) -> dict[str, Any]:
        # No credentials, no session (a fresh one is made): see "Pickling" above.
        return {
            "base_url": self.base_url,
            "tick_rate": self.tick_rate,
            "api_version": self.api_version,
            "settings": self._settings,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        creds = discover(state["base_url"])
        self._setup(
            creds, state["settings"], state["tick_rate"], state["api_version"], require_auth=False
        )
        if self.auth is None:
            self._deferred_error = errors.ConfigurationError(
                "This Client was unpickled without credentials (pickles never hold secrets) "
                "and none were found here: set HEXOSKIN_* environment variables or a netrc "
                f"entry for {creds.host!r} in this process (e.g. on every dask worker)."
            )

    # -- low level ----------------------------------------------------------------------------
    def url_for(self, path: str) -> str:
        """Absolute URL of *path*: relative to the API root, server-absolute, or a full URL.

        Every URL the client follows (``meta.next``/``previous``, ``Location``,
        ``resource_uri``, paths given to :meth:`request`) goes through here.

        Raises
        ------
        CrossHostError
            For a URL (full, scheme-relative ``//host/...`` or with a backslash) that is not
            on the scheme, host and port of ``base_url`` (credentials are never sent
            elsewhere).

        Examples
        --------
        >>> c = Client("http://h:1", token="t")
        >>> c.url_for("record/1/"), c.url_for("/api/v1/record/?offset=20")
        ('http://h:1/api/v1/record/1/', 'http://h:1/api/v1/record/?offset=20')
        >>> c.url_for("//other.example/api/v1/record/")
        Traceback (most recent call last):
        ...
        hexoframe.core.errors.CrossHostError: http://other.example/api/v1/record/ is not on ...
        """
        parts = urlsplit(path)
        if parts.scheme or parts.netloc or path.startswith(("/", "\\")):
            url = urljoin(self.base_url + "/", path)
        else:
            url = self.api_root + path
        check_same_origin(self.base_url, url)
        return url

    def _safe(self, url: str | None) -> str:
        return redact_url(url or self.api_root)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
    ) -> requests.Response:
        """Send a request and return the successful response.

        Parameters
        ----------
        method : str
            HTTP method.
        path : str
            Relative to the API root (``"data/"``, ``"record/37700/"``), server-absolute
            (``"/api/v1/record/?offset=20"``) or a full URL on the same service.
        params : mapping, optional
            Query parameters; strings are sent as they are, lists become
            comma-separated, booleans ``true``/``false``, datetimes HexoTimestamp ticks.
        json : object, optional
            JSON body.
        headers : mapping, optional
            Extra headers (e.g. ``{"Accept": "text/csv"}``).
        stream : bool
            Do not read the body now (the caller streams it; truncation is then the
            caller's to detect, and the body is not retried). Otherwise the body is read
            whole and checked against its ``Content-Length``, and refetched when cut
            short (see :meth:`hexoframe.api.transport.Transport.send_decoded`).

        Returns
        -------
        requests.Response

        Raises
        ------
        HexoskinError
            The subclass matching the failure (see :mod:`hexoframe.core.errors`).

        Examples
        --------
        >>> client.request("GET", "data/",
        ...                params={"datatype": 19, "record": 37700})
        <Response [200]>
        """
        return self._send(method, path, params=params, json=json, headers=headers, stream=stream)[0]

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
        decode: Callable[[requests.Response], Any] | None = None,
    ) -> tuple[requests.Response, Any]:
        """URL, query and headers for ``path``, sent by the transport (one retry policy)."""
        if self._deferred_error is not None:
            raise self._deferred_error
        url = self.url_for(path)
        query: Any = params
        if isinstance(params, Mapping):  # strings are sent as given; other values encoded
            encoded = encode_filters(
                None,
                {k: v for k, v in params.items() if not isinstance(v, str)},
                self.tick_rate,
                validate=False,
            )
            query = {k: v if isinstance(v, str) else encoded[k] for k, v in params.items()}
        send_headers = dict(headers or {})
        if self.api_version:
            send_headers.setdefault("X-HexoAPIVersion", str(self.api_version))
        return self._transport.send_decoded(
            method,
            url,
            params=query or None,
            json=json,
            headers=send_headers or None,
            stream=stream,
            decode=decode,
        )

    def _decode_json(self, resp: requests.Response) -> Any:
        try:
            return resp.json()
        except ValueError:
            raise errors.ResponseError(
                "The service answered with a body that is not valid JSON "
                f"({len(resp.content)} bytes, Content-Type "
                f"{resp.headers.get('Content-Type', '?')!r}).",
                status=resp.status_code,
                method=resp.request.method,
                url=self._safe(resp.url),
            ) from None

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET *path* and decode its JSON (retried when the body is not valid JSON).

        Examples
        --------
        >>> client.get_json("record/37700/")["id"]
        37700
        """
        return self._request_json("GET", path, params=params)[0]

    def _request_json(self, method: str, path: str, **kwargs: Any) -> tuple[Any, requests.Response]:
        """Send a request and decode its JSON body; a body that is not JSON is refetched
        under the transport's retry policy, then raises
        :class:`~hexoframe.core.errors.ResponseError`."""
        resp, value = self._send(method, path, decode=self._decode_json, **kwargs)
        return value, resp

    # -- resources ----------------------------------------------------------------------------
    def resource(self, name: str) -> Resource:
        """The :class:`~hexoframe.api.resources.Resource` called *name* (e.g. ``"annotation"``).

        Examples
        --------
        >>> Client("http://h:1", token="t").resource("annotation")
        Resource('annotation')
        """
        with self._lock:
            res = self._resources.get(name)
            if res is None:
                res = self._resources[name] = Resource(self, name)
            return res

    def get(self, resource: str, ident: int | str, **params: Any) -> ApiObject:
        """One object of *resource* by id: ``client.get("record", 37700)``."""
        return self.resource(resource).get(ident, **params)

    def create(self, resource: str, data: Mapping[str, Any]) -> ApiObject:
        """Create an object: ``client.create("annotation", {...})`` (returns it with ``id``)."""
        return self.resource(resource).create(data)

    def update(
        self, resource: str, ident: int | str, data: Mapping[str, Any], *, partial: bool = True
    ) -> ApiObject | None:
        """PATCH (or PUT, ``partial=False``): ``client.update("range", 58979, {...})``."""
        return self.resource(resource).update(ident, data, partial=partial)

    def delete(self, resource: str, ident: int | str) -> None:
        """Delete an object: ``client.delete("annotation", 61353)``."""
        self.resource(resource).delete(ident)

    def account(self) -> ApiObject:
        """The authenticated user's account (the single object of ``/api/v1/account/``)."""
        objects = self.resource("account").list_raw()
        if not objects:
            raise errors.ResponseError(
                "The account list is empty.", method="GET", url=self.api_root + "account/"
            )
        obj = ApiObject(objects[0])
        obj.cached_at = objects.cached_at
        return obj

    # friendly lists: every page, as DataFrames
    def records(self, **filters: Any) -> pd.DataFrame:
        """Records: ``client.records(start__gte="2024-05-01", order_by="-start")``."""
        return self.resource("record").list(**filters)

    def ranges(self, **filters: Any) -> pd.DataFrame:
        """Ranges (activities): ``client.ranges(user=1511)``."""
        return self.resource("range").list(**filters)

    def datatypes(self, **filters: Any) -> pd.DataFrame:
        """Datatypes the service knows."""
        return self.resource("datatype").list(**filters)

    def refresh_catalog(self) -> int:
        """Update :mod:`hexoframe.core.catalog` from the service's ``/api/datatype/`` listing.

        Rates come from the service (``hexo_freq``, else ``freq``); unit names from its
        ``unit`` objects, which the datatypes link by URI (one listing of ``/api/unit/``).
        Datatypes it lists that the offline catalogue lacks are added. Scales and
        signedness stay as catalogued, since the service does not describe them.

        Returns
        -------
        int
            How many datatypes were added or changed.

        Examples
        --------
        >>> client.refresh_catalog()
        0
        """
        units = {
            str(u["id"]): str(u["si_short"])
            for u in self.resource("unit").list_raw()
            if u.get("id") is not None and u.get("si_short") is not None
        }
        return catalog.refresh_from_service(self.resource("datatype").list_raw(), units)

    def metrics(self, **filters: Any) -> pd.DataFrame:
        """Metric definitions: ``client.metrics(id__in=[1, 45])``."""
        return self.resource("metric").list(**filters)

    def users(self, **filters: Any) -> pd.DataFrame:
        """Users visible to the account (itself, friends, athletes)."""
        return self.resource("user").list(**filters)

    def annotations(self, **filters: Any) -> pd.DataFrame:
        """Annotations: ``client.annotations(record=37700)``."""
        return self.resource("annotation").list(**filters)

    def tracks(self, **filters: Any) -> pd.DataFrame:
        """GPS tracks: ``client.tracks(range=58979)``."""
        return self.resource("track").list(**filters)

    def trackpoints(self, **filters: Any) -> pd.DataFrame:
        """GPS points with ``longitude``/``latitude`` columns: ``client.trackpoints(track=80)``."""
        return self.resource("trackpoint").list(**filters)

    def _report_json(
        self,
        record: Any,
        range: Any,  # noqa: A002 - the filter name
        metrics: Iterable[Any] | None,
        params: Mapping[str, Any],
    ) -> Any:
        if (record is None) == (range is None):
            raise errors.InvalidQueryError("report() needs exactly one of record= or range=.")
        query: dict[str, Any] = dict(params)
        if record is not None:
            query["record"] = record
        else:
            query["range"] = range
        if metrics is not None:
            query["include_metrics"] = self._metric_ids(metrics)
        return self.get_json("report/", params=query)

    def _metric_ids(self, metrics: Iterable[Any] | int | str) -> list[int]:
        """Metric ids from ids, digit strings or metric names (names looked up once)."""
        items = [metrics] if isinstance(metrics, (int, str)) else list(metrics)
        names = [m for m in items if isinstance(m, str) and not m.isdigit()]
        by_name: dict[str, int] = {}
        if names:
            found = self.resource("metric").list_raw(name__in=names)
            by_name = {str(o["name"]): int(o["id"]) for o in found}
            missing = [n for n in names if n not in by_name]
            if missing:
                raise errors.InvalidQueryError(
                    f"Unknown metric name(s) {missing}; see client.metrics() for the list."
                )
        return [by_name[m] if m in by_name else int(m) for m in items]

    def report(
        self,
        *,
        record: Any = None,
        range: Any = None,  # noqa: A002
        metrics: Iterable[Any] | None = None,
        **params: Any,
    ) -> pd.DataFrame:
        """Metrics of a record or range, one row per metric.

        Columns: ``metric_id``, ``name``, ``title``, ``unit``, ``value``, ``zone``,
        ``start``/``end`` (ticks), ``start_time``/``end_time`` (UTC), ``user``, ``user_id``.

        Parameters
        ----------
        record, range : int
            Exactly one of them.
        metrics : list of int or str, optional
            Metric ids or names (``include_metrics``), e.g. ``[44, 46, 47]`` or
            ``["heartrate_avg"]``.

        Examples
        --------
        >>> report = client.report(record=37700, metrics=[1, 45])
        >>> report[["metric_id", "name", "value", "unit"]]
           metric_id          name     value unit
        0          1  activity_avg  0.044408    g
        """
        body = self._report_json(record, range, metrics, params)
        return report_metrics_frame(body, tick_rate=self.tick_rate)

    def report_histograms(
        self,
        *,
        record: Any = None,
        range: Any = None,  # noqa: A002
        metrics: Iterable[Any] | None = None,
        **params: Any,
    ) -> pd.DataFrame:
        """Histogram metrics of a record or range in long form, one row per bin.

        Examples
        --------
        >>> bins = client.report_histograms(record=37700, metrics=[45])
        >>> bins[["name", "bin_start", "bin_end", "count"]].head(3)
                      name  bin_start  bin_end   count
        0  heartrate_histo       20.0     40.0     0.0
        1  heartrate_histo       40.0     60.0     0.0
        2  heartrate_histo       60.0     80.0  2765.0
        """
        body = self._report_json(record, range, metrics, params)
        return report_histograms_frame(body, tick_rate=self.tick_rate)


@functools.cache
def client_settings() -> frozenset[str]:
    """The keywords that configure a client: ``Client``'s parameters, and ``url`` as an alias
    of ``base_url``.

    Examples
    --------
    >>> {"base_url", "url", "username", "retries"} <= client_settings()
    True
    """
    return frozenset(inspect.signature(Client).parameters) - {"self"} | {"url"}


def obtain_client(
    client: Client | None = None, options: Mapping[str, Any] | None = None
) -> tuple[Client, bool]:
    """The client a front door uses, and whether it owns it (and so must close it).

    ``client`` itself (not owned), or a new ``Client(**options)`` (owned). ``options``
    may use ``url`` as an alias of ``base_url``; unknown keys raise
    :class:`~hexoframe.core.errors.InvalidQueryError`. With neither, the new client discovers
    its settings from ``HEXOSKIN_*`` environment variables and ``~/.netrc``.

    Who closes what: ``read_hexoskin`` closes its own client before returning; a dataset
    from ``xr.open_dataset`` closes it in ``ds.close()`` (``set_close``); the filesystem
    in ``fs.close()`` or when it is garbage collected; a cohort when its result is.

    Examples
    --------
    >>> cl, owned = obtain_client(None, {"url": "http://127.0.0.1:9", "token": "t"})
    >>> cl, owned
    (Client(url='http://127.0.0.1:9/api/v1/', auth='oauth2'), True)
    >>> obtain_client(cl)[1]
    False
    """
    if client is not None:
        if options:
            raise errors.InvalidQueryError(
                f"Give client=... or client settings ({', '.join(sorted(options))}), not both."
            )
        return client, False
    opts = dict(options or {})
    if "url" in opts:
        opts["base_url"] = opts.pop("url")
    accepted = client_settings() - {"url"}
    unknown = set(opts) - accepted
    if unknown:
        raise errors.InvalidQueryError(
            f"Unknown client option(s) {sorted(unknown)}; accepted: {', '.join(sorted(accepted))}."
        )
    return Client(**opts), True


__all__ = ["Client", "client_settings", "obtain_client"]
