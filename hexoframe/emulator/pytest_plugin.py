"""Pytest plugin exposing a running Hexoskin emulator as fixtures.

Registered through the ``pytest11`` entry point ``hexoframe``.

Fixtures
--------
hexoskin_emulator
    Session-scoped running :class:`hexoframe.emulator.Emulator`.

Examples
--------
>>> def test_me(hexoskin_emulator):  # doctest: +SKIP
...     assert hexoskin_emulator.url.startswith("http://127.0.0.1:")
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def hexoskin_emulator() -> Iterator[object]:
    """Yield a running emulator shared by the whole test session."""
    from hexoframe.emulator.server import Emulator

    with Emulator() as emu:
        yield emu
