"""The datatype catalogue: lookups, suggestions, the record/sample convention."""

import doctest
import pickle

import numpy as np
import pytest

from hexoframe.core import catalog, errors, timestamps
from hexoframe.core.catalog import lookup, resolve


@pytest.mark.parametrize(
    ("key", "expected_id"),
    [
        (4113, 4113),
        ("4113", 4113),
        ("ecg", 4113),
        ("ECG_I", 4113),
        ("ecg_i", 4113),
        ("hr", 19),
        ("HEART_RATE", 19),
        ("rr", 18),
        ("RR_interval", 18),
        ("acc_x", 4145),
        ("acceleration_X", 4145),
        ("resp", 4129),
        (np.int64(33), 33),
        ("RECSTR_ANNOT_CHAR", 208),
    ],
)
def test_lookup_accepts_ids_names_stems_aliases(key, expected_id):
    assert lookup(key).id == expected_id


def test_unknown_name_suggests_the_closest():
    with pytest.raises(errors.UnknownDatatypeError) as info:
        lookup("heart_rat")
    assert "'heart_rate'" in str(info.value)
    assert isinstance(info.value, ValueError) and isinstance(info.value, KeyError)


def test_unknown_id_and_wrong_types_are_typed_errors():
    with pytest.raises(errors.UnknownDatatypeError, match="Unknown datatype id 99999"):
        lookup(99999)
    with pytest.raises(errors.UnknownDatatypeError):
        lookup(3.5)  # type: ignore[arg-type]
    with pytest.raises(errors.UnknownDatatypeError, match="No datatypes"):
        resolve([])


def test_resolve_deduplicates_in_order():
    assert [d.id for d in resolve(["breathing_rate", 19, "hr", "br", 4113])] == [33, 19, 4113]


def test_names_are_unique_and_stems_map_back():
    names = [d.name for d in catalog.all_datatypes()]
    ids = [d.id for d in catalog.all_datatypes()]
    assert len(set(names)) == len(names) and len(set(ids)) == len(ids)
    for dt in catalog.data_datatypes():
        assert catalog.by_stem(dt.stem) is dt
    assert catalog.by_stem("no_such_channel") is None


def test_rates_units_and_scales_from_the_facts():
    ecg, resp, acc, hr, rr, act = (lookup(k) for k in ("ecg", "resp", "acc_z", "hr", "rr", 49))
    assert (ecg.step_ticks, resp.step_ticks, acc.step_ticks, hr.step_ticks) == (1, 2, 4, 256)
    assert lookup("sdnn").step_ticks == 76800 and lookup("sdnn").end_stamped
    assert not ecg.end_stamped and hr.end_stamped and rr.is_async and rr.step_ticks is None
    assert ecg.signed and acc.signed and not resp.signed and not lookup("ppg").signed
    assert ecg.to_physical(np.array([1360, 1361])).tolist() == [0.0, 0.0064]
    assert acc.to_physical(np.array([256])).tolist() == [1.0]
    assert rr.to_api(np.array([256, 192])).tolist() == [1.0, 0.75]
    assert act.to_api(np.array([57])).tolist() == [0.22265625]
    assert hr.to_api(np.array([70])).tolist() == [70]  # scale 1 keeps integers


def test_sample_convention_matches_the_real_export():
    # The fixture export: 129 s record; ECG has 33024 samples, 1 Hz channels 128.
    start = 382085877327
    end = start + 129 * 256
    assert catalog.sample_count(lookup("ecg"), start, end) == 33024
    assert catalog.sample_count(lookup("resp"), start, end) == 16512
    assert catalog.sample_count(lookup("hr"), start, end) == 128
    hr_ticks = catalog.sample_ticks(lookup("hr"), start, end)
    assert hr_ticks[0] == start + 256 and hr_ticks[-1] == start + 128 * 256
    acc_ticks = catalog.sample_ticks(lookup("acc_x"), start, start + 9)
    assert acc_ticks.tolist() == [start, start + 4, start + 8]
    assert catalog.sample_count(lookup("hr"), start, start + 256) == 0
    with pytest.raises(ValueError, match="asynchronous"):
        catalog.sample_count(lookup("rr"), start, end)


def test_grid_start_snaps_up_to_the_channel_grid():
    acc = lookup("acc_x")
    assert catalog.grid_start(acc, 1001, 1001) == 1001
    assert catalog.grid_start(acc, 1001, 1002) == 1005
    assert catalog.grid_start(acc, 1001, 1005) == 1005
    assert catalog.grid_start(lookup("hr"), 0, 0) == 256
    assert catalog.grid_start(lookup("rr"), 0, 17) == 17


def test_refresh_from_service_updates_and_adds(monkeypatch):
    monkeypatch.setattr(catalog, "_by_id", dict(catalog._by_id))
    monkeypatch.setattr(catalog, "_index", dict(catalog._index))
    changed = catalog.refresh_from_service(
        [
            {"id": 19, "name": "HEART_RATE", "freq": 1, "unit": "beats/min"},
            {"id": 5555, "name": "NEW_CHANNEL", "freq": 32, "unit": "x", "unit_raw": "y"},
            {"name": "no id is skipped"},
        ]
    )
    assert changed == 2
    assert lookup(19).unit == "beats/min" and lookup(19).api_scale == 1.0
    assert lookup("new_channel").step_ticks == 8 and lookup(5555).unit_raw == "y"


def test_refresh_from_service_reads_unit_uris_and_hexo_freq(monkeypatch):
    """The real service links units by URI and its integer freq cannot hold 1/300 Hz."""
    monkeypatch.setattr(catalog, "_by_id", dict(catalog._by_id))
    monkeypatch.setattr(catalog, "_index", dict(catalog._index))
    units = {"3": "beats/min", "9": "counts"}
    slow = next(d for d in catalog.all_datatypes() if d.hexo_freq == 76800)
    changed = catalog.refresh_from_service(
        [
            {
                "id": 19,
                "freq": 1,
                "hexo_freq": 256,
                "unit": "/api/v1/unit/3/",
                "unit_raw": "https://api.hexoskin.com/api/unit/9/",
            },
            {
                "id": slow.id,
                "freq": None,
                "hexo_freq": 76800,
                "unit": "/api/v1/unit/404/",
                "unit_raw": {"resource_uri": "/api/unit/3/", "si_short": "beats/min"},
            },
        ],
        units,
    )
    assert changed == 2
    assert (lookup(19).unit, lookup(19).unit_raw, lookup(19).freq) == ("beats/min", "counts", 1.0)
    # an unknown unit URI keeps the catalogued name; the rate comes from hexo_freq
    assert (lookup(slow.id).unit, lookup(slow.id).unit_raw) == (slow.unit, "beats/min")
    assert lookup(slow.id).freq == 1 / 300 and lookup(slow.id).step_ticks == 76800


def test_datatype_resource_shape():
    res = lookup(4113).as_resource()
    assert res == {
        "id": 4113,
        "dataid": 4113,
        "name": "ECG_I",
        "info": lookup(4113).info,
        "freq": 256.0,
        "hexo_freq": 1,
        "unit": "ADC",
        "unit_raw": "ADC",
        "resource_uri": "/api/v1/datatype/4113/",
    }


def test_errors_carry_request_and_pickle():
    err = errors.error_for_status(429, "GET", "http://h/api/v1/data/", "slow down", retry_after=2)
    assert isinstance(err, errors.RateLimited) and err.retry_after == 2
    assert "slow down" in str(err) and "GET http://h/api/v1/data/" in str(err)
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is errors.RateLimited and back.status == 429 and back.detail == "slow down"
    assert isinstance(errors.error_for_status(502, "GET", "u"), errors.ServerError)
    assert type(errors.error_for_status(418, "GET", "u")) is errors.HexoskinError


@pytest.mark.parametrize("module", [catalog, errors, timestamps])
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_error_text_always_keeps_the_server_detail():
    err = errors.error_for_status(404, "GET", "http://h/api/v1/record/1/", "no")
    assert str(err).endswith("server said: no")
    assert issubclass(errors.ConnectionFailed, errors.ServerError)
