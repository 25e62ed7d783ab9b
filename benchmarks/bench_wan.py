"""Benchmark: reads over a distant service (the emulator with network shaping).

The emulator runs in its own process with ``latency`` (seconds added to every request:
the round trip) and ``bandwidth`` (bytes/s of one link all answers share), as
``hexoframe emulator --latency 100ms --bandwidth 12.5MB/s`` does. Each contender's
bytes on the wire are the emulator's own count (``Emulator.network_stats``). The
wire-time limit of a read is ``bytes / bandwidth + latency × round trips``, with the
round trips the minimum plan needs one after the other: one to learn the record's
bounds, one for the data requests that all start together (the issue's "one round
trip" figure is printed beside it). Figures are medians over ``--repeat`` rounds after
one warm-up read (the emulator caches its answers).

Scenarios
---------
1. 1 h of the 13 channels of ``bench_read`` (record 37700): auto, binary, JSON, and the
   naive sequential JSON loop of 1 h of ECG (what existing clients do).
2. 24 h of the same 13 channels (record 37701), auto and binary (``--full`` only:
   42 MB per read).

Run::

    python benchmarks/bench_wan.py [--repeat 5] [--latency 0.1] [--bandwidth 12.5e6] [--full]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench_read import ALL, EMAIL, PASSWORD, REC_1H, REC_24H, json_naive
from emulator_process import EmulatorProcess


def ours(record: int, method: str, datatypes: Any = ALL) -> Callable[[str], Any]:
    def read(url: str) -> Any:
        from hexoframe import read_hexoskin

        return read_hexoskin(
            record=record,
            datatypes=datatypes,
            method=method,
            how="dict",
            base_url=url,
            username=EMAIL,
            password=PASSWORD,
            progress=False,
        )

    return read


def measure(
    server: EmulatorProcess, read: Callable[[str], Any], repeat: int
) -> tuple[float, dict[str, Any]]:
    """Median wall time of *read* and the network counters of its last run."""
    read(server.url)  # warm the emulator's answer cache
    times = []
    for _ in range(repeat):
        server.reset_stats()
        t0 = time.perf_counter()
        read(server.url)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), server.network()


def run(latency: float, bandwidth: float, repeat: int, full: bool) -> list[dict[str, Any]]:
    """Rows ``{scenario, contender, seconds, limit, limit1, bytes, requests, peak}``."""
    scenarios: list[tuple[str, str, Callable[[str], Any]]] = [
        ("1 h, 13 channels", "auto", ours(REC_1H, "auto")),
        ("1 h, 13 channels", "binary", ours(REC_1H, "binary")),
        ("1 h, 13 channels", "json", ours(REC_1H, "json")),
        ("1 h ECG", "json", ours(REC_1H, "json", "ecg_i")),
        ("1 h ECG", "naive sequential json", json_naive),
    ]
    if full:
        scenarios += [
            ("24 h, 13 channels", "auto", ours(REC_24H, "auto")),
            ("24 h, 13 channels", "binary", ours(REC_24H, "binary")),
        ]
    rows = []
    with EmulatorProcess(latency=latency, bandwidth=bandwidth) as server:
        for scenario, name, read in scenarios:
            seconds, net = measure(server, read, repeat)
            wire = net["bytes"] / bandwidth
            rows.append(
                {
                    "scenario": scenario,
                    "contender": name,
                    "seconds": seconds,
                    "limit": wire + 2 * latency,
                    "limit1": wire + latency,
                    "bytes": net["bytes"],
                    "requests": net["requests"],
                    "peak": net["peak_concurrency"],
                }
            )
    return rows


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.1, help="round trip, seconds")
    parser.add_argument("--bandwidth", type=float, default=12.5e6, help="bytes/s")
    parser.add_argument("--full", action="store_true", help="add the 24 h reads (42 MB each)")
    args = parser.parse_args(argv)
    rows = run(args.latency, args.bandwidth, args.repeat, args.full)
    print(
        f"Shaped emulator: {args.latency * 1e3:g} ms per request, "
        f"{args.bandwidth / 1e6:g} MB/s shared link; medians of {args.repeat}"
    )
    for r in rows:
        print(
            f"  {r['scenario']:18s} {r['contender']:22s} {r['seconds']:7.3f} s   "
            f"limit {r['limit']:.3f} s ({r['seconds'] / r['limit']:.2f}x; "
            f"one round trip {r['limit1']:.3f} s, {r['seconds'] / r['limit1']:.2f}x)   "
            f"{r['bytes'] / 1e6:.1f} MB, {r['requests']} requests, "
            f"{r['peak']} at once"
        )
    return rows


if __name__ == "__main__":
    main()
