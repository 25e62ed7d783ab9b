"""Who closes the client: front doors close the clients they create, never one passed in.

Connections are counted from the kernel's socket table (``/proc/net/tcp``): a client's
pooled keep-alive connections to a fresh emulator stay ESTABLISHED until it is closed.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
import xarray as xr

from hexoframe.api.client import Client
from hexoframe.data.reader import read_hexoskin

TABLES = [Path("/proc/net/tcp"), Path("/proc/net/tcp6")]
pytestmark = pytest.mark.skipif(
    not TABLES[0].exists(), reason="counts sockets through Linux's /proc/net/tcp"
)


def open_connections(port: int) -> int:
    """ESTABLISHED client sockets whose remote port is ``port``."""
    count = 0
    for table in TABLES:
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "01" and int(fields[2].rsplit(":", 1)[1], 16) == port:
                count += 1
    return count


@pytest.fixture
def emu(hexoskin_emulator_factory):
    return hexoskin_emulator_factory()


@pytest.fixture
def options(emu, hexoskin_users):
    user = hexoskin_users["athlete"]
    return {"base_url": emu.url, "username": user["email"], "password": user["password"]}


def port_of(emu) -> int:
    return int(emu.url.rstrip("/").rsplit(":", 1)[1])


def test_a_passed_client_stays_open_and_an_own_one_is_closed(emu, options):
    port = port_of(emu)
    with Client(**options) as mine:
        df = read_hexoskin(client=mine, record=37700, datatypes="hr")
        assert len(df) == 3599
        assert open_connections(port) >= 1  # the caller's client keeps its pool
    assert open_connections(port) == 0
    df = read_hexoskin(record=37700, datatypes="hr", **options)
    assert len(df) == 3599 and open_connections(port) == 0


def test_dataset_closes_its_client_on_close(emu, options):
    port = port_of(emu)
    ds = xr.open_dataset(
        "hexoskin://record/37700", engine="hexoskin", datatypes="hr", storage_options=options
    )
    assert int(ds["heart_rate"].count()) == 3599
    assert open_connections(port) >= 1
    ds.close()
    assert open_connections(port) == 0
    with Client(**options) as mine:
        ds = xr.open_dataset(
            "hexoskin://record/37700", engine="hexoskin", datatypes="hr", client=mine
        )
        ds.load()
        ds.close()
        assert open_connections(port) >= 1  # not ours to close
        assert mine.get("record", 37700)["id"] == 37700


def test_filesystem_closes_its_client(emu, options):
    import fsspec

    port = port_of(emu)
    fs = fsspec.filesystem("hexoskin", skip_instance_cache=True, **options)
    assert len(fs.cat_file("record/37700/heart_rate.wav")) == 44 + 2 * 3599
    assert open_connections(port) >= 1
    fs.close()
    assert open_connections(port) == 0
    assert len(fs.cat_file("record/37700/heart_rate.wav")) == 44 + 2 * 3599  # reconnects
    del fs
    gc.collect()
    assert open_connections(port) == 0


def test_cohort_client_lives_as_long_as_its_result(emu, options):
    pytest.importorskip("dask", reason="cohorts need the dask extra")
    from hexoframe.frontends.cohort import read_cohort

    port = port_of(emu)
    ddf = read_cohort(records=[37700], datatypes="hr", storage_options=options)
    assert len(ddf.compute(scheduler="sync")) == 3599
    assert open_connections(port) >= 1
    del ddf
    gc.collect()
    assert open_connections(port) == 0
