"""Authentication of the emulator: Basic, API-key signature, OAuth2 tokens."""

from __future__ import annotations

import hashlib
import time

import pytest
import requests
from answers import reason

from hexoframe.emulator import DEMO_USERS

ME = DEMO_USERS["athlete"]
CLIENT = ("hexoframe-demo", "hexoframe-demo-secret")


def _signed_headers(
    url: str, stamp: int | str | None = None, key: str | None = None, secret: str | None = None
) -> dict[str, str]:
    stamp = str(int(time.time()) if stamp is None else stamp)
    secret = ME["api_secret"] if secret is None else secret
    sig = hashlib.sha1(f"{secret}{stamp}{url}".encode()).hexdigest()
    return {
        "X-HEXOAPIKEY": key or ME["api_key"],
        "X-HEXOTIMESTAMP": stamp,
        "X-HEXOAPISIGNATURE": sig,
    }


def _error(r: requests.Response) -> str:
    """The reason and the body of a refusal (to look for secrets in)."""
    text = reason(r)
    assert text
    return text + r.text


def _no_secret_in(text: str) -> None:
    for info in DEMO_USERS.values():
        assert info["password"] not in text
        assert info["api_secret"] not in text
    assert CLIENT[1] not in text


# ----------------------------------------------------------------------------- Basic


def test_basic_auth(hexoskin_emulator):
    r = requests.get(hexoskin_emulator.url + "/api/v1/account/", auth=(ME["email"], ME["password"]))
    assert r.status_code == 200
    assert r.json()["objects"][0]["id"] == 1511


@pytest.mark.parametrize(
    "auth",
    [
        (ME["email"], "wrong"),
        ("nobody@hexoskin.com", "hexoskin"),
        (ME["email"], ""),
        ("friend@hexoskin.com", "hexoskin"),
    ],
)
def test_basic_auth_failures(hexoskin_emulator, auth):
    r = requests.get(hexoskin_emulator.url + "/api/v1/account/", auth=auth)
    assert r.status_code == 401
    _no_secret_in(_error(r))
    assert "WWW-Authenticate" in r.headers


@pytest.mark.parametrize("header", ["Basic !!!notbase64", "Basic ", "Digest abc", "Token x"])
def test_malformed_authorization_is_401(hexoskin_emulator, header):
    r = requests.get(hexoskin_emulator.url + "/api/v1/account/", headers={"Authorization": header})
    assert r.status_code == 401
    _error(r)


def test_every_demo_user_logs_in(hexoskin_emulator):
    for info in DEMO_USERS.values():
        r = requests.get(
            hexoskin_emulator.url + "/api/v1/account/", auth=(info["email"], info["password"])
        )
        assert r.json()["objects"][0]["id"] == info["id"]
    assert hexoskin_emulator.users["athlete"]["password"] == "hexoskin"


# ----------------------------------------------------------------------------- API key


def test_signed_request(hexoskin_emulator):
    url = hexoskin_emulator.url + "/api/v1/record/?limit=2&order_by=-start"
    r = requests.get(url, headers=_signed_headers(url))
    assert r.status_code == 200, r.text
    assert r.json()["meta"]["limit"] == 2


def test_signed_post_and_misspelled_header(hexoskin_emulator):
    url = hexoskin_emulator.url + "/api/v1/account/"
    headers = _signed_headers(url)
    headers["X-HEXOSAPISIGNATURE"] = headers.pop("X-HEXOAPISIGNATURE")
    assert requests.get(url, headers=headers).status_code == 200


@pytest.mark.parametrize(
    "case",
    [
        "bad-signature",
        "other-url",
        "unknown-key",
        "old",
        "future",
        "garbage-stamp",
        "missing-signature",
        "other-secret",
    ],
)
def test_signature_failures(hexoskin_emulator, case):
    url = hexoskin_emulator.url + "/api/v1/record/?limit=2"
    headers = _signed_headers(url)
    if case == "bad-signature":
        headers["X-HEXOAPISIGNATURE"] = "0" * 40
    elif case == "other-url":
        headers = _signed_headers(url.replace("limit=2", "limit=3"))
    elif case == "unknown-key":
        headers["X-HEXOAPIKEY"] = "nobody-public"
    elif case == "old":  # a replayed signature from ten minutes ago
        headers = _signed_headers(url, stamp=int(time.time()) - 600)
    elif case == "future":
        headers = _signed_headers(url, stamp=int(time.time()) + 600)
    elif case == "garbage-stamp":
        headers = _signed_headers(url, stamp="yesterday")
    elif case == "missing-signature":
        del headers["X-HEXOAPISIGNATURE"]
    elif case == "other-secret":
        headers = _signed_headers(url, secret="demo-friend-private")
    r = requests.get(url, headers=headers)
    assert r.status_code == 401
    _no_secret_in(_error(r))


def test_signature_window_is_configurable(hexoskin_emulator_factory):
    emu = hexoskin_emulator_factory(signature_window=5)
    url = emu.url + "/api/v1/account/"
    assert requests.get(url, headers=_signed_headers(url)).status_code == 200
    old = _signed_headers(url, stamp=int(time.time()) - 30)
    assert requests.get(url, headers=old).status_code == 401


# ----------------------------------------------------------------------------- OAuth2


def _token(emu, **form):
    return requests.post(emu.url + "/api/connect/oauth2/token/", data=form, auth=CLIENT)


def test_password_grant_and_bearer(hexoskin_emulator):
    r = _token(
        hexoskin_emulator, grant_type="password", username=ME["email"], password=ME["password"]
    )
    assert r.status_code == 200, r.text
    tok = r.json()
    assert set(tok) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    assert tok["token_type"] == "Bearer" and tok["expires_in"] == 3600
    assert tok["scope"] == "readonly readwrite"
    r = requests.get(
        hexoskin_emulator.url + "/api/v1/account/",
        headers={"Authorization": f"Bearer {tok['access_token']}"},
    )
    assert r.status_code == 200 and r.json()["objects"][0]["id"] == 1511


def test_client_credentials_in_form(hexoskin_emulator):
    r = requests.post(
        hexoskin_emulator.url + "/api/connect/oauth2/token/",
        data={
            "grant_type": "password",
            "username": ME["email"],
            "password": ME["password"],
            "client_id": CLIENT[0],
            "client_secret": CLIENT[1],
        },
    )
    assert r.status_code == 200


@pytest.mark.parametrize(
    "form, client, status, code",
    [
        (
            {"grant_type": "password", "username": ME["email"], "password": "nope"},
            CLIENT,
            400,
            "invalid_grant",
        ),
        (
            {"grant_type": "password", "username": ME["email"], "password": ME["password"]},
            ("hexoframe-demo", "wrong"),
            401,
            "invalid_client",
        ),
        (
            {"grant_type": "password", "username": ME["email"], "password": ME["password"]},
            None,
            401,
            "invalid_client",
        ),
        ({"grant_type": "client_magic"}, CLIENT, 400, "unsupported_grant_type"),
        ({}, CLIENT, 400, "invalid_request"),
        ({"grant_type": "refresh_token", "refresh_token": "made-up"}, CLIENT, 400, "invalid_grant"),
        (
            {
                "grant_type": "password",
                "username": ME["email"],
                "password": ME["password"],
                "scope": "admin",
            },
            CLIENT,
            400,
            "invalid_scope",
        ),
    ],
)
def test_token_failures(hexoskin_emulator, form, client, status, code):
    r = requests.post(hexoskin_emulator.url + "/api/connect/oauth2/token/", data=form, auth=client)
    assert r.status_code == status
    assert reason(r) == code
    _no_secret_in(r.text)


def test_token_endpoint_is_post_only(hexoskin_emulator):
    r = requests.get(hexoskin_emulator.url + "/api/connect/oauth2/token/")
    assert r.status_code == 405


def test_expired_token_and_refresh(hexoskin_emulator_factory):
    emu = hexoskin_emulator_factory(token_ttl=0.3)
    tok = _token(emu, grant_type="password", username=ME["email"], password=ME["password"]).json()
    url = emu.url + "/api/v1/account/"
    bearer = {"Authorization": f"Bearer {tok['access_token']}"}
    assert requests.get(url, headers=bearer).status_code == 200
    time.sleep(0.4)
    r = requests.get(url, headers=bearer)
    assert r.status_code == 401
    assert "expired" in reason(r)
    assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    _no_secret_in(r.text)
    assert tok["access_token"] not in r.text

    fresh = _token(emu, grant_type="refresh_token", refresh_token=tok["refresh_token"])
    assert fresh.status_code == 200
    new = fresh.json()
    assert new["access_token"] != tok["access_token"]
    assert (
        requests.get(url, headers={"Authorization": f"Bearer {new['access_token']}"}).status_code
        == 200
    )
    # refresh tokens are single-use
    again = _token(emu, grant_type="refresh_token", refresh_token=tok["refresh_token"])
    assert again.status_code == 400 and reason(again) == "invalid_grant"


def test_unknown_bearer_token(hexoskin_emulator):
    r = requests.get(
        hexoskin_emulator.url + "/api/v1/account/", headers={"Authorization": "Bearer not-a-token"}
    )
    assert r.status_code == 401
    assert "not-a-token" not in r.text


def test_readonly_scope_cannot_write(hexoskin_emulator):
    tok = _token(
        hexoskin_emulator,
        grant_type="password",
        username=ME["email"],
        password=ME["password"],
        scope="readonly",
    ).json()
    assert tok["scope"] == "readonly"
    bearer = {"Authorization": f"Bearer {tok['access_token']}"}
    base = hexoskin_emulator.url + "/api/v1/"
    assert requests.get(base + "range/", headers=bearer).status_code == 200
    r = requests.post(base + "range/", headers=bearer, json={"start": 1, "end": 2})
    assert r.status_code == 403


def test_keep_alive_reuses_one_connection(hexoskin_emulator):
    import base64
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", hexoskin_emulator.port, timeout=5)
    token = base64.b64encode(f"{ME['email']}:{ME['password']}".encode()).decode()
    socks = []
    for path in (
        "/api/v1/record/37700/",
        "/api/v1/nothing/",
        "/api/v1/record/",
        "/api/v1/data/?datatype=19&record=37700",
    ):
        conn.request("GET", path, headers={"Authorization": f"Basic {token}"})
        socks.append(conn.sock)
        resp = conn.getresponse()
        body = resp.read()
        assert len(body) == int(resp.headers["Content-Length"])
        assert not resp.will_close
    assert all(s is socks[0] for s in socks)
    conn.close()
