"""hexoframe.core.units: the one place values move between raw, API and physical units."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hexoframe.core import catalog, errors
from hexoframe.core.units import UNITS, convert, raw_dtype

DATATYPES = [dt for dt in catalog.data_datatypes()]


@settings(derandomize=True, max_examples=60, deadline=None)
@given(data=st.data(), index=st.integers(0, len(DATATYPES) - 1))
def test_every_pair_of_units_round_trips_raw_values(data, index):
    dt = DATATYPES[index]
    info = np.iinfo(raw_dtype(dt))
    lo, hi = max(info.min, -(2**31)), min(info.max, 2**31)
    raw = np.array(
        data.draw(st.lists(st.integers(lo, hi), min_size=1, max_size=20)), dtype=raw_dtype(dt)
    )
    for units in UNITS:
        there = convert(dt, raw, source="raw", units=units)
        back = convert(dt, there, source=units, units="raw")
        np.testing.assert_array_equal(back, raw)
        assert back.dtype == raw.dtype, (dt.name, units)
        for other in UNITS:  # and through the third unit
            via = convert(
                dt, convert(dt, there, source=units, units=other), source=other, units=units
            )
            np.testing.assert_allclose(via, there, rtol=1e-12)


def test_known_values():
    hr, act, ecg = catalog.lookup("hr"), catalog.lookup("activity"), catalog.lookup("ecg")
    assert convert(act, np.array([256]), source="raw", units="api").tolist() == [1.0]
    assert convert(act, np.array([0.5]), source="physical", units="raw").tolist() == [128]
    assert convert(hr, np.array([70]), source="api", units="physical").tolist() == [70.0]
    phys = convert(ecg, np.array([1000]), source="raw", units="physical")
    assert phys.tolist() == [(1000 - ecg.physical_offset) * ecg.physical_scale]


def test_nan_stays_nan_and_bad_units_are_typed():
    act = catalog.lookup("activity")
    got = convert(act, np.array([np.nan, 0.5]), source="api", units="raw")
    assert np.isnan(got[0]) and got[1] == 128.0 and got.dtype == np.float64
    with pytest.raises(errors.InvalidQueryError, match="volts"):
        convert(act, np.array([1]), source="raw", units="volts")
    with pytest.raises(errors.InvalidQueryError, match="adc"):
        convert(act, np.array([1]), source="adc", units="raw")
