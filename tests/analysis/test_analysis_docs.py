"""docs/analysis.md runs: its python blocks, in order, against the emulator."""

from __future__ import annotations

import contextlib
import io
import re

import pytest
from paths import REPO

DOC = REPO / "docs" / "analysis.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_analysis_howto_runs(hexoskin_env, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    pytest.importorskip("neurokit2")
    pytest.importorskip("mne")
    pytest.importorskip("wfdb")
    pytest.importorskip("cf_xarray")
    pytest.importorskip("pint_xarray")
    import matplotlib.pyplot as plt

    blocks = _blocks()
    assert len(blocks) >= 9
    monkeypatch.chdir(tmp_path)
    ns: dict = {"__name__": "analysis_md"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for number, code in enumerate(blocks, 1):
            exec(compile(code, f"docs/analysis.md block {number}", "exec"), ns)
    plt.close("all")
    # what the walk-through shows is what it claims
    assert ns["beats"]["reason"].iloc[0] == "first"
    assert len(ns["windows"]) == 11 and ns["windows"].index.equals(ns["service"].index)
    side = ns["side_by_side"]
    assert (side["rmssd"] - side["rmssd_service"]).abs().max() <= 0.123  # ms, 1/8192 s
    assert (side["mean_nn"] - side["ann_service"]).abs().max() <= 0.123
    assert ns["clean_vitals"].attrs["hexoskin"]["masked"]["heart_rate"] == 77
    assert ns["zones"].attrs["hr_max"] == 183.0
    assert (tmp_path / "overview.png").read_bytes()[:4] == b"\x89PNG"
    assert ns["nk_hrv"]["HRV_RMSSD"].iloc[0] == pytest.approx(ns["whole"]["rmssd"], rel=1e-12)
    assert ns["raw"].get_channel_types() == ["ecg"]
    assert (tmp_path / "hexoskin_37700.hea").is_file() and ns["back"].units == ["mV"]
    assert "R peaks found by neurokit2" in out.getvalue()
    assert len(ns["on_ecg"]) == 153_600 and ns["on_ecg"]["heart_rate"].notna().all()
    assert len(ns["per_second"]) == 600
    assert "heart rate on the ECG grid: 100.00% of rows" in out.getvalue()
    hr_hz = ns["quantified"]["heart_rate"].pint.to("Hz").pint.magnitude
    assert hr_hz * 60 == pytest.approx(ns["vitals_ds"]["heart_rate"].values, rel=1e-12)
    assert ns["time_axis"] == "time_1hz" and ns["flagged"] > 0
    assert f"time_1hz: {ns['flagged']} seconds flagged 'artifacts'" in out.getvalue()
