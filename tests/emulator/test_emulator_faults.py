"""Fault injection of the emulator, observed over real HTTP."""

from __future__ import annotations

import base64
import socket
import time

import pytest
import requests
from answers import reason

from hexoframe.emulator import DEMO_USERS, FaultConfig

ME = (DEMO_USERS["athlete"]["email"], DEMO_USERS["athlete"]["password"])
HR = "/api/v1/data/?datatype=19&record=37700"


@pytest.fixture(scope="module")
def emu(hexoskin_module_emulator_factory):
    """A private emulator: these tests set faults."""
    return hexoskin_module_emulator_factory()


@pytest.fixture(autouse=True)
def _no_faults_after(emu):
    yield
    emu.set_faults(None)


def _raw_get(emu, path: str) -> tuple[bytes, bytes, str]:
    """Send one request on a raw socket; return (head, body, how the stream ended)."""
    token = base64.b64encode(f"{ME[0]}:{ME[1]}".encode()).decode()
    with socket.create_connection(("127.0.0.1", emu.port), timeout=5) as sock:
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {token}\r\n\r\n".encode()
        )
        data = b""
        ended = "eof"
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                ended = "reset"
                break
            if not chunk:
                break
            data += chunk
            head, sep, body = data.partition(b"\r\n\r\n")
            if sep and b"content-length" in head.lower():
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                if len(body) >= length:
                    ended = "complete"
                    break
    head, _, body = data.partition(b"\r\n\r\n")
    return head, body, ended


def _length(head: bytes) -> int:
    return int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])


def test_error_rate_gives_500_or_503_with_retry_after(emu):
    emu.set_faults(FaultConfig(error_rate=1.0, retry_after=7))
    statuses = set()
    for _ in range(12):
        r = requests.get(emu.url + "/api/v1/record/", auth=ME)
        statuses.add(r.status_code)
        assert r.headers["Retry-After"] == "7"
        assert "error" in r.json()
    assert statuses == {500, 503}


def test_rate_limit(emu):
    emu.set_faults(FaultConfig(rate_limit_rate=1.0, retry_after=3))
    r = requests.get(emu.url + "/api/v1/record/", auth=ME)
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "3"
    assert "rate" in reason(r)


def test_faults_are_seeded_and_reproducible(emu):
    def run(seed):
        emu.set_faults(FaultConfig(seed=seed, error_rate=0.5))
        return [
            requests.get(emu.url + "/api/v1/datatype/19/", auth=ME).status_code for _ in range(16)
        ]

    first, again, other = run(1), run(1), run(2)
    assert first == again
    assert first != other
    assert 200 in first and any(s in (500, 503) for s in first)


def test_latency(emu):
    emu.set_faults(FaultConfig(latency=0.25))
    t0 = time.perf_counter()
    r = requests.get(emu.url + "/api/v1/datatype/19/", auth=ME)
    assert r.status_code == 200
    assert time.perf_counter() - t0 >= 0.25


def test_drop_resets_the_connection_mid_body(emu):
    emu.set_faults(FaultConfig(drop_rate=1.0))
    head, body, ended = _raw_get(emu, HR)
    assert head.startswith(b"HTTP/1.1 200")
    assert ended in ("reset", "eof")
    assert len(body) < _length(head)
    with pytest.raises(requests.exceptions.RequestException):
        requests.get(emu.url + HR, auth=ME).content  # noqa: B018


def test_truncate_closes_cleanly_with_a_short_body(emu):
    emu.set_faults(FaultConfig(truncate_rate=1.0))
    head, body, ended = _raw_get(emu, HR)
    assert head.startswith(b"HTTP/1.1 200")
    assert ended == "eof"
    assert 0 < len(body) == _length(head) // 2
    with pytest.raises(requests.exceptions.RequestException):
        requests.get(emu.url + HR, auth=ME).content  # noqa: B018


def test_subsample_cap(emu):
    emu.set_faults(FaultConfig(subsample_cap=100))
    flat = requests.get(emu.url + HR + "&flat=1", auth=ME).json()
    k = -(-3599 // 100)  # 3599 heart-rate samples in record 37700
    assert len(flat) == -(-3599 // k) == 100
    assert flat[1][0] - flat[0][0] == 256 * k
    emu.set_faults(None)
    assert len(requests.get(emu.url + HR + "&flat=1", auth=ME).json()) == 3599


def test_path_pattern_limits_faults(emu):
    emu.set_faults(FaultConfig(error_rate=1.0, path_pattern=r"/data/"))
    assert requests.get(emu.url + "/api/v1/record/", auth=ME).status_code == 200
    assert requests.get(emu.url + HR, auth=ME).status_code in (500, 503)


def test_faults_from_the_constructor_and_counting(hexoskin_emulator_factory):
    emu = hexoskin_emulator_factory(faults=FaultConfig(rate_limit_rate=1.0))
    assert requests.get(emu.url + HR, auth=ME).status_code == 429
    emu.set_faults(None)
    assert requests.get(emu.url + HR, auth=ME).status_code == 200
    assert emu.stats.by_path["/api/v1/data/"] == 2
    assert emu.stats.data_requests == 1  # the 429 never reached the endpoint
    emu.reset_stats()
    assert emu.stats.total == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"error_rate": 2.0},
        {"drop_rate": -0.1},
        {"latency": -1},
        {"subsample_cap": 0},
        {"path_pattern": "("},
    ],
)
def test_invalid_fault_config(kwargs):
    with pytest.raises(Exception):  # noqa: B017 - ValueError or re.error
        FaultConfig(**kwargs)
