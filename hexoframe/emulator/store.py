"""SQLite object store of the emulator, seeded with fixed demo data.

Every stored resource (user, profile, device, record, range, annotation, track,
trackpoint, trainingroutine, activitytype) lives in one SQLite table as JSON objects
keyed by ``(resource, id)``. Related fields hold plain ids (``"user": 1511``), the
device of a record its serial (``"HXSKIN1200002115"``); the web layer turns them into
URIs. An in-memory mirror serves reads; writes go through to SQLite under a lock.
The database is in memory by default; with a file path it survives restarts and is
seeded only when new.

Demo data (ticks are Unix seconds * 256)
----------------------------------------
Users (email / password / API key public, private):

- 1511 ``athlete@hexoskin.com`` / ``hexoskin`` / ``demo-athlete-public``,
  ``demo-athlete-private`` - friend of 1512, athlete of coach 1513.
- 1512 ``friend@hexoskin.com`` / ``friendpass`` - friend of 1511 (mutual).
- 1513 ``coach@hexoskin.com`` / ``coachpass`` - coach of 1511 and 1514.
- 1514 ``athlete2@hexoskin.com`` / ``athlete2pass`` - athlete of 1513.
- 1515 ``stranger@hexoskin.com`` / ``strangerpass`` - nobody's friend.

A user sees its own objects, its friends' and (as a coach) its athletes'; athletes do
not see their coach's. A user may change its own objects and (as a coach) its athletes'.
Durations (``duration`` of records and ranges) are in seconds; every other time is in
ticks or a naive UTC ISO string. Records: 37700 (1511, 1 h from 2024-05-01T10:00Z), 37701
(1511, 24 h from 2024-05-02T00:00Z), 37702 (1511, 7 days from 2024-05-10T00:00Z),
37710 (1512, 2 h), 37720 (1514, 1 h), 37730 (1513, 30 min), 37740 (1515, 1 h) and
37750-37774 (1511, 10 min each, daily from 2024-06-01T08:00Z). Ranges: 58979 "run"
on 37700 (20 min from +10 min; track 80 with 1200 trackpoints at 1 Hz near Montreal),
58980 "sleep" on 37701 (activitytype 12), 58981 "rest" on 37701 (activitytype 8),
58990 on 37710. Annotations: 1250 for 1511 on record 37702 (ids 61353...), a few for
1512 and 1514.

Examples
--------
>>> store = Store()
>>> store.get("record", 37700)["user"]
1511
>>> sorted(visible_users(1513))
[1511, 1513, 1514]
"""

from __future__ import annotations

import copy
import datetime as _dt
import json
import math
import sqlite3
import threading
from pathlib import Path
from typing import Any

from hexoframe.emulator.importer import record_bounds
from hexoframe.emulator.units import unit_objects

__all__ = [
    "COACHES",
    "DEMO_USERS",
    "DEVICE_SERIALS",
    "FRIENDS",
    "STORED_RESOURCES",
    "Store",
    "TICKS",
    "add_import",
    "derive",
    "now_iso",
    "record_bounds",
    "ticks_to_iso",
    "visible_users",
    "writable_users",
]

TICKS = 256

#: Demo accounts by role. Passwords and private keys are demo secrets, never logged.
DEMO_USERS: dict[str, dict[str, Any]] = {
    role: {
        "id": uid,
        "email": f"{role}@hexoskin.com",
        "password": password,
        "api_key": f"demo-{role}-public",
        "api_secret": f"demo-{role}-private",
        "first_name": role.capitalize(),
        "last_name": "Hexoskin",
        "profile": profile,
    }
    for role, uid, password, profile in (
        ("athlete", 1511, "hexoskin", 1460),
        ("friend", 1512, "friendpass", 1461),
        ("coach", 1513, "coachpass", 1462),
        ("athlete2", 1514, "athlete2pass", 1463),
        ("stranger", 1515, "strangerpass", 1464),
    )
}

#: Mutual friendships.
FRIENDS: frozenset[frozenset[int]] = frozenset({frozenset({1511, 1512})})
#: Coach id -> athlete ids.
COACHES: dict[int, frozenset[int]] = {1513: frozenset({1511, 1514})}

STORED_RESOURCES: tuple[str, ...] = (
    "user",
    "profile",
    "device",
    "record",
    "range",
    "annotation",
    "track",
    "trackpoint",
    "trainingroutine",
    "activitytype",
    "unit",
    "team",
    "datafile",
    "study",
    "studygroup",
    "studysubject",
)

SEED_MODIFIED = "2024-06-01T00:00:00"


def visible_users(user_id: int) -> frozenset[int]:
    """Return the ids of the users whose objects *user_id* may see.

    Examples
    --------
    >>> sorted(visible_users(1514))
    [1514]
    """
    seen = {user_id}
    for pair in FRIENDS:
        if user_id in pair:
            seen |= pair
    seen |= COACHES.get(user_id, frozenset())
    return frozenset(seen)


def writable_users(user_id: int) -> frozenset[int]:
    """Return the users whose objects *user_id* may change: itself and its athletes."""
    return frozenset({user_id}) | COACHES.get(user_id, frozenset())


def ticks_to_iso(ticks: int) -> str:
    """Naive UTC ISO string of a tick count (microsecond precision, floored).

    Examples
    --------
    >>> ticks_to_iso(438926745600)
    '2024-05-01T10:00:00'
    """
    micros = (int(ticks) * 1_000_000) // TICKS
    value = _dt.datetime(1970, 1, 1) + _dt.timedelta(microseconds=micros)
    return value.isoformat()


def _ticks(iso: str) -> int:
    value = _dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if value.tzinfo is not None:
        value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    delta = value - _dt.datetime(1970, 1, 1)
    return (delta.days * 86400 + delta.seconds) * TICKS + delta.microseconds * TICKS // 1_000_000


def now_iso() -> str:
    """The current time as a naive UTC ISO string (seconds precision)."""
    return _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None, microsecond=0).isoformat()


def derive(resource: str, obj: dict[str, Any]) -> dict[str, Any]:
    """Fill the read-only fields computed from others (dates, durations) in place."""
    start = obj.get("start")
    end = obj.get("end")
    if resource in ("record", "range", "annotation") and isinstance(start, int):
        obj["start_date"] = ticks_to_iso(start)
    if resource in ("record", "range"):
        if isinstance(start, int) and isinstance(end, int):
            seconds = (end - start) / TICKS
            obj["duration"] = int(seconds) if seconds == int(seconds) else seconds
        else:
            obj["duration"] = None
    if resource == "range":
        obj["end_date"] = ticks_to_iso(end) if isinstance(end, int) else None
    return obj


# ----------------------------------------------------------------------------- seed data


#: Serial number of each demo user's device.
DEVICE_SERIALS: dict[int, int] = {
    info["id"]: 2115 + n for n, info in enumerate(DEMO_USERS.values())
}


def _deviceid(serial: int) -> str:
    return f"HXSKIN120000{serial}"


def _user_objects() -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for n, info in enumerate(DEMO_USERS.values()):
        uid = info["id"]
        serial = DEVICE_SERIALS[uid]
        out.append(
            (
                "user",
                {
                    "id": uid,
                    "email": info["email"],
                    "username": info["email"],
                    "first_name": info["first_name"],
                    "last_name": info["last_name"],
                    "profile": info["profile"],
                    "devices": [_deviceid(serial)],
                    "stats": None,
                    "is_staff": False,
                },
            )
        )
        out.append(
            (
                "profile",
                {
                    "id": info["profile"],
                    "user": uid,
                    "avatar": None,
                    "date_of_birth": f"{1980 + n}-01-01",
                    "gender": "M" if n % 2 == 0 else "F",
                    "fitness": {
                        "fitness_percentile": 50,
                        "height": 1.82,
                        "hr_max": 183 - n,
                        "hr_recov": 0,
                        "hr_rest": 60 + n,
                        "vo2_max": 42,
                        "weight": 78,
                    },
                    "height": 1.82,
                    "weight": 78,
                    "last_modified": SEED_MODIFIED,
                    "preferences": None,
                    "unit_system": "metric",
                },
            )
        )
        out.append(
            (
                "device",
                {
                    "id": serial,
                    "deviceid": _deviceid(serial),
                    "user": uid,
                    "batt_end": None,
                    "batt_start": None,
                    "bt_addr": f"00:1E:C0:00:{n:02X}:15",
                    "bt_info": "",
                    "charge_time": None,
                    "created": "2023-01-15T12:00:00",
                    "fw_end": "2.1.0",
                    "fw_start": "2.1.0",
                    "hw_rev": "1.2",
                    "last_modified": SEED_MODIFIED,
                    "mcu_info": "",
                    "model": 12,
                    "purchase_order": None,
                    "serial": serial,
                    "status": 1,
                },
            )
        )
    return out


def _record(rid: int, user: int, start_iso: str, seconds: int) -> dict[str, Any]:
    start = _ticks(start_iso)
    return derive(
        "record",
        {
            "id": rid,
            "user": user,
            "start": start,
            "end": start + seconds * TICKS,
            "device_start": start,
            "device": _deviceid(DEVICE_SERIALS[user]),
            "status": "complete",
            "data_status": {},
            "dev_id": "F" * 32,
            "firmware_rev": "2.1.0",
            "garment": "",
            "algo": None,
            "importfile": None,
            "metrics": [],
            "soft_protocole": 0,
            "soft_uid": "HXDEV-AUTO",
            "last_modified": SEED_MODIFIED,
        },
    )


def _range(
    rid: int,
    user: int,
    name: str,
    start: int,
    end: int,
    activitytype: int | None,
    trainingroutine: int | None,
) -> dict[str, Any]:
    return derive(
        "range",
        {
            "id": rid,
            "user": user,
            "name": name,
            "start": start,
            "end": end,
            "activitytype": activitytype,
            "trainingroutine": trainingroutine,
            "created": SEED_MODIFIED,
            "last_modified": SEED_MODIFIED,
            "metrics": [],
            "note": "",
            "parent": None,
            "ranges": [],
            "rank": 0,
            "status": "complete",
        },
    )


#: First id of the recorder start/stop annotations seeded on every record.
DEVICE_ANNOTATION_IDS = 90_000


def _seed_objects() -> list[tuple[str, dict[str, Any]]]:
    objs = _user_objects()
    activitytypes = [
        (1, "Running", "cardio"),
        (2, "Walking", "cardio"),
        (3, "Cycling", "cardio"),
        (8, "Rest", "rest"),
        (12, "Sleep", "sleep"),
        (100, "Other", "other"),
    ]
    for aid, name, category in activitytypes:
        objs.append(
            (
                "activitytype",
                {
                    "id": aid,
                    "name": name,
                    "base": name.lower(),
                    "category": category,
                    "activityview": None,
                    "default_metrics": [44, 12],
                    "description": name,
                    "user": None,
                    "using": "True",
                },
            )
        )
    for tid, name, aid in [(1, "Run", 1), (2, "Walk", 2), (8, "Rest", 8), (12, "Sleep", 12)]:
        objs.append(
            (
                "trainingroutine",
                {
                    "id": tid,
                    "name": name,
                    "activitytype": aid,
                    "application_metadata": [],
                    "description": f"{name} routine",
                    "importfile": None,
                    "last_used": None,
                    "metadata": None,
                    "steps": [],
                    "user": None,
                    "using": "True",
                },
            )
        )
    records = [
        _record(37700, 1511, "2024-05-01T10:00:00", 3600),
        _record(37701, 1511, "2024-05-02T00:00:00", 86400),
        _record(37702, 1511, "2024-05-10T00:00:00", 7 * 86400),
        _record(37710, 1512, "2024-05-03T08:00:00", 7200),
        _record(37720, 1514, "2024-05-04T09:00:00", 3600),
        _record(37730, 1513, "2024-05-05T07:00:00", 1800),
        _record(37740, 1515, "2024-05-06T18:00:00", 3600),
    ]
    for k in range(25):
        records.append(_record(37750 + k, 1511, f"2024-06-{k + 1:02d}T08:00:00", 600))
    objs.extend(("record", r) for r in records)

    r0 = records[0]["start"]
    r1 = records[1]["start"]
    run_start = r0 + 600 * TICKS
    objs.append(("range", _range(58979, 1511, "run", run_start, run_start + 1200 * TICKS, 1, 1)))
    objs.append(
        ("range", _range(58980, 1511, "sleep", r1 + 1800 * TICKS, r1 + 27000 * TICKS, 12, 12))
    )
    objs.append(
        ("range", _range(58981, 1511, "rest", r1 + 43200 * TICKS, r1 + 44100 * TICKS, 8, 8))
    )
    r10 = records[3]["start"]
    objs.append(("range", _range(58990, 1512, "walk", r10 + 600 * TICKS, r10 + 2400 * TICKS, 2, 2)))

    points = _trackpoints(run_start)
    objs.append(
        (
            "track",
            {
                "id": 80,
                "user": 1511,
                "range": 58979,
                "name": "",
                "area": None,
                "distance": _distance(points),
                "importfile": None,
                "start_date": points[0]["time"],
                "end_date": points[-1]["time"],
            },
        )
    )
    objs.extend(("trackpoint", p) for p in points)

    # The recorder's own start/stop annotations (datatypes 208/209) on every record.
    for k, rec in enumerate(records):
        for j, (datatype, tick, text) in enumerate(
            ((208, rec["start"], "recorder start"), (209, rec["end"], "recorder stop"))
        ):
            objs.append(
                (
                    "annotation",
                    derive(
                        "annotation",
                        {
                            "id": DEVICE_ANNOTATION_IDS + 2 * k + j,
                            "user": rec["user"],
                            "record": rec["id"],
                            "datatype": datatype,
                            "start": tick,
                            "annotation": text,
                            "last_modified": SEED_MODIFIED,
                        },
                    ),
                )
            )

    aid = 61353
    r2 = records[2]["start"]
    for k in range(1250):
        objs.append(
            (
                "annotation",
                derive(
                    "annotation",
                    {
                        "id": aid,
                        "user": 1511,
                        "record": 37702,
                        "datatype": 4096,
                        "start": r2 + k * 480 * TICKS,
                        "annotation": f"note {k}",
                        "last_modified": SEED_MODIFIED,
                    },
                ),
            )
        )
        aid += 1
    for owner, rec_id, text in [
        (1512, 37710, "friend warmup"),
        (1512, 37710, "friend cooldown"),
        (1514, 37720, "athlete2 note"),
    ]:
        start = next(r["start"] for r in records if r["id"] == rec_id) + 60 * TICKS
        objs.append(
            (
                "annotation",
                derive(
                    "annotation",
                    {
                        "id": aid,
                        "user": owner,
                        "record": rec_id,
                        "datatype": 4096,
                        "start": start,
                        "annotation": text,
                        "last_modified": SEED_MODIFIED,
                    },
                ),
            )
        )
        aid += 1
    objs.extend(("unit", u) for u in unit_objects())
    ranges = [o for res, o in objs if res == "range"]
    for fid, rng in enumerate(ranges, start=1):
        # the heart-rate file of each range (the schema gives datafile no id nor URI)
        record = next(
            (
                r["id"]
                for r in records
                if r["user"] == rng["user"] and r["start"] <= rng["start"] < r["end"]
            ),
            None,
        )
        objs.append(
            (
                "datafile",
                {
                    "id": fid,
                    "user": rng["user"],
                    "range": rng["id"],
                    "record": record,
                    "datatype": 19,
                    "start": rng["start"],
                    "end": rng["end"],
                    "timestamp": rng["start"],
                    "flat": 0,
                    "max_values": 0,
                    "no_timestamps": 0,
                    "seconds": 0,
                },
            )
        )
    for tid, (coach, athletes) in enumerate(sorted(COACHES.items()), start=1):
        # a coach's team: its athletes; seen by whoever sees the owner's objects
        objs.append(
            ("team", {"id": tid, "user": coach, "owner": coach, "members": sorted(athletes)})
        )
    objs.extend(_study_objects())
    return objs


def _study_objects() -> list[tuple[str, dict[str, Any]]]:
    """A coach's study, one group, its athletes as subjects; seen by the coach (the owner),
    as teams are (``docs/emulator.md``)."""
    out: list[tuple[str, dict[str, Any]]] = []
    for sid, (coach, athletes) in enumerate(sorted(COACHES.items()), start=1):
        out.append(
            (
                "study",
                {
                    "id": sid,
                    "user": coach,
                    "name": "Demo endurance study",
                    "description": "Heart and breathing rate during the May 2024 training block.",
                    "owner": coach,
                    "owner_id": coach,
                    "start_date": "2024-05-01",
                    "end_date": "2024-05-31",
                    "duration_in_days": 31,
                    "status": "active",
                    "type": "study",
                    "unit_system": "metric",
                    "timezone": "UTC",
                    "uuid": f"00000000-0000-4000-8000-{sid:012d}",
                    "cloneable": False,
                    "icon": "",
                    "planning": [],
                    "surveys": [],
                    "trainingroutines": [],
                },
            )
        )
        out.append(
            (
                "studygroup",
                {
                    "id": sid,
                    "user": coach,
                    "name": "Group A",
                    "description": "Every athlete of the coach.",
                    "owner": coach,
                    "owner_id": coach,
                    "study": sid,
                    "study_id": sid,
                },
            )
        )
        for k, athlete in enumerate(sorted(athletes), start=1):
            out.append(
                (
                    "studysubject",
                    {
                        "id": 100 * sid + k,
                        "user": coach,
                        "subject": athlete,
                        "study": sid,
                        "study_group": sid,
                        "study_group_name": "Group A",
                        "subject_uuid": f"00000000-0000-4000-9000-{athlete:012d}",
                        "start_date": "2024-05-01",
                        "status": "active",
                        "timezone": "UTC",
                        "metrics": [],
                        "compliance_kpi": {},
                    },
                )
            )
    return out


def _trackpoints(start: int) -> list[dict[str, Any]]:
    lon0, lat0 = -73.6045937, 45.5308797
    out = []
    lon, lat = lon0, lat0
    for k in range(1200):
        course = (k * 0.3) % 360.0  # a slow loop around the park
        speed = 3.0 + 0.5 * math.sin(k / 60.0)
        rad = math.radians(course)
        lat += speed * math.cos(rad) / 111_320.0
        lon += speed * math.sin(rad) / (111_320.0 * math.cos(math.radians(lat0)))
        t = ticks_to_iso(start + k * TICKS)
        out.append(
            {
                "id": 27720 + k,
                "track": 80,
                "user": 1511,
                "range": 58979,
                "record": 37700,
                "position": [round(lon, 7), round(lat, 7)],
                "time": t,
                "timestamp": t,
                "altitude": round(42.0 + 3.0 * math.sin(k / 100.0), 2),
                "speed": round(speed, 3),
                "course": round(course, 1),
                "horizontal_accuracy": 3.9,
                "vertical_accuracy": None,
            }
        )
    return out


def _distance(points: list[dict[str, Any]]) -> float:
    total = 0.0
    for a, b in zip(points, points[1:], strict=False):
        (lon1, lat1), (lon2, lat2) = a["position"], b["position"]
        p1, p2 = math.radians(lat1), math.radians(lat2)
        dp, dl = p2 - p1, math.radians(lon2 - lon1)
        h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        total += 2 * 6_371_000.0 * math.asin(math.sqrt(h))
    return round(total, 3)


# ----------------------------------------------------------------------------- the store


class Store:
    """Thread-safe SQLite object store.

    Parameters
    ----------
    path : str or Path, optional
        SQLite file; in memory when ``None``. A new database is seeded with the demo data.

    Examples
    --------
    >>> s = Store()
    >>> obj = s.insert("range", {"user": 1511, "start": 1, "end": 2, "name": "x"})
    >>> s.get("range", obj["id"])["name"]
    'x'
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = str(path) if path is not None else None
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(self.path or ":memory:", check_same_thread=False)
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS objects (resource TEXT NOT NULL, id INTEGER NOT NULL,"
            " body TEXT NOT NULL, PRIMARY KEY (resource, id))"
        )
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
        )
        seeded = self._conn.execute("SELECT value FROM meta WHERE key='seeded'").fetchone()
        if seeded is None:
            self._seed()
        self._objects: dict[str, dict[int, dict[str, Any]]] = {r: {} for r in STORED_RESOURCES}
        for resource, oid, body in self._conn.execute("SELECT resource, id, body FROM objects"):
            self._objects.setdefault(resource, {})[oid] = json.loads(body)

    def _seed(self) -> None:
        with self._conn:
            self._conn.executemany(
                "INSERT OR REPLACE INTO objects (resource, id, body) VALUES (?, ?, ?)",
                [(res, obj["id"], json.dumps(obj)) for res, obj in _seed_objects()],
            )
            self._conn.execute("INSERT OR REPLACE INTO meta VALUES ('seeded', '1')")

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._conn.close()

    def all(self, resource: str) -> list[dict[str, Any]]:
        """Every stored object of *resource*, ordered by id (shared: do not mutate)."""
        with self._lock:
            objs = self._objects.get(resource, {})
            return [objs[k] for k in sorted(objs)]

    def get(self, resource: str, oid: int) -> dict[str, Any] | None:
        """One object (a copy) or ``None``."""
        with self._lock:
            obj = self._objects.get(resource, {}).get(oid)
            return copy.deepcopy(obj) if obj is not None else None

    def next_id(self, resource: str) -> int:
        """The id the next created object of *resource* gets."""
        with self._lock:
            objs = self._objects.get(resource, {})
            return max(objs, default=0) + 1

    def insert(self, resource: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Store a new object; assigns ``id`` when missing. Returns the stored copy."""
        with self._lock:
            obj = dict(obj)
            if obj.get("id") is None:
                obj["id"] = self.next_id(resource)
            derive(resource, obj)
            self._write(resource, obj)
            return copy.deepcopy(obj)

    def replace(self, resource: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Overwrite an object with the same id. Returns the stored copy."""
        with self._lock:
            obj = derive(resource, dict(obj))
            self._write(resource, obj)
            return copy.deepcopy(obj)

    def delete(self, resource: str, oid: int) -> bool:
        """Delete one object; ``False`` if it did not exist."""
        with self._lock:
            if oid not in self._objects.get(resource, {}):
                return False
            with self._conn:
                self._conn.execute("DELETE FROM objects WHERE resource=? AND id=?", (resource, oid))
            del self._objects[resource][oid]
            return True

    def _write(self, resource: str, obj: dict[str, Any]) -> None:
        with self._conn:
            self._conn.execute(
                "INSERT OR REPLACE INTO objects (resource, id, body) VALUES (?, ?, ?)",
                (resource, obj["id"], json.dumps(obj)),
            )
        self._objects.setdefault(resource, {})[obj["id"]] = copy.deepcopy(obj)


def add_import(store: Store, path: str | Path, user: int = 1511) -> int:
    """Register an export as a record of *user*.

    The record keeps the export's id when it is free (or already this import's);
    otherwise it gets the next free id. Its bounds are the importer's
    (:func:`hexoframe.emulator.importer.record_bounds`).

    Parameters
    ----------
    store : Store
        The store to add the record to.
    path : str or Path
        Export folder or zip.
    user : int
        Owner of the record.

    Returns
    -------
    int
        The record id.
    """
    rid, start, end = record_bounds(path)
    marker = f"import:{Path(path).resolve()}"
    if rid is not None:
        existing = store.get("record", rid)
        if existing is not None and existing.get("_import") != marker:
            rid = None
    if rid is None:
        same = [r for r in store.all("record") if r.get("_import") == marker]
        rid = same[0]["id"] if same else store.next_id("record")
    obj = _record(rid, user, "1970-01-01T00:00:00", 1)
    obj.update(
        {"start": int(start), "end": int(end), "device_start": int(start), "_import": marker}
    )
    store.replace("record", obj)
    return rid
