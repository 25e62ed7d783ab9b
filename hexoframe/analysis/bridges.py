"""One-call bridges to neurokit2, MNE and wfdb.

Each takes what :func:`hexoframe.read_hexoskin` / :func:`hexoframe.read_export` return
(a frame with a ``time`` index and units in ``attrs``) and builds the other library's own
object with the sampling rate, units and start time filled in:

- :func:`to_neurokit`: ``{"ecg_signal": mV, "sampling_rate": 256.0}`` from an ECG channel
  (``nk.ecg_process(**to_neurokit(ecg))``), or ``{"RRI": ms, "RRI_Time": s}`` from RR
  intervals cleaned by :func:`hexoframe.analysis.clean_rr` (``nk.hrv_time(to_neurokit(rr))``);
- :func:`to_mne`: an ``mne.io.RawArray`` (ECG in volts, channel types, tz-aware
  ``meas_date``);
- :func:`to_wfdb`: a ``wfdb.Record`` of the raw ADC values with each channel's gain,
  baseline and physical unit, and the base date and time.

Synchronous channels of one rate go into one MNE or WFDB record; pick columns of one rate
(``channels=``) when a frame mixes rates.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from hexoframe.core import catalog
from hexoframe.core.errors import InvalidQueryError

__all__ = ["to_neurokit", "to_mne", "to_wfdb"]

_ECG = ("ecg_i", "ecg_ii", "ecg_iii")
_MNE_TYPES = {"ecg": "ecg", "respiration": "resp", "temperature": "temperature"}


def _require(module: str, extra: str = "analysis") -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"This bridge needs {module}: pip install {module} "
            f"(or pip install 'hexoframe[{extra}]')."
        ) from exc


def _frame(obj: pd.Series | pd.DataFrame) -> pd.DataFrame:
    if isinstance(obj, pd.Series):
        frame = obj.to_frame()
        attrs = dict(obj.attrs)
        col = {k: attrs[k] for k in ("id", "rate", "unit") if k in attrs}
        col["units"] = attrs.get("hexoskin_units", "api")
        frame.attrs = {
            "hexoskin": {
                "units": attrs.get("hexoskin_units", "api"),
                "tick_rate": attrs.get("tick_rate"),
                "columns": {str(obj.name): col},
            }
        }
        return frame
    if isinstance(obj, pd.DataFrame):
        return obj
    raise InvalidQueryError(f"Expected a pandas Series or DataFrame, got {type(obj).__name__}.")


def _sync_channels(df: pd.DataFrame, channels: Iterable[str] | None) -> tuple[list[str], float]:
    """Datatype columns of one synchronous rate and that rate (Hz)."""
    names = [str(c) for c in (channels if channels is not None else df.columns)]
    found: list[str] = []
    rates: dict[str, float | None] = {}
    for name in names:
        if name not in df.columns:
            raise InvalidQueryError(f"No column {name!r} in the frame.")
        try:
            dt = catalog.lookup(name)
        except InvalidQueryError:
            if channels is not None:
                raise
            continue
        if dt.is_async:
            if channels is not None:
                raise InvalidQueryError(
                    f"{name} is an event channel; only sampled channels "
                    "go into a continuous record."
                )
            continue
        found.append(name)
        rates[name] = dt.freq
    distinct = sorted({r for r in rates.values() if r})
    if not found:
        raise InvalidQueryError("No sampled Hexoskin channel in the frame.")
    if len(distinct) != 1:
        by = {r: [n for n, v in rates.items() if v == r] for r in distinct}
        raise InvalidQueryError(
            f"Channels of several rates {by}: pass channels= of one rate (or resample first)."
        )
    return found, float(distinct[0])


def _rows(df: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Rows where any of ``names`` has a value (an outer-joined frame has others)."""
    sub = df[names]
    return sub[sub.notna().any(axis=1)]


def _start(index: pd.Index) -> pd.Timestamp:
    if not isinstance(index, pd.DatetimeIndex) or len(index) == 0:
        raise InvalidQueryError("Need a non-empty DatetimeIndex (as read_hexoskin gives).")
    first = index[0]
    return first.tz_localize("UTC") if first.tzinfo is None else first.tz_convert("UTC")


def _converted(df: pd.DataFrame, names: list[str], units: str) -> pd.DataFrame:
    sub = _frame(df)[names].copy()
    sub.attrs = df.attrs
    return sub.hexo.convert(units)


def to_neurokit(
    obj: pd.Series | pd.DataFrame, *, channel: str | None = None, **clean: Any
) -> dict[str, Any]:
    """ECG or RR intervals as neurokit2 takes them.

    Parameters
    ----------
    obj : DataFrame or Series
        An ECG channel (``ecg_i``/``ecg_ii``/``ecg_iii``), or RR intervals (with
        ``rr_interval_quality``), or the output of :func:`hexoframe.analysis.clean_rr`.
    channel : str, optional
        Which ECG lead (the first present by default).
    **clean
        Options of :func:`hexoframe.analysis.clean_rr` for RR input.

    Returns
    -------
    dict
        ``{"ecg_signal": ndarray (mV), "sampling_rate": float}`` for ECG; for RR
        ``{"RRI": ndarray (ms), "RRI_Time": ndarray (s)}`` of the cleaned NN intervals,
        ``RRI_Time`` being seconds from the start of the span read (the record start for a
        whole record; the first beat when the span is unknown) to each beat.

    Examples
    --------
    >>> rr = hexoframe.read_hexoskin(record=37700, datatypes=["rr", "rr_quality"],
    ...                              end="2024-05-01T10:01:00Z", client=client, progress=False)
    >>> d = to_neurokit(rr)
    >>> sorted(d), round(float(d["RRI"][0]), 2), round(float(d["RRI_Time"][0]), 4)
    (['RRI', 'RRI_Time'], 574.22, 1.1523)
    """
    from hexoframe.analysis.beats import _is_cleaned, nn_intervals

    cols = [str(c) for c in getattr(obj, "columns", [getattr(obj, "name", None)])]
    ecg = [c for c in cols if c in _ECG]
    if channel is not None or (ecg and not any(c.startswith(("rr", "nn")) for c in cols)):
        df = _frame(obj)
        name = channel or ecg[0]
        if name not in _ECG:
            raise InvalidQueryError(f"{name!r} is not an ECG lead ({', '.join(_ECG)}).")
        sub = _rows(df, [name])
        mv = _converted(sub, [name], "physical")[name].to_numpy(dtype=np.float64)
        return {"ecg_signal": mv, "sampling_rate": float(catalog.lookup(name).freq or 0)}
    nn = nn_intervals(obj, **clean) if not _is_cleaned(obj) else nn_intervals(obj)
    meta = nn.attrs.get("hexoskin", {})
    rate = int(meta.get("tick_rate") or 256)
    from hexoframe.core.timestamps import ns_per_tick

    per = ns_per_tick(rate)
    ns = pd.DatetimeIndex(nn.index).as_unit("ns").asi8
    origin = (
        int(meta["start"]) * per
        if meta.get("start") is not None
        else (int(ns[0]) if ns.size else 0)
    )
    return {"RRI": nn["nn"].to_numpy(dtype=np.float64) * 1000.0, "RRI_Time": (ns - origin) / 1e9}


def _mne_type(name: str) -> str:
    for prefix, kind in _MNE_TYPES.items():
        if name.startswith(prefix):
            return kind
    return "misc"


def to_mne(df: pd.DataFrame | pd.Series, *, channels: Iterable[str] | None = None) -> Any:
    """Sampled channels of one rate as an ``mne.io.RawArray``.

    ECG leads become ``ecg`` channels in volts, respiration bands ``resp`` (mL), the
    rest ``misc`` in their physical unit (acceleration in g). ``meas_date`` is the time of
    the first sample (UTC; MNE keeps microseconds, so a start between microseconds is
    floored); ``raw.times`` count from it. Missing samples are NaN.

    Examples
    --------
    >>> ecg = hexoframe.read_hexoskin(record=37700, datatypes="ecg", client=client,
    ...                               end="2024-05-01T10:00:02Z", progress=False)
    >>> raw = to_mne(ecg)
    >>> raw.info["sfreq"], raw.get_channel_types(), str(raw.info["meas_date"])
    (256.0, ['ecg'], '2024-05-01 10:00:00+00:00')
    """
    mne = _require("mne")
    frame = _frame(df)
    names, rate = _sync_channels(frame, channels)
    rows = _rows(frame, names)
    phys = _converted(rows, names, "physical")
    kinds = [_mne_type(n) for n in names]
    data = np.vstack(
        [
            phys[n].to_numpy(dtype=np.float64) * (1e-3 if k == "ecg" else 1.0)
            for n, k in zip(names, kinds, strict=True)
        ]
    )
    info = mne.create_info(ch_names=names, sfreq=rate, ch_types=kinds)
    raw = mne.io.RawArray(data, info, verbose="error")
    start = _start(rows.index)
    raw.set_meas_date(start.to_pydatetime(warn=False).astimezone(_dt.timezone.utc))
    return raw


def _wfdb_layout(dt: catalog.Datatype) -> tuple[float, int, int, str]:
    """(adc_gain, baseline, digital shift, unit): physical = (digital - baseline) / gain."""
    scale = dt.physical_scale or 1.0
    shift = -32768 if not dt.signed else 0
    return 1.0 / scale, int(round(dt.physical_offset)) + shift, shift, dt.physical_unit


def to_wfdb(
    df: pd.DataFrame | pd.Series,
    *,
    channels: Iterable[str] | None = None,
    record_name: str | None = None,
) -> Any:
    """Sampled channels of one rate as a ``wfdb.Record`` (format 16).

    The digital signal is the device's raw value (unsigned channels shifted by -32768 to
    fit format 16), with ``adc_gain`` and ``baseline`` such that WFDB's physical value
    ``(digital - baseline) / gain`` is hexoframe's physical unit (ECG: gain 156.25 per
    mV, baseline 1360). Missing samples are WFDB's invalid value -32768. ``base_date`` and
    ``base_time`` (UTC) are the time of the first sample.

    Examples
    --------
    >>> ecg = hexoframe.read_hexoskin(record=37700, datatypes="ecg", client=client,
    ...                               end="2024-05-01T10:00:02Z", progress=False)
    >>> rec = to_wfdb(ecg)
    >>> rec.fs, rec.units, rec.adc_gain, str(rec.base_date), str(rec.base_time)
    (256.0, ['mV'], [156.25], '2024-05-01', '10:00:00')
    """
    wfdb = _require("wfdb")
    frame = _frame(df)
    names, rate = _sync_channels(frame, channels)
    rows = _rows(frame, names)
    raw = _converted(rows, names, "raw")
    gains, baselines, units, cols = [], [], [], []
    for name in names:
        gain, baseline, shift, unit = _wfdb_layout(catalog.lookup(name))
        values = raw[name].to_numpy(dtype=np.float64, na_value=np.nan)
        digital = np.where(np.isnan(values), -32768, np.nan_to_num(values) + shift)
        cols.append(np.clip(digital, -32768, 32767).astype(np.int64))
        gains.append(gain)
        baselines.append(baseline)
        units.append(unit)
    start = _start(rows.index).tz_localize(None).to_pydatetime(warn=False)
    meta = frame.attrs.get("hexoskin", {})
    name = record_name or ("hexoskin_" + str(meta["record"]) if meta.get("record") else "hexoskin")
    if not re.fullmatch(r"[-\w]+", name):
        raise InvalidQueryError(f"WFDB record names are letters, digits, '_' and '-': {name!r}.")
    d_signal = np.column_stack(cols) if cols else np.empty((0, 0), dtype=np.int64)
    return wfdb.Record(
        record_name=name,
        n_sig=len(names),
        fs=rate,
        sig_len=int(d_signal.shape[0]),
        d_signal=d_signal,
        fmt=["16"] * len(names),
        file_name=[f"{name}.dat"] * len(names),
        adc_gain=gains,
        baseline=baselines,
        units=units,
        sig_name=names,
        adc_res=[16] * len(names),
        adc_zero=[0] * len(names),
        init_value=[int(v) for v in d_signal[0]] if d_signal.size else None,
        checksum=[int(v) for v in np.sum(d_signal, axis=0) % 65536] if d_signal.size else None,
        block_size=[0] * len(names),
        base_date=start.date(),
        base_time=start.time(),
    )
