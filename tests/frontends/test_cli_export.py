"""``hexoframe export`` typed in a shell: a zip or a folder that reads back as the API
gives the record, and the failures (not found, OUT exists, a fault midway, Ctrl-C) with
their exit codes, a one-line error and nothing left behind."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import zipfile

import pandas as pd
import pytest
from cli_shell import HEXOFRAME, interruptible, run_cli, shell_env

import hexoframe
from hexoframe.emulator.faults import FaultConfig

ATHLETE = {"HEXOSKIN_USERNAME": "athlete@hexoskin.com", "HEXOSKIN_PASSWORD": "hexoskin"}
COMMAND = [*HEXOFRAME, "export"]


def _env(emu):
    return shell_env({**ATHLETE, "HEXOSKIN_URL": emu.url})


def _run(args, emu, cwd, timeout=240):
    return run_cli(
        ["export", *args], {**ATHLETE, "HEXOSKIN_URL": emu.url}, cwd=cwd, timeout=timeout
    )


@pytest.mark.parametrize("out", ["out.zip", "out"])
def test_export_as_typed(hexoskin_emulator, tmp_path, out):
    result = _run(["--record", "37700", out], hexoskin_emulator, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"wrote the export of record 37700 to {out}\n"
    assert result.stderr == ""  # no progress bar when stderr is not a terminal
    assert [p.name for p in tmp_path.iterdir()] == [out]
    target = tmp_path / out
    names = (
        zipfile.ZipFile(target).namelist()
        if out.endswith(".zip")
        else [p.name for p in target.iterdir()]
    )
    assert len(names) == 34 and {"info.json", "ECG_I.wav", "RR_interval.csv"} <= set(names)
    keys = ["hr", "br", "rr"]
    with hexoframe.Client(
        base_url=hexoskin_emulator.url,
        username=ATHLETE["HEXOSKIN_USERNAME"],
        password=ATHLETE["HEXOSKIN_PASSWORD"],
    ) as client:
        api = hexoframe.read_hexoskin(record=37700, datatypes=keys, method="binary", client=client)
    pd.testing.assert_frame_equal(hexoframe.read_export(target, datatypes=keys), api)


def test_record_not_found_is_exit_4_and_writes_nothing(hexoskin_emulator, tmp_path):
    result = _run(["--record", "99999999", "out.zip"], hexoskin_emulator, tmp_path)
    assert result.returncode == 4, result.stderr
    assert result.stderr.startswith("hexoframe: Record 99999999 was not found")
    assert "Traceback" not in result.stderr and list(tmp_path.iterdir()) == []


def test_existing_out_is_exit_6_and_untouched_unless_overwrite(hexoskin_emulator, tmp_path):
    (tmp_path / "out.zip").write_bytes(b"keep me")
    refused = _run(["--record", "37700", "out.zip"], hexoskin_emulator, tmp_path)
    assert refused.returncode == 6 and "already exists" in refused.stderr
    assert "--overwrite" in refused.stderr and "Traceback" not in refused.stderr
    assert (tmp_path / "out.zip").read_bytes() == b"keep me"
    assert [p.name for p in tmp_path.iterdir()] == ["out.zip"]
    done = _run(
        ["--record", "37700", "out.zip", "--overwrite", "--quiet"], hexoskin_emulator, tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert len(zipfile.ZipFile(tmp_path / "out.zip").namelist()) == 34


@pytest.mark.parametrize(
    "args, code, words",
    [
        (["out.zip"], 2, "--record"),
        (["--record", "x", "out.zip"], 2, "invalid int value"),
        (["--record", "37700", "absent/out.zip"], 6, "No folder 'absent'"),
    ],
)
def test_bad_arguments(hexoskin_emulator, tmp_path, args, code, words):
    result = _run(args, hexoskin_emulator, tmp_path)
    assert result.returncode == code and words in result.stderr
    assert "Traceback" not in result.stderr and list(tmp_path.iterdir()) == []


def test_service_failure_is_exit_5_and_leaves_nothing(hexoskin_emulator_factory, tmp_path):
    """Metadata answers, every data request fails (after the client's retries): the
    export already begun (info.json written to the temporary file) is removed."""
    emu = hexoskin_emulator_factory(
        faults=FaultConfig(error_rate=1.0, retry_after=0, path_pattern="/data/")
    )
    result = _run(["--record", "37700", "out.zip"], emu, tmp_path)
    assert result.returncode == 5, result.stderr
    assert result.stderr.startswith("hexoframe: HTTP 50") and "Traceback" not in result.stderr
    assert emu.stats.by_path["/api/v1/record/37700/"] >= 1 and emu.fault_counts
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX")
def test_ctrl_c_midway_is_exit_130_and_leaves_nothing(hexoskin_emulator_factory, tmp_path):
    """Data answers are slowed; once the temporary export holds bytes, Ctrl-C."""
    emu = hexoskin_emulator_factory(faults=FaultConfig(latency=0.3, path_pattern="/data/"))
    proc = subprocess.Popen(
        [*COMMAND, "--record", "37700", "out.zip"],
        cwd=tmp_path,
        env=_env(emu),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=interruptible,
    )
    try:
        deadline = time.monotonic() + 120  # a bound on waiting, not an assertion on speed
        while time.monotonic() < deadline and proc.poll() is None:
            begun = [p for d in tmp_path.glob(".out.zip.*") for p in d.glob("out.zip")]
            if begun and begun[0].stat().st_size > 0 and emu.stats.data_requests >= 2:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the export ended before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, (err, signal.getsignal(signal.SIGINT))
    assert "interrupted" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []
