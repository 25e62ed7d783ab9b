"""Authentication of requests to the Hexoskin API, as ``requests`` auth objects.

Three schemes:

* :class:`BasicAuth` — account e-mail and password;
* :class:`ApiKeyAuth` — request signing: ``X-HEXOAPIKEY`` (public key), ``X-HEXOTIMESTAMP``
  (Unix seconds) and ``X-HEXOAPISIGNATURE`` = hex SHA-1 of private key + timestamp + the
  full URL with its query string; optionally with Basic credentials too (the API's
  original scheme wanted both);
* :class:`OAuth2Auth` — ``Authorization: Bearer``; gets a token with the password grant
  when it has none, refreshes an expired token (before sending when the expiry is known,
  and once after a 401) and retries the request once.

No object here puts a secret in a URL, a log line or its ``repr``.

Examples
--------
>>> import requests
>>> req = requests.Request("GET", "https://api.hexoskin.com/api/v1/record/?limit=1")
>>> prepared = ApiKeyAuth("pub", "priv", clock=lambda: 1000)(req.prepare())
>>> prepared.headers["X-HEXOTIMESTAMP"], len(prepared.headers["X-HEXOAPISIGNATURE"])
('1000', 40)
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import requests
from requests.auth import AuthBase, HTTPBasicAuth

from hexoframe.api.transport import send_following
from hexoframe.core import errors

logger = logging.getLogger("hexoframe")

TOKEN_PATH = "/api/connect/oauth2/token/"


class BasicAuth(HTTPBasicAuth):
    """HTTP Basic authentication with the account e-mail and password.

    Examples
    --------
    >>> BasicAuth("athlete@hexoskin.com", "secret")
    BasicAuth(username='athlete@hexoskin.com')
    """

    kind = "basic"

    def __repr__(self) -> str:
        return f"BasicAuth(username={self.username!r})"


def sign(private_key: str, timestamp: str, url: str) -> str:
    """Hex SHA-1 signature of ``private_key + timestamp + url`` (Key, Timestamp, Url).

    Examples
    --------
    >>> sign("k", "1", "http://x/")  # doctest: +ELLIPSIS
    '...'
    """
    return hashlib.sha1((private_key + timestamp + url).encode("utf-8")).hexdigest()


class ApiKeyAuth(AuthBase):
    """Sign every request with an API key pair.

    Parameters
    ----------
    public_key, private_key : str
        The API key; only the public part is sent.
    basic : tuple of (str, str), optional
        Username and password to send as Basic credentials as well.
    clock : callable, optional
        Returns Unix seconds; tests replace it.

    Examples
    --------
    >>> ApiKeyAuth("demo-public", "demo-private")
    ApiKeyAuth(public_key='demo-public')
    """

    kind = "apikey"

    def __init__(
        self,
        public_key: str,
        private_key: str,
        *,
        basic: tuple[str, str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.public_key = public_key
        self._private_key = private_key
        self._basic = BasicAuth(*basic) if basic else None
        self._clock = clock

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        if self._basic is not None:
            r = self._basic(r)
        timestamp = str(int(self._clock()))
        r.headers["X-HEXOAPIKEY"] = self.public_key
        r.headers["X-HEXOTIMESTAMP"] = timestamp
        r.headers["X-HEXOAPISIGNATURE"] = sign(self._private_key, timestamp, r.url or "")
        return r

    def __repr__(self) -> str:
        return f"ApiKeyAuth(public_key={self.public_key!r})"


class OAuth2Auth(AuthBase):
    """OAuth2 bearer authentication with automatic token acquisition and refresh.

    Parameters
    ----------
    token_url : str
        Token endpoint, e.g. ``https://api.hexoskin.com/api/connect/oauth2/token/``.
    session : requests.Session
        Session used for token requests (its auth is overridden for them).
    token, refresh_token : str, optional
        Tokens already obtained.
    client_id, client_secret : str, optional
        OAuth2 application, sent as Basic credentials to the token endpoint.
    username, password : str, optional
        For the password grant, used when there is no token or refreshing fails.
    timeout : float or tuple, optional
        Timeout of token requests.

    Notes
    -----
    Thread-safe: one lock serialises token requests, and threads that saw the same
    expired token trigger only one refresh.

    Examples
    --------
    >>> OAuth2Auth("http://x/api/connect/oauth2/token/", requests.Session(), token="t")
    OAuth2Auth(client_id=None, has_token=True)
    """

    kind = "oauth2"
    #: Refresh this many seconds (at most a tenth of the lifetime) before the expiry.
    leeway = 5.0

    def __init__(
        self,
        token_url: str,
        session: requests.Session,
        *,
        token: str | None = None,
        refresh_token: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        username: str | None = None,
        password: str | None = None,
        timeout: float | tuple[float, float] = (10.0, 30.0),
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self._session = session
        self._client_secret = client_secret
        self._username = username
        self._password = password
        self._access_token = token
        self._refresh_token = refresh_token
        self._expires_at: float | None = None
        self._timeout = timeout
        self._lock = threading.Lock()
        self.token_requests = 0  # how many times the token endpoint was called

    def __repr__(self) -> str:
        return (
            f"OAuth2Auth(client_id={self.client_id!r}, has_token={self._access_token is not None})"
        )

    # -- token management -------------------------------------------------------------------
    def _post_token(self, data: dict[str, str]) -> None:
        """Call the token endpoint; store the answer. Caller holds the lock."""
        auth = (
            HTTPBasicAuth(self.client_id, self._client_secret)
            if self.client_id and self._client_secret
            else None
        )
        if auth is None and self.client_id:
            data = {**data, "client_id": self.client_id}
        grant = data["grant_type"]
        logger.debug("POST %s (grant_type=%s)", self.token_url, grant)
        self.token_requests += 1
        failure = None
        try:  # same-host redirects only: the password never goes anywhere else
            resp = send_following(
                self._session, "POST", self.token_url, data=data, auth=auth, timeout=self._timeout
            )
        except requests.RequestException as exc:
            failure = type(exc).__name__
        if failure is not None:  # raised outside the except block: nothing chained
            raise errors.ConnectionFailed(
                f"Could not reach the OAuth2 token endpoint ({failure}).",
                method="POST",
                url=self.token_url,
            )
        if resp.status_code >= 400:
            detail = _error_text(resp)
            status = resp.status_code
            if status in (400, 401, 403):  # invalid_grant, invalid_client: credentials problem
                raise errors.AuthenticationError(
                    f"HTTP {status}: the OAuth2 token request ({grant} grant) was refused; "
                    "check the client id/secret and the user credentials or refresh token.",
                    status=status,
                    method="POST",
                    url=self.token_url,
                    detail=detail,
                )
            raise errors.error_for_status(status, "POST", self.token_url, detail)
        try:
            body = resp.json()
            access = body["access_token"]
        except (ValueError, KeyError, TypeError):
            raise errors.ResponseError(
                "The OAuth2 token endpoint answered without an access_token.",
                status=resp.status_code,
                method="POST",
                url=self.token_url,
            ) from None
        self._access_token = str(access)
        if body.get("refresh_token"):
            self._refresh_token = str(body["refresh_token"])
        expires_in = body.get("expires_in")
        if expires_in:
            # refresh a little early: `leeway` seconds, or a tenth of a short lifetime
            ttl = float(expires_in)
            self._expires_at = time.monotonic() + ttl - min(self.leeway, ttl / 10)
        else:
            self._expires_at = None

    def _renew(self) -> None:
        """Refresh the token, or fall back to the password grant. Caller holds the lock."""
        if self._refresh_token:
            try:
                self._post_token(
                    {"grant_type": "refresh_token", "refresh_token": self._refresh_token}
                )
                return
            except errors.AuthenticationError:
                if not (self._username and self._password):
                    raise
                self._refresh_token = None
        if self._username and self._password:
            self._post_token(
                {"grant_type": "password", "username": self._username, "password": self._password}
            )
            return
        raise errors.AuthenticationError(
            "The OAuth2 access token expired or was refused and there is no refresh token "
            "or username/password to get a new one.",
            status=401,
            url=self.token_url,
        )

    def _expired(self) -> bool:
        return self._expires_at is not None and time.monotonic() >= self._expires_at

    def current_token(self) -> str:
        """Return a valid access token, getting or refreshing one if needed."""
        with self._lock:
            if self._access_token is None or self._expired():
                self._renew()
            assert self._access_token is not None
            return self._access_token

    def _renew_if_still(self, stale: str) -> str:
        with self._lock:
            if self._access_token == stale:  # nobody refreshed it in the meantime
                self._renew()
            assert self._access_token is not None
            return self._access_token

    # -- requests hooks -----------------------------------------------------------------------
    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        token = self.current_token()
        r.headers["Authorization"] = f"Bearer {token}"
        r.register_hook("response", self._retry_on_401)
        return r

    def _retry_on_401(self, resp: requests.Response, **kwargs: Any) -> requests.Response:
        if resp.status_code != 401 or getattr(resp.request, "_hexo_reauthed", False):
            return resp
        sent = resp.request.headers.get("Authorization", "")
        stale = sent[len("Bearer ") :] if sent.startswith("Bearer ") else ""
        if not (self._refresh_token or (self._username and self._password)):
            return resp
        try:
            token = self._renew_if_still(stale)
        except errors.AuthenticationError:
            return resp  # report the original 401
        logger.debug("access token refused; retrying once with a new token")
        resp.content  # noqa: B018  (release the connection)
        resp.close()
        retry = resp.request.copy()
        retry.headers["Authorization"] = f"Bearer {token}"
        retry._hexo_reauthed = True  # type: ignore[attr-defined]
        new = resp.connection.send(retry, **kwargs)
        new.history.append(resp)
        new.request = retry
        return new


def _error_text(resp: requests.Response) -> str | None:
    """Server error text of a token answer, without echoing anything we sent."""
    try:
        body = resp.json()
    except ValueError:
        return (resp.text or "")[:200] or None
    if isinstance(body, dict):
        text = body.get("error_description") or body.get("error") or body.get("detail")
        return str(text) if text else None
    return None
