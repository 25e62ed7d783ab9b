"""OAuth2 as Hexoskin's clients use it, and what empty signature headers mean (issue 9).

Over HTTP against the emulator: a user's API key pair as OAuth2 client, the
authorization-code and implicit grants at ``/api/connect/oauth2/auth/`` with the login
form, the code exchange, ``hexoframe.Client``'s authorization-code helpers (including a
second loopback server playing a host that redirects the token request elsewhere), and
the signature scheme applying only when its three headers are present and non-empty.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from answers import reason

import hexoframe
from hexoframe.core import errors
from hexoframe.emulator import DEMO_USERS

ME = DEMO_USERS["athlete"]
COACH = DEMO_USERS["coach"]
DEMO_CLIENT = ("hexoframe-demo", "hexoframe-demo-secret")
KEY_CLIENT = (ME["api_key"], ME["api_secret"])
CB = "http://127.0.0.1:9/callback"


def _token_url(emu: Any) -> str:
    return emu.url + "/api/connect/oauth2/token/"


def _auth_url(emu: Any) -> str:
    return emu.url + "/api/connect/oauth2/auth/"


def _whoami(emu: Any, token: str) -> requests.Response:
    return requests.get(emu.url + "/api/v1/account/", headers={"Authorization": f"Bearer {token}"})


def _no_secret_in(text: str) -> None:
    for info in DEMO_USERS.values():
        assert info["password"] not in text
        assert info["api_secret"] not in text
    assert DEMO_CLIENT[1] not in text


def _authorize(
    emu: Any,
    user: dict[str, Any] = ME,
    client_id: str = DEMO_CLIENT[0],
    response_type: str = "code",
    state: str = "st-1",
    **extra: str,
) -> requests.Response:
    """POST the login form the way a browser does after the GET."""
    params = {
        "response_type": response_type,
        "client_id": client_id,
        "redirect_uri": CB,
        "state": state,
    }
    form = {"username": user["email"], "password": user["password"], "allow": "1", **extra}
    return requests.post(_auth_url(emu), params=params, data=form, allow_redirects=False)


def _code(emu: Any, **kw: Any) -> str:
    r = _authorize(emu, **kw)
    assert r.status_code == 302, r.text
    query = parse_qs(urlsplit(r.headers["Location"]).query)
    return query["code"][0]


# ----------------------------------------------------------------------------- key pair client


@pytest.mark.parametrize("how", ["basic", "form"])
def test_password_grant_with_the_users_api_key_pair(hexoskin_emulator, how):
    form = {"grant_type": "password", "username": ME["email"], "password": ME["password"]}
    if how == "basic":
        r = requests.post(_token_url(hexoskin_emulator), data=form, auth=KEY_CLIENT)
    else:
        r = requests.post(
            _token_url(hexoskin_emulator),
            data={**form, "client_id": KEY_CLIENT[0], "client_secret": KEY_CLIENT[1]},
        )
    assert r.status_code == 200, r.text
    tok = r.json()
    assert set(tok) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    me = _whoami(hexoskin_emulator, tok["access_token"])
    assert me.status_code == 200 and me.json()["objects"][0]["id"] == 1511
    # the refresh grant works with the same client
    r = requests.post(
        _token_url(hexoskin_emulator),
        auth=KEY_CLIENT,
        data={"grant_type": "refresh_token", "refresh_token": tok["refresh_token"]},
    )
    assert r.status_code == 200 and r.json()["access_token"] != tok["access_token"]


def test_key_pair_client_is_not_tied_to_its_owner(hexoskin_emulator):
    """As with django-oauth-toolkit, the client does not choose the user: the login does."""
    r = requests.post(
        _token_url(hexoskin_emulator),
        auth=KEY_CLIENT,
        data={"grant_type": "password", "username": COACH["email"], "password": COACH["password"]},
    )
    assert r.status_code == 200
    assert _whoami(hexoskin_emulator, r.json()["access_token"]).json()["objects"][0]["id"] == 1513


@pytest.mark.parametrize(
    "client",
    [
        (ME["api_key"], DEMO_USERS["friend"]["api_secret"]),  # another user's private key
        (ME["api_key"], ""),
        ("demo-nobody-public", "demo-nobody-private"),
        (ME["api_secret"], ME["api_key"]),  # swapped
    ],
)
def test_wrong_key_pair_is_invalid_client(hexoskin_emulator, client):
    r = requests.post(
        _token_url(hexoskin_emulator),
        auth=client,
        data={"grant_type": "password", "username": ME["email"], "password": ME["password"]},
    )
    assert r.status_code == 401
    assert reason(r) == "invalid_client"
    _no_secret_in(r.text)


def test_demo_client_still_works(hexoskin_emulator):
    r = requests.post(
        _token_url(hexoskin_emulator),
        auth=DEMO_CLIENT,
        data={"grant_type": "password", "username": ME["email"], "password": ME["password"]},
    )
    assert r.status_code == 200


# ----------------------------------------------------------------------------- authorize


def test_authorize_get_shows_a_login_form_with_escaped_parameters(hexoskin_emulator):
    state = '"><script>x</script>'
    r = requests.get(
        _auth_url(hexoskin_emulator),
        params={
            "response_type": "code",
            "client_id": DEMO_CLIENT[0],
            "redirect_uri": CB,
            "state": state,
        },
        allow_redirects=False,
    )
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.headers["Cache-Control"] == "no-store"
    assert (
        '<input type="hidden" name="state" value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;">'
        in r.text
    )
    assert "<script>" not in r.text
    assert 'name="username"' in r.text and 'name="password"' in r.text
    # also under /api/v1/
    r = requests.get(
        hexoskin_emulator.url + "/api/v1/connect/oauth2/auth/",
        params={"response_type": "code", "client_id": KEY_CLIENT[0], "redirect_uri": CB},
    )
    assert r.status_code == 200


def test_authorization_code_grant_end_to_end(hexoskin_emulator):
    r = _authorize(hexoskin_emulator, user=COACH, client_id=KEY_CLIENT[0], state="abc 1/2")
    assert r.status_code == 302
    loc = urlsplit(r.headers["Location"])
    assert f"{loc.scheme}://{loc.netloc}{loc.path}" == CB and not loc.fragment
    query = parse_qs(loc.query)
    assert set(query) == {"code", "state"} and query["state"] == ["abc 1/2"]
    code = query["code"][0]
    _no_secret_in(r.headers["Location"])

    ex = requests.post(
        _token_url(hexoskin_emulator),
        auth=KEY_CLIENT,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": CB},
    )
    assert ex.status_code == 200, ex.text
    tok = ex.json()
    assert set(tok) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    assert tok["scope"] == "readonly readwrite"
    assert _whoami(hexoskin_emulator, tok["access_token"]).json()["objects"][0]["id"] == 1513

    # a code is single-use; a second use revokes what the first gave
    again = requests.post(
        _token_url(hexoskin_emulator),
        auth=KEY_CLIENT,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": CB},
    )
    assert again.status_code == 400 and reason(again) == "invalid_grant"
    assert _whoami(hexoskin_emulator, tok["access_token"]).status_code == 401
    r = requests.post(
        _token_url(hexoskin_emulator),
        auth=KEY_CLIENT,
        data={"grant_type": "refresh_token", "refresh_token": tok["refresh_token"]},
    )
    assert r.status_code == 400


def test_redirect_uri_with_a_query_keeps_it(hexoskin_emulator):
    r = requests.post(
        _auth_url(hexoskin_emulator),
        params={
            "response_type": "code",
            "client_id": DEMO_CLIENT[0],
            "redirect_uri": CB + "?tab=2",
        },
        data={"username": ME["email"], "password": ME["password"]},
        allow_redirects=False,
    )
    assert r.status_code == 302
    query = parse_qs(urlsplit(r.headers["Location"]).query)
    assert query["tab"] == ["2"] and len(query["code"][0]) > 20 and "state" not in query


@pytest.mark.parametrize(
    "case", ["other-redirect", "no-redirect", "other-client", "wrong-secret", "made-up", "no-code"]
)
def test_code_exchange_failures(hexoskin_emulator, case):
    code = _code(hexoskin_emulator, client_id=KEY_CLIENT[0])
    client, data = (
        KEY_CLIENT,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": CB},
    )
    status, err = 400, "invalid_grant"
    if case == "other-redirect":
        data["redirect_uri"] = CB + "x"
    elif case == "no-redirect":
        del data["redirect_uri"]
    elif case == "other-client":
        client = DEMO_CLIENT
    elif case == "wrong-secret":
        client, status, err = (KEY_CLIENT[0], "nope"), 401, "invalid_client"
    elif case == "made-up":
        data["code"] = "made-up"
    else:
        del data["code"]
        err = "invalid_request"
    r = requests.post(_token_url(hexoskin_emulator), auth=client, data=data)
    assert (r.status_code, reason(r)) == (status, err)
    assert code not in r.text
    _no_secret_in(r.text)
    if case in ("other-redirect", "other-client", "wrong-secret", "made-up"):
        # a refused attempt does not burn the code for its real client
        ok = requests.post(
            _token_url(hexoskin_emulator),
            auth=KEY_CLIENT,
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": CB},
        )
        assert ok.status_code == 200


def test_codes_expire(hexoskin_emulator_factory):
    emu = hexoskin_emulator_factory()
    code = _code(emu)
    emu.app.auth.clock = lambda: time.time() + 61  # the code lives 60 s
    r = requests.post(
        _token_url(emu),
        auth=DEMO_CLIENT,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": CB},
    )
    assert r.status_code == 400 and reason(r) == "invalid_grant"


def test_implicit_grant_puts_the_token_in_the_fragment(hexoskin_emulator):
    r = _authorize(hexoskin_emulator, response_type="token", state="s9")
    assert r.status_code == 302
    loc = urlsplit(r.headers["Location"])
    assert not loc.query
    frag = parse_qs(loc.fragment)
    assert set(frag) == {"access_token", "token_type", "expires_in", "scope", "state"}
    assert frag["token_type"] == ["Bearer"] and frag["expires_in"] == ["3600"]
    assert frag["state"] == ["s9"]
    me = _whoami(hexoskin_emulator, frag["access_token"][0])
    assert me.json()["objects"][0]["id"] == 1511


def test_readonly_scope_through_the_form(hexoskin_emulator):
    r = requests.post(
        _auth_url(hexoskin_emulator),
        params={
            "response_type": "token",
            "client_id": DEMO_CLIENT[0],
            "redirect_uri": CB,
            "scope": "readonly",
        },
        data={"username": ME["email"], "password": ME["password"]},
        allow_redirects=False,
    )
    frag = parse_qs(urlsplit(r.headers["Location"]).fragment)
    assert frag["scope"] == ["readonly"]
    r = requests.post(
        hexoskin_emulator.url + "/api/v1/range/",
        json={"start": 1, "end": 2},
        headers={"Authorization": f"Bearer {frag['access_token'][0]}"},
    )
    assert r.status_code == 403


def test_wrong_password_shows_the_form_again(hexoskin_emulator):
    r = _authorize(hexoskin_emulator, user={"email": ME["email"], "password": "nope"})
    assert r.status_code == 200 and "Location" not in r.headers
    assert "Invalid e-mail or password." in r.text
    assert 'value="st-1"' in r.text  # the request survives for the next try
    assert "nope" not in r.text


def test_deny_redirects_with_access_denied(hexoskin_emulator):
    r = _authorize(hexoskin_emulator, deny="1", state="s2")
    assert r.status_code == 302
    assert parse_qs(urlsplit(r.headers["Location"]).query) == {
        "error": ["access_denied"],
        "state": ["s2"],
    }


@pytest.mark.parametrize(
    "params, where",
    [
        ({"response_type": "magic"}, "unsupported_response_type"),
        ({"scope": "admin"}, "invalid_scope"),
    ],
)
def test_request_errors_are_redirected(hexoskin_emulator, params, where):
    base = {"response_type": "code", "client_id": DEMO_CLIENT[0], "redirect_uri": CB, "state": "s3"}
    r = requests.get(_auth_url(hexoskin_emulator), params={**base, **params}, allow_redirects=False)
    assert r.status_code == 302
    assert parse_qs(urlsplit(r.headers["Location"]).query) == {"error": [where], "state": ["s3"]}


@pytest.mark.parametrize(
    "params",
    [
        {"client_id": "nobody"},
        {"client_id": ""},
        {"redirect_uri": ""},
        {"redirect_uri": "/relative/cb"},
        {"redirect_uri": "javascript:alert(1)"},
        {"redirect_uri": CB + "#frag"},
    ],
)
def test_bad_client_or_redirect_is_never_redirected(hexoskin_emulator, params):
    base = {"response_type": "code", "client_id": DEMO_CLIENT[0], "redirect_uri": CB}
    for method in ("GET", "POST"):
        r = requests.request(
            method,
            _auth_url(hexoskin_emulator),
            params={**base, **params},
            data={"username": ME["email"], "password": ME["password"]},
            allow_redirects=False,
        )
        assert r.status_code == 400 and "Location" not in r.headers
        assert set(r.json()) == {"error"}


def test_authorize_method_not_allowed(hexoskin_emulator):
    r = requests.delete(_auth_url(hexoskin_emulator))
    assert r.status_code == 405 and r.headers["Allow"] == "GET, POST"


# ----------------------------------------------------------------------------- hexoframe.Client


def _browser_login(login_url: str, user: dict[str, Any]) -> str:
    """Play the user: open the login page, submit the form, return where it redirects."""
    page = requests.get(login_url)
    assert page.status_code == 200 and "<form" in page.text
    r = requests.post(
        login_url,
        data={"username": user["email"], "password": user["password"]},
        allow_redirects=False,
    )
    assert r.status_code == 302
    return r.headers["Location"]


def test_client_authorization_code_flow(hexoskin_emulator, clean_credentials):
    login, state = hexoframe.Client.authorization_url(
        hexoskin_emulator.url, client_id=KEY_CLIENT[0], redirect_uri=CB
    )
    assert login.startswith(hexoskin_emulator.url + "/api/connect/oauth2/auth/?")
    assert parse_qs(urlsplit(login).query)["state"] == [state]
    back = _browser_login(login, ME)
    with hexoframe.Client.from_authorization_code(
        hexoskin_emulator.url,
        code=back,
        client_id=KEY_CLIENT[0],
        client_secret=KEY_CLIENT[1],
        redirect_uri=CB,
        expected_state=state,
    ) as client:
        assert client.auth_kind == "oauth2"
        assert client.get_json("account/")["objects"][0]["id"] == 1511
        text = repr(client) + repr(client.auth)
        assert KEY_CLIENT[1] not in text and "Bearer" not in text


def test_client_accepts_the_bare_code(hexoskin_emulator, clean_credentials):
    code = _code(hexoskin_emulator, user=COACH)
    with hexoframe.Client.from_authorization_code(
        hexoskin_emulator.url,
        code=code,
        client_id=DEMO_CLIENT[0],
        client_secret=DEMO_CLIENT[1],
        redirect_uri=CB,
    ) as client:
        assert client.get_json("account/")["objects"][0]["id"] == 1513


def test_client_refuses_a_forged_state_and_a_denial(hexoskin_emulator, clean_credentials):
    login, state = hexoframe.Client.authorization_url(
        hexoskin_emulator.url, client_id=DEMO_CLIENT[0], redirect_uri=CB
    )
    back = _browser_login(login, ME)
    forged = back.replace(f"state={state}", "state=forged")
    with pytest.raises(errors.InvalidQueryError, match="state"):
        hexoframe.Client.from_authorization_code(
            hexoskin_emulator.url,
            code=forged,
            client_id=DEMO_CLIENT[0],
            client_secret=DEMO_CLIENT[1],
            redirect_uri=CB,
            expected_state=state,
        )
    denied = f"{CB}?error=access_denied&state={state}"
    with pytest.raises(errors.AuthenticationError, match="access_denied"):
        hexoframe.Client.from_authorization_code(
            hexoskin_emulator.url,
            code=denied,
            client_id=DEMO_CLIENT[0],
            client_secret=DEMO_CLIENT[1],
            redirect_uri=CB,
            expected_state=state,
        )


def test_client_used_code_is_a_typed_error_without_secrets(hexoskin_emulator, clean_credentials):
    code = _code(hexoskin_emulator)
    kw = {"client_id": DEMO_CLIENT[0], "client_secret": DEMO_CLIENT[1], "redirect_uri": CB}
    hexoframe.Client.from_authorization_code(hexoskin_emulator.url, code=code, **kw).close()
    with pytest.raises(errors.AuthenticationError) as info:
        hexoframe.Client.from_authorization_code(hexoskin_emulator.url, code=code, **kw)
    assert info.value.status == 400
    text = str(info.value) + repr(info.value) + str(info.value.url)
    assert code not in text and DEMO_CLIENT[1] not in text


def test_client_needs_a_client_id(clean_credentials):
    with pytest.raises(errors.ConfigurationError, match="client_id"):
        hexoframe.Client.authorization_url("http://127.0.0.1:9", redirect_uri=CB)
    with pytest.raises(errors.InvalidQueryError, match="redirect_uri"):
        hexoframe.Client.authorization_url(
            "http://127.0.0.1:9", client_id="x", redirect_uri="not a url"
        )


class _Redirector(BaseHTTPRequestHandler):
    """A host that answers every request with a 307 to ``target`` (another host)."""

    target = ""
    seen: list[str] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        type(self).seen.append(self.command + " " + self.path)
        self.send_response(307)
        self.send_header("Location", self.target + self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = _answer  # noqa: N815

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def redirector(hexoskin_emulator) -> Iterator[str]:
    handler = type("H", (_Redirector,), {"target": hexoskin_emulator.url, "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler  # type: ignore[misc]
    finally:
        server.shutdown()
        server.server_close()


def test_code_exchange_never_follows_a_redirect(hexoskin_emulator, redirector, clean_credentials):
    url, handler = redirector
    code = _code(hexoskin_emulator)
    before = hexoskin_emulator.stats.by_path.get("/api/connect/oauth2/token/", 0)
    with pytest.raises(errors.ResponseError, match="redirect") as info:
        hexoframe.Client.from_authorization_code(
            url, code=code, client_id=DEMO_CLIENT[0], client_secret=DEMO_CLIENT[1], redirect_uri=CB
        )
    assert info.value.status == 307
    assert handler.seen == ["POST /api/connect/oauth2/token/"]
    assert hexoskin_emulator.stats.by_path.get("/api/connect/oauth2/token/", 0) == before
    # the code never reached the emulator, so it still works there
    ok = requests.post(
        _token_url(hexoskin_emulator),
        auth=DEMO_CLIENT,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": CB},
    )
    assert ok.status_code == 200


# ----------------------------------------------------------------------------- empty headers


def _sig_headers(url: str, **override: str) -> dict[str, str]:
    stamp = str(int(time.time()))
    sig = hashlib.sha1(f"{ME['api_secret']}{stamp}{url}".encode()).hexdigest()
    headers = {"X-HEXOAPIKEY": ME["api_key"], "X-HEXOTIMESTAMP": stamp, "X-HEXOAPISIGNATURE": sig}
    headers.update(override)
    return headers


def _basic(user: dict[str, Any]) -> str:
    return "Basic " + base64.b64encode(f"{user['email']}:{user['password']}".encode()).decode()


def _account(emu: Any, headers: dict[str, str]) -> requests.Response:
    return requests.get(emu.url + "/api/v1/account/", headers=headers)


@pytest.mark.parametrize(
    "empty",
    [
        {"X-HEXOAPIKEY": "", "X-HEXOTIMESTAMP": "", "X-HEXOAPISIGNATURE": ""},
        {"X-HEXOAPIKEY": ""},
        {"X-HEXOAPIKEY": "", "X-HEXOAPISIGNATURE": ""},
        {"X-HEXOTIMESTAMP": ""},
        {"X-HEXOAPISIGNATURE": ""},
    ],
)
def test_empty_signature_headers_are_not_the_signature_scheme(hexoskin_emulator, empty):
    url = hexoskin_emulator.url + "/api/v1/account/"
    headers = _sig_headers(url, **empty)
    # with Basic credentials, the other scheme answers
    r = _account(hexoskin_emulator, {**headers, "Authorization": _basic(COACH)})
    assert r.status_code == 200 and r.json()["objects"][0]["id"] == 1513
    # alone, they are no credentials at all
    r = _account(hexoskin_emulator, headers)
    assert r.status_code == 401
    message = reason(r)
    if all(not v.strip() for v in headers.values()):
        assert message.startswith("authentication required")
    else:
        assert message.startswith("incomplete API-key signature")
    _no_secret_in(r.text)


def test_schemes_are_tried_like_tastypie_multiauthentication(hexoskin_emulator):
    url = hexoskin_emulator.url + "/api/v1/account/"
    good_sig = _sig_headers(url)
    bad_sig = _sig_headers(url, **{"X-HEXOAPISIGNATURE": "0" * 40})
    bad_basic = _basic({"email": COACH["email"], "password": "nope"})
    # a valid signature wins over a valid Basic header (it is tried first)
    r = _account(hexoskin_emulator, {**good_sig, "Authorization": _basic(COACH)})
    assert r.json()["objects"][0]["id"] == 1511
    # a refused scheme does not hide an accepted one, in either order
    r = _account(hexoskin_emulator, {**bad_sig, "Authorization": _basic(COACH)})
    assert r.status_code == 200 and r.json()["objects"][0]["id"] == 1513
    r = _account(hexoskin_emulator, {**good_sig, "Authorization": bad_basic})
    assert r.status_code == 200 and r.json()["objects"][0]["id"] == 1511
    # both refused: the signature's reason is reported
    r = _account(hexoskin_emulator, {**bad_sig, "Authorization": bad_basic})
    assert r.status_code == 401 and "invalid API signature" in reason(r)
    # an empty Authorization header is no scheme either
    r = _account(hexoskin_emulator, {**good_sig, "Authorization": ""})
    assert r.status_code == 200 and r.json()["objects"][0]["id"] == 1511
