"""Authentication of emulator requests: Basic, API-key signature, OAuth2 Bearer.

- Basic: the account's e-mail and password.
- API-key signature: ``X-HEXOAPIKEY`` (public key), ``X-HEXOTIMESTAMP`` (Unix seconds)
  and ``X-HEXOAPISIGNATURE`` = hex SHA-1 of private key + timestamp + full URL (with
  the query string, as the client sent it). Timestamps more than ``signature_window``
  seconds away from the server clock are refused, so old signatures cannot be replayed.
- OAuth2: ``POST /api/connect/oauth2/token/`` (grant types ``password`` and
  ``refresh_token``; client credentials by Basic auth or form fields), then
  ``Authorization: Bearer <token>``. Access tokens expire after ``token_ttl`` seconds;
  refresh tokens are single-use.

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

from .store import DEMO_USERS

#: The demo OAuth2 client.
OAUTH_CLIENT: dict[str, str] = {
    "client_id": "hexoframe-demo",
    "client_secret": "hexoframe-demo-secret",
}
SCOPES: tuple[str, ...] = ("readonly", "readwrite")


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

    def __init__(self, token_ttl: float = 3600.0, signature_window: float = 300,
                 clock: Callable[[], float] = time.time) -> None:
        self.token_ttl = float(token_ttl)
        self.signature_window = float(signature_window)
        self.clock = clock
        self._lock = threading.Lock()
        self._access: dict[str, _Token] = {}
        self._refresh: dict[str, _Token] = {}

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
        if environ.get("HTTP_X_HEXOAPIKEY") is not None:
            return self._signed(environ, url)
        if authz.lower().startswith("bearer"):
            return self._bearer(authz[6:].strip())
        if authz.lower().startswith("basic"):
            creds = parse_basic(authz)
            if creds is None:
                raise AuthError("malformed Basic authorization header")
            info = _by_email(creds[0])
            if info is None or not _eq(info["password"], creds[1]):
                raise AuthError("invalid username or password")
            return Identity(info["id"], "basic")
        if authz:
            raise AuthError("unsupported authorization scheme; use Basic, Bearer or API-key "
                            "signature headers")
        raise AuthError("authentication required: use Basic auth, an OAuth2 Bearer token "
                        "or X-HEXOAPIKEY signature headers")

    def _signed(self, environ: Mapping[str, Any], url: str) -> Identity:
        public = str(environ.get("HTTP_X_HEXOAPIKEY", ""))
        stamp = str(environ.get("HTTP_X_HEXOTIMESTAMP", "")).strip()
        sig = str(environ.get("HTTP_X_HEXOAPISIGNATURE")
                  or environ.get("HTTP_X_HEXOSAPISIGNATURE") or "").strip().lower()
        if not stamp or not sig:
            raise AuthError("X-HEXOAPIKEY needs X-HEXOTIMESTAMP and X-HEXOAPISIGNATURE headers")
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
            raise AuthError("invalid API signature (expected hex SHA-1 of private key + "
                            "timestamp + full URL with query string)")
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
        if not (_eq(client_id, OAUTH_CLIENT["client_id"])
                and _eq(client_secret, OAUTH_CLIENT["client_secret"])):
            raise AuthError("invalid client credentials", 401, "invalid_client")
        grant = form.get("grant_type", "")
        if grant == "password":
            info = _by_email(form.get("username", ""))
            if info is None or not _eq(info["password"], form.get("password", "")):
                raise AuthError("invalid username or password", 400, "invalid_grant")
            scope = self._scope(form.get("scope"))
            return self._issue(info["id"], scope)
        if grant == "refresh_token":
            refresh = form.get("refresh_token", "")
            with self._lock:
                entry = self._refresh.pop(refresh, None) if refresh else None
            if entry is None:
                raise AuthError("invalid or already used refresh token", 400, "invalid_grant")
            return self._issue(entry.user_id, entry.scope)
        if not grant:
            raise AuthError("grant_type is required", 400, "invalid_request")
        raise AuthError("unsupported grant_type; use password or refresh_token", 400,
                        "unsupported_grant_type")

    def _scope(self, requested: str | None) -> str:
        if not requested:
            return "readonly readwrite"
        parts = requested.replace(",", " ").split()
        bad = [p for p in parts if p not in SCOPES]
        if bad or not parts:
            raise AuthError("invalid scope; use readonly and/or readwrite", 400, "invalid_scope")
        return " ".join(dict.fromkeys(parts))

    def _issue(self, user_id: int, scope: str) -> dict[str, Any]:
        access = secrets.token_urlsafe(24)
        refresh = secrets.token_urlsafe(24)
        now = self.clock()
        with self._lock:
            self._access[access] = _Token(user_id, scope, now + self.token_ttl)
            self._refresh[refresh] = _Token(user_id, scope, float("inf"))
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.token_ttl if self.token_ttl != int(self.token_ttl)
            else int(self.token_ttl),
            "refresh_token": refresh,
            "scope": scope,
        }
