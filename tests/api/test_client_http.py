"""Client against the emulator over real HTTP: errors, pagination, filters, CRUD."""

from __future__ import annotations

import datetime as dt
import pickle

import numpy as np
import pandas as pd
import pytest

from hexoframe.api.client import Client
from hexoframe.core import catalog, errors

pytestmark = pytest.mark.usefixtures("clean_credentials")


@pytest.fixture(scope="module")
def emu(hexoskin_module_emulator_factory):
    """A private emulator: these tests write objects."""
    return hexoskin_module_emulator_factory()


@pytest.fixture
def client(emu, athlete_login):
    with Client(emu.url, retries=1, backoff_factor=0.0, backoff_jitter=0.0, **athlete_login) as c:
        yield c


def test_accepts_server_root_or_api_root(emu, athlete_login):
    for url in (emu.url, emu.url + "/", emu.url + "/api/v1", emu.url + "/api/v1/"):
        c = Client(url, **athlete_login)
        assert c.api_root == emu.url + "/api/v1/"
        assert c.get_json("account/")["objects"][0]["id"] == 1511


def test_get_record(client):
    record = client.get("record", 37700)
    assert record["id"] == 37700
    assert record["resource_uri"] == "/api/v1/record/37700/"
    assert record.cached_at is None
    assert client.account()["id"] == 1511


def test_records_frame(client):
    records = client.records(user=1511, order_by="-start")
    assert {37700, 37701, 37702} <= set(records["id"])
    assert records["id"].dtype == np.int64
    assert records["start_time"].dtype == "datetime64[ns, UTC]"
    assert list(records["start"]) == sorted(records["start"], reverse=True)
    row = records.set_index("id").loc[37700]
    assert row["start_time"] == pd.Timestamp("2024-05-01 10:00", tz="UTC")
    assert row["end_time"] - row["start_time"] == pd.Timedelta(hours=1)
    assert row["user_id"] == 1511
    assert records.attrs["hexoskin_resource"] == "record"


# -- typed errors ---------------------------------------------------------------------------------
def test_401_wrong_password(emu):
    c = Client(emu.url, username="athlete@hexoskin.com", password="wrong-pw-4242", retries=0)
    with pytest.raises(errors.AuthenticationError) as info:
        c.get("record", 37700)
    err = info.value
    assert err.status == 401 and err.method == "GET"
    assert err.url == emu.url + "/api/v1/record/37700/"
    assert "wrong-pw-4242" not in str(err)


def test_403_creating_for_another_user(client):
    with pytest.raises(errors.PermissionDenied) as info:
        client.create(
            "annotation", {"annotation": "x", "datatype": 4096, "start": 438926745600, "user": 1512}
        )
    assert info.value.status == 403 and info.value.method == "POST" and info.value.detail


def test_404(client):
    with pytest.raises(errors.NotFound) as info:
        client.get("record", 99999999)
    assert info.value.status == 404
    assert info.value.url.endswith("/api/v1/record/99999999/")


def test_404_stranger_record(emu):
    stranger = Client(emu.url, username="stranger@hexoskin.com", password="strangerpass")
    with pytest.raises((errors.NotFound, errors.PermissionDenied)):
        stranger.get("record", 37700)


def test_405_from_the_server(client):
    with pytest.raises(errors.MethodNotAllowed) as info:
        client.request("DELETE", "record/")  # request() does not check the schema
    assert info.value.status == 405 and info.value.method == "DELETE"


def test_400_bad_filter(client):
    with pytest.raises(errors.BadRequest) as info:
        client.get_json("record/", params={"status__gt": "a"})
    assert info.value.status == 400 and info.value.detail


def test_invalid_json_is_a_response_error(client, monkeypatch):
    # the emulator answers binary for this Accept; decode it as JSON on purpose
    resp = client.request(
        "GET", "data/", params={"datatype": 19, "record": 37700}, headers={"Accept": "text/csv"}
    )
    with pytest.raises(errors.ResponseError, match="not valid JSON"):
        client._decode_json(resp)


# -- local refusals -------------------------------------------------------------------------------
def test_disallowed_methods_send_nothing(client, emu):
    emu.reset_stats()
    with pytest.raises(errors.MethodNotAllowed):
        client.create("datatype", {"name": "x"})
    with pytest.raises(errors.MethodNotAllowed):
        client.delete("user", 1511)
    with pytest.raises(errors.MethodNotAllowed):
        client.update("report", 1, {"x": 1})
    with pytest.raises(errors.InvalidQueryError):
        client.records(colour="blue")
    with pytest.raises(errors.InvalidQueryError):
        client.records(order_by="colour")
    assert emu.stats.total == 0


# -- pagination -----------------------------------------------------------------------------------
def test_pagination_beyond_1000(client, emu):
    emu.reset_stats()
    raw = client.resource("annotation").list_raw(user=1511)
    assert raw.total_count is not None and raw.total_count > 1000
    assert len(raw) == raw.total_count
    assert len({o["id"] for o in raw}) == len(raw)
    assert emu.stats.by_path.get("/api/v1/annotation/") == 2  # 1000 + the rest


def test_pagination_small_pages(client, emu):
    emu.reset_stats()
    frame = client.trackpoints(track=80, page_size=500)
    expected_pages = -(-len(frame) // 500)
    assert len(frame) > 1000
    assert emu.stats.by_path.get("/api/v1/trackpoint/") == expected_pages
    assert {"longitude", "latitude"} <= set(frame.columns) and "position" not in frame
    assert frame["time"].dtype == "datetime64[ns, UTC]"
    assert frame["track_id"].eq(80).all()


# -- filters --------------------------------------------------------------------------------------
def test_filters_with_datetimes(client):
    everything = client.records(user=1511)
    start = pd.Timestamp("2024-05-02 00:00", tz="UTC")  # record 37701 starts here
    by_time = client.records(start__gte=start.to_pydatetime(), user=1511)
    by_string = client.records(start__gte="2024-05-02T00:00:00Z", user=1511)
    by_paris = client.records(
        start__gte=pd.Timestamp("2024-05-02 02:00", tz="Europe/Paris"), user=1511
    )
    by_naive = client.records(start__gte=np.datetime64("2024-05-02T00:00"), user=1511)
    by_ticks = client.records(start__gte=438926745600 + 14 * 3600 * 256, user=1511)
    expected = sorted(everything.loc[everything["start_time"] >= start, "id"])
    assert 0 < len(expected) < len(everything)
    for frame in (by_time, by_string, by_paris, by_naive, by_ticks):
        assert sorted(frame["id"]) == expected
    after = client.records(start__gt=start, user=1511)
    assert sorted(after["id"]) == [i for i in expected if i != 37701]
    window = client.records(start__range=[dt.date(2024, 5, 1), "2024-05-02"], user=1511)
    assert 37700 in set(window["id"])
    assert all(window["start_time"] <= pd.Timestamp("2024-05-02", tz="UTC"))  # inclusive
    listed = client.records(id__in=[37700, 37702])
    assert sorted(listed["id"]) == [37700, 37702]


# -- create / update / delete ---------------------------------------------------------------------
def test_crud_round_trip(client):
    start = pd.Timestamp("2024-05-01 10:05", tz="UTC")
    created = client.resource("range").create(
        {"name": "run", "start": start, "end": "2024-05-01T10:35:00", "user": 1511}
    )
    ident = created["id"]
    assert isinstance(ident, int)
    got = client.get("range", ident)
    assert got["name"] == "run"
    assert got["start"] == 438926745600 + 5 * 60 * 256
    assert got["end"] == 438926745600 + 35 * 60 * 256
    client.update("range", ident, {"name": "tempo"})
    assert client.get("range", ident)["name"] == "tempo"
    frame = client.ranges(id=ident)
    assert frame.loc[0, "name"] == "tempo"
    assert frame.loc[0, "start_time"] == start
    client.delete("range", ident)
    with pytest.raises(errors.NotFound):
        client.get("range", ident)


def test_annotation_round_trip(client):
    note = client.create(
        "annotation",
        {"annotation": "Hey guys!", "datatype": 4096, "start": "2024-05-01T10:10:00", "user": 1511},
    )
    assert note["id"] and note["resource_uri"].endswith(f"/{note['id']}/")
    listed = client.annotations(id=note["id"])
    assert listed.loc[0, "annotation"] == "Hey guys!"
    assert listed.loc[0, "start_time"] == pd.Timestamp("2024-05-01 10:10", tz="UTC")
    client.delete("annotation", note["id"])
    assert client.annotations(id=note["id"]).empty


def test_put_replaces(client):
    created = client.create(
        "range", {"name": "a", "start": 438926745600, "end": 438926745600 + 2560, "user": 1511}
    )
    full = {k: v for k, v in client.get("range", created["id"]).items()}
    full["name"] = "b"
    client.update("range", created["id"], full, partial=False)
    assert client.get("range", created["id"])["name"] == "b"
    client.delete("range", created["id"])


# -- other endpoints ------------------------------------------------------------------------------
def test_data_endpoint_and_cache_header(client):
    params = {"datatype__in": [19, 33], "record": 37700}
    first = client.request("GET", "data/", params=params)
    body = first.json()
    assert set(body[0]["data"]) == {"19", "33"}
    second = client.request("GET", "data/", params=params)
    assert "X-HexoCache" in second.headers


def test_api_version_header(emu, athlete_login):
    c = Client(emu.url, api_version="2", **athlete_login)
    resp = c.request("GET", "account/")
    assert resp.request.headers["X-HexoAPIVersion"] == "2"


def test_users_and_datatypes(client):
    users = client.users()
    assert 1511 in set(users["id"]) and 1515 not in set(users["id"])
    datatypes = client.datatypes()
    assert 19 in set(datatypes["id"])


def test_concurrent_requests_share_one_client(client):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda i: client.get("record", 37700 + i % 3)["id"], range(48)))
    assert ids == [37700 + i % 3 for i in range(48)]


# -- reports --------------------------------------------------------------------------------------
def test_report_metrics_and_histograms(client):
    report = client.report(record=37700, metrics=[1, 44, 45, 50])
    assert report["metric_id"].tolist() == [1, 44, 50]  # 45 is a histogram
    assert report.set_index("metric_id").loc[44, "unit"] == "bpm"
    assert (report["record_id"] == 37700).all() and (report["user_id"] == 1511).all()
    assert (report["start_time"] == pd.Timestamp("2024-05-01 10:00", tz="UTC")).all()
    histo = client.report_histograms(record=37700, metrics=[45])
    assert len(histo) == 10 and (histo["metric_id"] == 45).all()
    assert histo["bin_start"].tolist()[:2] == [20.0, 40.0]
    with pytest.raises(errors.InvalidQueryError):
        client.report(metrics=[1])
    by_name = client.report(record=37700, metrics=["heartrate_avg", 1])
    assert sorted(by_name["metric_id"]) == [1, 44]
    with pytest.raises(errors.InvalidQueryError, match="no_such_metric"):
        client.report(record=37700, metrics=["no_such_metric"])


# -- schema ---------------------------------------------------------------------------------------
def test_schema_refresh_from_the_service(client, emu):
    res = client.resource("record")
    emu.reset_stats()
    schema = res.refresh_schema()
    assert emu.stats.by_path == {"/api/v1/record/schema/": 1}
    assert "get" in schema["allowed_list_http_methods"]
    assert "start" in schema["filtering"]
    assert client.records(id=37700).loc[0, "id"] == 37700  # still usable


def test_resource_unknown_to_the_packaged_schema(client, emu):
    from hexoframe.api.resources import Resource

    res = Resource(client, "record", schema=None)
    res._schema = None  # as for a resource the packaged copy does not know
    emu.reset_stats()
    assert 37700 in set(res.list(user=1511)["id"])
    assert emu.stats.by_path["/api/v1/record/schema/"] == 1


# -- credentials from the environment, netrc and pickles -------------------------------------------
def test_client_from_environment(emu, monkeypatch):
    monkeypatch.setenv("HEXOSKIN_URL", emu.url + "/api/v1/")
    monkeypatch.setenv("HEXOSKIN_API_KEY", "demo-athlete-public")
    monkeypatch.setenv("HEXOSKIN_API_SECRET", "demo-athlete-private")
    client = Client()
    assert client.auth_kind == "apikey" and client.account()["id"] == 1511


def test_client_from_netrc(emu, monkeypatch, tmp_path):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login athlete@hexoskin.com password hexoskin\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    client = Client(emu.url)
    assert client.auth_kind == "basic" and client.account()["id"] == 1511


def test_unpickled_client_rediscovers_credentials(emu, monkeypatch, athlete_login):
    client = Client(emu.url, tick_rate=256, retries=3, **athlete_login)
    blob = pickle.dumps(client)
    assert b"hexoskin\x94" not in blob and b"athlete@" not in blob
    monkeypatch.setenv("HEXOSKIN_USERNAME", "athlete@hexoskin.com")  # as on a dask worker
    monkeypatch.setenv("HEXOSKIN_PASSWORD", "hexoskin")
    clone = pickle.loads(blob)
    assert clone.base_url == emu.url and clone._settings.retries == 3
    assert clone.get("record", 37700)["id"] == 37700


def test_refresh_catalog_agrees_with_the_emulator(client):
    listed = client.resource("datatype").list_raw()
    assert len(listed) == len(catalog.all_datatypes())
    by_id = {int(o["id"]): o for o in listed}
    ecg = by_id[4113]
    units = {u["resource_uri"]: u["si_short"] for u in client.resource("unit").list_raw()}
    assert (ecg["freq"], units[ecg["unit"]], units[ecg["unit_raw"]], ecg["hexo_freq"]) == (
        256,
        "ADC",
        "ADC",
        1,
    )
    assert by_id[18]["freq"] is None and units[by_id[18]["unit"]] == "s"
    assert client.refresh_catalog() == 0  # the emulator serves the same catalogue
