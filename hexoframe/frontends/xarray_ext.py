"""``Dataset.hexo`` / ``DataArray.hexo``: plotting with units and EDF writing for xarray.

Registered when hexoframe is imported, unless another package already took the name.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import pandas as pd, xarray as xr, hexoframe
>>> t = pd.date_range("2024-05-01", periods=3, freq="s")
>>> ds = xr.Dataset({"heart_rate": ("time", [70, 71, 72], {"units": "bpm"})},
...                 coords={"time": t})
>>> ds.hexo.plot().get_ylabel()
'heart_rate [bpm]'
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

__all__ = ["HexoXarrayAccessor", "register"]


class HexoXarrayAccessor:
    """``.hexo`` on xarray Datasets and DataArrays."""

    def __init__(self, obj: Any) -> None:
        self._obj = obj

    def plot(self, **kwargs: Any) -> Any:
        """One panel per variable against time, labelled ``name [units]``
        (:func:`hexoframe.analysis.plotting.plot`)."""
        from hexoframe.analysis.plotting import plot

        return plot(self._obj, **kwargs)

    def align(self, to: Any = None, **kwargs: Any) -> Any:
        """Every variable on one ``time`` grid (:func:`hexoframe.align`)."""
        from hexoframe.analysis.alignment import align

        return align(self._obj, to, **kwargs)

    def to_edf(self, path: str | os.PathLike[str], **kwargs: Any) -> Path:
        """Write the Dataset (or a named DataArray) as an EDF+ file, atomically
        (:func:`hexoframe.formats.edf.dataset_to_edf`)."""
        from hexoframe.formats import edf

        obj = self._obj
        if not hasattr(obj, "data_vars"):
            obj = obj.to_dataset()
        return edf.dataset_to_edf(obj, path, **kwargs)


def register() -> None:
    """Register the accessor on ``xr.Dataset`` and ``xr.DataArray`` (if the name is free)."""
    import xarray as xr

    for cls, reg in (
        (xr.Dataset, xr.register_dataset_accessor),
        (xr.DataArray, xr.register_dataarray_accessor),
    ):
        existing = getattr(cls, "hexo", None)
        if existing is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                reg("hexo")(HexoXarrayAccessor)
