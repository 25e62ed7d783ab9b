"""Plots with units (Agg backend) and the demo's overview PNG."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import xarray as xr  # noqa: E402

import hexoframe  # noqa: E402
from hexoframe.core.errors import InvalidQueryError  # noqa: E402

STRIP = {"start": "2024-05-01T10:00:00Z", "end": "2024-05-01T10:00:10Z"}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def vitals(athlete_client):
    return hexoframe.read_hexoskin(
        record=37700,
        datatypes=["hr", "br", "activity"],
        client=athlete_client,
        progress=False,
        end="2024-05-01T10:05:00Z",
    )


def test_series_and_frame_plots_carry_units(vitals):
    ax = vitals["heart_rate"].hexo.plot()
    assert ax.get_ylabel() == "heart_rate [bpm]" and ax.get_xlabel() == "time (UTC)"
    line = ax.get_lines()[0]
    assert len(line.get_ydata()) == len(vitals) == 299
    axes = vitals.hexo.plot(color="k")
    assert [a.get_ylabel() for a in axes] == [
        "heart_rate [bpm]",
        "breathing_rate [rpm]",
        "activity [g]",
    ]
    assert axes[-1].get_xlabel() == "time (UTC)"
    assert np.array_equal(axes[2].get_lines()[0].get_ydata(), vitals["activity"].to_numpy())
    fig, own = plt.subplots(3, 1)
    assert list(vitals.hexo.plot(ax=own)) == list(own)
    with pytest.raises(InvalidQueryError, match="Need 3 axes"):
        vitals.hexo.plot(ax=own[:2])


def test_physical_units_and_outer_joined_frames(athlete_client):
    df = hexoframe.read_hexoskin(
        record=37700, datatypes=["ecg", "hr"], client=athlete_client, progress=False, **STRIP
    ).hexo.to_physical()
    axes = hexoframe.plot(df)
    assert [a.get_ylabel() for a in axes] == ["ecg_i [mV]", "heart_rate [bpm]"]
    # NaN rows of the outer join are left out of each line
    assert len(axes[0].get_lines()[0].get_xdata()) == 10 * 256
    assert len(axes[1].get_lines()[0].get_xdata()) == 9


def test_dataset_plot(so):
    ds = xr.open_dataset(
        "hexoskin://record/37700", engine="hexoskin", datatypes=["hr", "br"], storage_options=so
    )
    axes = ds.isel(time_1hz=slice(0, 120)).hexo.plot()
    assert [a.get_ylabel() for a in axes] == ["heart_rate [bpm]", "breathing_rate [rpm]"]
    assert len(axes[0].get_lines()[0].get_ydata()) == 120
    assert (
        ds["heart_rate"].isel(time_1hz=slice(0, 5)).hexo.plot().get_ylabel() == "heart_rate [bpm]"
    )
    with pytest.raises(InvalidQueryError, match="Cannot plot"):
        hexoframe.plot([1, 2, 3])


def test_plot_record_overview(athlete_client, tmp_path):
    png = tmp_path / "sub" / "overview.png"
    fig = hexoframe.plot_record(
        37700, end="2024-05-01T10:05:00Z", client=athlete_client, ecg_seconds=10, path=png
    )
    ecg_ax, hr_ax, act_ax, br_ax = fig.axes
    assert ecg_ax.get_ylabel() == "ecg_i [mV]"
    assert hr_ax.get_ylabel() == "heart_rate [bpm]"
    assert br_ax.get_ylabel() == "breathing_rate [rpm]"
    assert act_ax.get_ylabel() == "activity [g]"
    ecg_line, beat_marks = ecg_ax.get_lines()
    assert len(ecg_line.get_xdata()) == 10 * 256
    rr = hexoframe.read_hexoskin(
        record=37700, datatypes="rr", client=athlete_client, progress=False, **STRIP
    )
    assert len(beat_marks.get_xdata()) == rr["rr_interval"].notna().sum() > 10
    q = hexoframe.read_hexoskin(
        record=37700,
        datatypes="hr_quality",
        client=athlete_client,
        progress=False,
        end="2024-05-01T10:05:00Z",
    )
    unflagged = int((q["heart_rate_quality"] == 0).sum())
    assert unflagged < 299  # some samples are flagged, and the overview leaves them out
    assert len(hr_ax.get_lines()[0].get_ydata()) == unflagged
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert list(tmp_path.joinpath("sub").iterdir()) == [png]  # no temporary file left


def test_demo_saves_a_valid_png_and_prints_its_path(tmp_path):
    from hexoframe.demo import run_demo

    out = io.StringIO()
    target = tmp_path / "demo.png"
    assert run_demo(out=out, plot_path=target) == 0
    printed = re.search(r"saved to (\S+\.png)", out.getvalue())
    assert printed is not None and Path(printed.group(1)) == target.resolve()
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    img = mpimg.imread(target)
    assert img.ndim == 3 and img.shape[0] >= 400 and img.shape[1] >= 600
    assert float(img[..., :3].std()) > 0.01  # not a blank canvas


def test_demo_without_matplotlib_says_how_to_get_it(monkeypatch):
    from hexoframe import demo

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    out = io.StringIO()
    demo._plot_section(out, client=None, plot_path="unused.png")
    assert "pip install 'hexoframe[plot]'" in out.getvalue()
    assert not Path("unused.png").exists()
    with pytest.raises(ImportError, match=r"hexoframe\[plot\]"):
        hexoframe.plot(pd.Series([1.0], name="heart_rate"))
