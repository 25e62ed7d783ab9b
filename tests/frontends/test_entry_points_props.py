"""Property tests over the public entry points (issue 8, the suite): only typed errors.

Random fsspec paths and byte offsets, ``hexoskin://`` URLs with options for the xarray
engine, and ``hexoframe read`` argument lists, against the emulator over HTTP. Each either
works (and then equals a reference read) or raises a typed error:
:class:`~hexoframe.core.errors.HexoskinError`, or the exceptions fsspec and argparse callers rely
on (``FileNotFoundError``, ``NotADirectoryError``, ``IsADirectoryError``, exit status 2).
"""

from __future__ import annotations

import fsspec
import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hexoframe import cli
from hexoframe.api.client import Client
from hexoframe.core.errors import HexoskinError

SEGMENTS = [
    "user",
    "record",
    "range",
    "1511",
    "1515",
    "37700",
    "58979",
    "99999",
    "abc",
    "",
    "..",
    "heart_rate.wav",
    "RR_interval.csv",
    "RR_interval.hxd",
    "info.json",
    "ECG_I.wav",
    "x.wav",
]
FS_ERRORS = (HexoskinError, FileNotFoundError, NotADirectoryError, IsADirectoryError)
SETTINGS = settings(
    derandomize=True,
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def fs(hexoskin_emulator, athlete_login):
    return fsspec.filesystem(
        "hexoskin", base_url=hexoskin_emulator.url, skip_instance_cache=True, **athlete_login
    )


@pytest.fixture(scope="module")
def hr_bytes(fs):
    return fs.cat_file("record/37700/heart_rate.wav")


paths = st.lists(st.sampled_from(SEGMENTS), min_size=0, max_size=4).map("/".join)
offsets = st.one_of(st.none(), st.integers(-(10**6), 10**6))


@SETTINGS
@given(path=paths, op=st.sampled_from(["info", "ls", "cat", "exists"]))
def test_fsspec_paths_give_entries_or_typed_errors(fs, path, op):
    try:
        if op == "info":
            got = fs.info(path)
            assert got["type"] in ("file", "directory")
        elif op == "ls":
            assert isinstance(fs.ls(path, detail=False), list)
        elif op == "exists":
            assert fs.exists(path) in (True, False)
        else:
            assert isinstance(fs.cat_file(path), bytes)
    except FS_ERRORS:
        pass


@SETTINGS
@given(start=offsets, end=offsets)
def test_fsspec_offsets_slice_like_python(fs, hr_bytes, start, end):
    """``cat_file`` with any integer offsets equals the same slice of the whole file."""
    got = fs.cat_file("record/37700/heart_rate.wav", start=start, end=end)
    assert got == hr_bytes[slice(start, end)]


urls = st.builds(
    lambda kind, ident, rest: f"hexoskin://{kind}/{ident}{rest}",
    st.sampled_from(["record", "range", "user", "nope", ""]),
    st.sampled_from(["37700", "58979", "1511", "0", "-1", "abc", "99999"]),
    st.sampled_from(["", "/", "/x", "?datatypes=hr"]),
)
datatypes = st.one_of(
    st.none(), st.sampled_from(["hr", "ecg", "rr", "nope", 19, 0, "", ("hr", "br"), ("hr", "nope")])
)


@SETTINGS
@given(url=urls, dts=datatypes)
def test_open_dataset_urls_open_or_raise_typed(hexoskin_emulator, athlete_login, url, dts):
    kwargs = {} if dts is None else {"datatypes": list(dts) if isinstance(dts, tuple) else dts}
    with Client(base_url=hexoskin_emulator.url, **athlete_login) as client:
        try:
            ds = xr.open_dataset(url, engine="hexoskin", client=client, **kwargs)
        except (HexoskinError, FileNotFoundError):
            return
        assert len(ds.data_vars) > 0
        ds.close()


argv_items = st.sampled_from(
    [
        ["--record", "37700"],
        ["--record", "abc"],
        ["--range", "58979"],
        ["--record", "99999"],
        ["--datatypes", "hr"],
        ["--datatypes", "nope"],
        ["--datatypes", ""],
        ["--start", "2024-05-01T10:00Z"],
        ["--end", "2024-05-01T10:00:10Z"],
        ["--start", "x"],
        ["--end", "3000-01-01"],
        ["--method", "csv"],
        ["--method", "edf"],
        ["--units", "raw"],
        ["--user", "1511"],
        ["--quiet"],
        ["--bogus"],
    ]
)


@SETTINGS
@given(parts=st.lists(argv_items, max_size=5))
def test_cli_read_exits_cleanly(hexoskin_emulator, athlete_login, monkeypatch, capsys, parts):
    monkeypatch.setenv("HEXOSKIN_URL", hexoskin_emulator.url)
    monkeypatch.setenv("HEXOSKIN_USERNAME", athlete_login["username"])
    monkeypatch.setenv("HEXOSKIN_PASSWORD", athlete_login["password"])
    argv = ["read", *[a for p in parts for a in p]]
    try:
        status = cli.main(argv)
    except SystemExit as exc:  # argparse: usage errors
        status = exc.code
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert isinstance(status, int) and status >= 0
    if status != 0:
        assert captured.err.strip(), "a failure says why on stderr"


def test_cli_read_output_equals_the_library(
    hexoskin_emulator, athlete_login, monkeypatch, tmp_path
):
    """A valid argv's output is the same data as read_hexoskin gives."""
    import pandas as pd

    from hexoframe.data.reader import read_hexoskin

    monkeypatch.setenv("HEXOSKIN_URL", hexoskin_emulator.url)
    monkeypatch.setenv("HEXOSKIN_USERNAME", athlete_login["username"])
    monkeypatch.setenv("HEXOSKIN_PASSWORD", athlete_login["password"])
    out = tmp_path / "hr.csv"
    assert (
        cli.main(
            [
                "read",
                "--record",
                "37700",
                "--datatypes",
                "hr",
                "--quiet",
                "--out",
                str(out),
                "--start",
                "2024-05-01T10:00Z",
                "--end",
                "2024-05-01T10:00:10Z",
            ]
        )
        == 0
    )
    got = pd.read_csv(out)
    with Client(base_url=hexoskin_emulator.url, **athlete_login) as client:
        ref = read_hexoskin(
            client=client,
            record=37700,
            datatypes="hr",
            start="2024-05-01T10:00Z",
            end="2024-05-01T10:00:10Z",
        )
    assert len(got) == len(ref) == 9
    np.testing.assert_array_equal(got["heart_rate"].to_numpy(), ref["heart_rate"].to_numpy())
