"""The ``hexoframe`` command: ``demo``, ``emulator``, ``read``, ``download``, ``export``,
``records``, ``ranges``, ``users``, ``datatypes``.

Exit codes: 0 done; 2 bad usage or arguments (argparse's, and queries hexoframe refuses);
3 authentication or permission; 4 not found; 5 the service failed or could not be
reached; 6 a local file could not be written or read; 130 interrupted. Errors are one line
on stderr, never a traceback.

Examples
--------
Run the tour on the embedded emulator (no account, no network)::

    hexoframe demo

Serve the emulator for other programs, then read from it::

    hexoframe emulator --port 8000
    HEXOSKIN_URL=http://127.0.0.1:8000 HEXOSKIN_USERNAME=athlete@hexoskin.com \\
        HEXOSKIN_PASSWORD=hexoskin hexoframe read --record 37700 --datatypes hr,br --out hr.csv

Write a record's export as the dashboard does (a folder, or a zip); an existing OUT is
refused with exit code 6 unless ``--overwrite``::

    hexoframe export --record 37700 record_37700.zip
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Sequence
from typing import Any

from hexoframe import __version__
from hexoframe.core import catalog, errors
from hexoframe.core.errors import HexoskinError
from hexoframe.data.methods import CHOICES as METHOD_CHOICES
from hexoframe.formats.writers import FORMATS

#: Exit codes by kind of failure (see the module docstring).
EXIT_USAGE, EXIT_AUTH, EXIT_NOT_FOUND, EXIT_SERVICE, EXIT_FILE = 2, 3, 4, 5, 6


def exit_code(exc: BaseException) -> int:
    """The exit code of a failure.

    Examples
    --------
    >>> exit_code(errors.NotFound("gone")), exit_code(OSError("disk full"))
    (4, 6)
    """
    if isinstance(
        exc, (errors.AuthenticationError, errors.PermissionDenied, errors.ConfigurationError)
    ):
        return EXIT_AUTH
    if isinstance(exc, errors.NotFound):
        return EXIT_NOT_FOUND
    if isinstance(exc, (errors.InvalidQueryError, errors.BadRequest, errors.MethodNotAllowed)):
        return EXIT_USAGE
    if isinstance(exc, HexoskinError):
        return EXIT_SERVICE
    return EXIT_FILE


def _print_table(frame: Any, fmt: str) -> None:
    import pandas as pd

    if fmt == "csv":
        sys.stdout.write(frame.to_csv(index=False))
    elif fmt == "json":
        sys.stdout.write(frame.to_json(orient="records", date_format="iso") + "\n")
    else:
        with pd.option_context("display.max_rows", None, "display.width", 120):
            print(frame.to_string(index=False))


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
    _print_table(pd.DataFrame(rows), getattr(args, "format", "table"))
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    """``records``/``ranges``/``users``: the resource as a table, with the client's filters."""
    from hexoframe.api.client import Client

    filters: dict[str, Any] = {}
    if args.start:
        filters["start__gte"] = args.start
    if args.end:
        filters["start__lt"] = args.end
    if args.user is not None and args.command != "users":
        filters["user"] = args.user
    if args.order_by:
        filters["order_by"] = args.order_by
    if args.limit is not None:
        filters["limit"] = args.limit
    name = {"records": "record", "ranges": "range", "users": "user"}[args.command]
    with Client() as client:
        frame = client.resource(name).list(**filters)
    _print_table(frame, args.format)
    return 0


def _data_query(args: argparse.Namespace) -> dict[str, Any]:
    """What ``read`` and ``download`` ask for (see :func:`_add_data_arguments`)."""
    return {
        "record": args.record,
        "range": args.range,
        "start": args.start,
        "end": args.end,
        "user": args.user,
        "datatypes": args.datatypes.split(","),
        "method": args.method,
        "units": args.units,
    }


def _cmd_read(args: argparse.Namespace) -> int:
    import pandas as pd

    from hexoframe.data.reader import read_hexoskin

    frame = read_hexoskin(
        **_data_query(args),
        progress=False if args.quiet else None,  # bars only on a terminal or notebook
    )
    if not isinstance(frame, pd.DataFrame):  # how="outer" gives a frame
        raise HexoskinError("read_hexoskin gave no frame to write")
    if args.out:
        from hexoframe.formats.writers import write_frame

        where = write_frame(frame, args.out, args.format)
        print(f"wrote {len(frame)} rows x {frame.shape[1]} columns to {where}")
    else:
        print(frame)
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from hexoframe.frontends.export import write_export

    where = write_export(
        args.record,
        args.out,
        overwrite=args.overwrite,
        progress=False if args.quiet else None,  # a bar only on a terminal
    )
    print(f"wrote the export of record {args.record} to {where}")
    return 0


def _cmd_download(args: argparse.Namespace) -> int:
    from hexoframe.frontends.download import download

    where = download(
        args.out,
        **_data_query(args),
        fmt=args.format,
        progress=False if args.quiet else None,  # bars only on a terminal
    )
    if not args.quiet:
        print(f"wrote {where}")
    return 0


def _cmd_emulator(argv: Sequence[str]) -> int:
    from hexoframe.emulator.cli import main as emulator_main

    return int(emulator_main(list(argv)) or 0)


def _cmd_demo(args: argparse.Namespace) -> int:
    from hexoframe.demo import run_demo

    return run_demo(seed=args.seed, out=sys.stdout)


def _print_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """Show a warning as one line a shell user reads (no source location)."""
    print(f"hexoframe: warning: {message}", file=sys.stderr if file is None else file)


def _add_data_arguments(
    parser: argparse.ArgumentParser, *, out_help: str, out_required: bool
) -> None:
    """The span, channels, method, units and output options of ``read`` and ``download``."""
    span = parser.add_mutually_exclusive_group()
    span.add_argument("--record", type=int)
    span.add_argument("--range", type=int)
    parser.add_argument("--start", help="ISO time or HexoTimestamp")
    parser.add_argument("--end", help="ISO time or HexoTimestamp")
    parser.add_argument("--user", type=int)
    parser.add_argument("--datatypes", required=True, help="comma-separated ids or names")
    parser.add_argument("--method", default="auto", choices=list(METHOD_CHOICES))
    parser.add_argument("--units", default="api", choices=["api", "raw", "physical"])
    parser.add_argument("--out", required=out_required, help=out_help)
    parser.add_argument(
        "--format",
        choices=sorted(set(FORMATS.values())),
        help="output format (default: from the extension of --out)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``hexoframe`` command."""
    parser = argparse.ArgumentParser(
        prog="hexoframe",
        description="Hexoskin biometrics in pandas, xarray and fsspec.",
        epilog="Exit codes: 2 usage, 3 authentication, 4 not found, 5 service, 6 local file.",
    )
    parser.add_argument("--version", action="version", version=f"hexoframe {__version__}")
    parser.add_argument("--verbose", action="store_true", help="log what hexoframe does")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="a tour of hexoframe on the embedded emulator")
    demo.add_argument("--seed", type=int, default=0, help="emulator seed (default 0)")

    sub.add_parser(
        "emulator",
        help="serve the Hexoskin API emulator (see 'hexoframe emulator --help')",
        add_help=False,
    )

    read = sub.add_parser("read", help="read biometric data into a CSV or Parquet file")
    _add_data_arguments(
        read,
        out_help="output file (.csv, .parquet, .nc, .zarr or .edf), written atomically; "
        "prints when omitted",
        out_required=False,
    )
    read.add_argument("--quiet", action="store_true", help="no progress bar")

    export = sub.add_parser(
        "export",
        help="write a record's export as the dashboard does (info.json, WAVs, event CSVs)",
        description="Write a record's export as the Hexoskin dashboard does: a folder, or a "
        "zip when OUT ends in .zip, holding info.json, one WAV per channel and one CSV per "
        "event channel. Written atomically; an existing OUT is refused (exit 6) unless "
        "--overwrite.",
    )
    export.add_argument("--record", type=int, required=True, help="the record id")
    export.add_argument("out", metavar="OUT", help="folder, or .zip file, to create")
    export.add_argument("--overwrite", action="store_true", help="replace an existing OUT")
    export.add_argument("--quiet", action="store_true", help="no progress bar")

    down = sub.add_parser(
        "download",
        help="stream a record, range or span to a file (bounded memory, atomic)",
        description="Stream a record, range or span to Parquet, CSV, netCDF or Zarr window "
        "by window (memory does not grow with the span), or to EDF (at most 12 h); "
        "written under a temporary name and renamed at the end.",
    )
    _add_data_arguments(
        down, out_help="output file (.csv, .parquet, .nc, .zarr or .edf)", out_required=True
    )
    down.add_argument("--quiet", action="store_true", help="no progress bar, no summary")

    table_formats = ["table", "csv", "json"]
    datatypes = sub.add_parser("datatypes", help="list the datatype catalogue")
    datatypes.add_argument("--format", choices=table_formats, default="table")
    for name in ("records", "ranges", "users"):
        lister = sub.add_parser(name, help=f"list {name} as a table")
        lister.add_argument("--start", help="from this time on (ISO or HexoTimestamp)")
        lister.add_argument("--end", help="starting before this time")
        lister.add_argument("--user", type=int, help="one user's (records, ranges)")
        lister.add_argument(
            "--order-by", dest="order_by", help="e.g. --order-by=-start (newest first)"
        )
        lister.add_argument("--limit", type=int, help="at most this many rows")
        lister.add_argument("--format", choices=table_formats, default="table")
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
    if args.verbose:
        import logging

        logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    started = time.perf_counter()
    shown, warnings.showwarning = warnings.showwarning, _print_warning
    try:
        if args.command == "demo":
            return _cmd_demo(args)
        if args.command == "read":
            return _cmd_read(args)
        if args.command == "export":
            return _cmd_export(args)

        if args.command == "download":
            return _cmd_download(args)
        if args.command in ("records", "ranges", "users"):
            return _cmd_list(args)
        return _cmd_datatypes(args)
    except (HexoskinError, OSError) as exc:
        print(f"hexoframe: {exc}", file=sys.stderr)
        return exit_code(exc)
    except KeyboardInterrupt:
        elapsed = time.perf_counter() - started
        print(f"hexoframe: interrupted after {elapsed:.1f} s", file=sys.stderr)
        return 130
    finally:
        warnings.showwarning = shown


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
