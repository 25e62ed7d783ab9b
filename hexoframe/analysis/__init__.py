"""Analysis on top of the readers: beat cleaning, HRV, quality masks, heart-rate zones.

Everything here takes the pandas objects :func:`hexoframe.read_hexoskin` and
:func:`hexoframe.read_export` return (a ``time`` index, units in ``attrs``) and is also
reachable through the ``.hexo`` accessors.
"""

from __future__ import annotations

from hexoframe.analysis.beats import MAX_RR, MIN_RR, RR_QUALITY_BITS, clean_rr, nn_intervals
from hexoframe.analysis.hrv import BANDS, frequency_domain, hrv, time_domain

__all__ = [
    "BANDS",
    "MAX_RR",
    "MIN_RR",
    "RR_QUALITY_BITS",
    "clean_rr",
    "frequency_domain",
    "hrv",
    "nn_intervals",
    "time_domain",
]
