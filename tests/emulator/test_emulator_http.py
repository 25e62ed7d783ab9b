"""The emulator's HTTP layer as Django and Tastypie answer: APPEND_SLASH, method override,
OPTIONS/HEAD from the schema, 415, empty 401/404 bodies, form-shaped validation errors;
and hexoframe's client reading each of them."""

from __future__ import annotations

import re

import pytest
import requests
from answers import reason

from hexoframe.api.client import Client
from hexoframe.core import errors


@pytest.fixture
def api(hexoskin_emulator):
    return hexoskin_emulator.url + "/api/v1/"


def test_append_slash_redirects_permanently_with_the_query(api, athlete_auth):
    r = requests.get(
        api + "record/37700",
        params={"format": "json", "x": "1"},
        auth=athlete_auth,
        allow_redirects=False,
    )
    assert r.status_code == 301 and r.content == b""
    assert r.headers["Location"] == "/api/v1/record/37700/?format=json&x=1"
    followed = requests.get(api + "record/37700", auth=athlete_auth)
    assert followed.status_code == 200 and followed.json()["id"] == 37700
    assert [h.status_code for h in followed.history] == [301]
    # a path that would not match with a slash either is a plain 404, not a redirect
    r = requests.get(api + "nosuchresource", auth=athlete_auth, allow_redirects=False)
    assert r.status_code == 404


def test_hexoframe_client_follows_the_slash_redirect(hexoskin_emulator, athlete_auth):
    with Client(
        hexoskin_emulator.url, username=athlete_auth[0], password=athlete_auth[1]
    ) as client:
        assert client.get_json("record/37700")["id"] == 37700
        assert client.get_json("/api/v1/user/1511")["id"] == 1511


def test_options_lists_the_schemas_methods_without_credentials(api):
    r = requests.options(api + "range/")
    assert r.status_code == 200 and r.headers["Allow"] == "GET,POST,PATCH" == r.text
    r = requests.options(api + "range/58979/")
    assert r.status_code == 200 and r.headers["Allow"] == "GET,PUT,PATCH,DELETE"
    r = requests.options(api + "datatype/")
    assert r.headers["Allow"] == "GET"
    r = requests.options(api)
    assert r.status_code == 200 and r.headers["Allow"] == "GET"


def test_head_is_refused_with_allow(api, athlete_auth):
    r = requests.head(api + "record/", auth=athlete_auth)
    assert r.status_code == 405 and r.headers["Allow"] == "GET,POST"
    assert r.content == b""


def test_method_override_header(api, athlete_auth):
    session = requests.Session()
    session.auth = athlete_auth
    made = session.post(
        api + "range/",
        json={"name": "override", "start": 438926745600, "end": 438926745600 + 2560, "user": 1511},
    )
    assert made.status_code == 201
    where = made.headers["Location"]
    host = api.split("/api/")[0]
    r = session.post(
        host + where,
        json={"name": "patched by override"},
        headers={"X-HTTP-Method-Override": "PATCH"},
    )
    assert r.status_code == 202 and r.json()["name"] == "patched by override"
    r = session.post(host + where, headers={"X-HTTP-Method-Override": "DELETE"})
    assert r.status_code == 204
    assert session.get(host + where).status_code == 404
    r = session.post(api + "datatype/", headers={"X-HTTP-Method-Override": "GET"})
    assert r.status_code == 200 and r.json()["meta"]["total_count"] > 40
    r = session.get(api + "datatype/", headers={"X-HTTP-Method-Override": "DELETE"})
    assert r.status_code == 405


@pytest.mark.parametrize(
    "ctype",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
        "multipart/form-data; boundary=x",
    ],
)
def test_non_json_bodies_are_415(api, ctype, athlete_auth):
    r = requests.post(
        api + "range/", data=b'{"name": "x"}', auth=athlete_auth, headers={"Content-Type": ctype}
    )
    assert r.status_code == 415 and "application/json" in reason(r)


def test_json_with_charset_and_a_missing_content_type_are_json(api, athlete_auth):
    body = b'{"name": "charset", "start": 438926745600, "end": 438926748160, "user": 1511}'
    r = requests.post(
        api + "range/",
        data=body,
        auth=athlete_auth,
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert r.status_code == 201
    assert (
        requests.delete(
            api.split("/api/")[0] + r.headers["Location"], auth=athlete_auth
        ).status_code
        == 204
    )


def test_empty_401_and_404_bodies_and_the_clients_errors(hexoskin_emulator, api, athlete_auth):
    r = requests.get(api + "record/", auth=("athlete@hexoskin.com", "wrong"))
    assert r.status_code == 401 and r.content == b"" and "WWW-Authenticate" in r.headers
    r = requests.get(api + "record/99999999/", auth=athlete_auth)
    assert r.status_code == 404 and r.content == b""
    with Client(
        hexoskin_emulator.url, username=athlete_auth[0], password=athlete_auth[1]
    ) as client:
        with pytest.raises(errors.NotFound) as info:
            client.get("record", 99999999)
        assert info.value.status == 404 and "record/99999999/" in str(info.value)
    with Client(hexoskin_emulator.url, username=athlete_auth[0], password="wrong") as bad:
        with pytest.raises(errors.AuthenticationError) as auth_info:
            bad.get("record", 37700)
        assert auth_info.value.status == 401 and "wrong" not in str(auth_info.value)


@pytest.mark.parametrize(
    "body, field, message",
    [
        ({"name": "x", "end": 2, "user": 1511}, "start", "This field is required."),
        ({"name": "x", "start": "soon", "end": 2, "user": 1511}, "start", "Enter a whole number."),
        (
            {"name": "x", "start": 5, "end": 2, "user": 1511},
            "end",
            "The end (2) is before the start (5).",
        ),
        (
            {"name": "x", "start": None, "end": 2, "user": 1511},
            "start",
            "This field cannot be null.",
        ),
    ],
)
def test_validation_errors_have_tastypies_form_shape(
    hexoskin_emulator, api, body, field, message, athlete_auth
):
    r = requests.post(api + "range/", json=body, auth=athlete_auth)
    assert r.status_code == 400
    assert r.json() == {"range": {field: [message]}}
    if isinstance(body.get("start"), str):
        return  # hexoframe refuses a start that is no time before sending it
    with Client(
        hexoskin_emulator.url, username=athlete_auth[0], password=athlete_auth[1]
    ) as client:
        with pytest.raises(errors.BadRequest, match=re.escape(f"range.{field}: {message}")):
            client.create("range", body)


def test_405_is_read_by_the_client_with_the_allowed_methods(hexoskin_emulator, athlete_auth):
    with Client(
        hexoskin_emulator.url, username=athlete_auth[0], password=athlete_auth[1]
    ) as client:
        with pytest.raises(errors.MethodNotAllowed, match="allowed methods: GET"):
            client.request("DELETE", "datatype/19/")


def test_writes_without_the_slash_are_refused_not_lost(api, athlete_auth):
    """A 301 would turn the POST into a GET in every client that follows it; the emulator
    refuses the write instead, and nothing is created."""
    before = requests.get(api + "range/", auth=athlete_auth).json()["meta"]["total_count"]
    r = requests.post(
        api + "range",
        json={"name": "x", "start": 438926745600, "end": 438926748160},
        auth=athlete_auth,
    )
    assert r.status_code == 404 and "/api/v1/range/" in reason(r)
    assert requests.get(api + "range/", auth=athlete_auth).json()["meta"]["total_count"] == before


def test_every_missing_required_field_is_listed(api, athlete_auth):
    r = requests.post(api + "record/", json={}, auth=athlete_auth)
    assert r.status_code == 400 and r.json() == {
        "record": {"start": ["This field is required."], "end": ["This field is required."]}
    }


def test_reason_header_holds_printable_ascii_only(api, athlete_auth):
    r = requests.get(api + "record/99999999/", auth=athlete_auth)
    assert r.status_code == 404 and reason(r).isprintable() and reason(r).isascii()
