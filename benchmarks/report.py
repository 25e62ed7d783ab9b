"""Run the issue-14 benchmarks with quick settings and print a markdown table.

The table pasted into README.md ("Performance") is this script's output, unedited:

    python benchmarks/report.py [--repeat 3] > table.md

It runs ``bench_wan`` (1 h and 24 h of 13 channels over a shaped emulator, 100 ms per
request and a 12.5 MB/s link), ``bench_zarr_stream`` (7 days of ECG, lazy to Zarr vs an
in-memory read) and ``bench_cohort`` (20 records on a 2-worker LocalCluster, 10 % 429s
on data requests).
Each benchmark's own printout goes to stderr; the table to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import Any

import bench_cohort
import bench_wan
import bench_zarr_stream


def _row(cells: list[Any]) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with contextlib.redirect_stdout(sys.stderr):
        wan = bench_wan.main(["--repeat", str(args.repeat), "--full"])
        zarr = bench_zarr_stream.main(["--repeat", str(args.repeat)])
        cohort = bench_cohort.main(["--records", "20"])
    lines = [
        _row(["benchmark", "measure", "result", "bar"]),
        _row(["---"] * 4),
    ]
    for r in wan:
        bar = "<= 1.1x" if r["contender"] in ("auto", "binary", "json") else "(baseline)"
        lines.append(
            _row(
                [
                    "bench_wan (100 ms, 12.5 MB/s)",
                    f"{r['scenario']}, {r['contender']}: wall / wire-time limit "
                    f"({r['bytes'] / 1e6:.1f} MB, {r['requests']} requests)",
                    f"{r['seconds']:.3f} s / {r['limit']:.3f} s = "
                    f"**{r['seconds'] / r['limit']:.2f}x**",
                    bar,
                ]
            )
        )
    lazy, plain, mem = zarr["hexo"], zarr["xarray"], zarr["memory"]
    lines += [
        _row(
            [
                "bench_zarr_stream (7 days ECG, raw)",
                "lazy `ds.hexo.to_zarr` / in-memory binary read, samples/s",
                f"{lazy['rate'] / 1e6:.1f} / {mem['rate'] / 1e6:.1f} M/s = "
                f"**{lazy['rate'] / mem['rate']:.2f}x**",
                ">= 0.8x",
            ]
        ),
        _row(
            [
                "bench_zarr_stream",
                "lazy plain `ds.to_zarr` (xarray encodes the time axis) / in-memory",
                f"{plain['rate'] / 1e6:.1f} / {mem['rate'] / 1e6:.1f} M/s = "
                f"{plain['rate'] / mem['rate']:.2f}x",
                "-",
            ]
        ),
        _row(
            [
                "bench_zarr_stream",
                "lazy `ds.hexo.to_zarr` peak RSS (VmHWM, whole process); dtype written",
                f"**{lazy['peak_mb']:.0f} MB** (in-memory read {mem['peak_mb']:.0f} MB); "
                f"{lazy['dtype']}",
                "<= 300 MB",
            ]
        ),
        _row(
            [
                "bench_cohort (20 records, 2 workers)",
                "read_cohort on LocalCluster / sequential read_hexoskin loop, wall time",
                f"{cohort['cluster']:.2f} s / {cohort['seq']:.2f} s "
                f"(**{cohort['seq'] / cohort['cluster']:.2f}x** the loop's throughput)",
                "-",
            ]
        ),
        _row(
            [
                "bench_cohort",
                "429s answered; peak requests in flight; worker peak RSS",
                f"{cohort['429']}; {cohort['peak']} (max_concurrent=8); "
                + ", ".join(f"{v:.0f} MB" for v in cohort["rss"]),
                "in flight <= 8",
            ]
        ),
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
