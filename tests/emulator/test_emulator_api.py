"""The emulator's Tastypie surface, over real HTTP on loopback."""

from __future__ import annotations

import pytest
import requests
from answers import reason

from hexoframe.emulator import DEMO_USERS

ATHLETE = (DEMO_USERS["athlete"]["email"], DEMO_USERS["athlete"]["password"])
FRIEND = (DEMO_USERS["friend"]["email"], DEMO_USERS["friend"]["password"])
COACH = (DEMO_USERS["coach"]["email"], DEMO_USERS["coach"]["password"])
ATHLETE2 = (DEMO_USERS["athlete2"]["email"], DEMO_USERS["athlete2"]["password"])
STRANGER = (DEMO_USERS["stranger"]["email"], DEMO_USERS["stranger"]["password"])


@pytest.fixture(scope="module")
def reader(hexoskin_module_emulator_factory):
    """A module-wide emulator these tests only read (counts stay exact)."""
    return hexoskin_module_emulator_factory()


@pytest.fixture(scope="module")
def api(reader):
    """A keep-alive session of the athlete against the module's read-only emulator."""
    s = requests.Session()
    s.auth = ATHLETE
    base = reader.url + "/api/v1/"

    def get(path, **kw):
        return s.get(base + path, **kw)

    get.session = s
    get.base = base
    yield get
    s.close()


@pytest.fixture()
def emu(hexoskin_emulator_factory):
    """A private emulator for tests that write."""
    return hexoskin_emulator_factory()


def test_url_is_server_root(hexoskin_emulator):
    assert hexoskin_emulator.url.startswith("http://127.0.0.1:")
    assert not hexoskin_emulator.url.endswith("/")
    assert hexoskin_emulator.api_url == hexoskin_emulator.url + "/api/v1/"


def test_factory_fixture(hexoskin_emulator_factory):
    from hexoframe.emulator import FaultConfig

    a = hexoskin_emulator_factory()
    b = hexoskin_emulator_factory(faults=FaultConfig(rate_limit_rate=1.0))
    assert a.url != b.url and a.running and b.running
    assert requests.get(a.url + "/api/v1/account/", auth=ATHLETE).status_code == 200
    assert requests.get(b.url + "/api/v1/account/", auth=ATHLETE).status_code == 429


def test_plugin_fixtures(hexoskin_env, hexoskin_users):
    import os

    assert os.environ["HEXOSKIN_URL"] == hexoskin_env.url
    assert os.environ["HEXOSKIN_USERNAME"] == hexoskin_users["athlete"]["email"] == ATHLETE[0]
    assert hexoskin_users["coach"]["id"] == 1513


def test_api_root_lists_resources(api):
    for prefix in ("/api/v1/", "/api/"):
        r = requests.get(api.base.replace("/api/v1/", prefix))
        assert r.status_code == 200
        body = r.json()
        assert body["record"] == {
            "list_endpoint": f"{prefix}record/",
            "schema": f"{prefix}record/schema/",
        }
        assert {
            "account",
            "user",
            "profile",
            "device",
            "datatype",
            "metric",
            "record",
            "range",
            "annotation",
            "track",
            "trackpoint",
            "trainingroutine",
            "activitytype",
            "report",
            "data",
        } <= set(body)


def test_schema_endpoint(api):
    r = api("record/schema/")
    assert r.status_code == 200
    s = r.json()
    assert s["allowed_list_http_methods"] == ["get", "post"]
    assert s["allowed_detail_http_methods"] == ["get", "put", "patch", "delete"]
    assert s["default_limit"] == 20
    assert s["filtering"]["status"] == ["exact", "in"]
    assert s["ordering"] == ["id", "start", "end", "device", "user", "last_modified"]
    assert "start_date" in s["fields"]


def test_record_list_and_detail(api):
    r = api("record/")
    assert r.status_code == 200
    body = r.json()
    # 1511: 37700-37702 + 25 daily records; 1512 (friend): 37710
    assert body["meta"] == {
        "limit": 20,
        "next": "/api/v1/record/?limit=20&offset=20",
        "offset": 0,
        "previous": None,
        "total_count": 29,
    }
    assert len(body["objects"]) == 20
    rec = api("record/37700/").json()
    assert rec["id"] == 37700
    assert rec["user"] == {  # nested, as the reference's record list shows it
        "email": "athlete@hexoskin.com",
        "first_name": "Athlete",
        "id": 1511,
        "last_name": "Hexoskin",
        "profile": "/api/v1/profile/1460/",
        "resource_uri": "/api/v1/user/1511/",
        "username": "athlete@hexoskin.com",
    }
    assert rec["start"] == 1714557600 * 256
    assert rec["end"] == (1714557600 + 3600) * 256
    assert rec["start_date"] == "2024-05-01T10:00:00+00:00"
    assert rec["status"] == "complete"
    assert rec["resource_uri"] == "/api/v1/record/37700/"
    assert rec["device"] == "/api/v1/device/HXSKIN1200002115/"


def test_same_resources_under_api_prefix(api):
    r = requests.get(api.base.replace("/api/v1/", "/api/") + "record/37700/", auth=ATHLETE)
    assert r.status_code == 200
    assert r.json()["resource_uri"] == "/api/record/37700/"


def test_unauthenticated_is_an_empty_401(api):
    """Tastypie's HttpUnauthorized has no body; the emulator says why in a header."""
    r = requests.get(api.base + "record/")
    assert r.status_code == 401 and r.content == b""
    assert r.headers["WWW-Authenticate"] and reason(r)


# ----------------------------------------------------------------------------- pagination

REC = {  # seeded record starts (ticks)
    37700: 1714557600 * 256,
    37701: 1714608000 * 256,
    37702: 1715299200 * 256,
    37710: 1714723200 * 256,
}


def test_recorder_annotations_on_every_record(api):
    got = api(
        "annotation/", params={"record": 37700, "datatype__in": "208,209", "order_by": "start"}
    ).json()["objects"]
    assert [(o["datatype"], o["start"], o["annotation"]) for o in got] == [
        ("/api/v1/datatype/208/", 438926745600, "recorder start"),
        ("/api/v1/datatype/209/", 438926745600 + 3600 * 256, "recorder stop"),
    ]


def test_default_limit_and_pages_keep_filters(api):
    body = api("annotation/", params={"user": 1511}).json()
    assert body["meta"] == {
        "limit": 20,
        "offset": 0,
        "previous": None,
        "total_count": 1306,
        "next": "/api/v1/annotation/?user=1511&limit=20&offset=20",
    }
    second = api.session.get(api.base.replace("/api/v1/", "") + body["meta"]["next"]).json()
    assert second["meta"]["offset"] == 20
    assert second["meta"]["previous"] == "/api/v1/annotation/?user=1511&limit=20&offset=0"
    assert [o["id"] for o in second["objects"]] == list(range(61373, 61393))


def test_more_than_1000_objects_across_pages(api):
    first = api("annotation/", params={"limit": 0}).json()
    assert first["meta"]["limit"] == 1000
    # 1250 own notes + 2 recorder annotations on each of 28 own records; the friend's
    # 2 notes + 2 recorder annotations
    assert first["meta"]["total_count"] == 1310
    assert len(first["objects"]) == 1000
    assert first["meta"]["next"] == "/api/v1/annotation/?limit=1000&offset=1000"
    rest = api.session.get(api.base[: -len("/api/v1/")] + first["meta"]["next"]).json()
    assert len(rest["objects"]) == 310
    assert rest["meta"]["next"] is None
    ids = [o["id"] for o in first["objects"] + rest["objects"]]
    assert len(set(ids)) == 1310


def test_limit_is_capped_at_1000(api):
    body = api("trackpoint/", params={"track": 80, "limit": 5000}).json()
    assert body["meta"]["limit"] == 1000
    assert body["meta"]["total_count"] == 1200
    assert len(body["objects"]) == 1000


def test_offset_past_the_end_is_empty(api):
    body = api("record/", params={"offset": 500}).json()
    assert body["objects"] == []
    assert body["meta"]["total_count"] == 29
    assert body["meta"]["next"] is None


@pytest.mark.parametrize(
    "params", [{"limit": "abc"}, {"limit": -1}, {"offset": "1.5"}, {"offset": -3}]
)
def test_bad_paging_is_400(api, params):
    r = api("record/", params=params)
    assert r.status_code == 400
    assert "limit" in reason(r) or "offset" in reason(r)


# ----------------------------------------------------------------------------- filters


def _count(api, resource, **params):
    r = api(resource + "/", params=params)
    assert r.status_code == 200, r.text
    return r.json()["meta"]["total_count"]


def test_filter_exact_bare_and_related_uri(api):
    assert _count(api, "record", status="complete") == 29
    assert _count(api, "record", status__exact="complete") == 29
    assert _count(api, "record", user=1512) == 1
    assert _count(api, "record", user="/api/v1/user/1512/") == 1
    assert _count(api, "annotation", record="/api/v1/record/37710/") == 4  # 2 + recorder's
    assert _count(api, "annotation", record=37702) == 1252


def test_filter_in(api):
    assert _count(api, "record", id__in="37700,37701,37710") == 3
    assert _count(api, "record", id__in="37700,37720") == 1  # 37720 is not visible
    assert _count(api, "record", user__in="1511,1512") == 29


def test_filter_comparisons(api):
    assert _count(api, "record", start__gte=REC[37701], start__lt=REC[37702]) == 2
    assert _count(api, "record", start__gt=REC[37701], start__lt=REC[37702]) == 1
    assert _count(api, "record", start__lte=REC[37701]) == 2
    assert _count(api, "record", start__lt=REC[37700]) == 0
    assert _count(api, "record", duration__gt=3600) == 3  # 24 h, 7 days, 2 h


def test_filter_range(api):
    assert _count(api, "annotation", id__range="61353,61362") == 10
    assert _count(api, "record", start__range=f"{REC[37700]},{REC[37701]}") == 2


def test_filter_contains_startswith_isnull(api):
    from hexoframe.core import catalog

    ecg = sum("ECG" in d.api_name for d in catalog.all_datatypes())
    assert ecg >= 3
    assert _count(api, "datatype", name__contains="ECG") == ecg
    assert _count(api, "datatype", name__startswith="ECG") == sum(
        d.api_name.startswith("ECG") for d in catalog.all_datatypes()
    )
    assert _count(api, "datatype", freq__isnull="true") == sum(
        d.freq is None for d in catalog.all_datatypes()
    )
    assert _count(api, "user", email__startswith="friend") == 1
    assert _count(api, "user", search="FRIEND") == 1
    assert _count(api, "user", search="hexoskin") == 2
    assert _count(api, "range", activitytype__isnull="false") == 4
    assert _count(api, "range", activitytype__in="8,12") == 2


def test_filter_datetime_field(api):
    assert _count(api, "trackpoint", track=80, time__lt="2024-05-01T10:10:10") == 10
    assert _count(api, "trackpoint", time__gte="2024-05-01T10:29:50Z") == 10


@pytest.mark.parametrize(
    "resource, params, words",
    [
        ("record", {"status__gt": "a"}, ["'gt' is not an allowed filter on the 'status' field"]),
        ("trackpoint", {"user__in": "1511"}, ["'in' is not an allowed filter on the 'user'"]),
        ("record", {"user__profile__id": "3"}, ["'profile'", "'user' field"]),
        ("record", {"start__gt": "yesterday"}, ["start__gt"]),
        ("range", {"start__range": "1"}, ["start__range"]),
        ("datatype", {"freq__isnull": "maybe"}, ["freq__isnull"]),
    ],
)
def test_disallowed_or_malformed_filters_are_400(api, resource, params, words):
    r = api(resource + "/", params=params)
    assert r.status_code == 400
    message = reason(r)
    for w in words:
        assert w in message


# ----------------------------------------------------------------------------- ordering


def test_order_by(api):
    ids = [
        o["id"] for o in api("record/", params={"order_by": "-start", "limit": 3}).json()["objects"]
    ]
    assert ids == [37774, 37773, 37772]
    ids = [
        o["id"] for o in api("record/", params={"order_by": "start", "limit": 3}).json()["objects"]
    ]
    assert ids == [37700, 37701, 37710]
    ids = [
        o["id"]
        for o in api("annotation/", params={"order_by": "-user,id", "limit": 5}).json()["objects"]
    ]
    assert ids == [62603, 62604, 90006, 90007, 61353]  # the friend's (1512) first


def test_order_by_puts_nulls_last_ascending(emu):
    url = emu.url + "/api/v1/range/"
    new = requests.post(url, auth=ATHLETE, json={"start": 256, "end": 512}).json()["id"]

    def ids(order):
        return [
            o["id"]
            for o in requests.get(url, params={"order_by": order}, auth=ATHLETE).json()["objects"]
        ]

    assert ids("trainingroutine") == [58979, 58990, 58981, 58980, new]  # routines 1, 2, 8, 12
    assert ids("-trainingroutine") == [new, 58980, 58981, 58990, 58979]


@pytest.mark.parametrize(
    "resource, field", [("record", "status"), ("datatype", "id"), ("trackpoint", "-speed")]
)
def test_order_by_disallowed_field_is_400(api, resource, field):
    r = api(resource + "/", params={"order_by": field})
    assert r.status_code == 400
    assert field.lstrip("-") in reason(r)


# ----------------------------------------------------------------------------- detail views


def test_detail_views(api):
    dt = api("datatype/19/").json()
    assert dt["id"] == 19 and dt["name"] == "HEART_RATE" and dt["freq"] == 1.0
    assert dt["resource_uri"] == "/api/v1/datatype/19/"
    dev = api("device/HXSKIN1200002115/").json()
    assert dev["deviceid"] == "HXSKIN1200002115" and dev["user"] == "/api/v1/user/1511/"
    assert api("device/2115/").json()["resource_uri"] == "/api/v1/device/HXSKIN1200002115/"
    tp = api("trackpoint/27720/").json()
    assert tp["track"] == "/api/v1/track/80/"
    assert tp["position"] == [-73.6045937, 45.5309066]
    assert tp["time"] == "2024-05-01T10:10:00+00:00"
    track = api("track/80/").json()
    assert track["range"] == "/api/v1/range/58979/"
    rng = api("range/58980/").json()
    assert rng["activitytype"] == "/api/v1/activitytype/12/" and rng["name"] == "sleep"
    assert api("range/58981/").json()["activitytype"] == "/api/v1/activitytype/8/"
    assert api("profile/1460/").json()["user"] == "/api/v1/user/1511/"
    assert api("trainingroutine/12/").json()["activitytype"] == "/api/v1/activitytype/12/"


def test_account_is_the_caller(api):
    body = api("account/").json()
    assert body["meta"]["total_count"] == 1
    me = body["objects"][0]
    assert me["id"] == 1511 and me["email"] == "athlete@hexoskin.com"
    assert me["profile"]["id"] == 1460


@pytest.mark.parametrize(
    "path", ["record/abc/", "record/99999999/", "nosuchthing/", "record/1/2/3/", "datatype/424242/"]
)
def test_unknown_paths_are_404_json(api, path):
    r = api(path)
    assert r.status_code == 404
    assert reason(r)


# ----------------------------------------------------------------------------- method rules


@pytest.mark.parametrize(
    "method, path",
    [
        ("DELETE", "record/"),
        ("PUT", "record/"),
        ("DELETE", "range/"),
        ("PUT", "annotation/"),
        ("POST", "record/37700/"),
        ("POST", "range/58979/"),
        ("GET", "account/1511/"),
        ("POST", "datatype/"),
        ("PUT", "device/2115/"),
        ("DELETE", "datatype/19/"),
        ("POST", "data/"),
        ("PATCH", "record/"),
    ],
)
def test_method_not_allowed(api, method, path):
    """Tastypie's method_check: 405, the allowed methods in ``Allow`` and as the body."""
    r = api.session.request(method, api.base + path, json={})
    assert r.status_code == 405
    assert r.text == r.headers["Allow"] and method not in r.headers["Allow"].split(",")
    assert reason(r)


def test_put_to_missing_instance_is_404(api):
    r = api.session.put(api.base + "range/99999999/", json={"start": 1, "end": 2})
    assert r.status_code == 404


# ----------------------------------------------------------------------------- visibility


@pytest.mark.parametrize(
    "who, path, status",
    [
        (ATHLETE, "record/37700/", 200),
        (ATHLETE, "record/37710/", 200),
        (ATHLETE, "record/37720/", 404),
        (ATHLETE, "record/37730/", 404),
        (ATHLETE, "record/37740/", 404),
        (FRIEND, "record/37700/", 200),
        (FRIEND, "record/37720/", 404),
        (COACH, "record/37700/", 200),
        (COACH, "record/37720/", 200),
        (COACH, "record/37710/", 404),
        (ATHLETE2, "record/37730/", 404),
        (STRANGER, "record/37700/", 404),
        (STRANGER, "record/37740/", 200),
        (STRANGER, "user/1511/", 404),
        (ATHLETE, "user/1513/", 404),
        (COACH, "user/1514/", 200),
        (ATHLETE, "data/?datatype=19&record=37720", 404),
        (COACH, "data/?datatype=19&record=37720&end=" + str(1714813200 * 256 + 2560), 200),
    ],
)
def test_visibility(api, who, path, status):
    r = requests.get(api.base + path, auth=who)
    assert r.status_code == status, r.text


@pytest.mark.parametrize(
    "who, users, records",
    [
        (ATHLETE, [1511, 1512], 29),
        (FRIEND, [1511, 1512], 29),
        (COACH, [1511, 1513, 1514], 30),
        (ATHLETE2, [1514], 1),
        (STRANGER, [1515], 1),
    ],
)
def test_visible_lists(api, who, users, records):
    got = requests.get(api.base + "user/", auth=who).json()
    assert [u["id"] for u in got["objects"]] == users
    assert requests.get(api.base + "record/", auth=who).json()["meta"]["total_count"] == records


# ----------------------------------------------------------------------------- CRUD


def test_create_read_update_delete_range(emu):
    s = requests.Session()
    s.auth = ATHLETE
    base = emu.url + "/api/v1/"
    start = REC[37700] + 256 * 60
    r = s.post(
        base + "range/",
        json={"name": "intervals", "start": start, "end": start + 256 * 120, "trainingroutine": 8},
    )
    assert r.status_code == 201, r.text
    new = r.json()
    rid = new["id"]
    assert r.headers["Location"] == f"/api/v1/range/{rid}/"  # the URI path, as Tastypie
    assert new["user"] == "/api/v1/user/1511/"
    assert new["activitytype"] == "/api/v1/activitytype/8/"
    assert new["duration"] == "120"
    assert new["start_date"] == "2024-05-01T10:01:00+00:00"
    assert s.get(base + f"range/{rid}/").json()["name"] == "intervals"
    assert s.get(base + "range/").json()["meta"]["total_count"] == 5

    r = s.patch(base + f"range/{rid}/", json={"name": "renamed"})
    assert r.status_code == 202 and r.json()["name"] == "renamed"
    assert r.json()["start"] == start

    r = s.put(base + f"range/{rid}/", json={"name": "no start"})
    assert r.status_code == 400 and "start" in reason(r)
    r = s.put(base + f"range/{rid}/", json={"start": start, "end": start + 256})
    assert r.status_code == 200
    assert r.json()["name"] == "" and r.json()["duration"] == "1"  # complete replacement

    assert s.delete(base + f"range/{rid}/").status_code == 204
    assert s.get(base + f"range/{rid}/").status_code == 404
    assert s.delete(base + f"range/{rid}/").status_code == 404


def test_patch_on_list_creates(emu):
    base = emu.url + "/api/v1/"
    r = requests.patch(
        base + "annotation/",
        auth=ATHLETE,
        json={"annotation": "Hey guys!", "start": 123456, "datatype": "/api/v1/datatype/4096/"},
    )
    assert r.status_code == 201
    body = r.json()
    assert body["annotation"] == "Hey guys!"
    assert body["datatype"] == "/api/v1/datatype/4096/"
    assert body["record"] is None
    assert body["start_date"] == "1970-01-01T00:08:02.250000+00:00"
    assert r.headers["Location"].endswith(f"/api/v1/annotation/{body['id']}/")


def test_create_trackpoint_and_track(emu):
    base = emu.url + "/api/v1/"
    r = requests.post(base + "track/", auth=ATHLETE, json={"name": "commute"})
    assert r.status_code == 201
    tid = r.json()["id"]
    r = requests.post(
        base + "trackpoint/",
        auth=ATHLETE,
        json={
            "track": f"/api/v1/track/{tid}/",
            "position": [-73.6, 45.5],
            "time": "2024-05-01T12:00:00",
            "altitude": 30,
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["user"] == "/api/v1/user/1511/"
    assert r.json()["position"] == [-73.6, 45.5]
    got = requests.get(base + "trackpoint/", params={"track": tid}, auth=ATHLETE).json()
    assert got["meta"]["total_count"] == 1


@pytest.mark.parametrize(
    "resource, body, word",
    [
        ("range", {"name": "x"}, "start"),
        ("range", {"start": 1000, "end": 10}, "before"),
        ("range", {"start": "soon"}, "start"),
        ("annotation", {"start": 1, "annotation": "a", "datatype": 999999}, "datatype"),
        ("annotation", {"start": 1, "annotation": "a", "record": 37720}, "record"),
        ("trackpoint", {"track": 80, "position": [500, 1]}, "position"),
        ("range", {"start": 1, "user": 1515}, "user"),
    ],
)
def test_invalid_bodies_are_400(emu, resource, body, word):
    r = requests.post(emu.url + f"/api/v1/{resource}/", auth=ATHLETE, json=body)
    assert r.status_code == 400, r.text
    assert word in reason(r)


def test_non_json_body_is_400(emu):
    r = requests.post(
        emu.url + "/api/v1/range/",
        auth=ATHLETE,
        data=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400
    r = requests.post(emu.url + "/api/v1/range/", auth=ATHLETE, json=[1, 2])
    assert r.status_code == 400


def test_write_permissions(emu):
    base = emu.url + "/api/v1/"
    assert requests.patch(base + "range/58979/", auth=FRIEND, json={"name": "x"}).status_code == 403
    assert (
        requests.patch(base + "range/58979/", auth=STRANGER, json={"name": "x"}).status_code == 404
    )
    r = requests.patch(base + "range/58979/", auth=COACH, json={"name": "coached run"})
    assert r.status_code == 202 and r.json()["name"] == "coached run"
    r = requests.post(base + "range/", auth=COACH, json={"start": 1, "end": 2, "user": 1514})
    assert r.status_code == 201 and r.json()["user"] == "/api/v1/user/1514/"
    assert (
        requests.post(base + "range/", auth=FRIEND, json={"start": 1, "user": 1511}).status_code
        == 403
    )
    r = requests.patch(base + "range/58979/", auth=ATHLETE, json={"user": 1512})
    assert r.status_code == 403  # cannot give a range away to a friend
    assert requests.get(base + "range/58979/", auth=ATHLETE).json()["user"] == "/api/v1/user/1511/"


def test_record_crud_and_data_follow_writes(emu):
    base = emu.url + "/api/v1/"
    start = 1717200000 * 256
    r = requests.post(
        base + "record/", auth=ATHLETE, json={"start": start, "end": start + 256 * 10}
    )
    assert r.status_code == 201
    rid = r.json()["id"]
    assert rid == 122446 or rid > 37774
    data = requests.get(
        base + "data/", params={"datatype": 19, "record": rid, "flat": 1}, auth=ATHLETE
    ).json()
    assert [p[0] for p in data] == [start + 256 * k for k in range(1, 10)]
    r = requests.patch(base + f"record/{rid}/", auth=ATHLETE, json={"end": start + 256 * 5})
    assert r.status_code == 202 and r.json()["duration"] == "5"
    data = requests.get(
        base + "data/", params={"datatype": 19, "record": rid, "flat": 1}, auth=ATHLETE
    ).json()
    assert len(data) == 4


# ----------------------------------------------------------------------------- data endpoint


def test_data_json_csv_binary(api):
    from hexoframe.core import catalog

    q = {"datatype__in": "19,33", "record": 37700}
    body = api("data/", params=q).json()
    assert len(body) == 1 and body[0]["user"] == "/api/v1/user/1511/"
    n = catalog.sample_count(catalog.lookup(19), REC[37700], REC[37700] + 3600 * 256)
    assert len(body[0]["data"]["19"]) == n == 3599
    assert body[0]["data"]["19"][0][0] == REC[37700] + 256
    csv = api("data/", params=q, headers={"Accept": "text/csv"})
    assert csv.headers["Content-Type"].startswith("text/csv")
    assert csv.text.splitlines()[0] == "user,timestamp,19,33"
    assert len(csv.text.splitlines()) == 1 + 3599
    zipped = api(
        "data/",
        params={"datatype": 19, "record": 37700},
        headers={"Accept": "application/octet-stream"},
    )
    assert zipped.status_code == 200 and zipped.content[:2] == b"PK"


def test_data_windows(api):
    start = REC[37700]
    flat = api(
        "data/", params={"datatype": 19, "start": start, "end": start + 2560, "flat": 1}
    ).json()
    assert [p[0] for p in flat] == [start + 256 * k for k in range(1, 10)]
    narrowed = api(
        "data/",
        params={
            "datatype": 19,
            "record": 37700,
            "flat": 1,
            "start": start + 2560,
            "end": start + 5120,
        },
    ).json()
    assert [p[0] for p in narrowed] == [start + 256 * k for k in range(10, 20)]
    by_ts = api(
        "data/",
        params={
            "datatype": 19,
            "record": 37700,
            "flat": 1,
            "timestamp__gte": start + 2560,
            "timestamp__lt": start + 5120,
        },
    ).json()
    assert by_ts == narrowed
    ranged = api("data/", params={"datatype": 19, "range": 58979, "flat": 1}).json()
    assert len(ranged) == 1200
    assert ranged[0][0] == start + 600 * 256
    friend = api(
        "data/",
        params={
            "datatype": 19,
            "user": "/api/v1/user/1512/",
            "flat": 1,
            "start": REC[37710],
            "end": REC[37710] + 1280,
        },
    ).json()
    assert len(friend) == 4


def test_data_subsamples_at_65535(api):
    body = api("data/", params={"datatype": 4113, "record": 37700, "flat": 1}).json()
    n = 3600 * 256
    k = -(-n // 65535)
    assert len(body) == -(-n // k)
    assert body[1][0] - body[0][0] == k


@pytest.mark.parametrize(
    "params, status, word",
    [
        ({"record": 37700}, 400, "datatype"),
        ({"datatype": 99999, "record": 37700}, 400, "99999"),
        ({"datatype": "heart_beat_of_mars", "record": 37700}, 400, "heart_beat_of_mars"),
        ({"datatype": 19}, 400, "record"),
        ({"datatype": 19, "start": 10, "end": 5}, 400, "start"),
        ({"datatype": 19, "start": 10, "end": 10}, 400, "start"),
        ({"datatype": 19, "start": "1e5", "end": 10}, 400, "start"),
        ({"datatype": 19, "record": "abc"}, 400, "record"),
        ({"datatype": 19, "record": 37700, "range": 58979}, 400, "range"),
        ({"datatype": 19, "record": 37700, "flat": "perhaps"}, 400, "flat"),
        ({"datatype": 19, "record": 1}, 404, "record"),
        ({"datatype": 19, "range": 1}, 404, "range"),
        ({"datatype": 19, "start": 0, "end": 10, "user": 1515}, 404, "user"),
    ],
)
def test_data_bad_queries(api, params, status, word):
    r = api("data/", params=params)
    assert r.status_code == status, r.text
    assert word in reason(r)


def test_data_cache_header(emu):
    url = emu.url + "/api/v1/data/?datatype=19&record=37700&end=" + str(REC[37700] + 2560)
    first = requests.get(url, auth=ATHLETE)
    assert first.status_code == 200 and "X-HexoCache" not in first.headers
    second = requests.get(url, auth=ATHLETE)
    assert second.content == first.content
    assert abs(int(second.headers["X-HexoCache"]) - __import__("time").time()) < 60
    csv = requests.get(url, auth=ATHLETE, headers={"Accept": "text/csv"})
    assert "X-HexoCache" not in csv.headers  # Accept is part of the key
    friend = requests.get(url, auth=FRIEND)
    assert "X-HexoCache" not in friend.headers  # so is the caller
    assert emu.stats.data_requests == 4


# ----------------------------------------------------------------------------- CLI


def test_cli_serves_until_sigterm(tmp_path):
    import re
    import signal
    import subprocess
    import sys

    db = tmp_path / "cli.sqlite"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hexoframe.emulator.cli",
            "--db",
            str(db),
            "--seed",
            "3",
            "--rate-limit-rate",
            "1",
            "--retry-after",
            "9",
            "--path-pattern",
            "/data/",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = proc.stdout.readline()
        url = re.search(r"(http://127\.0\.0\.1:\d+)", first).group(1)
        banner = "".join(proc.stdout.readline() for _ in range(8))
        assert "athlete@hexoskin.com / hexoskin" in banner
        assert "hexoframe-demo" in banner
        assert requests.get(url + "/api/v1/record/37700/", auth=ATHLETE).status_code == 200
        r = requests.get(url + "/api/v1/data/?datatype=19&record=37700", auth=ATHLETE)
        assert r.status_code == 429 and r.headers["Retry-After"] == "9"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert db.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()  # waits, drains and closes the pipes


def test_cli_rejects_bad_fault_flags(capsys):
    from hexoframe.emulator.cli import main

    assert main(["--error-rate", "3"]) == 2
    assert "error_rate" in capsys.readouterr().err


# ----------------------------------------------------------------------------- metrics, reports


def test_metric_resource(api):
    from hexoframe.emulator.metrics import METRICS

    body = api("metric/", params={"limit": 0}).json()
    assert body["meta"]["total_count"] == len(METRICS)
    m = api("metric/44/").json()
    assert m["id"] == 44 and m["resource_uri"] == "/api/v1/metric/44/"
    assert _count(api, "metric", id__in="1,44,45") == 3


def test_report_by_record_matches_the_data(api):
    rep = api("report/", params={"include_metrics": "44,45", "record": 37700}).json()
    assert rep["count"] == 1
    hr_avg, histo = rep["data"][0]
    assert hr_avg["metric"] == "/api/v1/metric/44/"
    assert hr_avg["timerange"] == {
        "start": REC[37700],
        "end": REC[37700] + 3600 * 256,
        "user": "/api/v1/user/1511/",
    }
    assert rep["record"]["id"] == 37700
    hr = api("data/", params={"datatype": 19, "record": 37700, "flat": 1}).json()
    assert hr_avg["value"] == pytest.approx(sum(v for _, v in hr) / len(hr))
    assert sum(histo["data2"]["value"]) == len(hr)


def test_report_hrv_only_for_rest_and_sleep_ranges(api):
    def hrv(range_id):
        rep = api("report/", params={"include_metrics": 50, "range": range_id}).json()
        return rep["data"][0][0]["value"]

    assert hrv(58980) != -1  # sleep, activitytype 12
    assert hrv(58981) != -1  # rest, activitytype 8
    assert hrv(58979) == -1  # a run


@pytest.mark.parametrize(
    "params, status",
    [
        ({"record": 37700}, 400),
        ({"include_metrics": "9999", "record": 37700}, 400),
        ({"include_metrics": "44"}, 400),
        ({"include_metrics": "44", "record": 37720}, 404),
        ({"include_metrics": "x", "record": 37700}, 400),
    ],
)
def test_report_errors(api, params, status):
    r = api("report/", params=params)
    assert r.status_code == status
    assert reason(r)


# ----------------------------------------------------------------------------- HTTP details


def test_user_and_profile_updates(emu):
    base = emu.url + "/api/v1/"
    r = requests.patch(
        base + "user/1511/", auth=ATHLETE, json={"first_name": "Ath", "email": "x@y.z"}
    )
    assert r.status_code == 202
    assert r.json()["first_name"] == "Ath"
    assert r.json()["email"] == "athlete@hexoskin.com"  # read-only field ignored
    assert (
        requests.patch(base + "user/1512/", auth=ATHLETE, json={"first_name": "no"}).status_code
        == 403
    )
    r = requests.put(base + "user/1511/", auth=ATHLETE, json={"first_name": "Put"})
    assert r.status_code == 200
    assert r.json()["first_name"] == "Put" and r.json()["last_name"] == "Hexoskin"
    assert r.json()["email"] == "athlete@hexoskin.com"
    r = requests.patch(base + "profile/1460/", auth=ATHLETE, json={"gender": "F"})
    assert r.status_code == 202 and r.json()["gender"] == "F"
    assert (
        requests.get(base + "account/", auth=ATHLETE).json()["objects"][0]["profile"]["gender"]
        == "F"
    )


def test_chunked_request_body(emu):
    def chunks():
        yield b'{"name": "chunked", '
        yield b'"start": 256, "end": 512}'

    r = requests.post(
        emu.url + "/api/v1/range/",
        auth=ATHLETE,
        data=chunks(),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 201
    assert r.json()["name"] == "chunked"


def test_head_refused_as_tastypie_and_connection_close(api):
    r = api.session.head(api.base + "record/37700/")
    assert r.status_code == 405 and r.content == b""  # the schema does not allow HEAD
    assert r.headers["Allow"] == "GET,PUT,PATCH,DELETE"
    r = requests.get(api.base + "record/37700/", auth=ATHLETE, headers={"Connection": "close"})
    assert r.status_code == 200 and r.headers["Connection"] == "close"


def test_absolute_form_target_is_signed_as_sent(reader):
    import hashlib
    import socket
    import time

    info = DEMO_USERS["athlete"]
    url = reader.url + "/api/v1/account/"
    stamp = str(int(time.time()))
    sig = hashlib.sha1(f"{info['api_secret']}{stamp}{url}".encode()).hexdigest()
    with socket.create_connection(("127.0.0.1", reader.port), timeout=5) as sock:
        sock.sendall(
            f"GET {url} HTTP/1.1\r\nHost: 127.0.0.1:{reader.port}\r\n"
            f"X-HEXOAPIKEY: {info['api_key']}\r\nX-HEXOTIMESTAMP: {stamp}\r\n"
            f"X-HEXOAPISIGNATURE: {sig}\r\nConnection: close\r\n\r\n".encode()
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 200")


def test_bulk_patch_on_list(emu):
    base = emu.url + "/api/v1/"
    r = requests.patch(
        base + "annotation/",
        auth=ATHLETE,
        json={
            "objects": [{"start": 256, "annotation": "a"}, {"start": 512, "annotation": "b"}],
            "deleted_objects": ["/api/v1/annotation/61353/", "/api/v1/annotation/61354/"],
        },
    )
    assert r.status_code == 202
    total = requests.get(base + "annotation/", auth=ATHLETE).json()["meta"]["total_count"]
    assert total == 1310  # 2 deleted, 2 created
    assert requests.get(base + "annotation/61353/", auth=ATHLETE).status_code == 404
    newest = requests.get(
        base + "annotation/", params={"order_by": "-id", "limit": 2}, auth=ATHLETE
    ).json()["objects"]
    assert [o["annotation"] for o in newest] == ["b", "a"]
    r = requests.patch(
        base + "annotation/", auth=FRIEND, json={"deleted_objects": ["/api/v1/annotation/61355/"]}
    )
    assert r.status_code == 403


@pytest.mark.parametrize(
    "headers, params, status, kind",
    [
        ({"Accept": "application/json; charset=utf-8"}, {}, 200, "application/json"),
        ({"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}, {}, 200, "application/json"),
        ({"Accept": "application/x-edf"}, {}, 200, "application/x-edf"),
        ({"Accept": "application/pdf"}, {}, 406, "application/json"),
        ({}, {"format": "csv"}, 200, "text/csv"),
        ({}, {"format": "yaml"}, 400, "application/json"),
        ({"Accept": "text/csv, application/json"}, {}, 200, "text/csv"),
    ],
)
def test_data_format_negotiation(api, headers, params, status, kind):
    q = {"datatype": 19, "record": 37700, "end": REC[37700] + 2560, **params}
    r = api("data/", params=q, headers=headers)
    assert r.status_code == status
    assert r.headers["Content-Type"].startswith(kind)


def test_stats_count_paths_and_data_requests(hexoskin_emulator_factory):
    emu = hexoskin_emulator_factory()
    requests.get(emu.url + "/api/v1/record/", auth=ATHLETE)
    requests.get(emu.url + "/api/v1/data/?datatype=19&record=37700", auth=ATHLETE)
    requests.get(emu.url + "/api/v1/data/?datatype=19&record=37700", auth=ATHLETE)
    assert emu.stats.total == 3
    assert emu.stats.data_requests == 2
    assert emu.stats.by_path == {"/api/v1/record/": 1, "/api/v1/data/": 2}
    assert emu.stats["data_requests"] == 2
    emu.reset_stats()
    assert emu.stats.snapshot() == {
        "total": 0,
        "data_requests": 0,
        "by_path": {},
        "requests": {},
    }
