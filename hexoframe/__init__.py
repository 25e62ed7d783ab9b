"""hexoframe: Hexoskin biometrics in pandas, xarray and fsspec."""

__version__ = "0.1.0"
