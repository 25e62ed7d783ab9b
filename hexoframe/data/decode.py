"""Decoders of the data endpoint's answers and of export files, straight into numpy.

Every decoder returns plain arrays: ``ticks`` as int64 HexoTimestamps and values as
numbers (float64 from text formats, the file's own integer type from binary ones).
Timing conventions (grids, end-stamped channels) are applied by the callers, which know
the datatype; these functions only read bytes.

Examples
--------
>>> body = b'[{"data": {"19": [[256, 70], [512, null]]}, "user": "/api/v1/user/7/"}]'
>>> got = decode_json(body)
>>> got[(7, 19)][0].tolist(), got[(7, 19)][1].tolist()
([256, 512], [70.0, nan])
"""

from __future__ import annotations

import io
import json
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hexoframe.core.errors import ResponseError
from hexoframe.core.references import require_id
from hexoframe.formats.binformats import read_export_csv, read_hxd, read_wav

_orjson: Any
try:  # optional speed-up ("fast" extra)
    import orjson as _orjson
except ImportError:  # pragma: no cover - exercised only without orjson
    _orjson = None

__all__ = [
    "Samples",
    "ZipContents",
    "decode_json",
    "decode_csv",
    "decode_zip",
    "read_wav",
    "read_hxd",
    "read_export_csv",
    "parse_user",
]

#: ``(ticks int64 array, values array)``.
Samples = tuple[np.ndarray, np.ndarray]

_EMPTY_TICKS = np.empty(0, dtype=np.int64)
_EMPTY_VALUES = np.empty(0, dtype=np.float64)


def parse_user(value: Any) -> int | None:
    """The user id of a user reference in an answer (``None`` stays ``None``).

    Examples
    --------
    >>> parse_user("/api/v1/user/1511/"), parse_user(12), parse_user(None)
    (1511, 12, None)
    """
    return None if value is None else require_id(value, "user", ResponseError)


# ---------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------

_PAIR_PUNCT = bytes.maketrans(b"[],", b"   ")
_TOKEN_RE = re.compile(rb'"(data|user|\d+)"\s*:\s*')
_USER_VALUE_RE = re.compile(rb'("[^"]*"|\d+|null)')
_LIST_END_RE = re.compile(rb"\]\s*\]")


_NOT_INT = (b".", b"e", b"E", b"n", b"+", b"I", b"N")


def _parse_int_pairs(seg: bytes, npairs: int) -> Samples | None:
    """Vectorised parse of ``[[int, int], ...]``; None when the text is not all integers.

    Digit runs are located with one comparison over the bytes; each column (timestamps,
    values) is then assembled digit by digit (Horner) over arrays of one entry per pair:
    no Python object per point and no large temporaries.
    """
    for char in _NOT_INT:
        if char in seg:
            return None
    a = np.frombuffer(seg, np.uint8)
    edges = np.flatnonzero(np.diff(((a - np.uint8(48)) < 10).view(np.int8)))
    if edges.size != 4 * npairs:
        return None
    bounds = (edges + 1).reshape(npairs, 4)  # start/end of the timestamp, start/end of value
    out = []
    for column in (0, 1):
        s = bounds[:, 2 * column]
        e = bounds[:, 2 * column + 1]
        lengths = e - s
        width, full = int(lengths.max()), int(lengths.min())
        if width > 18 or full < 1:
            return None
        numbers = np.zeros(npairs, np.int64)
        for j in range(width, 0, -1):
            digit = a[e - j].astype(np.int64)
            digit -= 48
            if j <= full:
                numbers *= 10
                numbers += digit
            else:
                numbers = np.where(lengths >= j, numbers * 10 + digit, numbers)
        negative = a[s - 1] == 45
        if negative.any():
            numbers[negative] *= -1
        out.append(numbers)
    return out[0], out[1]


def _horner(
    a: np.ndarray, ends: np.ndarray, lengths: np.ndarray | None, width: int, full: int
) -> np.ndarray | None:
    """Integers whose digits end at ``ends`` (exclusive), ``lengths`` digits long."""
    numbers = np.zeros(ends.size, np.int64)
    for j in range(width, 0, -1):
        digit = a[ends - j] - np.uint8(48)
        if j <= full:
            if (digit > 9).any():
                return None
            numbers *= 10
            numbers += digit
        else:
            assert lengths is not None  # rows of several widths carry their lengths
            ok = lengths >= j
            if (digit[ok] > 9).any():
                return None
            numbers = np.where(ok, numbers * 10 + digit, numbers)
    return numbers


def _parse_compact_int_pairs(seg: bytes | memoryview) -> Samples | None:
    """The common case, fast: compact ``[[t,v],[t,v],...]`` with equal-width timestamps.

    Every byte is accounted for (brackets, commas, signs, digits), so anything else makes
    it return None and the general parser takes over.
    """
    a = np.frombuffer(seg, np.uint8)
    if a.size < 7 or a[0] != 91 or a[-1] != 93 or a[-2] != 93:
        return None
    opens = np.flatnonzero(a == 91)[1:]
    npairs = opens.size
    closes = np.empty(npairs, np.int64)
    closes[:-1] = opens[1:] - 2
    closes[-1] = a.size - 2
    if not ((a[closes] == 93).all() and (a[closes[:-1] + 1] == 44).all()):
        return None
    starts = opens + 1
    head = a[int(starts[0]) : int(starts[0]) + 20]
    width = int(np.argmax(head == 44))
    if not 0 < width <= 18:
        return None
    commas = starts + width
    if not (commas < closes - 1).all() or not (a[commas] == 44).all():
        return None
    ticks = _horner(a, commas, None, width, width)
    if ticks is None:
        return None
    vstart = commas + 1
    negative = a[vstart] == 45
    vstart = vstart + negative
    lengths = closes - vstart
    vwidth, vfull = int(lengths.max()), int(lengths.min())
    if vfull < 1 or vwidth > 18:
        return None
    values = _horner(a, closes, lengths, vwidth, vfull)
    if values is None:
        return None
    if negative.any():
        values[negative] *= -1
    return ticks, values


def _parse_pairs(segment: bytes | memoryview) -> Samples:
    """``[[ts, v], ...]`` text (brackets included) to two arrays, without Python objects."""
    ints = _parse_compact_int_pairs(segment)
    if ints is not None:
        return ints
    seg = bytes(segment)
    npairs = seg.count(b"[") - 1
    if npairs <= 0:
        return _EMPTY_TICKS, _EMPTY_VALUES
    ints = _parse_int_pairs(seg, npairs)
    if ints is not None:
        return ints
    text = seg.translate(_PAIR_PUNCT)
    if b"null" in text:
        text = text.replace(b"null", b"nan")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        try:
            flat = np.fromstring(text, dtype=np.float64, sep=" ")
        except (DeprecationWarning, ValueError) as exc:
            raise ResponseError(
                "Malformed [[timestamp, value], ...] list in a JSON answer."
            ) from exc
    if flat.size != 2 * npairs:
        raise ResponseError(
            f"Malformed JSON data: expected {npairs} [timestamp, value] pairs, read {flat.size} "
            "numbers."
        )
    pairs = flat.reshape(npairs, 2)
    return pairs[:, 0].astype(np.int64), np.ascontiguousarray(pairs[:, 1])


def _pairs_from_list(items: list) -> Samples:
    if not items:
        return _EMPTY_TICKS, _EMPTY_VALUES
    arr = np.array(items, dtype=object)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ResponseError("JSON data is not a list of [timestamp, value] pairs.")
    ticks = arr[:, 0].astype(np.int64)
    values = np.array([np.nan if v is None else v for v in arr[:, 1]], dtype=np.float64)
    return ticks, values


def _loads(body: bytes) -> Any:
    try:
        return _orjson.loads(body) if _orjson is not None else json.loads(body)
    except ValueError as exc:
        raise ResponseError(f"The answer is not valid JSON: {bytes(body[:80])!r}...") from exc


def _decode_json_slow(body: bytes, datatype: int | None) -> dict[tuple[int | None, int], Samples]:
    doc = _loads(body)
    out: dict[tuple[int | None, int], Samples] = {}
    if isinstance(doc, dict) and "data" in doc:
        doc = [doc]
    if isinstance(doc, list) and (not doc or isinstance(doc[0], list)):
        # flat=1: one datatype as a plain list of pairs
        if datatype is None:
            raise ResponseError("A flat JSON answer needs the datatype it was asked for.")
        out[(None, int(datatype))] = _pairs_from_list(doc)
        return out
    if not isinstance(doc, list):
        raise ResponseError(f"Unexpected JSON data answer of type {type(doc).__name__}.")
    for obj in doc:
        if not isinstance(obj, dict) or not isinstance(obj.get("data"), dict):
            raise ResponseError("A JSON data answer item lacks its 'data' mapping.")
        user = parse_user(obj.get("user"))
        for key, items in obj["data"].items():
            out[(user, int(key))] = _pairs_from_list(items or [])
    return out


def _decode_json_fast(body: bytes) -> dict[tuple[int | None, int], Samples] | None:
    """Byte-level split of a ``[{"data": {...}, "user": ...}]`` answer; None if unsure.

    A scanner jumps from key to key and over each ``[[ts, value], ...]`` list without
    reading it, so the regular expressions never run over the numbers.
    """
    objects: list[dict[str, Any]] = []
    pos = 0
    while True:
        match = _TOKEN_RE.search(body, pos)
        if match is None:
            break
        key = match.group(1)
        pos = match.end()
        if key in (b"data", b"user"):
            name = key.decode()
            if not objects or name in objects[-1]:
                objects.append({"lists": []})
            if key == b"user":
                value = _USER_VALUE_RE.match(body, pos)
                if value is None:
                    return None
                raw = value.group(1)
                objects[-1]["user"] = parse_user(
                    None if raw == b"null" else raw.decode().strip('"')
                )
                pos = value.end()
            else:
                objects[-1]["data"] = True
            continue
        if not objects or body[pos : pos + 1] != b"[":
            return None
        rest = body[pos + 1 : pos + 64].lstrip()
        if rest.startswith(b"]"):
            end = body.index(b"]", pos + 1) + 1
            samples = (_EMPTY_TICKS, _EMPTY_VALUES)
        else:
            # lists hold no quotes: the list ends just before the next key (fast memchr)
            nxt = body.find(b'"', pos)
            end = body.rfind(b"]]", pos, len(body) if nxt == -1 else nxt)
            if end == -1:  # not compact: look harder
                close = _LIST_END_RE.search(body, pos)
                if close is None:
                    return None
                end = close.end()
            else:
                end += 2
            samples = _parse_pairs(memoryview(body)[pos:end])
        objects[-1]["lists"].append((int(key), samples))
        pos = end
    if not objects or any("data" not in o or "user" not in o for o in objects):
        return None
    return {(o["user"], ident): samples for o in objects for ident, samples in o["lists"]}


def decode_json(
    body: bytes | str, datatype: int | None = None
) -> dict[tuple[int | None, int], Samples]:
    """Decode a JSON data answer to ``{(user, datatype_id): (ticks, values)}``.

    Parameters
    ----------
    body : bytes or str
        ``[{"data": {"<id>": [[ts, value], ...]}, "user": "/api/v1/user/N/"}, ...]`` or, with
        ``flat=1``, a plain ``[[ts, value], ...]`` list.
    datatype : int, optional
        The datatype asked for; required to label a flat answer (whose user is None).

    Returns
    -------
    dict
        Ticks as int64; values as int64 when every value of a list is an integer, float64
        otherwise (``null`` becomes NaN).

    Examples
    --------
    >>> decode_json(b"[[10, 1.5], [11, 2]]", datatype=4113)[(None, 4113)][1].tolist()
    [1.5, 2.0]
    """
    if isinstance(body, str):
        body = body.encode()
    head = body[:256].lstrip()
    if head.startswith(b"[") and head[1:].lstrip()[:1] in (b"[", b"]"):
        if datatype is None and head[1:].lstrip()[:1] == b"]":
            return {}  # no user has data here
        if datatype is None:
            raise ResponseError("A flat JSON answer needs the datatype it was asked for.")
        try:
            return {(None, int(datatype)): _parse_pairs(body.strip())}
        except ResponseError:
            return _decode_json_slow(body, datatype)
    if head.startswith(b"[") or head.startswith(b"{"):
        try:
            fast = _decode_json_fast(body)
        except ResponseError:
            fast = None
        if fast is not None:
            return fast
    return _decode_json_slow(body, datatype)


# ---------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------


def decode_csv(body: bytes | str) -> dict[tuple[int | None, int], Samples]:
    """Decode a CSV data answer (``user,timestamp,<id>,...``) to ``{(user, id): samples}``.

    Empty cells mean "no sample of this datatype at that time" and are dropped.

    Examples
    --------
    >>> got = decode_csv(b"user,timestamp,19,33\\n/api/v1/user/7/,256,70,\\n"
    ...                  b"/api/v1/user/7/,512,71,12\\n")
    >>> got[(7, 33)][0].tolist(), got[(7, 19)][1].tolist()
    ([512], [70.0, 71.0])
    """
    if isinstance(body, str):
        body = body.encode()
    if not body.strip():
        return {}
    try:
        frame = pd.read_csv(io.BytesIO(body), dtype={"user": str}, engine="c")
    except (ValueError, pd.errors.ParserError) as exc:
        raise ResponseError(f"The answer is not valid CSV: {bytes(body[:80])!r}...") from exc
    cols = [str(c).strip() for c in frame.columns]
    frame.columns = cols
    if "timestamp" not in cols:
        raise ResponseError(f"A CSV data answer needs a 'timestamp' column, got {cols}.")
    ids = [c for c in cols if c.isdigit()]
    ticks_all = frame["timestamp"].to_numpy(dtype=np.int64)
    if "user" in cols and len(frame):
        user_col = frame["user"].to_numpy(dtype=object)
        groups: list[tuple[int | None, np.ndarray]] = []
        change = np.flatnonzero(user_col[1:] != user_col[:-1]) + 1
        starts = np.concatenate([[0], change])
        ends = np.concatenate([change, [len(user_col)]])
        for a, b in zip(starts, ends, strict=True):
            groups.append((parse_user(user_col[a]), np.arange(a, b)))
    else:
        groups = [(None, np.arange(len(frame)))]
    out: dict[tuple[int | None, int], Samples] = {}
    for user, rows in groups:
        for col in ids:
            values = frame[col].to_numpy(dtype=np.float64)[rows]
            keep = ~np.isnan(values)
            out[(user, int(col))] = (ticks_all[rows][keep], values[keep])
    return out


# ---------------------------------------------------------------------------------------
# Binary: WAV, hxd, zip
# ---------------------------------------------------------------------------------------


@dataclass
class ZipContents:
    """Files of a binary answer or an export, by file stem.

    Attributes
    ----------
    info : dict
        ``info.json`` (empty if absent).
    wav : dict
        ``stem -> bytes`` of each WAV (decode with :func:`read_wav`, which needs the sign).
    hxd : dict
        ``stem -> (ticks, raw values)``.
    csv : dict
        ``stem -> bytes`` of each other CSV (export async channels, ``statistics``).
    """

    info: dict[str, Any] = field(default_factory=dict)
    wav: dict[str, bytes] = field(default_factory=dict)
    hxd: dict[str, Samples] = field(default_factory=dict)
    csv: dict[str, bytes] = field(default_factory=dict)


def _export_folder(names: list[str]) -> str:
    """The folder of a zip that holds the export: where ``info.json`` is, else the shallowest.

    Accepts the flat layout and the ``record_<id>/`` folder layout; refuses two
    ``info.json`` outside ``matlab-converted/`` and duplicate member names.
    """
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ResponseError(f"The zip holds {dup[0]!r} twice; it is ambiguous.")
    infos = sorted(
        n.rpartition("/")[0]
        for n in names
        if n.rpartition("/")[2] == "info.json" and "matlab-converted" not in n.split("/")
    )
    if len(infos) > 1:
        raise ResponseError(
            f"The zip holds info.json in {infos[0] or 'its root'!r} and {infos[1]!r}; "
            "it is ambiguous which is the export."
        )
    folders = infos or [n.rpartition("/")[0] for n in names]
    return min(folders, key=lambda f: (f.count("/") + bool(f), f), default="")


def decode_zip(data: bytes | str | Any) -> ZipContents:
    """Split a binary answer or an export zip into its files.

    Parameters
    ----------
    data : bytes, path or file object
        The zip. The export may sit in a sub-folder (``record_37700/``); only the files
        beside its ``info.json`` are read, so other folders in the zip (such as a
        ``matlab-converted/`` copy) cannot shadow its channels.

    Examples
    --------
    >>> import io, zipfile
    >>> buf = io.BytesIO()
    >>> with zipfile.ZipFile(buf, "w") as z:
    ...     z.writestr("info.json", '{"start": 256}')
    >>> decode_zip(buf.getvalue()).info
    {'start': 256}
    """
    src = io.BytesIO(data) if isinstance(data, (bytes, bytearray, memoryview)) else data
    try:
        archive = zipfile.ZipFile(src)
    except zipfile.BadZipFile as exc:
        raise ResponseError("The binary answer is not a zip file.") from exc
    out = ZipContents()
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        root = _export_folder([m.filename for m in members])
        for member in members:
            folder, _, name = member.filename.rpartition("/")
            if folder != root:
                continue  # e.g. matlab-converted/ beside the export's own files
            stem, _, ext = name.rpartition(".")
            ext = ext.lower()
            if not stem or name.startswith("."):
                continue
            if ext == "json" and stem == "info":
                out.info = _loads(archive.read(member))
            elif ext == "wav":
                out.wav[stem] = archive.read(member)
            elif ext == "hxd":
                out.hxd[stem] = read_hxd(archive.read(member))
            elif ext == "csv":
                out.csv[stem] = archive.read(member)
    return out
