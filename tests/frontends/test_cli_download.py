"""``hexoframe download`` typed in a shell, and :func:`hexoframe.frontends.download.download`:
each format read back equals ``read_hexoskin`` of the same span, spans crossing several
windows and slices, exit codes, and nothing left behind on a failure or Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import threading
import time

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import zarr
from cli_shell import HEXOFRAME, interruptible, shell_env
from cli_shell import run_cli as _run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hexoframe.api.client import Client
from hexoframe.core import errors
from hexoframe.data.reader import read_hexoskin
from hexoframe.emulator.faults import FaultConfig
from hexoframe.frontends.download import EDF_MAX_SAMPLES, DownloadTooLarge, download

# 20 minutes of record 37700: 307,200 ECG samples in 5 planner windows (5 dask chunks)
SPAN = {"record": 37700, "start": "2024-05-01T10:05Z", "end": "2024-05-01T10:25Z"}
TYPES = ["ecg", "hr", "rr"]


def _span_args(span=SPAN, types=TYPES):
    return [
        "--record",
        str(span["record"]),
        "--start",
        span["start"],
        "--end",
        span["end"],
        "--datatypes",
        ",".join(types),
    ]


@pytest.fixture
def athlete(hexoskin_emulator):
    return {
        "HEXOSKIN_URL": hexoskin_emulator.url,
        "HEXOSKIN_USERNAME": "athlete@hexoskin.com",
        "HEXOSKIN_PASSWORD": "hexoskin",
    }


@pytest.fixture(scope="module")
def expected(athlete_client):
    return read_hexoskin(**SPAN, datatypes=TYPES, client=athlete_client, progress=False)


def _same_as_read(ds: xr.Dataset, frame: pd.DataFrame) -> None:
    """Each channel of the file: the values and times of that column of the read."""
    assert sorted(ds.data_vars) == sorted(frame.columns)
    for name in frame.columns:
        want = frame[name].dropna()
        got = ds[name].to_series()
        assert len(got) == len(want) > 0
        np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())
        assert (got.index == want.index.tz_convert(None)).all()


@pytest.mark.parametrize("name", ["span.csv", "span.parquet", "span.nc", "span.zarr"])
def test_each_format_equals_the_read_of_the_span(athlete, tmp_path, expected, name):
    out = tmp_path / name
    result = _run(["download", *_span_args(), "--out", str(out)], athlete)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"wrote {out}"
    assert result.stderr == ""  # not a terminal: no progress bar in the logs
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary left
    assert expected.shape == (307_200, 3)
    if name.endswith(".csv"):
        assert out.read_text() == expected.to_csv()
    elif name.endswith(".parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(out), expected, check_freq=False)
    else:
        engine = "zarr" if name.endswith(".zarr") else None
        with xr.open_dataset(out, engine=engine, mask_and_scale=False) as ds:
            assert ds["ecg_i"].dtype == np.int16
            assert ds.attrs["source"] == "hexoskin://record/37700"
            _same_as_read(ds, expected)


def test_format_flag_overrides_the_extension(athlete, tmp_path, expected):
    out = tmp_path / "span.bin"
    result = _run(
        ["download", *_span_args(), "--out", str(out), "--format", "parquet", "--quiet"], athlete
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""  # --quiet: no summary, no bar
    pd.testing.assert_frame_equal(pd.read_parquet(out), expected, check_freq=False)


@pytest.mark.parametrize("name", ["span.csv", "span.parquet"])
def test_slices_append_to_the_read_of_the_whole_span(athlete_client, tmp_path, expected, name):
    """30,000-sample slices: eleven reads appended give the one read of the span."""
    from hexoframe.data.plan import plan_query
    from hexoframe.frontends.download import time_slices

    plan = plan_query(athlete_client, TYPES, **SPAN)
    assert len(time_slices(plan, 30_000)) == 5  # one per window of the ECG
    assert len(time_slices(plan, 100)) == 5  # never finer than a planner window
    out = tmp_path / name
    download(out, **SPAN, datatypes=TYPES, client=athlete_client, slice_samples=30_000)
    if name.endswith(".csv"):
        assert out.read_text() == expected.to_csv()
    else:
        import pyarrow.parquet as pq

        assert pq.ParquetFile(out).num_row_groups == 5
        pd.testing.assert_frame_equal(pd.read_parquet(out), expected, check_freq=False)


@pytest.mark.parametrize("name", ["gap.csv", "gap.parquet"])
def test_slices_before_the_record_hold_nothing(athlete_client, tmp_path, recwarn, name):
    """A user span starting 30 min before record 37700: the first slices are empty (and
    an empty read keeps heart_rate int16 where the span's is float64); the file still
    equals the read of the whole span, with no warning since the span has data."""
    span = {"start": "2024-05-01T09:30Z", "end": "2024-05-01T10:10Z"}
    want = read_hexoskin(**span, datatypes=["ecg", "hr"], client=athlete_client)
    assert len(want) == 153_600 and want["heart_rate"].dtype == np.float64
    out = tmp_path / name
    download(out, **span, datatypes=["ecg", "hr"], client=athlete_client, slice_samples=1000)
    if name.endswith(".csv"):
        assert out.read_text() == want.to_csv()
    else:
        pd.testing.assert_frame_equal(pd.read_parquet(out), want, check_freq=False)
    assert [str(w.message) for w in recwarn if "No data" in str(w.message)] == []


def test_a_span_without_data_warns_once(athlete_client, tmp_path):
    span = {"start": "2024-05-01T09:30Z", "end": "2024-05-01T09:40Z"}
    with pytest.warns(errors.HexoskinWarning, match="No data") as caught:
        want = read_hexoskin(**span, datatypes=["ecg", "hr"], client=athlete_client)
    out = tmp_path / "none.csv"
    with pytest.warns(errors.HexoskinWarning, match="No data") as caught:
        download(out, **span, datatypes=["ecg", "hr"], client=athlete_client, slice_samples=1000)
    assert len([w for w in caught if "No data" in str(w.message)]) == 1
    assert out.read_text() == want.to_csv() == "time,ecg_i,heart_rate\n"


def test_a_user_span_without_user_is_the_callers(athlete_client, tmp_path):
    span = {"start": "2024-05-01T10:00:30Z", "end": "2024-05-01T10:02:00Z"}
    want = read_hexoskin(**span, datatypes="hr", client=athlete_client, progress=False)
    out = tmp_path / "me.zarr"
    download(out, **span, datatypes="hr", client=athlete_client)
    with xr.open_zarr(out, mask_and_scale=False) as ds:
        assert ds.attrs["source"] == "hexoskin://user/1511"
        _same_as_read(ds, want)
    # written as ds.hexo.to_zarr writes: the time axis an int64 arange, Blosc-compressed
    time = zarr.open_group(str(out), mode="r")["time_1hz"]
    assert time.dtype == np.dtype("int64") and time[:3].tolist() == [0, 10**9, 2 * 10**9]
    assert time.attrs["units"] == "nanoseconds since 2024-05-01T10:00:30"
    assert type(time.compressors[0]).__name__ == "BloscCodec"


def test_unknown_extension_is_exit_2_and_nothing_written(athlete, tmp_path):
    result = _run(["download", *_span_args(), "--out", str(tmp_path / "x.xlsx")], athlete)
    assert result.returncode == 2 and "names no format" in result.stderr
    assert "Traceback" not in result.stderr and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args, code, words",
    [
        (
            ["--record", "37700", "--datatypes", "hr", "--out", "/nonexistent/dir/x.csv"],
            6,
            "No folder",
        ),
        (["--record", "99999999", "--datatypes", "hr", "--out", "OUT/x.csv"], 4, "99999999"),
        (["--record", "37700", "--datatypes", "heart_rat", "--out", "OUT/x.csv"], 2, "heart_rate"),
        (["--datatypes", "hr", "--out", "OUT/x.csv"], 2, "No time span"),
        (["--record", "37700", "--datatypes", "hr"], 2, "--out"),
        # 24 h of ECG: EDF is written in memory, so it is refused before any data request
        (["--record", "37701", "--datatypes", "ecg", "--out", "OUT/x.edf"], 2, ".zarr"),
    ],
)
def test_exit_codes(athlete, tmp_path, args, code, words):
    args = [a.replace("OUT", str(tmp_path)) for a in args]
    result = _run(["download", *args], athlete)
    assert result.returncode == code, (result.returncode, result.stderr)
    assert words in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_edf_of_a_short_span(athlete, tmp_path, athlete_client):
    from hexoframe.formats.edf import read_edf

    out = tmp_path / "hr.edf"
    result = _run(["download", *_span_args(types=["ecg", "hr"]), "--out", str(out)], athlete)
    assert result.returncode == 0, result.stderr
    raw = read_hexoskin(
        **SPAN, datatypes=["ecg", "hr"], units="raw", how="dict", client=athlete_client
    )
    got = read_edf(out).channels
    for name in ("ecg_i", "heart_rate"):
        ticks, values = got[name]
        np.testing.assert_array_equal(values, raw[name].to_numpy())
        np.testing.assert_array_equal(ticks, raw[name].index.asi8 // 3_906_250)  # ns per tick
    assert [p.name for p in tmp_path.iterdir()] == ["hr.edf"]


def test_edf_bound_is_a_typed_error(athlete_client, tmp_path):
    with pytest.raises(DownloadTooLarge, match="at most 11,059,200") as info:
        download(tmp_path / "x.edf", record=37701, datatypes="ecg", client=athlete_client)
    assert isinstance(info.value, errors.InvalidQueryError)
    assert EDF_MAX_SAMPLES == 11_059_200 and list(tmp_path.iterdir()) == []


def _fault_after(emu, requests: int) -> threading.Thread:
    """Every data request fails once ``requests`` data requests were served."""

    def watch() -> None:
        deadline = time.monotonic() + 120
        while emu.stats.data_requests < requests and time.monotonic() < deadline:
            time.sleep(0.001)
        emu.set_faults(FaultConfig(error_rate=1.0, retry_after=0, path_pattern="/data/"))

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("name", ["day.csv", "day.parquet", "day.zarr", "day.nc"])
def test_a_fault_midway_leaves_nothing(hexoskin_emulator_factory, tmp_path, name):
    """The service fails after the first data requests of a 24 h ECG download (338
    windows): an error, and the folder holds no file and no temporary."""
    emu = hexoskin_emulator_factory()
    watcher = _fault_after(emu, 3)
    with Client(emu.url, username="athlete@hexoskin.com", password="hexoskin", retries=0) as cl:
        with pytest.raises(errors.ServerError):
            download(tmp_path / name, record=37701, datatypes="ecg", client=cl, slice_samples=2000)
    watcher.join()
    faults = emu.fault_counts  # answered data before the fault, then errors
    assert emu.stats.data_requests >= 3 and sum(faults.values()) >= 1, faults
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["day.csv", "day.zarr"])
def test_ctrl_c_midway_is_exit_130_and_leaves_nothing(athlete, tmp_path, name):
    """SIGINT once the temporary holds data: exit 130, no file, no temporary."""
    env = shell_env(athlete)
    out = tmp_path / name
    args = ["download", "--record", "37701", "--datatypes", "ecg", "--out", str(out)]
    proc = subprocess.Popen(
        [*HEXOFRAME, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=interruptible,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            temps = [p for d in tmp_path.glob(f".{name}.*") for p in d.iterdir()]
            if temps and (
                temps[0].stat().st_size > 0
                if temps[0].is_file()
                else any((temps[0] / "ecg_i").glob("c/*"))
            ):
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the download ended before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, (stderr, signal.getsignal(signal.SIGINT))
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert list(tmp_path.iterdir()) == []


@settings(
    derandomize=True,
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    offset=st.integers(0, 3500),
    seconds=st.integers(1, 600),
    fmt=st.sampled_from(["csv", "parquet", "zarr"]),
)
def test_random_short_spans_equal_the_read(athlete_client, tmp_path_factory, offset, seconds, fmt):
    t0 = pd.Timestamp("2024-05-01T10:00Z") + pd.Timedelta(seconds=offset)
    span = {"record": 37700, "start": t0, "end": t0 + pd.Timedelta(seconds=seconds)}
    want = read_hexoskin(**span, datatypes=["ecg", "hr"], client=athlete_client, progress=False)
    out = tmp_path_factory.mktemp("span") / f"x.{fmt}"
    download(out, **span, datatypes=["ecg", "hr"], client=athlete_client, slice_samples=20_000)
    if fmt == "csv":
        assert out.read_text() == want.to_csv()
    elif fmt == "parquet":
        pd.testing.assert_frame_equal(pd.read_parquet(out), want, check_freq=False)
    else:
        with xr.open_zarr(out, mask_and_scale=False) as ds:
            _same_as_read(ds, want)


def test_parquet_slices_that_disagree_on_types(tmp_path):
    """Slices whose dtypes differ (a column with gaps in one slice only) read back as the
    whole read gives them: float64 with NaN. Values the first slice's types cannot hold
    give a typed error, not a traceback."""
    from hexoframe.frontends.download import SliceTypeError, _write_parquet

    def frame(start, values):
        index = pd.date_range(start, periods=len(values), freq="s", tz="UTC", name="time")
        return pd.DataFrame({"heart_rate": values}, index=index)

    whole = frame("2024-05-01T10:00Z", np.array([70, 71], dtype=np.int16))
    gappy = frame("2024-05-01T10:00:02Z", np.array([72.0, np.nan, 74.0]))
    want = pd.concat([whole.astype(np.float64), gappy])
    for order in ([whole, gappy], [gappy, whole]):
        out = tmp_path / "a.parquet"
        assert _write_parquet(order, out) == 5
        got = pd.read_parquet(out).sort_index()
        pd.testing.assert_frame_equal(got, want, check_freq=False)
    fractions = frame("2024-05-01T10:00:02Z", np.array([72.5]))
    with pytest.raises(SliceTypeError, match="--units physical") as info:
        _write_parquet([whole, fractions], tmp_path / "b.parquet")
    assert isinstance(info.value, errors.InvalidQueryError)
