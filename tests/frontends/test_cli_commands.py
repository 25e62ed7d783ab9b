"""The ``hexoframe`` command typed in a shell: version, tables, output formats, and exit
codes for each kind of failure (never a traceback)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest
import xarray as xr
from cli_shell import run_cli as _run

from hexoframe import __version__


@pytest.fixture
def athlete(hexoskin_emulator):
    return {
        "HEXOSKIN_URL": hexoskin_emulator.url,
        "HEXOSKIN_USERNAME": "athlete@hexoskin.com",
        "HEXOSKIN_PASSWORD": "hexoskin",
    }


def test_version():
    result = _run(["--version"])
    assert result.returncode == 0 and result.stdout.strip() == f"hexoframe {__version__}"


def test_records_as_json_and_csv_with_filters(athlete):
    result = _run(
        ["records", "--format", "json", "--user", "1511", "--order-by=-start", "--limit", "3"],
        athlete,
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) >= 3 and rows[0]["start"] >= rows[1]["start"]
    assert {r["user_id"] for r in rows} == {1511}
    csv = _run(
        ["ranges", "--format", "csv", "--start", "2024-05-01T10:00Z", "--end", "2024-05-01T11:00Z"],
        athlete,
    )
    assert csv.returncode == 0, csv.stderr
    assert csv.stdout.splitlines()[0].startswith("id,") or "id" in csv.stdout.splitlines()[0]
    assert "58979" in csv.stdout
    users = _run(["users", "--format", "json"], athlete)
    assert sorted(u["id"] for u in json.loads(users.stdout)) == [1511, 1512]


@pytest.mark.parametrize(
    "name, reader",
    [
        ("hr.parquet", lambda p: pd.read_parquet(p)["heart_rate"]),
        ("hr.nc", lambda p: xr.open_dataset(p)["heart_rate"].to_series()),
        ("hr.zarr", lambda p: xr.open_zarr(p)["heart_rate"].to_series()),
    ],
)
def test_read_writes_each_format(athlete, tmp_path, name, reader):
    pytest.importorskip(
        "pyarrow" if name.endswith("parquet") else "h5netcdf" if name.endswith(".nc") else "zarr"
    )
    out = tmp_path / name
    result = _run(
        ["read", "--record", "37700", "--datatypes", "hr", "--out", str(out), "--quiet"], athlete
    )
    assert result.returncode == 0, result.stderr
    values = reader(out)
    assert len(values) == 3599 and float(values.iloc[0]) == 106.0
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file left behind
    if not name.endswith("parquet"):
        ds = xr.open_dataset(out, engine="zarr" if name.endswith("zarr") else None)
        assert ds["heart_rate"].attrs["units"] == "min-1"


def test_unknown_extension_is_refused_and_nothing_written(athlete, tmp_path):
    out = tmp_path / "hr.xlsx"
    result = _run(["read", "--record", "37700", "--datatypes", "hr", "--out", str(out)], athlete)
    assert result.returncode == 2 and "names no format" in result.stderr
    assert "Traceback" not in result.stderr and list(tmp_path.iterdir()) == []
    forced = _run(
        [
            "read",
            "--record",
            "37700",
            "--datatypes",
            "hr",
            "--out",
            str(out),
            "--format",
            "csv",
            "--quiet",
        ],
        athlete,
    )
    assert forced.returncode == 0 and pd.read_csv(out).shape == (3599, 2)


@pytest.mark.parametrize(
    "args, env_change, code, words",
    [
        (
            ["read", "--record", "37700", "--datatypes", "hr", "--out", "/nonexistent/dir/x.csv"],
            {},
            6,
            "No folder",
        ),
        (["read", "--record", "99999999", "--datatypes", "hr"], {}, 4, "99999999"),
        (
            ["read", "--record", "37700", "--datatypes", "hr"],
            {"HEXOSKIN_PASSWORD": "wrong"},
            3,
            "401",
        ),
        (["read", "--record", "37700", "--datatypes", "heart_rat"], {}, 2, "heart_rate"),
        (["read", "--record", "37700"], {}, 2, "--datatypes"),
    ],
)
def test_exit_codes(athlete, args, env_change, code, words):
    result = _run(args, {**athlete, **env_change})
    assert result.returncode == code, (result.returncode, result.stderr)
    assert words in result.stderr and "Traceback" not in result.stderr
    assert "wrong" not in result.stderr.replace("--", "")  # no password echoed


def test_unreachable_service_is_exit_5(tmp_path):
    result = _run(
        ["records", "--format", "json"],
        {"HEXOSKIN_URL": "http://127.0.0.1:9", "HEXOSKIN_TOKEN": "t"},
    )
    assert result.returncode == 5 and "Traceback" not in result.stderr


def test_emulator_banner_gives_lines_to_paste(athlete, tmp_path, hexoskin_emulator_factory):
    """The banner's export lines, run in a shell, point another hexoframe at the emulator."""
    from hexoframe.emulator.cli import banner

    emu = hexoskin_emulator_factory()
    lines = [
        ln.strip() for ln in banner(emu).splitlines() if ln.strip().startswith("export HEXOSKIN_")
    ]
    assert len(lines) == 3
    script = "\n".join(lines) + f"\n{sys.executable} -m hexoframe.cli users --format json\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEXOSKIN_")}
    result = subprocess.run(
        ["sh", "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert sorted(u["id"] for u in json.loads(result.stdout)) == [1511, 1512]


def test_a_failed_write_leaves_nothing_behind(tmp_path):
    """The writer fails after it started (EDF refuses a frame with a gap): the folder stays
    empty and an existing file of that name is untouched."""
    from hexoframe.core import errors
    from hexoframe.formats.writers import write_frame

    index = pd.DatetimeIndex(
        ["2024-05-01T10:00:01Z", "2024-05-01T10:00:02Z", "2024-05-01T10:00:09Z"], name="time"
    )
    frame = pd.DataFrame({"heart_rate": [70.0, 71.0, 72.0]}, index=index)
    frame.attrs = {"hexoskin": {"units": "api", "tick_rate": 256}}
    target = tmp_path / "hr.edf"
    with pytest.raises(errors.HexoskinError):
        write_frame(frame, target)
    assert list(tmp_path.iterdir()) == []
    target.write_bytes(b"previous")
    with pytest.raises(errors.HexoskinError):
        write_frame(frame, target)
    assert [p.name for p in tmp_path.iterdir()] == ["hr.edf"]
    assert target.read_bytes() == b"previous"


def test_datatypes_as_json_typed_in_a_shell():
    result = _run(["datatypes", "--format", "json"])
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["ecg_i"]["id"] == 4113 and rows["ecg_i"]["rate_hz"] == 256.0
    assert rows["heart_rate"]["rate_hz"] == 1.0


@pytest.mark.parametrize(
    "args, words",
    [
        (["datatypes", "--format", "xml"], "invalid choice: 'xml'"),
        (["records", "--limit", "ten"], "invalid int value: 'ten'"),
        (["records", "--order-by", "colour"], "cannot be ordered by 'colour'; allowed: id"),
        (["ranges", "--start", "not-a-date"], "Cannot read 'not-a-date' as a time"),
        (["users", "--format", "yaml"], "invalid choice: 'yaml'"),
        (["demo", "--seed", "x"], "invalid int value: 'x'"),
        (["emulator", "--tick-rate", "300"], "invalid choice: 300"),
        (["nosuch"], "invalid choice: 'nosuch'"),
    ],
)
def test_bad_arguments_of_every_command_are_exit_2(athlete, args, words):
    result = _run(args, athlete)
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert words in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""
