"""Benchmark: stream a week of ECG to Zarr through the lazy engine, against an in-memory
read of the same samples.

Contenders, each in a fresh child process (so peak memory is its own):

- ``ds.hexo.to_zarr``: ``xr.open_dataset(url, engine="hexoskin", chunks={})`` then
  ``ds.hexo.to_zarr(...)`` (dask, threaded scheduler), the path of ``hexoframe download``:
  every chunk is a request, decoded and written, then dropped; the time axis is written
  as a per-chunk ``arange`` of int64 nanoseconds (:mod:`hexoframe.frontends.lazy_writers`).
- ``ds.to_zarr``: the same dataset through xarray's own writer, which CF-encodes the
  datetimes chunk by chunk (inferring units from every difference, through pandas) and
  compresses them with Zarr's default Zstandard.
- ``ds.to_zarr``, values only: the ECG variable without its time axis.
- ``in-memory``: ``read_hexoskin(..., method="binary", how="dict")`` of the same channel.

Samples/s is samples of the channel divided by wall time; the ratio is lazy over
in-memory (bar: >= 0.8). Imports (numpy, xarray, dask, zarr, distributed when
installed, hexoframe) happen before the clock starts in every child. Peak memory is the
child's RSS high-water mark (``VmHWM``, see ``memory.py``; interpreter and imports
included; the RSS after imports and before the read is printed beside it). Bar: <= 300 MB.

The emulator runs in its own process with an answer cache big enough for every answer of
both paths (``answer_cache``), warmed by one lazy and one in-memory pass before timing:
the client is timed, not the emulator's signal synthesis on the same two cores.

Run::

    python benchmarks/bench_zarr_stream.py [--repeat 5] [--record 37702] [--units raw] [--chunk N]

(record 37702 is seven days, 37701 24 h; ``--units raw`` writes int16).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from emulator_process import EmulatorProcess
from memory import peak_rss_mb

EMAIL, PASSWORD = "athlete@hexoskin.com", "hexoskin"


def _rss_mb() -> float:
    return peak_rss_mb()


CHUNK = 0  # samples per dask chunk; 0: the engine's preferred chunks (chunks={})


def lazy_zarr(
    url: str, record: int, units: str, time_axis: bool = True, writer: str = "xarray"
) -> tuple[int, str]:
    import xarray as xr

    so = {"base_url": url, "username": EMAIL, "password": PASSWORD}
    ds = xr.open_dataset(
        f"hexoskin://record/{record}",
        engine="hexoskin",
        storage_options=so,
        datatypes=["ecg_i"],
        units=units,
        chunks={"time_256hz": CHUNK} if CHUNK else {},
    )
    if not time_axis:  # the ECG variable alone: what its time axis costs the writer
        ds = ds[["ecg_i"]].drop_vars(list(ds.coords))
    out = Path(tempfile.mkdtemp()) / "ecg.zarr"
    try:
        if writer == "hexo":
            ds.hexo.to_zarr(out, mode="w")
        else:
            ds.to_zarr(out, mode="w")
        # the stored dtype, from the array's metadata: xr.open_zarr would load and decode
        # the whole time axis (an index), a peak that is the reader's, not the stream's
        import zarr

        dtype = str(zarr.open_group(str(out), mode="r")["ecg_i"].dtype)
    finally:
        shutil.rmtree(out.parent)
    return int(ds["ecg_i"].size), dtype


def in_memory(url: str, record: int, units: str) -> tuple[int, str]:
    from hexoframe import read_hexoskin

    got = read_hexoskin(
        record=record,
        datatypes="ecg_i",
        method="binary",
        units=units,
        how="dict",
        base_url=url,
        username=EMAIL,
        password=PASSWORD,
        progress=False,
    )
    return int(got["ecg_i"].size), str(got["ecg_i"].dtype)


def lazy_zarr_values(url: str, record: int, units: str) -> tuple[int, str]:
    return lazy_zarr(url, record, units, time_axis=False)


def lazy_hexo_zarr(url: str, record: int, units: str) -> tuple[int, str]:
    return lazy_zarr(url, record, units, writer="hexo")


CONTENDERS = {
    "hexo": lazy_hexo_zarr,
    "xarray": lazy_zarr,
    "values": lazy_zarr_values,
    "memory": in_memory,
}
#: Bytes of answers the emulator keeps: a week of ECG as lazy zips and as in-memory zips
#: is 444 MB.
ANSWER_CACHE = 1_000_000_000


def _child(name: str, url: str, record: int, units: str, chunk: int) -> None:
    global CHUNK
    CHUNK = chunk
    import dask.array  # noqa: F401 - imports before the baseline (one-off, not the read's)
    import numpy  # noqa: F401
    import xarray  # noqa: F401
    import zarr  # noqa: F401

    import hexoframe  # noqa: F401

    try:  # dask's scheduler lookup imports it when installed
        import distributed  # noqa: F401
    except ImportError:
        pass

    base = _rss_mb()
    t0 = time.perf_counter()
    samples, dtype = CONTENDERS[name](url, record, units)
    seconds = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "seconds": seconds,
                "samples": samples,
                "dtype": dtype,
                "base_mb": base,
                "peak_mb": _rss_mb(),
            }
        )
    )


def run_child(name: str, url: str, record: int, units: str, chunk: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", name, url, str(record), units, str(chunk)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def run(repeat: int, record: int, units: str, chunk: int = 0) -> dict[str, dict[str, Any]]:
    """Median seconds, samples/s and the largest peak RSS of each contender."""
    with EmulatorProcess(answer_cache=ANSWER_CACHE) as server:
        for name in ("values", "memory"):  # warm the emulator's cache for both paths
            run_child(name, server.url, record, units, chunk)
        runs: dict[str, list[dict[str, Any]]] = {n: [] for n in CONTENDERS}
        for _ in range(repeat):
            for name in CONTENDERS:  # alternate within each round
                runs[name].append(run_child(name, server.url, record, units, chunk))
    result = {}
    for name, got in runs.items():
        seconds = statistics.median(r["seconds"] for r in got)
        result[name] = {
            "seconds": seconds,
            "samples": got[0]["samples"],
            "rate": got[0]["samples"] / seconds,
            "dtype": got[0]["dtype"],
            "base_mb": max(r["base_mb"] for r in got),
            "peak_mb": max(r["peak_mb"] for r in got),
        }
    return result


def main(argv: list[str] | None = None) -> dict[str, dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--record", type=int, default=37702)
    parser.add_argument("--units", default="raw", choices=["raw", "api", "physical"])
    parser.add_argument(
        "--chunk",
        type=int,
        default=0,
        help="samples per dask chunk (0: the engine's preferred chunks, chunks={})",
    )
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        name, url, record, units, chunk = args.child
        _child(name, url, int(record), units, int(chunk))
        return {}
    res = run(args.repeat, args.record, args.units, args.chunk)
    mem = res["memory"]
    print(
        f"ECG of record {args.record}, units={args.units}: {mem['samples']:,} samples; "
        f"medians of {args.repeat}, peak RSS = VmHWM of a fresh process"
    )
    rows = (
        ("lazy, ds.hexo.to_zarr", res["hexo"]),
        ("lazy, ds.to_zarr", res["xarray"]),
        ("  values only", res["values"]),
        ("in-memory binary read", mem),
    )
    for label, r in rows:
        print(
            f"  {label:22s} {r['seconds']:7.2f} s  {r['rate'] / 1e6:6.2f} M samples/s  "
            f"peak RSS {r['peak_mb']:6.0f} MB (after imports {r['base_mb']:.0f} MB)  "
            f"dtype {r['dtype']}  {r['rate'] / mem['rate']:.2f}x in-memory"
        )
    hexo = res["hexo"]
    print(
        f"  ds.hexo.to_zarr / in-memory samples/s: {hexo['rate'] / mem['rate']:.2f}x "
        f"(bar >= 0.8x); peak RSS {hexo['peak_mb']:.0f} MB (bar <= 300 MB)"
    )
    return res


if __name__ == "__main__":
    main()
