"""``Client(session=...)``: a caller's own ``requests.Session``, with hexoframe's rules on it.

Requests go through the caller's session (counted by a response hook on it), with
hexoframe's retries, timeout, headers and one-origin policy; nothing is stored on the
session, ``close()`` leaves it open and as it was, and a pickled client carries none of it.
A second loopback server plays another host: it never hears from the client.
"""

from __future__ import annotations

import json
import pickle
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

from hexoframe import __version__
from hexoframe.api.client import Client
from hexoframe.api.transport import NoRedirectSession
from hexoframe.core import errors
from hexoframe.emulator.faults import FaultConfig
from hexoframe.emulator.store import DEMO_USERS

ATHLETE = {
    "username": DEMO_USERS["athlete"]["email"],
    "password": DEMO_USERS["athlete"]["password"],
}
RECORD = "/api/v1/record/37700/"

pytestmark = pytest.mark.usefixtures("clean_credentials")


class Counted:
    """A caller's session: a custom header and a response hook that records every answer."""

    def __init__(self) -> None:
        self.session = requests.Session()
        self.session.headers["X-Corp-Trace"] = "corp-42"
        self.seen: list[tuple[str, str, int, dict[str, str]]] = []
        self.session.hooks["response"].append(self._hook)

    def _hook(self, resp: requests.Response, **kwargs: Any) -> None:
        req = resp.request
        self.seen.append((req.method or "", req.path_url, resp.status_code, dict(req.headers)))


@pytest.fixture(scope="module")
def server(hexoskin_module_emulator_factory: Any) -> Any:
    """A private emulator: some tests set faults and all count requests."""
    return hexoskin_module_emulator_factory()


@pytest.fixture
def emu(server: Any) -> Iterator[Any]:
    server.reset_stats()
    server.set_faults(None)
    yield server
    server.set_faults(None)


def test_requests_go_through_the_callers_session_with_hexoframes_headers(emu):
    mine = Counted()
    headers_before = dict(mine.session.headers)
    client = Client(emu.url, session=mine.session, **ATHLETE)
    assert client.get("record", 37700)["id"] == 37700
    notes = client.annotations(record=37700)
    assert list(notes["annotation"]) == ["recorder start", "recorder stop"]

    assert [(m, p.split("?")[0], s) for m, p, s, _ in mine.seen] == [
        ("GET", RECORD, 200),
        ("GET", "/api/v1/annotation/", 200),
    ]
    assert emu.stats.total == 2  # every request the emulator got went through the hook
    for _, _, _, sent in mine.seen:
        assert sent["X-Corp-Trace"] == "corp-42"  # the caller's header
        assert sent["User-Agent"] == f"hexoframe/{__version__}"
        assert sent["Accept"] == "application/json"
        assert sent["Authorization"].startswith("Basic ")  # per request, to the service
    # nothing was stored on the session
    assert mine.session.auth is None
    assert dict(mine.session.headers) == headers_before
    client.close()


def test_oauth2_token_request_goes_through_the_session_and_stays_off_it(emu):
    mine = Counted()
    client = Client(
        emu.url,
        session=mine.session,
        client_id="hexoframe-demo",
        client_secret="hexoframe-demo-secret",
        **ATHLETE,
    )
    assert client.auth_kind == "oauth2"
    assert client.get("record", 37700)["id"] == 37700
    assert [(m, p, s) for m, p, s, _ in mine.seen] == [
        ("POST", "/api/connect/oauth2/token/", 200),
        ("GET", RECORD, 200),
    ]
    assert mine.seen[1][3]["Authorization"].startswith("Bearer ")
    assert mine.session.auth is None and "Authorization" not in mine.session.headers
    assert list(mine.session.cookies) == []


def test_close_leaves_the_callers_session_open_and_as_it_was(emu):
    mine = Counted()
    theirs = HTTPAdapter(max_retries=7)
    prefix = emu.url.rstrip("/") + "/"
    mine.session.mount(prefix, theirs)
    adapters_before = dict(mine.session.adapters)

    with Client(emu.url, session=mine.session, retries=2, **ATHLETE) as client:
        mounted = mine.session.get_adapter(emu.url + RECORD)
        assert mounted is not theirs and mounted.max_retries.total == 2
        assert client.get("record", 37700)["id"] == 37700
    # the caller's adapters are back, the very same objects, and the session still works
    assert dict(mine.session.adapters) == adapters_before
    assert mine.session.get_adapter(emu.url + RECORD) is theirs
    resp = mine.session.get(emu.url + RECORD, auth=(ATHLETE["username"], ATHLETE["password"]))
    assert resp.status_code == 200 and resp.json()["id"] == 37700
    assert len(mine.seen) == 2
    # a client used after close() mounts its adapter again, and takes it off again
    assert client.get("record", 37700)["id"] == 37700
    assert mine.session.get_adapter(emu.url + RECORD).max_retries.total == 2
    client.close()
    assert mine.session.get_adapter(emu.url + RECORD) is theirs
    assert len(mine.seen) == 3


def test_close_closes_a_session_the_client_made(emu):
    client = Client(emu.url, **ATHLETE)
    assert client.get("record", 37700)["id"] == 37700
    pools = client._transport.session.get_adapter(emu.url).poolmanager.pools
    assert len(pools) == 1
    client.close()
    assert len(pools) == 0


def test_retries_happen_through_the_callers_session(emu):
    mine = Counted()
    client = Client(
        emu.url, session=mine.session, retries=3, backoff_factor=0.001, backoff_jitter=0, **ATHLETE
    )
    emu.set_faults(FaultConfig(error_rate=1.0, retry_after=0, path_pattern=RECORD))
    with pytest.raises(errors.ServerError) as info:
        client.get("record", 37700)
    assert info.value.status in (500, 503)
    assert emu.stats.by_path[RECORD] == 4  # 1 + 3 retries, by the adapter on the session
    assert [(p, s) for _, p, s, _ in mine.seen] == [(RECORD, info.value.status)]

    # truncated bodies are refetched by the transport: each attempt is a send of the session
    emu.reset_stats()
    emu.set_faults(FaultConfig(seed=3, truncate_rate=0.5, path_pattern=RECORD))
    mine.seen.clear()
    for _ in range(6):
        assert client.get("record", 37700)["id"] == 37700
    truncated = emu.fault_counts["truncate"]
    assert truncated > 0
    assert emu.stats.by_path[RECORD] == len(mine.seen) == 6 + truncated


def test_timeout_applies_through_the_callers_session(emu):
    mine = Counted()
    client = Client(emu.url, session=mine.session, retries=0, timeout=(5.0, 0.2), **ATHLETE)
    emu.set_faults(FaultConfig(latency=1.0, path_pattern=RECORD))
    with pytest.raises(errors.ConnectionFailed, match="timed out"):
        client.get("record", 37700)
    assert mine.seen == []  # no answer came


def test_a_session_holding_credentials_is_refused(emu):
    with_auth = requests.Session()
    with_auth.auth = ("someone", "their-password")
    with pytest.raises(errors.ConfigurationError, match=r"credentials set \(session.auth\)"):
        Client(emu.url, session=with_auth, **ATHLETE)
    with_header = requests.Session()
    with_header.headers["Authorization"] = "Bearer theirs"
    with pytest.raises(errors.ConfigurationError, match=r"credentials set \(Authorization\)"):
        Client(emu.url, session=with_header, **ATHLETE)
    with pytest.raises(errors.ConfigurationError, match="takes a requests.Session"):
        Client(emu.url, session="not a session", **ATHLETE)  # type: ignore[arg-type]
    # nothing was mounted on the refused sessions
    assert emu.url + "/" not in with_auth.adapters
    assert emu.stats.total == 0


def test_verify_false_warns_and_is_left_as_the_caller_set_it(emu):
    mine = requests.Session()
    mine.verify = False
    with pytest.warns(errors.HexoskinWarning, match="verifies TLS certificates for http://") as rec:
        client = Client(emu.url, session=mine, **ATHLETE)
    assert len(rec) == 1 and rec[0].filename == __file__
    assert client.get("record", 37700)["id"] == 37700
    assert mine.verify is False


def test_pickled_client_gets_a_fresh_session_of_its_own(emu, monkeypatch):
    mine = Counted()
    client = Client(emu.url, session=mine.session, **ATHLETE)
    assert client.get("record", 37700)["id"] == 37700
    blob = pickle.dumps(client)
    for secret in (ATHLETE["password"], "corp-42", "X-Corp-Trace"):
        assert secret.encode() not in blob
    monkeypatch.setenv("HEXOSKIN_USERNAME", ATHLETE["username"])
    monkeypatch.setenv("HEXOSKIN_PASSWORD", ATHLETE["password"])
    back = pickle.loads(blob)
    assert back._transport.owns_session
    assert type(back._transport.session) is NoRedirectSession
    assert back._transport.session is not mine.session
    assert back.get("record", 37700)["id"] == 37700
    assert len(mine.seen) == 1  # the copy did not use the caller's session
    assert emu.stats.by_path[RECORD] == 2


# -- another host --------------------------------------------------------------------------------
class _Host:
    """A loopback server recording what it receives; ``route`` decides the answers."""

    def __init__(self, route: Any = None) -> None:
        self.received: list[dict[str, Any]] = []
        self.route = route or (lambda path: (200, {}, {"objects": []}))
        host = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                size = int(self.headers.get("Content-Length") or 0)
                if size:
                    self.rfile.read(size)
                host.received.append(
                    {"method": self.command, "path": self.path, "headers": dict(self.headers)}
                )
                status, headers, payload = host.route(self.path)
                data = json.dumps(payload).encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _any  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def hosts() -> Iterator[tuple[_Host, _Host]]:
    other = _Host()

    def service(path: str) -> tuple[int, dict[str, str], Any]:
        if path.startswith("/api/v1/record/1/"):
            return 302, {"Location": other.url + "/api/v1/record/1/"}, {}
        if path.startswith("/api/v1/record/2/"):
            return 307, {"Location": other.url + "/api/v1/record/2/"}, {}
        meta = {"limit": 1, "offset": 0, "total_count": 2, "next": other.url + "/api/v1/record/"}
        return 200, {}, {"meta": meta, "objects": [{"id": 9, "resource_uri": "/api/v1/record/9/"}]}

    first = _Host(service)
    yield first, other
    first.close()
    other.close()


CREDENTIALS = {
    "basic": {"username": "me@example.org", "password": "pw-SECRET-1"},
    "apikey": {"api_key": "pub-1", "api_secret": "priv-SECRET-2"},
    "oauth2": {"token": "tok-SECRET-3"},
}
SENT_CREDENTIALS = {
    "basic": ("Authorization",),
    "apikey": ("X-HEXOAPIKEY", "X-HEXOAPISIGNATURE", "X-HEXOTIMESTAMP"),
    "oauth2": ("Authorization",),
}


@pytest.mark.parametrize("kind", sorted(CREDENTIALS))
def test_another_host_never_hears_from_the_client_through_the_callers_session(hosts, kind):
    first, other = hosts
    mine = Counted()
    headers_before = dict(mine.session.headers)
    client = Client(first.url, session=mine.session, retries=0, **CREDENTIALS[kind])
    with pytest.raises(errors.CrossHostError, match="is not on"):
        client.get("record", 1)  # 302 to the other host
    with pytest.raises(errors.CrossHostError, match="is not on"):
        client.get("record", 2)  # 307 to the other host
    with pytest.raises(errors.CrossHostError, match="is not on"):
        client.records()  # meta.next on the other host
    assert other.received == []
    assert [r["path"].split("?")[0] for r in first.received] == [
        "/api/v1/record/1/",
        "/api/v1/record/2/",
        "/api/v1/record/",
    ]
    for request in first.received:  # the service did get the credentials
        assert all(name in request["headers"] for name in SENT_CREDENTIALS[kind])
    assert len(mine.seen) == 3
    assert mine.session.auth is None
    assert dict(mine.session.headers) == headers_before
    assert list(mine.session.cookies) == []
    # the caller's own requests to the other host carry nothing of hexoframe's
    assert mine.session.get(other.url + "/api/v1/record/").status_code == 200
    sent = other.received[0]["headers"]
    assert not set(sent) & {"Authorization", "X-HEXOAPIKEY", "X-HEXOAPISIGNATURE"}
    assert sent["User-Agent"].startswith("python-requests/")
    client.close()
