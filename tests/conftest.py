"""Fixtures shared by the test modules (the emulator itself comes from hexoframe's plugin).

``hexoskin_emulator`` (one running emulator for the session) is provided by the pytest
plugin that hexoframe installs (``hexoframe.emulator.pytest_plugin``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from hexoframe.client import Client

#: The emulator's demo athlete (user 1511).
ATHLETE = {"username": "athlete@hexoskin.com", "password": "hexoskin"}


@pytest.fixture
def clean_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """No HEXOSKIN_* variables and an empty netrc: only what a test passes counts."""
    for name in list(os.environ):
        if name.startswith("HEXOSKIN_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("NETRC", str(tmp_path / "none"))


@pytest.fixture(scope="module")
def so(hexoskin_emulator: Any) -> dict[str, str]:
    """Storage options (fsspec/xarray style) for the shared emulator as the athlete."""
    return {"base_url": hexoskin_emulator.url, **ATHLETE}


@pytest.fixture(scope="module")
def athlete_client(so: dict[str, str]) -> Iterator[Client]:
    """A client of the shared emulator, signed in as the athlete."""
    with Client(**so) as client:
        yield client
