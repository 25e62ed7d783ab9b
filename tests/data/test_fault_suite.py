"""Mixed reads under injected faults equal the fault-free read or raise a typed error.

Issue 8, the faults suite. One emulator injects, together: about 20% 5xx with
``Retry-After``, 10% 429, 5% dropped connections, 5% truncated bodies, and latency; then,
separately, lowered point caps (1000 and 97). Each read of a mixed list (JSON, CSV, binary,
event channels, paged listings, xarray slices, fsspec ``cat``) is compared with the same read
made with no fault: equal, or a :class:`~hexoframe.core.errors.HexoskinError`. A read that
returns something different is a silent loss, and there must be none.

``benchmarks/bench_reliability.py`` runs the same at a larger scale and prints a table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import fsspec
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from hexoframe.api.client import Client
from hexoframe.core.errors import HexoskinError
from hexoframe.data.reader import read_hexoskin
from hexoframe.emulator import FaultConfig

SPAN = dict(start="2024-05-01T10:00Z", end="2024-05-01T10:02Z")


def mixed_faults(seed: int) -> FaultConfig:
    """20% 5xx, 10% 429 (0.125 of the rest), 5% drops, 5% truncations, 1 ms latency."""
    return FaultConfig(
        seed=seed,
        error_rate=0.2,
        rate_limit_rate=0.125,
        retry_after=0,
        drop_rate=0.0715,
        truncate_rate=0.0769,
        latency=0.001,
    )


def reads(client: Client, fs: Any) -> list[tuple[str, Callable[[], Any]]]:
    """The mixed reads: (name, a function returning something comparable)."""

    def frame(**kw: Any) -> Callable[[], Any]:
        return lambda: read_hexoskin(client=client, how="outer", **kw)

    def dataset_slice() -> Any:
        ds = xr.open_dataset(
            "hexoskin://record/37700",
            engine="hexoskin",
            client=client,
            datatypes=["ecg", "hr", "rr"],
            method="json",
        )
        ecg = ds["ecg_i"].isel(time_256hz=slice(1000, 9000)).load()
        return (ecg.to_numpy(), ds["rr_interval"].to_numpy(), ds["heart_rate"].to_numpy())

    return [
        ("json ecg", frame(record=37700, datatypes="ecg", method="json", **SPAN)),
        (
            "csv ecg+resp",
            frame(record=37700, datatypes=["ecg", "resp_thoracic"], method="csv", **SPAN),
        ),
        (
            "binary 4 channels",
            frame(record=37700, datatypes=["ecg", "hr", "br", "rr"], method="binary"),
        ),
        (
            "json events",
            frame(record=37758, datatypes=["rr", "step", "inspiration"], method="json"),
        ),
        ("csv events", frame(record=37758, datatypes=["nn", "expiration"], method="csv")),
        ("json 1 Hz", frame(record=37701, datatypes=["hr", "br", "hr_quality"], method="json")),
        ("records, paged", lambda: client.records(limit=3)),
        ("datatypes, paged", lambda: client.resource("datatype").list(limit=7)),
        ("xarray slice", dataset_slice),
        ("fsspec cat wav", lambda: fs.cat_file("record/37700/heart_rate.wav")),
        ("fsspec cat events", lambda: fs.cat_file("record/37700/RR_interval.csv")),
    ]


def same(a: Any, b: Any) -> bool:
    if isinstance(a, pd.DataFrame):
        try:
            pd.testing.assert_frame_equal(a, b)
        except AssertionError:
            return False
        return True
    if isinstance(a, tuple):
        return all(np.array_equal(x, y, equal_nan=True) for x, y in zip(a, b, strict=True))
    if isinstance(a, list):  # ApiObjects from resource lists
        return [dict(o) for o in a] == [dict(o) for o in b]
    return a == b


def connect(emu: Any, athlete_login: dict[str, str]) -> tuple[Client, Any]:
    """A client that retries quickly, and a filesystem on it."""
    client = Client(
        base_url=emu.url,
        retries=12,
        backoff_factor=0.001,
        backoff_jitter=0.0,
        retry_after_max=0.01,
        **athlete_login,
    )
    fs = fsspec.filesystem("hexoskin", client=client, skip_instance_cache=True, method="json")
    return client, fs


def expected_reads(emu: Any, athlete_login: dict[str, str]) -> dict[str, Any]:
    """Every read made once with no fault: what each read under faults must equal."""
    emu.set_faults(None)
    client, fs = connect(emu, athlete_login)
    with client:
        return {name: read() for name, read in reads(client, fs)}


def run(
    emu: Any,
    athlete_login: dict[str, str],
    faults: FaultConfig,
    rounds: int,
    outcomes: Counter,
    injected: Counter | None = None,
    expected: dict[str, Any] | None = None,
) -> None:
    """``rounds`` passes of the mixed reads under ``faults``, compared with ``expected``
    (the fault-free reads, made first when not given)."""
    if expected is None:
        expected = expected_reads(emu, athlete_login)
    emu.set_faults(faults)
    for _ in range(rounds):
        client, fs = connect(emu, athlete_login)
        with client:
            for name, read in reads(client, fs):
                outcomes["reads"] += 1
                try:
                    got = read()
                except HexoskinError:
                    outcomes["typed failures"] += 1
                    continue
                if same(got, expected[name]):
                    outcomes["identical"] += 1
                else:
                    outcomes["silent losses"] += 1
                    outcomes[f"lost: {name}"] += 1
    if injected is not None:
        injected.update(emu.fault_counts)
    emu.set_faults(None)


@pytest.fixture(scope="module")
def emu(hexoskin_module_emulator_factory):
    """A private emulator: these tests set faults."""
    return hexoskin_module_emulator_factory()


SEEDS = 18  # 198 mixed reads under faults


@pytest.fixture(scope="module")
def expected(emu, athlete_login):
    return expected_reads(emu, athlete_login)


def test_mixed_faults_never_lose_data_silently(emu, athlete_login, expected):
    outcomes: Counter = Counter()
    injected: Counter = Counter()
    for seed in range(SEEDS):
        run(
            emu,
            athlete_login,
            mixed_faults(seed),
            rounds=1,
            outcomes=outcomes,
            injected=injected,
            expected=expected,
        )
    assert outcomes["reads"] == SEEDS * 11
    assert outcomes["silent losses"] == 0, dict(outcomes)
    assert outcomes["identical"] + outcomes["typed failures"] == outcomes["reads"]
    assert outcomes["identical"] >= outcomes["reads"] // 2  # the retries do their job
    for kind in ("429", "drop", "truncate", "latency"):
        assert injected[kind] > 0, dict(injected)
    assert injected["500"] + injected["503"] > 0


@pytest.mark.parametrize("cap", [1000, 97])
def test_lowered_caps_never_lose_data_silently(emu, athlete_login, expected, cap):
    outcomes: Counter = Counter()
    run(
        emu,
        athlete_login,
        FaultConfig(subsample_cap=cap),
        rounds=1,
        outcomes=outcomes,
        expected=expected,
    )
    assert outcomes["silent losses"] == 0, dict(outcomes)
    assert outcomes["identical"] == outcomes["reads"] == 11


def test_a_changed_answer_would_be_counted():
    """The comparison can fail: a frame with one value changed is not the same."""
    a = pd.DataFrame({"x": [1.0, 2.0]})
    b = a.copy()
    b.iloc[1, 0] = 2.5
    assert not same(a, b) and same(a, a.copy())
    assert not same((np.arange(3.0),), (np.array([0.0, 1.0, 5.0]),))
