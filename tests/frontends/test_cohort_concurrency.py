"""read_cohort bounds the requests of a whole cohort in flight, 429s included."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from hexoframe.api.client import Client
from hexoframe.core import errors
from hexoframe.emulator import FaultConfig

dask = pytest.importorskip("dask")
pytest.importorskip("dask.dataframe")

from hexoframe.frontends.cohort import read_cohort  # noqa: E402

ME = {"username": "athlete@hexoskin.com", "password": "hexoskin"}


@pytest.fixture()
def slow(hexoskin_emulator_factory):
    """A distant emulator: 50 ms per request, so reads that can overlap do."""
    return hexoskin_emulator_factory(latency=0.05)


def _compute(ddf):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ddf.compute(scheduler="threads", num_workers=6)


def test_max_concurrent_bounds_requests_in_flight(slow):
    with Client(slow.url, **ME) as cl:
        ddf = read_cohort(
            records=[37700], datatypes="ecg", method="json", client=cl, max_concurrent=2
        )
        assert ddf.npartitions == 15
        slow.reset_stats()
        bounded = _compute(ddf)
        assert slow.network_stats["peak_concurrency"] <= 2
        assert slow.stats.data_requests == 15
        free = read_cohort(
            records=[37700], datatypes="ecg", method="json", client=cl, max_concurrent=None
        )
        slow.reset_stats()
        unbounded = _compute(free)
        assert slow.network_stats["peak_concurrency"] > 2  # six dask threads at once
    pd.testing.assert_frame_equal(bounded, unbounded)
    assert len(bounded) == 3600 * 256


def test_rate_limited_cohort_waits_out_429s(slow):
    slow.set_faults(FaultConfig(rate_limit_rate=0.5, retry_after=0))
    with Client(slow.url, **ME) as cl:
        ddf = read_cohort(
            records=[37700, 37701], datatypes="hr", method="json", client=cl, max_concurrent=2
        )
        slow.reset_stats()
        before = slow.fault_counts.get("429", 0)  # some while building the graph
        got = _compute(ddf)
    assert slow.fault_counts["429"] > before  # partitions answered 429, retried after Retry-After
    assert got.groupby("record").size().to_dict() == {37700: 3599, 37701: 86399}
    assert slow.network_stats["peak_concurrency"] <= 2


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "4"])
def test_bad_max_concurrent_refused(slow, bad):
    with (
        Client(slow.url, **ME) as cl,
        pytest.raises(errors.InvalidQueryError, match="max_concurrent"),
    ):
        read_cohort(records=[37700], datatypes="hr", client=cl, max_concurrent=bad)
