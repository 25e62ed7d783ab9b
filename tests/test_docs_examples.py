"""The python blocks of the documentation run, page by page, against a live emulator.

Each page's blocks run in order in one namespace (as a reader would paste them), in a
temporary folder, with the ``HEXOSKIN_*`` environment the pages assume pointing at a
private emulator (some pages create and delete objects, so the shared one is left alone).
A block preceded by ``<!-- no-run: reason -->`` needs what a test cannot have (your own
account or files, a cluster): it is only compiled, and reported as skipped with that
reason.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fsspec
import numpy as np
import pandas as pd
import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = sorted(p.name for p in DOCS.glob("*.md"))

_FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", flags=re.S | re.M)
_NO_RUN = re.compile(r"<!--\s*no-run:\s*(.+?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    code: str
    skip: str | None  # the reason given by a no-run comment


def blocks(page: str) -> list[Block]:
    """The page's ```python blocks, in order, with their no-run reasons."""
    text = (DOCS / page).read_text(encoding="utf-8")
    found = []
    for match in _FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        reason = _NO_RUN.search(before)
        line = text.count("\n", 0, match.start()) + 1
        found.append(Block(page, line, match.group(1), reason.group(1) if reason else None))
    return found


def run_page(page: str) -> tuple[dict[str, Any], str]:
    """Run the page's runnable blocks in one namespace; return it and what they printed."""
    ns: dict[str, Any] = {"__name__": f"docs_{Path(page).stem}"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for block in blocks(page):
            if block.skip is None:
                exec(compile(block.code, f"docs/{page} line {block.line}", "exec"), ns)
    return ns, out.getvalue()


@pytest.fixture()
def docs_env(hexoskin_emulator_factory, hexoskin_users, monkeypatch, tmp_path) -> Iterator[Any]:
    """A private emulator in ``HEXOSKIN_*`` as the demo athlete, run in a temporary folder."""
    emu = hexoskin_emulator_factory()
    for name in ("API_KEY", "API_SECRET", "TOKEN", "CLIENT_ID", "CLIENT_SECRET", "REFRESH_TOKEN"):
        monkeypatch.delenv(f"HEXOSKIN_{name}", raising=False)
    athlete = hexoskin_users["athlete"]
    monkeypatch.setenv("HEXOSKIN_URL", emu.url)
    monkeypatch.setenv("HEXOSKIN_USERNAME", athlete["email"])
    monkeypatch.setenv("HEXOSKIN_PASSWORD", athlete["password"])
    monkeypatch.chdir(tmp_path)
    # fsspec keeps filesystem instances (the hexoskin one, and a simplecache around it) by
    # constructor arguments, and the pages build theirs from the environment: start from
    # none and leave none, so no instance points at an emulator that has stopped.
    kept = [fsspec.get_filesystem_class(name) for name in ("hexoskin", "simplecache")]
    for cls in kept:
        cls.clear_instance_cache()
    yield emu
    for cls in kept:
        cls.clear_instance_cache()


def _check_quickstart(ns: dict[str, Any], out: str, emu: Any) -> None:
    vitals = ns["vitals"]
    assert list(vitals.columns) == ["heart_rate", "breathing_rate"]
    assert len(vitals) == 3599 and str(vitals.index.tz) == "UTC"
    assert vitals.index[0] == pd.Timestamp("2024-05-01T10:00:01Z")
    assert vitals.index[-1] == pd.Timestamp("2024-05-01T10:59:59Z")
    assert vitals.sum().to_dict() == {"heart_rate": 280944, "breathing_rate": 59492}
    assert "3599 seconds; UTC" in out
    ds = ns["ds"]
    assert dict(ds.sizes) == {"time_256hz": 921600, "time_1hz": 3599}
    assert dict(ns["first_minute"].sizes) == {"time_256hz": 15360}
    assert float(ns["hr_at_half_past"]) == vitals.loc["2024-05-01T10:30:00Z", "heart_rate"]
    ecg = ns["pd"].read_hexoskin(
        record=37700, datatypes="ecg", start="2024-05-01T10:00Z", end="2024-05-01T10:01Z"
    )
    np.testing.assert_array_equal(ns["first_minute"].values, ecg["ecg_i"].to_numpy())


def _check_howto(ns: dict[str, Any], out: str, emu: Any) -> None:
    ecg = ns["ecg"]
    assert ecg.shape == (76800, 1) and list(ecg.columns) == ["ecg_i"]
    assert ecg.index[-1] - ecg.index[0] == pd.Timedelta(seconds=300 - 1 / 256)
    assert ecg.attrs["hexoskin"]["method"] == "binary"
    assert "76800 samples of ecg_i" in out
    assert ns["ecg_mv"].shape == (2560, 1)
    assert ns["ecg_mv"].attrs["hexoskin"]["columns"]["ecg_i"]["unit"] == "mV"
    # a night: the sleep range, every second of seven hours
    night = ns["night"]
    assert night.shape == (25200, 2)
    assert night.index[0] == pd.Timestamp("2024-05-02T00:30:00Z")
    assert night.index[-1] == pd.Timestamp("2024-05-02T07:29:59Z")
    assert len(ns["every_5_min"]) == 84
    assert ns["every_5_min"]["heart_rate"].iloc[0] == night["heart_rate"].iloc[:300].mean()
    night_hrv = ns["night_hrv"]
    assert len(night_hrv) == 83 and list(night_hrv.columns[:4]) == [
        "n_nn",
        "mean_nn",
        "sdnn",
        "rmssd",
    ]
    assert (night_hrv["n_nn"] > 0).all()
    # one grid: ECG averaged per second, heart rate as it was
    minute, per_second = ns["minute"], ns["per_second"]
    assert per_second.shape == (60, 2) and per_second["heart_rate"].notna().all()
    assert per_second["ecg_i"].iloc[0] == minute["ecg_i"].iloc[:256].mean()
    # heart rate is stamped at the end of the second it describes: 10:00:01 covers 10:00
    np.testing.assert_array_equal(
        per_second["heart_rate"].to_numpy()[:59], minute["heart_rate"].dropna().to_numpy()
    )
    assert [ax.get_ylabel() for ax in ns["axes"]] == ["heart_rate [bpm]", "breathing_rate [rpm]"]
    assert Path("record_37700.png").stat().st_size > 0
    assert list(ns["tracks"]["id"]) == [80] and len(ns["points"]) == 1200
    assert ns["points"]["latitude"].between(45.52, 45.54).all()
    # the export hexoframe wrote reads back as the service gives the record
    export, ds, vitals = ns["export"], ns["ds"], ns["vitals"]
    assert export.shape == (921600, 33)
    assert ds.sizes["time_256hz"] == 921600 and ds.sizes["time_rr_interval"] == 4684
    assert "(921600, 33) Frozen({'time_1hz': 3599})" in out
    np.testing.assert_array_equal(
        export["ecg_i"].iloc[:76800].to_numpy(), ecg["ecg_i"].to_numpy().astype(float)
    )
    for name in vitals.columns:
        kept = export[name].dropna()
        assert kept.index.equals(vitals.index), name
        np.testing.assert_array_equal(kept.to_numpy(), vitals[name].to_numpy())
        np.testing.assert_array_equal(ds[name].to_numpy(), vitals[name].to_numpy())
    # the copied hexoskin:// folder has the same layout: its channels are the export's
    copied = ns["copied"]
    assert copied.shape == (921600, 19) and copied.index.equals(export.index)
    shared = [name for name in copied.columns if name in export.columns]
    assert len(shared) == 18  # all but qrs, which a dashboard export does not hold
    assert copied[shared].equals(export[shared])
    reread, vitals_ds = ns["reread"], ns["vitals_ds"]
    assert reread["heart_rate"].attrs["units"] == "min-1"
    assert reread["heart_rate"].equals(vitals_ds["heart_rate"])
    assert reread["breathing_rate"].equals(vitals_ds["breathing_rate"])
    assert ns["from_edf"].equals(ns["vitals"]) and "True" in out
    mean_hr = ns["mean_hr"]
    assert list(mean_hr.index) == [37700, 37750, 37751]
    assert mean_hr.loc[37700] == pytest.approx(ns["vitals"]["heart_rate"].mean(), rel=1e-12)
    assert dict(ns["cohort_ds"]["heart_rate"].sizes) == {"record": 2, "sample_1hz": 599}


def _check_usage(ns: dict[str, Any], out: str, emu: Any) -> None:
    from hexoframe.core.errors import NotFound

    client = ns["client"]
    records = ns["records"]
    # the athlete's own records and the one of a friend (1512) that the athlete may see
    assert records["user_id"].value_counts().to_dict() == {1511: 28, 1512: 1}
    assert records["start"].is_monotonic_decreasing
    assert list(ns["notes"]["annotation"]) == ["recorder start", "recorder stop"]
    lap = ns["lap"]
    assert lap["name"] == "lap" and lap["duration"] == "600"
    assert client.get("range", lap["id"])["end"] == 438927052800
    assert client.get("range", 58979)["name"] == "tempo"
    with pytest.raises(NotFound):
        client.get("annotation", 61353)  # the block deleted it
    assert ns["record"]["id"] == 37700
    assert list(ns["metrics"]["name"]) == ["heartrate_avg", "heartrate_min", "heartrate_max"]
    assert ns["df"].shape == (3599, 2)
    assert list(ns["run"].columns) == ["heart_rate", "breathing_rate", "rr_interval"]
    assert ns["run"].attrs["hexoskin"]["method"] == "json"
    assert dict(ns["ds"].sizes) == {"time_256hz": 154828800, "time_1hz": 604799}
    assert ns["riff"] == b"RIFF"
    assert ns["rr_csv"].shape == (4684, 2)
    # your own requests.Session: used, left open and without credentials
    assert ns["answers"] == [200] and ns["record_37700"]["id"] == 37700
    assert ns["my_session"].auth is None and "Authorization" not in ns["my_session"].headers
    assert "[200] None cardio-lab" in out
    # an unreachable service: one warning naming the host, then a bounded, clear failure
    said = [w for w in ns["said"] if issubclass(w.category, ns["hexoframe"].errors.HexoskinWarning)]
    assert len(said) == 1 and str(said[0].message).startswith("Cannot connect to 127.0.0.1:9 (")
    assert ns["failure"].startswith("Could not get an answer from 127.0.0.1:9: no connection")
    assert "in 2 attempt(s)" in ns["failure"]


def _check_emulator(ns: dict[str, Any], out: str, emu: Any) -> None:
    assert ns["client"].base_url.startswith(ns["emu"].url)
    assert not ns["emu"].running
    # the example test of the page passes against the environment the fixture sets
    ns["test_my_hrv_pipeline"](emu)
    assert ns["mean_rr"](pd.DataFrame({"rr_interval": [0.5, 1.0]})) == 0.75


def _check_api_mapping(ns: dict[str, Any], out: str, emu: Any) -> None:
    assert ns["me"]["id"] == 1511 and "1511 1511" in out
    assert ns["signed"].auth_kind == "apikey" and ns["basic"].auth_kind == "basic"
    records = ns["records"]
    assert list(records["id"]) == [37710, 37701, 37700]
    assert records["start_time"].is_monotonic_decreasing
    assert (records["end_time"] < pd.Timestamp("2024-05-11T00:00Z")).all()
    assert [len(objects) for objects, _, _ in ns["pages"]] == [500, 500, 306]
    assert ns["pages"][0][1]["total_count"] == 1306
    assert ns["refused"].startswith("record cannot be filtered on 'colour'")
    assert ns["vitals"].shape == (3599, 2) and ns["first_ten_minutes"].shape == (599, 1)
    assert list(ns["vitals"].columns) == ["heart_rate", "breathing_rate"]
    assert ns["first_ten_minutes"]["heart_rate"].equals(
        ns["vitals"]["heart_rate"].loc[:"2024-05-01T10:09:59Z"]
    )
    metrics = ns["metrics"]
    assert list(metrics["name"]) == ["heartrate_avg", "heartrate_max"]
    assert metrics["value"].iloc[0] == pytest.approx(ns["vitals"]["heart_rate"].mean(), rel=1e-9)
    assert metrics["value"].iloc[1] == ns["vitals"]["heart_rate"].max()
    assert ns["hrv_lf"]["name"].iloc[0] == "hrvlfnorm_avg"
    assert ns["hrv_lf"]["value"].iloc[0] == 35.18
    assert len(ns["track"]) == 1200 and ns["track"]["track_id"].eq(80).all()


def _check_performance(ns: dict[str, Any], out: str, emu: Any) -> None:
    assert len(ns["hr"]) == 3599 and ns["hr"]["heart_rate"].notna().all()
    # the far emulator saw the whole read: its bounds, then the data
    assert ns["stats"]["latency"] == 0.1 and ns["stats"]["requests"] >= 2
    assert ns["stats"]["bytes"] > 0
    assert ns["ds"]["ecg_i"].dtype == np.int16 and ns["v"].dtype == np.float32
    assert ns["ds"]["ecg_i"].encoding["_FillValue"] == -32768
    assert ns["ds"].sizes["time_256hz"] == 3600 * 256


CHECKS: dict[str, Callable[[dict[str, Any], str, Any], None]] = {
    "quickstart.md": _check_quickstart,
    "howto.md": _check_howto,
    "usage.md": _check_usage,
    "emulator.md": _check_emulator,
    "api-mapping.md": _check_api_mapping,
    "performance.md": _check_performance,
}
ELSEWHERE = {"analysis.md": "tests/analysis/test_analysis_docs.py runs it with its own assertions"}


def test_every_page_with_code_is_checked():
    with_code = {page for page in PAGES if any(b.skip is None for b in blocks(page))}
    assert with_code == set(CHECKS) | set(ELSEWHERE)


def test_no_run_marker_is_found():
    found = [b for b in blocks("howto.md") if b.skip]
    assert [b.skip for b in found] == ["starts a cluster of worker processes"]


@pytest.mark.parametrize("page", sorted(CHECKS))
def test_page_examples_run(page, docs_env):
    ns, out = run_page(page)
    CHECKS[page](ns, out, docs_env)


@pytest.mark.parametrize(
    "block",
    [b for page in PAGES for b in blocks(page) if b.skip],
    ids=lambda b: f"{b.page}:{b.line}",
)
def test_no_run_blocks_compile(block):
    compile(block.code, f"docs/{block.page} line {block.line}", "exec")
    pytest.skip(f"docs/{block.page} line {block.line}: {block.skip}")


def test_docs_build_without_warnings(tmp_path):
    """The site builds with warnings as errors, and the API page documents the public names."""
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_parser")
    root = DOCS.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-E",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            str(DOCS),
            str(tmp_path),
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    api = (tmp_path / "api.html").read_text(encoding="utf-8")
    for name in (
        "hexoframe.Client",
        "hexoframe.Client.records",
        "hexoframe.read_hexoskin",
        "hexoframe.read_export",
        "hexoframe.read_cohort",
        "hexoframe.core.errors.NotFound",
        "hexoframe.emulator.Emulator",
        "hexoframe.emulator.FaultConfig",
    ):
        assert f'id="{name}"' in api, name
    for page in PAGES:
        assert (tmp_path / page.replace(".md", ".html")).is_file(), page


def test_api_page_names_every_engine_option():
    """Every keyword the xarray engine accepts is described on the API page."""
    import xarray as xr

    import hexoframe  # noqa: F401  (the engine's entry point is hexoframe's)

    engine = xr.backends.list_engines()["hexoskin"]
    api = (DOCS / "api.md").read_text(encoding="utf-8")
    options = [name for name in engine.open_dataset_parameters if name != "filename_or_obj"]
    assert "datatypes" in options and "storage_options" in options
    assert [name for name in options if f"`{name}=" not in api] == []
