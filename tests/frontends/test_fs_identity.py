"""fsspec reuses filesystem instances by their arguments; hexoframe's leave secrets out of
those, so who an instance signs in as is part of its token: a changed environment or
password gets a new instance, never one signed in as before, and equal ones share."""

from __future__ import annotations

from typing import Any

import fsspec
import pytest

import hexoframe.frontends.fs  # noqa: F401 - registers the protocol's class


@pytest.fixture()
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> pytest.MonkeyPatch:
    for name in ("HEXOSKIN_API_KEY", "HEXOSKIN_API_SECRET", "HEXOSKIN_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "none"))
    return monkeypatch


def test_a_changed_environment_gets_a_new_instance_on_the_new_host(
    env: pytest.MonkeyPatch, hexoskin_emulator_factory: Any, hexoskin_users: dict[str, Any]
) -> None:
    athlete, coach = hexoskin_users["athlete"], hexoskin_users["coach"]
    first, second = hexoskin_emulator_factory(), hexoskin_emulator_factory()
    env.setenv("HEXOSKIN_URL", first.url)
    env.setenv("HEXOSKIN_USERNAME", athlete["email"])
    env.setenv("HEXOSKIN_PASSWORD", athlete["password"])
    fs_a = fsspec.filesystem("hexoskin")
    assert fsspec.filesystem("hexoskin") is fs_a  # unchanged: shared
    assert fs_a.ls("record/37700", detail=False)
    env.setenv("HEXOSKIN_URL", second.url)
    env.setenv("HEXOSKIN_USERNAME", coach["email"])
    env.setenv("HEXOSKIN_PASSWORD", coach["password"])
    first.reset_stats()
    second.reset_stats()
    fs_b = fsspec.filesystem("hexoskin")
    assert fs_b is not fs_a
    assert fs_b.ls("record/37700", detail=False)
    assert first.stats.total == 0 and second.stats.total > 0


def test_another_password_is_another_instance(
    env: pytest.MonkeyPatch, hexoskin_emulator: Any, hexoskin_users: dict[str, Any]
) -> None:
    athlete = hexoskin_users["athlete"]
    opts = {"base_url": hexoskin_emulator.url, "username": athlete["email"]}
    good = fsspec.filesystem("hexoskin", password=athlete["password"], **opts)
    bad = fsspec.filesystem("hexoskin", password="not-" + athlete["password"], **opts)
    assert bad is not good
    assert fsspec.filesystem("hexoskin", password=athlete["password"], **opts) is good
    stored = good.to_json()
    assert '"password"' not in stored and "_identity" not in stored and "username" not in stored
    with pytest.raises(Exception, match="401|uthenticat"):
        bad.ls("record/37700")
