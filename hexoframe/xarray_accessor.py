"""``Dataset.hexo``: Hexoskin methods on xarray Datasets (registered when xarray is present).

Examples
--------
>>> import xarray as xr, hexoframe
>>> hasattr(xr.Dataset(), "hexo")
True
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = ["HexoDatasetAccessor"]


class HexoDatasetAccessor:
    """``ds.hexo``: methods on a Dataset opened with ``engine="hexoskin"``."""

    def __init__(self, obj: Any) -> None:
        self._obj = obj

    def to_edf(self, path: str | os.PathLike[str], **kwargs: Any) -> Path:
        """Write the Dataset as an EDF+ file (see :func:`hexoframe.edf.dataset_to_edf`)."""
        from . import edf

        return edf.dataset_to_edf(self._obj, path, **kwargs)


try:  # pragma: no branch
    import xarray as _xr
except ImportError:  # pragma: no cover
    _xr = None
if _xr is not None and not hasattr(_xr.Dataset, "hexo"):
    _xr.register_dataset_accessor("hexo")(HexoDatasetAccessor)
