"""Pytest plugin exposing a running Hexoskin emulator as fixtures.

Registered through the ``pytest11`` entry point ``hexoframe``, so any project that
installs hexoframe can test its analysis code against the emulator offline.

Fixtures
--------
hexoskin_emulator
    Session-scoped running :class:`hexoframe.emulator.Emulator` (in-memory database,
    seed 0, no faults). Shared by every test of the session: tests that write or set
    faults should start their own ``Emulator()`` or undo what they changed.
hexoskin_astroskin_emulator
    Session-scoped running emulator in Astroskin mode (``tick_rate=1000``: HexoTimestamps
    served at 1000 ticks per second); read it with ``Client(..., tick_rate=1000)`` or
    ``HEXOSKIN_TICK_RATE=1000``.
hexoskin_emulator_factory
    Function-scoped: a callable taking :class:`~hexoframe.emulator.Emulator` keyword
    arguments (``db``, ``faults``, ``token_ttl``, ...) that starts a private emulator;
    every emulator it started is stopped after the test.
hexoskin_module_emulator_factory
    The same, module-scoped: emulators a test module shares (for a module of tests that
    write, set faults or need other settings); stopped after the module.
hexoskin_users
    The demo credentials by role (``athlete``, ``friend``, ``coach``, ``athlete2``,
    ``stranger``).
hexoskin_env
    Function-scoped: sets ``HEXOSKIN_URL``, ``HEXOSKIN_USERNAME`` and
    ``HEXOSKIN_PASSWORD`` to the shared emulator and the athlete (user 1511) for the
    duration of the test; yields the emulator.

Examples
--------
>>> def test_me(hexoskin_emulator):
...     assert hexoskin_emulator.url.startswith("http://127.0.0.1:")
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def hexoskin_emulator() -> Iterator[Any]:
    """Yield a running emulator shared by the whole test session."""
    from hexoframe.emulator.server import Emulator

    with Emulator() as emu:
        yield emu


@pytest.fixture(scope="session")
def hexoskin_astroskin_emulator() -> Iterator[Any]:
    """Yield a running emulator serving 1000 ticks per second, shared by the session."""
    from hexoframe.emulator.server import Emulator

    with Emulator(tick_rate=1000) as emu:
        yield emu


def _emulators() -> Iterator[Callable[..., Any]]:
    """A callable starting private emulators; all are stopped when the generator ends."""
    from hexoframe.emulator.server import Emulator

    started: list[Any] = []

    def make(**kwargs: Any) -> Any:
        emu = Emulator(**kwargs).start()
        started.append(emu)
        return emu

    yield make
    for emu in started:
        emu.stop()


@pytest.fixture()
def hexoskin_emulator_factory() -> Iterator[Callable[..., Any]]:
    """Start private emulators on demand; all are stopped after the test."""
    yield from _emulators()


@pytest.fixture(scope="module")
def hexoskin_module_emulator_factory() -> Iterator[Callable[..., Any]]:
    """Start private emulators on demand; all are stopped after the test module."""
    yield from _emulators()


@pytest.fixture(scope="session")
def hexoskin_users() -> dict[str, dict[str, Any]]:
    """The demo credentials by role (a copy)."""
    from hexoframe.emulator.store import DEMO_USERS

    return {role: dict(info) for role, info in DEMO_USERS.items()}


@pytest.fixture()
def hexoskin_env(hexoskin_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Point the ``HEXOSKIN_*`` environment at the shared emulator as the athlete."""
    from hexoframe.emulator.store import DEMO_USERS

    for name in (
        "HEXOSKIN_API_KEY",
        "HEXOSKIN_API_SECRET",
        "HEXOSKIN_TOKEN",
        "HEXOSKIN_CLIENT_ID",
        "HEXOSKIN_CLIENT_SECRET",
        "HEXOSKIN_REFRESH_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HEXOSKIN_URL", hexoskin_emulator.url)
    monkeypatch.setenv("HEXOSKIN_USERNAME", DEMO_USERS["athlete"]["email"])
    monkeypatch.setenv("HEXOSKIN_PASSWORD", DEMO_USERS["athlete"]["password"])
    yield hexoskin_emulator
