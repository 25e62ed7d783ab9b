"""Caches of the data endpoint: rendered answers and per-record signal sources.

Examples
--------
>>> cache = AnswerCache()
>>> cache.put(("k",), 200, {}, b"body")
>>> cache.get(("k",))[2]
b'body'
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["ANSWER_CACHE_BYTES", "AnswerCache", "SourceCache"]

#: Default bound of the data answers kept. A week of ECG is 134 MB as the lazy engine's
#: zips and 444 MB with the in-memory read's as well: benchmarks that re-read it ask for
#: more (``Emulator(answer_cache=...)``, ``hexoframe emulator --answer-cache``).
ANSWER_CACHE_BYTES = 128_000_000

#: A cached answer: status, headers, body, time stored (Unix seconds).
Entry = tuple[int, dict, bytes, float]


class AnswerCache:
    """Thread-safe LRU of data answers, bounded by count and total body size.

    Parameters
    ----------
    max_entries : int
        Most answers kept.
    max_bytes : int
        Most body bytes kept in all.
    max_body : int
        Bodies larger than this are not cached.
    """

    def __init__(
        self,
        max_entries: int = 256,
        max_bytes: int = ANSWER_CACHE_BYTES,
        max_body: int = 16_000_000,
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_body = max_body
        self._entries: OrderedDict[tuple, Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Entry | None:
        """A cached answer ``(status, headers, body, stored_at)``, or ``None``."""
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
            return hit

    def put(self, key: tuple, status: int, headers: dict, body: bytes) -> None:
        """Remember an answer, dropping the least recently used beyond the bounds."""
        if len(body) > self.max_body:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old[2])
            self._entries[key] = (status, dict(headers), body, time.time())
            self._bytes += len(body)
            while self._entries and (
                len(self._entries) > self.max_entries or self._bytes > self.max_bytes
            ):
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped[2])

    def clear(self) -> None:
        """Forget every answer."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0


class SourceCache:
    """Thread-safe LRU of the signal sources of stored records.

    Parameters
    ----------
    factory : callable
        ``factory(record)`` builds a source from ``{"id", "user", "start", "end",
        "import_path"}``.
    max_entries : int
        Most sources kept.
    """

    def __init__(self, factory: Callable[[dict[str, Any]], Any], max_entries: int = 64) -> None:
        self.factory = factory
        self.max_entries = max_entries
        self._sources: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, record: Mapping[str, Any], import_path: str | None) -> Any:
        """The source of *record* (served from *import_path* when it is an import).

        Parameters
        ----------
        record : mapping
            A stored record (``id``, ``user``, ``start``, ``end``).
        import_path : str or None
            The export the record was imported from.

        Returns
        -------
        Any
            An object with ``samples(datatype, start, end)``.
        """
        rec = {
            "id": record["id"],
            "user": record["user"],
            "start": record["start"],
            "end": record["end"],
            "import_path": import_path,
        }
        key = (rec["id"], rec["user"], rec["start"], rec["end"], rec["import_path"])
        with self._lock:
            src = self._sources.get(key)
            if src is not None:
                self._sources.move_to_end(key)
                return src
        src = self.factory(rec)
        with self._lock:
            self._sources[key] = src
            while len(self._sources) > self.max_entries:
                self._sources.popitem(last=False)
        return src
