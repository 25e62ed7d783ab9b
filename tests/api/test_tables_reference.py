"""The JSON examples of the Hexoskin API reference parse into the expected tables.

Each literal below is copied from /work/shared/reference/hexoskin-api-reference.md, with
the "..." placeholders removed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hexoframe.api.resources import load_schema
from hexoframe.api.tables import objects_to_frame, report_histograms_frame, report_metrics_frame


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC").as_unit("ns")


# "A typical list view, this one taken from https://api.hexoskin.com/api/v1/datatype/"
DATATYPE_LIST = {
    "meta": {
        "limit": 20,
        "next": "/api/v1/datatype/?limit=20&offset=20",
        "offset": 0,
        "previous": None,
        "total_count": 95,
    },
    "objects": [
        {
            "dataid": 208,
            "hexo_freq": None,
            "info": "Recorder start annotation.",
            "name": "RECSTR_ANNOT_CHAR",
            "resource_uri": "/api/v1/datatype/208/",
        },
        {
            "dataid": 16,
            "hexo_freq": 1,
            "info": "1 to 3 leads ECG channel(s).",
            "name": "ECG_CHANNEL_CHAR",
            "resource_uri": "/api/v1/datatype/16/",
        },
    ],
}

# "https://api.hexoskin.com/api/v1/record/?device__in=HXSKIN1200001773,HXSKIN1200002049"
RECORD_LIST = {
    "meta": {"limit": 20, "next": None, "offset": 0, "previous": None, "total_count": 13},
    "objects": [
        {
            "data": "TfzfJ1QAAABIWERFVi1BVVRPTXwAAAAAhQoAAEZGRkZGRkZGRkZGRkZGRkZG"
            "RkZGRkZGRkZGRkZGAQAFAA==",
            "data_status": {},
            "dev_id": "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
            "device": "/api/v1/device/HXSKIN1200002115/",
            "end": 361451358544,
            "firmware_rev": "1.0.5",
            "id": 43419,
            "n_uploaded_timelines": 0,
            "npages": 71710,
            "resource_uri": "/api/v1/record/43419/",
            "soft_protocole": 0,
            "soft_uid": "HXDEV-AUTO",
            "start": 361446243405,
            "start_date": "2014-09-28T10:16:28+00:00",
            "status": "complete",
            "user": {
                "email": "athlete@hexoskin.com",
                "first_name": "Athlete",
                "id": 1511,
                "last_name": "Hexoskin",
                "profile": "/api/v1/profile/1460/",
                "resource_uri": "/api/v1/user/1511/",
                "username": "athlete@hexoskin.com",
            },
        }
    ],
}

# "A typical detail view, this one taken from https://api.hexoskin.com/api/v1/datatype/208/"
DATATYPE_DETAIL = {
    "dataid": 208,
    "freq": None,
    "info": "Recorder start annotation.",
    "name": "RECSTR_ANNOT_CHAR",
    "resource_uri": "/api/v1/datatype/208/",
}

# "a POST on annotation ... will return"
ANNOTATION = {
    "annotation": "Hey guys!",
    "datatype": "/api/v1/datatype/4096/",
    "id": 61353,
    "last_update": 362161472635,
    "record": None,
    "resource_uri": "/api/v1/annotation/61353/",
    "start": 123456,
    "start_date": "1970-01-01T00:08:02+00:00",
    "user": "/api/v1/user/835/",
}

# "https://api.hexoskin.com/api/v1/account/"
ACCOUNT_LIST = {
    "meta": {"limit": 1, "next": None, "offset": 0, "previous": None, "total_count": 1},
    "objects": [
        {
            "email": "athlete@hexoskin.com",
            "first_name": "Athlete",
            "id": 1511,
            "is_staff": False,
            "last_name": "Hexoskin",
            "profile": {
                "date_of_birth": "1980-01-01",
                "fitness": {
                    "fitness_percentile": 50,
                    "height": 1.82,
                    "hr_max": 183,
                    "hr_recov": 0,
                    "hr_rest": 73,
                    "vo2_max": 42,
                    "weight": 78,
                },
                "gender": "M",
                "height": 1.82,
                "id": 1460,
                "preferences": None,
                "resource_uri": "/api/v1/profile/1460/",
                "unit_system": "metric",
                "weight": 78,
            },
            "resource_uri": "/api/v1/user/1511/",
            "username": "athlete@hexoskin.com",
        }
    ],
}

# "https://api.hexoskin.com/api/v1/track/"
TRACK_LIST = {
    "meta": {
        "limit": 20,
        "next": "/api/v1/track/?limit=20&offset=20",
        "offset": 0,
        "previous": None,
        "total_count": 1,
    },
    "objects": [
        {
            "area": None,
            "distance": 656.763124754487,
            "id": 80,
            "name": "",
            "range": "/api/v1/range/58979/",
            "resource_uri": "/api/v1/track/80/",
            "source": "",
            "user": "/api/v1/user/805/",
        }
    ],
}

# "https://api.hexoskin.com/api/v1/trackpoint/?track=80"
TRACKPOINT_LIST = {
    "meta": {
        "limit": 20,
        "next": "/api/v1/trackpoint/?track=80&limit=20&offset=20",
        "offset": 0,
        "previous": None,
        "total_count": 53,
    },
    "objects": [
        {
            "altitude": 42,
            "course": None,
            "horizontal_accuracy": 3.90000009536743,
            "id": 27720,
            "position": [-73.6045937, 45.5308797],
            "resource_uri": "/api/v1/trackpoint/27720/",
            "speed": 0,
            "time": "2014-08-29T09:25:15",
            "track": "/api/v1/track/80/",
            "vertical_accuracy": None,
        }
    ],
}

# "https://api.hexoskin.com/api/v1/report/?include_metrics=1,45&record=37700"
REPORT = {
    "count": 1,
    "data": [
        [
            {
                "metric": "/api/v1/metric/1/",
                "name": "activity_avg",
                "outputtype": "value",
                "record": "/api/v1/record/37700/",
                "timerange": {
                    "end": 359840821814,
                    "start": 359840226870,
                    "user": "/api/v1/user/1511/",
                },
                "title": "Act Avg",
                "unit": "g",
                "uri": "/api/v1/metric/1/",
                "value": 0.158528803165781,
                "zone": 2,
                "zones": [0, 0.1, 0.2, 0.3, 0.4, 0.5],
            },
            {
                "data1": {
                    "bin_edge": [20, 40, 60, 80, 100, 120, 140, 160, 180, 200, 220],
                    "count": 10,
                    "unit": "bpm",
                    "value": [30, 50, 70, 90, 110, 130, 150, 170, 190, 210],
                },
                "data2": {
                    "count": 10,
                    "unit": "rep",
                    "value": [0, 0, 137, 865, 907, 378, 34, 1, 0, 0],
                },
                "metric": "/api/v1/metric/45/",
                "name": "heartrate_histo",
                "outputtype": "value",
                "record": "/api/v1/record/37700/",
                "timerange": {
                    "end": 359840821814,
                    "start": 359840226870,
                    "user": "/api/v1/user/1511/",
                },
                "title": "heartrate histo",
                "uri": "/api/v1/metric/45/",
            },
        ]
    ],
    "name": "",
    "outputtype": "list",
    "record": {},
    "report": "/api/v1/templatereport/None/",
    "title": "",
}

# "https://api.hexoskin.com/api/v1/report/?include_metrics=50&range=63624"
HRV_REPORT = {
    "count": 1,
    "data": [
        [
            {
                "metric": "/api/v1/metric/50/",
                "name": "hrvlfnorm_avg",
                "outputtype": "value",
                "record": "/api/v1/record/63624/",
                "timerange": {
                    "end": 361674727680,
                    "start": 361674650880,
                    "user": "/api/v1/user/36/",
                },
                "title": "HRV LF norm",
                "unit": "%",
                "uri": "/api/v1/metric/50/",
                "value": 69.84,
                "zone": 2,
                "zones": [50, 60, 70, 80, 90, 100],
            }
        ]
    ],
    "name": "",
    "outputtype": "list",
    "record": {},
    "report": "/api/v1/templatereport/None/",
    "title": "",
}


def test_datatype_list():
    df = objects_to_frame(DATATYPE_LIST["objects"], load_schema("datatype"))
    assert list(df.columns) == ["dataid", "hexo_freq", "info", "name", "resource_uri"]
    assert df["dataid"].tolist() == [208, 16] and df["dataid"].dtype == np.int64
    assert str(df["hexo_freq"].dtype) == "Int64"
    assert df["hexo_freq"].isna().tolist() == [True, False] and df.loc[1, "hexo_freq"] == 1
    assert df["resource_uri"].tolist() == ["/api/v1/datatype/208/", "/api/v1/datatype/16/"]


def test_datatype_detail():
    df = objects_to_frame([DATATYPE_DETAIL], load_schema("datatype"))
    assert df.shape == (1, 5)
    assert df.loc[0, "name"] == "RECSTR_ANNOT_CHAR" and pd.isna(df.loc[0, "freq"])


@pytest.mark.parametrize("schema", [load_schema("record"), None])
def test_record_list(schema):
    df = objects_to_frame(RECORD_LIST["objects"], schema)
    row = df.iloc[0]
    assert df["id"].dtype == np.int64 and row["id"] == 43419
    assert df["start"].dtype == np.int64 and row["start"] == 361446243405
    assert df["end"].dtype == np.int64 and row["end"] == 361451358544
    # ticks -> UTC, exactly: 361446243405 / 256 s = 1411899388.30078125 s
    assert row["start_time"] == utc("2014-09-28 10:16:28.30078125")
    assert row["end_time"] == pd.Timestamp(361451358544 * 3_906_250, unit="ns", tz="UTC")
    assert row["start_date"] == utc("2014-09-28 10:16:28")
    assert df["start_date"].dtype == "datetime64[ns, UTC]"
    assert row["user_id"] == 1511 and row["user"]["email"] == "athlete@hexoskin.com"
    assert row["device"] == "/api/v1/device/HXSKIN1200002115/"
    assert row["device_id"] == "HXSKIN1200002115"  # a serial, not an integer
    cols = list(df.columns)
    assert cols.index("start_time") == cols.index("start") + 1
    assert cols.index("user_id") == cols.index("user") + 1


def test_annotation_answer():
    df = objects_to_frame([ANNOTATION], load_schema("annotation"))
    row = df.iloc[0]
    assert row["start"] == 123456 and row["start_time"] == utc("1970-01-01 00:08:02.25")
    assert row["last_update"] == 362161472635
    assert row["last_update_time"] == pd.Timestamp(362161472635 * 3_906_250, unit="ns", tz="UTC")
    assert row["start_date"] == utc("1970-01-01 00:08:02")
    assert row["datatype_id"] == 4096 and row["user_id"] == 835
    assert str(df["record_id"].dtype) == "Int64" and pd.isna(row["record_id"])
    assert row["annotation"] == "Hey guys!"


def test_account_list():
    df = objects_to_frame(ACCOUNT_LIST["objects"], load_schema("account"))
    assert df.loc[0, "id"] == 1511 and df.loc[0, "profile_id"] == 1460
    assert df["is_staff"].dtype == bool and not df.loc[0, "is_staff"]
    assert df.loc[0, "profile"]["fitness"]["hr_max"] == 183


def test_track_list():
    df = objects_to_frame(TRACK_LIST["objects"], load_schema("track"))
    expected = pd.DataFrame(
        {
            "area": pd.Series([None], dtype=object),
            "distance": [656.763124754487],
            "id": np.array([80], dtype=np.int64),
            "name": [""],
            "range": ["/api/v1/range/58979/"],
            "range_id": np.array([58979], dtype=np.int64),
            "resource_uri": ["/api/v1/track/80/"],
            "source": [""],
            "user": ["/api/v1/user/805/"],
            "user_id": np.array([805], dtype=np.int64),
        }
    )
    pd.testing.assert_frame_equal(df, expected, check_dtype=False)
    assert df["id"].dtype == np.int64 and df["distance"].dtype == np.float64


def test_trackpoint_list():
    df = objects_to_frame(TRACKPOINT_LIST["objects"], load_schema("trackpoint"))
    expected = pd.DataFrame(
        {
            "altitude": [42.0],
            "course": pd.Series([None], dtype=object),
            "horizontal_accuracy": [3.90000009536743],
            "id": np.array([27720], dtype=np.int64),
            "longitude": [-73.6045937],
            "latitude": [45.5308797],
            "resource_uri": ["/api/v1/trackpoint/27720/"],
            "speed": [0.0],
            "time": pd.Series([utc("2014-08-29 09:25:15")]),
            "track": ["/api/v1/track/80/"],
            "track_id": np.array([80], dtype=np.int64),
            "vertical_accuracy": pd.Series([None], dtype=object),
        }
    )
    pd.testing.assert_frame_equal(df, expected, check_dtype=False)
    assert df["time"].dtype == "datetime64[ns, UTC]"
    assert df["longitude"].dtype == np.float64 and df["latitude"].dtype == np.float64


def test_empty_list_keeps_schema_columns():
    df = objects_to_frame([], load_schema("annotation"))
    assert df.empty and {"id", "start", "user", "annotation"} <= set(df.columns)


def test_report_metrics():
    df = report_metrics_frame(REPORT)
    expected = pd.DataFrame(
        {
            "metric_id": np.array([1], dtype=np.int64),
            "name": ["activity_avg"],
            "title": ["Act Avg"],
            "unit": ["g"],
            "value": [0.158528803165781],
            "zone": pd.array([2], dtype="Int64"),
            "start": np.array([359840226870], dtype=np.int64),
            "start_time": pd.Series([pd.Timestamp(359840226870 * 3_906_250, unit="ns", tz="UTC")]),
            "end": np.array([359840821814], dtype=np.int64),
            "end_time": pd.Series([pd.Timestamp(359840821814 * 3_906_250, unit="ns", tz="UTC")]),
            "user": ["/api/v1/user/1511/"],
            "user_id": np.array([1511], dtype=np.int64),
            "record_id": np.array([37700], dtype=np.int64),
            "range_id": pd.array([None], dtype="Int64"),
            "zones": [[0, 0.1, 0.2, 0.3, 0.4, 0.5]],
        }
    )
    pd.testing.assert_frame_equal(df, expected, check_dtype=False)
    assert df["value"].dtype == np.float64 and df["start"].dtype == np.int64


def test_report_histograms_long_form():
    df = report_histograms_frame(REPORT)
    assert len(df) == 10
    assert (df["metric_id"] == 45).all() and (df["name"] == "heartrate_histo").all()
    assert df["bin"].tolist() == list(range(10))
    assert df["bin_start"].tolist() == [20.0, 40, 60, 80, 100, 120, 140, 160, 180, 200]
    assert df["bin_end"].tolist() == [40.0, 60, 80, 100, 120, 140, 160, 180, 200, 220]
    assert df["bin_center"].tolist() == [30.0, 50, 70, 90, 110, 130, 150, 170, 190, 210]
    assert df["count"].tolist() == [0.0, 0, 137, 865, 907, 378, 34, 1, 0, 0]
    assert set(df["x_unit"]) == {"bpm"} and set(df["y_unit"]) == {"rep"}
    assert (df["user_id"] == 1511).all() and (df["record_id"] == 37700).all()
    assert (df["start"] == 359840226870).all()


def test_hrv_report():
    df = report_metrics_frame(HRV_REPORT)
    assert df[["metric_id", "name", "unit", "value", "zone"]].iloc[0].tolist() == [
        50,
        "hrvlfnorm_avg",
        "%",
        69.84,
        2,
    ]
    assert df.loc[0, "user_id"] == 36 and df.loc[0, "record_id"] == 63624
    assert report_histograms_frame(HRV_REPORT).empty


def test_astroskin_tick_rate():
    df = objects_to_frame([{"id": 1, "start": 1000, "end": 2500}], tick_rate=1000)
    assert df.loc[0, "start_time"] == utc("1970-01-01 00:00:01")
    assert df.loc[0, "end_time"] == utc("1970-01-01 00:00:02.5")


def test_frames_of_every_resource_as_the_emulator_serves_them(hexoskin_emulator, hexoskin_users):
    """Each table builds from objects exactly as the real schema shapes them (the ones
    tests/emulator/test_emulator_conformance.py validates): nested users, text durations,
    unit URIs."""
    import requests

    coach = hexoskin_users["coach"]
    auth = (coach["email"], coach["password"])
    base = hexoskin_emulator.url + "/api/v1/"
    frames = {}
    for name in (
        "record",
        "range",
        "user",
        "profile",
        "device",
        "annotation",
        "datatype",
        "metric",
        "unit",
        "team",
        "activitytype",
        "trackpoint",
        "track",
        "account",
    ):
        body = requests.get(base + f"{name}/?limit=50", auth=auth).json()
        frames[name] = objects_to_frame(body["objects"], load_schema(name))
        assert len(frames[name]) == len(body["objects"]), name
    rec = frames["record"].set_index("id").loc[37700]
    assert rec["user_id"] == 1511 and rec["duration"] == 3600
    assert frames["record"]["duration"].dtype == np.int64
    assert rec["start_date"] == utc("2024-05-01 10:00:00")
    rng = frames["range"].set_index("id").loc[58979]
    assert rng["duration"] == 1200 and rng["user_id"] == 1511
    dt = frames["datatype"].set_index("id")
    assert dt.loc[19, "freq"] == 1 and dt.loc[19, "hexo_freq"] == 256
    units = frames["unit"].set_index("resource_uri")["si_short"]
    assert units[dt.loc[19, "unit"]] == "bpm"
    assert units[frames["metric"].set_index("name").loc["heartrate_avg", "unit"]] == "bpm"
    assert frames["team"]["owner_id"].tolist() == [1513]
    assert sorted(frames["user"]["id"]) == [1511, 1513, 1514]
