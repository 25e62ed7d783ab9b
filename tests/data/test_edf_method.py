"""``method="edf"``: the data engine fetches EDF+ answers (Accept: application/x-edf).

EDF is one entry of the method registry (:mod:`hexoframe.data.methods`): grid-aligned
windows as binary, no point cap, decoded by :func:`hexoframe.formats.edf.read_edf`. Every test
reads from the emulator over HTTP and compares with the binary and JSON reads.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import requests
import xarray as xr

from hexoframe.api.client import Client
from hexoframe.core import catalog, errors
from hexoframe.data import methods
from hexoframe.data.plan import build_requests, choose_method, plan_query
from hexoframe.data.reader import read_hexoskin

pytest.importorskip("edfio", reason="EDF needs the 'edf' extra (edfio)")

HOUR = 37700  # 1 h from 2024-05-01T10:00Z, athlete 1511
WEEK = 37702  # 7 days from 2024-05-10T00:00Z
ALL_SYNC = [dt.name for dt in catalog.data_datatypes() if not dt.is_async]


@pytest.fixture(scope="module")
def client(athlete_client):
    return athlete_client


def test_registry_entry_says_what_edf_is():
    spec = methods.get("edf")
    assert spec.accept == "application/x-edf"
    assert spec.grid_aligned and not spec.capped
    assert methods.CHOICES == ("auto", "json", "csv", "binary", "edf")
    with pytest.raises(errors.InvalidQueryError, match="'auto', 'json', 'csv', 'binary', 'edf'"):
        methods.check("EDF")


def test_whole_record_every_sync_channel_equals_binary(hexoskin_emulator, client):
    hexoskin_emulator.reset_stats()
    edf = read_hexoskin(client=client, record=HOUR, datatypes=ALL_SYNC, method="edf", how="dict")
    assert hexoskin_emulator.stats.data_requests == 1  # one EDF for the hour
    binary = read_hexoskin(
        client=client, record=HOUR, datatypes=ALL_SYNC, method="binary", how="dict"
    )
    assert sorted(edf) == sorted(binary)
    start = 438926745600
    for name, ref in binary.items():
        dt = catalog.lookup(name)
        assert len(edf[name]) == catalog.sample_count(dt, start, start + 3600 * 256), name
        pd.testing.assert_series_equal(edf[name], ref, check_exact=True)


def test_frame_attrs_say_edf(client):
    df = read_hexoskin(client=client, record=HOUR, datatypes=["hr", "rr"], method="edf")
    assert df.attrs["hexoskin"]["method"] == "edf"
    assert df.attrs["hexoskin"]["reason"] == "asked for"
    ref = read_hexoskin(client=client, record=HOUR, datatypes=["hr", "rr"], method="json")
    pd.testing.assert_frame_equal(df, ref, check_exact=True, check_like=False)
    assert int(df["rr_interval"].notna().sum()) == int(ref["rr_interval"].notna().sum()) > 3000


def test_several_pieces_join_exactly(hexoskin_emulator, client):
    """6 h of ECG: the engine cuts grid-aligned pieces (about 5.5 h each); they join exactly."""
    span = dict(start="2024-05-10T01:00Z", end="2024-05-10T07:00Z")
    plan = plan_query(client, "ecg", record=WEEK, **span)
    assert len(build_requests(plan, "edf")) == 2
    hexoskin_emulator.reset_stats()
    edf = read_hexoskin(
        client=client, record=WEEK, datatypes="ecg", method="edf", how="dict", **span
    )["ecg_i"]
    assert hexoskin_emulator.stats.data_requests == 2
    binary = read_hexoskin(
        client=client, record=WEEK, datatypes="ecg", method="binary", how="dict", **span
    )["ecg_i"]
    assert len(edf) == 6 * 3600 * 256
    assert edf.index[0] == pd.Timestamp("2024-05-10T01:00Z")
    pd.testing.assert_series_equal(edf, binary, check_exact=True)


def test_auto_never_chooses_edf(client):
    plan = plan_query(client, ALL_SYNC, record=HOUR)
    assert choose_method(plan)[0] == "binary"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(user=1511, start="2024-05-01T10:00Z", end="2024-05-01T10:05Z"), "record="),
        (dict(user=[1511, 1514], start="2024-05-04T09:00Z", end="2024-05-04T09:05Z"), "record="),
    ],
    ids=["bare-span", "two-users"],
)
def test_edf_needs_one_record_grid(hexoskin_emulator, kwargs, match):
    with Client(
        hexoskin_emulator.url, username="coach@hexoskin.com", password="coachpass"
    ) as coach:
        hexoskin_emulator.reset_stats()
        with pytest.raises(errors.InvalidQueryError, match=match):
            read_hexoskin(client=coach, datatypes="hr", method="edf", **kwargs)
        assert hexoskin_emulator.stats.data_requests == 0


def test_lazy_dataset_chunks_equal_binary(hexoskin_emulator, so):
    opts = dict(engine="hexoskin", storage_options=so, datatypes=["ecg", "rr"], chunks={})
    edf = xr.open_dataset(f"hexoskin://record/{HOUR}", method="edf", **opts)
    binary = xr.open_dataset(f"hexoskin://record/{HOUR}", method="binary", **opts)
    # the hour is one lazy zip for both grid-aligned methods: one chunk, one request
    assert edf["ecg_i"].chunks == binary["ecg_i"].chunks == ((3600 * 256,),)
    hexoskin_emulator.reset_stats()
    block = edf["ecg_i"].data.blocks[0].compute()
    assert hexoskin_emulator.stats.data_requests == 1
    np.testing.assert_array_equal(block, binary["ecg_i"].data.blocks[0].compute())
    xr.testing.assert_identical(edf.load(), binary.load())


def test_damaged_edf_answer_is_a_typed_error(hexoskin_emulator, client, athlete_auth):
    """The bytes the emulator serves, cut or with a broken header, never decode silently."""
    resp = requests.get(
        f"{hexoskin_emulator.api_url}data/",
        params={
            "record": HOUR,
            "datatype": 19,
            "start": 438926745600,
            "end": 438926745600 + 600 * 256,
        },
        headers={"Accept": "application/x-edf"},
        auth=athlete_auth,
        timeout=30,
    )
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/x-edf"
    body = resp.content
    ok = methods.get("edf").decode(body)
    assert ok.sync(catalog.lookup("hr"))[1].size == 600
    broken_header = body[:184] + b"garbage!" + body[192:]  # header bytes field
    for damaged in (body[: len(body) // 2], broken_header, b"", b"0" * 300):
        with pytest.raises(errors.HexoskinError):
            methods.get("edf").decode(damaged)


def _served_edf(emu, auth: tuple[str, str], **params) -> bytes:
    resp = requests.get(
        f"{emu.api_url}data/",
        params={"record": HOUR, **params},
        headers={"Accept": "application/x-edf"},
        auth=auth,
        timeout=60,
    )
    assert resp.status_code == 200, resp.text
    return resp.content


def test_served_header_names_the_user_and_device(hexoskin_emulator, tmp_path, athlete_auth):
    """EDF+ patient subfields come from the user and profile, equipment from the device."""
    from hexoframe.formats import edf
    from hexoframe.formats.exports import open_export

    body = _served_edf(hexoskin_emulator, athlete_auth, datatype__in="19,33")
    got = edf.read_edf(body)
    assert got.patient == "hexoskin_user_1511 M 01-JAN-1980 Athlete_Hexoskin"
    assert got.recording.split() == [
        "Startdate",
        "01-MAY-2024",
        "hexoskin_user_1511_start_438926745600",
        "X",
        "HXSKIN1200002115",
    ]
    path = tmp_path / "record_37700.edf"
    path.write_bytes(body)
    export = open_export(path)
    assert export.info["device"] == "HXSKIN1200002115" and export.user == 1511
    mne = pytest.importorskip("mne", reason="MNE is in the test extra")
    raw = mne.io.read_raw_edf(path, preload=False, verbose="error")
    assert raw.info["subject_info"]["sex"] == 1  # MNE: 1 = male
    assert raw.info["meas_date"] == pd.Timestamp("2024-05-01T10:00Z").to_pydatetime()


def test_damaged_edf_file_is_refused_not_truncated(hexoskin_emulator, tmp_path, athlete_auth):
    from hexoframe.formats import edf
    from hexoframe.formats.exports import read_export

    body = _served_edf(hexoskin_emulator, athlete_auth, datatype=19)
    whole = tmp_path / "HX45123.edf"
    whole.write_bytes(body)
    assert len(read_export(whole)["heart_rate"]) == 3599
    cut = tmp_path / "HX45123-1_110134_4503.edf"
    cut.write_bytes(body[:-7])
    with pytest.raises(edf.EdfError, match="damaged"):
        read_export(cut)
    with pytest.raises(edf.EdfError, match="damaged"):
        xr.open_dataset(cut, engine="hexoskin")
    padded = tmp_path / "HX45124.edf"
    padded.write_bytes(body + b"\0" * 3)
    with pytest.raises(edf.EdfError, match="damaged"):
        read_export(padded)


def test_filesystem_reads_wav_through_edf(so):
    """``hexoskin://`` files fetched with method="edf" hold the bytes binary gives."""
    import fsspec

    edf_fs = fsspec.filesystem("hexoskin", method="edf", skip_instance_cache=True, **so)
    bin_fs = fsspec.filesystem("hexoskin", method="binary", skip_instance_cache=True, **so)
    path = f"record/{HOUR}/heart_rate.wav"
    assert edf_fs.cat_file(path) == bin_fs.cat_file(path)
    assert len(edf_fs.cat_file(path)) == 44 + 2 * 3599
    with pytest.raises(errors.InvalidQueryError, match="'edf'"):
        fsspec.filesystem("hexoskin", method="edf+", skip_instance_cache=True, **so)
