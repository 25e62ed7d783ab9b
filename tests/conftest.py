"""Fixtures shared by the test modules (the emulator itself comes from hexoframe's plugin).

``hexoskin_emulator`` (one running emulator for the session) is provided by the pytest
plugin that hexoframe installs (``hexoframe.emulator.pytest_plugin``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from hexoframe.api.client import Client


@pytest.fixture(scope="session")
def athlete_auth(hexoskin_users: dict[str, dict[str, Any]]) -> tuple[str, str]:
    """The demo athlete's (e-mail, password), as ``requests`` takes ``auth=``."""
    return hexoskin_users["athlete"]["email"], hexoskin_users["athlete"]["password"]


@pytest.fixture(scope="session")
def athlete_login(athlete_auth: tuple[str, str]) -> dict[str, str]:
    """The demo athlete's ``username``/``password`` keywords, as ``Client`` takes them."""
    return {"username": athlete_auth[0], "password": athlete_auth[1]}


@pytest.fixture
def clean_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """No HEXOSKIN_* variables and an empty netrc: only what a test passes counts."""
    for name in list(os.environ):
        if name.startswith("HEXOSKIN_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("NETRC", str(tmp_path / "none"))


@pytest.fixture(scope="module")
def so(hexoskin_emulator: Any, athlete_login: dict[str, str]) -> dict[str, str]:
    """Storage options (fsspec/xarray style) for the shared emulator as the athlete."""
    return {"base_url": hexoskin_emulator.url, **athlete_login}


@pytest.fixture(scope="module")
def athlete_client(so: dict[str, str]) -> Iterator[Client]:
    """A client of the shared emulator, signed in as the athlete."""
    with Client(**so) as client:
        yield client


@pytest.fixture(scope="module", params=[256, 1000])
def clock_server(
    request: pytest.FixtureRequest, athlete_login: dict[str, str]
) -> tuple[Any, dict[str, Any]]:
    """(emulator, storage options as the athlete) of a Hexoskin host (256 ticks per
    second) and of an Astroskin one (1000)."""
    astroskin = request.param == 1000
    emu = request.getfixturevalue(
        "hexoskin_astroskin_emulator" if astroskin else "hexoskin_emulator"
    )
    so: dict[str, Any] = {"base_url": emu.url, **athlete_login}
    if astroskin:
        so["tick_rate"] = 1000
    return emu, so
