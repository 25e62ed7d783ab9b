"""The emulator answers as the real service does: a generic Tastypie walk of ``/api/``.

A schema-driven client discovers every resource at ``/api/``, fetches its schema (which
must equal the real service's, ``hexoframe/core/api_schema.json``, itself checked against
``../shared/reference/api-schema.json`` when present), reads a few pages of every listable
resource as the athlete and as the coach, checks every object against the schema's field
types (``type``, ``nullable``, ``related_type``) and dereferences every related URI.
The few deliberate departures (values the reference's examples show in another type than
the schema) come from :mod:`hexoframe.emulator.shapes` and are listed in
``docs/emulator.md``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import requests
from paths import REPO

from hexoframe.core.catalog import all_datatypes
from hexoframe.emulator.shapes import REFERENCE_EXTRAS, REFERENCE_TYPES

PACKAGED = REPO / "hexoframe" / "core" / "api_schema.json"
#: ``../shared`` of the main checkout (worktrees sit one level deeper).
REFERENCE = next(
    (
        p / "shared" / "reference" / "api-schema.json"
        for p in (REPO.parent, REPO.parent.parent)
        if (p / "shared" / "reference" / "api-schema.json").exists()
    ),
    REPO.parent / "shared" / "reference" / "api-schema.json",
)
#: Resources whose list view is a computed answer (data points, reports), not objects.
COMPUTED = frozenset({"data", "report"})
PAGES = 3
PAGE = 20
_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
_URI = re.compile(r"^/api/(?:v1/)?(?P<name>[a-z_]+)/(?P<key>[^/]+)/$")


def real_schemas() -> dict[str, Any]:
    return json.loads(PACKAGED.read_text(encoding="utf-8"))["resources"]


# ----------------------------------------------------------------------------- validator


def field_errors(resource: str, fname: str, spec: dict[str, Any], value: Any) -> list[str]:
    """What is wrong with *value* as field *fname* of *resource* (empty when valid)."""
    where = f"{resource}.{fname}"
    if value is None:
        return [f"{where}: null but not nullable"] if spec.get("nullable") is False else []
    if isinstance(value, REFERENCE_TYPES.get((resource, fname), ())):
        return []
    kind = spec.get("type")
    ok = True
    if kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "float":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif kind == "boolean":
        ok = isinstance(value, bool)
    elif kind == "string":
        ok = isinstance(value, str)
    elif kind == "datetime":
        ok = isinstance(value, str) and bool(_DATETIME.match(value))
    elif kind == "date":
        ok = isinstance(value, str) and bool(_DATE.match(value) or _DATETIME.match(value))
    elif kind == "related":
        items = value if spec.get("related_type") == "to_many" else [value]
        if spec.get("related_type") == "to_many" and not isinstance(value, list):
            return [f"{where}: to_many but {type(value).__name__}"]
        for item in items:
            uri = item.get("resource_uri") if isinstance(item, dict) else item
            if not (isinstance(uri, str) and _URI.match(uri)):
                return [f"{where}: {item!r} is not a resource URI"]
    if not ok:
        return [f"{where}: {value!r} is not of type {kind}"]
    return []


def object_errors(resource: str, schema: dict[str, Any], obj: dict[str, Any]) -> list[str]:
    """Every departure of *obj* from the field types of its resource's *schema*."""
    fields = schema["fields"]
    errors = [
        f"{resource}.{k}: not in the schema"
        for k in obj
        if k not in fields and (resource, k) not in REFERENCE_EXTRAS
    ]
    errors += [f"{resource}.{k}: missing" for k in fields if k not in obj]
    for fname, spec in fields.items():
        if fname in obj:
            errors += field_errors(resource, fname, spec, obj[fname])
    return errors


def related_uris(schema: dict[str, Any], obj: dict[str, Any]) -> set[str]:
    """The URIs of every related object *obj* links to (nested ones included)."""
    out: set[str] = set()
    for fname, spec in schema["fields"].items():
        if spec.get("type") != "related" or obj.get(fname) is None:
            continue
        value = obj[fname]
        for item in value if isinstance(value, list) else [value]:
            out.add(item["resource_uri"] if isinstance(item, dict) else item)
    return out


def test_validator_catches_each_kind_of_departure():
    fields = real_schemas()["datatype"]
    good = {
        "dataid": 19,
        "freq": 1,
        "hexo_freq": 256,
        "id": 19,
        "info": "x",
        "name": "HR",
        "resource_uri": "/api/v1/datatype/19/",
        "unit": "/api/v1/unit/7/",
        "unit_raw": {"resource_uri": "/api/unit/7/"},
    }
    assert object_errors("datatype", fields, good) == []
    cases = {
        "freq": (256.0, "datatype.freq: 256.0 is not of type integer"),
        "unit": ("bpm", "datatype.unit: 'bpm' is not a resource URI"),
        "info": (3, "datatype.info: 3 is not of type string"),
        "name": (None, "datatype.name: null but not nullable"),
    }
    for fname, (value, message) in cases.items():
        assert object_errors("datatype", fields, {**good, fname: value}) == [message]
    assert object_errors("datatype", fields, {**good, "zones": []}) == [
        "datatype.zones: not in the schema"
    ]
    rest = {k: v for k, v in good.items() if k != "info"}
    assert object_errors("datatype", fields, rest) == ["datatype.info: missing"]
    stamp = {"type": "datetime", "nullable": False}
    assert field_errors("range", "created", stamp, "2024-05-01T10:00:00") == [
        "range.created: '2024-05-01T10:00:00' is not of type datetime"
    ]
    assert field_errors("range", "created", stamp, "2024-05-01T10:00:00+00:00") == []


# ----------------------------------------------------------------------------- the walk


def test_packaged_schema_is_the_reference():
    if not REFERENCE.exists():
        pytest.skip(f"{REFERENCE} (the real schema) is absent in this checkout")
    assert json.loads(REFERENCE.read_text(encoding="utf-8")) == json.loads(
        PACKAGED.read_text(encoding="utf-8")
    )


@pytest.fixture(scope="module")
def discovered(hexoskin_emulator, athlete_auth) -> dict[str, Any]:
    base = hexoskin_emulator.url
    session = requests.Session()
    session.auth = athlete_auth
    roots = {prefix: session.get(base + prefix).json() for prefix in ("/api/", "/api/v1/")}
    return {"base": base, "roots": roots}


def test_every_resource_is_listed_with_its_real_schema(discovered, hexoskin_users):
    base = discovered["base"]
    real = real_schemas()
    me = hexoskin_users["athlete"]
    for prefix, root in discovered["roots"].items():
        assert sorted(root) == sorted(real)
        assert len(root) == 42
        for name, entry in root.items():
            assert entry["list_endpoint"] == f"{prefix}{name}/"
            r = requests.get(base + entry["schema"], auth=(me["email"], me["password"]))
            assert r.status_code == 200, name
            expected = {**real[name], "list_endpoint": f"{prefix}{name}/"}
            assert r.json() == expected, name


@pytest.mark.parametrize("role", ["athlete", "coach"])
def test_every_object_validates_and_every_link_dereferences(discovered, hexoskin_users, role):
    base = discovered["base"]
    real = real_schemas()
    me = hexoskin_users[role]
    session = requests.Session()
    session.auth = (me["email"], me["password"])
    errors: list[str] = []
    links: set[str] = set()
    counts: dict[str, int] = {}
    for name, entry in discovered["roots"]["/api/v1/"].items():
        if name in COMPUTED or "get" not in real[name]["allowed_list_http_methods"]:
            continue
        url: str | None = base + entry["list_endpoint"] + f"?limit={PAGE}"
        seen = 0
        for _ in range(PAGES):
            if url is None:
                break
            r = session.get(url)
            assert r.status_code == 200, (name, r.status_code, r.text[:200])
            body = r.json()
            assert set(body) == {"meta", "objects"}
            for obj in body["objects"]:
                errors += object_errors(name, real[name], obj)
                links |= related_uris(real[name], obj)
                if "resource_uri" in real[name]["fields"]:  # datafile has none
                    assert session.get(base + obj["resource_uri"]).status_code == 200
            seen += len(body["objects"])
            url = base + body["meta"]["next"] if body["meta"]["next"] else None
        counts[name] = seen
    assert errors == []
    assert links, "no related field was linked"
    broken = {uri: session.get(base + uri).status_code for uri in sorted(links)}
    assert {u: s for u, s in broken.items() if s != 200} == {}
    # the walk did read objects: units, users, records; and empty lists elsewhere
    # athlete: 28 own records + 1 of its friend; coach: 28 + 1 of athlete2 + 1 own
    assert counts["record"] == (29 if role == "athlete" else 30)
    assert counts["unit"] == 31 and counts["datatype"] == len(all_datatypes())
    assert counts["user"] == (2 if role == "athlete" else 3)
    assert counts["team"] == (0 if role == "athlete" else 1)
    assert counts["datafile"] == (4 if role == "athlete" else 3)  # one per visible range
    assert counts["calendar"] == 0


def test_units_and_teams_as_the_demo_users_have_them(hexoskin_emulator, hexoskin_users):
    base = hexoskin_emulator.url + "/api/v1/"
    coach = hexoskin_users["coach"]
    auth = (coach["email"], coach["password"])
    units = requests.get(base + "unit/?limit=0", auth=auth).json()["objects"]
    by_uri = {u["resource_uri"]: u["si_short"] for u in units}
    # every unit a datatype or metric links to is served, under its name
    dts = requests.get(base + "datatype/?limit=0", auth=auth).json()["objects"]
    ecg = next(d for d in dts if d["id"] == 4113)
    assert (by_uri[ecg["unit"]], by_uri[ecg["unit_raw"]], ecg["freq"], ecg["hexo_freq"]) == (
        "ADC",
        "ADC",
        256,
        1,
    )
    slow = [d for d in dts if d["hexo_freq"] == 76800]
    assert slow and all(d["freq"] is None for d in slow)  # 1/300 Hz: no integer freq
    metrics = requests.get(base + "metric/?limit=0", auth=auth).json()["objects"]
    assert {m["name"]: by_uri[m["unit"]] for m in metrics}["heartrate_avg"] == "bpm"
    assert all(isinstance(m["value"], str) for m in metrics)
    # the coach's team holds its athletes; the athlete does not see its coach's team
    team = requests.get(base + "team/", auth=auth).json()["objects"]
    assert team == [
        {
            "id": 1,
            "members": ["/api/v1/user/1511/", "/api/v1/user/1514/"],
            "owner": "/api/v1/user/1513/",
            "resource_uri": "/api/v1/team/1/",
        }
    ]
    me = hexoskin_users["athlete"]
    assert (
        requests.get(base + "team/", auth=(me["email"], me["password"])).json()["meta"][
            "total_count"
        ]
        == 0
    )
