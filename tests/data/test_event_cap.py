"""Event channels stay complete when the service caps answers below the assumed 65,535.

Issue 8 item 4: with the emulator's ``subsample_cap`` fault at 1000 or 97, JSON and CSV reads
of RR intervals (and other event channels) came back with every k-th event and
``subsampled == False``. Event answers are now checked event for event against the binary
``.hxd`` of the same window, which the service never subsamples, and split until they match.
"""

from __future__ import annotations

import fsspec
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from hexoframe.api.client import Client
from hexoframe.core import errors
from hexoframe.data.reader import read_hexoskin
from hexoframe.emulator import FaultConfig

EVENTS = ["rr_interval", "nn_interval", "step", "inspiration", "expiration"]


@pytest.fixture(scope="module")
def emu(hexoskin_module_emulator_factory):
    """A private emulator: these tests lower its event cap."""
    return hexoskin_module_emulator_factory()


@pytest.fixture(scope="module")
def reference(emu, athlete_login):
    """Every event of record 37758, fault-free, from the binary answer."""
    emu.set_faults(None)
    with Client(base_url=emu.url, **athlete_login) as c:
        return read_hexoskin(client=c, record=37758, datatypes=EVENTS, method="binary", how="dict")


def test_reference_is_the_full_event_count(reference):
    assert len(reference["rr_interval"]) == 1058
    assert all(len(s) > 0 for s in reference.values())


@pytest.mark.parametrize("cap", [1000, 97])
@pytest.mark.parametrize("method", ["json", "csv"])
def test_read_hexoskin_gets_every_event_at_a_lower_cap(emu, athlete_login, reference, cap, method):
    emu.set_faults(FaultConfig(subsample_cap=cap))
    try:
        with Client(base_url=emu.url, **athlete_login) as c:
            got = read_hexoskin(client=c, record=37758, datatypes=EVENTS, method=method, how="dict")
    finally:
        emu.set_faults(None)
    for name in EVENTS:
        pd.testing.assert_series_equal(got[name], reference[name])


@pytest.mark.parametrize("cap", [1000, 97])
def test_open_dataset_gets_every_event_at_a_lower_cap(emu, athlete_login, reference, cap):
    emu.set_faults(FaultConfig(subsample_cap=cap))
    try:
        with Client(base_url=emu.url, **athlete_login) as c:
            ds = xr.open_dataset(
                "hexoskin://record/37758",
                engine="hexoskin",
                client=c,
                datatypes=["rr"],
                method="json",
            ).load()
    finally:
        emu.set_faults(None)
    values = ds["rr_interval"].to_numpy()
    assert values.size == 1058
    np.testing.assert_array_equal(values, reference["rr_interval"].to_numpy())


@pytest.mark.parametrize("cap", [1000, 97])
def test_fsspec_cat_gets_every_event_at_a_lower_cap(emu, athlete_login, reference, cap):
    emu.set_faults(FaultConfig(subsample_cap=cap))
    try:
        fs = fsspec.filesystem(
            "hexoskin", base_url=emu.url, method="json", skip_instance_cache=True, **athlete_login
        )
        text = fs.cat_file("record/37758/RR_interval.csv").decode()
    finally:
        emu.set_faults(None)
    rows = [line for line in text.splitlines()[1:] if line]
    assert len(rows) == 1058
    values = np.array([float(r.split(",")[1]) for r in rows])
    # the export CSV holds raw values: RR in 1/256 s
    np.testing.assert_array_equal(values / 256, reference["rr_interval"].to_numpy())


def test_resolution_any_still_accepts_the_capped_answer(emu, athlete_login, reference):
    emu.set_faults(FaultConfig(subsample_cap=97))
    try:
        with Client(base_url=emu.url, **athlete_login) as c:
            got = read_hexoskin(
                client=c, record=37758, datatypes="rr", method="json", resolution="any", how="dict"
            )["rr_interval"]
    finally:
        emu.set_faults(None)
    assert 0 < len(got) < len(reference["rr_interval"])


def test_events_the_binary_answer_lacks_are_an_error(emu, athlete_login):
    """A JSON answer holding events the uncapped binary answer lacks is not passed on."""
    from hexoframe.data import fetch
    from hexoframe.data.plan import build_requests, plan_query

    with Client(base_url=emu.url, **athlete_login) as c:
        plan = plan_query(c, "rr", record=37758)
        reqs = build_requests(plan, "json")
        reference = fetch._event_reference(c, plan, reqs[0])
        i = reqs[0].members[0][0]
        piece = fetch.Piece(
            0,
            np.zeros(reference[i].size + 1, np.int64),
            ticks=np.arange(reference[i].size + 1, dtype=np.int64),
        )
        state = fetch._State(plan.cap)
        verdict = fetch._verdict(
            plan.channels[i], reqs[0].start, reqs[0].end, piece, state, "json", reference[i]
        )
    assert verdict == "incomplete"
    assert isinstance(errors.IncompleteDataError("x"), errors.HexoskinError)
