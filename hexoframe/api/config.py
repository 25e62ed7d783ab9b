"""Where a :class:`~hexoframe.api.client.Client` finds its URL and credentials.

Precedence, highest first:

1. arguments given to :func:`discover` (or to ``Client(...)``);
2. ``HEXOSKIN_*`` environment variables: ``HEXOSKIN_URL``, ``HEXOSKIN_USERNAME``,
   ``HEXOSKIN_PASSWORD``, ``HEXOSKIN_API_KEY``, ``HEXOSKIN_API_SECRET``, ``HEXOSKIN_TOKEN``,
   ``HEXOSKIN_CLIENT_ID``, ``HEXOSKIN_CLIENT_SECRET``, ``HEXOSKIN_REFRESH_TOKEN``;
3. the ``~/.netrc`` entry of the API host (the ``NETRC`` variable names another file):
   ``login`` and ``password``.

User credentials are never mixed across sources: the first source that names any
(username/password, API key pair, token or refresh token) supplies all of them, so an
``HEXOSKIN_PASSWORD`` left in the environment is never paired with a username passed as
an argument.  The one exception is the netrc file, which fills a missing password when the
username was given elsewhere and matches its ``login``.  The OAuth2 application
(``client_id``/``client_secret``) is application configuration and is looked up on its own.

Examples
--------
>>> creds = discover("http://127.0.0.1:8000", username="a@b.c", password="pw", env={})
>>> creds.api_root, creds.auth_kind
('http://127.0.0.1:8000/api/v1/', 'basic')
>>> "pw" in repr(creds)
False
"""

from __future__ import annotations

import netrc
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from urllib.parse import urlsplit

from hexoframe.core.errors import ConfigurationError

DEFAULT_BASE_URL = "https://api.hexoskin.com"
API_PATH = "/api/v1/"

#: Environment variable for each setting.
ENV_VARS: dict[str, str] = {
    "base_url": "HEXOSKIN_URL",
    "username": "HEXOSKIN_USERNAME",
    "password": "HEXOSKIN_PASSWORD",
    "api_key": "HEXOSKIN_API_KEY",
    "api_secret": "HEXOSKIN_API_SECRET",
    "token": "HEXOSKIN_TOKEN",
    "client_id": "HEXOSKIN_CLIENT_ID",
    "client_secret": "HEXOSKIN_CLIENT_SECRET",
    "refresh_token": "HEXOSKIN_REFRESH_TOKEN",
}

_USER_FIELDS = ("username", "password", "api_key", "api_secret", "token", "refresh_token")
_APP_FIELDS = ("client_id", "client_secret")
_SECRET_FIELDS = frozenset({"password", "api_secret", "token", "client_secret", "refresh_token"})


@dataclass(frozen=True, repr=False)
class Credentials:
    """Resolved settings of one connection.  ``repr`` never shows secrets.

    Attributes
    ----------
    base_url : str
        Server root without the API path, e.g. ``https://api.hexoskin.com``.
    username, password : str or None
        Account e-mail and password (Basic auth, or the OAuth2 password grant).
    api_key, api_secret : str or None
        Public and private API key (request signing).
    token, refresh_token : str or None
        OAuth2 access and refresh tokens.
    client_id, client_secret : str or None
        OAuth2 application credentials.
    source : str
        Where the user credentials came from: ``"arguments"``, ``"environment"``,
        ``"netrc"`` or ``"none"``.
    """

    base_url: str = DEFAULT_BASE_URL
    username: str | None = None
    password: str | None = None
    api_key: str | None = None
    api_secret: str | None = None
    token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    refresh_token: str | None = None
    source: str = "none"

    @property
    def api_root(self) -> str:
        """API root URL, ``base_url + "/api/v1/"``."""
        return self.base_url + API_PATH

    @property
    def host(self) -> str:
        """Host name of the server (the netrc ``machine``)."""
        return urlsplit(self.base_url).hostname or ""

    @property
    def auth_kind(self) -> str:
        """Which authentication these credentials lead to.

        One of ``"oauth2"`` (a token, a refresh token, or an OAuth2 application with a
        username and password), ``"apikey"`` (request signing, plus Basic when a username
        and password are also known), ``"basic"`` or ``"none"``.
        """
        has_app = bool(self.client_id and self.client_secret)
        has_login = bool(self.username and self.password)
        if self.token or (self.refresh_token and has_app) or (has_app and has_login):
            return "oauth2"
        if self.api_key and self.api_secret:
            return "apikey"
        if has_login:
            return "basic"
        return "none"

    def __repr__(self) -> str:
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if f.name in _SECRET_FIELDS:
                value = "***"
            shown.append(f"{f.name}={value!r}")
        return f"Credentials({', '.join(shown)})"


def normalize_base_url(url: str) -> str:
    """Server root from a URL given with or without the ``/api/v1`` (or ``/api``) suffix.

    Examples
    --------
    >>> normalize_base_url("http://127.0.0.1:5000/api/v1/")
    'http://127.0.0.1:5000'
    >>> normalize_base_url("https://api.hexoskin.com")
    'https://api.hexoskin.com'
    """
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"Invalid Hexoskin URL {url!r}: give an http(s) URL such as {DEFAULT_BASE_URL!r}."
        )
    if parts.username or parts.password:
        raise ConfigurationError(
            "Do not put credentials in the Hexoskin URL; pass username/password instead."
        )
    path = parts.path.rstrip("/")
    for suffix in ("/api/v1", "/api"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
            break
    return f"{parts.scheme}://{parts.netloc}{path}"


def _netrc_login(host: str, env: Mapping[str, str]) -> tuple[str | None, str | None]:
    path = env.get("NETRC") or str(Path.home() / ".netrc")
    if not host or not os.path.isfile(path):
        return None, None
    try:
        entry = netrc.netrc(path).authenticators(host)
    except (netrc.NetrcParseError, OSError) as exc:
        raise ConfigurationError(f"Cannot read netrc file {path}: {exc}") from None
    if not entry:
        return None, None
    login, _account, password = entry
    return login or None, password or None


def discover(
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
    env: Mapping[str, str] | None = None,
) -> Credentials:
    """Resolve the URL and credentials from arguments, environment and netrc.

    Parameters
    ----------
    base_url : str, optional
        Server root, with or without ``/api/v1``; default ``HEXOSKIN_URL`` or
        ``https://api.hexoskin.com``.
    username, password, api_key, api_secret, token, client_id, client_secret, refresh_token
        Explicit credentials; see the module docstring for the precedence.
    env : mapping, optional
        Environment to read (default ``os.environ``); tests pass a dict.

    Returns
    -------
    Credentials
        Possibly with ``auth_kind == "none"``; the caller decides whether that is an error.

    Examples
    --------
    >>> discover(env={"HEXOSKIN_TOKEN": "t"}).auth_kind
    'oauth2'
    """
    env = os.environ if env is None else env
    args = {
        "username": username,
        "password": password,
        "api_key": api_key,
        "api_secret": api_secret,
        "token": token,
        "refresh_token": refresh_token,
    }
    from_env = {name: env.get(ENV_VARS[name]) or None for name in _USER_FIELDS}

    url = normalize_base_url(base_url or env.get(ENV_VARS["base_url"]) or DEFAULT_BASE_URL)

    if any(args.values()):
        user, source = args, "arguments"
    elif any(from_env.values()):
        user, source = from_env, "environment"
    else:
        user, source = dict.fromkeys(_USER_FIELDS), "none"

    app = {
        "client_id": client_id or env.get(ENV_VARS["client_id"]) or None,
        "client_secret": client_secret or env.get(ENV_VARS["client_secret"]) or None,
    }
    creds = Credentials(base_url=url, source=source, **user, **app)

    needs_login = source == "none" or (creds.username and not creds.password)
    if needs_login and creds.auth_kind in ("none", "basic") and not creds.api_key:
        login, secret = _netrc_login(creds.host, env)
        if secret and (not creds.username or creds.username == login):
            creds = Credentials(
                base_url=url,
                username=login or creds.username,
                password=secret,
                source="netrc" if source == "none" else source,
                **app,
            )
    return creds
