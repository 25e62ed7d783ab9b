"""Client core without a server: configuration, query encoding, URLs, local refusals."""

from __future__ import annotations

import datetime as dt
import pickle

import numpy as np
import pandas as pd
import pytest
import requests

from hexoframe.api.auth import ApiKeyAuth, BasicAuth, OAuth2Auth, sign
from hexoframe.api.client import Client
from hexoframe.api.config import discover, normalize_base_url
from hexoframe.api.resources import encode_filters, load_schema
from hexoframe.api.transport import RetrySettings, make_retry, redact_url
from hexoframe.core import errors
from hexoframe.core.references import ref_id


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in list(__import__("os").environ):
        if name.startswith("HEXOSKIN_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


# -- configuration ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url, root",
    [
        ("https://api.hexoskin.com", "https://api.hexoskin.com/api/v1/"),
        ("https://api.hexoskin.com/", "https://api.hexoskin.com/api/v1/"),
        ("https://api.hexoskin.com/api/v1", "https://api.hexoskin.com/api/v1/"),
        ("http://127.0.0.1:5000/api/v1/", "http://127.0.0.1:5000/api/v1/"),
        ("http://127.0.0.1:5000/api/", "http://127.0.0.1:5000/api/v1/"),
    ],
)
def test_base_url_with_or_without_api_suffix(url, root):
    assert normalize_base_url(url) + "/api/v1/" == root


def test_bad_urls_are_configuration_errors():
    with pytest.raises(errors.ConfigurationError):
        normalize_base_url("ftp://x")
    with pytest.raises(errors.ConfigurationError):
        normalize_base_url("https://user:pw@api.hexoskin.com")


def test_arguments_beat_environment_beat_netrc(clean_env, monkeypatch):
    netrc = clean_env / "netrc"
    netrc.write_text("machine api.hexoskin.com login net@x.org password netpw\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    assert discover().username == "net@x.org"
    assert discover().source == "netrc"
    monkeypatch.setenv("HEXOSKIN_USERNAME", "env@x.org")
    monkeypatch.setenv("HEXOSKIN_PASSWORD", "envpw")
    creds = discover()
    assert (creds.username, creds.password, creds.source) == ("env@x.org", "envpw", "environment")
    creds = discover(username="arg@x.org", password="argpw")
    assert (creds.username, creds.password, creds.source) == ("arg@x.org", "argpw", "arguments")


def test_sources_are_not_mixed_but_netrc_fills_a_password(clean_env, monkeypatch):
    monkeypatch.setenv("HEXOSKIN_PASSWORD", "envpw")
    creds = discover(username="arg@x.org")
    assert creds.password is None and creds.auth_kind == "none"
    netrc = clean_env / "netrc"
    netrc.write_text("machine api.hexoskin.com login arg@x.org password netpw\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    assert discover(username="arg@x.org").password == "netpw"
    assert discover(username="other@x.org").password is None


def test_url_and_app_from_environment(clean_env, monkeypatch):
    monkeypatch.setenv("HEXOSKIN_URL", "http://127.0.0.1:9/api/v1")
    monkeypatch.setenv("HEXOSKIN_TOKEN", "tk-123")
    monkeypatch.setenv("HEXOSKIN_CLIENT_ID", "cid")
    monkeypatch.setenv("HEXOSKIN_CLIENT_SECRET", "csec")
    creds = discover()
    assert creds.api_root == "http://127.0.0.1:9/api/v1/"
    assert creds.auth_kind == "oauth2" and creds.client_id == "cid"
    assert "tk-123" not in repr(creds) and "csec" not in repr(creds)


@pytest.mark.parametrize(
    "kwargs, kind, auth_type",
    [
        ({"username": "u@x", "password": "p"}, "basic", BasicAuth),
        ({"api_key": "pub", "api_secret": "priv"}, "apikey", ApiKeyAuth),
        ({"token": "t"}, "oauth2", OAuth2Auth),
        (
            {"username": "u@x", "password": "p", "client_id": "c", "client_secret": "s"},
            "oauth2",
            OAuth2Auth,
        ),
    ],
)
def test_auth_kind_chosen(clean_env, kwargs, kind, auth_type):
    client = Client("http://127.0.0.1:9", **kwargs)
    assert client.auth_kind == kind and isinstance(client.auth, auth_type)
    assert repr(client) == f"Client(url='http://127.0.0.1:9/api/v1/', auth='{kind}')"


def test_no_credentials_is_a_configuration_error(clean_env):
    with pytest.raises(errors.ConfigurationError, match="HEXOSKIN_USERNAME"):
        Client("http://127.0.0.1:9")


def test_tick_rate_defaults_by_host(clean_env):
    assert Client("https://api.hexoskin.com", token="t").tick_rate == 256
    assert Client("https://api.astroskin.com", token="t").tick_rate == 1000
    assert Client("https://api.hexoskin.com", token="t", tick_rate=1000).tick_rate == 1000


def test_pickle_keeps_no_secrets_and_rediscovers(clean_env, monkeypatch):
    client = Client(
        "http://127.0.0.1:9", username="u@x.org", password="s3cret-pw", tick_rate=1000, retries=2
    )
    blob = pickle.dumps(client)
    assert b"s3cret-pw" not in blob and b"u@x.org" not in blob
    clone = pickle.loads(blob)  # no credentials here: deferred error at first request
    assert clone.tick_rate == 1000 and clone.base_url == "http://127.0.0.1:9"
    with pytest.raises(errors.ConfigurationError, match="unpickled"):
        clone.request("GET", "record/")
    monkeypatch.setenv("HEXOSKIN_USERNAME", "worker@x.org")
    monkeypatch.setenv("HEXOSKIN_PASSWORD", "worker-pw")
    clone = pickle.loads(blob)
    assert clone.auth_kind == "basic" and clone.auth.username == "worker@x.org"


# -- URLs ---------------------------------------------------------------------------------------
def test_url_for_and_foreign_hosts(clean_env):
    client = Client("http://h:1", token="t")
    assert client.url_for("record/1/") == "http://h:1/api/v1/record/1/"
    assert client.url_for("/api/v1/x/?offset=2") == "http://h:1/api/v1/x/?offset=2"
    assert client.url_for("http://h:1/api/v1/x/") == "http://h:1/api/v1/x/"
    with pytest.raises(errors.InvalidQueryError):
        client.url_for("http://evil.example/api/v1/x/")


def test_redact_url():
    assert (
        redact_url("https://u:p@h/x/?a=1&access_token=zz")
        == "https://h/x/?a=1&access_token=%2A%2A%2A"
    )
    assert redact_url("https://h:8/x/?limit=2") == "https://h:8/x/?limit=2"


# -- auth objects -------------------------------------------------------------------------------
def test_signature_headers():
    req = requests.Request("GET", "https://api.hexoskin.com/api/v1/record/?limit=1").prepare()
    out = ApiKeyAuth("pub", "priv", clock=lambda: 1414690957.7)(req)
    assert out.headers["X-HEXOAPIKEY"] == "pub"
    assert out.headers["X-HEXOTIMESTAMP"] == "1414690957"
    import hashlib

    expected = hashlib.sha1(
        b"priv1414690957https://api.hexoskin.com/api/v1/record/?limit=1"
    ).hexdigest()
    assert (
        out.headers["X-HEXOAPISIGNATURE"]
        == expected
        == sign("priv", "1414690957", "https://api.hexoskin.com/api/v1/record/?limit=1")
    )
    assert "Authorization" not in out.headers
    assert "priv" not in repr(ApiKeyAuth("pub", "priv"))


def test_retry_policy():
    retry = make_retry(RetrySettings(retries=3, backoff_factor=0.01))
    assert retry.total == 3 and retry.respect_retry_after_header
    assert set(retry.status_forcelist) == {429, 500, 502, 503, 504}
    assert not retry.is_retry("POST", 503)
    assert retry.is_retry("POST", 429, has_retry_after=True)
    assert retry.is_retry("GET", 502)


# -- query encoding -----------------------------------------------------------------------------
def test_filters_times_lists_bools():
    schema = load_schema("record")
    when = dt.datetime(2024, 5, 1, 10, tzinfo=dt.timezone.utc)
    params = encode_filters(
        schema,
        {
            "start__gte": when,
            "end__lt": pd.Timestamp("2024-05-01 12:00", tz="Europe/Paris"),
            "start__range": ("2024-05-01", np.datetime64("2024-05-02T00:00:00")),
            "user__in": [1511, 1512],
            "status": "complete",
            "order_by": "-start",
        },
    )
    assert params == {
        "start__gte": "438926745600",
        "end__lt": "438926745600",  # 12:00 Paris = 10:00 UTC
        "start__range": "438917529600,438939648000",
        "user__in": "1511,1512",
        "status": "complete",
        "order_by": "-start",
    }


def test_filters_on_datetime_fields_are_iso_and_bools_are_words():
    params = encode_filters(
        load_schema("track"),
        {"start_date__gte": pd.Timestamp("2024-05-01 12:00", tz="Europe/Paris")},
    )
    assert params == {"start_date__gte": "2024-05-01T10:00:00"}
    assert encode_filters(load_schema("metric"), {"is_kpi": True}) == {"is_kpi": "true"}


def test_astroskin_ticks():
    params = encode_filters(load_schema("record"), {"start": "1970-01-01T00:00:01"}, 1000)
    assert params == {"start": "1000"}


@pytest.mark.parametrize(
    "filters, match",
    [
        ({"colour": 1}, "cannot be filtered on 'colour'"),
        ({"status__gte": "a"}, "does not allow 'gte'"),
        ({"order_by": "-colour"}, "cannot be ordered by"),
        ({"start__range": [1, 2, 3]}, "two values"),
        ({"start": None}, "isnull"),
        ({"start__gte": "not a date"}, "Cannot read"),
    ],
)
def test_bad_filters_are_refused_locally(filters, match):
    with pytest.raises(errors.InvalidQueryError, match=match):
        encode_filters(load_schema("record"), filters, resource="record")


def test_id_from_uri():
    assert ref_id("/api/v1/record/37700/") == 37700
    assert ref_id("/api/v1/device/HXSKIN12/") is None
    assert ref_id({"resource_uri": "/api/v1/user/5/"}) == 5


def test_disallowed_methods_refused_before_sending(clean_env):
    client = Client("http://127.0.0.1:9", token="t")  # nothing listens there
    with pytest.raises(errors.MethodNotAllowed, match="nothing was sent"):
        client.resource("datatype").create({"name": "x"})
    with pytest.raises(errors.MethodNotAllowed):
        client.delete("user", 1511)
    with pytest.raises(errors.MethodNotAllowed):
        client.update("metric", 1, {"name": "x"})
    with pytest.raises(errors.MethodNotAllowed) as info:
        client.update("report", 1, {"name": "x"}, partial=False)
    assert info.value.status == 405 and info.value.method == "PUT"


# -- pagination bookkeeping (served by a fake) --------------------------------------------------
class _FakeResponse:
    def __init__(self, headers=None):
        self.headers = headers or {}
        self.status_code = 200
        self.url = "http://127.0.0.1:9/api/v1/annotation/"


def _serve(monkeypatch, client, pages):
    calls = []

    def fake(method, path, **kwargs):
        calls.append((path, kwargs.get("params")))
        body, headers = pages[len(calls) - 1]
        return body, _FakeResponse(headers)

    monkeypatch.setattr(client, "_request_json", fake)
    return calls


def _page(ids, nxt, total):
    return {
        "meta": {"next": nxt, "total_count": total, "limit": 2, "offset": 0},
        "objects": [{"id": i, "start": 256 * i, "user": "/api/v1/user/1511/"} for i in ids],
    }


def test_pages_followed_and_cache_header_surfaced(clean_env, monkeypatch):
    client = Client("http://127.0.0.1:9", token="t")
    calls = _serve(
        monkeypatch,
        client,
        [
            (_page([1, 2], "/api/v1/annotation/?limit=2&offset=2", 3), {}),
            (_page([3], None, 3), {"X-HexoCache": "1714557600"}),
        ],
    )
    frame = client.annotations(user=1511, page_size=2)
    assert frame["id"].tolist() == [1, 2, 3]
    assert calls == [
        ("annotation/", {"user": "1511", "limit": "2"}),
        ("/api/v1/annotation/?limit=2&offset=2", None),
    ]
    assert frame.attrs["hexoskin_cached_at"] == 1714557600.0


def test_total_count_mismatch_is_a_response_error(clean_env, monkeypatch):
    client = Client("http://127.0.0.1:9", token="t")
    _serve(monkeypatch, client, [(_page([1, 2], None, 5), {})])
    with pytest.raises(errors.ResponseError, match="total_count=5"):
        client.annotations()


def test_pagination_loop_is_a_response_error(clean_env, monkeypatch):
    client = Client("http://127.0.0.1:9", token="t")
    loop = "/api/v1/annotation/?offset=2"
    _serve(monkeypatch, client, [(_page([1], loop, 9), {})] * 3)
    with pytest.raises(errors.ResponseError, match="loops"):
        client.annotations()


def test_list_answer_without_objects(clean_env, monkeypatch):
    client = Client("http://127.0.0.1:9", token="t")
    _serve(monkeypatch, client, [([1, 2], {})])
    with pytest.raises(errors.ResponseError, match="objects"):
        client.annotations()


def test_detail_cache_header(clean_env, monkeypatch):
    client = Client("http://127.0.0.1:9", token="t")
    _serve(monkeypatch, client, [({"id": 5}, {"X-HexoCache": "12"})])
    assert client.get("record", 5).cached_at == 12.0


def test_adapter_always_times_out_and_verifies(monkeypatch):
    from requests.adapters import HTTPAdapter

    from hexoframe.api.transport import make_session

    seen = {}

    def capture(self, request, **kwargs):
        seen.update(kwargs)
        raise requests.exceptions.ConnectionError("stop here")

    monkeypatch.setattr(HTTPAdapter, "send", capture)
    session = make_session(RetrySettings(timeout=(3.0, 7.0), pool_size=12))
    assert session.get_adapter("https://x/")._pool_maxsize == 12
    with pytest.raises(requests.exceptions.ConnectionError):
        session.get("https://api.hexoskin.com/api/v1/", verify=False, timeout=None)
    assert seen["verify"] is True and seen["timeout"] == (3.0, 7.0)
