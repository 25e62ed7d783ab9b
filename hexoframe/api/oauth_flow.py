"""The OAuth2 authorization-code grant, for users who may not use the password grant.

Two steps, as in a notebook:

1. :func:`authorization_url` gives the service's login page URL (with a random
   ``state``); the user opens it, signs in and lands on ``redirect_uri?code=...&state=...``;
2. :func:`client_from_code` (or :func:`exchange_code` for the bare tokens) checks the
   ``state``, exchanges the code at the service's own token endpoint and returns a
   :class:`~hexoframe.api.client.Client` that refreshes its token by itself.

``hexoframe.Client.authorization_url`` and ``hexoframe.Client.from_authorization_code``
call these. The OAuth2 client is an application's ``client_id``/``client_secret``, or the
user's own API key pair (public key, private key). The code is posted only to the token
endpoint of ``base_url``'s host, redirects are never followed, and no secret (client
secret, code, token) reaches an exception, a log line or a ``repr``.

Examples
--------
>>> url, state = authorization_url(url, "hexoframe-demo", "http://127.0.0.1:1/cb",
...                                state="s1")
>>> url.split("?")[1]
'response_type=code&client_id=hexoframe-demo&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcb&state=s1'
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests

from hexoframe.api.auth import TOKEN_PATH
from hexoframe.api.config import discover
from hexoframe.api.transport import RetrySettings, error_detail, make_session
from hexoframe.core import errors

if TYPE_CHECKING:  # pragma: no cover
    from hexoframe.api.client import Client

__all__ = [
    "AUTHORIZE_PATH",
    "TokenSet",
    "authorization_url",
    "client_from_code",
    "code_from_redirect",
    "exchange_code",
]

logger = logging.getLogger("hexoframe")

AUTHORIZE_PATH = "/api/connect/oauth2/auth/"


@dataclass(frozen=True)
class TokenSet:
    """Tokens issued by the token endpoint; ``repr`` hides them.

    Examples
    --------
    >>> TokenSet("secret-access", "secret-refresh", 3600, "readwrite")
    TokenSet(expires_in=3600, scope='readwrite')
    """

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_in: float | None = None
    scope: str | None = None


def _base(
    base_url: str | None, client_id: str | None, client_secret: str | None = None
) -> tuple[str, str, str | None]:
    creds = discover(base_url, client_id=client_id, client_secret=client_secret)
    if not creds.client_id:
        raise errors.ConfigurationError(
            "The authorization-code grant needs an OAuth2 client: pass client_id (an "
            "application's id or your public API key) or set HEXOSKIN_CLIENT_ID."
        )
    return creds.base_url, creds.client_id, creds.client_secret


def authorization_url(
    base_url: str | None,
    client_id: str | None,
    redirect_uri: str,
    *,
    state: str | None = None,
    scope: str | None = None,
    response_type: str = "code",
) -> tuple[str, str]:
    """The URL of the service's login page for the authorization-code grant.

    Parameters
    ----------
    base_url : str or None
        Server root (``None``: ``HEXOSKIN_URL`` or ``https://api.hexoskin.com``).
    client_id : str or None
        The OAuth2 client (an application id or the user's public API key;
        ``None``: ``HEXOSKIN_CLIENT_ID``).
    redirect_uri : str
        Where the service sends the browser back with ``code`` and ``state``.
    state : str, optional
        Value echoed back to tie the answer to this request (random by default).
    scope : str, optional
        ``"readonly"``, ``"readwrite"`` or both (the service's default when omitted).
    response_type : {"code", "token"}
        ``"token"`` asks for the implicit grant (the token comes in the fragment).

    Returns
    -------
    (str, str)
        The URL to open and the ``state`` to check on return.

    Raises
    ------
    InvalidQueryError
        For a ``redirect_uri`` that is not an absolute http(s) URI, or another
        ``response_type``.

    Examples
    --------
    >>> url, state = authorization_url("https://api.hexoskin.com", "my-public-key",
    ...                                "http://localhost:8888/done")
    >>> url.startswith("https://api.hexoskin.com/api/connect/oauth2/auth/?"), len(state) > 16
    (True, True)
    """
    base, cid, _ = _base(base_url, client_id)
    parts = urlsplit(redirect_uri)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.fragment:
        raise errors.InvalidQueryError(
            "redirect_uri must be an absolute http(s) URI without fragment, e.g. "
            "'http://localhost:8888/done'."
        )
    if response_type not in ("code", "token"):
        raise errors.InvalidQueryError("response_type must be 'code' or 'token'.")
    state = state or secrets.token_urlsafe(16)
    query = {
        "response_type": response_type,
        "client_id": cid,
        "redirect_uri": redirect_uri,
        "state": state,
    }
    if scope:
        query["scope"] = scope
    return f"{base}{AUTHORIZE_PATH}?{urlencode(query)}", state


def code_from_redirect(redirected_to: str, expected_state: str | None) -> str:
    """The code of the URL the browser was sent back to, after checking its ``state``.

    Parameters
    ----------
    redirected_to : str
        The full ``redirect_uri?code=...&state=...`` URL.
    expected_state : str or None
        The state :func:`authorization_url` returned (``None`` skips the check).

    Raises
    ------
    AuthenticationError
        The service answered with ``error=...`` (e.g. the user denied access).
    InvalidQueryError
        No code, or a ``state`` other than the expected one (a forged redirect).

    Examples
    --------
    >>> code_from_redirect("http://localhost:8888/done?code=abc&state=s1", "s1")
    'abc'
    """
    params = dict(parse_qsl(urlsplit(redirected_to).query, keep_blank_values=True))
    if expected_state is not None and params.get("state") != expected_state:
        raise errors.InvalidQueryError(
            "The state of the redirect does not match the one of authorization_url(): "
            "start the login again (this answer may be forged)."
        )
    if params.get("error"):
        raise errors.AuthenticationError(
            f"The service refused the authorization ({params['error'][:60]}).",
            detail=params.get("error_description", "")[:200] or None,
        )
    if not params.get("code"):
        raise errors.InvalidQueryError("The redirect URL holds no code.")
    return params["code"]


def exchange_code(
    base_url: str | None,
    code: str,
    *,
    client_id: str | None,
    client_secret: str | None,
    redirect_uri: str,
    timeout: float | tuple[float, float] = (10.0, 30.0),
) -> TokenSet:
    """Exchange an authorization code for tokens at ``base_url``'s token endpoint.

    Parameters
    ----------
    base_url : str or None
        Server root; the code goes to its ``/api/connect/oauth2/token/`` only.
    code : str
        The code of the redirect.
    client_id, client_secret : str or None
        The OAuth2 client that asked for the code (sent as Basic credentials;
        ``None``: ``HEXOSKIN_CLIENT_ID``/``HEXOSKIN_CLIENT_SECRET``).
    redirect_uri : str
        The same ``redirect_uri`` as in the authorization request.
    timeout : float or (float, float)
        Connect and read timeouts in seconds.

    Returns
    -------
    TokenSet

    Raises
    ------
    AuthenticationError
        The service refused the code or the client (400/401/403).
    ResponseError
        A redirect (never followed) or an answer without ``access_token``.
    ConnectionFailed
        The token endpoint could not be reached.

    Examples
    --------
    >>> exchange_code(url, "made-up", client_id="hexoframe-demo",  # doctest: +ELLIPSIS
    ...               client_secret="hexoframe-demo-secret", redirect_uri="http://h/cb")
    Traceback (most recent call last):
    ...
    hexoframe.core.errors.AuthenticationError: HTTP 400: ...
    """
    base, cid, secret = _base(base_url, client_id, client_secret)
    if not secret:
        raise errors.ConfigurationError(
            "Exchanging a code needs the client secret (client_secret, or your private API "
            "key) or HEXOSKIN_CLIENT_SECRET."
        )
    url = base + TOKEN_PATH
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    session = make_session(RetrySettings(retries=0, timeout=timeout))
    logger.debug("POST %s (grant_type=authorization_code)", url)
    try:
        with session:
            resp = session.post(
                url, data=data, auth=(cid, secret), allow_redirects=False, timeout=timeout
            )
    except requests.RequestException as exc:
        raise errors.ConnectionFailed(
            f"Could not reach the OAuth2 token endpoint ({type(exc).__name__}).",
            method="POST",
            url=url,
        ) from None
    return _tokens(resp, url)


def _tokens(resp: requests.Response, url: str) -> TokenSet:
    status = resp.status_code
    if 300 <= status < 400:
        raise errors.ResponseError(
            f"HTTP {status}: the token endpoint answered with a redirect; hexoframe never "
            "follows redirects with credentials. Check the service URL.",
            status=status,
            method="POST",
            url=url,
        )
    if status in (400, 401, 403):
        raise errors.AuthenticationError(
            f"HTTP {status}: the authorization code was refused; codes are single-use and "
            "short-lived, so log in again (check client id/secret and redirect_uri).",
            status=status,
            method="POST",
            url=url,
            detail=error_detail(resp, 200),
        )
    if status >= 400:
        raise errors.error_for_status(status, "POST", url, error_detail(resp, 200))
    try:
        body: Any = resp.json()
        access = str(body["access_token"])
    except (ValueError, KeyError, TypeError):
        raise errors.ResponseError(
            "The OAuth2 token endpoint answered without an access_token.",
            status=status,
            method="POST",
            url=url,
        ) from None
    refresh = body.get("refresh_token")
    return TokenSet(
        access, str(refresh) if refresh else None, body.get("expires_in"), body.get("scope")
    )


def client_from_code(
    base_url: str | None,
    code: str,
    *,
    client_id: str | None,
    client_secret: str | None,
    redirect_uri: str,
    expected_state: str | None = None,
    **client_kwargs: Any,
) -> Client:
    """A :class:`~hexoframe.api.client.Client` signed in with an authorization code.

    Parameters
    ----------
    base_url : str or None
        Server root.
    code : str
        The code, or the whole URL the browser was redirected to (its ``state`` is then
        checked against *expected_state*).
    client_id, client_secret, redirect_uri
        As for :func:`exchange_code`.
    expected_state : str, optional
        The state :func:`authorization_url` returned.
    **client_kwargs
        Other :class:`~hexoframe.api.client.Client` arguments (``timeout``, ``retries``...).

    Returns
    -------
    Client
        With the access and refresh tokens and the client credentials (to refresh).

    Examples
    --------
    >>> client_from_code(url, "http://h/cb?code=x&state=forged",  # doctest: +ELLIPSIS
    ...     client_id="hexoframe-demo", client_secret="hexoframe-demo-secret",
    ...     redirect_uri="http://h/cb", expected_state="mine")
    Traceback (most recent call last):
    ...
    hexoframe.core.errors.InvalidQueryError: The state of the redirect does not match ...
    """
    from hexoframe.api.client import Client

    if "://" in code:
        code = code_from_redirect(code, expected_state)
    tokens = exchange_code(
        base_url,
        code,
        client_id=client_id,
        client_secret=client_secret,
        redirect_uri=redirect_uri,
        timeout=client_kwargs.get("timeout", (10.0, 30.0)),
    )
    base, cid, secret = _base(base_url, client_id, client_secret)
    return Client(
        base,
        token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        client_id=cid,
        client_secret=secret,
        **client_kwargs,
    )
