"""Property tests of hexoframe.core.timestamps: exact round trips, floors, time zones, tick rates"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hexoframe.core.errors import InvalidQueryError
from hexoframe.core.timestamps import (
    NS_PER_TICK,
    ticks_to_datetime64,
    ticks_to_timestamp,
    ticks_to_unix_seconds,
    to_ticks,
    unix_seconds_to_ticks,
)

RATES = (256, 1000)
ZONES = (
    "UTC",
    "Europe/Paris",
    "America/Montreal",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "America/St_Johns",
)
MIN_NS, MAX_NS = pd.Timestamp.min.value, pd.Timestamp.max.value


def tick_bounds(rate: int) -> tuple[int, int]:
    step = 1_000_000_000 // rate
    return -(-MIN_NS // step), MAX_NS // step


def ticks(rate: int = 256) -> st.SearchStrategy[int]:
    lo, hi = tick_bounds(rate)
    return st.integers(min_value=lo, max_value=hi)


# Hexoskin-era times (1970-2100), where ISO strings and floats are comfortable
modern = st.integers(min_value=0, max_value=4_102_444_800 * 256)

#: Applied per test, so that other test modules keep their own hypothesis settings.
props = settings(max_examples=150, deadline=None)


def test_tick_is_exact_nanoseconds():
    assert NS_PER_TICK * 256 == 1_000_000_000
    assert ticks_to_datetime64(1) == np.datetime64(3_906_250, "ns")


@props
@given(t=ticks())
def test_scalar_round_trip_through_datetime64(t):
    value = ticks_to_datetime64(t)
    assert isinstance(value, np.datetime64)
    assert value.astype(np.int64) == t * NS_PER_TICK
    assert to_ticks(value) == t


@props
@given(t=ticks())
def test_scalar_round_trip_through_timestamp(t):
    stamp = ticks_to_timestamp(t)
    assert stamp.tz is not None and str(stamp.tz) == "UTC"
    assert stamp.value == t * NS_PER_TICK
    assert to_ticks(stamp) == t
    assert to_ticks(stamp.tz_localize(None)) == t  # naive means UTC


@props
@given(t=st.lists(ticks(), max_size=50))
def test_array_round_trip(t):
    arr = np.array(t, dtype=np.int64)
    d64 = ticks_to_datetime64(arr)
    assert d64.dtype == np.dtype("datetime64[ns]") and d64.shape == arr.shape
    back = to_ticks(d64)
    assert back.dtype == np.int64
    np.testing.assert_array_equal(back, arr)


@props
@given(t=st.lists(ticks(), min_size=1, max_size=50))
def test_index_and_series_round_trip(t):
    arr = np.array(t, dtype=np.int64)
    idx = ticks_to_timestamp(arr)
    assert isinstance(idx, pd.DatetimeIndex) and str(idx.tz) == "UTC"
    np.testing.assert_array_equal(to_ticks(idx), arr)
    np.testing.assert_array_equal(to_ticks(pd.Series(idx)), arr)
    np.testing.assert_array_equal(to_ticks(pd.Series(arr)), arr)  # integer Series: ticks
    np.testing.assert_array_equal(to_ticks(list(idx)), arr)  # list of Timestamps


@props
@given(t=ticks(), zone=st.sampled_from(ZONES))
def test_time_zones_do_not_change_the_instant(t, zone):
    stamp = ticks_to_timestamp(t)
    try:
        local = stamp.tz_convert(zone)
    except (OverflowError, pd.errors.OutOfBoundsDatetime):
        return  # at the very edge of the datetime64 range
    assert to_ticks(local) == t


@props
@given(t=modern, zone=st.sampled_from(ZONES))
def test_iso_strings(t, zone):
    stamp = ticks_to_timestamp(t)
    assert to_ticks(stamp.isoformat()) == t  # "+00:00"
    assert to_ticks(stamp.tz_localize(None).isoformat()) == t  # naive = UTC
    assert to_ticks(stamp.tz_localize(None).isoformat() + "Z") == t
    assert to_ticks(stamp.tz_convert(zone).isoformat()) == t


@props
@given(t=modern, zone=st.sampled_from(ZONES))
def test_python_datetimes_floor_to_the_microsecond_tick(t, zone):
    stamp = ticks_to_timestamp(t)
    py = stamp.to_pydatetime(warn=False)  # microseconds: may fall between ticks
    expected = (stamp.value // 1000 * 1000) // NS_PER_TICK
    assert to_ticks(py) == expected
    assert to_ticks(py.astimezone(_zoneinfo(zone))) == expected
    assert to_ticks(py.replace(tzinfo=None)) == expected
    assert 0 <= t - expected <= 1


@props
@given(ns=st.integers(min_value=MIN_NS + NS_PER_TICK, max_value=MAX_NS))
def test_between_ticks_is_floored(ns):
    assert to_ticks(pd.Timestamp(ns, unit="ns")) == ns // NS_PER_TICK
    assert to_ticks(np.datetime64(ns, "ns")) == ns // NS_PER_TICK
    np.testing.assert_array_equal(
        to_ticks(np.array([ns], dtype="datetime64[ns]")), [ns // NS_PER_TICK]
    )


@props
@given(t=ticks(1000))
def test_astroskin_round_trip(t):
    d64 = ticks_to_datetime64(t, tick_rate=1000)
    assert d64.astype(np.int64) == t * 1_000_000
    assert to_ticks(d64, tick_rate=1000) == t
    assert to_ticks(ticks_to_timestamp(t, tick_rate=1000), tick_rate=1000) == t


@props
@given(t=st.lists(ticks(1000), max_size=30))
def test_astroskin_arrays(t):
    arr = np.array(t, dtype=np.int64)
    np.testing.assert_array_equal(to_ticks(ticks_to_timestamp(arr, 1000), 1000), arr)


@props
@given(t=modern)
def test_same_instant_in_both_rates(t):
    ns = t * NS_PER_TICK
    assert to_ticks(ticks_to_timestamp(t), tick_rate=1000) == ns // 1_000_000


@props
@given(t=modern)
def test_unix_seconds_round_trip(t):
    assert unix_seconds_to_ticks(ticks_to_unix_seconds(t)) == t


@props
@given(day=st.dates(min_value=dt.date(1970, 1, 1), max_value=dt.date(2200, 1, 1)))
def test_dates_are_utc_midnight(day):
    expected = (day - dt.date(1970, 1, 1)).days * 86400 * 256
    assert to_ticks(day) == expected
    assert to_ticks(day.isoformat()) == expected


@props
@given(t=st.integers(min_value=-(2**62), max_value=2**62))
def test_integers_are_ticks_already(t):
    assert to_ticks(t) == t and to_ticks(np.int64(t)) == t
    assert to_ticks(float(t) if abs(t) < 2**53 else t) == t


def test_reference_example_means_2014():
    # the reference's worked example is wrong about the date; the definition holds
    assert ticks_to_timestamp(1414690957 * 256) == pd.Timestamp("2014-10-30 17:42:37", tz="UTC")


@pytest.mark.parametrize("bad", ["yesterday-ish", "2024-13-45", 1.5, True, None])
def test_unreadable_values_raise(bad):
    with pytest.raises(InvalidQueryError):
        to_ticks(bad)


def _zoneinfo(name: str) -> dt.tzinfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)
