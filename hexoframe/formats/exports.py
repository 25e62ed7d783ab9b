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
from hexoframe.core.timestamps import (
    TICKS_PER_SECOND,
    ticks_to_datetime64,
    unix_seconds_to_ticks,
)
from hexoframe.core.units import check_units
from hexoframe.data import assemble
from hexoframe.data.decode import ZipContents, decode_zip, parse_user, read_export_csv, read_wav
from hexoframe.formats.binformats import (
    export_csv_bytes,
    hxd_bytes,
    pcm_bytes,
    rate_field,
    wav_header,
)

__all__ = [
    "EXPORT_DATATYPES",
    "Export",
    "export_event_csv",
    "export_file_name",
    "export_hxd",
    "export_info",
    "export_info_bytes",
    "export_pcm",
    "export_wav_header",
    "open_export",
    "read_export",
    "read_statistics",
]

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


# ---------------------------------------------------------------------------------------
# The layout, as written: one rule for the ``hexoskin://`` filesystem and ``write_export``
# ---------------------------------------------------------------------------------------

#: The channels of a Hexoskin dashboard export, by canonical name: one ``<stem>.wav`` per
#: synchronous channel and one ``<stem>.csv`` per asynchronous one (``statistics.csv``
#: and the ``matlab-converted/`` copy are the dashboard's own and not written here).
EXPORT_DATATYPES: tuple[str, ...] = (
    "ecg_i",
    "ecg_ii",
    "ecg_iii",
    "respiration_thoracic",
    "respiration_abdominal",
    "acceleration_x",
    "acceleration_y",
    "acceleration_z",
    "ppg",
    "heart_rate",
    "heart_rate_quality",
    "breathing_rate",
    "breathing_rate_quality",
    "minute_ventilation",
    "minute_ventilation_adjusted",
    "tidal_volume",
    "tidal_volume_adjusted",
    "activity",
    "cadence",
    "spo2",
    "spo2_quality",
    "systolic_pressure",
    "temperature",
    "temperature_celcius",
    "temperature_quality",
    "rr_interval",
    "rr_interval_quality",
    "nn_interval",
    "inspiration",
    "expiration",
    "step",
    "device_position",
    "sleep_position",
)

#: ``decoder_version`` written in ``info.json`` by hexoframe.
DECODER_VERSION = "hexoframe"


def export_file_name(dt: Datatype) -> str:
    """The file of a channel in an export: ``<stem>.wav`` or, for events, ``<stem>.csv``.

    Examples
    --------
    >>> export_file_name(catalog.lookup("ecg")), export_file_name(catalog.lookup("rr"))
    ('ECG_I.wav', 'RR_interval.csv')
    """
    return f"{dt.stem}.csv" if dt.is_async else f"{dt.stem}.wav"


def export_info(
    start: int,
    *,
    user: Any,
    request: str | None,
    algo: Any = None,
    tick_rate: int = TICKS_PER_SECOND,
) -> dict[str, Any]:
    """``info.json`` of an export, with the dashboard's keys in its order: ``timestamp``
    (Unix seconds), ``request``, ``start`` (ticks), ``user``, ``decoder_version``,
    ``start_date`` (naive UTC, to the microsecond) and ``algo``.

    Examples
    --------
    >>> info = export_info(382085877327, user=11136, request="/api/v1/data/?record=122445")
    >>> info["timestamp"], info["start_date"]
    (1492522958.3085938, '2017-04-18T13:42:38.308594')
    """
    stamp = pd.Timestamp(ticks_to_datetime64(int(start), tick_rate))
    return {
        "timestamp": int(start) / tick_rate,
        "request": request,
        "start": int(start),
        "user": user,
        "decoder_version": DECODER_VERSION,
        "start_date": stamp.round("us").isoformat(timespec="microseconds"),
        "algo": algo,
    }


def export_info_bytes(info: dict[str, Any]) -> bytes:
    """``info.json`` as the dashboard writes it (indented by 4).

    Examples
    --------
    >>> export_info_bytes({"start": 1})
    b'{\\n    "start": 1\\n}'
    """
    return json.dumps(info, indent=4).encode()


def export_wav_header(dt: Datatype, count: int) -> bytes:
    """The 44-byte WAV header of a channel of ``count`` samples.

    Examples
    --------
    >>> len(export_wav_header(catalog.lookup("hr"), 3599))
    44
    """
    return wav_header(2 * int(count), rate_field(dt.freq or 1.0))


def export_pcm(dt: Datatype, raw: np.ndarray) -> bytes:
    """Raw values as the channel's 16-bit PCM samples; missing ones (NaN) as 0.

    Examples
    --------
    >>> export_pcm(catalog.lookup("hr"), np.array([70.0, np.nan]))
    b'F\\x00\\x00\\x00'
    """
    return pcm_bytes(np.nan_to_num(np.asarray(raw, dtype=np.float64), nan=0.0), dt.signed)


def export_hxd(ticks: np.ndarray, raw: np.ndarray) -> bytes:
    """Events as ``.hxd`` (missing values as 0).

    Examples
    --------
    >>> len(export_hxd(np.array([1, 2]), np.array([191.0, np.nan])))
    32
    """
    return hxd_bytes(ticks, np.nan_to_num(raw).astype(np.int64))


def export_event_csv(
    dt: Datatype, start: int, ticks: np.ndarray, raw: np.ndarray, tick_rate: int = 256
) -> bytes:
    """An event channel as the export's CSV: ``time [s],<stem> [<unit_raw>](/api/datatype/<id>/)``,
    times in seconds from ``start``, raw values.

    Examples
    --------
    >>> export_event_csv(catalog.lookup("rr"), 0, np.array([1408]), np.array([191.0]))
    b'time [s],RR_interval [1/256 s](/api/datatype/18/)\\n5.5,191\\n'
    """
    secs = (np.asarray(ticks, np.int64) - start) / float(tick_rate)
    return export_csv_bytes(f"{dt.stem} [{dt.unit_raw}](/api/datatype/{dt.id}/)", secs, raw)
