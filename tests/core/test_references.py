"""hexoframe.core.references: every way the service or a user names an object gives one id."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hexoframe.core import errors
from hexoframe.core.references import ref_id, ref_key, require_id, require_ids

NAMES = st.sampled_from(["user", "record", "range", "unit", "datatype", "studygroup"])


@settings(derandomize=True, max_examples=100, deadline=None)
@given(ident=st.integers(0, 2**53), name=NAMES)
def test_every_form_of_a_reference_gives_its_id(ident, name):
    forms = [
        ident,
        np.int64(ident),
        str(ident),
        f" {ident} ",
        f"/api/{name}/{ident}/",
        f"/api/v1/{name}/{ident}/",
        f"/api/v1/{name}/{ident}",
        f"https://api.hexoskin.com/api/v1/{name}/{ident}/",
        f"/api/v1/{name}/{ident}/?format=json",
        {"id": ident},
        {"resource_uri": f"/api/v1/{name}/{ident}/"},
        {"id": None, "resource_uri": f"/api/{name}/{ident}/"},
    ]
    for form in forms:
        assert ref_id(form) == ident, form
        assert require_id(form, name) == ident
    assert ref_key(f"/api/v1/{name}/{ident}/") == str(ident)


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        False,
        "",
        "abc",
        "/api/v1/user/abc/",
        1.5,
        {"name": "x"},
        "/api/v1/user/-3/",
        "12a",
        [],
    ],
)
def test_values_without_an_id(value):
    assert ref_id(value) is None
    with pytest.raises(errors.InvalidQueryError, match="is not an id or resource URI"):
        require_id(value, "record")


def test_lists_and_the_error_class():
    assert require_ids(None, "users") == []
    assert require_ids([1511, "/api/user/1514/", {"id": 7}], "users") == [1511, 1514, 7]
    with pytest.raises(errors.InvalidQueryError, match="user="):
        require_ids([1, "x"], "users")
    with pytest.raises(errors.ResponseError, match="user"):
        require_id("garbage", "user", errors.ResponseError)
    assert ref_key({"resource_uri": "/api/v1/unit/bpm/"}) == "bpm"
    assert ref_key("HXSKIN1200002115") == "HXSKIN1200002115"
