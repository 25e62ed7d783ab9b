"""pd.read_hexoskin registration and the stateless .hexo accessors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hexoframe
from hexoframe.core.catalog import lookup
from hexoframe.data.assemble import channel_series, combine
from hexoframe.frontends import pandas_ext


def test_register_guarded(monkeypatch):
    assert pandas_ext.register() is True
    assert getattr(pd.read_hexoskin, "_hexoframe", False)
    assert hexoframe.read_hexoskin is not None

    def other(*a, **k):
        return None

    monkeypatch.setattr(pd, "read_hexoskin", other, raising=False)
    with pytest.warns(UserWarning, match="another package"):
        assert pandas_ext.register() is False
    assert pd.read_hexoskin is other


def test_series_accessor_ticks_and_units():
    ticks = pd.Series([438926745600, 438926745856])
    dt = ticks.hexo.to_datetime()
    assert dt.iloc[0] == pd.Timestamp("2024-05-01T10:00Z")
    assert dt.hexo.to_ticks().tolist() == ticks.tolist()
    s = channel_series(lookup("ecg"), np.array([0, 1]), np.array([1360, 1516]), source="raw")
    phys = s.hexo.to_physical()
    assert phys.attrs["unit"] == "mV" and phys.iloc[1] == pytest.approx(0.9984)
    assert phys.hexo.to_raw().tolist() == [1360, 1516]
    assert s.hexo.index_ticks().tolist() == [0, 1]
    assert s.hexo.with_tick_index().hexo.with_time_index().index.equals(s.index)
    assert s.hexo.info()["rate"] == 256.0


def test_frame_accessor_units():
    hr = channel_series(lookup("hr"), np.array([256]), np.array([70]), source="raw")
    act = channel_series(lookup("activity"), np.array([256]), np.array([128]), source="raw")
    df = combine([hr, act])
    assert df.hexo.units() == {"heart_rate": "bpm", "activity": "g"}
    raw = df.hexo.convert("raw")
    assert raw["activity"].tolist() == [128]
    assert raw.attrs["hexoskin"]["columns"]["activity"]["unit"] == "g/256"
    frame = pd.DataFrame({"start": [438926745600], "x": [1]})
    assert frame.hexo.to_datetime()["start"].iloc[0] == pd.Timestamp("2024-05-01T10:00Z")
    assert df.hexo.index_ticks().tolist() == [256]


def test_multi_user_results_keep_the_user():
    a = channel_series(lookup("hr"), np.array([256, 512]), np.array([70, 71]), source="raw", user=1)
    b = channel_series(lookup("hr"), np.array([256]), np.array([60]), source="raw", user=2)
    wide = combine([a, b])
    assert wide.index.names == ["user", "time"] and len(wide) == 3
    assert wide.loc[2, "heart_rate"].tolist() == [60]
    long = combine([a, b], how="long")
    assert list(long.columns) == ["time", "user", "datatype", "value"]
    assert set(combine([a, b], how="dict")) == {(1, "heart_rate"), (2, "heart_rate")}
