"""Guard rails: pd.read_hexoskin's own signature, misspelt keywords named against
read_hexoskin, warnings for reads far slower than they could be and for spans without
data, and datetimes beside ticks in messages."""

from __future__ import annotations

import inspect
import warnings

import pandas as pd
import pytest

import hexoframe
from hexoframe.core import errors
from hexoframe.data.reader import read_hexoskin


@pytest.fixture(scope="module")
def client(athlete_client):
    return athlete_client


def test_pd_read_hexoskin_is_the_real_function():
    assert pd.read_hexoskin is hexoframe.read_hexoskin
    params = inspect.signature(pd.read_hexoskin).parameters
    assert {"record", "datatypes", "method", "units", "client"} <= set(params)
    assert pd.read_hexoskin.__doc__.startswith("Read Hexoskin data at full resolution")


@pytest.mark.parametrize(
    "kwargs, hint",
    [
        ({"strat": "2024-05-01T10:00Z"}, "did you mean 'start'"),
        ({"datatype": "hr"}, "did you mean 'datatypes'"),
        ({"usernme": "athlete@hexoskin.com"}, "did you mean 'username'"),
        ({"zzz": 1}, "it takes"),
    ],
)
def test_misspelt_keywords_are_named_against_read_hexoskin(hexoskin_emulator, client, kwargs, hint):
    hexoskin_emulator.reset_stats()
    with pytest.raises(errors.InvalidQueryError, match=hint) as info:
        pd.read_hexoskin(
            record=37700, **({"datatypes": "hr"} if "datatype" not in kwargs else {}), **kwargs
        )
    assert "read_hexoskin()" in str(info.value) and "Client" not in str(info.value)
    assert hexoskin_emulator.stats.total == 0


def test_a_needlessly_slow_read_warns_before_fetching(hexoskin_emulator, client):
    hexoskin_emulator.reset_stats()
    with warnings.catch_warnings():
        warnings.simplefilter("error", errors.HexoskinWarning)  # stop at the warning
        expected = "method='json' needs 85 requests for this read; method='binary' needs 2 "
        with pytest.raises(errors.HexoskinWarning, match=expected):
            read_hexoskin(
                client=client,
                record=37701,
                datatypes="ecg",
                method="json",
                start="2024-05-02T00:00Z",
                end="2024-05-02T06:00Z",
            )
    assert hexoskin_emulator.stats.data_requests == 0
    with warnings.catch_warnings():  # auto, and binary, do not warn
        warnings.simplefilter("error", errors.HexoskinWarning)
        read_hexoskin(
            client=client,
            record=37701,
            datatypes="ecg",
            start="2024-05-02T00:00Z",
            end="2024-05-02T00:05Z",
        )


def test_a_span_without_data_warns(client):
    with pytest.warns(
        errors.HexoskinWarning,
        match="No data: heart_rate hold no sample in 2020-01-01T00:00:00Z to 2020-01-01T01:00:00Z",
    ):
        df = read_hexoskin(
            client=client,
            user=1511,
            datatypes="hr",
            start="2020-01-01T00:00Z",
            end="2020-01-01T01:00Z",
        )
    assert df.empty


def test_messages_show_datetimes_beside_ticks(client):
    with pytest.raises(errors.InvalidQueryError) as info:
        read_hexoskin(
            client=client,
            record=37700,
            datatypes="hr",
            start="2024-06-01T00:00Z",
            end="2024-06-01T01:00Z",
        )
    message = str(info.value)
    assert "2024-05-01T10:00:00Z to 2024-05-01T11:00:00Z" in message
    assert "(ticks [438926745600, 438927667200))" in message
