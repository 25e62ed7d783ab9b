"""Benchmark: ``read_hexoskin`` against the plain ways of getting the same data.

The emulator runs in its own process (a server thread here would compete for the GIL) and
its cache is warmed before timing. Contenders alternate within each round; the figures are
medians over ``--repeat`` rounds, and ratios are of those medians. Peak memory is measured
in a fresh child process per contender (``resource.getrusage(RUSAGE_SELF).ru_maxrss``),
next to the same child's baseline after imports and before the read.

Scenarios
---------
1. Binary, full resolution, record 37701 (24 h): ECG (256 Hz), two respiration channels
   (128 Hz), three acceleration channels (64 Hz), six 1 Hz channels and RR intervals,
   ``how="dict"``; against a plain ``requests`` download of the same zips (the 2 h pieces
   read_hexoskin asks for, with the same concurrency) plus ``numpy.frombuffer`` of their
   WAV data. (The emulator never caches answers above 16 MB, so one 24 h zip would be
   rebuilt on every request and the figures would measure the emulator, not the client.)
   The same 24 h with ``method="edf"`` (EDF+ answers of the same grid-aligned pieces):
   time and bytes on the wire beside binary.
2. JSON, full resolution, 1 h of ECG (record 37700, 15 windows); against the naive way
   (sequential ``requests.get`` + ``.json()`` + a DataFrame from the list) and against
   downloading the same bodies (same concurrency) without decoding.
3. 24 h of ECG with ``method="json"``: the sample count (22,118,400 expected).

The plain contenders read bodies the usual way (``response.content``); read_hexoskin reads
each body in one call on a pooled connection, part of why it keeps up with them.

Run::

    python benchmarks/bench_read.py [--repeat 5] [--skip-24h-json]
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import statistics
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from emulator_process import EmulatorProcess

EMAIL, PASSWORD = "athlete@hexoskin.com", "hexoskin"
REC_1H, REC_24H = 37700, 37701
START_1H = 438926745600
START_24H = 438939648000  # 2024-05-02T00:00Z
ALL = [
    "ecg_i",
    "respiration_thoracic",
    "respiration_abdominal",
    "acceleration_x",
    "acceleration_y",
    "acceleration_z",
    "heart_rate",
    "breathing_rate",
    "heart_rate_quality",
    "breathing_rate_quality",
    "activity",
    "cadence",
    "rr_interval",
]


# --------------------------------------------------------------------------- contenders


def _data_url(url: str) -> str:
    return url.rstrip("/") + "/api/v1/data/"


def binary_ours(url: str) -> Any:
    from hexoframe import read_hexoskin

    return read_hexoskin(
        record=REC_24H,
        datatypes=ALL,
        method="binary",
        how="dict",
        base_url=url,
        username=EMAIL,
        password=PASSWORD,
        progress=False,
    )


def edf_ours(url: str) -> Any:
    from hexoframe import read_hexoskin

    return read_hexoskin(
        record=REC_24H,
        datatypes=ALL,
        method="edf",
        how="dict",
        base_url=url,
        username=EMAIL,
        password=PASSWORD,
        progress=False,
    )


def wire_bytes(url: str, accept: str) -> int:
    """Bytes of the answers read_hexoskin asks for, fetched with plain requests."""
    import requests

    from hexoframe.core import catalog

    ids = ",".join(str(catalog.lookup(n).id) for n in ALL)
    total = 0
    with requests.Session() as session:
        session.auth = (EMAIL, PASSWORD)
        for a, b in _binary_chunks(url):
            resp = session.get(
                _data_url(url),
                params={"datatype__in": ids, "record": REC_24H, "start": a, "end": b},
                headers={"Accept": accept},
                timeout=300,
            )
            resp.raise_for_status()
            total += len(resp.content)
    return total


def _binary_chunks(url: str) -> list[tuple[int, int]]:
    """The zips read_hexoskin asks for: its planner's binary requests for the record."""
    from hexoframe.api.client import Client
    from hexoframe.data.plan import build_requests, plan_query

    with Client(url, username=EMAIL, password=PASSWORD) as client:
        plan = plan_query(client, ALL, record=REC_24H)
    return [(r.start, r.end) for r in build_requests(plan, "binary")]


def binary_limit(url: str) -> Any:
    """The same zips with plain requests (same concurrency) + np.frombuffer of the WAVs."""
    import numpy as np
    import requests

    from hexoframe.core import catalog
    from hexoframe.data.fetch import default_workers

    ids = ",".join(str(catalog.lookup(n).id) for n in ALL)
    session = requests.Session()
    session.auth = (EMAIL, PASSWORD)

    def get(window: tuple[int, int]) -> dict[str, Any]:
        resp = session.get(
            _data_url(url),
            params={"datatype__in": ids, "record": REC_24H, "start": window[0], "end": window[1]},
            headers={"Accept": "application/octet-stream"},
            timeout=300,
        )
        resp.raise_for_status()
        out = {}
        with zipfile.ZipFile(io.BytesIO(resp.content)) as z:
            for name in z.namelist():
                if name.endswith(".wav"):
                    out[name] = np.frombuffer(z.read(name), dtype="<i2", offset=44)
                elif name.endswith(".hxd"):
                    out[name] = np.frombuffer(z.read(name), dtype="<u8")
        return out

    with ThreadPoolExecutor(default_workers()) as pool:
        return list(pool.map(get, _binary_chunks(url)))


def _ecg_windows() -> list[tuple[int, int]]:
    end = START_1H + 3600 * 256
    return [(a, min(a + 65535, end)) for a in range(START_1H, end, 65535)]


def json_ours(url: str) -> Any:
    from hexoframe import read_hexoskin

    return read_hexoskin(
        record=REC_1H,
        datatypes="ecg_i",
        method="json",
        how="dict",
        base_url=url,
        username=EMAIL,
        password=PASSWORD,
        progress=False,
    )


def json_naive(url: str) -> Any:
    import pandas as pd
    import requests

    frames = []
    for a, b in _ecg_windows():
        resp = requests.get(
            _data_url(url),
            params={"datatype": 4113, "record": REC_1H, "start": a, "end": b},
            auth=(EMAIL, PASSWORD),
            timeout=300,
        )
        resp.raise_for_status()
        frames.append(pd.DataFrame(resp.json()[0]["data"]["4113"], columns=["ts", "ecg"]))
    return pd.concat(frames, ignore_index=True)


def json_download(url: str) -> Any:
    import requests

    from hexoframe.data.fetch import default_workers

    session = requests.Session()
    session.auth = (EMAIL, PASSWORD)

    def get(window: tuple[int, int]) -> bytes:
        resp = session.get(
            _data_url(url),
            params={"datatype": 4113, "record": REC_1H, "start": window[0], "end": window[1]},
            timeout=300,
        )
        resp.raise_for_status()
        return resp.content

    with ThreadPoolExecutor(default_workers()) as pool:
        return list(pool.map(get, _ecg_windows()))


def json_24h(url: str) -> Any:
    from hexoframe import read_hexoskin

    return read_hexoskin(
        record=REC_24H,
        datatypes="ecg_i",
        method="json",
        how="dict",
        base_url=url,
        username=EMAIL,
        password=PASSWORD,
        progress=False,
    )


CONTENDERS: dict[str, Callable[[str], Any]] = {
    "binary_ours": binary_ours,
    "binary_limit": binary_limit,
    "edf_ours": edf_ours,
    "json_ours": json_ours,
    "json_naive": json_naive,
    "json_download": json_download,
}

# --------------------------------------------------------------------------- measuring


def _size(result: Any, seen: set[int] | None = None) -> int:
    """Bytes held by a result; an index shared by several Series counts once."""
    import numpy as np
    import pandas as pd

    seen = set() if seen is None else seen
    if isinstance(result, dict):
        return sum(_size(v, seen) for v in result.values())
    if isinstance(result, (pd.Series, pd.DataFrame)):
        size = int(np.sum(result.memory_usage(index=False, deep=True)))
        if id(result.index) not in seen:
            seen.add(id(result.index))
            size += int(result.index.memory_usage(deep=True))
        return size
    if isinstance(result, np.ndarray):
        return int(result.nbytes)
    if isinstance(result, (list, tuple)):
        return sum(_size(v, seen) for v in result)
    if isinstance(result, bytes):
        return len(result)
    return 0


def _memory_child(name: str, url: str) -> None:
    import numpy  # noqa: F401 - part of the baseline
    import pandas  # noqa: F401
    import requests  # noqa: F401

    import hexoframe  # noqa: F401

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    result = CONTENDERS[name](url)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps([base, peak, _size(result)]))


def memory(name: str, url: str) -> tuple[int, int, int]:
    """(baseline, peak, result size) in bytes, from a fresh interpreter (subprocess, so its
    ``ru_maxrss`` starts from nothing rather than from a fork of this process)."""
    out = subprocess.run(
        [sys.executable, __file__, "--memory-child", name, url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    base, peak, size = json.loads(out.strip().splitlines()[-1])
    return base, peak, size


def timed_rounds(url: str, names: list[str], repeat: int) -> dict[str, float]:
    times: dict[str, list[float]] = {n: [] for n in names}
    for r in range(repeat):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            t0 = time.perf_counter()
            CONTENDERS[name](url)
            times[name].append(time.perf_counter() - t0)
    return {n: statistics.median(v) for n, v in times.items()}


def _mb(n: float) -> str:
    return f"{n / 1e6:,.0f} MB"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-24h-json", action="store_true")
    parser.add_argument(
        "--memory-child", nargs=2, metavar=("CONTENDER", "URL"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.memory_child:
        _memory_child(*args.memory_child)
        return

    with EmulatorProcess() as server:
        url = server.url
        print(f"emulator at {url} (own process)", flush=True)

        print(
            "\n1. Binary, full resolution, 24 h record 37701, 13 channels "
            f"({len(_binary_chunks(url))} zips; the emulator caches answers < 16 MB)"
        )
        # Warm the emulator's cache from a child: this process stays small, and children
        # inherit the parent's ru_maxrss high-water mark at fork/exec.
        memory("binary_ours", url)
        mem = {name: memory(name, url) for name in ("binary_ours", "binary_limit")}
        med = timed_rounds(url, ["binary_ours", "binary_limit"], args.repeat)
        ratio = med["binary_ours"] / med["binary_limit"]
        print(f"   read_hexoskin(method='binary')      {med['binary_ours']:.3f} s")
        print(f"   requests + np.frombuffer (limit)    {med['binary_limit']:.3f} s")
        print(f"   ratio ours/limit                    {ratio:.2f}x   (bar <= 1.5x, aim 1.2x)")
        for name in ("binary_ours", "binary_limit"):
            base, peak, size = mem[name]
            extra = peak - base
            print(
                f"   peak memory {name:<14} {_mb(peak)} (baseline {_mb(base)}, +{_mb(extra)});"
                f" result {_mb(size)}; (peak - baseline) / result = {extra / size:.2f}"
                + ("   (bar <= 2)" if name == "binary_ours" else "")
            )

        print(
            "\n1b. The same 24 h with method='edf' beside method='binary' (both answers do "
            "not fit the emulator's 128 MB cache together: times include building them)"
        )
        edf_ours(url)  # warm the emulator's cache for the EDF pieces
        med = timed_rounds(url, ["binary_ours", "edf_ours"], args.repeat)
        sizes = {
            m: wire_bytes(url, a)
            for m, a in (("binary", "application/octet-stream"), ("edf", "application/x-edf"))
        }
        print(
            f"   read_hexoskin(method='binary')      {med['binary_ours']:.3f} s, "
            f"{_mb(sizes['binary'])} on the wire"
        )
        print(
            f"   read_hexoskin(method='edf')         {med['edf_ours']:.3f} s, "
            f"{_mb(sizes['edf'])} on the wire"
        )
        ratio = med["edf_ours"] / med["binary_ours"]
        print(
            f"   ratio edf/binary                    time {ratio:.2f}x,"
            f" bytes {sizes['edf'] / sizes['binary']:.2f}x"
        )

        print("\n2. JSON, full resolution, 1 h of ECG (record 37700, 15 windows)")
        for name in ("json_ours", "json_naive", "json_download"):
            CONTENDERS[name](url)  # warm
        med = timed_rounds(url, ["json_ours", "json_naive", "json_download"], args.repeat)
        print(f"   read_hexoskin(method='json')        {med['json_ours']:.3f} s")
        print(f"   naive (sequential get/.json/DataFrame) {med['json_naive']:.3f} s")
        print(f"   download only, same concurrency     {med['json_download']:.3f} s")
        print(
            f"   speed-up over naive                 {med['json_naive'] / med['json_ours']:.2f}x"
            "   (bar >= 3x, aim 5x)"
        )
        print(
            f"   ratio ours/download                 "
            f"{med['json_ours'] / med['json_download']:.2f}x   (bar <= 1.5x, aim 1.3x)"
        )

        if not args.skip_24h_json:
            print("\n3. 24 h of ECG with method='json' (record 37701)")
            before = server.stats()[1]
            t0 = time.perf_counter()
            ecg = json_24h(url)["ecg_i"]
            took = time.perf_counter() - t0
            requests_sent = server.stats()[1] - before
            print(
                f"   samples {len(ecg):,} (expected 22,118,400: "
                f"{'OK' if len(ecg) == 22_118_400 else 'WRONG'}); {requests_sent} data "
                f"requests; {took:.1f} s (cache cold for these windows)"
            )


if __name__ == "__main__":
    main()
