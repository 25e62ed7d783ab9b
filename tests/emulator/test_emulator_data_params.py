"""The data endpoint's ``max_values``, ``no_timestamps``, ``seconds`` and ``scaled`` (issue 9).

Over HTTP against the emulator. ``max_values`` lowers the per-datatype point cap of JSON
and CSV answers (subsampling as the 65535 cap does); ``no_timestamps`` gives JSON value
lists; the two parameters whose meaning the reference does not establish (``seconds``,
``scaled``) and the combinations that have no meaning are refused with a 400 that says
why. Nothing is ignored silently.
"""

from __future__ import annotations

import csv
import io
import math

import pytest
import requests
from answers import reason
from hypothesis import given, settings
from hypothesis import strategies as st

from hexoframe.emulator.store import DEMO_USERS

#: The demo athlete, from the emulator's own table (what ``hexoskin_users`` holds).
ATHLETE = (DEMO_USERS["athlete"]["email"], DEMO_USERS["athlete"]["password"])
RECORD = 37700
START = 438926745600  # record 37700: one hour
END = 438927667200


def _get(emu, accept: str | None = None, **params) -> requests.Response:
    headers = {"Accept": accept} if accept else {}
    return requests.get(emu.url + "/api/v1/data/", params=params, auth=ATHLETE, headers=headers)


def _json(emu, **params):
    r = _get(emu, **params)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="module")
def full(hexoskin_emulator):
    """The unsubsampled answers for heart rate (1 Hz) and RR intervals (async)."""
    body = _json(hexoskin_emulator, datatype__in="19,18", record=RECORD)
    assert len(body) == 1 and body[0]["user"] == "/api/v1/user/1511/"
    data = body[0]["data"]
    assert (len(data["19"]), len(data["18"])) == (3599, 4684)
    return data


def _every(points: list, m: int) -> list:
    """What the cap rule keeps of *points* for a limit of *m*: every k-th point."""
    k = max(1, math.ceil(len(points) / m))
    return points[::k]


# ----------------------------------------------------------------------------- max_values


@pytest.mark.parametrize("m", [1, 2, 100, 1000, 3598, 3599, 3600, 65535, 10**9])
def test_max_values_subsamples_json_like_the_cap(hexoskin_emulator, full, m):
    data = _json(hexoskin_emulator, datatype__in="19,18", record=RECORD, max_values=m)[0]["data"]
    for key in ("19", "18"):
        assert data[key] == _every(full[key], m)
        assert len(data[key]) <= m


def test_max_values_flat_and_window(hexoskin_emulator, full):
    got = _json(
        hexoskin_emulator, datatype=19, start=START, end=START + 256 * 600, max_values=50, flat=1
    )
    window = [p for p in full["19"] if p[0] < START + 256 * 600]
    assert len(window) == 599  # 1 Hz samples are stamped at the end of their second
    assert got == window[::12] and len(got) == 50


def test_max_values_below_the_service_cap_on_ecg(hexoskin_emulator):
    """ECG of the whole record (921600 samples) is capped at 65535; max_values lowers it."""
    capped = _json(hexoskin_emulator, datatype=4113, record=RECORD, flat=1)
    assert len(capped) == math.ceil(921600 / math.ceil(921600 / 65535))
    assert (
        _json(hexoskin_emulator, datatype=4113, record=RECORD, flat=1, max_values=10**6) == capped
    )
    lower = _json(hexoskin_emulator, datatype=4113, record=RECORD, flat=1, max_values=1000)
    k = math.ceil(921600 / 1000)
    assert len(lower) == math.ceil(921600 / k) == 1000
    assert [p[0] for p in lower] == [START + i * k for i in range(1000)]


def test_max_values_in_csv(hexoskin_emulator, full):
    r = _get(hexoskin_emulator, "text/csv", datatype=19, record=RECORD, max_values=7)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["user", "timestamp", "19"]
    assert [[int(t), int(v)] for _, t, v in rows[1:]] == _every(full["19"], 7)


@pytest.mark.parametrize("value", ["0", "-3", "abc", "1.5", ""])
def test_bad_max_values_is_400(hexoskin_emulator, value):
    r = _get(hexoskin_emulator, datatype=19, record=RECORD, max_values=value)
    assert r.status_code == 400
    assert "max_values" in reason(r)


def test_max_values_does_not_apply_to_binary(hexoskin_emulator):
    r = _get(
        hexoskin_emulator, "application/octet-stream", datatype=19, record=RECORD, max_values=10
    )
    assert r.status_code == 400
    assert reason(r).startswith("'max_values' does not apply to binary answers")
    # the same request without it is served
    assert (
        _get(hexoskin_emulator, "application/octet-stream", datatype=19, record=RECORD).status_code
        == 200
    )


def test_max_values_answers_are_cached_apart(hexoskin_emulator):
    a = _get(hexoskin_emulator, datatype=19, record=RECORD, max_values=10, flat=1)
    b = _get(hexoskin_emulator, datatype=19, record=RECORD, max_values=20, flat=1)
    c = _get(hexoskin_emulator, datatype=19, record=RECORD, max_values=10, flat=1)
    assert (len(a.json()), len(b.json())) == (10, 20)
    assert "X-HexoCache" in c.headers and c.content == a.content


@settings(derandomize=True, max_examples=15, deadline=None)
@given(m=st.integers(1, 4000), seconds=st.integers(1, 3600))
def test_max_values_property(hexoskin_emulator, full, m, seconds):
    end = START + 256 * seconds + 1  # at least one end-stamped 1 Hz sample
    got = _json(hexoskin_emulator, datatype=19, start=START, end=end, max_values=m, flat=1)
    window = [p for p in full["19"] if p[0] < end]
    assert got == _every(window, m)
    assert 0 < len(got) <= m


# ----------------------------------------------------------------------------- no_timestamps


def test_no_timestamps_gives_value_lists(hexoskin_emulator, full):
    body = _json(hexoskin_emulator, datatype__in="19,18", record=RECORD, no_timestamps=1)
    assert body == [
        {
            "data": {"19": [v for _, v in full["19"]], "18": [v for _, v in full["18"]]},
            "user": "/api/v1/user/1511/",
        }
    ]


def test_no_timestamps_flat_with_max_values(hexoskin_emulator, full):
    got = _json(
        hexoskin_emulator, datatype=18, record=RECORD, no_timestamps="true", flat=1, max_values=100
    )
    assert got == [v for _, v in _every(full["18"], 100)]
    assert all(isinstance(v, float) for v in got)


def test_no_timestamps_zero_is_the_default(hexoskin_emulator):
    a = _get(hexoskin_emulator, datatype=19, record=RECORD, no_timestamps=0)
    b = _get(hexoskin_emulator, datatype=19, record=RECORD)
    assert a.status_code == 200 and a.content == b.content


@pytest.mark.parametrize("accept", ["text/csv", "application/octet-stream"])
def test_no_timestamps_is_json_only(hexoskin_emulator, accept):
    r = _get(hexoskin_emulator, accept, datatype=19, record=RECORD, no_timestamps=1)
    assert r.status_code == 400
    assert reason(r).startswith("'no_timestamps' applies to JSON answers only")


def test_bad_no_timestamps_is_400(hexoskin_emulator):
    r = _get(hexoskin_emulator, datatype=19, record=RECORD, no_timestamps="maybe")
    assert r.status_code == 400 and "no_timestamps" in reason(r)


# ----------------------------------------------------------------------------- undefined


@pytest.mark.parametrize("name", ["seconds", "scaled"])
@pytest.mark.parametrize("value", ["0", "1", "60"])
@pytest.mark.parametrize("accept", [None, "text/csv", "application/octet-stream"])
def test_parameters_without_an_established_meaning_are_refused(
    hexoskin_emulator, name, value, accept
):
    r = _get(hexoskin_emulator, accept, datatype=19, record=RECORD, **{name: value})
    assert r.status_code == 400
    message = reason(r)
    assert message.startswith(f"'{name}' is not supported by the emulator")
    assert "meaning is not documented" in message and "docs/emulator.md" in message
