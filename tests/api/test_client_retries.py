"""Retries under the emulator's fault modes, and clear typed errors when they run out."""

from __future__ import annotations

import time

import pytest

from hexoframe.api.client import Client
from hexoframe.core import errors
from hexoframe.emulator.faults import FaultConfig
from hexoframe.emulator.store import DEMO_USERS

#: The demo athlete, from the emulator's own table (what ``hexoskin_users`` holds).
ATHLETE = {
    "username": DEMO_USERS["athlete"]["email"],
    "password": DEMO_USERS["athlete"]["password"],
}
RECORD = r"^/api/v1/record/"


pytestmark = pytest.mark.usefixtures("clean_credentials")


@pytest.fixture(scope="module")
def server(hexoskin_module_emulator_factory):
    """A private emulator: these tests set faults."""
    return hexoskin_module_emulator_factory()


@pytest.fixture
def emu(server):
    server.reset_stats()
    yield server
    server.set_faults(None)


def fast_client(emu, retries=8, **kwargs):
    return Client(
        emu.url, retries=retries, backoff_factor=0.001, backoff_jitter=0.001, **ATHLETE, **kwargs
    )


def requests_to(emu, path="/api/v1/record/37700/"):
    return emu.stats.by_path.get(path, 0)


@pytest.mark.parametrize("kind", ["error_rate", "drop_rate", "truncate_rate"])
def test_retries_succeed(emu, kind):
    emu.set_faults(FaultConfig(seed=3, retry_after=0, path_pattern=RECORD, **{kind: 0.5}))
    client = fast_client(emu, retries=12)
    for _ in range(8):
        assert client.get("record", 37700)["id"] == 37700
    assert requests_to(emu) > 8  # some attempts failed and were retried


def test_retries_succeed_on_lists(emu):
    emu.set_faults(
        FaultConfig(
            seed=5,
            retry_after=0,
            error_rate=0.2,
            truncate_rate=0.2,
            drop_rate=0.2,
            path_pattern=r"^/api/v1/annotation/",
        )
    )
    raw = fast_client(emu, retries=15).resource("annotation").list_raw(user=1511)
    assert len(raw) == raw.total_count > 1000


def test_rate_limit_respects_retry_after_then_fails_clearly(emu):
    emu.set_faults(FaultConfig(rate_limit_rate=1.0, retry_after=1, path_pattern=RECORD))
    client = fast_client(emu, retries=1)
    t0 = time.monotonic()
    with pytest.raises(errors.RateLimited) as info:
        client.get("record", 37700)
    assert time.monotonic() - t0 >= 1.0  # waited for Retry-After
    assert requests_to(emu) == 2
    assert info.value.status == 429 and info.value.retry_after == 1.0
    assert info.value.url.endswith("/api/v1/record/37700/")


def test_rate_limit_retried_even_for_post(emu):
    emu.set_faults(
        FaultConfig(
            seed=1, rate_limit_rate=0.5, retry_after=0, path_pattern=r"^/api/v1/annotation/$"
        )
    )
    client = fast_client(emu, retries=10)
    ids = [
        client.create(
            "annotation",
            {"annotation": f"n{i}", "datatype": 4096, "start": 438926745600 + i, "user": 1511},
        )["id"]
        for i in range(6)
    ]
    assert len(set(ids)) == 6
    assert requests_to(emu, "/api/v1/annotation/") > 6
    emu.set_faults(None)
    for ident in ids:
        client.delete("annotation", ident)


def test_server_errors_exhausted(emu):
    emu.set_faults(FaultConfig(error_rate=1.0, retry_after=0, path_pattern=RECORD))
    with pytest.raises(errors.ServerError) as info:
        fast_client(emu, retries=2).get("record", 37700)
    assert info.value.status in (500, 503)
    assert requests_to(emu) == 3


def test_post_is_not_retried_on_server_errors(emu):
    emu.set_faults(FaultConfig(error_rate=1.0, retry_after=0, path_pattern=r"^/api/v1/range/$"))
    with pytest.raises(errors.ServerError):
        fast_client(emu, retries=3).create(
            "range", {"name": "x", "start": 1, "end": 2, "user": 1511}
        )
    assert requests_to(emu, "/api/v1/range/") == 1


@pytest.mark.parametrize("kind", ["drop_rate", "truncate_rate"])
def test_broken_bodies_exhausted(emu, kind):
    emu.set_faults(FaultConfig(path_pattern=RECORD, **{kind: 1.0}))
    with pytest.raises(errors.ResponseError, match="incomplete") as info:
        fast_client(emu, retries=2).get("record", 37700)
    assert info.value.method == "GET"
    assert requests_to(emu) == 3


@pytest.mark.parametrize("retries", [0, 2])
@pytest.mark.parametrize("kind", ["drop_rate", "truncate_rate"])
def test_data_bodies_follow_the_clients_retry_setting(emu, kind, retries):
    """One retry policy: data answers are refetched exactly ``retries`` times, no more
    (the data engine used to add three attempts of its own, even with ``retries=0``)."""
    from hexoframe.data.reader import read_hexoskin

    emu.set_faults(FaultConfig(path_pattern=r"^/api/v1/data/", **{kind: 1.0}))
    client = fast_client(emu, retries=retries)
    client.get("record", 37700)  # the plan's lookup, outside the faults
    emu.reset_stats()
    with pytest.raises(errors.ResponseError, match="incomplete"):
        read_hexoskin(client=client, record=37700, datatypes="hr", method="json")
    assert emu.stats.data_requests == 1 + retries


def test_retry_time_budget(emu):
    emu.set_faults(FaultConfig(error_rate=1.0, retry_after=5, path_pattern=RECORD))
    client = fast_client(emu, retries=10, max_retry_time=0.5)
    t0 = time.monotonic()
    with pytest.raises(errors.ServerError):
        client.get("record", 37700)
    assert time.monotonic() - t0 < 2.0  # a 5 s Retry-After does not fit in 0.5 s
    assert requests_to(emu) == 1


def test_read_timeout_is_a_typed_error(emu):
    emu.set_faults(FaultConfig(latency=1.0, path_pattern=RECORD))
    client = fast_client(emu, retries=0, timeout=(2.0, 0.2))
    with pytest.raises(errors.ConnectionFailed, match="timed out"):
        client.get("record", 37700)


def test_unreachable_service_is_a_typed_error():
    client = Client("http://127.0.0.1:9", retries=1, backoff_factor=0.001, **ATHLETE)
    with pytest.raises(errors.ConnectionFailed, match="Could not get an answer"):
        client.get("record", 37700)
