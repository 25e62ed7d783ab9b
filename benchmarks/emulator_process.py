"""The emulator in a child process, for benchmarks.

A server thread in the benchmark's own interpreter would compete with the client for the
GIL and time both at once, so every benchmark runs the emulator through this.

Examples
--------
>>> with EmulatorProcess() as server:  # doctest: +SKIP
...     server.reset_stats(); ...; total, data = server.stats()
"""

from __future__ import annotations

import multiprocessing as mp
from typing import Any


def _serve(conn: Any, options: dict[str, Any]) -> None:
    from hexoframe.emulator import Emulator

    with Emulator(**options) as emu:
        conn.send(emu.url)
        while True:
            cmd = conn.recv()
            if cmd == "stats":
                conn.send((emu.stats.total, emu.stats.data_requests))
            elif cmd == "network":
                conn.send(emu.network_stats)
            elif cmd == "faults":
                conn.send(emu.fault_counts)
            elif isinstance(cmd, tuple) and cmd[0] == "set_faults":
                emu.set_faults(cmd[1])
                conn.send(None)
            elif cmd == "reset":
                emu.reset_stats()
                conn.send(None)
            else:
                conn.send(None)
                return


class EmulatorProcess:
    """Start ``hexoframe.emulator.Emulator`` in a spawned process; ``.url`` is its root.

    Keyword arguments (``latency``, ``bandwidth``, ``faults``, ``answer_cache``...) go to
    ``Emulator``.
    """

    url: str

    def __init__(self, **options: Any) -> None:
        self.options = options

    def __enter__(self) -> EmulatorProcess:
        ctx = mp.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child, self.options), daemon=True)
        self._proc.start()
        self.url = self._conn.recv()
        return self

    def _ask(self, cmd: Any) -> Any:
        self._conn.send(cmd)
        return self._conn.recv()

    def stats(self) -> tuple[int, int]:
        """(all requests, data requests) served since the last reset."""
        return self._ask("stats")

    def reset_stats(self) -> None:
        """Zero the request counters (network counters too)."""
        self._ask("reset")

    def network(self) -> dict[str, Any]:
        """The emulator's network counters (``Emulator.network_stats``)."""
        return self._ask("network")

    def fault_counts(self) -> dict[str, int]:
        """Faults injected since the last ``set_faults``, by kind."""
        return self._ask("faults")

    def set_faults(self, faults: Any) -> None:
        """Replace the fault configuration (a ``FaultConfig`` or ``None``)."""
        self._ask(("set_faults", faults))

    def __exit__(self, *exc: Any) -> None:
        self._ask("stop")
        self._proc.join(10)
