"""Binary encodings the emulator serves and reads: WAV, ``.hxd`` and zip.

* WAV: standard 44-byte RIFF header, PCM, mono, 16-bit little-endian; the sample-rate
  field holds the rate in Hz, or the period in seconds for channels slower than 1 Hz.
  Unsigned channels (respiration, PPG, quality masks) store ``uint16`` bit patterns.
* ``.hxd``: little-endian ``<Qq`` pairs (absolute ticks, raw value).

Example
-------
>>> data = wav_bytes(np.array([1, -2, 3]), rate_field=256, signed=True)
>>> len(data), read_wav(data, signed=True)[1].tolist()
(50, [1, -2, 3])
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Mapping

import numpy as np

__all__ = [
    "wav_bytes", "wav_header", "pcm_bytes", "read_wav", "rate_field", "hxd_bytes", "read_hxd",
    "zip_bytes",
]

HXD_DTYPE = np.dtype([("ts", "<u8"), ("value", "<i8")])


def rate_field(freq: float) -> int:
    """The WAV sample-rate field of a channel: Hz, or the period in seconds below 1 Hz.

    Example
    -------
    >>> rate_field(256.0), rate_field(1.0), rate_field(1 / 300)
    (256, 1, 300)
    """
    if freq >= 1.0:
        return int(round(freq))
    return int(round(1.0 / freq))


def pcm_bytes(raw: np.ndarray, signed: bool) -> bytes:
    """Raw int values as little-endian 16-bit PCM (int16 or uint16 bit patterns, clipped).

    Example
    -------
    >>> pcm_bytes(np.array([-1, 70000]), signed=False)
    b'\\x00\\x00\\xff\\xff'
    """
    a = np.asarray(raw, dtype=np.int64)
    if signed:
        return np.clip(a, -32768, 32767).astype("<i2").tobytes()
    return np.clip(a, 0, 65535).astype("<u2").tobytes()


def wav_header(n_bytes: int, rate_field: int) -> bytes:
    """The 44-byte header of a mono 16-bit PCM WAV with ``n_bytes`` of samples.

    Example
    -------
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

    Example
    -------
    >>> wav_bytes(np.array([], dtype=np.int64), 1, True)[:4]
    b'RIFF'
    """
    body = pcm_bytes(raw, signed)
    return wav_header(len(body), rate_field) + body


def read_wav(data: bytes, signed: bool) -> tuple[int, np.ndarray]:
    """Decode a mono 16-bit PCM WAV into (sample-rate field, int64 values).

    Chunks are walked rather than assuming a 44-byte header.

    Example
    -------
    >>> read_wav(wav_bytes(np.array([65535]), 128, False), signed=False)
    (128, array([65535]))
    """
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE file")
    pos = 12
    rate = 0
    samples = np.zeros(0, dtype=np.int64)
    while pos + 8 <= len(data):
        cid, size = struct.unpack_from("<4sI", data, pos)
        body = pos + 8
        if cid == b"fmt ":
            rate = struct.unpack_from("<I", data, body + 4)[0]
        elif cid == b"data":
            size = min(size, len(data) - body) // 2 * 2
            samples = np.frombuffer(data, dtype="<i2" if signed else "<u2", count=size // 2,
                                    offset=body).astype(np.int64)
            break
        pos = body + size + (size & 1)
    return int(rate), samples


def hxd_bytes(ts: np.ndarray, raw: np.ndarray) -> bytes:
    """Encode events as little-endian ``<Qq`` pairs.

    Example
    -------
    >>> len(hxd_bytes(np.array([1, 2]), np.array([5, -6])))
    32
    """
    out = np.empty(len(ts), dtype=HXD_DTYPE)
    out["ts"] = np.asarray(ts, dtype=np.int64)
    out["value"] = np.asarray(raw, dtype=np.int64)
    return out.tobytes()


def read_hxd(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Decode ``<Qq`` pairs into (ticks, values) int64 arrays.

    Example
    -------
    >>> [a.tolist() for a in read_hxd(hxd_bytes(np.array([7]), np.array([-1])))]
    [[7], [-1]]
    """
    n = len(data) // HXD_DTYPE.itemsize
    arr = np.frombuffer(data, dtype=HXD_DTYPE, count=n)
    return arr["ts"].astype(np.int64), arr["value"].astype(np.int64)


STORE_ABOVE = 4 << 20  # members larger than this are stored, not deflated


def zip_bytes(files: Mapping[str, bytes]) -> bytes:
    """A deterministic zip (fixed timestamps) of name -> content.

    Members up to 4 MiB are deflated; larger ones (a day of ECG) are stored, which any
    zip reader handles and which keeps a loopback emulator fast.

    Example
    -------
    >>> zip_bytes({"a.txt": b"x"}) == zip_bytes({"a.txt": b"x"})
    True
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            big = len(content) > STORE_ABOVE
            info.compress_type = zipfile.ZIP_STORED if big else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, content, compresslevel=None if big else 1)
    return buf.getvalue()
