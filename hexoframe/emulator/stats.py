"""Request counters of the emulator (per path, and data-endpoint requests).

Examples
--------
>>> s = Stats(); s.count("/api/v1/record/"); s.total
1
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

__all__ = ["Stats"]


class Stats:
    """Thread-safe request counters.

    Examples
    --------
    >>> s = Stats(); s.count("/api/v1/data/", data=True); s["data_requests"]
    1
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._paths: Counter[str] = Counter()
        self._data = 0

    def count(self, path: str, data: bool = False) -> None:
        """Count one request to *path* (and one data request if *data*)."""
        with self._lock:
            self._paths[path] += 1
            if data:
                self._data += 1

    def mark_data(self) -> None:
        """Count one data request."""
        with self._lock:
            self._data += 1

    def reset(self) -> None:
        """Zero every counter."""
        with self._lock:
            self._paths.clear()
            self._data = 0

    @property
    def data_requests(self) -> int:
        """Requests to the data endpoint."""
        with self._lock:
            return self._data

    @property
    def by_path(self) -> dict[str, int]:
        """Requests per path (a copy)."""
        with self._lock:
            return dict(self._paths)

    @property
    def requests(self) -> dict[str, int]:
        """Alias of :attr:`by_path`."""
        return self.by_path

    @property
    def total(self) -> int:
        """All requests."""
        with self._lock:
            return sum(self._paths.values())

    def snapshot(self) -> dict[str, Any]:
        """All counters as a plain dict."""
        paths = self.by_path
        return {
            "total": sum(paths.values()),
            "data_requests": self.data_requests,
            "by_path": paths,
            "requests": dict(paths),
        }

    def __getitem__(self, key: str) -> Any:
        return self.snapshot()[key]

    def __repr__(self) -> str:
        return f"Stats({self.snapshot()!r})"
