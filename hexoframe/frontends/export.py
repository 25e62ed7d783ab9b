"""Write a record's export as the Hexoskin dashboard does: ``info.json``, one WAV per
synchronous channel and one CSV per event channel, in a folder or a zip.

The bytes come from the data engine (:mod:`hexoframe.frontends.sources` over the
planner's windows, binary answers by default, so values are the raw integers the
service stores); the layout is :mod:`hexoframe.formats.exports`'s (the ``hexoskin://``
filesystem lays a record out with the same functions) and the atomic write is
:mod:`hexoframe.formats.export_writer`'s. ``hexoframe export --record N OUT`` calls
:func:`write_export`.

Examples
--------
>>> import tempfile, pathlib
>>> out = write_export(37700, pathlib.Path(tempfile.mkdtemp()) / "record_37700.zip")
>>> hexoframe.read_export(out, datatypes="hr")["heart_rate"].iloc[:3].tolist()
[106, 108, 106]
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from hexoframe.core.errors import NotFound
from hexoframe.core.references import require_id
from hexoframe.formats.export_writer import Member, check_target, write_export_files
from hexoframe.formats.exports import (
    EXPORT_DATATYPES,
    export_event_csv,
    export_file_name,
    export_info,
    export_info_bytes,
    export_pcm,
    export_wav_header,
)
from hexoframe.frontends.sources import Source, open_source
from hexoframe.frontends.urls import parse_url

__all__ = ["write_export"]


def _members(src: Source, record: int, bar: Any) -> Iterator[Member]:
    """The export's files in the dashboard's order: ``info.json``, then each channel.
    Each WAV is fetched window by window as it is written."""
    info = export_info(
        src.start,
        user=src.user,
        request=f"/api/v1/data/?record={record}",
        algo=src.meta.get("algo"),
        tick_rate=src.tick_rate,
    )
    body = export_info_bytes(info)
    yield "info.json", len(body), [body]
    for reader in src.channels:
        dt = reader.datatype
        name = export_file_name(dt)
        if dt.is_async:
            ticks, raw = reader.read_events("raw")
            data = export_event_csv(dt, src.start, ticks, raw, src.tick_rate)
            yield name, len(data), [data]
            continue
        header = export_wav_header(dt, reader.count)
        yield name, len(header) + 2 * reader.count, _wav_pieces(reader, header, bar)


def _wav_pieces(reader: Any, header: bytes, bar: Any) -> Iterable[bytes]:
    yield header
    for i0, i1 in reader.window_positions():
        yield export_pcm(reader.datatype, reader.read(i0, i1, "raw"))
        if bar is not None:
            bar.update(i1 - i0)


def write_export(
    record: int,
    path: str | os.PathLike[str],
    *,
    client: Any = None,
    overwrite: bool = False,
    method: str = "binary",
    progress: bool | None = None,
    **client_kwargs: Any,
) -> Path:
    """Write record ``record``'s export to ``path`` as the Hexoskin dashboard does.

    ``path`` becomes a folder, or a zip file when its name ends in ``.zip``, holding
    ``info.json`` (``timestamp``, ``request``, ``start``, ``user``, ``decoder_version``,
    ``start_date``, ``algo``), one ``<stem>.wav`` per synchronous channel of
    :data:`~hexoframe.formats.exports.EXPORT_DATATYPES` (raw 16-bit samples; samples the
    service lacks are 0) and one ``<stem>.csv`` per event channel (seconds from the
    record start, raw values). The dashboard's ``statistics.csv`` and
    ``matlab-converted/`` are not written. :func:`~hexoframe.formats.exports.read_export`
    and ``xr.open_dataset(path, engine="hexoskin")`` read it back into what
    ``read_hexoskin(record=record)`` gives.

    The export is written under a temporary name beside ``path`` and renamed at the end:
    a failure or Ctrl-C leaves nothing behind.

    Parameters
    ----------
    record : int
        The record id.
    path : str or PathLike
        The folder or ``.zip`` file to create.
    client : Client, optional
        A client to use (its owner closes it); by default one is made from
        ``client_kwargs`` or the environment and closed here.
    overwrite : bool
        Replace an existing ``path``; otherwise :class:`FileExistsError`.
    method : str
        Data-engine fetch method (``"binary"`` by default: the raw values as stored).
    progress : bool, optional
        A progress bar on stderr; by default only on a terminal for long exports.
    **client_kwargs
        ``Client`` arguments (``base_url``, ``username``, ``password``, ...).

    Returns
    -------
    Path
        Where the export now is.

    Raises
    ------
    NotFound
        No such record (nothing is written).
    FileExistsError
        ``path`` exists and ``overwrite`` is False (nothing is fetched).
    FileNotFoundError
        The folder that would hold ``path`` does not exist.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = write_export(37700, pathlib.Path(tempfile.mkdtemp()) / "record_37700",
    ...                       client=client)
    >>> sorted(p.name for p in folder.iterdir())[:4]
    ['ECG_I.wav', 'ECG_II.wav', 'ECG_III.wav', 'NN_interval.csv']
    """
    from hexoframe.api.client import obtain_client
    from hexoframe.data.fetch import progress_wanted

    rid = require_id(record, "record")
    check_target(path, overwrite)  # before any request
    client, owned = obtain_client(client, client_kwargs)
    try:
        try:
            src = open_source(
                parse_url(f"record/{rid}"), EXPORT_DATATYPES, client=client, method=method
            )
        except NotFound as exc:
            raise NotFound(
                f"Record {rid} was not found, or is not visible to this user.",
                status=exc.status,
                method=exc.method,
                url=exc.url,
            ) from None
        bar = None
        requests = sum(len(r.channel.windows) for r in src.channels)
        if progress_wanted(progress, requests):
            from tqdm.auto import tqdm

            total = sum(r.count for r in src.channels if not r.datatype.is_async)
            bar = tqdm(total=total, unit="sample", unit_scale=True, desc=f"record {rid}")
        try:
            return write_export_files(path, _members(src, rid, bar), overwrite=overwrite)
        finally:
            if bar is not None:
                bar.close()
    finally:
        if owned:
            client.close()
