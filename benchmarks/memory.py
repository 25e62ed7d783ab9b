"""Peak resident memory of the current process, for benchmarks.

``VmHWM`` of ``/proc/self/status`` (Linux): the RSS high-water mark of this process's own
address space. ``getrusage(...).ru_maxrss`` is kept across ``execve`` on Linux, so a
child started by a big parent would report the parent's peak; it is the fallback
elsewhere.
"""

from __future__ import annotations

import resource
from pathlib import Path


def peak_rss_mb() -> float:
    """Peak RSS of this process in MB (MiB)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
