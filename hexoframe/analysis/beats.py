"""Beat cleaning: from the service's RR intervals to the NN intervals HRV is computed on.

A Hexoskin record gives one RR interval per detected beat (``rr_interval``, seconds, stamped
at the beat) and a quality code per beat (``rr_interval_quality``: 0 good, 0x01 noisy,
0x80 unreliable). :func:`clean_rr` keeps a beat as a normal-to-normal (NN) interval when

1. its RR value is positive: the first beat of a record carries 0 s (there is no previous
   beat) with quality 0x80, and left in it drags RMSSD up;
2. its quality code is 0 (any flagged bit drops it; ``drop_bits`` narrows which bits count);
3. it is physiologically possible: ``min_rr <= RR <= max_rr`` (0.25 s to 2.0 s by default,
   240 to 30 beats per minute).

Successive differences (RMSSD, pNN50) use only pairs of kept beats that are neighbours in the
RR series (``successive``), never a difference across a dropped beat. Everything is computed
from RR *values*: timestamps of NN events skip the dropped beats, so intervals rebuilt from
them are wrong.

Examples
--------
>>> import pandas as pd
>>> t = pd.to_datetime([0.5, 1.3, 2.1, 2.2, 3.0], unit="s", utc=True)
>>> rr = pd.DataFrame({"rr_interval": [0.0, 0.8, 0.8, 0.1, 0.8],
...                    "rr_interval_quality": [128, 0, 0, 0, 0]}, index=t)
>>> beats = clean_rr(rr)
>>> beats["reason"].tolist()
['first', 'ok', 'ok', 'too_short', 'ok']
>>> beats["successive"].tolist()
[False, False, True, False, False]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hexoframe.core import catalog
from hexoframe.core.errors import InvalidQueryError
from hexoframe.core.timestamps import TICKS_PER_SECOND, to_ticks

__all__ = ["MIN_RR", "MAX_RR", "RR_QUALITY_BITS", "clean_rr", "nn_intervals", "rr_events"]

#: Shortest RR interval kept (seconds; 240 beats per minute).
MIN_RR = 0.25
#: Longest RR interval kept (seconds; 30 beats per minute).
MAX_RR = 2.0
#: Bits of ``rr_interval_quality`` (hexoskin-facts.md).
RR_QUALITY_BITS = {"noisy": 0x01, "unreliable": 0x80}

_RR_COLUMNS = ("rr_interval", "rr_interval_realigned", "nn_interval")


def _meta(obj: pd.Series | pd.DataFrame) -> dict[str, Any]:
    meta = obj.attrs.get("hexoskin")
    return dict(meta) if isinstance(meta, dict) else dict(obj.attrs)


def _column_units(obj: pd.Series | pd.DataFrame, name: str) -> str:
    meta = _meta(obj)
    if isinstance(obj, pd.Series):
        return str(obj.attrs.get("hexoskin_units", meta.get("units", "api")))
    col = meta.get("columns", {}).get(name, {})
    return str(col.get("units", meta.get("units", "api")))


def _seconds(values: np.ndarray, name: str, units: str) -> np.ndarray:
    dt = catalog.lookup(name)
    if units == "raw":
        return np.asarray(values, dtype=np.float64) * dt.api_scale
    return np.asarray(values, dtype=np.float64)


def rr_events(obj: pd.Series | pd.DataFrame) -> dict[str, Any]:
    """The RR (or NN) events of a frame or Series, in seconds, with their ticks.

    Returns a dict with ``name`` (the channel used), ``ticks`` (int64), ``time``
    (DatetimeIndex), ``rr`` (seconds), ``quality`` (int64 array or None), ``tick_rate``,
    ``start`` and ``end`` (ticks of the span read, None when unknown).

    Examples
    --------
    >>> s = pd.Series([0.0, 0.5], index=pd.to_datetime([1, 1.5], unit="s", utc=True),
    ...               name="rr_interval")
    >>> rr_events(s)["ticks"].tolist()
    [256, 384]
    """
    meta = _meta(obj)
    rate = int(meta.get("tick_rate") or obj.attrs.get("tick_rate") or TICKS_PER_SECOND)
    if isinstance(obj, pd.Series):
        name = str(obj.name or obj.attrs.get("name") or "rr_interval")
        if name not in _RR_COLUMNS:
            raise InvalidQueryError(
                f"Expected an RR interval Series (named one of {_RR_COLUMNS}), got {name!r}."
            )
        values, quality = obj, None
    elif isinstance(obj, pd.DataFrame):
        name = next((c for c in _RR_COLUMNS if c in obj.columns), "")
        if not name:
            raise InvalidQueryError(
                "No RR intervals in this frame: read datatypes=['rr_interval', "
                "'rr_interval_quality'] (columns found: " + ", ".join(map(str, obj.columns)) + ")."
            )
        values = obj[name]
        quality = obj["rr_interval_quality"] if "rr_interval_quality" in obj.columns else None
    else:
        raise InvalidQueryError(f"Expected a pandas Series or DataFrame, got {type(obj).__name__}.")
    if not isinstance(values.index, pd.DatetimeIndex):
        raise InvalidQueryError("RR intervals need a DatetimeIndex (as read_hexoskin gives).")
    present = values.notna().to_numpy()
    index = values.index[present]
    rr = _seconds(values.to_numpy()[present], name, _column_units(obj, name))
    q = None
    if quality is not None and name != "nn_interval":
        qv = quality.to_numpy(dtype=np.float64, na_value=np.nan)[present]
        q = np.where(np.isnan(qv), 0, qv).astype(np.int64)
    ticks = np.asarray(to_ticks(index, rate), dtype=np.int64)
    order = np.argsort(ticks, kind="stable")
    start, end = meta.get("start"), meta.get("end")
    return {
        "name": name,
        "ticks": ticks[order],
        "time": index[order],
        "rr": rr[order],
        "quality": None if q is None else q[order],
        "tick_rate": rate,
        "start": None if start is None else int(start),
        "end": None if end is None else int(end),
    }


def clean_rr(
    obj: pd.Series | pd.DataFrame,
    *,
    min_rr: float = MIN_RR,
    max_rr: float = MAX_RR,
    drop_bits: int = 0xFF,
) -> pd.DataFrame:
    """Annotate every beat: kept as NN or dropped, and why.

    Parameters
    ----------
    obj : DataFrame or Series
        ``read_hexoskin(..., datatypes=["rr_interval", "rr_interval_quality"])`` (quality
        optional, but without it flagged beats cannot be dropped), or an ``nn_interval``
        channel (already cleaned by the service; neighbours are then recognised by time:
        a beat follows the previous one when their time difference equals its value
        within 2 ticks).
    min_rr, max_rr : float
        Physiological bounds in seconds (inclusive).
    drop_bits : int
        Quality bits that drop a beat (all by default).

    Returns
    -------
    DataFrame
        Indexed by beat time: ``rr`` (s), ``quality``, ``keep`` (bool), ``reason``
        (``ok``, ``first``, ``flagged``, ``too_short``, ``too_long``) and ``successive``
        (kept, and the previous beat of the series was kept too).

    Examples
    --------
    >>> s = pd.Series([0.0, 0.8, 2.5, 0.8], name="rr_interval",
    ...               index=pd.to_datetime([1, 1.8, 4.3, 5.1], unit="s", utc=True))
    >>> clean_rr(s)["reason"].tolist()
    ['first', 'ok', 'too_long', 'ok']
    """
    if not 0 < min_rr < max_rr:
        raise InvalidQueryError(f"Need 0 < min_rr < max_rr, got {min_rr} and {max_rr}.")
    ev = rr_events(obj)
    rr, q = ev["rr"], ev["quality"]
    quality = np.zeros(rr.size, dtype=np.int64) if q is None else q
    reason = np.full(rr.size, "ok", dtype=object)
    reason[rr > max_rr] = "too_long"
    reason[rr < min_rr] = "too_short"
    reason[(quality & int(drop_bits)) != 0] = "flagged"
    reason[rr <= 0] = "first"
    keep = reason == "ok"
    successive = np.zeros(rr.size, dtype=bool)
    if ev["name"] == "nn_interval":
        gap = np.diff(ev["ticks"]) - rr[1:] * ev["tick_rate"]
        successive[1:] = np.abs(gap) <= 2
    else:
        successive[1:] = keep[:-1]
    successive &= keep
    out = pd.DataFrame(
        {"rr": rr, "quality": quality, "keep": keep, "reason": reason, "successive": successive},
        index=ev["time"],
    )
    out.attrs = {
        "hexoskin": {
            "source": ev["name"],
            "tick_rate": ev["tick_rate"],
            "start": ev["start"],
            "end": ev["end"],
            "min_rr": min_rr,
            "max_rr": max_rr,
            "drop_bits": int(drop_bits),
        }
    }
    return out


def nn_intervals(obj: pd.Series | pd.DataFrame, **clean: Any) -> pd.DataFrame:
    """The kept beats of :func:`clean_rr`: ``nn`` (s) and ``successive``, by beat time.

    Examples
    --------
    >>> s = pd.Series([0.0, 0.8, 0.8], name="rr_interval",
    ...               index=pd.to_datetime([1, 1.8, 2.6], unit="s", utc=True))
    >>> nn_intervals(s)["nn"].tolist()
    [0.8, 0.8]
    """
    beats = obj if _is_cleaned(obj) else clean_rr(obj, **clean)
    kept = beats[beats["keep"]]
    out = pd.DataFrame(
        {"nn": kept["rr"].to_numpy(), "successive": kept["successive"].to_numpy()}, index=kept.index
    )
    out.attrs = {"hexoskin": dict(beats.attrs.get("hexoskin", {}))}
    return out


def _is_cleaned(obj: Any) -> bool:
    return isinstance(obj, pd.DataFrame) and {"rr", "keep", "successive"} <= set(obj.columns)
