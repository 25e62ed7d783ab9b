"""Read a record export downloaded from the Hexoskin dashboard (folder or zip).

An export holds ``info.json`` (record start as ``start`` or ``start_timestamp``), one WAV
per synchronous channel, one CSV per asynchronous channel (``time [s]`` from the record
start, exact in 1/256 s, raw values) and ``statistics.csv`` (server-computed summaries with
a second row of units). Binary answers of the data endpoint (WAV + ``.hxd``) read the same.

Examples
--------
>>> import hexoframe.formats.exports as ex
>>> df = ex.read_export("record_122445.zip", datatypes=["heart_rate"])  # doctest: +SKIP
>>> df["heart_rate"].mean()  # doctest: +SKIP
73.15625
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hexoframe.core import catalog
from hexoframe.core.catalog import Datatype
from hexoframe.core.errors import ExportFormatError, InvalidQueryError, ResponseError
from hexoframe.core.timestamps import TICKS_PER_SECOND, unix_seconds_to_ticks
from hexoframe.core.units import check_units
from hexoframe.data import assemble
from hexoframe.data.decode import ZipContents, decode_zip, parse_user, read_export_csv, read_wav

__all__ = ["Export", "open_export", "read_export", "read_statistics"]

logger = logging.getLogger("hexoframe")
_ID_IN_COLUMN = re.compile(r"\(/api/(?:v\d+/)?datatype/(\d+)/?\)")


@dataclass
class Export:
    """A decoded export: record start, user, raw channels and statistics.

    Attributes
    ----------
    info : dict
        ``info.json``.
    start : int
        Record start in ticks.
    user : int or None
    channels : dict
        ``name -> (Datatype, ticks int64, raw values, source)`` for every channel present,
        ``source`` being ``"raw"``.
    statistics : DataFrame or None
        ``statistics.csv`` (units in ``attrs["units"]``).
    """

    info: dict[str, Any]
    start: int
    user: int | None
    channels: dict[str, tuple[Datatype, np.ndarray, np.ndarray]] = field(default_factory=dict)
    statistics: pd.DataFrame | None = None
    tick_rate: int = TICKS_PER_SECOND

    def channel_names(self, datatypes: Any = None) -> list[str]:
        """Names of the channels to read: those asked for, or all (fastest first).

        Raises
        ------
        InvalidQueryError
            When a datatype asked for is not in the export; the message lists what is.

        Examples
        --------
        >>> export.channel_names(["hr", "rr"])
        ['heart_rate', 'rr_interval']
        """
        if datatypes is None:
            return sorted(
                self.channels,
                key=lambda n: (
                    self.channels[n][0].freq is None,
                    -(self.channels[n][0].freq or 0),
                    n,
                ),
            )
        wanted = catalog.resolve(datatypes)
        missing = [dt.name for dt in wanted if dt.name not in self.channels]
        if missing:
            raise InvalidQueryError(
                f"The export has no {', '.join(missing)}; "
                f"it holds {', '.join(sorted(self.channels))}."
            )
        return [dt.name for dt in wanted]

    def series(self, name: str, units: str = "api", index_cache: dict | None = None) -> pd.Series:
        """One channel as a Series in ``units``.

        Examples
        --------
        >>> float(export.series("heart_rate").mean())
        73.15625
        """
        dt, ticks, raw = self.channels[name]
        step = dt.step_ticks
        grid = None
        if step is not None and ticks.size and ticks[-1] - ticks[0] == (ticks.size - 1) * step:
            grid = (int(ticks[0]), step)  # WAV channels: first + k*step by construction
        return assemble.channel_series(
            dt,
            ticks,
            raw,
            source="raw",
            units=units,
            tick_rate=self.tick_rate,
            user=self.user,
            grid=grid,
            index_cache=index_cache,
        )


def _record_start(info: dict[str, Any]) -> int:
    for key in ("start", "start_timestamp"):
        value = info.get(key)
        if value is not None:
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not (0 <= value < 2**53 and float(value).is_integer())
            ):
                raise ResponseError(f"info.json {key!r} is {value!r}, not a tick count.")
            return int(value)
    value = info.get("timestamp")
    if value is not None:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not (0 <= value < 2**33)
        ):
            raise ResponseError(f"info.json 'timestamp' is {value!r}, not Unix seconds.")
        return unix_seconds_to_ticks(float(value))
    raise ResponseError("info.json has no 'start', 'start_timestamp' or 'timestamp'.")


def _read_folder(path: Path) -> ZipContents:
    out = ZipContents()
    for entry in sorted(path.iterdir()):
        if not entry.is_file() or entry.name.startswith("."):
            continue
        stem, ext = entry.stem, entry.suffix.lower()
        if ext == ".json" and stem == "info":
            out.info = json.loads(entry.read_bytes())
        elif ext == ".wav":
            out.wav[stem] = entry.read_bytes()
        elif ext == ".csv":
            out.csv[stem] = entry.read_bytes()
        elif ext == ".hxd":
            from hexoframe.data.decode import read_hxd

            out.hxd[stem] = read_hxd(entry.read_bytes())
    return out


def _datatype_for(stem: str, rate_field: int | None = None, column: str = "") -> Datatype:
    """The datatype of an export file: the id its CSV column names
    (``RR_interval [s/256](/api/datatype/18/)``), else its stem, else a stand-in."""
    named = _ID_IN_COLUMN.search(column)
    if named is not None:
        try:
            return catalog.lookup(int(named.group(1)))
        except InvalidQueryError:
            pass  # an id the catalogue does not know: fall back on the stem
    dt = catalog.by_stem(stem)
    if dt is not None:
        return dt
    try:
        return catalog.lookup(stem)
    except InvalidQueryError:
        pass
    freq = None if rate_field is None else float(rate_field)
    logger.warning(
        "Export channel %r is not in the datatype catalogue; read with rate %s", stem, freq
    )
    return Datatype(
        id=0,
        name=stem.lower(),
        stem=stem,
        api_name=stem,
        freq=freq,
        unit="",
        unit_raw="",
        kind="sync" if freq else "async",
    )


def read_statistics(data: bytes | str | Path) -> pd.DataFrame:
    """Read ``statistics.csv``: one row per record; units in ``attrs["units"]``.

    Examples
    --------
    >>> text = "uri,heartrate_avg\\n,bpm\\n/api/record/1/,73.15625\\n"
    >>> st = read_statistics(text)
    >>> float(st["heartrate_avg"].iloc[0]), st.attrs["units"]["heartrate_avg"]
    (73.15625, 'bpm')
    """
    if isinstance(data, Path):
        data = data.read_bytes()
    if isinstance(data, str):
        data = data.encode()
    lines = data.splitlines(keepends=True)
    if len(lines) < 2:
        raise ResponseError("statistics.csv needs a header and a units row.")
    header = pd.read_csv(io.BytesIO(lines[0] + lines[1]), dtype=str, keep_default_na=False)
    units = {col: str(header[col].iloc[0]) for col in header.columns}
    frame = pd.read_csv(io.BytesIO(lines[0] + b"".join(lines[2:])))
    frame.attrs["units"] = units
    return frame


def open_export(path: str | os.PathLike[str] | bytes | Any) -> Export:
    """Decode an export folder, zip file, zip bytes or binary data answer.

    Parameters
    ----------
    path : str, PathLike, bytes or file object

    Returns
    -------
    Export

    Examples
    --------
    >>> ex = open_export("hexoskin-export-122445/")  # doctest: +SKIP
    >>> sorted(ex.channels)[:2]  # doctest: +SKIP
    ['acceleration_x', 'acceleration_y']
    """
    if isinstance(path, (str, os.PathLike)) and Path(path).suffix.lower() == ".edf":
        from hexoframe.formats import edf  # EDF+ files (issue 11)

        return edf.read_edf_export(path)
    if isinstance(path, (str, os.PathLike)):
        p = Path(path)
        if not p.exists():
            raise InvalidQueryError(f"No export at {str(p)!r}.")
        where = str(p)
    else:
        p = None
        where = getattr(path, "name", None) or f"<{type(path).__name__} export>"
    try:
        return _decode(p, path)
    except ExportFormatError:
        raise
    except (
        ResponseError,
        ValueError,
        TypeError,
        KeyError,
        AttributeError,
        EOFError,
        OSError,
        zipfile.BadZipFile,
        zlib.error,
        struct.error,
        OverflowError,
        NotImplementedError,
    ) as exc:
        if isinstance(exc, (FileNotFoundError, PermissionError, InvalidQueryError)):
            raise
        problem = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        raise ExportFormatError(where, problem) from exc


def _member(name: str, read: Any, *args: Any, **kwargs: Any) -> Any:
    """``read(*args)``, with ``name`` put in front of the message of a damaged file."""
    try:
        return read(*args, **kwargs)
    except (ResponseError, ValueError, struct.error, OverflowError) as exc:
        problem = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        raise ResponseError(f"{name}: {problem}") from exc


def _decode(p: Path | None, path: Any) -> Export:
    """Decode an export; errors here are turned into :class:`ExportFormatError`."""
    if p is not None:
        contents = _read_folder(p) if p.is_dir() else decode_zip(p)
    else:
        contents = decode_zip(path)
    if not contents.info:
        raise ResponseError("Not a Hexoskin export: info.json is missing.")
    if not isinstance(contents.info, dict):
        raise ResponseError("info.json is not a JSON object.")
    start = _record_start(contents.info)
    user = parse_user(contents.info.get("user"))
    export = Export(info=contents.info, start=start, user=user)
    for stem, data in contents.wav.items():
        dt = catalog.by_stem(stem)
        signed = dt.signed if dt is not None else True
        rate_field, raw = _member(f"{stem}.wav", read_wav, data, signed=signed)
        if dt is None:
            dt = _datatype_for(stem, rate_field)
        step = dt.step_ticks
        if step is None:
            raise ResponseError(f"{stem}.wav holds an asynchronous datatype.")
        ticks = start + dt.first_offset + np.arange(raw.size, dtype=np.int64) * np.int64(step)
        export.channels[dt.name] = (dt, ticks, raw)
    for stem, (ticks, raw) in contents.hxd.items():
        dt = _datatype_for(stem)
        export.channels[dt.name] = (dt, ticks, raw)
    for stem, data in contents.csv.items():
        if stem == "statistics":
            export.statistics = _member("statistics.csv", read_statistics, data)
            continue
        column, offsets, raw = _member(f"{stem}.csv", read_export_csv, data)
        dt = _datatype_for(stem, column=column)
        export.channels[dt.name] = (dt, start + offsets, raw)
    return export


def read_export(
    path: str | os.PathLike[str] | bytes | Any,
    *,
    datatypes: Iterable[int | str] | int | str | None = None,
    units: str = "api",
    how: str = "outer",
) -> pd.DataFrame | dict[str, pd.Series]:
    """Read a dashboard export (folder or zip) into pandas, like :func:`read_hexoskin`.

    Parameters
    ----------
    path : str, PathLike, bytes or file object
        Export folder, ``.zip`` file, or zip bytes.
    datatypes : datatype key(s), optional
        Restrict to these (ids, names or aliases); all channels present by default.
    units : {"api", "raw", "physical"}
        Values in the API unit (default, as JSON answers give them), raw integers or
        physical units.
    how : {"outer", "long", "dict"}
        Wide DataFrame, tidy DataFrame or ``{name: Series}``.

    Returns
    -------
    DataFrame or dict
        ``attrs["hexoskin"]`` holds ``info``, ``start`` (ticks), ``user``, ``statistics``
        (records) and per-column units.

    Examples
    --------
    >>> df = read_export("record_122445.zip", datatypes=["hr", "br"])  # doctest: +SKIP
    >>> round(df["heart_rate"].mean(), 5)  # doctest: +SKIP
    73.15625
    """
    check_units(units)
    assemble.check_how(how)
    export = open_export(path)
    names = export.channel_names(datatypes)
    shared: dict = {}
    series = [export.series(name, units, index_cache=shared) for name in names]
    meta: dict[str, Any] = {
        "source": "export",
        "info": export.info,
        "start": export.start,
        "user": export.user,
        "units": units,
    }
    if export.statistics is not None:
        meta["statistics"] = export.statistics.to_dict(orient="records")
        meta["statistics_units"] = export.statistics.attrs.get("units", {})
    return assemble.combine(series, how=how, attrs=meta)
