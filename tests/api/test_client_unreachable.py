"""A service that cannot be reached: a warning at the first failure, a bounded wait, a clear
error (in the library and in the ``hexoframe`` command).

The dead host is a closed loopback port (bound, then closed: connections are refused at
once). Attempts are counted twice, independently: by the error's message and by the
``retrying`` DEBUG lines of the ``hexoframe`` logger.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import warnings

import pytest

from hexoframe.api.client import Client
from hexoframe.core import errors
from hexoframe.emulator.store import DEMO_USERS

ATHLETE = {
    "username": DEMO_USERS["athlete"]["email"],
    "password": DEMO_USERS["athlete"]["password"],
}

pytestmark = pytest.mark.usefixtures("clean_credentials")


@pytest.fixture
def dead_url() -> str:
    """The URL of a loopback port nobody listens on."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


def _host(url: str) -> str:
    return url.split("//", 1)[1]


def _retries_logged(caplog: pytest.LogCaptureFixture) -> int:
    return sum(r.getMessage().startswith("retrying GET") for r in caplog.records)


def test_warns_at_the_first_failure_then_fails_clearly(dead_url, caplog):
    caplog.set_level(logging.DEBUG, logger="hexoframe")
    client = Client(dead_url, retries=3, backoff_factor=0.001, backoff_jitter=0, **ATHLETE)
    with (
        pytest.warns(errors.HexoskinWarning) as rec,
        pytest.raises(errors.ConnectionFailed) as info,
    ):
        client.get("record", 37700)
    assert len(rec) == 1  # once per request, not once per attempt
    warning = str(rec[0].message)
    assert warning.startswith(f"Cannot connect to {_host(dead_url)} (")
    assert "Connection refused" in warning
    assert "keeps trying for up to 10.0 s more" in warning  # the default connect_wait
    assert "Client(connect_wait=...)" in warning
    assert rec[0].filename == __file__  # it points at the caller's line
    message = str(info.value)
    assert message.startswith(
        f"Could not get an answer from {_host(dead_url)}: no connection could be made ("
    )
    assert "in 4 attempt(s)" in message  # 1 + 3 retries
    assert "Check the URL (base_url or HEXOSKIN_URL)" in message
    assert "Client(connect_wait=...)" in message
    assert _retries_logged(caplog) == 3
    assert info.value.url == f"{dead_url}/api/v1/record/37700/"
    assert info.value.__cause__ is None and info.value.__context__ is None


def test_each_request_warns_once(dead_url):
    client = Client(dead_url, retries=2, backoff_factor=0.001, backoff_jitter=0, **ATHLETE)
    with pytest.warns(errors.HexoskinWarning) as rec:
        for _ in range(2):
            with pytest.raises(errors.ConnectionFailed, match=r"in 3 attempt\(s\)"):
                client.get("record", 37700)
    assert [str(w.message).split(" (")[0] for w in rec] == [
        f"Cannot connect to {_host(dead_url)}"
    ] * 2


def test_connect_wait_bounds_the_attempts(dead_url, caplog):
    """Many retries allowed, but the wait is bounded: urllib3's backoff is 0 before the
    second attempt and 10 s before the third, which does not fit in 5 s."""
    caplog.set_level(logging.DEBUG, logger="hexoframe")
    client = Client(
        dead_url, retries=50, backoff_factor=5.0, backoff_jitter=0, connect_wait=5.0, **ATHLETE
    )
    with (
        pytest.warns(errors.HexoskinWarning, match="up to 5.0 s more"),
        pytest.raises(errors.ConnectionFailed, match=r"in 2 attempt\(s\)"),
    ):
        client.get("record", 37700)
    assert _retries_logged(caplog) == 1


def test_connect_wait_zero_fails_at_once_without_a_warning(dead_url, caplog):
    caplog.set_level(logging.DEBUG, logger="hexoframe")
    client = Client(dead_url, retries=5, connect_wait=0, **ATHLETE)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        with pytest.raises(errors.ConnectionFailed, match=r"in 1 attempt\(s\)"):
            client.get("record", 37700)
    assert [w for w in rec if issubclass(w.category, errors.HexoskinWarning)] == []
    assert _retries_logged(caplog) == 0


def test_connection_failures_of_posts_are_bounded_too(dead_url):
    """A refused connection never reached the server: it is retried for any method."""
    client = Client(dead_url, retries=2, backoff_factor=0.001, backoff_jitter=0, **ATHLETE)
    with (
        pytest.warns(errors.HexoskinWarning, match="Cannot connect"),
        pytest.raises(errors.ConnectionFailed, match=r"in 3 attempt\(s\)"),
    ):
        client.create("annotation", {"annotation": "x", "record": 37700, "start": 1})


def test_connect_wait_survives_pickling(dead_url):
    import pickle

    client = Client(dead_url, connect_wait=0.5, **ATHLETE)
    back = pickle.loads(pickle.dumps(client))
    assert back._settings.connect_wait == 0.5


def test_cli_warns_once_on_stderr_without_a_traceback(dead_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEXOSKIN_")}
    env.update(
        HEXOSKIN_URL=dead_url,
        HEXOSKIN_USERNAME=ATHLETE["username"],
        HEXOSKIN_PASSWORD=ATHLETE["password"],
        NETRC=os.devnull,
    )
    result = subprocess.run(
        [sys.executable, "-m", "hexoframe.cli", "records", "--limit", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 5  # the service could not be reached
    assert result.stdout == ""
    assert result.stderr.count(f"hexoframe: warning: Cannot connect to {_host(dead_url)}") == 1
    assert "Traceback" not in result.stderr and "HexoskinWarning" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"hexoframe: Could not get an answer from {_host(dead_url)}:")
    assert ATHLETE["password"] not in result.stderr
