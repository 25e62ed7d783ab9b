"""Benchmark: a cohort read with ``read_cohort`` on a dask.distributed LocalCluster.

The emulator runs in its own process, optionally answering a share of requests with
429 (``--rate-limit``, ``Retry-After: 1``). The cohort is ``--records`` record reads of
HR, BR, RR intervals and one hour of ECG each (the 1 h record 37700 and the 24 h record
37701 alternate, narrowed to their first hour; the same record may appear more than
once, read as separate participants). Contenders:

- ``read_cohort`` computed on a LocalCluster of 2 worker processes (1 thread each...
  ``--threads``), bounded by ``max_concurrent`` (leases of a ``distributed.Semaphore``);
- a sequential loop of ``read_hexoskin`` over the same records (the baseline).

Both sides count rows where the frames are (the cluster returns rows per partition, not
the frames). Printed: wall time, records/s, samples/s, the ratio to the loop, the 429 answers the
emulator gave, its peak number of requests in flight, and each worker's peak RSS
(``VmHWM`` of the worker process, see ``memory.py``).

Run::

    python benchmarks/bench_cohort.py [--records 20] [--max-concurrent 8] [--rate-limit 0.1]
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from typing import Any

from emulator_process import EmulatorProcess

EMAIL, PASSWORD = "athlete@hexoskin.com", "hexoskin"
RECORDS = {37700: "2024-05-01T10:00Z", 37701: "2024-05-02T00:00Z"}
DATATYPES = ["heart_rate", "breathing_rate", "rr_interval", "ecg_i"]


def _hour(record: int) -> tuple[str, str]:
    import pandas as pd

    start = pd.Timestamp(RECORDS[record])
    return str(start), str(start + pd.Timedelta("1h"))


def cohort(n: int) -> list[int]:
    keys = list(RECORDS)
    return [keys[i % len(keys)] for i in range(n)]


def sequential(url: str, records: list[int]) -> int:
    from hexoframe import read_hexoskin

    rows = 0
    for rec in records:
        start, end = _hour(rec)
        df = read_hexoskin(
            record=rec,
            start=start,
            end=end,
            datatypes=DATATYPES,
            base_url=url,
            username=EMAIL,
            password=PASSWORD,
            progress=False,
            how="outer",
        )
        rows += len(df)
    return rows


def on_cluster(
    dclient: Any, url: str, records: list[int], bound: int | None, per_partition: int
) -> int:
    import dask.dataframe as dd

    from hexoframe import read_cohort

    parts = []
    for rec in records:  # one cohort per hour span; their partitions run together
        start, end = _hour(rec)
        parts.append(
            read_cohort(
                records=[rec],
                datatypes=DATATYPES,
                start=start,
                end=end,
                storage_options={"base_url": url, "username": EMAIL, "password": PASSWORD},
                max_concurrent=bound,
                windows_per_partition=per_partition,
            )
        )
    # reduce where the data is (as a study would, or write Parquet from the workers):
    # rows per partition come back, not the frames
    return int(dd.concat(parts).map_partitions(len).compute().sum())


def _worker_rss() -> float:
    from memory import peak_rss_mb

    return peak_rss_mb()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--max-concurrent", type=int, default=8)
    parser.add_argument(
        "--windows-per-partition",
        type=int,
        default=15,
        help="planner windows (65,535 ECG samples each) per partition; 15: one hour",
    )
    parser.add_argument("--rate-limit", type=float, default=0.1, help="share of 429s")
    args = parser.parse_args(argv)

    from distributed import Client, LocalCluster

    from hexoframe.emulator import FaultConfig

    records = cohort(args.records)
    warnings.simplefilter("ignore")
    with EmulatorProcess() as server:
        os.environ.update(
            HEXOSKIN_URL=server.url, HEXOSKIN_USERNAME=EMAIL, HEXOSKIN_PASSWORD=PASSWORD
        )
        sequential(server.url, records[:2])  # warm the emulator's cache
        faults = (
            FaultConfig(
                seed=1, rate_limit_rate=args.rate_limit, retry_after=1, path_pattern="/data/"
            )
            if args.rate_limit
            else None
        )
        server.set_faults(faults)
        server.reset_stats()
        t0 = time.perf_counter()
        rows_seq = sequential(server.url, records)
        t_seq = time.perf_counter() - t0
        seq_429 = server.fault_counts().get("429", 0)
        with (
            LocalCluster(
                n_workers=args.workers,
                threads_per_worker=args.threads,
                processes=True,
                dashboard_address=None,
            ) as cluster,
            Client(cluster) as dclient,
        ):
            server.set_faults(faults)
            server.reset_stats()
            t0 = time.perf_counter()
            rows = on_cluster(
                dclient, server.url, records, args.max_concurrent, args.windows_per_partition
            )
            t_clu = time.perf_counter() - t0
            net = server.network()
            n429 = server.fault_counts().get("429", 0)
            rss = dclient.run(_worker_rss)
    assert rows == rows_seq, (rows, rows_seq)
    print(
        f"Cohort: {args.records} records x (HR, BR, RR, 1 h ECG), {rows:,} rows; "
        f"429 share {args.rate_limit:g} with Retry-After 1 s"
    )
    print(
        f"  sequential read_hexoskin loop   {t_seq:7.2f} s  "
        f"{args.records / t_seq:6.2f} records/s  429s {seq_429}"
    )
    print(
        f"  read_cohort, {args.workers} workers x {args.threads} threads, "
        f"max_concurrent={args.max_concurrent}, "
        f"windows_per_partition={args.windows_per_partition}: {t_clu:7.2f} s  "
        f"{args.records / t_clu:6.2f} records/s  ({t_seq / t_clu:.2f}x the loop)  "
        f"429s {n429}  peak requests in flight {net['peak_concurrency']}"
    )
    print("  worker peak RSS: " + ", ".join(f"{v:.0f} MB" for v in rss.values()))
    return {
        "seq": t_seq,
        "cluster": t_clu,
        "records": args.records,
        "429": n429,
        "seq_429": seq_429,
        "peak": net["peak_concurrency"],
        "rss": list(rss.values()),
        "rows": rows,
    }


if __name__ == "__main__":
    main()
