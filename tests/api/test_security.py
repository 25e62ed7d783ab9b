"""Credentials never leave their host (issue 8, items 1-3 and the "Secrets" suite).

Two small loopback servers: a hostile "first host" (the configured service) that answers with
scheme-relative and absolute ``next`` links and redirects of every code, and an "other host"
that records everything it receives.
"""

from __future__ import annotations

import base64
import json
import logging
import pickle
import threading
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from hexoframe.api.client import Client
from hexoframe.core import errors

PASSWORD = "s3cret-pw-Qx7"
USERNAME = "athlete@example.org"
API_KEY = "public-key-1"
API_SECRET = "priv-KEY-zz91"
TOKEN = "tok-ACCESS-k3j"
REFRESH = "tok-REFRESH-p0w"
CLIENT_ID = "app-id"
CLIENT_SECRET = "cs-SECRET-77q"
BASIC = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
APP_BASIC = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
SECRETS = [PASSWORD, API_SECRET, TOKEN, REFRESH, CLIENT_SECRET, BASIC, APP_BASIC]


class _Server:
    """A loopback HTTP server that records requests and answers with ``self.route``."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.route: Any = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                server.received.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": body,
                    }
                )
                status, headers, payload = server.route(
                    self.command, self.path, body, dict(self.headers)
                )
                data = json.dumps(payload).encode() if payload is not None else b""
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _any  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def dump(self) -> str:
        return repr(self.received)


@pytest.fixture()
def hosts() -> Iterator[tuple[_Server, _Server]]:
    first, other = _Server(), _Server()
    other.route = lambda *a: (401, {}, {"error": "who are you"})
    first.route = _first_route(first, other)
    yield first, other
    first.close()
    other.close()


def _first_route(first: _Server, other: _Server) -> Any:
    def route(method: str, path: str, body: bytes, headers: dict) -> tuple:
        parts = path.split("?")[0].strip("/").split("/")
        if path.startswith("/api/connect/oauth2/token/"):
            code = getattr(first, "token_redirect", None)
            if code:
                return code, {"Location": other.url + "/api/connect/oauth2/token/"}, None
            return (
                200,
                {},
                {
                    "access_token": TOKEN,
                    "refresh_token": REFRESH,
                    "expires_in": 3600,
                    "token_type": "Bearer",
                },
            )
        if parts[:2] == ["redir", parts[1] if len(parts) > 1 else ""] and len(parts) == 3:
            code, where = int(parts[1]), parts[2]
            target = (
                other.url
                if where == "cross"
                else f"//127.0.0.1:{other.port}"
                if where == "schemeless"
                else ""
            )
            return code, {"Location": target + "/api/v1/final/"}, None
        if path.startswith("/api/v1/final/"):
            return 200, {}, {"method": method, "body": body.decode()}
        if path.startswith("/api/v1/record/"):
            nxt = getattr(first, "next_link", None)
            return (
                200,
                {},
                {
                    "meta": {"next": nxt, "total_count": 2},
                    "objects": [{"id": 1, "resource_uri": "/api/v1/record/1/"}],
                },
            )
        return 404, {}, {"error": "no"}

    return route


def _clients(url: str, **kw: Any) -> dict[str, Client]:
    return {
        "basic": Client(url, username=USERNAME, password=PASSWORD, **kw),
        "apikey": Client(url, api_key=API_KEY, api_secret=API_SECRET, **kw),
        "oauth2-password": Client(
            url,
            username=USERNAME,
            password=PASSWORD,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            **kw,
        ),
        "token": Client(
            url,
            token=TOKEN,
            refresh_token=REFRESH,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            **kw,
        ),
    }


def _assert_clean(text: str) -> None:
    hits = [s for s in SECRETS if s in text]
    assert hits == [], hits


def _has_auth(headers: dict) -> bool:
    return "Authorization" in headers or "X-HEXOAPIKEY" in headers


AUTHS = ["basic", "apikey", "oauth2-password", "token"]


# -- item 1: scheme-relative and other-host links ---------------------------------------------
@pytest.mark.parametrize("auth", AUTHS)
@pytest.mark.parametrize("kind", ["schemeless", "absolute", "userinfo", "backslash"])
def test_next_link_to_another_host_is_refused(hosts, auth, kind, caplog):
    first, other = hosts
    caplog.set_level(logging.DEBUG, logger="hexoframe")
    first.next_link = {
        "schemeless": f"//127.0.0.1:{other.port}/api/v1/record/?offset=1",
        "absolute": f"{other.url}/api/v1/record/?offset=1",
        "userinfo": f"http://x@127.0.0.1:{other.port}/api/v1/record/?offset=1",
        "backslash": f"/\\127.0.0.1:{other.port}/api/v1/record/?offset=1",
    }[kind]
    client = _clients(first.url, retries=0)[auth]
    with pytest.raises(errors.CrossHostError) as info:
        client.resource("record").list(validate=False)
    assert other.received == []
    assert len(first.received) >= 1 and _has_auth(first.received[-1]["headers"])
    _assert_clean(
        caplog.text
        + str(info.value)
        + repr(info.value)
        + "".join(traceback.format_exception(info.value))
    )


@pytest.mark.parametrize(
    "path",
    [
        "//127.0.0.1:{port}/api/v1/final/",
        "http://127.0.0.1:{port}/api/v1/final/",
        "https://127.0.0.1:{first}/api/v1/final/",
    ],
)
def test_request_paths_must_be_on_the_base_url(hosts, path):
    first, other = hosts
    client = _clients(first.url, retries=0)["basic"]
    with pytest.raises(errors.CrossHostError):
        client.request("GET", path.format(port=other.port, first=first.port))
    assert other.received == [] and first.received == []
    assert client.url_for(f"//127.0.0.1:{first.port}/api/v1/x/") == first.url + "/api/v1/x/"


# -- item 2: redirects ------------------------------------------------------------------------
@pytest.mark.parametrize("auth", AUTHS)
@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_cross_host_redirect_is_refused(hosts, auth, code, caplog):
    first, other = hosts
    caplog.set_level(logging.DEBUG, logger="hexoframe")
    client = _clients(first.url, retries=0)[auth]
    for where in ("cross", "schemeless"):
        with pytest.raises(errors.CrossHostError) as info:
            client.request("GET", f"/redir/{code}/{where}/")
        _assert_clean(
            str(info.value) + repr(info.value) + "".join(traceback.format_exception(info.value))
        )
    with pytest.raises(errors.CrossHostError):
        client.request("POST", f"/redir/{code}/cross/", json={"x": 1})
    assert other.received == [], other.dump()
    _assert_clean(caplog.text)


@pytest.mark.parametrize("auth", AUTHS)
@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_same_host_redirect_is_followed_with_auth(hosts, auth, code):
    first, other = hosts
    client = _clients(first.url, retries=0)[auth]
    assert client.request("GET", f"/redir/{code}/same/").json() == {"method": "GET", "body": ""}
    final = first.received[-1]
    assert final["path"] == "/api/v1/final/" and _has_auth(final["headers"])
    got = client.request("POST", f"/redir/{code}/same/", json={"x": 1}).json()
    keeps = code in (307, 308)
    assert got == (
        {"method": "POST", "body": '{"x": 1}'} if keeps else {"method": "GET", "body": ""}
    )
    assert _has_auth(first.received[-1]["headers"])
    assert other.received == []


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_token_endpoint_redirect_never_reposts_the_password(hosts, code, caplog):
    first, other = hosts
    caplog.set_level(logging.DEBUG, logger="hexoframe")
    first.token_redirect = code
    client = _clients(first.url, retries=0)["oauth2-password"]
    with pytest.raises(errors.CrossHostError) as info:
        client.request("GET", "record/")
    assert other.received == [], other.dump()
    _assert_clean(
        caplog.text
        + str(info.value)
        + repr(info.value)
        + "".join(traceback.format_exception(info.value))
    )


# -- item 3: pickled errors hold no request ---------------------------------------------------
def test_pickled_connection_error_holds_no_credentials():
    pytest.importorskip("distributed")
    import distributed  # noqa: F401  (turns on tblib pickling of exceptions)

    client = Client("http://127.0.0.1:9", username=USERNAME, password=PASSWORD, retries=0)
    with pytest.raises(errors.ConnectionFailed) as info:
        client.records()
    exc = info.value
    assert exc.__context__ is None and exc.__cause__ is None
    blob = pickle.dumps(exc)
    for secret in SECRETS:
        assert secret.encode() not in blob
    _assert_clean(str(exc) + repr(exc) + "".join(traceback.format_exception(exc)))
    back = pickle.loads(blob)
    assert type(back) is errors.ConnectionFailed and str(back) == str(exc)


# -- item 7 (list arguments): typed errors that say what to pass ------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [
        {"limit": "abc"},
        {"limit": -1},
        {"limit": 2.5},
        {"limit": True},
        {"offset": "x"},
        {"offset": -3},
        {"order_by": float("nan")},
        {"order_by": 3},
        {"order_by": ["start", None]},
        {"id__gte": float("nan")},
        {"id__in": [1, float("inf")]},
    ],
)
def test_list_arguments_are_validated_before_sending(hosts, kwargs):
    first, other = hosts
    client = _clients(first.url, retries=0)["basic"]
    with pytest.raises(errors.InvalidQueryError, match="pass"):
        client.resource("record").list(validate=False, **kwargs)
    assert first.received == [] and other.received == []


# -- artifacts: fsspec filesystems and pickled clients ----------------------------------------
@pytest.mark.parametrize("auth", AUTHS)
def test_filesystem_json_and_pickles_hold_no_secrets(hosts, auth):
    pytest.importorskip("fsspec")
    from hexoframe.frontends.fs import HexoskinFileSystem

    first, _ = hosts
    opts = {
        "basic": {"username": USERNAME, "password": PASSWORD},
        "apikey": {"api_key": API_KEY, "api_secret": API_SECRET},
        "oauth2-password": {
            "username": USERNAME,
            "password": PASSWORD,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
        "token": {
            "token": TOKEN,
            "refresh_token": REFRESH,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
    }[auth]
    fs = HexoskinFileSystem(base_url=first.url, skip_instance_cache=True, **opts)
    _assert_clean(fs.to_json() + repr(fs))
    client = _clients(first.url, retries=0)[auth]
    client.request("GET", "record/")  # a token was fetched and is in use
    blob = pickle.dumps(client) + pickle.dumps(fs)
    for secret in SECRETS:
        assert secret.encode() not in blob
    _assert_clean(repr(client) + repr(client.auth))


@pytest.mark.parametrize("auth", ["basic", "apikey", "oauth2-password"])
def test_cli_output_holds_no_secrets_and_nothing_leaves(hosts, auth, tmp_path):
    import os
    import subprocess
    import sys

    first, other = hosts
    base = first.route

    def route(method: str, path: str, body: bytes, headers: dict) -> tuple:
        if path.startswith("/api/connect/oauth2/token/"):
            return base(method, path, body, headers)
        return 307, {"Location": f"//127.0.0.1:{other.port}{path}"}, None

    first.route = route
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEXOSKIN_")}
    env.update({"HOME": str(tmp_path), "NETRC": str(tmp_path / "none"), "HEXOSKIN_URL": first.url})
    env.update(
        {
            "basic": {"HEXOSKIN_USERNAME": USERNAME, "HEXOSKIN_PASSWORD": PASSWORD},
            "apikey": {"HEXOSKIN_API_KEY": API_KEY, "HEXOSKIN_API_SECRET": API_SECRET},
            "oauth2-password": {
                "HEXOSKIN_USERNAME": USERNAME,
                "HEXOSKIN_PASSWORD": PASSWORD,
                "HEXOSKIN_CLIENT_ID": CLIENT_ID,
                "HEXOSKIN_CLIENT_SECRET": CLIENT_SECRET,
            },
        }[auth]
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from hexoframe.cli import main; sys.exit(main())",
            "read",
            "--record",
            "1",
            "--datatypes",
            "19",
            "--quiet",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "not on" in proc.stderr + proc.stdout  # the CrossHostError message
    _assert_clean(proc.stdout + proc.stderr)
    assert other.received == [], other.dump()
    assert any(_has_auth(r["headers"]) for r in first.received)
