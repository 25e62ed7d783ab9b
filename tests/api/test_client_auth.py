"""Authentication against the emulator, and secrets kept out of logs, reprs, errors, pickles."""

from __future__ import annotations

import base64
import logging
import pickle
import time

import pytest
import requests

from hexoframe.api.client import Client
from hexoframe.core import errors
from hexoframe.emulator.store import DEMO_USERS

#: The demo athlete, from the emulator's own table (what ``hexoskin_users`` holds).
EMAIL, PASSWORD = DEMO_USERS["athlete"]["email"], DEMO_USERS["athlete"]["password"]
PUBLIC, PRIVATE = "demo-athlete-public", "demo-athlete-private"
CLIENT_ID, CLIENT_SECRET = "hexoframe-demo", "hexoframe-demo-secret"
APP = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}


pytestmark = pytest.mark.usefixtures("clean_credentials")


@pytest.fixture(scope="module")
def emu(hexoskin_module_emulator_factory):
    """Access tokens live one second here."""
    return hexoskin_module_emulator_factory(token_ttl=1)


def token_pair(emu) -> dict:
    resp = requests.post(
        emu.url + "/api/connect/oauth2/token/",
        data={"grant_type": "password", "username": EMAIL, "password": PASSWORD},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    )
    resp.raise_for_status()
    return resp.json()


# -- API-key signature ----------------------------------------------------------------------------
def test_signature_auth(emu):
    client = Client(emu.url, api_key=PUBLIC, api_secret=PRIVATE)
    assert client.auth_kind == "apikey"
    assert client.account()["id"] == 1511
    frame = client.records(start__gte="2024-05-02", order_by="start")  # signed with a query
    assert frame.loc[0, "id"] == 37701
    resp = client.request("GET", "account/")
    assert resp.request.headers["X-HEXOAPIKEY"] == PUBLIC
    assert "Authorization" not in resp.request.headers
    assert PRIVATE not in str(resp.request.headers) and PRIVATE not in resp.request.url


def test_signature_wrong_secret(emu):
    client = Client(emu.url, api_key=PUBLIC, api_secret="not-the-private-key", retries=0)
    with pytest.raises(errors.AuthenticationError) as info:
        client.records()
    assert info.value.status == 401
    assert "not-the-private-key" not in str(info.value)


# -- OAuth2 ---------------------------------------------------------------------------------------
def test_password_grant_and_proactive_refresh(emu):
    client = Client(emu.url, username=EMAIL, password=PASSWORD, **APP)
    assert client.auth_kind == "oauth2"
    assert client.account()["id"] == 1511
    assert client.auth.token_requests == 1
    time.sleep(1.1)  # the access token has expired
    assert client.get("record", 37700)["id"] == 37700
    assert client.auth.token_requests == 2  # refreshed once, before sending


def test_expired_token_refreshed_after_401_then_retried(emu):
    pair = token_pair(emu)
    time.sleep(1.1)
    client = Client(
        emu.url, token=pair["access_token"], refresh_token=pair["refresh_token"], **APP
    )  # the expiry is unknown: the 401 reveals it
    emu.reset_stats()
    assert client.get("record", 37700)["id"] == 37700
    assert client.auth.token_requests == 1
    assert emu.stats.by_path["/api/v1/record/37700/"] == 2  # refused, then accepted
    assert client.get("record", 37701)["id"] == 37701  # the new token works on


def test_expired_token_without_refresh_is_authentication_error(emu):
    pair = token_pair(emu)
    time.sleep(1.1)
    client = Client(emu.url, token=pair["access_token"], retries=0)
    with pytest.raises(errors.AuthenticationError) as info:
        client.get("record", 37700)
    assert info.value.status == 401


def test_bad_client_secret_is_authentication_error(emu):
    client = Client(
        emu.url,
        username=EMAIL,
        password=PASSWORD,
        client_id=CLIENT_ID,
        client_secret="wrong-client-secret",
    )
    with pytest.raises(errors.AuthenticationError) as info:
        client.account()
    assert "wrong-client-secret" not in str(info.value)
    assert info.value.url == emu.url + "/api/connect/oauth2/token/"


def test_one_refresh_for_many_threads(emu):
    from concurrent.futures import ThreadPoolExecutor

    client = Client(emu.url, username=EMAIL, password=PASSWORD, pool_size=8, **APP)
    client.account()
    time.sleep(1.1)
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda i: client.get("record", 37700)["id"], range(16)))
    assert got == [37700] * 16
    # one refresh for all threads (a third only if the machine stalls past the new expiry)
    assert client.auth.token_requests in (2, 3)


# -- no secrets anywhere --------------------------------------------------------------------------
def test_secrets_never_leak(emu, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)  # every logger: hexoframe, urllib3, requests, emulator
    seen: list[str] = []

    basic = Client(emu.url, username=EMAIL, password=PASSWORD)
    signed = Client(emu.url, api_key=PUBLIC, api_secret=PRIVATE)
    oauth = Client(emu.url, username=EMAIL, password=PASSWORD, **APP)
    for c in (basic, signed, oauth):
        c.records(start__gte="2024-05-01")
        c.get("record", 37700)
        seen += [repr(c), str(c), repr(c.auth), pickle.dumps(c).decode("latin-1")]
    tokens = [oauth.auth._access_token, oauth.auth._refresh_token]
    assert all(tokens)

    failures = [
        Client(emu.url, username=EMAIL, password="bad-" + PASSWORD, retries=0),
        Client(emu.url, api_key=PUBLIC, api_secret="bad-" + PRIVATE, retries=0),
        Client(emu.url, token="bad-token-value", retries=0),
        Client(emu.url, username=EMAIL, password="bad-" + PASSWORD, **APP),
    ]
    for c in failures:
        with pytest.raises(errors.HexoskinError) as info:
            c.get("record", 37700)
        seen += [
            str(info.value),
            repr(info.value),
            repr(info.value.__dict__),
            pickle.dumps(info.value).decode("latin-1"),
        ]
        seen += [repr(c), pickle.dumps(c).decode("latin-1")]

    basic_header = base64.b64encode(f"{EMAIL}:{PASSWORD}".encode()).decode()
    secrets = [
        f":{PASSWORD}",
        f"password={PASSWORD}",
        PRIVATE,
        CLIENT_SECRET,
        basic_header,
        "bad-token-value",
        "bad-" + PASSWORD,
        *tokens,
    ]
    text = "\n".join(seen) + "\n" + "\n".join(r.getMessage() for r in caplog.records)
    assert any("GET" in r.getMessage() and r.name == "hexoframe" for r in caplog.records)
    for secret in secrets:
        assert secret not in text, secret
    assert "Bearer" not in text and "Basic " not in text


def test_refresh_token_alone_is_enough(emu):
    pair = token_pair(emu)
    client = Client(emu.url, refresh_token=pair["refresh_token"], **APP)
    assert client.auth_kind == "oauth2"
    assert client.account()["id"] == 1511
    assert client.auth.token_requests == 1
