"""File formats, read and written: WAV, .hxd, zip and export layouts, EDF+, and frames written to
CSV, Parquet, netCDF, Zarr and EDF.
"""
