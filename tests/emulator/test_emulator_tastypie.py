"""Tastypie's behaviour where the schema says nothing (issue 9, "Tastypie behaviour").

django-tastypie reads a Django QueryDict: parameters that name no field are ignored (clients
add cache busters), a repeated ``__in`` merges its values (``getlist``), ``previous`` is null
while ``offset - limit < 0``, detail views ignore parameters they do not use, and paging and
filter errors use its wording.
"""

from __future__ import annotations

import pytest
import requests
from answers import reason


@pytest.fixture(scope="module")
def api(hexoskin_emulator, hexoskin_users):
    athlete = hexoskin_users["athlete"]
    session = requests.Session()
    session.auth = (athlete["email"], athlete["password"])

    def get(path, params=None):
        return session.get(hexoskin_emulator.api_url + path, params=params, timeout=30)

    yield get
    session.close()


@pytest.mark.parametrize(
    "params",
    [{"foo": "bar"}, {"_": "123"}, {"callback": "cb"}, {"format": "json"}, {"colour": "x"}],
)
def test_unknown_parameters_are_ignored(api, params):
    plain = api("record/").json()
    r = api("record/", params)
    assert r.status_code == 200
    assert r.json()["objects"] == plain["objects"]
    assert r.json()["meta"]["total_count"] == plain["meta"]["total_count"] == 29


def test_repeated_in_parameters_merge_as_getlist(api):
    complete = api("record/", {"status": "complete"}).json()["meta"]["total_count"]
    realtime = api("record/", {"status": "realtime"}).json()["meta"]["total_count"]
    both = api("record/", [("status__in", "complete"), ("status__in", "realtime")]).json()
    assert both["meta"]["total_count"] == complete + realtime == 29
    # a repeated plain parameter counts once, with its last value (QueryDict.__getitem__)
    last = api("record/", [("status", "realtime"), ("status", "complete")]).json()
    assert last["meta"]["total_count"] == complete


@pytest.mark.parametrize(
    "offset, limit, previous", [(0, 5, None), (3, 5, None), (5, 5, 0), (12, 5, 7)]
)
def test_previous_is_null_while_offset_minus_limit_is_negative(api, offset, limit, previous):
    meta = api("record/", {"offset": offset, "limit": limit}).json()["meta"]
    if previous is None:
        assert meta["previous"] is None
    else:
        assert f"offset={previous}" in meta["previous"] and f"limit={limit}" in meta["previous"]


def test_detail_views_ignore_parameters_they_do_not_use(api):
    plain = api("record/37700/").json()
    r = api("record/37700/", {"_": "1", "foo": "bar", "format": "json"})
    assert r.status_code == 200 and r.json() == plain


@pytest.mark.parametrize(
    "params, message",
    [
        ({"limit": "abc"}, "Invalid limit 'abc' provided. Please provide a positive integer."),
        ({"limit": "-1"}, "Invalid limit '-1' provided. Please provide a positive integer >= 0."),
        ({"offset": "x"}, "Invalid offset 'x' provided. Please provide an integer."),
        ({"status__gt": "a"}, "'gt' is not an allowed filter on the 'status' field."),
        ({"garment": "x"}, "The 'garment' field does not allow filtering."),
        ({"order_by": "colour"}, "No matching 'colour' field for ordering on."),
    ],
)
def test_errors_use_tastypies_wording(api, params, message):
    r = api("record/", params)
    assert r.status_code == 400
    assert reason(r) == message


def test_huge_limit_is_the_largest_page(api):
    r = api("record/", {"limit": "99999999999999999999999"})
    assert r.status_code == 200 and len(r.json()["objects"]) == 29


@pytest.fixture()
def writer(hexoskin_emulator_factory, hexoskin_users):
    emu = hexoskin_emulator_factory()  # its own: the writes never disturb other tests
    athlete = hexoskin_users["athlete"]
    session = requests.Session()
    session.auth = (athlete["email"], athlete["password"])
    yield emu, session
    session.close()


@pytest.mark.parametrize(
    "start, stored", [(459885925420.0234, 459885925420), ("459885925420", 459885925420), (True, 1)]
)
def test_integer_fields_take_int_of_what_they_get(writer, start, stored):
    emu, s = writer
    r = s.post(
        emu.api_url + "range/",
        json={"name": "x", "user": 1511, "start": start, "end": 459885935420},
    )
    assert r.status_code == 201, r.text
    assert r.json()["start"] == stored


@pytest.mark.parametrize("start", ["12.5", "abc", [1]])
def test_integer_fields_refuse_what_int_refuses(writer, start):
    emu, s = writer
    r = s.post(
        emu.api_url + "range/",
        json={"name": "x", "user": 1511, "start": start, "end": 459885935420},
    )
    assert r.status_code == 400


def test_write_status_codes_and_location_as_tastypie(writer):
    emu, s = writer
    r = s.post(emu.api_url + "range/", json={"name": "x", "user": 1511, "start": 1, "end": 2})
    assert r.status_code == 201
    location = r.headers["Location"]
    assert location == f"/api/v1/range/{r.json()['id']}/" == r.json()["resource_uri"]
    r = s.patch(emu.url + location, json={"name": "y"})
    assert (r.status_code, r.json()["name"]) == (202, "y")
    body = {k: v for k, v in r.json().items() if k in ("name", "user", "start", "end")}
    r = s.put(emu.url + location, json={**body, "name": "z"})
    assert (r.status_code, r.json()["name"]) == (200, "z")
    r = s.delete(emu.url + location)
    assert (r.status_code, r.content) == (204, b"")


@pytest.mark.parametrize("extra", [{"_": "1700000000"}, {"callback": "cb"}, {"foo": "bar"}])
def test_data_endpoint_ignores_unknown_parameters(api, extra):
    params = {
        "datatype": 19,
        "record": 37700,
        "start": 438926745600,
        "end": 438926745600 + 256 * 10,
    }
    plain = api("data/", params)
    r = api("data/", {**params, **extra})
    assert r.status_code == 200 and r.json() == plain.json()
    assert len(r.json()[0]["data"]["19"]) == 9
    # parameters whose meaning is not established are still refused, saying so
    assert api("data/", {**params, "scaled": "1"}).status_code == 400
