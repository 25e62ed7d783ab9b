"""Benchmark: ``hexoframe download`` of long ECG spans, peak memory against the span.

Each download runs in a fresh child process (its own peak memory: ``VmHWM``, see
``memory.py``; interpreter and imports included) through
:func:`hexoframe.frontends.download.download`, the function the command runs:

- ``zarr``: the lazy xarray engine and dask's chunked writes;
- ``parquet``: ``read_hexoskin`` slice by slice (about 1 M samples each), one row group
  per slice.

Spans: a baseline of 1 day (record 37701) against 7 days (record 37702) of ECG (256 Hz).
Streaming means the peak does not grow with the span: the script prints each peak, the
7-day over 1-day ratio and samples/s, and checks the bound (``--bound``, 300 MB by
default, the figure in the docs).

The emulator runs in its own process; a short warm-up download runs first.

Run::

    python benchmarks/bench_download.py [--formats zarr,parquet] [--records 37701,37702]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from emulator_process import EmulatorProcess
from memory import peak_rss_mb

EMAIL, PASSWORD = "athlete@hexoskin.com", "hexoskin"
EXTENSIONS = {"zarr": ".zarr", "parquet": ".parquet", "netcdf": ".nc", "csv": ".csv"}
DAYS = {37700: 1 / 24, 37701: 1, 37702: 7}


def _child(fmt: str, url: str, record: int) -> None:
    import numpy  # noqa: F401 - imports before the baseline
    import pandas  # noqa: F401
    import pyarrow.parquet  # noqa: F401
    import xarray  # noqa: F401

    from hexoframe.frontends.download import download

    base = peak_rss_mb()
    folder = Path(tempfile.mkdtemp())
    try:
        t0 = time.perf_counter()
        out = download(
            folder / f"ecg{EXTENSIONS[fmt]}",
            record=record,
            datatypes="ecg",
            base_url=url,
            username=EMAIL,
            password=PASSWORD,
            progress=False,
        )
        seconds = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in out.rglob("*")) if out.is_dir() else out.stat().st_size
    finally:
        shutil.rmtree(folder)
    samples = int(DAYS[record] * 86400 * 256)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "samples": samples,
                "bytes": size,
                "base_mb": base,
                "peak_mb": peak_rss_mb(),
            }
        )
    )


def run_child(fmt: str, url: str, record: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", fmt, url, str(record)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict[tuple[str, int], dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--formats", default="zarr,parquet")
    parser.add_argument("--records", default="37701,37702", help="1 day, 7 days")
    parser.add_argument("--bound", type=float, default=300.0, help="peak RSS bound, MB")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        fmt, url, record = args.child
        _child(fmt, url, int(record))
        return {}
    formats = args.formats.split(",")
    records = [int(r) for r in args.records.split(",")]
    results: dict[tuple[str, int], dict[str, Any]] = {}
    with EmulatorProcess() as server:
        run_child("parquet", server.url, 37700)  # warm the emulator (imports, caches)
        for fmt in formats:
            for record in records:
                r = run_child(fmt, server.url, record)
                results[(fmt, record)] = r
                print(
                    f"  {fmt:8s} record {record} ({DAYS[record]:g} d, {r['samples']:,} samples): "
                    f"{r['seconds']:7.1f} s  {r['samples'] / r['seconds'] / 1e6:5.2f} M samples/s"
                    f"  peak RSS {r['peak_mb']:6.0f} MB (after imports {r['base_mb']:.0f} MB)"
                    f"  file {r['bytes'] / 1e6:,.0f} MB",
                    flush=True,
                )
    first, last = records[0], records[-1]
    for fmt in formats:
        a, b = results[(fmt, first)]["peak_mb"], results[(fmt, last)]["peak_mb"]
        verdict = "within" if b <= args.bound else "ABOVE"
        print(
            f"  {fmt}: peak {b:.0f} MB for record {last} vs {a:.0f} MB for record {first} "
            f"({b / a:.2f}x); {verdict} the {args.bound:.0f} MB bound"
        )
    return results


if __name__ == "__main__":
    main()
