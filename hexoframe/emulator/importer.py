"""Serve a real Hexoskin export (folder or zip) as an emulator record, bit for bit.

An export holds ``info.json``, one ``<stem>.wav`` per synchronous channel and one
``<stem>.csv`` per asynchronous channel (``time [s]`` since the record start in exact
1/256 s steps, raw values).  The source returned by :func:`open_export` has the same
``samples(datatype, start, end)`` API as the synthetic sources, returning the files'
raw values unchanged:

* WAV samples are read as signed or unsigned int16 per the catalogue's ``signed``; sample
  k lies at ``start + k*step`` (above 1 Hz) or ``start + (k+1)*step`` (1 Hz and slower).
  Channels keep their own lengths.
* CSV times become ticks exactly (``round(t * 256)``; they are multiples of 1/256 s).
  Rows whose value is NaN (the open/close markers of position intervals) are skipped.
* The record spans ``[start, end)`` with ``start`` from ``info.json`` and ``end`` one
  tick past the latest sample of any channel (at least the longest high-rate channel's
  span), so every sample of every file lies inside the record.

Example
-------
>>> src = open_export("../shared/fixtures/hexoskin-export-122445")
>>> src.samples("ECG_I", src.start, src.end)[1][:3].tolist()
[1392, 1395, 1391]
"""

from __future__ import annotations

import functools
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from hexoframe.core import catalog
from hexoframe.core.catalog import Datatype

__all__ = ["ExportSource", "open_export", "record_bounds", "export_bounds"]

_EMPTY = np.zeros(0, dtype=np.int64)


def _read_files(path: Path) -> dict[str, bytes]:
    """Top-level files of an export (the folder holding ``info.json``), by name."""
    if path.is_dir():
        return {p.name: p.read_bytes() for p in sorted(path.iterdir()) if p.is_file()}
    with zipfile.ZipFile(path) as zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
        infos = [n for n in names if PurePosixPath(n).name == "info.json"]
        if not infos:
            raise ValueError(f"{path}: no info.json in the archive")
        base = str(PurePosixPath(min(infos, key=len)).parent)
        out = {}
        for n in names:
            p = PurePosixPath(n)
            if str(p.parent) == base:
                out[p.name] = zf.read(n)
        return out


@dataclass
class ExportSource:
    """A real export's channels, served with the synthetic sources' ``samples`` API.

    Attributes
    ----------
    start, end : int
        Record bounds in ticks.
    record_id, user_id : int or None
        From ``info.json`` (``request``/``algo.record_id`` and ``user``).
    info : dict
        The export's ``info.json``.
    channels : dict
        Datatype id -> (ticks, raw) arrays.
    """

    start: int
    end: int
    record_id: int | None
    user_id: int | None
    info: dict[str, Any]
    channels: dict[int, tuple[np.ndarray, np.ndarray]] = field(repr=False)

    def samples(
        self, datatype: Datatype | int | str, start: int, end: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Samples of one datatype with ``start <= ticks < end`` (raw file values).

        Example
        -------
        >>> src = ExportSource(0, 512, 1, 1, {}, {19: (np.array([256]), np.array([70]))})
        >>> src.samples(19, 0, 512)[1].tolist()
        [70]
        """
        dt = catalog.lookup(datatype)
        ch = self.channels.get(dt.id)
        if ch is None:
            return _EMPTY, _EMPTY
        ts, raw = ch
        lo = max(int(start), self.start)
        hi = min(int(end), self.end)
        i0, i1 = np.searchsorted(ts, [lo, hi], side="left")
        if i1 <= i0:
            return _EMPTY, _EMPTY
        return ts[i0:i1], raw[i0:i1]


def _load(path: Path) -> ExportSource:
    """The export decoded by hexoframe's own reader (:func:`hexoframe.formats.exports.open_export`:
    one rule for the record start, the layouts and the file formats), as raw integers."""
    from hexoframe.formats.exports import open_export as decode_export

    export = decode_export(path)
    start = int(export.start)
    channels: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    end = start + 1
    for dt, ticks, raw in export.channels.values():
        if dt.id == 0:  # a channel the catalogue does not know: nothing serves it
            continue
        values = np.asarray(raw)
        if values.dtype.kind == "f":  # event CSV: NaN rows mark intervals, values are raw
            keep = np.isfinite(values)
            ticks, values = ticks[keep], np.rint(values[keep])
        values = values.astype(np.int64)
        order = np.argsort(ticks, kind="stable")
        channels[dt.id] = (ticks[order], values[order])
        if ticks.size:
            last = int(ticks.max())
            end = max(end, last + (1 if dt.is_async or dt.end_stamped else int(dt.step_ticks)))  # type: ignore[arg-type]
    info = export.info
    rid = None
    m = re.search(r"record=(\d+)", str(info.get("request", "")))
    if m:
        rid = int(m.group(1))
    elif isinstance(info.get("algo"), dict) and info["algo"].get("record_id"):
        rid = int(info["algo"]["record_id"])
    return ExportSource(start, end, rid, export.user, info, channels)


@functools.lru_cache(maxsize=8)
def _cached(path: str, mtime: float) -> ExportSource:
    return _load(Path(path))


def open_export(path: str | Path) -> ExportSource:
    """The source of an export folder or zip (cached per path and modification time).

    Parameters
    ----------
    path : str or Path
        Folder with ``info.json`` + WAV + CSV, or a zip of one (files may sit in a folder).

    Example
    -------
    >>> src = open_export("../shared/fixtures/hexoskin-export-122445")
    >>> src.record_id, src.end - src.start
    (122445, 33281)
    """
    p = Path(path).resolve()
    return _cached(str(p), p.stat().st_mtime)


def export_bounds(path: str | Path) -> tuple[int, int, int | None, int | None]:
    """(start_ticks, end_ticks, record_id, user_id) of an export folder or zip.

    Example
    -------
    >>> export_bounds("../shared/fixtures/hexoskin-export-122445")
    (382085877327, 382085910608, 122445, 11136)
    """
    src = open_export(path)
    return src.start, src.end, src.record_id, src.user_id


def record_bounds(path: str | Path) -> tuple[int | None, int, int]:
    """(record_id, start_ticks, end_ticks) of an export, the shape the store consumes.

    ``hexoframe.emulator.store.add_import`` unpacks a 3-tuple ``(rid, start, end)``;
    :func:`export_bounds` also gives the export's user.

    Example
    -------
    >>> record_bounds("../shared/fixtures/hexoskin-export-122445")
    (122445, 382085877327, 382085910608)
    """
    src = open_export(path)
    return src.record_id, src.start, src.end


def export_bytes(path: str | Path) -> bytes:
    """The export as a zip archive in memory (used by tests and tools).

    Example
    -------
    >>> export_bytes("../shared/fixtures/hexoskin-export-122445")[:2]
    b'PK'
    """
    files = _read_files(Path(path))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()
