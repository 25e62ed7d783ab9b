"""The ``hexoframe`` command: ``demo``, ``emulator``, ``read``, ``datatypes``.

Examples
--------
Run the tour on the embedded emulator (no account, no network)::

    hexoframe demo

Serve the emulator for other programs, then read from it::

    hexoframe emulator --port 8000
    HEXOSKIN_URL=http://127.0.0.1:8000 HEXOSKIN_USERNAME=athlete@hexoskin.com \\
        HEXOSKIN_PASSWORD=hexoskin hexoframe read --record 37700 --datatypes hr,br --out hr.csv
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from . import catalog
from .data.methods import CHOICES as METHOD_CHOICES
from .errors import HexoskinError


def _cmd_datatypes(args: argparse.Namespace) -> int:
    import pandas as pd

    rows = [
        {
            "id": d.id,
            "name": d.name,
            "rate_hz": d.freq,
            "unit": d.unit,
            "unit_raw": d.unit_raw,
            "aliases": ",".join(d.aliases),
        }
        for d in catalog.data_datatypes()
    ]
    with pd.option_context("display.max_rows", None, "display.width", 120):
        print(pd.DataFrame(rows).to_string(index=False))
    return 0


def _cmd_read(args: argparse.Namespace) -> int:
    import pandas as pd

    from .data.reader import read_hexoskin

    frame = read_hexoskin(
        record=args.record,
        range=args.range,
        start=args.start,
        end=args.end,
        user=args.user,
        datatypes=args.datatypes.split(","),
        method=args.method,
        units=args.units,
        progress=not args.quiet,
    )
    if not isinstance(frame, pd.DataFrame):  # how="outer" gives a frame
        raise HexoskinError("read_hexoskin gave no frame to write")
    if args.out:
        if args.out.endswith(".parquet"):
            frame.to_parquet(args.out)
        else:
            frame.to_csv(args.out)
        print(f"wrote {len(frame)} rows x {frame.shape[1]} columns to {args.out}")
    else:
        print(frame)
    return 0


def _cmd_emulator(argv: Sequence[str]) -> int:
    from .emulator.cli import main as emulator_main

    return int(emulator_main(list(argv)) or 0)


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(seed=args.seed, out=sys.stdout)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``hexoframe`` command."""
    parser = argparse.ArgumentParser(
        prog="hexoframe",
        description="Hexoskin biometrics in pandas, xarray and fsspec.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="a tour of hexoframe on the embedded emulator")
    demo.add_argument("--seed", type=int, default=0, help="emulator seed (default 0)")

    sub.add_parser(
        "emulator",
        help="serve the Hexoskin API emulator (see 'hexoframe emulator --help')",
        add_help=False,
    )

    read = sub.add_parser("read", help="read biometric data into a CSV or Parquet file")
    span = read.add_mutually_exclusive_group()
    span.add_argument("--record", type=int)
    span.add_argument("--range", type=int)
    read.add_argument("--start", help="ISO time or HexoTimestamp")
    read.add_argument("--end", help="ISO time or HexoTimestamp")
    read.add_argument("--user", type=int)
    read.add_argument("--datatypes", required=True, help="comma-separated ids or names")
    read.add_argument("--method", default="auto", choices=list(METHOD_CHOICES))
    read.add_argument("--units", default="api", choices=["api", "raw", "physical"])
    read.add_argument("--out", help="output file (.csv or .parquet); prints when omitted")
    read.add_argument("--quiet", action="store_true", help="no progress bar")

    sub.add_parser("datatypes", help="list the datatype catalogue")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hexoframe`` console script.

    Examples
    --------
    >>> main(["datatypes"])  # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
      id                        name    rate_hz      unit     unit_raw          aliases
    4113                       ecg_i 256.000000       ADC          ADC   ecg,ecg1,ecg_1
    4114                      ecg_ii 256.000000       ADC          ADC       ecg2,ecg_2
    ...
    0
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["emulator"]:
        return _cmd_emulator(argv[1:])
    args = build_parser().parse_args(argv)
    started = time.perf_counter()
    try:
        if args.command == "demo":
            return _cmd_demo(args)
        if args.command == "read":
            return _cmd_read(args)
        return _cmd_datatypes(args)
    except HexoskinError as exc:
        print(f"hexoframe: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        elapsed = time.perf_counter() - started
        print(f"hexoframe: interrupted after {elapsed:.1f} s", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
