"""The Hexoskin datatype catalogue: ids, names, rates, units and raw encodings.

Usable offline; :func:`refresh_from_service` updates rates and unit names from a live
``/api/datatype/`` listing.  Three unit levels exist for every datatype:

* raw (``unit_raw``): what binary answers (WAV, ``.hxd``) and exports hold;
* API (``unit``): what JSON and CSV answers hold, ``raw * api_scale``;
* physical (``physical_unit``): ``(raw - physical_offset) * physical_scale`` (mV, g, mL, s ...).

Where the service's own scale is uncertain (see ``hexoskin-facts.md``) the API unit is
the raw unit (scale 1) and ``info`` says so.

Examples
--------
>>> from hexoframe.core import catalog
>>> ecg = catalog.lookup("ecg")
>>> ecg.id, ecg.name, ecg.freq, ecg.step_ticks
(4113, 'ecg_i', 256.0, 1)
>>> catalog.lookup(18).unit, catalog.lookup("rr").api_scale
('s', 0.00390625)
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from hexoframe.core.errors import UnknownDatatypeError
from hexoframe.core.references import ref_key
from hexoframe.core.timebase import TimeBase
from hexoframe.core.timestamps import TICKS_PER_SECOND

#: The clock of the catalogue's own steps: the Hexoskin's 256 ticks per second.
_HEXOSKIN = TimeBase(TICKS_PER_SECOND)

__all__ = [
    "Datatype",
    "lookup",
    "resolve",
    "all_datatypes",
    "data_datatypes",
    "by_stem",
    "sample_count",
    "sample_ticks",
    "grid_start",
    "refresh_from_service",
    "POINT_CAP",
    "FLAG_BITS",
    "CODE_MEANINGS",
]

#: Points per datatype per JSON/CSV data answer above which the service subsamples (the
#: reference's "maximum of 65535 points"); the client plans below it, the emulator applies it.
POINT_CAP = 65535

#: Bit meanings of the quality bitmasks (hexoskin-facts.md), name -> mask.
FLAG_BITS: dict[str, dict[str, int]] = {
    "heart_rate_quality": {
        "disconnected": 0x02,
        "mains_noise": 0x04,
        "saturated": 0x08,
        "artifacts": 0x10,
        "unreliable_rr": 0x20,
    },
    "breathing_rate_quality": {
        "channel_a_missing": 0x01,
        "channel_b_missing": 0x02,
        "baseline_change_a": 0x04,
        "baseline_change_b": 0x08,
        "noisy_a": 0x10,
        "noisy_b": 0x20,
    },
    "rr_interval_quality": {"noisy": 0x01, "unreliable": 0x80},
}
#: Coded channels: their codes (0-6, hexoskin-facts.md). What each code means is not
#: published, so the names only say the code.
CODE_MEANINGS: dict[str, dict[str, int]] = {
    name: {f"code_{k}": k for k in range(7)}
    for name in ("device_position", "sleep_position", "sleep_phase")
}


@dataclass(frozen=True)
class Datatype:
    """One Hexoskin datatype.

    Attributes
    ----------
    id : int
        The service's datatype id (``/api/v1/datatype/<id>/``).
    name : str
        Canonical name: the export file stem in lower case (``ecg_i``, ``heart_rate``).
    stem : str
        Export file stem (``ECG_I`` -> ``ECG_I.wav``, ``RR_interval`` -> ``RR_interval.csv``).
    api_name : str
        The ``name`` field the service gives the datatype.
    freq : float or None
        Sampling rate in Hz; ``None`` for asynchronous (event) datatypes.
    unit, unit_raw : str
        Unit of JSON/CSV values and of binary values.
    api_scale : float
        ``unit = raw * api_scale``.
    physical_unit, physical_scale, physical_offset
        ``physical = (raw - physical_offset) * physical_scale``.
    signed : bool
        Whether WAV samples are signed int16 (ECG, acceleration) or unsigned (respiration, PPG).
    kind : str
        ``"sync"``, ``"async"`` or ``"annotation"`` (no data samples).
    aliases : tuple of str
        Other names accepted by :func:`lookup`.
    info : str
        Description, including what is uncertain about the datatype.
    """

    id: int
    name: str
    stem: str
    api_name: str
    freq: float | None
    unit: str
    unit_raw: str
    api_scale: float = 1.0
    physical_unit: str = ""
    physical_scale: float = 1.0
    physical_offset: float = 0.0
    signed: bool = True
    kind: str = "sync"
    aliases: tuple[str, ...] = field(default=())
    info: str = ""

    @property
    def is_async(self) -> bool:
        """True for event datatypes (no fixed rate)."""
        return self.freq is None

    @property
    def step_ticks(self) -> int | None:
        """Ticks between samples at the Hexoskin's 256 ticks/s (``None`` for events).

        The steps of another time base come from :class:`hexoframe.core.timebase.TimeBase`.
        """
        return None if self.freq is None else int(_HEXOSKIN.step(self))

    @property
    def step(self) -> int:
        """Ticks between samples of a sync datatype at 256 ticks/s (``InvalidQueryError``
        for events).

        Examples
        --------
        >>> lookup("hr").step
        256
        """
        return int(_HEXOSKIN.step(self))

    @property
    def end_stamped(self) -> bool:
        """True for 1 Hz and slower: a sample is stamped at the end of its interval."""
        return self.freq is not None and self.freq <= 1.0

    @property
    def first_offset(self) -> int:
        """Ticks at 256 ticks/s from a record's start to its first sample (0, or one step
        if end-stamped)."""
        return _HEXOSKIN.first_offset(self)

    @property
    def hexo_freq(self) -> int | None:
        """The service's deprecated ``hexo_freq``: ticks between samples."""
        return self.step_ticks

    def to_api(self, raw: Any) -> Any:
        """Raw values to the API unit."""
        if self.api_scale == 1.0:
            return raw
        return np.asarray(raw, dtype=np.float64) * self.api_scale

    def to_physical(self, raw: Any) -> Any:
        """Raw values to the physical unit."""
        return (np.asarray(raw, dtype=np.float64) - self.physical_offset) * self.physical_scale

    def as_resource(self) -> dict[str, Any]:
        """The datatype as the ``/api/v1/datatype/`` resource lists it."""
        return {
            "id": self.id,
            "dataid": self.id,
            "name": self.api_name,
            "info": self.info,
            "freq": self.freq,
            "hexo_freq": self.hexo_freq,
            "unit": self.unit,
            "unit_raw": self.unit_raw,
            "resource_uri": f"/api/v1/datatype/{self.id}/",
        }


def _dt(
    id: int,  # noqa: A002 - the service field it builds
    stem: str,
    freq: float | None,
    unit: str,
    unit_raw: str | None = None,
    api_scale: float = 1.0,
    *,
    physical: tuple[str, float, float] | None = None,
    signed: bool = True,
    kind: str | None = None,
    aliases: tuple[str, ...] = (),
    info: str = "",
    api_name: str | None = None,
) -> Datatype:
    unit_raw = unit if unit_raw is None else unit_raw
    if physical is None:
        physical = (unit, api_scale, 0.0)
    if kind is None:
        kind = "async" if freq is None else "sync"
    return Datatype(
        id=id,
        name=stem.lower(),
        stem=stem,
        api_name=api_name or stem.upper(),
        freq=freq,
        unit=unit,
        unit_raw=unit_raw,
        api_scale=api_scale,
        physical_unit=physical[0],
        physical_scale=physical[1],
        physical_offset=physical[2],
        signed=signed,
        kind=kind,
        aliases=aliases,
        info=info,
    )


_ECG_MV = ("mV", 0.0064, 1360.0)
_ACC_G = ("g", 1.0 / 256.0, 0.0)
_RESP_ML = ("mL", 13.28, 0.0)
_HRV = 1.0 / 300.0

_CATALOG: tuple[Datatype, ...] = (
    # raw high-rate channels: JSON values are the raw counts, as the service's own examples show
    _dt(
        4113,
        "ECG_I",
        256.0,
        "ADC",
        physical=_ECG_MV,
        aliases=("ecg", "ecg1", "ecg_1"),
        info="ECG lead I, 12-bit ADC counts; mV = (raw - 1360) * 0.0064.",
    ),
    _dt(
        4114,
        "ECG_II",
        256.0,
        "ADC",
        physical=_ECG_MV,
        aliases=("ecg2", "ecg_2"),
        info="ECG lead II (Astroskin), 12-bit ADC counts.",
    ),
    _dt(
        4115,
        "ECG_III",
        256.0,
        "ADC",
        physical=_ECG_MV,
        aliases=("ecg3", "ecg_3"),
        info="ECG lead III (Astroskin), 12-bit ADC counts.",
    ),
    _dt(
        4129,
        "respiration_thoracic",
        128.0,
        "a.u.",
        physical=_RESP_ML,
        signed=False,
        aliases=("resp", "resp_thoracic", "thoracic"),
        info="Thoracic respiration band, unsigned; about 13.28 mL per unit of change.",
    ),
    _dt(
        4130,
        "respiration_abdominal",
        128.0,
        "a.u.",
        physical=_RESP_ML,
        signed=False,
        aliases=("resp_abdominal", "abdominal"),
        info="Abdominal respiration band, unsigned; about 13.28 mL per unit of change.",
    ),
    _dt(
        4145,
        "acceleration_X",
        64.0,
        "g/256",
        physical=_ACC_G,
        aliases=("acc_x", "ax"),
        info="Acceleration X axis; g = raw / 256.",
    ),
    _dt(
        4146,
        "acceleration_Y",
        64.0,
        "g/256",
        physical=_ACC_G,
        aliases=("acc_y", "ay"),
        info="Acceleration Y axis; g = raw / 256.",
    ),
    _dt(
        4147,
        "acceleration_Z",
        64.0,
        "g/256",
        physical=_ACC_G,
        aliases=("acc_z", "az"),
        info="Acceleration Z axis; g = raw / 256.",
    ),
    _dt(64, "PPG", 64.0, "a.u.", signed=False, info="Photoplethysmogram (Astroskin), unsigned."),
    # 1 Hz vitals (stamped at the end of their second)
    _dt(19, "heart_rate", 1.0, "bpm", aliases=("hr", "heartrate"), info="Heart rate."),
    _dt(
        1000,
        "heart_rate_quality",
        1.0,
        "bitmask",
        signed=False,
        aliases=("hr_quality",),
        info="Heart-rate quality bits: 0x02 disconnected, 0x04 mains noise, 0x08 saturated, "
        "0x10 artifacts, 0x20 unreliable RR.",
    ),
    _dt(
        33,
        "breathing_rate",
        1.0,
        "rpm",
        aliases=("br", "breathingrate", "respiration_rate"),
        info="Breathing rate.",
    ),
    _dt(
        1001,
        "breathing_rate_quality",
        1.0,
        "bitmask",
        signed=False,
        aliases=("br_quality",),
        info="Breathing-rate quality bits.",
    ),
    _dt(
        36,
        "minute_ventilation",
        1.0,
        "mL/min",
        "13.28 mL/min",
        13.28,
        aliases=("mv", "ve", "minuteventilation"),
        info="Minute ventilation; raw * 13.28 = mL/min.",
    ),
    _dt(
        37,
        "tidal_volume",
        1.0,
        "mL",
        "13.28 mL",
        13.28,
        aliases=("tv", "vt", "tidalvolume"),
        info="Tidal volume; raw * 13.28 = mL.",
    ),
    _dt(
        38,
        "minute_ventilation_adjusted",
        1.0,
        "mL/min",
        "10 mL/min",
        10.0,
        aliases=("mv_adjusted",),
        info="Adjusted minute ventilation; raw * 10 = mL/min.",
    ),
    _dt(
        39,
        "tidal_volume_adjusted",
        1.0,
        "mL",
        aliases=("tv_adjusted",),
        info="Adjusted tidal volume, mL.",
    ),
    _dt(49, "activity", 1.0, "g", "g/256", 1.0 / 256.0, info="Activity; g = raw / 256."),
    _dt(54, "actigraphy", 1.0, "g", "g/256", 1.0 / 256.0, info="Actigraphy; g = raw / 256."),
    _dt(53, "cadence", 1.0, "steps/min", aliases=("spm",), info="Step cadence."),
    _dt(42, "energy_mifflin_keytel", 1.0, "W", aliases=("energy",), info="Energy expenditure."),
    _dt(66, "SPO2", 1.0, "%", aliases=("spo2_level",), info="Blood oxygen saturation (Astroskin)."),
    _dt(1002, "SPO2_quality", 1.0, "bitmask", signed=False, info="SpO2 quality (Astroskin)."),
    _dt(
        98,
        "systolic_pressure",
        1.0,
        "mmHg",
        aliases=("sbp", "systolic"),
        info="Systolic blood pressure (Astroskin).",
    ),
    _dt(99, "systolic_pressure_adjusted", 1.0, "mmHg", info="Adjusted systolic pressure."),
    _dt(
        1005,
        "systolic_pressure_quality",
        1.0,
        "bitmask",
        signed=False,
        info="Systolic pressure quality.",
    ),
    _dt(81, "temperature", 1.0, "a.u.", info="Skin temperature; the service's scale is uncertain."),
    _dt(
        1006,
        "temperature_celcius",
        1.0,
        "degC",
        "0.01 degC",
        0.01,
        info="Temperature in degC (Astroskin export channel); id and scale not confirmed.",
    ),
    _dt(
        1007,
        "temperature_quality",
        1.0,
        "bitmask",
        signed=False,
        info="Temperature quality (Astroskin export channel); id not confirmed.",
    ),
    _dt(338, "RESP_TMPR", 1.0, "degC", "0.01 degC", 0.01, info="Respiration temperature."),
    # HRV, one value per 5 minutes
    _dt(
        271,
        "ANN",
        _HRV,
        "s",
        "1/4096 s",
        1.0 / 4096.0,
        aliases=("hrv_ann",),
        info="Average NN interval over 5 min.",
    ),
    _dt(
        272,
        "SDNN",
        _HRV,
        "s",
        "1/4096 s",
        1.0 / 4096.0,
        aliases=("hrv_sdnn",),
        info="Standard deviation of NN intervals over 5 min.",
    ),
    _dt(
        278,
        "RMSSD",
        _HRV,
        "s",
        "1/4096 s",
        1.0 / 4096.0,
        aliases=("hrv_rmssd",),
        info="Root mean square of successive NN differences over 5 min.",
    ),
    _dt(273, "HRV_LF_normalized", _HRV, "a.u.", info="Normalised LF power; scale uncertain."),
    _dt(274, "NN_over_RR", _HRV, "a.u.", info="NN/RR ratio; scale uncertain."),
    _dt(275, "HRV_triangular", _HRV, "a.u.", info="HRV triangular index; scale uncertain."),
    _dt(276, "HRV_LF", _HRV, "ms^2", "0.1 ms^2", 0.1, info="HRV low-frequency power."),
    _dt(277, "HRV_HF", _HRV, "ms^2", "0.1 ms^2", 0.1, info="HRV high-frequency power."),
    # events
    _dt(
        18,
        "RR_interval",
        None,
        "s",
        "1/256 s",
        1.0 / 256.0,
        aliases=("rr", "rri", "rr_intervals"),
        info="RR intervals at each beat; s = raw / 256; the first value is 0.",
    ),
    _dt(
        318,
        "NN_interval",
        None,
        "s",
        "1/256 s",
        1.0 / 256.0,
        aliases=("nn", "nni"),
        info="Normal-to-normal intervals; s = raw / 256.",
    ),
    _dt(
        319,
        "RR_interval_realigned",
        None,
        "s",
        "1/256 s",
        1.0 / 256.0,
        info="RR intervals realigned; s = raw / 256.",
    ),
    _dt(
        1004,
        "RR_interval_quality",
        None,
        "bitmask",
        signed=False,
        aliases=("rr_quality",),
        info="RR quality: 0 good, 0x01 noisy, 0x80 unreliable.",
    ),
    _dt(22, "QRS", None, "event", aliases=("beats", "qrs_events"), info="Detected QRS complexes."),
    _dt(
        34,
        "inspiration",
        None,
        "a.u.",
        aliases=("inspirations",),
        info="Inspirations: respiration units at the event.",
    ),
    _dt(
        35,
        "expiration",
        None,
        "a.u.",
        aliases=("expirations",),
        info="Expirations: respiration units at the event.",
    ),
    _dt(52, "step", None, "steps", aliases=("steps",), info="Steps, cumulative count."),
    _dt(269, "device_position", None, "code", info="Device position, codes 0-6."),
    _dt(270, "sleep_position", None, "code", info="Sleep position, codes 0-6."),
    _dt(280, "sleep_phase", None, "code", info="Sleep phase, codes."),
    # annotations (datatypes without data samples)
    _dt(
        208,
        "RECSTR_ANNOT",
        None,
        "",
        kind="annotation",
        api_name="RECSTR_ANNOT_CHAR",
        info="Recorder start annotation.",
    ),
    _dt(
        209,
        "RECSTP_ANNOT",
        None,
        "",
        kind="annotation",
        api_name="RECSTP_ANNOT_CHAR",
        info="Recorder stop annotation.",
    ),
    _dt(
        4096,
        "user_annotation",
        None,
        "",
        kind="annotation",
        api_name="USER_ANNOTATION",
        info="User annotation (used when creating an annotation).",
    ),
)

_index: dict[str, Datatype] = {}
_by_id: dict[int, Datatype] = {}


def _rebuild_index(entries: Iterable[Datatype]) -> None:
    _index.clear()
    _by_id.clear()
    for dt in entries:
        _by_id[dt.id] = dt
        for key in (str(dt.id), dt.name, dt.stem, dt.api_name, *dt.aliases):
            _index.setdefault(key.lower(), dt)


_rebuild_index(_CATALOG)


def all_datatypes() -> list[Datatype]:
    """Every datatype in the catalogue, in catalogue order.

    Examples
    --------
    >>> len(all_datatypes()) > 40
    True
    """
    return list(_by_id.values())


def data_datatypes() -> list[Datatype]:
    """The datatypes that carry samples (sync and async; annotations excluded).

    Examples
    --------
    >>> any(d.id == 208 for d in data_datatypes())
    False
    """
    return [d for d in _by_id.values() if d.kind != "annotation"]


def lookup(key: int | str | Datatype) -> Datatype:
    """Find a datatype by id, canonical name, export stem, service name or alias.

    Raises
    ------
    UnknownDatatypeError
        With the closest known names, when nothing matches.

    Examples
    --------
    >>> lookup("HR").id, lookup("4113").name, lookup("ECG_I.wav".split(".")[0]).id
    (19, 'ecg_i', 4113)
    """
    if isinstance(key, Datatype):
        return key
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        dt = _by_id.get(int(key))
        if dt is None:
            raise UnknownDatatypeError(
                f"Unknown datatype id {int(key)}; see hexoframe.core.catalog.all_datatypes() "
                "for the known ids."
            )
        return dt
    if not isinstance(key, str):
        raise UnknownDatatypeError(f"A datatype is an id or a name, not {type(key).__name__}.")
    dt = _index.get(key.strip().lower())
    if dt is None:
        close = difflib.get_close_matches(key.strip().lower(), list(_index), n=3, cutoff=0.6)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise UnknownDatatypeError(
            f"Unknown datatype {key!r}.{hint} Datatypes are given by id (19), name "
            "('heart_rate') or alias ('hr')."
        )
    return dt


def resolve(keys: int | str | Datatype | Iterable[int | str | Datatype]) -> list[Datatype]:
    """One key or several to datatypes, de-duplicated in the order given.

    Examples
    --------
    >>> [d.id for d in resolve(["hr", 19, "breathing_rate"])]
    [19, 33]
    """
    if isinstance(keys, (str, bytes, int, np.integer, Datatype)) or not isinstance(keys, Iterable):
        keys = [keys]  # type: ignore[list-item]  # lookup() refuses bytes with a typed error
    out: list[Datatype] = []
    seen: set[int] = set()
    for key in keys:
        dt = lookup(key)
        if dt.id not in seen:
            seen.add(dt.id)
            out.append(dt)
    if not out:
        raise UnknownDatatypeError("No datatypes were given; name at least one.")
    return out


def by_stem(stem: str) -> Datatype | None:
    """The datatype of an export file stem (``"ECG_I"``), or ``None`` when unknown.

    Examples
    --------
    >>> by_stem("RR_interval").id
    18
    """
    dt = _index.get(stem.lower())
    return dt if dt is not None and dt.stem.lower() == stem.lower() else None


def grid_start(dt: Datatype, record_start: int, t: int) -> int:
    """The first sample time at or after ``t`` on a sync channel's grid in a record, at
    256 ticks/s (:meth:`hexoframe.core.timebase.TimeBase.grid_start` for another time base).

    Examples
    --------
    >>> grid_start(lookup("heart_rate"), 0, 1)
    256
    """
    return _HEXOSKIN.grid_start(dt, record_start, t)


def sample_count(dt: Datatype, start: int, end: int) -> int:
    """How many samples a sync channel has in a record spanning ``[start, end)`` at 256
    ticks/s.

    Samples lie at ``start + k*step`` (rate > 1 Hz) or ``start + (k+1)*step``
    (1 Hz and slower), for every such time before ``end``.

    Examples
    --------
    >>> sample_count(lookup("ecg"), 0, 256 * 129), sample_count(lookup("hr"), 0, 256 * 129)
    (33024, 128)
    """
    if dt.freq is None:
        raise ValueError(f"{dt.name} is asynchronous: its sample count is not known in advance.")
    return _HEXOSKIN.count(dt, start, end)


def sample_ticks(dt: Datatype, start: int, end: int) -> np.ndarray:
    """The tick of every sample of a sync channel in a record spanning ``[start, end)``.

    Examples
    --------
    >>> sample_ticks(lookup("hr"), 0, 1024).tolist()
    [256, 512, 768]
    """
    first = int(start) + dt.first_offset
    return _HEXOSKIN.stamps(first, _HEXOSKIN.step(dt), sample_count(dt, start, end))


def _unit_name(value: Any, units: Mapping[str, str]) -> str | None:
    """A unit's short name from a unit URI, a nested unit object or a plain name."""
    if isinstance(value, Mapping):
        name = value.get("si_short")
        return None if name is None else str(name)
    if not isinstance(value, str) or not value:
        return None
    if value.startswith("/") or "://" in value:
        return units.get(ref_key(value) or "")
    return value


def _rate(obj: Mapping[str, Any], old: float | None) -> float | None:
    """Samples per second: from ``hexo_freq`` (ticks between samples) when present, since
    the integer ``freq`` cannot hold sub-1 Hz rates, else from ``freq``."""
    if "hexo_freq" in obj:
        step = obj["hexo_freq"]
        return None if step in (None, "", 0) else TICKS_PER_SECOND / float(step)
    if "freq" in obj:
        freq = obj["freq"]
        return None if freq in (None, "", 0) else float(freq)
    return old


def refresh_from_service(
    objects: Iterable[dict[str, Any]], units: Mapping[str, str] | None = None
) -> int:
    """Update rates and unit names from ``/api/datatype/`` objects; returns how many changed.

    The service links ``unit`` and ``unit_raw`` to ``/api/unit/N/`` objects: *units*
    maps each unit id (as text) to its ``si_short`` name (see
    :meth:`hexoframe.Client.refresh_catalog`); nested unit objects and plain names are
    read too, unknown unit URIs leave the catalogued name. Rates come from ``hexo_freq``
    (ticks between samples) when listed, else from ``freq``. Unknown ids are added with
    their service name; scales and signedness stay as catalogued, since the service does
    not describe them.

    Examples
    --------
    >>> refresh_from_service([{"id": 19, "name": "HEART_RATE", "freq": 1, "hexo_freq": 256,
    ...                        "unit": "/api/v1/unit/7/"}], units={"7": "bpm"})
    0
    """
    units = units or {}
    changed = 0
    entries = dict(_by_id)
    for obj in objects:
        ident = obj.get("id", obj.get("dataid"))
        if ident is None:
            continue
        ident = int(ident)
        old = entries.get(ident)
        freq = _rate(obj, None if old is None else old.freq)
        unit = _unit_name(obj.get("unit"), units)
        unit_raw = _unit_name(obj.get("unit_raw"), units)
        if old is None:
            name = str(obj.get("name") or f"datatype_{ident}")
            entries[ident] = _dt(
                ident,
                name,
                freq,
                unit or "",
                unit_raw or unit or "",
                api_name=name,
                info=str(obj.get("info") or ""),
            )
            changed += 1
            continue
        new = replace(old, freq=freq, unit=unit or old.unit, unit_raw=unit_raw or old.unit_raw)
        if new != old:
            entries[ident] = new
            changed += 1
    if changed:
        _rebuild_index(entries.values())
    return changed
