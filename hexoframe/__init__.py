"""hexoframe: Hexoskin smart-shirt biometrics in pandas, xarray and fsspec.

Importing hexoframe registers ``pd.read_hexoskin`` (pandas has no plugin mechanism for
readers, so this is a guarded assignment that never replaces someone else's function)
and the ``.hexo`` Series/DataFrame accessors.  The xarray engine ``"hexoskin"`` and the
fsspec protocol ``hexoskin://`` are registered through entry points and load on first use.

Examples
--------
>>> import hexoframe
>>> client = hexoframe.Client()
>>> df = hexoframe.read_hexoskin(record=37700, datatypes=["hr", "br"])
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

from hexoframe.core import catalog, errors, timestamps
from hexoframe.core.errors import (
    AuthenticationError,
    BadRequest,
    ConfigurationError,
    ConnectionFailed,
    CrossHostError,
    ExportFormatError,
    HexoskinError,
    HexoskinWarning,
    IncompleteDataError,
    InvalidQueryError,
    MethodNotAllowed,
    NotFound,
    PermissionDenied,
    RateLimited,
    ResponseError,
    ServerError,
    UnknownDatatypeError,
)

__version__ = "0.1.0"

# The flat layout's public modules keep their import paths (``hexoframe.errors`` ...).
for _name, _module in (("catalog", catalog), ("errors", errors), ("timestamps", timestamps)):
    sys.modules.setdefault(f"{__name__}.{_name}", _module)

# Public names that live in heavier modules, imported on first access.
_LAZY = {
    "Client": "hexoframe.api.client",
    "read_hexoskin": "hexoframe.data.reader",
    "read_export": "hexoframe.formats.exports",
    "write_export": "hexoframe.frontends.export",
    "download": "hexoframe.frontends.download",
    "read_cohort": "hexoframe.frontends.cohort",
    "Emulator": "hexoframe.emulator",
    "clean_rr": "hexoframe.analysis.beats",
    "hrv": "hexoframe.analysis.hrv",
    "mask_quality": "hexoframe.analysis.quality",
    "time_in_zones": "hexoframe.analysis.zones",
    "heart_rate_zones": "hexoframe.analysis.zones",
    "plot": "hexoframe.analysis.plotting",
    "plot_record": "hexoframe.analysis.plotting",
    "to_neurokit": "hexoframe.analysis.bridges",
    "to_mne": "hexoframe.analysis.bridges",
    "to_wfdb": "hexoframe.analysis.bridges",
    "align": "hexoframe.analysis.alignment",
}

__all__ = [
    "__version__",
    "catalog",
    "errors",
    "timestamps",
    "AuthenticationError",
    "BadRequest",
    "ConfigurationError",
    "ConnectionFailed",
    "CrossHostError",
    "ExportFormatError",
    "HexoskinWarning",
    "HexoskinError",
    "IncompleteDataError",
    "InvalidQueryError",
    "MethodNotAllowed",
    "NotFound",
    "PermissionDenied",
    "RateLimited",
    "ResponseError",
    "ServerError",
    "UnknownDatatypeError",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hexoframe' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


from hexoframe.frontends import pandas_ext as _pandas_ext  # noqa: E402  (registers pd.read_hexoskin, .hexo)

_pandas_ext.register()

from hexoframe.frontends import xarray_ext as _xarray_ext  # noqa: E402  (.hexo on xarray objects)

_xarray_ext.register()
