"""Metrics and reports of the emulator, computed from the served signals."""

from __future__ import annotations

import numpy as np
import pytest

from hexoframe.emulator import physiology as ph
from hexoframe.emulator.metrics import METRICS, compute_report, metric_by_id
from hexoframe.emulator.signals import make_source

START = 1714557600 * 256
HOUR = 3600 * 256


@pytest.fixture(scope="module")
def src():
    return make_source(0, {"id": 37700, "user": 1511, "start": START, "end": START + HOUR})


def _values(report):
    return {m["name"]: m for m in report["data"][0]}


def test_metric_list():
    ids = [m["id"] for m in METRICS]
    for mid in (
        1,
        3,
        4,
        12,
        14,
        15,
        17,
        19,
        20,
        44,
        45,
        46,
        47,
        50,
        55,
        57,
        58,
        71,
        126,
        1032,
        1038,
        1039,
    ):
        assert mid in ids
    for m in METRICS:
        assert m["resource_uri"] == f"/api/v1/metric/{m['id']}/"
        assert {"name", "title", "unit", "zones", "type"} <= set(m)
    assert metric_by_id(44)["name"] == "heartrate_avg"


def test_report_shape_and_values(src):
    seg = [(1511, src, START, START + HOUR)]
    rec = {"id": 37700, "resource_uri": "/api/v1/record/37700/"}
    rep = compute_report(seg, [1, 44, 46, 47, 45, 12, 55, 71, 126, 17], record=rec)
    assert rep["count"] == 1 and rep["outputtype"] == "list" and rep["record"] is rec
    assert rep["report"] == "/api/v1/templatereport/None/"
    v = _values(rep)
    _, hr = src.samples("heart_rate", START, START + HOUR)
    assert v["heartrate_avg"]["value"] == hr.mean()
    assert (v["heartrate_min"]["value"], v["heartrate_max"]["value"]) == (hr.min(), hr.max())
    assert v["heartrate_avg"]["timerange"] == {
        "start": START,
        "end": START + HOUR,
        "user": "/api/v1/user/1511/",
    }
    assert v["heartrate_avg"]["record"] == "/api/v1/record/37700/"
    assert v["heartrate_avg"]["metric"] == "/api/v1/metric/44/"
    _, act = src.samples("activity", START, START + HOUR)
    assert v["activity_avg"]["value"] == pytest.approx(act.mean() / 256, rel=1e-12)
    zones = v["activity_avg"]["zones"]
    assert v["activity_avg"]["zone"] == sum(z <= v["activity_avg"]["value"] for z in zones)
    histo = v["heartrate_histo"]
    assert histo["data1"]["bin_edge"] == list(range(20, 221, 20))
    assert histo["data1"]["value"] == list(range(30, 211, 20))
    assert sum(histo["data2"]["value"]) == len(hr)
    assert histo["data2"]["unit"] == "rep"
    sts, _ = src.samples("step", START, START + HOUR)
    assert v["step_count"]["value"] == len(sts)
    _, mv = src.samples("minute_ventilation", START, START + HOUR)
    assert v["minuteventilation_avg"]["value"] == pytest.approx(mv.mean() * 13.28 / 1000)
    _, w = src.samples("energy_mifflin_keytel", START, START + HOUR)
    assert v["energy_total"]["value"] == pytest.approx(w.sum() / 4184)
    assert 50 < v["energy_total"]["value"] < 600  # kcal in one hour
    _, cad = src.samples("cadence", START, START + HOUR)
    assert v["cadence_avg"]["value"] == pytest.approx(cad[cad > 0].mean())


def test_hrv_only_for_rest_and_sleep(src):
    seg = [(1511, src, START, START + 900 * 256)]
    assert _values(compute_report(seg, [50]))["hrvlfnorm_avg"]["value"] == -1
    run = {"id": 58979, "activitytype": "/api/v1/activitytype/1/"}
    assert _values(compute_report(seg, [50], range=run))["hrvlfnorm_avg"]["value"] == -1
    rest = {"id": 58981, "activitytype": "/api/v1/activitytype/8/"}
    got = _values(compute_report(seg, [50], range=rest))["hrvlfnorm_avg"]
    nts, nn = src.samples("nn_interval", START, START + 900 * 256)
    lf, hf = ph.lf_hf(nts, nn)
    assert got["value"] == round(100 * lf / (lf + hf), 2)
    assert 0 < got["value"] < 100
    assert got["range"] == "/api/v1/range/58981/"
    # fewer than 128 beats: not computed
    short = [(1511, src, START, START + 60 * 256)]
    assert _values(compute_report(short, [50], activitytype=12))["hrvlfnorm_avg"]["value"] == -1


def test_sleep_metrics_over_a_night():
    day0 = 1714608000 * 256
    src = make_source(0, {"id": 37701, "user": 1511, "start": day0, "end": day0 + 24 * HOUR})
    rep = compute_report([(1511, src, day0, day0 + 24 * HOUR)], [1032, 1038, 1039])
    v = _values(rep)
    assert v["sleep_total_time"]["value"] == 8 * 3600  # 00:00-07:00 and 23:00-24:00 UTC
    assert v["sleep_position_changes"]["value"] > 0
    assert 0 < v["sleep_efficiency"]["value"] <= 100
    day = compute_report([(1511, src, day0 + 12 * HOUR, day0 + 13 * HOUR)], [1032])
    assert _values(day)["sleep_total_time"]["value"] == 0


def test_unknown_metric_raises(src):
    with pytest.raises(ValueError):
        compute_report([(1511, src, START, START + 256)], [999])


def test_report_over_http(hexoskin_emulator, athlete_auth):
    requests = pytest.importorskip("requests")
    base = hexoskin_emulator.url + "/api/v1/"
    r = requests.get(
        base + "report/",
        params={"include_metrics": "44,45,50", "record": 37700},
        auth=athlete_auth,
        timeout=60,
    )
    assert r.status_code == 200
    items = {m["name"]: m for m in r.json()["data"][0]}
    d = requests.get(
        base + "data/", params={"datatype": 19, "record": 37700}, auth=athlete_auth, timeout=60
    ).json()[0]["data"]["19"]
    hr = np.array([v for _, v in d], dtype=np.float64)
    assert items["heartrate_avg"]["value"] == hr.mean()
    assert items["hrvlfnorm_avg"]["value"] == -1
    assert sum(items["heartrate_histo"]["data2"]["value"]) == len(hr)
    # the sleep range (activity type 12) gets an HRV value
    r = requests.get(
        base + "report/",
        params={"include_metrics": "50", "range": 58980},
        auth=athlete_auth,
        timeout=60,
    )
    assert r.status_code == 200
    assert 0 < r.json()["data"][0][0]["value"] < 100
    listing = requests.get(base + "metric/", params={"limit": 100}, auth=athlete_auth, timeout=60)
    assert {o["id"] for o in listing.json()["objects"]} >= {1, 44, 45, 50, 71, 126}
