"""Issue 8 items 5 and 7: one rule for times, typed errors for plausible bad input.

Every case here gave a wrong value or an untyped exception (OutOfBoundsDatetime, TypeError,
ValueError, runaway planning) before.
"""

from __future__ import annotations

import datetime as dt

import fsspec
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from hexoframe.api.client import Client
from hexoframe.core.errors import InvalidQueryError, UnknownDatatypeError
from hexoframe.core.timestamps import to_ticks
from hexoframe.data.reader import read_hexoskin


# -- item 5: to_ticks --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value, expected",
    [
        (256.0, 256),
        ([256.0], [256]),
        (np.array([256.0]), [256]),
        (pd.Series([439610572800.0]), [439610572800]),
        ([256, "1970-01-01T00:00:01"], [256, 256]),
        (("1970-01-01T00:00:02Z", 3), [512, 3]),
        (pd.Series(pd.to_datetime(["1970-01-01T00:00:01Z"])), [256]),
        (np.array(["1970-01-01T00:00:01"], dtype="datetime64[s]"), [256]),
    ],
)
def test_one_rule_for_scalars_and_containers(value, expected):
    got = to_ticks(value)
    assert (got.tolist() if isinstance(got, np.ndarray) else got) == expected


@pytest.mark.parametrize(
    "value",
    [
        [2**63],
        [np.iinfo(np.uint64).max],
        10**30,
        [10**30],
        2.0**63,
        [2.0**63],
        float("nan"),
        [float("inf")],
        [1.5],
        0.5,
        "3000-01-01",
        "9999-12-31",
        dt.date(1, 1, 1),
        [dt.date(1, 1, 1)],
        np.datetime64("3000-01-01"),
        np.array(["3000-01-01"], dtype="datetime64[D]"),
        [True],
        object(),
    ],
)
def test_out_of_range_and_non_times_are_typed_errors(value):
    with pytest.raises(InvalidQueryError):
        to_ticks(value)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.integers(-(2**62), 2**62),
            st.integers(-(2**52), 2**52).map(float),
            st.datetimes(min_value=dt.datetime(1678, 1, 1), max_value=dt.datetime(2261, 12, 31)),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_containers_equal_their_elements_one_by_one(values):
    """A list gives what each element gives alone (the bug: floats read as ns in lists)."""
    assert to_ticks(values).tolist() == [to_ticks(v) for v in values]


# -- item 7: the entry points ------------------------------------------------------------------
@pytest.fixture(scope="module")
def client(hexoskin_emulator, hexoskin_users):
    athlete = hexoskin_users["athlete"]
    with Client(
        base_url=hexoskin_emulator.url, username=athlete["email"], password=athlete["password"]
    ) as c:
        yield c


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(record=37700, datatypes="hr", start="3000-01-01"), "out of range"),
        (dict(record=37700, datatypes="hr", end="9999-12-31"), "out of range"),
        (dict(record=37700, datatypes="hr", start=dt.date(1, 1, 1)), "out of range"),
        (dict(record=37700, datatypes="hr", start=[438926745600]), "several times"),
        (dict(start=0, end=10**30, user=1511, datatypes="hr"), "out of range"),
        (dict(start=0, end=2**60, user=1511, datatypes="hr"), "outside 1677"),
        (dict(start=0, end=400 * 86400 * 256, user=1511, datatypes="hr"), "366 days"),
    ],
)
def test_read_hexoskin_bad_times_are_typed(hexoskin_emulator, client, kwargs, words):
    hexoskin_emulator.reset_stats()
    with pytest.raises(InvalidQueryError, match=words):
        read_hexoskin(client=client, **kwargs)
    assert hexoskin_emulator.stats.data_requests == 0  # refused before any data request


@pytest.mark.parametrize("datatypes", [19.0, [19.0, "hr"], float("nan")])
def test_float_datatypes_are_typed_errors(client, datatypes):
    with pytest.raises(UnknownDatatypeError, match="id or a name"):
        read_hexoskin(client=client, record=37700, datatypes=datatypes)


def test_list_filters_with_out_of_range_dates_are_typed(client):
    with pytest.raises(InvalidQueryError, match="out of range"):
        client.records(start__gte="3000-01-01")
    with pytest.raises(InvalidQueryError, match="out of range"):
        client.records(start__gte=dt.date(1, 1, 1))


def test_open_dataset_bad_times_and_decoders_are_typed(client):
    with pytest.raises(InvalidQueryError, match="out of range"):
        xr.open_dataset(
            "hexoskin://record/37700",
            engine="hexoskin",
            client=client,
            datatypes="hr",
            start="9999-01-01",
        )
    for option in ({"decode_times": False}, {"mask_and_scale": False}, {"use_cftime": True}):
        with pytest.raises(InvalidQueryError, match="not supported by the hexoskin engine"):
            xr.open_dataset(
                "hexoskin://record/37700",
                engine="hexoskin",
                client=client,
                datatypes="hr",
                **option,
            )
    ds = xr.open_dataset(
        "hexoskin://record/37700",
        engine="hexoskin",
        client=client,
        datatypes="hr",
        decode_times=True,
    )
    assert ds["heart_rate"].size == 3599


def test_fsspec_offsets_must_be_integers(hexoskin_emulator, hexoskin_users):
    athlete = hexoskin_users["athlete"]
    fs = fsspec.filesystem(
        "hexoskin",
        base_url=hexoskin_emulator.url,
        skip_instance_cache=True,
        username=athlete["email"],
        password=athlete["password"],
    )
    whole = fs.cat_file("record/37700/heart_rate.wav")
    assert fs.cat_file("record/37700/heart_rate.wav", start=2.0, end=10.0) == whole[2:10]
    for bad in (1.5, "3", float("nan")):
        with pytest.raises(InvalidQueryError, match="byte offset"):
            fs.cat_file("record/37700/heart_rate.wav", start=bad)
