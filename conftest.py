"""Names for the docstring examples of the ``hexoframe`` package (``--doctest-modules``).

The examples are written for a user whose environment points at the Hexoskin API; here
they run against the emulator instead, with the same seeded (deterministic) data:

* the ``HEXOSKIN_URL``/``HEXOSKIN_USERNAME``/``HEXOSKIN_PASSWORD`` variables name the
  shared ``hexoskin_emulator`` and the demo athlete (user 1511), so ``Client()``,
  ``read_hexoskin(...)``, ``fsspec.filesystem("hexoskin")`` ... work as written;
* ``emu``, ``url``, ``client`` (signed in as the athlete), ``pd``, ``np``, ``xr``,
  ``hexoframe``, ``parse_url``, ``open_source`` and ``plan``/``src``/``fs`` (record 37700);
* examples that write (``.resource(...).create(`` / ``.update(`` / ``.delete(``) get a
  ``client`` of a private emulator, so the shared one stays as seeded for the tests;
* ``export`` (and the relative ``../shared/fixtures/...`` paths) use the real export that
  sits beside the repository; where it is absent (a fresh clone) those examples skip.

This file lives at the repository root, so it is not part of the installed package.
Only doctest items are affected: for the tests in ``tests/`` the fixture does nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent
SHARED_EXPORT = ROOT.parent / "shared" / "fixtures" / "hexoskin-export-122445"
ATHLETE = {"username": "athlete@hexoskin.com", "password": "hexoskin"}
_WRITES = re.compile(r"\.resource\(.*\)\.(create|update|delete)\(")
_USES_EXPORT = re.compile(r"\.\./shared/|\bexport\.")


def _source(item: Any) -> str:
    return "".join(ex.source for ex in item.dtest.examples) if item.dtest else ""


@pytest.fixture(scope="session")
def _doctest_objects(hexoskin_emulator: Any) -> Iterator[dict[str, Any]]:
    """The read-only objects of the examples, built once (metadata requests only)."""
    import numpy as np
    import pandas as pd
    import xarray as xr

    import hexoframe
    from hexoframe.data.plan import plan_query
    from hexoframe.frontends.fs import HexoskinFileSystem
    from hexoframe.frontends.sources import open_source
    from hexoframe.frontends.urls import parse_url

    client = hexoframe.Client(base_url=hexoskin_emulator.url, **ATHLETE)
    objects: dict[str, Any] = {
        "emu": hexoskin_emulator,
        "url": hexoskin_emulator.url,
        "client": client,
        "pd": pd,
        "np": np,
        "xr": xr,
        "hexoframe": hexoframe,
        "parse_url": parse_url,
        "open_source": open_source,
        "plan": plan_query(client, "hr", record=37700),
        "src": open_source(parse_url("hexoskin://record/37700"), ["hr"], client=client),
        "fs": HexoskinFileSystem(client=client),
    }
    if SHARED_EXPORT.is_dir():
        from hexoframe.formats.exports import open_export

        objects["export"] = open_export(SHARED_EXPORT)
    yield objects
    client.close()


@pytest.fixture(autouse=True)
def _doctest_names(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fill ``doctest_namespace`` for the package's docstring examples (doctests only)."""
    item = request.node
    if getattr(item, "dtest", None) is None:  # not a docstring example
        yield
        return
    source = _source(item)
    if _USES_EXPORT.search(source) and not SHARED_EXPORT.is_dir():
        pytest.skip(f"needs the real export at {SHARED_EXPORT} (absent in a fresh clone)")
    namespace = request.getfixturevalue("doctest_namespace")
    namespace.update(request.getfixturevalue("_doctest_objects"))
    monkeypatch = request.getfixturevalue("monkeypatch")
    # relative paths in the examples (../shared/...) are relative to the repository
    monkeypatch.chdir(ROOT)
    request.getfixturevalue("hexoskin_env")
    if _WRITES.search(source):
        import hexoframe

        private = request.getfixturevalue("hexoskin_emulator_factory")()
        with hexoframe.Client(base_url=private.url, **ATHLETE) as client:
            namespace["client"] = client
            yield
        return
    yield
