"""Property test: no query string makes the emulator answer 500."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import requests
from answers import reason
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hexoframe.emulator import DEMO_USERS

ME = (DEMO_USERS["athlete"]["email"], DEMO_USERS["athlete"]["password"])

RESOURCES = [
    "record",
    "range",
    "annotation",
    "trackpoint",
    "track",
    "datatype",
    "user",
    "profile",
    "device",
    "metric",
    "account",
    "activitytype",
    "trainingroutine",
    "data",
]
try:  # reports need the metrics module of the signal engine
    import hexoframe.emulator.metrics  # noqa: F401

    RESOURCES.append("report")
except ImportError:
    pass
FIELDS = [
    "id",
    "user",
    "start",
    "end",
    "status",
    "device",
    "duration",
    "name",
    "freq",
    "record",
    "range",
    "track",
    "time",
    "datatype",
    "email",
    "activitytype",
    "limit",
    "offset",
    "order_by",
    "format",
    "flat",
    "timestamp",
    "include_metrics",
    "last_modified",
    "rank",
    "search",
    "nonsense",
    "",
]
OPS = [
    "",
    "__exact",
    "__in",
    "__gt",
    "__gte",
    "__lt",
    "__lte",
    "__range",
    "__contains",
    "__startswith",
    "__isnull",
    "__iexact",
    "__bogus",
    "__user__id",
]
# Cheap datatypes only (1 Hz and events): a week of ECG is a legitimate but slow query.
VALUES = st.one_of(
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "1",
            "19",
            "33",
            "18",
            "37700",
            "37710",
            "58979",
            "80",
            "1511",
            "1e3",
            "nan",
            "inf",
            "-inf",
            "true",
            "false",
            "null",
            "1,2",
            "19,33",
            "1,",
            ",",
            "/api/v1/user/1511/",
            "/api/v1/record/37700/",
            "/api/v1/datatype/19/",
            "2024-05-01T10:00:00",
            "2024-13-45",
            "-start",
            "start,-id",
            "99999999999999999999999999",
            str(2**63),
            "1714557600",
            str(1714557600 * 256),
            str(1714557600 * 256 + 2560),
            "\u00e9\u00e8",
            "%",
            "%zz",
            "a b",
            "x" * 300,
            "json",
            "csv",
            "binary",
        ]
    ),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(max_size=20),
)
PAIR = st.tuples(st.sampled_from(FIELDS), st.sampled_from(OPS), VALUES)


@pytest.fixture(scope="module")
def hexoskin_emulator(hexoskin_module_emulator_factory):
    """A private emulator: the body fuzzing writes (and deletes) objects."""
    return hexoskin_module_emulator_factory()


@pytest.fixture(scope="module")
def session(hexoskin_emulator):
    s = requests.Session()
    s.auth = ME
    yield s
    s.close()


def _check(r: requests.Response) -> None:
    assert r.status_code < 500, (r.url, r.status_code, r.text[:300])
    assert r.status_code in (200, 400, 404, 405, 406), (r.url, r.status_code, r.text[:300])
    if r.status_code != 200:
        assert isinstance(reason(r), str) and reason(r)


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    resource=st.sampled_from(RESOURCES),
    pairs=st.lists(PAIR, max_size=5),
    detail=st.sampled_from(["", "37700/", "19/", "abc/", "-1/", "99999999999999999999/"]),
)
def test_structured_queries_never_500(hexoskin_emulator, session, resource, pairs, detail):
    query = "&".join(f"{quote(k + op, safe='_')}={quote(v, safe='/,:-')}" for k, op, v in pairs)
    if resource == "data" and not any(k == "datatype" for k, _, _ in pairs):
        query += "&datatype=19"
    url = f"{hexoskin_emulator.url}/api/v1/{resource}/{detail}?{query}"
    _check(session.get(url, timeout=30))


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    resource=st.sampled_from(RESOURCES),
    raw=st.text(
        alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FF, exclude_characters="#"),
        max_size=60,
    ),
)
def test_raw_query_strings_never_500(hexoskin_emulator, session, resource, raw):
    url = f"{hexoskin_emulator.url}/api/v1/{resource}/?{raw}"
    r = session.get(url, timeout=30)
    _check(r)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    body=st.one_of(
        st.dictionaries(
            st.sampled_from(
                [
                    "name",
                    "start",
                    "end",
                    "user",
                    "trainingroutine",
                    "annotation",
                    "datatype",
                    "record",
                    "position",
                    "track",
                    "id",
                    "rank",
                ]
            ),
            st.one_of(
                st.none(),
                st.booleans(),
                st.integers(-(2**70), 2**70),
                st.floats(allow_nan=False, allow_infinity=False),
                st.text(max_size=10),
                st.lists(st.integers(), max_size=3),
            ),
        ),
        st.integers(),
        st.text(max_size=10),
    ),
    resource=st.sampled_from(["range", "annotation", "trackpoint", "track", "record"]),
)
def test_bodies_never_500(hexoskin_emulator, session, body, resource):
    r = session.post(f"{hexoskin_emulator.url}/api/v1/{resource}/", json=body, timeout=30)
    assert r.status_code in (201, 400, 403), (body, r.status_code, r.text[:300])
    if r.status_code == 201:
        assert session.delete(hexoskin_emulator.url + r.headers["Location"]).status_code == 204


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    segments=st.lists(
        st.one_of(
            st.sampled_from(
                ["record", "data", "37700", "schema", "api", "v1", "..", "%ff", "%00", ""]
            ),
            st.text(alphabet=st.characters(min_codepoint=48, max_codepoint=0x17F), max_size=8),
        ),
        max_size=5,
    ),
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]),
)
def test_paths_and_methods_never_500(hexoskin_emulator, session, segments, method):
    path = "/api/v1/" + "/".join(quote(s, safe="%") for s in segments)
    r = session.request(method, hexoskin_emulator.url + path, json={}, timeout=30)
    assert r.status_code < 500, (method, path, r.status_code, r.text[:300])
    if method != "HEAD" and r.status_code >= 400:
        assert reason(r)


def test_garbage_request_line_gets_a_json_400(hexoskin_emulator):
    import socket

    with socket.create_connection(("127.0.0.1", hexoskin_emulator.port), timeout=5) as sock:
        sock.sendall(b"THIS IS NOT HTTP\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert b'"error"' in body
