"""The emulator's SQLite store: seed data, persistence, imports."""

from __future__ import annotations

import shutil
import zipfile

import pytest
import requests
from paths import EXPORT

from hexoframe.emulator import DEMO_USERS, Emulator
from hexoframe.emulator.store import Store, record_bounds, visible_users, writable_users

ME = (DEMO_USERS["athlete"]["email"], DEMO_USERS["athlete"]["password"])
needs_export = pytest.mark.skipif(
    not EXPORT.is_dir(), reason="../shared/fixtures (the real export) is absent"
)


def test_seed_counts():
    s = Store()
    assert len(s.all("user")) == 5
    assert len(s.all("record")) == 32
    assert len(s.all("annotation")) == 1253 + 2 * 32  # notes + recorder start/stop
    assert len(s.all("trackpoint")) == 1200
    assert [r["id"] for r in s.all("range")] == [58979, 58980, 58981, 58990]
    rec = s.get("record", 37702)
    assert rec["end"] - rec["start"] == 7 * 86400 * 256
    assert rec["start"] == 1715299200 * 256
    assert s.get("range", 58980)["activitytype"] == 12
    assert s.get("range", 58981)["activitytype"] == 8
    assert s.get("track", 80)["range"] == 58979
    assert s.get("track", 80)["distance"] > 3000
    s.close()


def test_visibility_rules():
    assert visible_users(1511) == {1511, 1512}
    assert visible_users(1512) == {1511, 1512}
    assert visible_users(1513) == {1511, 1513, 1514}
    assert visible_users(1514) == {1514}
    assert visible_users(1515) == {1515}
    assert writable_users(1513) == {1511, 1513, 1514}
    assert writable_users(1512) == {1512}


def test_store_crud_roundtrip(tmp_path):
    s = Store(tmp_path / "x.sqlite")
    obj = s.insert("range", {"user": 1511, "start": 256, "end": 512, "name": "a"})
    assert obj["id"] == 58991 and obj["duration"] == 1
    obj["name"] = "b"
    s.replace("range", obj)
    assert s.get("range", 58991)["name"] == "b"
    assert s.delete("range", 58991) is True
    assert s.delete("range", 58991) is False
    s.close()


def test_file_db_survives_restart(tmp_path):
    db = tmp_path / "emu.sqlite"
    with Emulator(db=db) as emu:
        r = requests.post(
            emu.url + "/api/v1/range/",
            auth=ME,
            json={"name": "persisted", "start": 256, "end": 512},
        )
        assert r.status_code == 201
        rid = r.json()["id"]
        assert requests.delete(emu.url + "/api/v1/annotation/61353/", auth=ME).status_code == 204
    with Emulator(db=db) as emu:  # reopened: not seeded again
        got = requests.get(emu.url + f"/api/v1/range/{rid}/", auth=ME)
        assert got.status_code == 200 and got.json()["name"] == "persisted"
        assert requests.get(emu.url + "/api/v1/annotation/61353/", auth=ME).status_code == 404
        total = requests.get(emu.url + "/api/v1/annotation/", auth=ME).json()["meta"]
        assert total["total_count"] == 1309  # 1310 visible, one deleted


def test_memory_db_starts_fresh():
    for _ in range(2):
        with Emulator() as emu:
            r = requests.get(emu.url + "/api/v1/range/", auth=ME).json()
            assert r["meta"]["total_count"] == 4
            requests.post(emu.url + "/api/v1/range/", auth=ME, json={"start": 1})


@needs_export
def test_record_bounds_of_the_real_export():
    rid, start, end = record_bounds(EXPORT)
    assert rid == 122445
    assert start == 382085877327
    # longest channel: temperature_celcius.wav, 130 end-stamped samples at 1 Hz
    assert end - start == 130 * 256 + 1
    try:
        from hexoframe.emulator.importer import record_bounds as importer_bounds
    except ImportError:
        return
    assert importer_bounds(EXPORT) == (rid, start, end)


@needs_export
def test_imports_become_records(tmp_path):
    zipped = tmp_path / "export.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        for f in EXPORT.iterdir():
            if f.is_file():
                zf.write(f, f"record_122445/{f.name}")
    copy = tmp_path / "again"
    shutil.copytree(EXPORT, copy, ignore=shutil.ignore_patterns("matlab-converted"))
    with Emulator(imports=[EXPORT, zipped, copy]) as emu:
        assert emu.imported[122445] == str(EXPORT)
        assert len(emu.imported) == 3
        ids = sorted(emu.imported)
        assert ids[0] == 122445 and ids[1:] == [122446, 122447]
        rec = requests.get(emu.url + "/api/v1/record/122445/", auth=ME).json()
        assert rec["user"]["resource_uri"] == "/api/v1/user/1511/"
        assert rec["start"] == 382085877327
        assert rec["start_date"] == "2017-04-18T13:42:38.308593+00:00"
        assert rec["end"] == 382085877327 + 130 * 256 + 1
        assert "_import" not in rec and str(EXPORT) not in str(rec)


def test_restart_same_object_same_port(tmp_path):
    emu = Emulator(db=tmp_path / "again.sqlite")
    with emu:
        url = emu.url
        rid = requests.post(
            url + "/api/v1/annotation/",
            auth=ME,
            json={"start": 512, "annotation": "before restart"},
        ).json()["id"]
    assert not emu.running
    with emu:
        assert emu.url == url
        got = requests.get(url + f"/api/v1/annotation/{rid}/", auth=ME).json()
        assert got["annotation"] == "before restart"


def test_missing_import_fails_fast(tmp_path):
    with pytest.raises(OSError):
        Emulator(imports=[tmp_path / "nope"]).start()


def test_concurrent_clients_and_writers():
    from concurrent.futures import ThreadPoolExecutor

    with Emulator() as emu:
        base = emu.url + "/api/v1/"

        def work(i: int) -> list[int]:
            s = requests.Session()
            s.auth = ME
            codes = []
            for k in range(10):
                if k % 3 == 0:
                    r = s.post(
                        base + "range/",
                        json={"name": f"t{i}-{k}", "start": 256 * k, "end": 256 * (k + 1)},
                    )
                elif k % 3 == 1:
                    r = s.get(base + "annotation/", params={"limit": 50, "offset": 10 * k})
                else:
                    r = s.get(
                        base + "data/",
                        params={
                            "datatype": 19,
                            "record": 37700,
                            "start": 438926745600 + 256 * i,
                            "end": 438926745600 + 256 * (i + 60),
                        },
                    )
                codes.append(r.status_code)
            s.close()
            return codes

        with ThreadPoolExecutor(8) as pool:
            codes = [c for cs in pool.map(work, range(16)) for c in cs]
        assert codes.count(201) == 16 * 4
        assert set(codes) == {200, 201}
        total = requests.get(base + "range/", auth=ME).json()["meta"]["total_count"]
        assert total == 4 + 16 * 4
        names = {
            o["name"]
            for o in requests.get(base + "range/", params={"limit": 0}, auth=ME).json()["objects"]
        }
        assert len(names) == 4 + 16 * 4
