"""Write a frame of channels to a file, atomically, in the format its name says.

One function, :func:`write_frame`, used by the ``hexoframe`` command: CSV, Parquet,
netCDF, Zarr or EDF+, chosen from the extension (or given). The file is written beside
its target under a temporary name and renamed into place, so a failure or Ctrl-C leaves
nothing behind and never a half-written file.

Examples
--------
>>> import tempfile, pathlib, pandas as pd
>>> frame = pd.DataFrame({"heart_rate": [70, 71]},
...                      index=pd.date_range("2024-05-01", periods=2, freq="s", tz="UTC",
...                                          name="time"))
>>> out = write_frame(frame, pathlib.Path(tempfile.mkdtemp()) / "hr.csv")
>>> out.read_text().splitlines()[0]
'time,heart_rate'
>>> format_of("hr.xlsx")
Traceback (most recent call last):
...
hexoframe.core.errors.InvalidQueryError: Cannot write 'hr.xlsx': ...
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hexoframe.core.errors import InvalidQueryError

__all__ = ["FORMATS", "atomic_output", "folder_of", "format_of", "write_frame"]

#: Output formats by file extension.
FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".nc": "netcdf",
    ".netcdf": "netcdf",
    ".zarr": "zarr",
    ".edf": "edf",
}


def format_of(path: str | os.PathLike[str], fmt: str | None = None) -> str:
    """The output format: ``fmt`` if given, else the one the extension names.

    Examples
    --------
    >>> format_of("a.parquet"), format_of("a.bin", "csv")
    ('parquet', 'csv')
    """
    known = sorted(set(FORMATS.values()))
    if fmt is not None:
        if fmt not in known:
            raise InvalidQueryError(f"--format {fmt!r} is not one of {', '.join(known)}.")
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InvalidQueryError(
            f"Cannot write {os.fspath(path)!r}: the extension {suffix or '(none)'!r} names no "
            f"format; use one of {', '.join(sorted(FORMATS))} or give --format."
        )
    return FORMATS[suffix]


def _writer(fmt: str) -> Callable[[Any, Path], None]:
    def csv(frame: Any, path: Path) -> None:
        frame.to_csv(path)

    def parquet(frame: Any, path: Path) -> None:
        frame.to_parquet(path)

    def netcdf(frame: Any, path: Path) -> None:
        frame.hexo.to_xarray().to_netcdf(path)

    def zarr(frame: Any, path: Path) -> None:
        frame.hexo.to_xarray().to_zarr(path, mode="w")

    def edf(frame: Any, path: Path) -> None:
        frame.hexo.to_edf(path)

    return {"csv": csv, "parquet": parquet, "netcdf": netcdf, "zarr": zarr, "edf": edf}[fmt]


def folder_of(path: str | os.PathLike[str]) -> Path:
    """The folder a file is to be written into; it must exist.

    Raises
    ------
    FileNotFoundError
        It does not (nothing creates missing folders on the caller's behalf).

    Examples
    --------
    >>> folder_of("hr.csv")
    PosixPath('.')
    >>> folder_of("/nonexistent/dir/hr.csv")
    Traceback (most recent call last):
    ...
    FileNotFoundError: No folder '/nonexistent/dir' to write 'hr.csv' into.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(f"No folder {str(folder)!r} to write {target.name!r} into.")
    return folder


@contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed to ``path`` on success.

    The temporary path sits in a hidden scratch folder (``.<name>.XXXX``) of the target's
    folder, so the rename is atomic. Whatever happens inside the block (an error, Ctrl-C)
    the scratch folder is removed, and ``path`` is either the old file or the new one,
    never half-written. A folder (a Zarr store, an export) replaces an existing one: the old
    one is moved aside first and moved back if the new one cannot take its place.

    Raises
    ------
    FileNotFoundError
        The target's folder does not exist (checked before the block runs).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "notes.txt"
    >>> with atomic_output(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
    ('done', ['notes.txt'])
    """
    target = Path(path)
    folder = folder_of(target)
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=folder))
    try:
        tmp = scratch / target.name
        yield tmp
        if target.is_dir() and tmp.is_dir():  # a folder cannot be replaced in one step
            old = scratch / ".replaced"
            os.replace(target, old)
            try:
                os.replace(tmp, target)
            except BaseException:
                os.replace(old, target)  # the old folder back, as it was
                raise
        else:
            os.replace(tmp, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def write_frame(frame: Any, path: str | os.PathLike[str], fmt: str | None = None) -> Path:
    """Write ``frame`` (from ``read_hexoskin``) to ``path``, atomically.

    Parameters
    ----------
    frame : DataFrame
    path : path
        The file (a folder for Zarr).
    fmt : {"csv", "parquet", "netcdf", "zarr", "edf"}, optional
        Overrides the extension.

    Returns
    -------
    Path
        Where the file now is.
    """
    target = Path(path)
    fmt = format_of(target, fmt)
    with atomic_output(target) as tmp:
        _writer(fmt)(frame, tmp)
    return target
