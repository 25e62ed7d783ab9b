"""``hexoframe demo``: a tour of the library against the embedded emulator.

It starts :class:`hexoframe.emulator.Emulator` on loopback, then uses hexoframe exactly as
a user would against ``https://api.hexoskin.com``: resources as DataFrames, vitals and
full-resolution ECG with ``read_hexoskin``, a lazy xarray dataset of a 7-day record, and
the ``hexoskin://`` filesystem.

Examples
--------
>>> from hexoframe.demo import run_demo
>>> run_demo()  # doctest: +SKIP
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TextIO

#: Where ``hexoframe demo`` saves its overview figure unless told otherwise.
DEFAULT_PLOT = Path(tempfile.gettempdir()) / "hexoframe-demo-record-37700.png"


def _section(out: TextIO, title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 66 - len(title)), file=out)


def _plot_section(out: TextIO, client: object, plot_path: str | os.PathLike[str]) -> None:
    _section(out, "An overview figure (hexoframe.plot_record)")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print(
            "matplotlib is not installed: pip install 'hexoframe[plot]' to get the "
            "overview figure (ECG with beats, heart and breathing rate, activity).",
            file=out,
        )
        return
    from hexoframe.analysis.plotting import plot_record

    plot_record(37700, end="2024-05-01T10:30:00Z", client=client, path=plot_path)
    print(
        f"ECG strip with beats, heart and breathing rate, activity of record 37700 "
        f"saved to {Path(plot_path).resolve()}",
        file=out,
    )


def run_demo(
    seed: int = 0, out: TextIO | None = None, plot_path: str | os.PathLike[str] | None = None
) -> int:
    """Run the tour, printing to ``out``; returns a process exit code.

    Parameters
    ----------
    seed : int
        Seed of the emulator's synthetic physiology.
    out : file-like, optional
        Where to print (standard output by default).
    plot_path : path, optional
        Where to save the overview PNG (:data:`DEFAULT_PLOT` by default); needs matplotlib,
        otherwise the tour says how to get it.

    Examples
    --------
    >>> import io, tempfile, pathlib
    >>> png = pathlib.Path(tempfile.mkdtemp()) / "overview.png"
    >>> run_demo(out=io.StringIO(), plot_path=png), png.read_bytes()[:4]
    (0, b'\\x89PNG')
    """
    import pandas as pd

    import hexoframe
    from hexoframe.emulator import DEMO_USERS, Emulator

    out = out or sys.stdout
    athlete = DEMO_USERS["athlete"]
    with Emulator(seed=seed) as emu:
        print(f"Emulator serving the Hexoskin API at {emu.url}/api/v1/", file=out)
        print(f"Signed in as {athlete['email']} (a demo account of the emulator)", file=out)
        client = hexoframe.Client(
            base_url=emu.url, username=athlete["email"], password=athlete["password"]
        )
        print(repr(client), file=out)

        _section(out, "Records (client.records(), every page, real datetimes)")
        records = client.records(order_by="start")
        cols = [c for c in ("id", "start_time", "end_time", "duration", "status") if c in records]
        print(f"{len(records)} records visible to this user; the first five:", file=out)
        with pd.option_context("display.width", 120, "display.max_columns", 10):
            print(records[cols].head(5).to_string(index=False), file=out)

        _section(out, "Vitals of record 37700 (pd.read_hexoskin)")
        vitals = pd.read_hexoskin(
            record=37700,
            datatypes=["heart_rate", "breathing_rate"],
            client=client,
            progress=False,
        )
        print(vitals.describe().round(1).to_string(), file=out)
        how = vitals.attrs.get("hexoskin", {})
        print(
            f"fetched by {how.get('method')} ({how.get('reason')}), "
            f"{how.get('requests')} request(s)",
            file=out,
        )

        _section(out, "Full-resolution ECG, 10 minutes, fetched two ways")
        span = {"start": "2024-05-01T10:00:00Z", "end": "2024-05-01T10:10:00Z"}
        frames, notes = {}, {"json": " (windows below the 65,535-point cap)"}
        for method in ("binary", "json"):
            emu.reset_stats()
            t0 = time.perf_counter()
            frames[method] = hexoframe.read_hexoskin(
                record=37700,
                datatypes="ecg",
                method=method,
                client=client,
                progress=False,
                **span,
            )
            print(
                f"{method + ':':<7} {len(frames[method]):,} samples in "
                f"{emu.stats['data_requests']} request(s), "
                f"{time.perf_counter() - t0:.2f} s{notes.get(method, '')}",
                file=out,
            )
        ecg_bin, ecg_json = frames["binary"], frames["json"]
        print(
            f"identical frames: {ecg_bin.equals(ecg_json)}; expected 600 s x 256 Hz = "
            f"{600 * 256:,} samples",
            file=out,
        )
        print(ecg_bin.head(3).to_string(), file=out)

        _section(out, "RR intervals and heart rate agree")
        rr = hexoframe.read_hexoskin(
            record=37700, datatypes=["rr"], client=client, progress=False, **span
        )
        rr_s = rr.iloc[:, 0]
        rr_s = rr_s[rr_s > 0]
        hr = hexoframe.read_hexoskin(
            record=37700, datatypes=["hr"], client=client, progress=False, **span
        ).iloc[:, 0]
        print(
            f"{len(rr_s)} beats; 60 / mean RR = {60 / rr_s.mean():.1f} bpm; "
            f"mean heart_rate = {hr.mean():.1f} bpm ({len(hr)} samples)",
            file=out,
        )

        _section(out, "A 7-day record as a lazy xarray Dataset")
        import xarray as xr

        emu.reset_stats()
        ds = xr.open_dataset(
            "hexoskin://record/37702",
            engine="hexoskin",
            datatypes=["ecg", "hr"],
            storage_options={
                "base_url": emu.url,
                "username": athlete["email"],
                "password": athlete["password"],
            },
        )
        print(ds, file=out)
        print(f"data requests made to open it: {emu.stats['data_requests']}", file=out)
        one_minute = ds["heart_rate"].isel(time_1hz=slice(0, 60)).values
        print(
            f"first minute of heart rate loaded on demand: mean {one_minute.mean():.1f} bpm, "
            f"{emu.stats['data_requests']} data request(s) so far",
            file=out,
        )

        _section(out, "The hexoskin:// filesystem")
        import fsspec

        fs = fsspec.filesystem(
            "hexoskin",
            base_url=emu.url,
            username=athlete["email"],
            password=athlete["password"],
        )
        for entry in fs.ls("record/37700", detail=True)[:6]:
            print(f"{entry['name']:<40} {entry.get('size')!s:>10}", file=out)
        print("...", file=out)

        _plot_section(out, client, DEFAULT_PLOT if plot_path is None else plot_path)

    print(
        "\nDone. Point hexoframe.Client at https://api.hexoskin.com with your own "
        "credentials to do the same with real data.",
        file=out,
    )
    return 0
