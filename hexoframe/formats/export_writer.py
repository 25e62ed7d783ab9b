"""Write an export (a folder, or a zip when the name ends in ``.zip``) atomically.

The files are written under a temporary name beside the target and renamed into place at
the end, so a failure or Ctrl-C midway leaves nothing behind, and never a half-written
export. An existing target is kept unless ``overwrite=True``. Each member is a stream of
byte pieces, so a long channel never needs to sit in memory whole.

Which files an export holds, and their bytes, are :mod:`hexoframe.formats.exports`'s
(the layout) and :mod:`hexoframe.formats.binformats`'s (WAV, event CSV, zip entries);
:func:`hexoframe.frontends.export.write_export` feeds a record through this module.

Examples
--------
>>> import tempfile, pathlib, zipfile
>>> out = pathlib.Path(tempfile.mkdtemp()) / "tiny.zip"
>>> write_export_files(out, [("info.json", 2, [b"{}"])])
PosixPath('...tiny.zip')
>>> zipfile.ZipFile(out).namelist()
['info.json']
>>> write_export_files(out, [])
Traceback (most recent call last):
...
FileExistsError: ...tiny.zip already exists; give overwrite=True (--overwrite) to replace it.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterable
from pathlib import Path

from hexoframe.formats.binformats import zip_member
from hexoframe.formats.writers import atomic_output, folder_of

__all__ = ["Member", "check_target", "is_zip", "write_export_files"]

#: One file of an export: its name, its size in bytes (``None`` when unknown) and its
#: content as byte pieces.
Member = tuple[str, int | None, Iterable[bytes]]


def is_zip(path: str | os.PathLike[str]) -> bool:
    """Whether the export at ``path`` is a zip (by its name) rather than a folder.

    Examples
    --------
    >>> is_zip("record_37700.zip"), is_zip("record_37700")
    (True, False)
    """
    return Path(path).suffix.lower() == ".zip"


def check_target(path: str | os.PathLike[str], overwrite: bool = False) -> Path:
    """Check that an export can be written at ``path`` (before anything is fetched).

    Raises
    ------
    FileExistsError
        ``path`` exists and ``overwrite`` is False.
    FileNotFoundError
        The folder that would hold ``path`` does not exist.

    Examples
    --------
    >>> check_target("/nonexistent/dir/x.zip")
    Traceback (most recent call last):
    ...
    FileNotFoundError: No folder '/nonexistent/dir' to write 'x.zip' into.
    """
    target = Path(path)
    if target.exists() or target.is_symlink():
        if not overwrite:
            raise FileExistsError(
                f"{os.fspath(target)} already exists; give overwrite=True (--overwrite) "
                "to replace it."
            )
        if is_zip(target) == target.is_dir():
            kind = "a folder" if target.is_dir() else "a file"
            raise FileExistsError(
                f"{os.fspath(target)} is {kind}; an export named so is "
                f"{'a zip file' if is_zip(target) else 'a folder'}. Remove it first."
            )
    folder_of(target)
    return target


def _write_zip(where: Path, members: Iterable[Member]) -> None:
    with zipfile.ZipFile(where, "w") as zf:
        for name, size, pieces in members:
            info = zip_member(name, 0 if size is None else size)
            with zf.open(info, "w", force_zip64=size is None) as out:
                for piece in pieces:
                    out.write(piece)


def _write_folder(where: Path, members: Iterable[Member]) -> None:
    where.mkdir()
    for name, _, pieces in members:
        with open(where / name, "wb") as out:
            for piece in pieces:
                out.write(piece)


def write_export_files(
    path: str | os.PathLike[str], members: Iterable[Member], *, overwrite: bool = False
) -> Path:
    """Write ``members`` as an export at ``path``, atomically.

    Parameters
    ----------
    path : path
        A folder, or a zip file when the name ends in ``.zip``.
    members : iterable of (name, size, pieces)
        The files in order; ``pieces`` are consumed one by one (fetching may happen as
        they are drawn: an error raised there aborts the export, leaving nothing).
    overwrite : bool
        Replace an existing ``path`` (a folder by a folder, a zip by a zip).

    Returns
    -------
    Path
        Where the export now is.

    Raises
    ------
    FileExistsError, FileNotFoundError
        See :func:`check_target`.
    """
    target = check_target(path, overwrite)
    with atomic_output(target) as tmp:
        (_write_zip if is_zip(target) else _write_folder)(tmp, members)
        check_target(target, overwrite)  # still free (or still ours to replace)?
    return target
