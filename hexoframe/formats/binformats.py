"""Hexoskin's binary formats, both ways: WAV, ``.hxd`` and a deterministic zip.

* WAV: a standard 44-byte RIFF header, PCM, mono, 16-bit little-endian; the sample-rate
  field holds the rate in Hz, or the period in seconds for channels slower than 1 Hz.
  Unsigned channels (respiration, PPG, quality masks) hold ``uint16`` bit patterns.
* ``.hxd``: little-endian ``<Qq`` pairs (absolute ticks, raw value).

The data engine reads these, the ``hexoskin://`` filesystem writes them, and the emulator
does both; this module is the one place that knows the layouts.

Examples
--------
>>> data = wav_bytes(np.array([1, -2, 3]), rate_field=256, signed=True)
>>> len(data), read_wav(data, signed=True)[1].tolist()
(50, [1, -2, 3])
"""

from __future__ import annotations

import io
import struct
import warnings
import zipfile
from collections.abc import Mapping

import numpy as np

from hexoframe.core.errors import ResponseError

__all__ = [
    "export_csv_bytes",
    "read_export_csv",
    "HXD_DTYPE",
    "hxd_bytes",
    "pcm_bytes",
    "rate_field",
    "read_hxd",
    "read_wav",
    "wav_bytes",
    "wav_header",
    "zip_bytes",
    "zip_member",
]

HXD_DTYPE = np.dtype([("ts", "<u8"), ("value", "<i8")])


def rate_field(freq: float) -> int:
    """The WAV sample-rate field of a channel: Hz, or the period in seconds below 1 Hz.

    Examples
    --------
    >>> rate_field(256.0), rate_field(1.0), rate_field(1 / 300)
    (256, 1, 300)
    """
    if freq >= 1.0:
        return int(round(freq))
    return int(round(1.0 / freq))


def pcm_bytes(raw: np.ndarray, signed: bool) -> bytes:
    """Raw int values as little-endian 16-bit PCM (int16 or uint16 bit patterns, clipped).

    Examples
    --------
    >>> pcm_bytes(np.array([-1, 70000]), signed=False)
    b'\\x00\\x00\\xff\\xff'
    """
    a = np.asarray(raw, dtype=np.int64)
    if signed:
        return np.clip(a, -32768, 32767).astype("<i2").tobytes()
    return np.clip(a, 0, 65535).astype("<u2").tobytes()


def wav_header(n_bytes: int, rate_field: int) -> bytes:
    """The 44-byte header of a mono 16-bit PCM WAV with ``n_bytes`` of samples.

    Examples
    --------
    >>> len(wav_header(0, 256))
    44
    """
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF", 36 + n_bytes, b"WAVE", b"fmt ", 16, 1, 1,
        int(rate_field), int(rate_field) * 2, 2, 16, b"data", n_bytes,
    )  # fmt: skip


def wav_bytes(raw: np.ndarray, rate_field: int, signed: bool) -> bytes:
    """Encode raw int values as a mono 16-bit PCM WAV (44-byte header).

    Parameters
    ----------
    raw : array of int
        Values in the int16 (signed) or uint16 (unsigned) range; clipped to it.
    rate_field : int
        Value of the sample-rate field (see :func:`rate_field`).
    signed : bool
        Whether the channel is read back as signed.

    Examples
    --------
    >>> wav_bytes(np.array([], dtype=np.int64), 1, True)[:4]
    b'RIFF'
    """
    body = pcm_bytes(raw, signed)
    return wav_header(len(body), rate_field) + body


def read_wav(data: bytes | memoryview, signed: bool = True) -> tuple[int, np.ndarray]:
    """Read a Hexoskin WAV (PCM mono 16-bit) to ``(sample-rate field, raw int16/uint16 array)``.

    The array is a zero-copy view of ``data``. The sample-rate field is the rate in Hz, or
    the period in seconds for channels slower than 1 Hz.

    Examples
    --------
    >>> import struct
    >>> hdr = b"RIFF" + struct.pack("<I", 40) + b"WAVEfmt " + struct.pack(
    ...     "<IHHIIHH", 16, 1, 1, 256, 512, 2, 16) + b"data" + struct.pack("<I", 4)
    >>> rate, raw = read_wav(hdr + struct.pack("<hh", -5, 7))
    >>> rate, raw.tolist()
    (256, [-5, 7])
    """
    view = memoryview(data)
    if len(view) < 12 or bytes(view[0:4]) != b"RIFF" or bytes(view[8:12]) != b"WAVE":
        raise ResponseError("Not a RIFF/WAVE file.")
    pos = 12
    rate: int | None = None
    bits = 16
    while pos + 8 <= len(view):
        chunk_id = bytes(view[pos : pos + 4])
        (size,) = struct.unpack_from("<I", view, pos + 4)
        body = pos + 8
        if chunk_id == b"fmt ":
            if size < 16 or body + size > len(view):
                raise ResponseError(f"WAV fmt chunk of {size} bytes does not fit the file.")
            fmt, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", view, body)
            if fmt != 1 or channels != 1 or bits != 16:
                raise ResponseError(
                    f"Unsupported WAV format (format {fmt}, {channels} channels, {bits} bits); "
                    "Hexoskin WAVs are PCM mono 16-bit."
                )
        elif chunk_id == b"data":
            if rate is None:
                raise ResponseError("WAV data chunk before its fmt chunk.")
            avail = len(view) - body
            if size > avail:
                raise ResponseError(
                    f"Truncated WAV: the data chunk says {size} bytes, {avail} are present."
                )
            if size % 2:
                raise ResponseError(f"WAV data chunk of {size} bytes is not whole 16-bit samples.")
            if not _chunks_fill(view, body + size):
                raise ResponseError(
                    f"WAV data chunk says {size} bytes but {avail} follow its header."
                )
            dtype = "<i2" if signed else "<u2"
            return rate, np.frombuffer(view, dtype=dtype, count=size // 2, offset=body)
        pos = body + size + (size & 1)
    if rate is None:
        raise ResponseError("WAV file without a fmt chunk (truncated or damaged header).")
    raise ResponseError("WAV file without a data chunk (truncated or damaged header).")


def _chunks_fill(view: memoryview, pos: int) -> bool:
    """Whether the bytes from ``pos`` to the end are whole RIFF chunks (or nothing)."""
    while pos < len(view):
        if pos + 8 > len(view) or not bytes(view[pos : pos + 4]).isalnum():
            return False
        (size,) = struct.unpack_from("<I", view, pos + 4)
        pos += 8 + size + (size & 1)
    return pos == len(view)


def hxd_bytes(ts: np.ndarray, raw: np.ndarray) -> bytes:
    """Encode events as little-endian ``<Qq`` pairs.

    Examples
    --------
    >>> len(hxd_bytes(np.array([1, 2]), np.array([5, -6])))
    32
    """
    out = np.empty(len(ts), dtype=HXD_DTYPE)
    out["ts"] = np.asarray(ts, dtype=np.int64)
    out["value"] = np.asarray(raw, dtype=np.int64)
    return out.tobytes()


def read_hxd(data: bytes | memoryview) -> tuple[np.ndarray, np.ndarray]:
    """Read an ``.hxd`` file (little-endian ``<Qq`` pairs) to ``(ticks, raw int64 values)``.

    Examples
    --------
    >>> import struct
    >>> read_hxd(struct.pack("<QqQq", 100, 0, 300, 191))[1].tolist()
    [0, 191]
    """
    view = memoryview(data)
    if len(view) % HXD_DTYPE.itemsize:
        raise ResponseError(f"Truncated .hxd file: {len(view)} bytes is not a multiple of 16.")
    rec = np.frombuffer(view, dtype=HXD_DTYPE)
    return rec["ts"].astype(np.int64), rec["value"].astype(np.int64)


STORE_ABOVE = 4 << 20  # members larger than this are stored, not deflated


def export_csv_bytes(column: str, seconds: np.ndarray, values: np.ndarray) -> bytes:
    """An export's event CSV: ``time [s],<column>`` then one ``seconds,value`` row per
    event (integral values without a decimal point, NaN as ``nan``).

    Examples
    --------
    >>> export_csv_bytes("step [](/api/datatype/52/)", np.array([1.5]), np.array([1.0]))
    b'time [s],step [](/api/datatype/52/)\\n1.5,1\\n'
    """
    out = io.StringIO()
    out.write(f"time [s],{column}\n")
    for t, v in zip(
        np.asarray(seconds, np.float64).tolist(),
        np.asarray(values, np.float64).tolist(),
        strict=True,
    ):
        value = "nan" if v != v else (str(int(v)) if float(v).is_integer() else repr(v))
        out.write(f"{t!r},{value}\n")
    return out.getvalue().encode()


def read_export_csv(data: bytes | str) -> tuple[str, np.ndarray, np.ndarray]:
    """Read an export's asynchronous CSV (``time [s],<name> [unit](/api/datatype/N/)``).

    Returns
    -------
    (header of the value column, offsets from the record start in ticks (int64), values)
        Time is exact in 1/256 s; values are raw, NaN where the file says ``nan``.

    Examples
    --------
    >>> h, t, v = read_export_csv("time [s],RR_interval [s/256](/api/datatype/18/)\\n"
    ...                           "5.5,0\\n6.25,191\\n")
    >>> t.tolist(), v.tolist()
    ([1408, 1600], [0.0, 191.0])
    """
    if isinstance(data, str):
        data = data.encode()
    if data and not data.endswith(b"\n"):
        raise ResponseError("Truncated export CSV: the last line has no end.")
    first, _, rest = data.partition(b"\n")
    try:
        text = first.decode().strip()
    except UnicodeDecodeError:
        raise ResponseError(f"Export CSV header {first[:80]!r} is not UTF-8 text.") from None
    header = text.split(",")
    # exactly two columns of printable text: a damaged line end would join the first row
    if (
        len(header) != 2
        or not header[0].startswith("time")
        or any(not c.isprintable() for c in text)
    ):
        raise ResponseError(f"Unexpected export CSV header {first[:80]!r}.")
    if not rest.strip():
        return header[1], np.empty(0, np.int64), np.empty(0, np.float64)
    body = rest.replace(b",", b" ").replace(b"\r", b" ")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        try:
            flat = np.fromstring(body, dtype=np.float64, sep=" ")
        except (DeprecationWarning, ValueError) as exc:
            raise ResponseError("Malformed export CSV.") from exc
    if flat.size % 2:
        raise ResponseError("Malformed export CSV: odd number of fields.")
    pairs = flat.reshape(-1, 2)
    if not np.isfinite(pairs[:, 0]).all():
        raise ResponseError("Malformed export CSV: a time is NaN or infinite.")
    if pairs.size and np.abs(pairs[:, 0]).max() > 2.0**52 / 256:
        raise ResponseError("Malformed export CSV: a time is out of range.")
    offsets = np.rint(pairs[:, 0] * 256).astype(np.int64)
    return header[1], offsets, np.ascontiguousarray(pairs[:, 1])


def zip_bytes(files: Mapping[str, bytes]) -> bytes:
    """A deterministic zip (fixed timestamps) of name -> content.

    Members up to 4 MiB are deflated; larger ones (a day of ECG) are stored, which any
    zip reader handles and which keeps a loopback emulator fast.

    Examples
    --------
    >>> zip_bytes({"a.txt": b"x"}) == zip_bytes({"a.txt": b"x"})
    True
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, content in files.items():
            info = zip_member(name, len(content))
            big = info.compress_type == zipfile.ZIP_STORED
            zf.writestr(info, content, compresslevel=None if big else 1)
    return buf.getvalue()


def zip_member(name: str, size: int) -> zipfile.ZipInfo:
    """The entry of a member of ``size`` bytes in hexoframe's zips: a fixed timestamp,
    mode 0644, deflated up to 4 MiB and stored above (``zipfile.ZipFile.open(info, "w")``
    streams a member written piece by piece).

    Examples
    --------
    >>> zip_member("ECG_I.wav", 5 << 20).compress_type == zipfile.ZIP_STORED
    True
    """
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED if size > STORE_ABOVE else zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    info.file_size = int(size)  # lets zipfile choose zip64 ahead of a streamed write
    return info
