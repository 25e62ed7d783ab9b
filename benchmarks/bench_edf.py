"""EDF beside binary: 24 h of every channel of record 37701, against the emulator in its
own process (issue 11).

Prints, per format, the answer size and the time of one request plus decoding into raw
arrays per channel (binary: the zip's WAV/HXD; EDF: :func:`hexoframe.formats.edf.read_edf`), then
the library comparison of ``docs/edf.md``: writing and reading the same 24 h with edfio
and pyedflib (and MNE's reader), with their exactness on the raw integers.

Run::

    python benchmarks/bench_edf.py [--repeat 1]
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
import zipfile
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from emulator_process import EmulatorProcess

REC_24H = 37701
AUTH = ("athlete@hexoskin.com", "hexoskin")


def _ids() -> str:
    from hexoframe.core import catalog

    return ",".join(str(d.id) for d in catalog.data_datatypes() if d.kind != "annotation")


def fetch(url: str, accept: str) -> bytes:
    import requests

    r = requests.get(
        url + "/api/v1/data/",
        params={"datatype__in": _ids(), "record": REC_24H},
        headers={"Accept": accept},
        auth=AUTH,
        timeout=900,
    )
    r.raise_for_status()
    return r.content


def decode_zip(body: bytes) -> dict[str, Any]:
    from hexoframe.core import catalog
    from hexoframe.formats import binformats

    zf = zipfile.ZipFile(io.BytesIO(body))
    out: dict[str, Any] = {}
    for name in zf.namelist():
        stem, ext = name.rsplit(".", 1)
        dt = catalog.by_stem(stem)
        if ext == "wav":
            out[dt.name] = binformats.read_wav(zf.read(name), signed=dt.signed)[1]
        elif ext == "hxd":
            out[dt.name] = binformats.read_hxd(zf.read(name))[1]
    return out


def _timed(fn: Any, repeat: int) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def libraries(zdec: dict[str, Any], start: int, repeat: int) -> None:
    """Write/read the same raw arrays with edfio (ours) and pyedflib; read with MNE."""
    from hexoframe.core import catalog
    from hexoframe.formats import edf

    sync = {k: v for k, v in zdec.items() if not catalog.lookup(k).is_async}
    d = tempfile.mkdtemp()
    p1 = os.path.join(d, "edfio.edf")
    t_w, _ = _timed(lambda: edf.write_edf(p1, sync, start), repeat)
    t_r, back = _timed(lambda: edf.read_edf(p1), repeat)
    exact = all(back.channels[k][1].tolist() == np.asarray(v).tolist() for k, v in sync.items())
    print(f"edfio     write {t_w:7.2f} s  read {t_r:7.2f} s  exact raw: {exact}")
    try:
        import pyedflib
    except ImportError:
        return
    p2 = os.path.join(d, "pyedflib.edf")

    def w2() -> None:
        dts = [catalog.lookup(k) for k in sync if catalog.lookup(k).freq >= 1]
        with pyedflib.EdfWriter(p2, len(dts), file_type=pyedflib.FILETYPE_EDFPLUS) as f:
            heads = []
            for dt in dts:
                shift = 0 if dt.signed else 32768
                heads.append(
                    {
                        "label": edf.edf_label(dt),
                        "dimension": edf.edf_unit(dt),
                        "sample_frequency": dt.freq,
                        "physical_min": float(dt.to_physical(-32768 + shift)),
                        "physical_max": float(dt.to_physical(32767 + shift)),
                        "digital_min": -32768,
                        "digital_max": 32767,
                    }
                )
            f.setSignalHeaders(heads)
            f.writeSamples(
                [np.asarray(sync[dt.name], np.int32) - (0 if dt.signed else 32768) for dt in dts],
                digital=True,
            )

    try:
        t_w2, _ = _timed(w2, repeat)
        print(f"pyedflib  write {t_w2:7.2f} s  (1 s records: drops the 1/300 Hz channels)")
    except Exception as exc:  # report, do not hide
        print(f"pyedflib  write failed: {type(exc).__name__}: {exc}")
    t_r2, _ = _timed(lambda: _pyedflib_read(p1), repeat)
    print(f"pyedflib  read  {t_r2:7.2f} s  (of our 300 s-record file)")
    try:
        import mne

        t_m, _ = _timed(lambda: mne.io.read_raw_edf(p1, preload=True, verbose="error"), repeat)
        print(f"mne       read  {t_m:7.2f} s  (resamples every channel to the top rate)")
    except ImportError:
        pass


def _pyedflib_read(path: str) -> list[np.ndarray]:
    import pyedflib

    with pyedflib.EdfReader(path) as f:
        return [f.readSignal(i, digital=True) for i in range(f.signals_in_file)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    from hexoframe.formats import edf

    with EmulatorProcess() as server:
        for label, accept, dec in (
            ("binary", "application/octet-stream", decode_zip),
            ("edf", "application/x-edf", lambda b: edf.read_edf(b).channels),
        ):
            t, (body, decoded) = _timed(
                lambda a=accept, d=dec: (lambda b: (b, d(b)))(fetch(server.url, a)), args.repeat
            )
            n = sum(len(v[1] if isinstance(v, tuple) else v) for v in decoded.values())
            print(f"{label:7s} {len(body) / 1e6:8.1f} MB  {t:7.2f} s  ({n:,} samples)")
            if label == "binary":
                zdec, start = decoded, None
            else:
                start = edf.read_edf(body).start
    libraries(zdec, start, args.repeat)


if __name__ == "__main__":
    main()
