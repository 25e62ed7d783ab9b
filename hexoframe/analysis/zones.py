"""Heart-rate zones: time spent in each band of a percentage of the maximum heart rate.

Five zones of 10 % of ``hr_max`` each, from 50 % up (zone 1: 50-60 %, ..., zone 5:
90-100 %), plus ``below`` (under 50 %) and ``above`` (``hr_max`` or more). A zone holds
``lower <= hr < upper``. Each heart-rate sample counts for one sample period (1 s for the
service's 1 Hz ``heart_rate``); missing (NaN) samples, e.g. masked by
:func:`~hexoframe.analysis.quality.mask_quality`, count nowhere.

``hr_max`` comes from the user's profile (``profile.fitness.hr_max``) when
:func:`heart_rate_zones` reads a record or range; pass it to override.

Examples
--------
>>> import pandas as pd
>>> hr = pd.Series([80, 100, 120, 150, 170, 200], name="heart_rate",
...                index=pd.date_range("2024-05-01", periods=6, freq="s", tz="UTC"))
>>> time_in_zones(hr, hr_max=200)["seconds"].tolist()
[1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 1.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from hexoframe.core.errors import InvalidQueryError, ResponseError
from hexoframe.core.references import ref_id

__all__ = ["ZONE_BOUNDS", "time_in_zones", "profile_hr_max", "heart_rate_zones"]

#: Zone edges as fractions of ``hr_max``.
ZONE_BOUNDS = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def _period_seconds(hr: pd.Series) -> float:
    rate = hr.attrs.get("rate")
    if rate:
        return 1.0 / float(rate)
    if isinstance(hr.index, pd.DatetimeIndex) and len(hr.index) > 1:
        return float(np.median(np.diff(hr.index.as_unit("ns").asi8))) / 1e9
    return 1.0


def time_in_zones(
    hr: pd.Series | pd.DataFrame,
    hr_max: float,
    *,
    bounds: Sequence[float] = ZONE_BOUNDS,
    sample_seconds: float | None = None,
) -> pd.DataFrame:
    """Time spent in each heart-rate zone.

    Parameters
    ----------
    hr : Series or DataFrame
        Heart rate in beats per minute (a frame's ``heart_rate`` column).
    hr_max : float
        Maximum heart rate (bpm).
    bounds : sequence of float
        Increasing zone edges as fractions of ``hr_max``.
    sample_seconds : float, optional
        Duration each sample stands for; from ``attrs["rate"]`` or the index spacing.

    Returns
    -------
    DataFrame
        Index ``below``, ``zone 1`` ... ``zone N``, ``above``; columns ``lower_bpm``,
        ``upper_bpm``, ``samples``, ``seconds``, ``fraction`` (of the samples with a value).
    """
    if isinstance(hr, pd.DataFrame):
        if "heart_rate" not in hr.columns:
            raise InvalidQueryError("time_in_zones needs a heart_rate column.")
        attrs = hr.attrs
        hr = hr["heart_rate"]
        if not hr.attrs.get("rate"):
            col = attrs.get("hexoskin", {}).get("columns", {}).get("heart_rate", {})
            hr = hr.copy()
            hr.attrs = {**hr.attrs, "rate": col.get("rate")}
    edges = np.asarray(bounds, dtype=np.float64)
    if not hr_max or hr_max <= 0 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise InvalidQueryError("Need hr_max > 0 and increasing zone bounds.")
    bpm = np.concatenate([[-np.inf], edges * float(hr_max), [np.inf]])
    values = hr.to_numpy(dtype=np.float64, na_value=np.nan)
    values = values[~np.isnan(values)]
    counts = np.bincount(np.searchsorted(bpm, values, side="right") - 1, minlength=bpm.size - 1)
    period = _period_seconds(hr) if sample_seconds is None else float(sample_seconds)
    names = ["below", *[f"zone {k}" for k in range(1, edges.size)], "above"]
    out = pd.DataFrame(
        {
            "lower_bpm": bpm[:-1],
            "upper_bpm": bpm[1:],
            "samples": counts[: bpm.size - 1],
            "seconds": counts[: bpm.size - 1] * period,
            "fraction": counts[: bpm.size - 1] / values.size if values.size else np.nan,
        },
        index=pd.Index(names, name="zone"),
    )
    out.attrs = {
        "hr_max": float(hr_max),
        "bounds": tuple(float(b) for b in edges),
        "units": {"lower_bpm": "bpm", "upper_bpm": "bpm", "seconds": "s", "fraction": "1"},
    }
    return out


def profile_hr_max(client: Any, user: Any) -> float:
    """``fitness.hr_max`` of a user's profile (user id or URI).

    Examples
    --------
    >>> profile_hr_max(client, 1511)
    183.0
    """
    uid = ref_id(user)
    profile = client.get("user", uid).get("profile")
    pid = ref_id(profile)
    if pid is None:
        raise ResponseError(f"User {uid} has no profile to take hr_max from; pass hr_max=.")
    value = (client.get("profile", pid).get("fitness") or {}).get("hr_max")
    if not value:
        raise ResponseError(f"Profile {pid} has no fitness.hr_max; pass hr_max=.")
    return float(value)


def heart_rate_zones(
    *,
    record: Any = None,
    range: Any = None,  # noqa: A002 - the service's own name
    start: Any = None,
    end: Any = None,
    user: Any = None,
    hr_max: float | None = None,
    mask: bool = True,
    bounds: Sequence[float] = ZONE_BOUNDS,
    client: Any = None,
) -> pd.DataFrame:
    """Time in each heart-rate zone for a record, range or span, ``hr_max`` from the profile.

    Parameters
    ----------
    record, range, start, end, user
        What to read, as for :func:`hexoframe.read_hexoskin`.
    hr_max : float, optional
        Overrides the profile's ``fitness.hr_max``.
    mask : bool
        Drop samples flagged by ``heart_rate_quality`` first.
    bounds : sequence of float
        Zone edges as fractions of ``hr_max``.
    client : Client, optional

    Examples
    --------
    >>> z = heart_rate_zones(range=58979, client=client)
    >>> int(z["samples"].sum()) + z.attrs["masked"], z.attrs["hr_max"]
    (1200, 183.0)
    """
    from hexoframe.analysis.quality import mask_quality
    from hexoframe.api.client import Client
    from hexoframe.data.reader import read_hexoskin

    client = client if client is not None else Client()
    keys = ["heart_rate", "heart_rate_quality"] if mask else ["heart_rate"]
    df = read_hexoskin(
        record=record,
        range=range,
        start=start,
        end=end,
        user=user,
        datatypes=keys,
        client=client,
        progress=False,
    )
    df = cast(pd.DataFrame, df)
    masked = 0
    if mask:
        df = mask_quality(df)
        masked = int(df.attrs["hexoskin"]["masked"].get("heart_rate", 0))
    if hr_max is None:
        users = df.attrs.get("hexoskin", {}).get("users") or [user]
        if len(users) != 1 or users[0] is None:
            raise InvalidQueryError("Zones need one user; pass user= or hr_max=.")
        hr_max = profile_hr_max(client, users[0])
    out = time_in_zones(df, hr_max, bounds=bounds)
    out.attrs["masked"] = masked
    return out
