"""Plots with units on their axes (matplotlib, the optional ``plot`` extra).

:func:`plot` draws a Series, DataFrame, xarray DataArray or Dataset with one panel per
channel, each labelled ``name [unit]`` against UTC time; ``.hexo.plot()`` calls it.
:func:`plot_record` draws an overview of a record or span: an ECG strip with the beats the
service detected (its ``rr_interval`` events), heart and breathing rate (quality-masked),
and activity. :func:`save_png` writes a figure atomically.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import pandas as pd
>>> s = pd.Series([70, 72], name="heart_rate",
...               index=pd.date_range("2024-05-01", periods=2, freq="s", tz="UTC"))
>>> plot(s).get_ylabel()
'heart_rate [bpm]'
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from hexoframe.core import catalog
from hexoframe.core.errors import InvalidQueryError

__all__ = ["plot", "plot_record", "save_png", "label_of"]

_TIME_LABEL = "time (UTC)"


def _mpl() -> Any:
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError("Plotting needs matplotlib: pip install 'hexoframe[plot]'.") from exc
    return matplotlib


def label_of(name: Any, unit: str | None = None) -> str:
    """``"name [unit]"``, the unit from the catalogue when not given.

    Examples
    --------
    >>> label_of("breathing_rate")
    'breathing_rate [rpm]'
    """
    if unit is None:
        try:
            unit = catalog.lookup(str(name)).unit
        except InvalidQueryError:
            unit = None
    return f"{name} [{unit}]" if unit else str(name)


def _frame_units(df: pd.DataFrame) -> dict[str, str]:
    return {str(k): v for k, v in df.hexo.units().items() if v}


def _panels(obj: Any) -> list[tuple[str, Any, np.ndarray, str | None]]:
    """(name, x, y, unit) per channel."""
    if isinstance(obj, pd.Series):
        s = obj.dropna()
        unit = obj.attrs.get("unit")
        return [(str(obj.name), s.index, s.to_numpy(), unit)]
    if isinstance(obj, pd.DataFrame):
        units = _frame_units(obj)
        out = []
        for col in obj.columns:
            s = obj[col].dropna()
            if not pd.api.types.is_numeric_dtype(s):
                continue
            out.append((str(col), s.index, s.to_numpy(), units.get(str(col))))
        return out
    import xarray as xr  # a core dependency

    if isinstance(obj, xr.DataArray):
        dim = obj.dims[0]
        unit = obj.attrs.get("hexoskin_unit") or obj.attrs.get("units") or obj.attrs.get("unit")
        return [(str(obj.name), obj[dim].values, np.asarray(obj.values), unit)]
    if isinstance(obj, xr.Dataset):
        return [p for name in obj.data_vars for p in _panels(obj[name]) if obj[name].ndim == 1]
    raise InvalidQueryError(
        f"Cannot plot a {type(obj).__name__}: give a pandas Series or "
        "DataFrame or an xarray DataArray or Dataset."
    )


def plot(obj: Any, *, ax: Any = None, **kwargs: Any) -> Any:
    """Plot each channel against time with ``name [unit]`` labels.

    Parameters
    ----------
    obj : Series, DataFrame, DataArray or Dataset
    ax : matplotlib Axes or sequence of Axes, optional
        Where to draw (one per channel); a new pyplot figure by default.
    **kwargs
        Passed to ``Axes.plot``.

    Returns
    -------
    Axes (one channel) or numpy array of Axes (one per channel, shared time axis)
    """
    _mpl()
    panels = _panels(obj)
    if not panels:
        raise InvalidQueryError("Nothing to plot: no numeric channel.")
    if ax is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(
            len(panels), 1, sharex=True, squeeze=False, figsize=(10, 2.2 * len(panels) + 0.6)
        )
        axes = axes[:, 0]
    else:
        axes = np.atleast_1d(np.asarray(ax, dtype=object))
        if axes.size != len(panels):
            raise InvalidQueryError(f"Need {len(panels)} axes, got {axes.size}.")
    for a, (name, x, y, unit) in zip(axes, panels, strict=True):
        a.plot(x, y, **kwargs)
        a.set_ylabel(label_of(name, unit))
    axes[-1].set_xlabel(_TIME_LABEL)
    return axes[0] if axes.size == 1 else axes


def save_png(fig: Any, path: str | os.PathLike[str], *, dpi: int = 100) -> Path:
    """Write ``fig`` as a PNG at ``path`` (temporary file, then rename)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".png", prefix=".tmp-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fig.savefig(fh, format="png", dpi=dpi)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def plot_record(
    record: Any = None,
    *,
    range: Any = None,  # noqa: A002 - the service's own name
    start: Any = None,
    end: Any = None,
    user: Any = None,
    client: Any = None,
    ecg_start: Any = None,
    ecg_seconds: float = 10.0,
    path: str | os.PathLike[str] | None = None,
) -> Any:
    """Overview of a record or span: ECG strip with beats, heart/breathing rate, activity.

    Parameters
    ----------
    record, range, start, end, user
        What to read, as for :func:`hexoframe.read_hexoskin`.
    client : Client, optional
    ecg_start : time-like, optional
        Start of the ECG strip (the start of the span by default).
    ecg_seconds : float
        Length of the ECG strip.
    path : path, optional
        Also save the figure there as a PNG.

    Returns
    -------
    matplotlib.figure.Figure
        Three panels: ``ecg_i [mV]`` with the service's beats (``rr_interval`` events)
        marked, ``heart_rate [bpm]`` with ``breathing_rate [rpm]`` on a second axis
        (samples flagged by their quality channels left out), ``activity [g]``.

    Examples
    --------
    >>> fig = plot_record(37700, end="2024-05-01T10:05:00Z", client=client)
    >>> [a.get_ylabel() for a in fig.axes]
    ['ecg_i [mV]', 'heart_rate [bpm]', 'activity [g]', 'breathing_rate [rpm]']
    """
    _mpl()
    from matplotlib.figure import Figure

    from hexoframe.analysis.quality import mask_quality
    from hexoframe.api.client import Client
    from hexoframe.core.timestamps import ticks_to_timestamp, to_ticks
    from hexoframe.data.reader import read_hexoskin

    client = client if client is not None else Client()
    where = {
        "record": record,
        "range": range,
        "start": start,
        "end": end,
        "user": user,
        "client": client,
        "progress": False,
    }
    vitals = read_hexoskin(
        datatypes=[
            "heart_rate",
            "heart_rate_quality",
            "breathing_rate",
            "breathing_rate_quality",
            "activity",
        ],
        **where,
    )
    vitals = mask_quality(vitals)
    meta = vitals.attrs["hexoskin"]
    rate = int(meta.get("tick_rate") or 256)
    t0 = int(to_ticks(ecg_start, rate)) if ecg_start is not None else int(meta["start"])
    t1 = min(t0 + int(round(ecg_seconds * rate)), int(meta["end"]))
    strip = {**where, "start": ticks_to_timestamp(t0, rate), "end": ticks_to_timestamp(t1, rate)}
    ecg = (
        cast(pd.DataFrame, read_hexoskin(datatypes=["ecg_i"], **strip))
        .hexo.to_physical()["ecg_i"]
        .dropna()
    )
    beats = read_hexoskin(datatypes=["rr_interval"], **strip)["rr_interval"].dropna().index

    fig = Figure(figsize=(11, 8), layout="constrained")
    ax_ecg, ax_hr, ax_act = fig.subplots(3, 1)
    ax_ecg.plot(ecg.index, ecg.to_numpy(), lw=0.8, color="tab:red")
    if len(ecg) and len(beats):
        pos = np.clip(ecg.index.searchsorted(beats), 0, len(ecg) - 1)
        ax_ecg.plot(
            beats, ecg.to_numpy()[pos], "v", color="black", ms=5, label="beats (rr_interval events)"
        )
        ax_ecg.legend(loc="upper right", fontsize="small")
    ax_ecg.set_ylabel(label_of("ecg_i", "mV"))
    ax_ecg.set_title(f"ECG strip, {ecg_seconds:g} s")
    hr = vitals["heart_rate"].dropna()
    br = vitals["breathing_rate"].dropna()
    ax_hr.plot(hr.index, hr.to_numpy(), color="tab:red", lw=1, label="heart rate")
    ax_hr.set_ylabel(label_of("heart_rate"))
    ax_br = ax_hr.twinx()
    ax_br.plot(br.index, br.to_numpy(), color="tab:blue", lw=1, label="breathing rate")
    ax_br.set_ylabel(label_of("breathing_rate"))
    act = vitals["activity"].dropna()
    ax_act.plot(act.index, act.to_numpy(), color="tab:green", lw=1)
    ax_act.set_ylabel(label_of("activity"))
    ax_act.set_xlabel(_TIME_LABEL)
    ax_act.sharex(ax_hr)
    what = (
        f"record {record}"
        if record is not None
        else (f"range {range}" if range is not None else "span")
    )
    fig.suptitle(
        f"Hexoskin {what}: {vitals.index[0]:%Y-%m-%d %H:%M} to {vitals.index[-1]:%H:%M} UTC"
        if len(vitals)
        else f"Hexoskin {what}"
    )
    if path is not None:
        save_png(fig, path)
    return fig
