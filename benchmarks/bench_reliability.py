"""The long reliability run (outside CI): mixed reads under faults, and damaged exports.

Runs the reads of ``tests/data/test_fault_suite.py`` for many seeds under the mixed fault mix
(about 20% 5xx with Retry-After, 10% 429, 5% dropped connections, 5% truncated bodies,
latency) and under lowered caps, then decodes damaged copies of the real export in
``../shared`` (if present) with the generators of ``tests/damage.py``. Prints one table:
reads attempted, faults injected by kind, retries seen by the client, identical results,
typed failures, silent losses; fuzz cases by outcome.

Usage::

    python benchmarks/bench_reliability.py [--seeds 40] [--fuzz 1500]
"""

from __future__ import annotations

import argparse
import logging
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from damage import KINDS, damage_bytes  # noqa: E402
from test_fault_suite import mixed_faults, run  # noqa: E402

from hexoframe.core.errors import ExportFormatError, HexoskinError  # noqa: E402
from hexoframe.emulator import Emulator, FaultConfig  # noqa: E402
from hexoframe.emulator.store import DEMO_USERS  # noqa: E402
from hexoframe.formats.exports import read_export  # noqa: E402

EXPORT = ROOT.parent / "shared" / "fixtures" / "hexoskin-export-122445"


class RetryCounter(logging.Handler):
    """Counts urllib3's and hexoframe's retry log lines (DEBUG)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if "Retry(" in text or "retrying" in text or "Retrying" in text:
            self.count += 1


def fuzz(cases: int, seed: int) -> Counter:
    """Damaged copies of the real export: equal to the clean decode, typed error, or other."""
    out: Counter = Counter()
    if not EXPORT.is_dir():
        out["skipped (../shared absent)"] = cases
        return out
    clean = read_export(EXPORT)
    rng = random.Random(seed)
    files = sorted(
        p for p in EXPORT.iterdir() if p.suffix in (".wav", ".csv") and p.name != "statistics.csv"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(cases):
            copy = Path(tmp) / f"c{i}"
            shutil.copytree(EXPORT, copy, ignore=shutil.ignore_patterns("matlab-converted"))
            victim = rng.choice(files)
            kind = rng.choice(KINDS)
            target = copy / victim.name
            original = target.read_bytes()
            damaged = damage_bytes(original, kind, rng)
            target.write_bytes(damaged)
            # an event CSV cut right after a row is a valid, shorter file: the export
            # format has no row count to check it against
            row_end_cut = (
                victim.suffix == ".csv"
                and len(damaged) < len(original)
                and original.startswith(damaged)
                and damaged.endswith(b"\n")
            )
            try:
                got = read_export(copy)
            except ExportFormatError:
                out["typed error (ExportFormatError)"] += 1
            except HexoskinError:
                out["typed error (other HexoskinError)"] += 1
            except Exception:
                out["UNTYPED error"] += 1
            else:
                same = all(got[k].equals(clean[k]) for k in clean) and set(got) == set(clean)
                if same:
                    out["decoded, equal to the clean export"] += 1
                elif row_end_cut:
                    out["decoded short: event CSV cut at a row end (undetectable)"] += 1
                else:
                    out["SILENTLY DIFFERENT"] += 1
            shutil.rmtree(copy)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=40, help="passes under the mixed faults")
    ap.add_argument("--fuzz", type=int, default=1500, help="damaged exports to decode")
    args = ap.parse_args()
    retries = RetryCounter()
    for name in ("urllib3", "hexoframe"):
        logging.getLogger(name).addHandler(retries)
        logging.getLogger(name).setLevel(logging.DEBUG)
    athlete = DEMO_USERS["athlete"]
    creds = {"username": athlete["email"], "password": athlete["password"]}
    outcomes: Counter = Counter()
    injected: Counter = Counter()
    t0 = time.perf_counter()
    with Emulator() as emu:
        for seed in range(args.seeds):
            run(
                emu,
                creds,
                mixed_faults(1000 + seed),
                rounds=1,
                outcomes=outcomes,
                injected=injected,
            )
        for cap in (1000, 97):
            run(emu, creds, FaultConfig(subsample_cap=cap), rounds=2, outcomes=outcomes)
            injected[f"cap {cap}: passes of every read"] += 2
    elapsed = time.perf_counter() - t0
    fuzzed = fuzz(args.fuzz, seed=7)
    rows = [
        ("reads attempted", outcomes["reads"]),
        *[(f"  faults injected: {k}", v) for k, v in sorted(injected.items())],
        ("  retries logged by the client", retries.count),
        ("identical to the fault-free read", outcomes["identical"]),
        ("typed failures (HexoskinError)", outcomes["typed failures"]),
        ("silent losses", outcomes["silent losses"]),
        *[(f"  {k}", v) for k, v in outcomes.items() if k.startswith("lost: ")],
        (f"damaged exports decoded ({args.fuzz})", sum(fuzzed.values())),
        *[(f"  {k}", v) for k, v in sorted(fuzzed.items())],
    ]
    width = max(len(k) for k, _ in rows)
    print(f"bench_reliability: {args.seeds} fault seeds + caps 1000/97 in {elapsed:.0f} s")
    print(f"| {'measure'.ljust(width)} | count |")
    print(f"|{'-' * (width + 2)}|-------|")
    for k, v in rows:
        print(f"| {k.ljust(width)} | {v} |")


if __name__ == "__main__":
    main()
