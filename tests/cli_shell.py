"""Running the ``hexoframe`` command as a shell user types it: a child process whose
environment holds only the ``HEXOSKIN_*`` settings a test gives it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

#: The command, as ``hexoframe`` on a user's PATH runs it.
HEXOFRAME = [sys.executable, "-m", "hexoframe.cli"]


def shell_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without its ``HEXOSKIN_*`` settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEXOSKIN_")}
    env.update(extra or {})
    return env


def run_cli(
    args: Sequence[str],
    env_extra: Mapping[str, str] | None = None,
    *,
    cwd: str | Path | None = None,
    timeout: float = 240,
) -> subprocess.CompletedProcess[str]:
    """``hexoframe *args`` in a child process; its exit code, stdout and stderr."""
    return subprocess.run(
        [*HEXOFRAME, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=shell_env(env_extra),
        cwd=cwd,
    )


def interruptible() -> None:
    """In the child: SIGINT at its default, as for a shell's foreground job (a test runner
    may run with SIGINT ignored, and a child inherits that)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
