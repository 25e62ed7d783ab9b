"""Quality masks: hide heart-rate and breathing-rate samples their quality channel flags.

Bit meanings (``../shared/reference/hexoskin-facts.md``, from Hexoskin's decoders):

- ``heart_rate_quality``: 0x02 disconnected, 0x04 mains noise, 0x08 saturated,
  0x10 artifacts, 0x20 unreliable RR;
- ``breathing_rate_quality``: 0x01 / 0x02 channel A / B missing, 0x04 / 0x08 baseline
  change (A / B), 0x10 / 0x20 noisy (A / B). The facts name the pairs but not which bit of
  the baseline and noise pairs is which channel; the A/B split is by analogy.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"heart_rate": [70, 71, 72], "heart_rate_quality": [0, 16, 2]})
>>> mask_quality(df)["heart_rate"].tolist()
[70.0, nan, nan]
>>> mask_quality(df, bits=["artifacts"])["heart_rate"].tolist()
[70.0, nan, 72.0]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from hexoframe.core.catalog import FLAG_BITS
from hexoframe.core.errors import InvalidQueryError

__all__ = [
    "HEART_RATE_QUALITY_BITS",
    "BREATHING_RATE_QUALITY_BITS",
    "QUALITY_OF",
    "quality_bits",
    "mask_quality",
]

HEART_RATE_QUALITY_BITS = FLAG_BITS["heart_rate_quality"]
BREATHING_RATE_QUALITY_BITS = FLAG_BITS["breathing_rate_quality"]
#: The value channel each quality channel speaks for.
QUALITY_OF = {"heart_rate": "heart_rate_quality", "breathing_rate": "breathing_rate_quality"}
_BITS = {
    "heart_rate_quality": HEART_RATE_QUALITY_BITS,
    "breathing_rate_quality": BREATHING_RATE_QUALITY_BITS,
}


def quality_bits(quality: str, bits: Iterable[str | int] | int | str | None = None) -> int:
    """The bitmask for ``bits`` (names or integers) of a quality channel; all bits if None.

    Examples
    --------
    >>> quality_bits("heart_rate_quality", ["disconnected", "saturated"])
    10
    """
    names = _BITS.get(quality)
    if names is None:
        raise InvalidQueryError(
            f"No bit meanings known for {quality!r}; use one of {sorted(_BITS)}."
        )
    if bits is None:
        return 0xFF
    if isinstance(bits, int | str):
        bits = [bits]
    mask = 0
    for bit in bits:
        if isinstance(bit, str):
            if bit not in names:
                raise InvalidQueryError(f"Unknown {quality} bit {bit!r}; known: {sorted(names)}.")
            mask |= names[bit]
        else:
            mask |= int(bit)
    return mask


def mask_quality(
    df: pd.DataFrame,
    bits: Iterable[str | int] | int | str | Mapping[str, Any] | None = None,
    *,
    quality: pd.DataFrame | None = None,
    channels: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Set to NaN every heart/breathing-rate sample its quality channel flags.

    Parameters
    ----------
    df : DataFrame
        Holds ``heart_rate`` and/or ``breathing_rate`` and, unless ``quality`` is given, the
        matching ``*_quality`` columns (read them together:
        ``datatypes=["hr", "hr_quality", "br", "br_quality"]``).
    bits : names, ints or a mapping, optional
        Which bits mask a sample: all (any non-zero code) by default; integers apply to
        every channel, a bit name to the channel(s) whose quality defines it (a name no
        channel of the frame defines is an error); ``{"heart_rate": [...], ...}`` per
        channel (``None`` for all bits; channels not named are left as they are).
    quality : DataFrame, optional
        Quality columns read separately; aligned to ``df`` on exact timestamps.
    channels : names, optional
        Value channels to mask (default: those of :data:`QUALITY_OF` present).

    Returns
    -------
    DataFrame
        A copy, masked columns as float, ``attrs["hexoskin"]["masked"]`` counting the
        samples masked per column. A sample without a quality value is kept.
    """
    if not isinstance(df, pd.DataFrame):
        raise InvalidQueryError(
            "mask_quality takes a DataFrame with the value and quality "
            "columns (or pass quality=...)."
        )
    qframe = df if quality is None else quality.reindex(df.index)
    channels = None if channels is None else [str(c) for c in channels]
    names = [c for c in (channels or QUALITY_OF) if c in df.columns]
    if channels is not None and len(names) != len(list(channels)):
        missing = sorted(set(channels) - set(names))
        raise InvalidQueryError(f"Channels missing from the frame: {missing}.")
    if not names:
        raise InvalidQueryError(
            "Nothing to mask: the frame has neither heart_rate nor breathing_rate."
        )
    shared = None
    if bits is not None and not isinstance(bits, Mapping):
        shared = [bits] if isinstance(bits, int | str) else list(bits)
        known = {n for name in names for n in _BITS.get(QUALITY_OF.get(name, ""), {})}
        unknown = [b for b in shared if isinstance(b, str) and b not in known]
        if unknown:
            meanings = {
                QUALITY_OF[n]: sorted(_BITS[QUALITY_OF[n]]) for n in names if n in QUALITY_OF
            }
            raise InvalidQueryError(f"Unknown quality bit(s) {unknown}; known: {meanings}.")
    out = df.copy()
    counts: dict[str, int] = {}
    for name in names:
        qname = QUALITY_OF.get(name)
        if qname is None or qname not in qframe.columns:
            raise InvalidQueryError(
                f"{name} needs its quality channel {qname!r}: read "
                f"datatypes=[{name!r}, {qname!r}] together or pass quality=."
            )
        if isinstance(bits, Mapping):
            mask_bits = quality_bits(qname, bits.get(name)) if name in bits else 0
        elif shared is not None:
            mine = [b for b in shared if not isinstance(b, str) or b in _BITS[qname]]
            mask_bits = quality_bits(qname, mine)
        else:
            mask_bits = quality_bits(qname, None)
        q = qframe[qname].to_numpy(dtype=np.float64, na_value=np.nan)
        flagged = np.zeros(q.shape, dtype=bool)
        ok = ~np.isnan(q)
        flagged[ok] = (q[ok].astype(np.int64) & mask_bits) != 0
        values = out[name].to_numpy(dtype=np.float64, na_value=np.nan).copy()
        counts[name] = int(np.count_nonzero(flagged & ~np.isnan(values)))
        values[flagged] = np.nan
        out[name] = values
    meta = dict(df.attrs.get("hexoskin", {}))
    out.attrs = {**df.attrs, "hexoskin": {**meta, "masked": counts}}
    return out
