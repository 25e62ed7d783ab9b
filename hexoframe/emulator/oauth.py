"""The OAuth2 authorization endpoint: ``/api/connect/oauth2/auth/``.

``GET`` with ``response_type`` (``code`` or ``token``), ``client_id``, ``redirect_uri``,
optional ``state`` and ``scope`` shows a small login form. ``POST`` of that form with a
demo user's e-mail and password redirects (302) to ``redirect_uri``:

* ``response_type=code``: ``?code=...&state=...``; the code is exchanged at the token
  endpoint (``grant_type=authorization_code``, see :class:`.auth.Authenticator`);
* ``response_type=token``: ``#access_token=...&token_type=Bearer&expires_in=...&scope=...
  &state=...`` (the implicit grant: no refresh token).

Wrong credentials show the form again with a message (200, as Django's login does);
the form's "Deny" button redirects with ``error=access_denied``. An unknown
``client_id`` or a missing or malformed ``redirect_uri`` is answered with a 400 and never
redirected. Unlike the real service, which only redirects to the URIs registered for an
application, the emulator accepts any absolute ``http``/``https`` URI without fragment.

Examples
--------
>>> from hexoframe.emulator.auth import Authenticator
>>> env = {"REQUEST_METHOD": "GET", "QUERY_STRING":
...        "response_type=code&client_id=hexoframe-demo&redirect_uri=http://127.0.0.1:1/cb"}
>>> status, headers, body = authorize_answer(Authenticator(), env, "GET")
>>> status, headers["Content-Type"], b'name="password"' in body
(200, 'text/html; charset=utf-8', True)
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from hexoframe.emulator.auth import Authenticator, AuthError
from hexoframe.emulator.request import read_body
from hexoframe.emulator.responses import Answer, ApiError

__all__ = ["AUTHORIZE_PATHS", "authorize_answer"]

AUTHORIZE_PATHS = ("/api/connect/oauth2/auth/", "/api/v1/connect/oauth2/auth/")
#: The authorization request's parameters, carried by the form as hidden fields.
PARAMS = ("response_type", "client_id", "redirect_uri", "state", "scope")
_HTML_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


def _redirect(uri: str, params: Mapping[str, str], fragment: bool) -> Answer:
    items = urlencode({k: v for k, v in params.items() if v})
    if fragment:
        target = f"{uri}#{items}"
    else:
        target = f"{uri}{'&' if urlsplit(uri).query else '?'}{items}"
    return 302, {"Location": target, "Cache-Control": "no-store"}, b""


def _form(params: Mapping[str, str], message: str = "") -> Answer:
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(params.get(name, ""))}">'
        for name in PARAMS
        if params.get(name)
    )
    note = f'<p class="error">{html.escape(message)}</p>' if message else ""
    page = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Hexoskin login</title>'
        "</head><body><h1>Sign in to authorize the application</h1>"
        f'{note}<form method="post">{hidden}'
        '<label>E-mail <input type="email" name="username"></label>'
        '<label>Password <input type="password" name="password"></label>'
        '<button type="submit" name="allow" value="1">Allow</button>'
        '<button type="submit" name="deny" value="1">Deny</button>'
        "</form></body></html>"
    )
    return 200, dict(_HTML_HEADERS), page.encode("utf-8")


def _valid_redirect(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not parts.fragment


def authorize_answer(auth: Authenticator, environ: Mapping[str, Any], method: str) -> Answer:
    """Answer a request to the authorization endpoint.

    Parameters
    ----------
    auth : Authenticator
        Checks the client and the login, issues codes and implicit tokens.
    environ : mapping
        The WSGI environ (query string; the form body for ``POST``).
    method : str
        ``GET`` (the form) or ``POST`` (the login).

    Returns
    -------
    Answer
        ``(status, headers, body)``: the form, or a 302 to ``redirect_uri``.

    Raises
    ------
    ApiError
        400 for an unknown client or a bad ``redirect_uri``, 405 for other methods.
    """
    if method not in ("GET", "POST"):
        raise ApiError(405, "use GET (the login form) or POST (the login)", {"Allow": "GET, POST"})
    params = dict(parse_qsl(str(environ.get("QUERY_STRING", "")), keep_blank_values=True))
    form: dict[str, str] = {}
    if method == "POST":
        try:
            form = dict(parse_qsl(read_body(environ).decode("utf-8"), keep_blank_values=True))
        except (UnicodeDecodeError, ValueError):
            raise ApiError(400, "the login form must be form-encoded") from None
        params.update({k: v for k, v in form.items() if k in PARAMS})
    client_id = params.get("client_id", "")
    if not client_id or not auth.known_client(client_id):
        raise ApiError(400, "unknown or missing client_id")
    uri = params.get("redirect_uri", "")
    if not uri or not _valid_redirect(uri):
        raise ApiError(400, "redirect_uri is required: an absolute http(s) URI without fragment")
    kind = params.get("response_type", "")
    fragment = kind == "token"
    state = {"state": params.get("state", "")}
    if kind not in ("code", "token"):
        return _redirect(uri, {"error": "unsupported_response_type", **state}, False)
    try:
        scope = auth.scope(params.get("scope"))
    except AuthError as exc:
        return _redirect(uri, {"error": exc.code or "invalid_scope", **state}, fragment)
    if method == "GET":
        return _form(params)
    if form.get("deny"):
        return _redirect(uri, {"error": "access_denied", **state}, fragment)
    user_id = auth.login(form.get("username", ""), form.get("password", ""))
    if user_id is None:
        return _form(params, "Invalid e-mail or password.")
    if fragment:
        token = auth.issue_implicit(user_id, scope)
        return _redirect(uri, {**{k: str(v) for k, v in token.items()}, **state}, True)
    code = auth.issue_code(user_id, client_id, uri, scope)
    return _redirect(uri, {"code": code, **state}, False)
