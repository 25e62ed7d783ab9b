"""Authentication of emulator requests: Basic, API-key signature, OAuth2 Bearer.

- Basic: the account's e-mail and password.
- API-key signature: ``X-HEXOAPIKEY`` (public key), ``X-HEXOTIMESTAMP`` (Unix seconds)
  and ``X-HEXOAPISIGNATURE`` = hex SHA-1 of private key + timestamp + full URL (with
  the query string, as the client sent it). Timestamps more than ``signature_window``
  seconds away from the server clock are refused, so old signatures cannot be replayed.
- OAuth2: ``POST /api/connect/oauth2/token/`` (grant types ``password``,
  ``authorization_code`` and ``refresh_token``; client credentials by Basic auth or form
  fields), then ``Authorization: Bearer <token>``. The clients are the demo application
  (:data:`OAUTH_CLIENT`) and every user's API key pair (public key as ``client_id``,
  private key as ``client_secret``), as on the real service. Access tokens expire after
  ``token_ttl`` seconds; refresh tokens and authorization codes are single-use, and codes
  expire after :data:`CODE_TTL` seconds (a second use of a code revokes the tokens the
  first use issued). The authorization endpoint itself is :mod:`.oauth`.

Schemes are tried as Tastypie's ``MultiAuthentication`` does: a scheme applies only when
its headers are present and not empty (all three signature headers; an ``Authorization``
header), and a request is accepted when one applicable scheme accepts it.

Error messages never contain a password, private key or token.

Examples
--------
>>> auth = Authenticator()
>>> import base64
>>> header = "Basic " + base64.b64encode(b"athlete@hexoskin.com:hexoskin").decode()
>>> auth.authenticate({"HTTP_AUTHORIZATION": header}, "http://h/api/v1/").user_id
1511
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hexoframe.emulator.store import DEMO_USERS

#: The demo OAuth2 client.
OAUTH_CLIENT: dict[str, str] = {
    "client_id": "hexoframe-demo",
    "client_secret": "hexoframe-demo-secret",
}
SCOPES: tuple[str, ...] = ("readonly", "readwrite")
#: Lifetime of an authorization code in seconds (django-oauth-toolkit's default).
CODE_TTL = 60.0
#: The three headers of the API-key signature scheme (WSGI names).
SIGNATURE_HEADERS = ("HTTP_X_HEXOAPIKEY", "HTTP_X_HEXOTIMESTAMP", "HTTP_X_HEXOAPISIGNATURE")


class AuthError(Exception):
    """Authentication failed; ``status`` and a secret-free ``message`` for the body."""

    def __init__(self, message: str, status: int = 401, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


@dataclass(frozen=True)
class Identity:
    """Who made a request and how."""

    user_id: int
    method: str
    scope: str = "readwrite"

    @property
    def can_write(self) -> bool:
        """False for OAuth2 tokens limited to the ``readonly`` scope."""
        return "readwrite" in self.scope.split()


@dataclass
class _Token:
    user_id: int
    scope: str
    expires: float


@dataclass
class _Code:
    user_id: int
    scope: str
    expires: float
    client_id: str
    redirect_uri: str | None
    issued: tuple[str, ...] = ()  # (access, refresh) once exchanged


def _by_email(email: str) -> dict[str, Any] | None:
    for info in DEMO_USERS.values():
        if info["email"].lower() == email.strip().lower():
            return info
    return None


def _by_key(public: str) -> dict[str, Any] | None:
    for info in DEMO_USERS.values():
        if hmac.compare_digest(info["api_key"], public):
            return info
    return None


def _eq(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def signature(private_key: str, timestamp: str | int, url: str) -> str:
    """The API-key signature: hex SHA-1 of private key + timestamp + URL.

    Examples
    --------
    >>> len(signature("k", 1, "http://h/api/v1/"))
    40
    """
    return hashlib.sha1(f"{private_key}{timestamp}{url}".encode()).hexdigest()


def parse_basic(header: str) -> tuple[str, str] | None:
    """Decode a Basic ``Authorization`` header into (user, password), or ``None``."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if ":" not in decoded:
        return None
    user, _, password = decoded.partition(":")
    return user, password


class Authenticator:
    """Checks credentials and issues OAuth2 tokens.

    Parameters
    ----------
    token_ttl : float
        Lifetime of access tokens in seconds.
    signature_window : float
        Largest accepted distance (seconds) between ``X-HEXOTIMESTAMP`` and the clock.
    clock : callable
        Returns the current Unix time (tests may pass their own).
    """

    def __init__(
        self,
        token_ttl: float = 3600.0,
        signature_window: float = 300,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token_ttl = float(token_ttl)
        self.signature_window = float(signature_window)
        self.clock = clock
        self._lock = threading.Lock()
        self._access: dict[str, _Token] = {}
        self._refresh: dict[str, _Token] = {}
        self._codes: dict[str, _Code] = {}

    # ------------------------------------------------------------------ requests
    def authenticate(self, environ: Mapping[str, Any], url: str) -> Identity:
        """Identify the caller of a WSGI request or raise :class:`AuthError`.

        Parameters
        ----------
        environ : mapping
            The WSGI environ (headers as ``HTTP_*`` keys).
        url : str
            The full URL as the client sent it (for the signature check).
        """
        authz = str(environ.get("HTTP_AUTHORIZATION", "")).strip()
        signed = [str(environ.get(h) or "").strip() for h in SIGNATURE_HEADERS]
        if not signed[2]:
            signed[2] = str(environ.get("HTTP_X_HEXOSAPISIGNATURE") or "").strip()
        failure: AuthError | None = None
        if all(signed):
            try:
                return self._signed(signed[0], signed[1], signed[2], url)
            except AuthError as exc:  # another scheme may still accept the request
                failure = exc
        if authz:
            try:
                return self._authorization(authz)
            except AuthError as exc:
                failure = failure or exc
        if failure is not None:
            raise failure
        if any(signed):
            raise AuthError(
                "incomplete API-key signature: send X-HEXOAPIKEY, X-HEXOTIMESTAMP "
                "and X-HEXOAPISIGNATURE, all non-empty (empty headers are ignored)"
            )
        raise AuthError(
            "authentication required: use Basic auth, an OAuth2 Bearer token "
            "or X-HEXOAPIKEY signature headers"
        )

    def _authorization(self, authz: str) -> Identity:
        """Identify the caller from a non-empty ``Authorization`` header."""
        if authz.lower().startswith("bearer"):
            return self._bearer(authz[6:].strip())
        if authz.lower().startswith("basic"):
            creds = parse_basic(authz)
            if creds is None:
                raise AuthError("malformed Basic authorization header")
            user_id = self.login(*creds)
            if user_id is None:
                raise AuthError("invalid username or password")
            return Identity(user_id, "basic")
        raise AuthError(
            "unsupported authorization scheme; use Basic, Bearer or API-key signature headers"
        )

    def login(self, email: str, password: str) -> int | None:
        """The id of the demo user with this e-mail and password, else ``None``.

        Examples
        --------
        >>> Authenticator().login("athlete@hexoskin.com", "hexoskin")
        1511
        """
        info = _by_email(email)
        if info is None or not _eq(info["password"], password):
            return None
        return int(info["id"])

    def _signed(self, public: str, stamp: str, sig: str, url: str) -> Identity:
        sig = sig.lower()
        try:
            when = float(stamp)
        except ValueError:
            raise AuthError("X-HEXOTIMESTAMP must be Unix seconds") from None
        if when != when or abs(self.clock() - when) > self.signature_window:
            raise AuthError(
                f"X-HEXOTIMESTAMP is outside the accepted window of "
                f"{self.signature_window:g} seconds around the server clock"
            )
        info = _by_key(public)
        if info is None:
            raise AuthError("unknown API key")
        if not _eq(signature(info["api_secret"], stamp, url), sig):
            raise AuthError(
                "invalid API signature (expected hex SHA-1 of private key + "
                "timestamp + full URL with query string)"
            )
        return Identity(info["id"], "signature")

    def _bearer(self, token: str) -> Identity:
        if not token:
            raise AuthError("empty Bearer token")
        with self._lock:
            entry = self._access.get(token)
            if entry is None:
                raise AuthError("invalid access token", code="invalid_token")
            if entry.expires <= self.clock():
                raise AuthError("access token expired", code="invalid_token")
            return Identity(entry.user_id, "bearer", entry.scope)

    # ------------------------------------------------------------------ token endpoint
    def token(self, form: Mapping[str, str], authorization: str = "") -> dict[str, Any]:
        """Answer an OAuth2 token request; raise :class:`AuthError` on failure.

        Parameters
        ----------
        form : mapping
            The form fields (``grant_type``, ``username``, ``password``,
            ``refresh_token``, ``scope``, optionally ``client_id``/``client_secret``).
        authorization : str
            The request's ``Authorization`` header (client credentials as Basic).
        """
        client_id = form.get("client_id", "")
        client_secret = form.get("client_secret", "")
        creds = parse_basic(authorization) if authorization else None
        if creds is not None:
            client_id, client_secret = creds
        if not client_id:
            raise AuthError("client authentication required", 401, "invalid_client")
        if not self.check_client(client_id, client_secret):
            raise AuthError("invalid client credentials", 401, "invalid_client")
        grant = form.get("grant_type", "")
        if grant == "password":
            user_id = self.login(form.get("username", ""), form.get("password", ""))
            if user_id is None:
                raise AuthError("invalid username or password", 400, "invalid_grant")
            return self._issue(user_id, self.scope(form.get("scope")))
        if grant == "authorization_code":
            return self._exchange(form, client_id)
        if grant == "refresh_token":
            refresh = form.get("refresh_token", "")
            with self._lock:
                entry = self._refresh.pop(refresh, None) if refresh else None
            if entry is None:
                raise AuthError("invalid or already used refresh token", 400, "invalid_grant")
            return self._issue(entry.user_id, entry.scope)
        if not grant:
            raise AuthError("grant_type is required", 400, "invalid_request")
        raise AuthError(
            "unsupported grant_type; use password, authorization_code or refresh_token",
            400,
            "unsupported_grant_type",
        )

    # ------------------------------------------------------------------ OAuth2 clients
    def known_client(self, client_id: str) -> bool:
        """Whether *client_id* names an OAuth2 client (the demo one or a user's API key).

        Examples
        --------
        >>> Authenticator().known_client("demo-athlete-public")
        True
        """
        return _eq(client_id, OAUTH_CLIENT["client_id"]) or _by_key(client_id) is not None

    def check_client(self, client_id: str, client_secret: str) -> bool:
        """Whether the client credentials are right: the demo client, or a user's key pair.

        Examples
        --------
        >>> Authenticator().check_client("demo-athlete-public", "demo-athlete-private")
        True
        """
        if _eq(client_id, OAUTH_CLIENT["client_id"]):
            return _eq(client_secret, OAUTH_CLIENT["client_secret"])
        info = _by_key(client_id)
        return info is not None and _eq(info["api_secret"], client_secret)

    # ------------------------------------------------------------------ authorization code
    def issue_code(self, user_id: int, client_id: str, redirect_uri: str | None, scope: str) -> str:
        """A single-use authorization code for *user_id*, bound to the client and URI.

        Parameters
        ----------
        user_id : int
            The user who logged in at the authorization endpoint.
        client_id : str
            The client that asked; only it may exchange the code.
        redirect_uri : str or None
            The ``redirect_uri`` of the authorization request, if it gave one; the
            exchange must then repeat it.
        scope : str
            Scopes granted (see :meth:`scope`).
        """
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Code(
                user_id, scope, self.clock() + CODE_TTL, client_id, redirect_uri
            )
        return code

    def _exchange(self, form: Mapping[str, str], client_id: str) -> dict[str, Any]:
        code = form.get("code", "")
        if not code:
            raise AuthError("code is required", 400, "invalid_request")
        with self._lock:
            entry = self._codes.get(code)
            if entry is not None and entry.issued:  # replayed: revoke what it gave
                self._access.pop(entry.issued[0], None)
                self._refresh.pop(entry.issued[1], None)
                entry.issued = ()
                entry.expires = 0.0
            usable = (
                entry is not None
                and entry.expires > self.clock()
                and _eq(entry.client_id, client_id)
            )
        if not usable or entry is None:
            raise AuthError(
                "invalid, expired or already used authorization code", 400, "invalid_grant"
            )
        given = form.get("redirect_uri") or None
        if entry.redirect_uri is not None and given != entry.redirect_uri:
            raise AuthError(
                "redirect_uri does not match the authorization request", 400, "invalid_grant"
            )
        answer = self._issue(entry.user_id, entry.scope)
        with self._lock:
            entry.issued = (answer["access_token"], answer["refresh_token"])
            entry.expires = 0.0
        return answer

    def scope(self, requested: str | None) -> str:
        """The scopes granted for a request's ``scope`` (all of them when not given).

        Raises
        ------
        AuthError
            400 ``invalid_scope`` for scopes other than ``readonly`` and ``readwrite``.

        Examples
        --------
        >>> Authenticator().scope("readonly")
        'readonly'
        """
        if not requested:
            return "readonly readwrite"
        parts = requested.replace(",", " ").split()
        bad = [p for p in parts if p not in SCOPES]
        if bad or not parts:
            raise AuthError("invalid scope; use readonly and/or readwrite", 400, "invalid_scope")
        return " ".join(dict.fromkeys(parts))

    def _issue(self, user_id: int, scope: str, refresh: bool = True) -> dict[str, Any]:
        access = secrets.token_urlsafe(24)
        answer: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.token_ttl
            if self.token_ttl != int(self.token_ttl)
            else int(self.token_ttl),
        }
        now = self.clock()
        with self._lock:
            self._access[access] = _Token(user_id, scope, now + self.token_ttl)
            if refresh:
                answer["refresh_token"] = secrets.token_urlsafe(24)
                self._refresh[answer["refresh_token"]] = _Token(user_id, scope, float("inf"))
        answer["scope"] = scope
        return answer

    def issue_implicit(self, user_id: int, scope: str) -> dict[str, Any]:
        """An access token for the implicit grant (``response_type=token``): no refresh.

        Examples
        --------
        >>> sorted(Authenticator().issue_implicit(1511, "readonly"))
        ['access_token', 'expires_in', 'scope', 'token_type']
        """
        return self._issue(user_id, scope, refresh=False)
