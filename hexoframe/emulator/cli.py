"""``hexoframe emulator``: serve the Hexoskin API emulator until Ctrl-C or SIGTERM.

Examples
--------
Serve on a fixed port with a persistent database and one real export::

    hexoframe emulator --port 8000 --db emu.sqlite \\
        --import ../shared/fixtures/hexoskin-export-122445

Inject faults (10 % errors, 5 % rate limits on data requests only)::

    hexoframe emulator --error-rate 0.1 --rate-limit-rate 0.05 --path-pattern /data/

Play a distant service (80 ms per request, a 20 MB/s link shared by all answers)::

    hexoframe emulator --latency 80ms --bandwidth 20MB/s
"""

from __future__ import annotations

import argparse
import re
import signal
import sqlite3
import sys
import threading
from collections.abc import Sequence
from typing import TextIO

from hexoframe.core.errors import HexoskinError
from hexoframe.emulator.auth import OAUTH_CLIENT
from hexoframe.emulator.cache import ANSWER_CACHE_BYTES
from hexoframe.emulator.faults import FaultConfig
from hexoframe.emulator.server import Emulator
from hexoframe.emulator.store import DEMO_USERS


def _port(text: str) -> int:
    """A TCP port number, 0 (any free port) to 65535; argparse reports anything else."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port (0 to 65535)")
    return port


_SECONDS = {"": 1.0, "s": 1.0, "ms": 1e-3, "us": 1e-6}
_BYTES = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "kib": 2**10, "mib": 2**20}
_NUMBER = r"\s*([0-9]*\.?[0-9]+(?:e[-+]?[0-9]+)?)\s*"


def duration(text: str) -> float:
    """Seconds from ``"80ms"``, ``"0.08s"`` or ``"0.08"``; argparse reports anything else.

    Examples
    --------
    >>> duration("80ms"), duration("0.5"), duration("2 s")
    (0.08, 0.5, 2.0)
    """
    match = re.fullmatch(_NUMBER + r"(s|ms|us)?\s*", text.lower())
    if not match:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a duration: give seconds (0.08) or a unit (80ms, 0.08s)"
        )
    return float(match.group(1)) * _SECONDS[match.group(2) or ""]


def _bytes(text: str, per_second: bool) -> float | None:
    """A positive number of bytes from ``"20MB"``, ``"512KiB"`` or ``"2e7"`` (with an
    optional ``/s`` when ``per_second``); None when ``text`` is not one."""
    rate = r"(?:/s)?" if per_second else ""
    match = re.fullmatch(_NUMBER + r"(b|kb|mb|gb|kib|mib)?" + rate + r"\s*", text.lower())
    if not match or float(match.group(1)) <= 0:
        return None
    return float(match.group(1)) * _BYTES[match.group(2) or ""]


def byte_rate(text: str) -> float:
    """Bytes per second from ``"20MB/s"``, ``"512KiB/s"`` or ``"20000000"``.

    Decimal units (kB, MB, GB) are powers of 1000, binary ones (KiB, MiB) of 1024;
    ``/s`` is optional. Zero is refused (a link that carries nothing).

    Examples
    --------
    >>> byte_rate("20MB/s"), byte_rate("1KiB"), byte_rate("1e6")
    (20000000.0, 1024.0, 1000000.0)
    """
    got = _bytes(text, per_second=True)
    if got is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a bandwidth: give bytes per second above 0 (20000000) "
            "or a unit (20MB/s, 512KiB/s)"
        )
    return got


def byte_size(text: str) -> int:
    """Bytes from ``"1GB"``, ``"512MiB"`` or ``"128000000"`` (units as :func:`byte_rate`).

    Examples
    --------
    >>> byte_size("1GB"), byte_size("2MiB")
    (1000000000, 2097152)
    """
    got = _bytes(text, per_second=False)
    if got is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a size: give bytes above 0 (128000000) or a unit (1GB, 512MiB)"
        )
    return int(got)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``hexoframe emulator``."""
    p = argparse.ArgumentParser(
        prog="hexoframe emulator", description="Serve the Hexoskin REST API emulator on loopback."
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=0, help="port (default 0: a free one)")
    p.add_argument("--db", help="SQLite file kept across restarts (default: in memory)")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic signals")
    p.add_argument(
        "--import",
        dest="imports",
        action="append",
        default=[],
        metavar="EXPORT",
        help="serve a Hexoskin export (folder or zip) as a record; repeatable",
    )
    p.add_argument(
        "--tick-rate",
        type=int,
        choices=(256, 1000),
        default=256,
        help="ticks per second of the timestamps served: 256 (Hexoskin) or 1000 (Astroskin)",
    )
    p.add_argument(
        "--token-ttl", type=float, default=3600.0, help="OAuth2 access token lifetime in seconds"
    )
    p.add_argument(
        "--signature-window",
        type=float,
        default=300,
        help="accepted clock skew of API-key signatures in seconds",
    )
    n = p.add_argument_group("network shaping (a distant service)")
    n.add_argument(
        "--latency",
        type=duration,
        default=0.0,
        help="round trip added to every request: seconds or with a unit (80ms)",
    )
    n.add_argument(
        "--bandwidth",
        type=byte_rate,
        default=None,
        help="bytes per second of the link all answers share: a number or 20MB/s, 512KiB/s",
    )
    p.add_argument(
        "--answer-cache",
        type=byte_size,
        default=ANSWER_CACHE_BYTES,
        metavar="SIZE",
        help="memory for rendered data answers: a number or 1GB, 512MiB "
        f"(default {ANSWER_CACHE_BYTES // 10**6} MB)",
    )
    f = p.add_argument_group("faults")
    f.add_argument("--fault-seed", type=int, default=0, help="seed of the fault RNG")
    f.add_argument("--error-rate", type=float, default=0.0, help="share of 500/503 answers")
    f.add_argument("--rate-limit-rate", type=float, default=0.0, help="share of 429 answers")
    f.add_argument("--retry-after", type=int, default=1, help="Retry-After seconds")
    f.add_argument(
        "--drop-rate",
        type=float,
        default=0.0,
        help="share of answers whose connection is reset mid-body",
    )
    f.add_argument(
        "--truncate-rate", type=float, default=0.0, help="share of answers cut short (clean close)"
    )
    f.add_argument(
        "--subsample-cap",
        type=int,
        default=None,
        help="points per datatype in JSON/CSV data answers (default 65535)",
    )
    f.add_argument(
        "--path-pattern", default=None, help="regular expression: faults only on matching paths"
    )
    return p


def _faults(args: argparse.Namespace) -> FaultConfig | None:
    cfg = FaultConfig(
        seed=args.fault_seed,
        error_rate=args.error_rate,
        rate_limit_rate=args.rate_limit_rate,
        retry_after=args.retry_after,
        drop_rate=args.drop_rate,
        truncate_rate=args.truncate_rate,
        subsample_cap=args.subsample_cap,
        path_pattern=args.path_pattern,
    )
    return None if cfg == FaultConfig(seed=args.fault_seed) else cfg


def banner(emu: Emulator) -> str:
    """The text printed when the emulator starts: URL and demo credentials."""
    lines = [
        f"Hexoskin API emulator serving at {emu.url}  (API root {emu.api_url})",
        "",
        "Demo users (email / password / API key public, private):",
    ]
    for role, info in DEMO_USERS.items():
        lines.append(
            f"  {info['id']} {role:9s} {info['email']} / {info['password']} / "
            f"{info['api_key']}, {info['api_secret']}"
        )
    lines += [
        f"OAuth2 client: {OAUTH_CLIENT['client_id']} / {OAUTH_CLIENT['client_secret']}"
        f"  (token endpoint {emu.url}/api/connect/oauth2/token/)"
    ]
    if emu.imported:
        lines.append(
            "Imported records: "
            + ", ".join(f"{rid} <- {path}" for rid, path in sorted(emu.imported.items()))
        )
    net = emu.network
    if net.latency or net.bandwidth:
        link = f"{net.bandwidth / 1e6:g} MB/s shared" if net.bandwidth else "unlimited"
        lines.append(f"Network shaping: {net.latency * 1e3:g} ms per request, link {link}")
    athlete = DEMO_USERS["athlete"]
    lines += [
        "",
        "To use it from another shell (as the demo athlete), paste:",
        f"  export HEXOSKIN_URL={emu.url}",
        f"  export HEXOSKIN_USERNAME={athlete['email']}",
        f"  export HEXOSKIN_PASSWORD={athlete['password']}",
        *([f"  export HEXOSKIN_TICK_RATE={emu.clock.tick_rate}"] if not emu.clock.native else []),
        "",
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run ``hexoframe emulator``; returns the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments after ``emulator`` (default ``sys.argv[1:]``).
    out : text stream, optional
        Where to print the banner (default stdout).

    Examples
    --------
    >>> main(["--help"])  # doctest: +SKIP
    """
    out = out or sys.stdout
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        faults = _faults(args)
    except ValueError as exc:
        print(f"hexoframe emulator: {exc}", file=sys.stderr)
        return 2
    try:
        emu = Emulator(
            host=args.host,
            port=args.port,
            db=args.db,
            seed=args.seed,
            imports=args.imports,
            faults=faults,
            token_ttl=args.token_ttl,
            signature_window=args.signature_window,
            tick_rate=args.tick_rate,
            latency=args.latency,
            bandwidth=args.bandwidth,
            answer_cache=args.answer_cache,
        )
        emu.start()
    except (OSError, ValueError, OverflowError, sqlite3.Error, HexoskinError) as exc:
        where = f" (database {args.db!r})" if isinstance(exc, sqlite3.Error) else ""
        print(f"hexoframe emulator: cannot start{where}: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(banner(emu), file=out, flush=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    print("emulator stopped", file=out, flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
