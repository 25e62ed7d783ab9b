"""Tastypie relations in the emulator: lookups and ordering through related fields, the
record/range metric options, users by e-mail, and the seeded study."""

from __future__ import annotations

import pytest
import requests
from answers import reason

COACH = ("coach@hexoskin.com", "coachpass")


@pytest.fixture
def get(hexoskin_emulator, athlete_auth):
    def call(path, who=athlete_auth, status=200):
        r = requests.get(hexoskin_emulator.api_url + path, auth=who, timeout=60)
        assert r.status_code == status, (path, r.status_code, r.text[:300])
        return r

    return call


def ids(r):
    return [o["id"] for o in r.json()["objects"]]


@pytest.mark.parametrize(
    "path, want",
    [
        ("profile/?user__id=1511", [1460]),
        ("profile/?user__id__in=1511,1512", [1460, 1461]),
        ("user/?profile__id=1460", [1511]),
        ("range/?trainingroutine__id=1", [58979]),
        ("profile/?user__email=athlete@hexoskin.com", [1460]),
        ("profile/?user__id__gt=1511", [1461]),
    ],
)
def test_lookups_through_related_fields(get, path, want):
    assert ids(get(path)) == want


def test_trackpoints_of_a_track(get):
    r = get("trackpoint/?track__id=80&limit=5")
    assert r.json()["meta"]["total_count"] == 1200
    assert all(p["track"] == "/api/v1/track/80/" for p in r.json()["objects"])
    assert get("trackpoint/?track__id=81").json()["meta"]["total_count"] == 0


@pytest.mark.parametrize(
    "path, message",
    [
        ("profile/?user__x=1", "The 'x' field does not allow filtering."),
        (
            "trackpoint/?track__id__a__b=1",
            "Lookups are not allowed more than one level deep on the 'track' field.",
        ),
        ("profile/?user__id__contains=1", "'contains' is not an allowed filter on the 'id' field."),
        ("record/?order_by=nosuchfield", "No matching 'nosuchfield' field for ordering on."),
        ("record/?order_by=status", "The 'status' field does not allow ordering."),
    ],
)
def test_relation_errors_use_tastypies_wording(get, path, message):
    assert reason(get(path, status=400)) == message


def test_ordering_through_a_related_field(get):
    records = get("record/?order_by=user__id&limit=100", COACH).json()["objects"]
    users = [int(r["user"]["id"]) for r in records]
    assert users == sorted(users) and set(users) == {1511, 1513, 1514}
    back = get("record/?order_by=-user__id&limit=100", COACH).json()["objects"]
    assert [int(r["user"]["id"]) for r in back] == sorted(users, reverse=True)
    by_mail = get("record/?order_by=user__email&limit=100", COACH).json()["objects"]
    emails = [r["user"]["email"] for r in by_mail]
    assert emails == sorted(emails)


def test_include_metrics_fills_records_and_ranges(get):
    report = get("report/?include_metrics=44&record=37700").json()["data"][0][0]
    record = get("record/37700/?include_metrics=44").json()
    assert [m["name"] for m in record["metrics"]] == ["heartrate_avg"]
    assert record["metrics"][0]["value"] == report["value"]
    assert get("record/37700/").json()["metrics"] == []
    ranges = get("range/?include_metrics=44,1").json()["objects"]
    assert len(ranges) > 1 and all(len(r["metrics"]) == 2 for r in ranges)
    one = get("range/58979/?include_metrics=44").json()["metrics"][0]
    assert (
        one["value"] == get("report/?include_metrics=44&range=58979").json()["data"][0][0]["value"]
    )


def test_histograms_short_form_and_show_all(get):
    plain = get("record/37700/?include_metrics=44,45").json()["metrics"]
    assert [m["name"] for m in plain] == ["heartrate_avg"]  # histograms only when asked
    full = get("record/37700/?include_metrics=44,45&include_histograms=1").json()["metrics"]
    assert [m["name"] for m in full] == ["heartrate_avg", "heartrate_histo"]
    assert full[1]["data1"] and full[1]["data2"]
    short = get("record/37700/?include_metrics=44&short_metrics=true").json()["metrics"]
    assert short == [{"metric": "/api/v1/metric/44/", "value": plain[0]["value"]}]
    every = get("record/37700/?show_all=1").json()["metrics"]
    values = [m for m in get("metric/?limit=0").json()["objects"] if m["name"] != "heartrate_histo"]
    assert len(every) >= 5 and {m["metric"] for m in every} <= {m["resource_uri"] for m in values}
    assert "unknown metric id 999999" in reason(
        get("record/37700/?include_metrics=999999", status=400)
    )


def test_users_given_by_email(get, hexoskin_emulator, athlete_auth):
    by_mail = get("record/?user=athlete@hexoskin.com&limit=100").json()["meta"]["total_count"]
    by_id = get("record/?user=1511&limit=100").json()["meta"]["total_count"]
    assert by_mail == by_id == 28
    assert get("record/?user=nobody@example.org").json()["meta"]["total_count"] == 0
    r = requests.post(
        hexoskin_emulator.api_url + "range/",
        auth=athlete_auth,
        json={
            "name": "by e-mail",
            "start": 438926745600,
            "end": 438926748160,
            "user": "athlete@hexoskin.com",
        },
    )
    assert r.status_code == 201 and r.json()["user"] == "/api/v1/user/1511/"
    host = hexoskin_emulator.url
    assert requests.delete(host + r.headers["Location"], auth=athlete_auth).status_code == 204


def test_the_coachs_study(get):
    study = get("study/", COACH).json()["objects"]
    assert [s["id"] for s in study] == [1] and study[0]["owner"]["id"] == 1513
    group = get("studygroup/", COACH).json()["objects"][0]
    assert group["study"] == "/api/v1/study/1/" and group["owner"] == "/api/v1/user/1513/"
    subjects = get("studysubject/", COACH).json()["objects"]
    assert sorted(s["user"]["id"] for s in subjects) == [1511, 1514]
    assert {s["study_group"] for s in subjects} == {"/api/v1/studygroup/1/"}
    in_study = get("record/?study=1&limit=100", COACH).json()["objects"]
    assert {int(r["user"]["id"]) for r in in_study} == {1511, 1514}
    total = get("record/?limit=100", COACH).json()["meta"]["total_count"]
    own = get("record/?user=1513", COACH).json()["meta"]["total_count"]
    assert len(in_study) == total - own
    assert get("record/?study_group=1&limit=100", COACH).json()["meta"]["total_count"] == len(
        in_study
    )
    # the study is the coach's: athletes see neither it nor its subjects
    assert get("study/").json()["meta"]["total_count"] == 0
    assert get("record/?study=1").json()["meta"]["total_count"] == 0


def test_datetimes_are_read_as_dateutil_reads_them(hexoskin_emulator, get, athlete_auth):
    """A trackpoint time in a form dateutil reads (Tastypie's DateTimeField) is stored as
    the same UTC instant; text that is no time is a form error."""
    base = hexoskin_emulator.api_url
    point = {"track": "/api/v1/track/80/", "position": [-73.6, 45.53]}
    for text in ("May 1 2024 10:00:05", "2024-05-01 12:00:05+02:00", "2024-05-01T10:00:05Z"):
        r = requests.post(base + "trackpoint/", auth=athlete_auth, json={**point, "time": text})
        assert r.status_code == 201, r.text
        assert r.json()["time"] == "2024-05-01T10:00:05+00:00"
        requests.delete(hexoskin_emulator.url + r.headers["Location"], auth=athlete_auth)
    r = requests.post(base + "trackpoint/", auth=athlete_auth, json={**point, "time": "soonish"})
    assert r.status_code == 400 and r.json() == {
        "trackpoint": {"time": ["Enter a valid date/time."]}
    }
