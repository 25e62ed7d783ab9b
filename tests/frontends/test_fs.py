"""The hexoskin:// fsspec filesystem over real HTTP against the emulator."""

from __future__ import annotations

import json
import pickle

import fsspec
import numpy as np
import pandas as pd
import pytest

from hexoframe.api.client import Client
from hexoframe.data.decode import read_hxd, read_wav
from hexoframe.data.reader import read_hexoskin
from hexoframe.frontends.fs import HexoskinFileSystem

REC = "record/37700"


@pytest.fixture
def fs(so):
    return HexoskinFileSystem(skip_instance_cache=True, **so)


@pytest.fixture(scope="module")
def raw(so):
    with Client(**so) as c:
        return read_hexoskin(
            record=37700, datatypes=["ecg", "hr", "rr"], units="raw", client=c, how="dict"
        )


def _requests(emu) -> int:
    return sum(emu.stats.by_path.values())


def test_listing_costs_no_data_request(hexoskin_emulator, fs):
    hexoskin_emulator.reset_stats()
    assert fs.ls("", detail=False) == ["user", "record", "range"]
    assert "user/1511/37702" in fs.ls("user/1511", detail=False)
    entries = {e["name"]: e for e in fs.ls("hexoskin://record/37702")}
    ecg = entries["record/37702/ECG_I.wav"]
    assert ecg["type"] == "file" and ecg["size"] == 44 + 2 * 7 * 86400 * 256
    assert ecg["last_modified"]
    assert entries["record/37702/heart_rate.wav"]["size"] == 44 + 2 * (7 * 86400 - 1)
    assert {
        "record/37702/RR_interval.hxd",
        "record/37702/RR_interval.csv",
        "record/37702/info.json",
    } <= set(entries)
    assert fs.ls("user/1511/37700", detail=False)[0] == "user/1511/37700/info.json"
    assert hexoskin_emulator.stats.data_requests == 0
    # dircache: listing again sends nothing at all
    before = _requests(hexoskin_emulator)
    fs.ls("record/37702")
    assert _requests(hexoskin_emulator) == before


def test_info_does_not_list_the_parent(hexoskin_emulator, fs):
    hexoskin_emulator.reset_stats()
    info = fs.info("hexoskin://record/37700/ECG_I.wav")
    assert info["size"] == 44 + 2 * 3600 * 256 and info["type"] == "file"
    assert fs.info("record/37700")["type"] == "directory"
    assert hexoskin_emulator.stats.data_requests == 0
    assert not any(p.rstrip("/").endswith("/record") for p in hexoskin_emulator.stats.by_path)
    assert fs.ukey("record/37700/ECG_I.wav") == fs.ukey("record/37700/ECG_I.wav")
    with pytest.raises(FileNotFoundError):
        fs.info("record/37700/nothing.wav")
    assert fs.info("user/1511")["type"] == "directory"
    assert fs.isfile("user/1511/37700/heart_rate.wav")
    assert not fs.exists("record/99999999")
    assert fs.modified("record/37700/ECG_I.wav").year == 2024


def test_cat_file_serves_export_formats(fs, raw):
    info = json.loads(fs.cat_file("record/37700/info.json"))
    assert info["start"] == 438926745600 and info["user"] == "/api/v1/user/1511/"
    rate, hr = read_wav(fs.cat_file("record/37700/heart_rate.wav"), signed=True)
    assert rate == 1
    np.testing.assert_array_equal(hr, raw["heart_rate"].to_numpy())
    ticks, rr = read_hxd(fs.cat_file("record/37700/RR_interval.hxd"))
    np.testing.assert_array_equal(rr, raw["rr_interval"].to_numpy())
    assert ticks[0] == raw["rr_interval"].index[0].value // 3_906_250


def test_ranged_reads_fetch_only_their_windows(hexoskin_emulator, fs, raw):
    ecg = raw["ecg_i"].to_numpy()
    hexoskin_emulator.reset_stats()
    chunk = fs.cat_file("record/37700/ECG_I.wav", start=44 + 2 * 100_000, end=44 + 2 * 100_010)
    np.testing.assert_array_equal(np.frombuffer(chunk, "<i2"), ecg[100_000:100_010])
    assert hexoskin_emulator.stats.data_requests == 1
    hexoskin_emulator.reset_stats()
    with fs.open("record/37700/ECG_I.wav", block_size=2048) as f:
        assert f.read(4) == b"RIFF"
        f.seek(44 + 2 * 500_000)
        np.testing.assert_array_equal(np.frombuffer(f.read(20), "<i2"), ecg[500_000:500_010])
        f.seek(-4, 2)
        np.testing.assert_array_equal(np.frombuffer(f.read(), "<i2"), ecg[-2:])
    assert hexoskin_emulator.stats.data_requests == 3


def test_caching_second_read_makes_no_request(hexoskin_emulator, so, tmp_path, raw):
    url = "simplecache::hexoskin://record/37700/heart_rate.wav"
    opts = {"hexoskin": so, "simplecache": {"cache_storage": str(tmp_path / "s")}}
    hexoskin_emulator.reset_stats()
    with fsspec.open(url, **opts) as f:
        first = f.read()
    assert hexoskin_emulator.stats.data_requests >= 1
    hexoskin_emulator.reset_stats()
    with fsspec.open(url, **opts) as f:
        assert f.read() == first
    assert hexoskin_emulator.stats.data_requests == 0
    np.testing.assert_array_equal(read_wav(first, True)[1], raw["heart_rate"].to_numpy())

    url = "filecache::hexoskin://record/37700/RR_interval.csv"
    opts = {"hexoskin": so, "filecache": {"cache_storage": str(tmp_path / "f")}}
    with fsspec.open(url, **opts) as f:
        text = f.read()
    hexoskin_emulator.reset_stats()
    with fsspec.open(url, **opts) as f:
        assert f.read() == text
    assert hexoskin_emulator.stats.data_requests == 0


def test_pandas_reads_the_text_form(so, raw):
    df = pd.read_csv("hexoskin://record/37700/RR_interval.csv", storage_options=so)
    assert df.columns[0] == "time [s]" and "RR_interval" in df.columns[1]
    np.testing.assert_array_equal(df.iloc[:, 1].to_numpy(), raw["rr_interval"].to_numpy())
    start = pd.Timestamp("2024-05-01T10:00Z")
    got = start + pd.to_timedelta(df["time [s]"], unit="s")
    np.testing.assert_array_equal(got.to_numpy(), raw["rr_interval"].index.to_numpy())


def test_secrets_stay_out_of_serialisation(hexoskin_emulator, monkeypatch):
    secret = "s3cr3t-Pa55w0rd"
    fs = HexoskinFileSystem(
        base_url=hexoskin_emulator.url,
        username="athlete@hexoskin.com",
        password=secret,
        skip_instance_cache=True,
    )
    assert "password" not in fs.storage_options and "username" not in fs.storage_options
    assert secret not in fs.to_json() and secret not in repr(fs)
    assert secret.encode() not in pickle.dumps(fs)
    assert secret not in str(fs.to_dict())
    # an unpickled filesystem (a dask worker) finds credentials in its environment
    monkeypatch.setenv("HEXOSKIN_USERNAME", "athlete@hexoskin.com")
    monkeypatch.setenv("HEXOSKIN_PASSWORD", "hexoskin")
    clone = pickle.loads(pickle.dumps(fs))
    assert clone.storage_options["base_url"] == hexoskin_emulator.url
    assert json.loads(clone.cat_file("record/37700/info.json"))["start"] == 438926745600
    fs2 = fsspec.AbstractFileSystem.from_json(fs.to_json())
    assert isinstance(fs2, HexoskinFileSystem)


def test_find_and_invalidate(hexoskin_emulator, fs):
    files = fs.find("range/58979")
    assert "range/58979/heart_rate.wav" in files and "range/58979/info.json" in files
    assert fs.du("range/58979") == sum(fs.info(f).get("size") or 0 for f in files)
    assert fs.glob("range/58979/heart*.wav") == [
        "range/58979/heart_rate.wav",
        "range/58979/heart_rate_quality.wav",
    ]
    fs.invalidate_cache("range/58979")
    hexoskin_emulator.reset_stats()
    fs.ls("range/58979")
    assert sum(hexoskin_emulator.stats.by_path.values()) > 0  # listed afresh
    assert hexoskin_emulator.stats.data_requests == 0


def test_filesystems_of_different_clients_are_not_shared(hexoskin_emulator, so):
    c1 = Client(**so)
    c2 = Client(base_url=hexoskin_emulator.url, username="friend@example.com", password="x")
    a, b = HexoskinFileSystem(client=c1), HexoskinFileSystem(client=c2)
    assert a is not b and a.client is c1 and b.client is c2
    assert a.storage_options == {"base_url": c1.base_url}


def test_bad_paths_raise_file_errors(fs):
    with pytest.raises(FileNotFoundError):
        fs.ls("records/1")
    with pytest.raises(FileNotFoundError):
        fs.ls("record/99999999")
    with pytest.raises(FileNotFoundError):
        fs.cat_file("record/37700/ECG_I.csv")
    with pytest.raises(IsADirectoryError):
        fs.cat_file("record/37700")
    with pytest.raises(PermissionError):
        fs.open("record/37700/new.wav", "wb")


def test_record_under_another_users_folder_does_not_exist(so):
    """Issue 8 item 9: user/1515/37750/... served the caller's record under another user."""
    fs = fsspec.filesystem("hexoskin", skip_instance_cache=True, **so)
    assert "user/1511/37700" in fs.ls("user/1511", detail=False)
    assert fs.info("user/1511/37700/info.json")["type"] == "file"
    for path in ("user/1515/37700", "user/1515/37700/info.json", "user/1512/37700/heart_rate.wav"):
        with pytest.raises(FileNotFoundError, match="belongs to user 1511"):
            fs.info(path)
        assert not fs.exists(path)
    with pytest.raises(FileNotFoundError):
        fs.cat_file("user/1515/37700/heart_rate.wav")
    with pytest.raises(FileNotFoundError):
        fs.ls("user/1515/37700")
