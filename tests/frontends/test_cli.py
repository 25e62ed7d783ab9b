"""The ``hexoframe`` command as a user runs it: demo, datatypes, read, emulator."""

import os
import subprocess
import sys

import pandas as pd

from hexoframe import cli


def _run(args, env=None, timeout=240):
    return subprocess.run(
        [sys.executable, "-m", "hexoframe.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def test_demo_runs_end_to_end():
    result = _run(["demo"])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Signed in as athlete@hexoskin.com" in out
    assert "binary: 153,600 samples in 1 request(s)" in out
    assert "json:   153,600 samples in 3 request(s)" in out
    assert "identical frames: True" in out
    assert "data requests made to open it: 0" in out
    assert "password" not in out.lower().replace("password=", "")
    assert "hexoskin'" not in out  # the demo password is never printed


def test_datatypes_lists_the_catalogue(capsys):
    assert cli.main(["datatypes"]) == 0
    out = capsys.readouterr().out
    assert "ecg_i" in out and "heart_rate" in out and "4113" in out


def test_read_writes_a_csv_from_environment_credentials(hexoskin_emulator, tmp_path):
    env = dict(os.environ)
    env.update(
        HEXOSKIN_URL=hexoskin_emulator.url,
        HEXOSKIN_USERNAME="athlete@hexoskin.com",
        HEXOSKIN_PASSWORD="hexoskin",
    )
    out = tmp_path / "hr.csv"
    result = _run(
        ["read", "--record", "37700", "--datatypes", "hr,br", "--out", str(out), "--quiet"],
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"wrote 3599 rows x 2 columns to {out}"
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["time", "heart_rate", "breathing_rate"]
    assert frame["time"].iloc[0] == "2024-05-01 10:00:01+00:00"


def test_bad_input_is_a_clear_error_not_a_traceback(hexoskin_emulator):
    env = dict(os.environ)
    env.update(
        HEXOSKIN_URL=hexoskin_emulator.url,
        HEXOSKIN_USERNAME="athlete@hexoskin.com",
        HEXOSKIN_PASSWORD="hexoskin",
    )
    result = _run(["read", "--record", "37700", "--datatypes", "heart_rat", "--quiet"], env=env)
    assert result.returncode == 2
    assert "Did you mean 'heart_rate'" in result.stderr
    assert "Traceback" not in result.stderr
