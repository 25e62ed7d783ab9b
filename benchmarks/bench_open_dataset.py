"""Benchmark: lazy ``xr.open_dataset`` of the 7-day record 37702 and a 10-minute slice.

The emulator runs in its own process (a server thread here would compete for the GIL);
its request counters are read through a pipe.  Prints, for each step, the median wall
time over ``--repeat`` runs and the requests the step sent (metadata / data).

Run::

    python benchmarks/bench_open_dataset.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from emulator_process import EmulatorProcess

URL = "hexoskin://record/37702"
TEN_MINUTES = slice("2024-05-12T12:00", "2024-05-12T12:10")


def _timed(
    server: EmulatorProcess, fn: Any, repeat: int, setup: Any = None
) -> tuple[float, int, int, Any]:
    times, result, counts = [], None, (0, 0)
    for _ in range(repeat):
        arg = setup() if setup is not None else None
        server.reset_stats()
        t0 = time.perf_counter()
        result = fn(arg) if setup is not None else fn()
        times.append(time.perf_counter() - t0)
        counts = server.stats()
    return statistics.median(times), counts[0], counts[1], result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    import xarray as xr

    with EmulatorProcess() as server:
        so = {"base_url": server.url, "username": "athlete@hexoskin.com", "password": "hexoskin"}

        def open_lazy() -> Any:
            return xr.open_dataset(URL, engine="hexoskin", storage_options=so)

        def open_chunked() -> Any:
            return xr.open_dataset(URL, engine="hexoskin", storage_options=so, chunks={})

        ds = open_lazy()
        ds["ecg_i"].sel(time_256hz=TEN_MINUTES).load()  # warm the emulator's cache

        rows = []
        t, req, data, ds = _timed(server, open_lazy, args.repeat)
        rows.append(("open_dataset 7 days (14 channels)", t, req, data))
        t, req, data, _ = _timed(server, open_chunked, args.repeat)
        rows.append(("open_dataset 7 days, chunks={}", t, req, data))
        t, req, data, got = _timed(
            server,
            lambda d: d["ecg_i"].sel(time_256hz=TEN_MINUTES).load(),
            args.repeat,
            setup=open_lazy,
        )
        rows.append((f"load ECG 10 min ({got.size} samples)", t, req, data))
        t, req, data, got = _timed(
            server,
            lambda d: d["ecg_i"].sel(time_256hz=TEN_MINUTES).load(),
            args.repeat,
            setup=lambda: xr.open_dataset(
                URL, engine="hexoskin", storage_options=so, method="json"
            ),
        )
        rows.append((f"load ECG 10 min, method='json' ({got.size})", t, req, data))
        hour = slice("2024-05-12T12:00", "2024-05-12T12:59:59.99609375")  # last tick of the hour
        t, req, data, got = _timed(
            server, lambda d: d["ecg_i"].sel(time_256hz=hour).load(), args.repeat, setup=open_lazy
        )
        rows.append((f"load ECG 1 hour ({got.size} samples)", t, req, data))
        t, req, data, got = _timed(
            server, lambda d: d["heart_rate"].load(), args.repeat, setup=open_lazy
        )
        rows.append((f"load heart_rate 7 days ({got.size} samples)", t, req, data))
        ten = dict.fromkeys(["time_256hz", "time_128hz", "time_64hz", "time_1hz"], TEN_MINUTES)
        t, req, data, _ = _timed(server, lambda d: d.sel(ten).load(), args.repeat, setup=open_lazy)
        rows.append(("load all 14 channels 10 min", t, req, data))

    print(f"{'step':44s} {'median s':>9s} {'requests':>9s} {'data req':>9s}")
    for name, t, req, data in rows:
        print(f"{name:44s} {t:9.3f} {req:9d} {data:9d}")
    print(f"dimensions: {dict(ds.sizes)}")


if __name__ == "__main__":
    main()
