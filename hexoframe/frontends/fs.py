"""fsspec filesystem ``hexoskin://``: records and ranges as folders of export files.

Tree::

    user/<id>/                 records of the user, as folders  (user/1511/37700/ ...)
    record/<id>/info.json      record start, user, ids (export ``info.json`` keys)
    record/<id>/ECG_I.wav      one WAV per synchronous channel (export names, raw int16)
    record/<id>/RR_interval.hxd  one ``.hxd`` (``<Qq`` ticks, raw) per asynchronous channel
    record/<id>/RR_interval.csv  and its export text form (``time [s]`` from the start, raw)
    range/<id>/...             likewise

Listing costs metadata requests only: WAV sizes (``44 + 2 * count``) come from the
planner.  WAV files are read with random access: a byte range becomes a windowed fetch
of just those samples.  Event files (unknown size until read) load whole on open.
Every byte comes from the data engine (:mod:`hexoframe.frontends.sources` over
``plan_query``/``fetch_window``); the files are laid out by
:mod:`hexoframe.formats.exports` (as ``hexoframe export`` writes them) with the
emulator's encoders (:mod:`hexoframe.formats.binformats`).

Credentials: ``storage_options`` (``base_url``, ``username``, ``password``, ``token``
...) or the client's own discovery (``HEXOSKIN_*`` environment variables, ``~/.netrc``).
Credentials are kept by the client only: never in ``fs.storage_options``,
``fs.to_json()``, the repr or a pickle, which hold the URL; a copy rebuilt elsewhere (a
dask worker) discovers credentials from its own environment.  Samples the service lacks
are written as 0 in WAV files (their size follows the record's span).

Examples
--------
>>> import fsspec
>>> fs = fsspec.filesystem("hexoskin")
>>> fs.ls("record/37700", detail=False)[:2]
['record/37700/info.json', 'record/37700/ECG_I.wav']
>>> with fsspec.open("simplecache::hexoskin://record/37700/heart_rate.wav") as f:
...     header = f.read(44)
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import weakref
from typing import Any

import numpy as np
from fsspec.spec import AbstractBufferedFile, AbstractFileSystem, _Cached

from hexoframe.api.client import obtain_client
from hexoframe.core import catalog
from hexoframe.core.catalog import Datatype
from hexoframe.core.errors import InvalidQueryError, NotFound
from hexoframe.data import methods
from hexoframe.data.positions import ChannelReader
from hexoframe.formats.exports import (
    export_event_csv,
    export_hxd,
    export_info,
    export_pcm,
    export_wav_header,
)
from hexoframe.frontends.sources import DEFAULT_DATATYPES, SECRET_KEYS, Source, open_source
from hexoframe.frontends.urls import parse_url

__all__ = ["HexoskinFileSystem", "DEFAULT_EVENT_DATATYPES"]

#: Event channels listed in a record folder.
DEFAULT_EVENT_DATATYPES: tuple[str, ...] = (
    "rr_interval",
    "qrs",
    "inspiration",
    "expiration",
    "step",
)
WAV_HEADER = 44
# Credentials stay with the client: a copy of the filesystem (pickle, to_json) keeps the
# URL only and discovers credentials where it is rebuilt, as an unpickled Client does (the
# user name goes too, since credentials are never mixed across sources).
_NOT_STORED = frozenset(SECRET_KEYS | {"username", "client", "_identity"})
_KINDS = ("user", "record", "range")


class HexoskinFile(AbstractBufferedFile):
    """A read-only WAV channel file with random access through ``_fetch_range``.

    Examples
    --------
    >>> with fs.open("record/37700/ECG_I.wav") as f:
    ...     _ = f.seek(44 + 2 * 256 * 60)  # one minute in
    ...     one_second = f.read(512)
    """

    def __init__(
        self, fs: HexoskinFileSystem, path: str, reader: ChannelReader, size: int, **kwargs: Any
    ) -> None:
        self.reader = reader
        self._header = export_wav_header(reader.datatype, reader.count)
        super().__init__(
            fs,
            path,
            mode="rb",
            size=size,
            cache_options=kwargs.pop("cache_options", None),
            **kwargs,
        )

    def _fetch_range(self, start: int, end: int) -> bytes:
        return self.fs._wav_range(self.reader, self._header, start, end)


def _identity(options: dict[str, Any]) -> str:
    """A one-way fingerprint of who a filesystem signs in as: the secrets it is given and
    the ``HEXOSKIN_*`` environment and netrc it would read them from. It joins fsspec's
    instance token (which leaves secrets out), so a changed password or environment gets
    a new instance instead of one signed in as before.

    Examples
    --------
    >>> _identity({"password": "a"}) != _identity({"password": "b"})
    True
    """
    seen = sorted((k, str(v)) for k, v in options.items() if k in SECRET_KEYS)
    env = sorted((k, v) for k, v in os.environ.items() if k.startswith("HEXOSKIN_"))
    netrc = os.environ.get("NETRC", "")
    digest = hashlib.sha256(json.dumps([seen, env, netrc]).encode())
    return digest.hexdigest()


class _ClientAwareCache(_Cached):
    """fsspec's instance cache, except for filesystems given a ``client`` object (two
    clients of different users look alike to fsspec's token, so those are never shared),
    and with who the filesystem signs in as in the token (see :func:`_identity`)."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - a metaclass
        if kwargs.get("client") is not None:
            kwargs["skip_instance_cache"] = True
        kwargs["_identity"] = _identity(kwargs)
        return super().__call__(*args, **kwargs)


class HexoskinFileSystem(AbstractFileSystem, metaclass=_ClientAwareCache):
    """Hexoskin records and ranges as folders of export-named files.

    Parameters
    ----------
    client : Client, optional
        An existing client (its URL is kept in ``storage_options``; its secrets are not).
    method : str
        Data-engine fetch method (``"auto"``, ``"binary"``, ``"json"``, ``"csv"``,
        ``"edf"``); checked here.
    **storage_options
        ``Client`` arguments: ``base_url`` (or ``url``), ``username``, ``password``,
        ``api_key``/``api_secret``, ``token`` ...; missing ones come from the environment.

    Examples
    --------
    >>> fs = HexoskinFileSystem(base_url="http://127.0.0.1:8000",
    ...                         username="athlete@hexoskin.com", password="x")
    >>> "password" in fs.to_json()
    False
    """

    protocol = "hexoskin"
    root_marker = ""
    # secrets never enter the instance token nor storage_options (see storage_options)
    _strip_tokenize_options = tuple(sorted(SECRET_KEYS)) + ("client",)

    def __init__(self, client: Any = None, method: str = "auto", **storage_options: Any) -> None:
        storage_options.pop("_identity", None)  # only for the instance token
        secrets = {k: storage_options.pop(k) for k in list(storage_options) if k in SECRET_KEYS}
        fs_options = {
            k: storage_options.pop(k)
            for k in list(storage_options)
            if k
            in ("use_listings_cache", "listings_expiry_time", "max_paths", "skip_instance_cache")
        }
        super().__init__(**fs_options)
        self.method = methods.check(method)
        self._client_options = {**storage_options, **secrets}
        self._client = client
        self._client_lock = threading.Lock()
        self._sources: dict[str, Source] = {}
        self._base_url = getattr(client, "base_url", None) or storage_options.get(
            "base_url", storage_options.get("url")
        )

    # -- secrets stay out of what fsspec serialises ---------------------------------------
    @property
    def storage_options(self) -> dict[str, Any]:
        opts = {k: v for k, v in self._storage_options.items() if k not in _NOT_STORED}
        if "base_url" not in opts and "url" not in opts and self._base_url:
            opts["base_url"] = self._base_url
        if self.method != "auto":
            opts["method"] = self.method
        return opts

    @storage_options.setter
    def storage_options(self, value: dict[str, Any]) -> None:
        self._storage_options = {k: v for k, v in dict(value).items() if k not in _NOT_STORED}

    def __reduce__(self) -> Any:
        return _rebuild_fs, (type(self), self.storage_options)

    def __repr__(self) -> str:
        return f"HexoskinFileSystem(base_url={self._base_url!r})"

    def close(self) -> None:
        """Close the connections of the client this filesystem created (a client passed
        in belongs to the caller). The filesystem stays usable: it reconnects on demand.

        Examples
        --------
        >>> fs = HexoskinFileSystem(base_url=url, username="athlete@hexoskin.com",
        ...                         password="hexoskin", skip_instance_cache=True)
        >>> fs.ls("record/37700", detail=False)[:1]
        ['record/37700/info.json']
        >>> fs.close()
        """
        closer = getattr(self, "_closer", None)
        if closer is not None:
            closer()

    @property
    def client(self) -> Any:
        with self._client_lock:
            if self._client is None:
                self._client, owned = obtain_client(None, self._client_options)
                if owned:  # closed by fs.close(), or when the filesystem is collected
                    self._closer = weakref.finalize(self, self._client.close)
                self._base_url = getattr(self._client, "base_url", self._base_url)
                # the client holds the credentials from here on
                self._client_options = {
                    k: v for k, v in self._client_options.items() if k not in SECRET_KEYS
                }
            return self._client

    # -- paths --------------------------------------------------------------------------------
    @classmethod
    def _strip_protocol(cls, path: Any) -> str:
        if isinstance(path, list):
            return [cls._strip_protocol(p) for p in path]  # type: ignore[return-value]
        path = str(path)
        if path.startswith("hexoskin://"):
            path = path[len("hexoskin://") :]
        head, sep, tail = path.partition("/")
        if "@" in head:  # never keep (nor echo) credentials written into a path
            path = head.rsplit("@", 1)[1] + sep + tail
        return path.split("?")[0].strip("/")

    @staticmethod
    def _split(path: str) -> tuple[str, int | None, list[str]]:
        parts = [p for p in path.split("/") if p]
        if not parts:
            return "", None, []
        if parts[0] not in _KINDS:
            raise FileNotFoundError(
                f"hexoskin://{path}: the top-level folders are user/, record/ and range/."
            )
        if len(parts) == 1:
            return parts[0], None, []
        if not parts[1].isdigit():
            raise FileNotFoundError(f"hexoskin://{path}: {parts[1]!r} is not an id.")
        return parts[0], int(parts[1]), parts[2:]

    def _resolve(self, path: str) -> tuple[str, int | None, list[str]]:
        """``user/1511/37700/x`` -> ``("record", 37700, ["x"])``."""
        kind, ident, rest = self._split(self._strip_protocol(path))
        if kind == "user" and rest:
            if not rest[0].isdigit():
                raise FileNotFoundError(f"hexoskin://{path}: records are named by id.")
            rid = int(rest[0])
            owner = self._source("record", rid).user
            if owner != ident:  # a record is only in its own user's folder
                raise FileNotFoundError(
                    f"hexoskin://{path}: record {rid} belongs to user {owner}, not {ident}; "
                    f"its folder is user/{owner}/{rid}."
                )
            return "record", rid, rest[1:]
        return kind, ident, rest

    def _source(self, kind: str, ident: int) -> Source:
        key = f"{kind}/{ident}"
        src = self._sources.get(key)
        if src is None:
            url = parse_url(key)
            dts = list(DEFAULT_DATATYPES) + list(DEFAULT_EVENT_DATATYPES)
            try:
                src = open_source(url, dts, client=self.client, method=self.method)
            except NotFound as exc:
                raise FileNotFoundError(f"hexoskin://{key}: {exc}") from exc
            self._sources[key] = src
        return src

    # -- entries ------------------------------------------------------------------------------
    def _info_json(self, src: Source) -> bytes:
        info = export_info(
            src.start,
            user=f"/api/v1/user/{src.user}/" if src.user is not None else None,
            request=f"/api/v1/data/?{src.url.kind}={src.url.id}",
            algo=src.meta.get("algo"),
            tick_rate=src.tick_rate,
        )
        info["end"] = int(src.end)
        info[src.url.kind] = f"/api/v1/{src.url.kind}/{src.url.id}/"
        return json.dumps(info, indent=1).encode()

    def _entries(self, kind: str, ident: int) -> list[dict[str, Any]]:
        src = self._source(kind, ident)
        base = f"{kind}/{ident}"
        modified = src.last_modified
        out = [
            {
                "name": f"{base}/info.json",
                "size": len(self._info_json(src)),
                "type": "file",
                "last_modified": modified,
            }
        ]
        for r in src.channels:
            dt = r.datatype
            if dt.is_async:
                for ext in ("hxd", "csv"):
                    out.append(
                        {
                            "name": f"{base}/{dt.stem}.{ext}",
                            "size": None,
                            "type": "file",
                            "last_modified": modified,
                            "datatype_id": dt.id,
                        }
                    )
            else:
                out.append(
                    {
                        "name": f"{base}/{dt.stem}.wav",
                        "size": WAV_HEADER + 2 * r.count,
                        "type": "file",
                        "last_modified": modified,
                        "datatype_id": dt.id,
                        "rate_hz": dt.freq,
                    }
                )
        return out

    def _list_ids(self, resource: str, **filters: Any) -> list[dict[str, Any]]:
        return [dict(o) for o in self.client.resource(resource).list_raw(**filters)]

    def _ls_uncached(self, path: str) -> list[dict[str, Any]]:
        kind, ident, rest = self._split(path)
        if not kind:
            return [{"name": k, "size": 0, "type": "directory"} for k in _KINDS]
        if ident is None:
            objs = self._list_ids(kind)
            return [
                {
                    "name": f"{kind}/{o['id']}",
                    "size": 0,
                    "type": "directory",
                    "last_modified": o.get("last_modified"),
                }
                for o in objs
            ]
        if kind == "user" and not rest:
            recs = self._list_ids("record", user=ident)
            return [
                {
                    "name": f"user/{ident}/{r['id']}",
                    "size": 0,
                    "type": "directory",
                    "last_modified": r.get("last_modified"),
                    "record_id": r["id"],
                }
                for r in recs
            ]
        rkind, rid, rrest = self._resolve(path)
        if rrest:
            raise NotADirectoryError(f"hexoskin://{path} is a file.")
        entries = self._entries(rkind, rid)  # type: ignore[arg-type]
        if kind == "user":
            prefix = f"user/{ident}/{rid}"
            entries = [{**e, "name": prefix + "/" + e["name"].rsplit("/", 1)[1]} for e in entries]
        return entries

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        """List a folder (metadata requests only; results kept in ``dircache``)."""
        path = self._strip_protocol(path)
        if kwargs.get("refresh"):
            self.dircache.pop(path, None)
        try:
            entries = self.dircache[path]
        except KeyError:
            try:
                entries = self._ls_uncached(path)
            except NotFound as exc:
                raise FileNotFoundError(f"hexoskin://{path}: {exc}") from exc
            self.dircache[path] = entries
        return entries if detail else [e["name"] for e in entries]

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        """Details of one path, without listing its parent folder when it is a file."""
        path = self._strip_protocol(path)
        parent = path.rsplit("/", 1)[0] if "/" in path else ""
        for e in self.dircache.get(parent, []) if parent in self.dircache else []:
            if e["name"] == path:
                return dict(e)
        kind, ident, rest = self._split(path)
        if not kind or ident is None:
            return {"name": path, "size": 0, "type": "directory"}
        if kind == "user" and not rest:
            try:
                self.client.get("user", ident)
            except NotFound as exc:
                raise FileNotFoundError(f"hexoskin://{path}: {exc}") from exc
            return {"name": path, "size": 0, "type": "directory"}
        rkind, rid, rrest = self._resolve(path)
        if not rrest:
            self._source(rkind, rid)  # type: ignore[arg-type]
            return {"name": path, "size": 0, "type": "directory"}
        if len(rrest) > 1:
            raise FileNotFoundError(f"hexoskin://{path}: no such file.")
        name = rrest[0]
        for e in self._entries(rkind, rid):  # type: ignore[arg-type]
            if e["name"].rsplit("/", 1)[1] == name:
                return {**e, "name": path}
        dt = self._file_datatype(name)
        if dt is None:
            raise FileNotFoundError(f"hexoskin://{path}: no such file.")
        src = self._source_with(rkind, rid, dt)  # type: ignore[arg-type]
        r = self._reader(src, dt)
        size = WAV_HEADER + 2 * r.count if not dt.is_async else None
        return {
            "name": path,
            "size": size,
            "type": "file",
            "last_modified": src.last_modified,
            "datatype_id": dt.id,
        }

    def invalidate_cache(self, path: str | None = None) -> None:
        """Forget listings and planned sources (all, or those under ``path``)."""
        if path is None:
            self.dircache.clear()
            self._sources.clear()
            return
        path = self._strip_protocol(path)
        for key in [k for k in self.dircache if k == path or k.startswith(path + "/")]:
            self.dircache.pop(key, None)
        try:
            kind, ident, _ = self._resolve(path)
        except FileNotFoundError:
            return
        if ident is not None:
            for key in [k for k in self._sources if k.startswith(f"{kind}/{ident}")]:
                self._sources.pop(key, None)

    def du(
        self,
        path: str,
        total: bool = True,
        maxdepth: int | None = None,
        withdirs: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Space used; event files (size unknown until read) count as 0."""
        found = self.find(path, maxdepth=maxdepth, withdirs=withdirs, detail=True, **kwargs)
        sizes = {name: int(info.get("size") or 0) for name, info in found.items()}
        return sum(sizes.values()) if total else sizes

    def ukey(self, path: str) -> str:
        """A key that changes when the record changes (from its ``last_modified``)."""
        info = self.info(path)
        return f"{self._strip_protocol(path)}@{info.get('last_modified')}@{info.get('size')}"

    def modified(self, path: str) -> Any:
        import pandas as pd

        value = self.info(path).get("last_modified")
        return None if value is None else pd.Timestamp(value).to_pydatetime()

    # -- file contents --------------------------------------------------------------------------
    @staticmethod
    def _file_datatype(name: str) -> Datatype | None:
        stem, _, ext = name.rpartition(".")
        if ext not in ("wav", "hxd", "csv"):
            return None
        dt = catalog.by_stem(stem)
        if dt is None or dt.kind == "annotation":
            return None
        if (ext == "wav") == dt.is_async:
            return None
        return dt

    def _source_with(self, kind: str, ident: int, dt: Datatype) -> Source:
        src = self._source(kind, ident)
        if any(r.datatype.id == dt.id for r in src.channels):
            return src
        key = f"{kind}/{ident}/{dt.id}"
        extra = self._sources.get(key)
        if extra is None:
            extra = open_source(
                parse_url(f"{kind}/{ident}"),
                [dt],
                client=self.client,
                method=self.method,
                meta=src.meta,
            )
            self._sources[key] = extra
        return extra

    @staticmethod
    def _reader(src: Source, dt: Datatype) -> ChannelReader:
        for r in src.channels:
            if r.datatype.id == dt.id:
                return r
        raise FileNotFoundError(dt.stem)

    def _target(self, path: str) -> tuple[Source, str, Datatype | None]:
        kind, ident, rest = self._resolve(path)
        if ident is None or len(rest) != 1 or kind == "user":
            raise IsADirectoryError(f"hexoskin://{path} is a folder, not a file.")
        name = rest[0]
        if name == "info.json":
            return self._source(kind, ident), name, None
        dt = self._file_datatype(name)
        if dt is None:
            raise FileNotFoundError(
                f"hexoskin://{path}: no such file (files are <stem>.wav for synchronous "
                "channels, <stem>.hxd and <stem>.csv for events, and info.json)."
            )
        return self._source_with(kind, ident, dt), name, dt

    def _wav_range(self, reader: ChannelReader, header: bytes, start: int, end: int) -> bytes:
        size = len(header) + 2 * reader.count
        start, end = max(0, start), min(size, end)
        if end <= start:
            return b""
        out = header[start:end] if start < len(header) else b""
        b0 = max(start, len(header)) - len(header)
        b1 = end - len(header)
        if b1 > b0:
            i0, i1 = b0 // 2, -(-b1 // 2)
            raw = reader.read(i0, i1, "raw")
            pcm = export_pcm(reader.datatype, raw)
            out += pcm[b0 - 2 * i0 : b1 - 2 * i0]
        return out

    def _whole(self, src: Source, name: str, dt: Datatype | None) -> bytes:
        if dt is None:
            return self._info_json(src)
        r = self._reader(src, dt)
        if not dt.is_async:
            header = export_wav_header(dt, r.count)
            return self._wav_range(r, header, 0, len(header) + 2 * r.count)
        ticks, raw = r.read_events("raw")
        if name.endswith(".hxd"):
            return export_hxd(ticks, raw)
        return export_event_csv(dt, src.start, ticks, raw, src.tick_rate)

    def cat_file(
        self, path: str, start: int | None = None, end: int | None = None, **kwargs: Any
    ) -> bytes:
        """Bytes of a file (``start``/``end`` as in Python slices; negatives from the end).

        For WAV files only the samples in the range are fetched.
        """
        start, end = _offset(start, "start"), _offset(end, "end")
        src, name, dt = self._target(self._strip_protocol(path))
        if dt is not None and not dt.is_async and (start is not None or end is not None):
            r = self._reader(src, dt)
            header = export_wav_header(dt, r.count)
            size = len(header) + 2 * r.count
            s = 0 if start is None else (start + size if start < 0 else start)
            e = size if end is None else (end + size if end < 0 else end)
            return self._wav_range(r, header, s, e)
        data = self._whole(src, name, dt)
        return data[start:end] if start is not None or end is not None else data

    def _open(
        self,
        path: str,
        mode: str = "rb",
        block_size: Any = None,
        autocommit: bool = True,
        cache_options: Any = None,
        **kwargs: Any,
    ) -> Any:
        if mode != "rb":
            raise PermissionError("hexoskin:// is read-only.")
        path = self._strip_protocol(path)
        src, name, dt = self._target(path)
        if dt is not None and not dt.is_async:
            r = self._reader(src, dt)
            return HexoskinFile(
                self,
                path,
                r,
                WAV_HEADER + 2 * r.count,
                block_size=block_size or 2 * 65535,
                cache_type=kwargs.get("cache_type", "readahead"),
                cache_options=cache_options,
            )
        from fsspec.implementations.memory import MemoryFile

        return MemoryFile(self, path, self._whole(src, name, dt))

    # read-only
    def _rm(self, path: str) -> None:
        raise PermissionError("hexoskin:// is read-only.")

    def mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        raise PermissionError("hexoskin:// is read-only.")


def _rebuild_fs(cls: type, options: dict[str, Any]) -> HexoskinFileSystem:
    return cls(**options)


def _offset(value: Any, name: str) -> int | None:
    """A byte offset as Python slices take it: an integer (whole floats allowed) or None."""
    if value is None or isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return None if value is None else int(value)
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return int(value)
    raise InvalidQueryError(f"{name}={value!r} is not a byte offset; pass an integer or None.")
