"""The front doors: pandas (read_hexoskin registration, .hexo accessors), xarray (engine, time
axis, accessor), fsspec, dask cohorts, hexoskin:// URLs.
"""
