"""The emulator's Tastypie surface, over real HTTP on loopback."""

from __future__ import annotations

import pytest
import requests

from hexoframe.emulator import DEMO_USERS, Emulator

ATHLETE = (DEMO_USERS["athlete"]["email"], DEMO_USERS["athlete"]["password"])
FRIEND = (DEMO_USERS["friend"]["email"], DEMO_USERS["friend"]["password"])
COACH = (DEMO_USERS["coach"]["email"], DEMO_USERS["coach"]["password"])
ATHLETE2 = (DEMO_USERS["athlete2"]["email"], DEMO_USERS["athlete2"]["password"])
STRANGER = (DEMO_USERS["stranger"]["email"], DEMO_USERS["stranger"]["password"])


@pytest.fixture(scope="module")
def api(hexoskin_emulator):
    """A keep-alive session of the athlete against the shared (read-only) emulator."""
    s = requests.Session()
    s.auth = ATHLETE
    base = hexoskin_emulator.url + "/api/v1/"

    def get(path, **kw):
        return s.get(base + path, **kw)

    get.session = s
    get.base = base
    yield get
    s.close()


@pytest.fixture()
def emu():
    """A private emulator for tests that write."""
    with Emulator() as e:
        yield e


def test_url_is_server_root(hexoskin_emulator):
    assert hexoskin_emulator.url.startswith("http://127.0.0.1:")
    assert not hexoskin_emulator.url.endswith("/")
    assert hexoskin_emulator.api_url == hexoskin_emulator.url + "/api/v1/"


def test_api_root_lists_resources(api):
    for prefix in ("/api/v1/", "/api/"):
        r = requests.get(api.base.replace("/api/v1/", prefix))
        assert r.status_code == 200
        body = r.json()
        assert body["record"] == {"list_endpoint": f"{prefix}record/",
                                  "schema": f"{prefix}record/schema/"}
        assert {"account", "user", "profile", "device", "datatype", "metric", "record",
                "range", "annotation", "track", "trackpoint", "trainingroutine",
                "activitytype", "report", "data"} <= set(body)


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
    assert body["meta"] == {"limit": 20, "next": "/api/v1/record/?limit=20&offset=20",
                            "offset": 0, "previous": None, "total_count": 29}
    assert len(body["objects"]) == 20
    rec = api("record/37700/").json()
    assert rec["id"] == 37700
    assert rec["user"] == "/api/v1/user/1511/"
    assert rec["start"] == 1714557600 * 256
    assert rec["end"] == (1714557600 + 3600) * 256
    assert rec["start_date"] == "2024-05-01T10:00:00"
    assert rec["status"] == "complete"
    assert rec["resource_uri"] == "/api/v1/record/37700/"
    assert rec["device"] == "/api/v1/device/HXSKIN1200002115/"


def test_same_resources_under_api_prefix(api):
    r = requests.get(api.base.replace("/api/v1/", "/api/") + "record/37700/", auth=ATHLETE)
    assert r.status_code == 200
    assert r.json()["resource_uri"] == "/api/record/37700/"


def test_unauthenticated_is_401_json(api):
    r = requests.get(api.base + "record/")
    assert r.status_code == 401
    assert "error" in r.json()
