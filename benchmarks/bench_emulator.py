"""How fast the emulator serves data: 1 h and 24 h of every channel, binary and JSON.

Runs the emulator in its own process (``emulator_process.EmulatorProcess``), warms it up,
then for records 37700 (1 h) and 37701 (24 h) fetches every data channel:

* binary: one request per datatype for the whole record (never subsampled);
* JSON: windows holding at most 65535 samples of one datatype (what a full-resolution
  client does), requests sent one after another.

Every URL is distinct, so the emulator's answer cache is not hit.  Prints one row per
channel group with requests, samples, megabytes, seconds and samples per second.

Usage::

    /work/venv/bin/python benchmarks/bench_emulator.py [--hours 1 24] [--formats binary json]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import time
import zipfile
from collections import defaultdict

import numpy as np
import requests
from emulator_process import EmulatorProcess

from hexoframe.core import catalog

AUTH = ("athlete@hexoskin.com", "hexoskin")
RECORDS = {1: (37700, 1714557600 * 256), 24: (37701, 1714608000 * 256)}
CAP = 65535


def _group(dt: catalog.Datatype) -> str:
    if dt.is_async:
        return "events (async)"
    if dt.freq >= 256:
        return "ECG 256 Hz"
    if dt.freq >= 64:
        return "resp/accel/PPG 64-128 Hz"
    if dt.freq >= 1:
        return "vitals 1 Hz"
    return "HRV 1/300 Hz"


def _count_zip(body: bytes) -> int:
    zf = zipfile.ZipFile(io.BytesIO(body))
    n = 0
    for name in zf.namelist():
        size = zf.getinfo(name).file_size
        if name.endswith(".wav"):
            n += (size - 44) // 2
        elif name.endswith(".hxd"):
            n += size // 16
    return n


def _get(sess: requests.Session, url: str, params: dict, binary: bool) -> tuple[float, bytes]:
    headers = {"Accept": "application/octet-stream"} if binary else {}
    t0 = time.perf_counter()
    r = sess.get(url, params=params, headers=headers, timeout=600)
    body = r.content
    elapsed = time.perf_counter() - t0
    if r.status_code != 200:
        raise RuntimeError(f"{r.status_code} for {params}: {body[:200]!r}")
    return elapsed, body


def bench(base: str, hours: int, fmt: str, sess: requests.Session) -> dict[str, list[float]]:
    rec, start = RECORDS[hours]
    end = start + hours * 3600 * 256
    url = base + "/api/v1/data/"
    rows: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0, 0.0])
    for dt in catalog.data_datatypes():
        row = rows[_group(dt)]
        if fmt == "binary":
            elapsed, body = _get(sess, url, {"datatype": dt.id, "record": rec}, True)
            row[0] += 1
            row[1] += _count_zip(body)
            row[2] += len(body)
            row[3] += elapsed
            continue
        if dt.is_async:
            span = 6 * 3600 * 256
        else:
            span = int(CAP // dt.freq) * 256 if dt.freq >= 1 else end - start
            span = max(dt.step_ticks, span // dt.step_ticks * dt.step_ticks)
        t = start
        while t < end:
            hi = min(end, t + span)
            elapsed, body = _get(
                sess, url, {"datatype": dt.id, "start": t, "end": hi, "user": 1511}, False
            )
            row[0] += 1
            row[1] += len(json.loads(body)[0]["data"][str(dt.id)])
            row[2] += len(body)
            row[3] += elapsed
            t = hi
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=int, nargs="+", default=[1, 24], choices=[1, 24])
    ap.add_argument("--formats", nargs="+", default=["binary", "json"], choices=["binary", "json"])
    ap.add_argument("--url", help="use a running emulator at this root URL instead")
    args = ap.parse_args(argv)
    with contextlib.ExitStack() as stack:
        base = args.url or stack.enter_context(EmulatorProcess()).url
        sess = stack.enter_context(requests.Session())
        sess.auth = AUTH
        # warm-up: another record, every format, a few channels
        for fmt in ("json", "binary"):
            for dt in (4113, 4129, 19, 18, 271):
                _get(
                    sess, base + "/api/v1/data/", {"datatype": dt, "record": 37750}, fmt == "binary"
                )
        print(
            f"{'record':>7} {'format':>6}  {'channels':<26}{'requests':>9}"
            f"{'samples':>13}{'MB':>9}{'seconds':>9}{'samples/s':>13}"
        )
        for hours in args.hours:
            for fmt in args.formats:
                rows = bench(base, hours, fmt, sess)
                tot = np.zeros(4)
                for name, (n_req, n, size, secs) in rows.items():
                    tot += (n_req, n, size, secs)
                    print(
                        f"{hours:>5} h {fmt:>6}  {name:<26}{n_req:>9}{n:>13,}"
                        f"{size / 1e6:>9.1f}{secs:>9.2f}{n / secs:>13,.0f}"
                    )
                print(
                    f"{hours:>5} h {fmt:>6}  {'ALL':<26}{int(tot[0]):>9}"
                    f"{int(tot[1]):>13,}{tot[2] / 1e6:>9.1f}{tot[3]:>9.2f}"
                    f"{tot[1] / tot[3]:>13,.0f}"
                )
                sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
