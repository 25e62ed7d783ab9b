"""EDF+ files of Hexoskin recordings: build one from raw integers, read one back.

One EDF signal per synchronous channel, at its own rate; raw integers are the EDF digital
values (unsigned channels shifted by 32768), so they round-trip exactly. Event channels
(RR intervals, steps ...) are EDF+ annotations ``"<name> <raw>"``. The rules, and every
assumption about Hexoskin's own labelling, are in ``docs/edf.md``. Built on ``edfio``.

Examples
--------
>>> import numpy as np
>>> from hexoframe.formats import edf
>>> start = 1_700_000_000 * 256 + 64          # a quarter second past a full second
>>> data = edf.edf_bytes({"heart_rate": np.array([70, 71, 72])}, start)
>>> back = edf.read_edf(data)
>>> back.start, back.channels["heart_rate"][1].tolist()
(435200000064, [70, 71, 72])
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import os
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from hexoframe.core import catalog
from hexoframe.core.catalog import Datatype
from hexoframe.core.errors import HexoskinError
from hexoframe.core.timestamps import TICKS_PER_SECOND

__all__ = [
    "EdfError",
    "EdfContents",
    "edf_label",
    "edf_unit",
    "edf_bytes",
    "write_edf",
    "read_edf",
    "check_size",
]

_END_TEXT = "hexoframe end"
_SPAN_TEXT = "hexoframe samples "
_TRANSDUCER = "Hexoskin datatype "
# Shortenings applied in order so every catalogue stem fits EDF's 16-character label.
_SHORT = (
    ("respiration", "resp"),
    ("minute_ventilation", "min_vent"),
    ("_adjusted", "_adj"),
    ("_quality", "_qual"),
    ("systolic_pressure", "systolic"),
    ("temperature", "temp"),
    ("energy_mifflin_keytel", "energy_mk"),
    ("acceleration", "accel"),
)


# Physical dimensions longer than EDF's 8 characters.
_UNITS = {"steps/min": "step/min"}


def edf_unit(dt: Datatype) -> str:
    """The EDF physical dimension of a datatype (its physical unit, at most 8 characters).

    Examples
    --------
    >>> edf_unit(catalog.lookup("ecg")), edf_unit(catalog.lookup("cadence"))
    ('mV', 'step/min')
    """
    unit = dt.physical_unit
    return _UNITS.get(unit, unit)[:8]


def _edfio() -> Any:
    try:
        import edfio
    except ImportError as exc:  # pragma: no cover - the test extra installs it
        raise ImportError("EDF support needs edfio: pip install 'hexoframe[edf]'.") from exc
    return edfio


class EdfError(HexoskinError, ValueError):
    """An EDF file could not be built or read (the message says what to change)."""


def edf_label(dt: Datatype) -> str:
    """The EDF signal label of a datatype: its export stem, shortened to 16 characters.

    Examples
    --------
    >>> edf_label(catalog.lookup("resp")), edf_label(catalog.lookup("hr"))
    ('resp_thoracic', 'heart_rate')
    """
    label = dt.stem
    for long, short in _SHORT:
        if len(label) <= 16:
            break
        label = label.replace(long, short)
    return label[:16]


def _label_index() -> dict[str, Datatype]:
    return {edf_label(dt): dt for dt in catalog.data_datatypes()}


def _shift(dt: Datatype | None) -> int:
    return 0 if dt is None or dt.signed else 32768


def _record_duration(rates: list[float]) -> Fraction:
    """The shortest data record in which every rate has an integral sample count."""
    dur = 1
    for f in rates:
        dur = math.lcm(dur, Fraction(f).limit_denominator(100_000).denominator)
    return Fraction(dur)


@dataclass
class EdfContents:
    """What :func:`read_edf` found.

    Attributes
    ----------
    start : int
        Recording start in HexoTimestamp ticks (exact to the tick).
    end : int
        End of the data in ticks (from the ``hexoframe end`` annotation, else the records).
    channels : dict
        Name -> (ticks, raw int64 values); catalogue names, or the EDF label when unknown.
    events : dict
        Event datatype name -> (ticks, raw values) from ``"<name> <raw>"`` annotations.
    annotations : list
        Other annotations as (tick, text).
    patient, recording : str
        The header fields.
    unknown : list of str
        Labels not in the catalogue (kept as digital values).
    """

    start: int
    end: int
    channels: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    events: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    annotations: list[tuple[int, str]] = field(default_factory=list)
    patient: str = ""
    recording: str = ""
    unknown: list[str] = field(default_factory=list)


def _field(text: str | None) -> str:
    return "X" if not text else "_".join(str(text).split())[:40]


def _build(
    channels: Mapping[str, Any],
    start: int,
    end: int | None,
    events: Mapping[str, tuple[Any, Any]] | None,
    patient: str | Mapping[str, Any] | None,
    recording: str | None,
    first: Mapping[str, int] | None = None,
    equipment: str | None = None,
) -> Any:
    edfio = _edfio()

    start = int(start)
    dts = {}
    for name, raw in channels.items():
        dt = catalog.lookup(name)
        if dt.freq is None:
            raise EdfError(f"{dt.name} is an event channel: pass it in events=, not channels=.")
        values = np.asarray(raw)
        if values.size and not np.all(np.equal(np.mod(values, 1), 0)):
            raise EdfError(
                f"{dt.name}: EDF holds raw integers; convert the values to raw units "
                "first (frame.hexo.convert('raw'))."
            )
        dts[dt] = values.astype(np.int64)
    lead = {catalog.lookup(k).name: int(v) for k, v in (first or {}).items() if v}
    if end is None:
        end = start
        for dt, v in dts.items():
            end = max(end, start + (lead.get(dt.name, 0) + len(v)) * int(dt.step_ticks or 0))
    rates = [float(dt.freq) for dt in dts if dt.freq]
    dur = _record_duration(rates)
    span_s = Fraction(int(end) - start, TICKS_PER_SECOND)
    n_rec = max(1, math.ceil(span_s / dur))
    signals = []
    spans: list[Any] = []
    for dt, v in dts.items():
        spr = int(Fraction(float(dt.freq or 0)).limit_denominator(100_000) * dur)
        n = n_rec * spr
        if len(v) > n:
            raise EdfError(f"{dt.name}: {len(v)} samples do not fit a span ending at {end}.")
        shift = _shift(dt)
        digital = v - shift
        if v.size and (digital.min() < -32768 or digital.max() > 32767):
            raise EdfError(f"{dt.name}: raw values {v.min()}..{v.max()} do not fit EDF's 16 bits.")
        lo, hi = -32768 + shift, 32767 + shift
        pmin, pmax = float(dt.to_physical(lo)), float(dt.to_physical(hi))
        sig = edfio.EdfSignal(
            np.zeros(n),
            spr / float(dur),
            label=edf_label(dt),
            transducer_type=f"{_TRANSDUCER}{dt.id}",
            physical_dimension=edf_unit(dt),
            physical_range=(pmin, pmax),
            digital_range=(-32768, 32767),
        )
        k0 = lead.get(dt.name, 0)
        if k0 + len(v) > n:
            raise EdfError(f"{dt.name}: {len(v)} samples do not fit a span ending at {end}.")
        if k0 or k0 + len(v) != -(-(int(end) - start) // int(dt.step_ticks)):  # type: ignore[arg-type]
            spans.append(edfio.EdfAnnotation(0, None, f"{_SPAN_TEXT}{dt.name} {k0} {len(v)}"))
        pad = np.full(n, digital[-1] if len(digital) else 0, dtype=np.int16)
        pad[:k0] = digital[0] if len(digital) else 0
        pad[k0 : k0 + len(digital)] = digital
        sig.digital[:] = pad
        signals.append(sig)
    secs, frac = divmod(start, TICKS_PER_SECOND)
    if not 473_385_600 <= secs < 3_629_059_200:
        raise EdfError(
            "EDF holds start dates from 1985 to 2084 only; this record starts "
            f"at unix second {secs}."
        )
    when = _dt.datetime.fromtimestamp(secs, _dt.timezone.utc).replace(tzinfo=None)
    micro = round(frac * 1_000_000 / TICKS_PER_SECOND)
    notes = [edfio.EdfAnnotation((int(end) - start) / TICKS_PER_SECOND, None, _END_TEXT)]
    notes += spans
    for name, (ticks, raw) in (events or {}).items():
        dt = catalog.lookup(name)
        for t, r in zip(np.asarray(ticks).tolist(), np.asarray(raw).tolist(), strict=True):
            text = f"{dt.name} {r:g}" if isinstance(r, float) else f"{dt.name} {r}"
            notes.append(edfio.EdfAnnotation((int(t) - start) / TICKS_PER_SECOND, None, text))
    person = dict(patient) if isinstance(patient, Mapping) else {"code": patient}
    rec = edfio.Recording(
        startdate=when.date(),
        hospital_administration_code=_field(recording),
        investigator_technician_code="X",
        equipment_code=_field(equipment or "Hexoskin"),
    )
    born = person.get("birthdate")
    try:
        born = _dt.date.fromisoformat(str(born)[:10]) if born else None
    except ValueError:
        born = None  # an unparseable birth date is left out ("X"), not guessed
    sex = str(person.get("sex") or "X").upper()[:1]
    pat = edfio.Patient(
        code=_field(person.get("code")),
        sex=sex if sex in "FM" else "X",
        birthdate=born,
        name=_field(person.get("name")),
    )
    return edfio.Edf(
        signals,
        patient=pat,
        recording=rec,
        starttime=when.time().replace(microsecond=micro),
        # annotation-only: edfio sets EDF+'s zero record duration itself
        data_record_duration=float(dur) if signals else None,
        annotations=notes,
    )


def edf_bytes(
    channels: Mapping[str, Any],
    start: int,
    *,
    end: int | None = None,
    events: Mapping[str, tuple[Any, Any]] | None = None,
    patient: str | Mapping[str, Any] | None = None,
    recording: str | None = None,
    first: Mapping[str, int] | None = None,
    equipment: str | None = None,
) -> bytes:
    """An EDF+C file, as bytes, from raw integer arrays per datatype.

    Parameters
    ----------
    channels : mapping
        Sync datatype (name, id or alias) -> raw integer samples from the record's grid.
    start : int
        Record start in ticks; sample ``k`` of a channel is at ``start + first_offset + k*step``
        (the binary answers' rule: the samples whose interval starts in ``[start, end)``).
    end : int, optional
        End of the span in ticks (default: after the longest channel).
    events : mapping, optional
        Event datatype -> (ticks, raw values), written as annotations.
    patient : str or mapping, optional
        The patient code, or EDF+'s patient subfields ``{"code", "sex", "birthdate",
        "name"}`` (sex ``"F"``/``"M"``, birthdate ISO; spaces become ``_``, missing ones
        ``X``).
    recording : str, optional
        Recording administration code (spaces become ``_``).
    equipment : str, optional
        Recording equipment subfield, e.g. the device serial (default ``Hexoskin``).
    first : mapping, optional
        Datatype -> grid index of its first sample when it starts after ``start``; the
        leading samples are filler. Channels that do not fill ``[start, end)`` get a
        ``"hexoframe samples <name> <first> <count>"`` annotation (see ``docs/edf.md``).

    Examples
    --------
    >>> edf_bytes({"hr": [60]}, 1_700_000_000 * 256)[:8]
    b'0       '
    """
    edf = _build(channels, start, end, events, patient, recording, first, equipment)
    buf = io.BytesIO()
    edf.write(buf)
    return buf.getvalue()


def write_edf(
    path: str | os.PathLike[str], channels: Mapping[str, Any], start: int, **kwargs: Any
) -> Path:
    """Write :func:`edf_bytes` atomically (temp file in the same folder, then rename).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = write_edf(pathlib.Path(tempfile.mkdtemp()) / "x.edf", {"hr": [60, 61]},
    ...               1_700_000_000 * 256)
    >>> read_edf(p).channels["heart_rate"][1].tolist()
    [60, 61]
    """
    target = Path(path)
    data = edf_bytes(channels, start, **kwargs)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def check_size(head: bytes, size: int) -> None:
    """Refuse an EDF whose length disagrees with its header (cut short, or padded).

    ``head`` is at least the fixed header and the signal headers; ``size`` the file's
    length in bytes. A damaged file must not decode into fewer samples without a word
    (edfio only warns and truncates).

    Examples
    --------
    >>> body = edf_bytes({"hr": [60, 61]}, 1_700_000_000 * 256)
    >>> check_size(body, len(body))
    >>> check_size(body, len(body) - 1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    hexoframe.formats.edf.EdfError: The EDF is damaged: its header says 2 data record(s) ...again.
    """
    try:
        header_bytes = int(head[184:192].decode("ascii"))
        records = int(head[236:244].decode("ascii"))
        signals = int(head[252:256].decode("ascii"))
        at = 256 + signals * 216
        spr = [int(head[at + 8 * k : at + 8 * k + 8].decode("ascii")) for k in range(signals)]
    except (ValueError, UnicodeDecodeError):
        raise EdfError(
            "This is not an EDF file (its header fields are not numbers); check "
            "that the download completed and the file is EDF or EDF+."
        ) from None
    record_bytes = 2 * sum(spr)
    if header_bytes != 256 * (signals + 1) or signals < 1 or min(spr) < 0:
        raise EdfError(
            f"The EDF header is inconsistent ({signals} signal(s) in "
            f"{header_bytes} header bytes); the file is damaged."
        )
    data = size - header_bytes
    whole = records >= 0 and data == records * record_bytes
    unknown = records == -1 and record_bytes > 0 and data >= 0 and data % record_bytes == 0
    if not (whole or unknown):
        raise EdfError(
            f"The EDF is damaged: its header says {records} data record(s) ({record_bytes} "
            f"bytes each after {header_bytes} header bytes) but the file has {size} bytes. "
            "Download or copy it again."
        )


def read_edf(source: str | os.PathLike[str] | bytes) -> EdfContents:
    """Read an EDF/EDF+ file into raw arrays and ticks per catalogue channel.

    Unknown labels are kept under their label (digital values) with a warning.

    Examples
    --------
    >>> t0 = 1_700_000_000 * 256
    >>> c = read_edf(edf_bytes({"ecg": [1, 2, 3]}, t0, end=t0 + 256))
    >>> c.end - c.start, (c.channels["ecg_i"][0][:2] - t0).tolist()
    (256, [0, 1])
    """
    edfio = _edfio()

    if isinstance(source, (bytes, bytearray)):
        check_size(bytes(source[: 256 * 257]), len(source))
        edf = _parse(edfio, io.BytesIO(bytes(source)))
    else:
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"No EDF file at {path}.")
        with open(path, "rb") as f:
            check_size(f.read(256 * 257), path.stat().st_size)
        edf = _parse(edfio, path)
    try:
        date = edf.startdate
    except edfio.AnonymizedDateError:
        raise EdfError(
            "This EDF's start date is anonymized ('Startdate X'): its samples "
            "cannot be placed in time; ask for a copy with the real date."
        ) from None
    base = _dt.datetime.combine(date, edf.starttime.replace(microsecond=0), _dt.timezone.utc)
    start = int(base.timestamp()) * TICKS_PER_SECOND + round(
        edf.starttime.microsecond * TICKS_PER_SECOND / 1_000_000
    )
    end = start + round(edf.duration * TICKS_PER_SECOND)
    out = EdfContents(
        start=start,
        end=end,
        patient=str(edf.patient._to_str()),
        recording=str(edf.recording._to_str()),
    )
    events: dict[str, list[tuple[int, float]]] = {}
    lead: dict[str, tuple[int, int]] = {}
    for ann in edf.annotations:
        tick = start + round(ann.onset * TICKS_PER_SECOND)
        text = ann.text
        if text == _END_TEXT:
            out.end = tick
            continue
        parts = text[len(_SPAN_TEXT) :].split(" ")
        if text.startswith(_SPAN_TEXT) and len(parts) == 3 and "".join(parts[1:]).isdigit():
            lead[parts[0]] = (int(parts[1]), int(parts[2]))
            continue
        name, _, value = text.partition(" ")
        try:
            dt = catalog.lookup(name) if value else None
            num = float(value) if value else None
        except (HexoskinError, ValueError):
            dt = num = None
        if dt is not None and dt.is_async and num is not None:
            events.setdefault(dt.name, []).append((tick, num))
        else:
            out.annotations.append((tick, text))
    for name, pairs in events.items():
        ticks = np.array([p[0] for p in pairs], dtype=np.int64)
        vals = np.array([p[1] for p in pairs])
        out.events[name] = (ticks, vals.astype(np.int64) if np.all(vals % 1 == 0) else vals)
    labels = _label_index()
    for sig in edf.signals:
        dt = _catalog_for(sig.label, sig.transducer_type, labels)
        digital = np.asarray(sig.digital, dtype=np.int64)
        if dt is None or dt.freq is None:
            out.unknown.append(sig.label)
            warnings.warn(
                f"EDF label {sig.label!r} is not a Hexoskin datatype; kept as "
                "digital values under its label.",
                stacklevel=2,
            )
            step = TICKS_PER_SECOND / sig.sampling_frequency
            ticks = start + np.round(np.arange(len(digital)) * step).astype(np.int64)
            out.channels[sig.label] = (ticks, digital)
            continue
        step = int(dt.step_ticks)  # type: ignore[arg-type]
        n = min(len(digital), max(0, -(-(out.end - start) // step)))
        k0, count = lead.get(dt.name, (0, n))
        k0, n = min(k0, n), min(n, k0 + count)
        ticks = start + dt.first_offset + np.arange(k0, n, dtype=np.int64) * step
        out.channels[dt.name] = (ticks, digital[k0:n] + _shift(dt))
    return out


def _parse(edfio: Any, source: Any) -> Any:
    try:
        return edfio.read_edf(source)
    except (ValueError, UnicodeDecodeError, IndexError) as exc:
        raise EdfError(
            f"The EDF could not be read ({exc}); the file is damaged or not EDF/EDF+."
        ) from None


def _catalog_for(label: str, transducer: str, labels: dict[str, Datatype]) -> Datatype | None:
    if transducer.startswith(_TRANSDUCER):
        try:
            return catalog.lookup(int(transducer[len(_TRANSDUCER) :]))
        except (HexoskinError, ValueError):
            pass
    if label in labels:
        return labels[label]
    try:
        return catalog.lookup("_".join(label.split()))
    except HexoskinError:
        return None


def read_edf_export(path: str | os.PathLike[str] | bytes) -> Any:
    """An EDF file (from the service or a study) as an :class:`~hexoframe.formats.exports.Export`.

    ``read_export`` and ``xr.open_dataset(..., engine="hexoskin")`` call this for ``.edf``
    paths, so EDF files give the same frames and datasets as binary exports. Study names
    such as ``HX45123.edf`` or ``HX45123-1_110134_4503.edf`` give ``info["device"]``;
    channels with labels outside the catalogue are kept (with a warning) as ad hoc
    datatypes named after their label.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from hexoframe.formats.exports import read_export
    >>> p = write_edf(pathlib.Path(tempfile.mkdtemp()) / "HX45123.edf", {"hr": [60, 61]},
    ...               1_700_000_000 * 256)
    >>> read_export(p)["heart_rate"].tolist()
    [60, 61]
    """
    from hexoframe.formats.exports import Export

    contents = read_edf(path)
    info: dict[str, Any] = {
        "start": contents.start,
        "timestamp": contents.start / 256.0,
        "format": "edf",
        "edf_patient": contents.patient,
        "edf_recording": contents.recording,
    }
    user = None
    for token in contents.patient.split():
        if token.startswith("hexoskin_user_") and token[14:].isdigit():
            user = int(token[14:])
            info["user"] = user
    fields = contents.recording.split()
    if len(fields) >= 5 and fields[0] == "Startdate" and fields[4] not in ("X", "Hexoskin"):
        info["device"] = info["edf_equipment"] = fields[4]  # the device serial
    if not isinstance(path, (bytes, bytearray)):
        stem = Path(path).stem.split("-")[0].split("_")[0]
        if stem.upper().startswith("HX"):  # study naming: the file is named after the device
            info["device"] = stem
    export = Export(info=info, start=contents.start, user=user)
    for name, (ticks, raw) in contents.channels.items():
        try:
            dt = catalog.lookup(name)
        except HexoskinError:
            rate = TICKS_PER_SECOND / float(np.median(np.diff(ticks))) if len(ticks) > 1 else 1.0
            dt = Datatype(
                id=0,
                name=name,
                stem=name,
                api_name=name,
                freq=rate,
                unit="",
                unit_raw="",
                info="EDF signal outside the Hexoskin catalogue",
            )
        export.channels[dt.name] = (dt, ticks, raw)
    for name, (ticks, raw) in contents.events.items():
        dt = catalog.lookup(name)
        export.channels[dt.name] = (dt, ticks, raw)
    return export


def _grid(dt: Datatype, ticks: np.ndarray, start: int) -> int:
    """Grid index of the first sample; refuses samples that are not one gap-free run."""
    step = int(dt.step_ticks)  # type: ignore[arg-type]
    k = np.asarray(ticks, dtype=np.int64) - start - dt.first_offset
    k0 = int(k[0]) // step if k.size else 0
    if k.size and (np.any(k % step) or not np.array_equal(k // step, k0 + np.arange(k.size))):
        raise EdfError(
            f"{dt.name}: samples are not one gap-free run on the record's grid from "
            f"tick {start}; EDF+C holds continuous signals: write each continuous "
            "part to its own file."
        )
    return k0


def _write_items(
    path: str | os.PathLike[str], items: list[tuple[Datatype, Any, Any]], kwargs: dict[str, Any]
) -> Path:
    from hexoframe.core.units import convert  # the one unit rule

    sync = [(dt, np.asarray(t, np.int64)) for dt, t, _ in items if not dt.is_async]
    # the file starts where the earliest sample's interval starts
    firsts = [int(t[0]) - dt.first_offset for dt, t in sync if t.size]
    firsts += [int(np.asarray(t)[0]) for dt, t, _ in items if dt.is_async and len(t)]
    if not firsts:
        raise EdfError("Nothing to write: no samples in any datatype column.")
    start = min(firsts)
    channels: dict[str, np.ndarray] = {}
    lead: dict[str, int] = {}
    events: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for dt, ticks, (values, units) in items:
        vals = np.asarray(values, dtype=np.float64)
        raw = np.rint(np.asarray(convert(dt, vals, source=units, units="raw"), dtype=np.float64))
        if dt.is_async:
            events[dt.name] = (np.asarray(ticks, np.int64), raw.astype(np.int64))
        else:
            lead[dt.name] = _grid(dt, ticks, int(start))
            channels[dt.name] = raw.astype(np.int64)
    return write_edf(path, channels, int(start), events=events, first=lead, **kwargs)


def frame_to_edf(frame: Any, path: str | os.PathLike[str], **kwargs: Any) -> Path:
    """Write a :func:`read_hexoskin`/:func:`read_export` frame (one user) as EDF+.

    Datatype columns become signals (sync) or annotations (events); their values are
    turned back into raw integers from the frame's units. ``kwargs`` go to
    :func:`write_edf` (``end``, ``patient``, ``recording``). Used by ``frame.hexo.to_edf``.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> t = pd.to_datetime([1_700_000_001, 1_700_000_002], unit="s")
    >>> df = pd.DataFrame({"heart_rate": [60, 61]}, index=pd.Index(t, name="time"))
    >>> p = frame_to_edf(df, pathlib.Path(tempfile.mkdtemp()) / "x.edf")
    >>> read_edf(p).channels["heart_rate"][1].tolist()
    [60, 61]
    """
    import pandas as pd

    from hexoframe.frontends.pandas_ext import _dt_to_ticks, _tick_rate

    meta = dict(frame.attrs.get("hexoskin", {}))
    if isinstance(frame.index, pd.MultiIndex):
        raise EdfError("An EDF file holds one user: select one (frame.xs(user, level='user')).")
    rate = _tick_rate(frame, None)
    if rate != TICKS_PER_SECOND:
        raise EdfError(f"EDF writing needs {TICKS_PER_SECOND} ticks per second, not {rate}.")
    ticks = _dt_to_ticks(frame.index, rate)
    cols = meta.get("columns", {})
    items = []
    for name in frame.columns:
        info = cols.get(str(name), {})
        try:
            dt = catalog.lookup(info.get("id") or str(name))
        except HexoskinError:
            continue
        values = frame[name].to_numpy(dtype=np.float64, na_value=np.nan)
        keep = ~np.isnan(values)
        items.append((dt, ticks[keep], (values[keep], info.get("units", meta.get("units", "api")))))
    if meta.get("user") is not None:
        kwargs.setdefault("patient", f"hexoskin_user_{meta['user']}")
    return _write_items(path, items, kwargs)


def dataset_to_edf(ds: Any, path: str | os.PathLike[str], **kwargs: Any) -> Path:
    """Write a ``engine="hexoskin"`` Dataset as EDF+ (``ds.hexo.to_edf``).

    Examples
    --------
    >>> import tempfile, pathlib, xarray as xr
    >>> from hexoframe.formats.exports import read_export
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> p = write_edf(d / "a.edf", {"hr": [60, 61]}, 1_700_000_000 * 256)
    >>> ds = xr.open_dataset(p, engine="hexoskin")
    >>> read_edf(dataset_to_edf(ds, d / "b.edf")).channels["heart_rate"][1].tolist()
    [60, 61]
    """
    from hexoframe.frontends.pandas_ext import _dt_to_ticks

    items = []
    for name, var in ds.data_vars.items():
        try:
            dt = catalog.lookup(var.attrs.get("datatype_id") or str(name))
        except HexoskinError:
            continue
        if var.ndim != 1:
            raise EdfError(f"{name}: EDF signals are one-dimensional; select one user first.")
        values = np.asarray(var.values, dtype=np.float64)
        keep = ~np.isnan(values)
        ticks = _dt_to_ticks(var[var.dims[0]].values, TICKS_PER_SECOND)
        units = var.attrs.get("hexoskin_units", ds.attrs.get("units", "api"))
        items.append((dt, ticks[keep], (values[keep], units)))
    if ds.attrs.get("user_id") is not None:
        kwargs.setdefault("patient", f"hexoskin_user_{ds.attrs['user_id']}")
    return _write_items(path, items, kwargs)
