"""Parse ``hexoskin://`` addresses: records, ranges and a user's time span.

Accepted forms (the ``hexoskin://`` prefix is optional, as fsspec strips it)::

    hexoskin://record/37700
    hexoskin://range/58979
    hexoskin://user/1511?start=2024-05-01T10:00Z&end=2024-05-01T11:00Z
    hexoskin://record/37700/ECG_I.wav          (a file inside, for the filesystem)

Query parameters ``start``/``end`` narrow any source; ``datatypes`` (comma separated)
names channels.  Nothing here sends a request.

Examples
--------
>>> u = parse_url("hexoskin://record/37700?datatypes=hr,br")
>>> u.kind, u.id, u.datatypes
('record', 37700, ('hr', 'br'))
>>> parse_url("user/1511?start=2024-05-01&end=2024-05-02").query_kwargs()["user"]
1511
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from hexoframe.core.errors import InvalidQueryError

__all__ = ["HexoskinURL", "parse_url", "looks_like_hexoskin_url", "PROTOCOL"]

PROTOCOL = "hexoskin"
KINDS = ("record", "range", "user")
_URL_RE = re.compile(r"^(?:hexoskin://)?/*(record|range|user)/(\d+)(?:/(.*))?$", re.IGNORECASE)


@dataclass(frozen=True)
class HexoskinURL:
    """A parsed address.

    Attributes
    ----------
    kind : str
        ``"record"``, ``"range"`` or ``"user"``.
    id : int
        The record, range or user id.
    path : str
        What follows the id (``"ECG_I.wav"``), empty for the source itself.
    start, end : str or None
        Optional time bounds from the query string.
    datatypes : tuple of str
        Datatypes named in the query string.
    """

    kind: str
    id: int
    path: str = ""
    start: str | None = None
    end: str | None = None
    datatypes: tuple[str, ...] = ()

    @property
    def root(self) -> str:
        """``"record/37700"``: the source without file or query."""
        return f"{self.kind}/{self.id}"

    def query_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for the data engine (``record=``, ``range=``, or ``user=``)."""
        out: dict[str, Any] = {self.kind: self.id}
        if self.start is not None:
            out["start"] = self.start
        if self.end is not None:
            out["end"] = self.end
        return out

    def __str__(self) -> str:
        s = f"{PROTOCOL}://{self.root}"
        if self.path:
            s += "/" + self.path
        q = [f"{k}={v}" for k, v in (("start", self.start), ("end", self.end)) if v is not None]
        if self.datatypes:
            q.append("datatypes=" + ",".join(self.datatypes))
        return s + ("?" + "&".join(q) if q else "")


def looks_like_hexoskin_url(value: Any) -> bool:
    """Cheap check (no request) that ``value`` is a ``hexoskin://`` address.

    Examples
    --------
    >>> looks_like_hexoskin_url("hexoskin://record/1"), looks_like_hexoskin_url("x.nc")
    (True, False)
    """
    return isinstance(value, str) and value.lower().startswith(PROTOCOL + "://")


def parse_url(url: str, *, require_span: bool = True) -> HexoskinURL:
    """Parse a ``hexoskin://`` address (prefix optional).

    Raises
    ------
    InvalidQueryError
        For anything that is not ``record/N``, ``range/N`` or ``user/N`` (with optional
        sub-path and ``start``/``end``/``datatypes`` query), or (with ``require_span``)
        a user address without both bounds.

    Examples
    --------
    >>> parse_url("hexoskin://range/58979").root
    'range/58979'
    """
    if not isinstance(url, str):
        raise InvalidQueryError(f"A hexoskin address is a string, not {type(url).__name__}.")
    raw = url.strip()
    split = urlsplit(raw) if "://" in raw else urlsplit("hexoskin://" + raw.lstrip("/"))
    if "@" in split.netloc:
        raise InvalidQueryError(
            "hexoskin:// addresses take no credentials; pass them as storage_options, "
            "client=..., HEXOSKIN_* environment variables or ~/.netrc."
        )
    if split.scheme.lower() != PROTOCOL:
        raise InvalidQueryError(
            f"{url!r} is not a hexoskin address; use hexoskin://record/<id>, "
            "hexoskin://range/<id> or hexoskin://user/<id>?start=...&end=..."
        )
    m = _URL_RE.match(f"{split.netloc}{split.path}".rstrip("/"))
    if m is None:
        raise InvalidQueryError(
            f"Cannot read {url!r}: expected hexoskin://record/<id>, hexoskin://range/<id> "
            "or hexoskin://user/<id>?start=...&end=... (ids are integers)."
        )
    kind, ident, path = m.group(1).lower(), int(m.group(2)), (m.group(3) or "").strip("/")
    query = dict(parse_qsl(split.query, keep_blank_values=False))
    unknown = set(query) - {"start", "end", "datatypes", "datatype"}
    if unknown:
        raise InvalidQueryError(
            f"Unknown query parameter(s) {sorted(unknown)} in {url!r}; "
            "use start, end and datatypes."
        )
    dts = query.get("datatypes") or query.get("datatype") or ""
    out = HexoskinURL(
        kind=kind,
        id=ident,
        path=path,
        start=query.get("start"),
        end=query.get("end"),
        datatypes=tuple(d.strip() for d in dts.split(",") if d.strip()),
    )
    if require_span and kind == "user" and not path and (out.start is None or out.end is None):
        raise InvalidQueryError(
            f"{url!r} names a user but no time span; add ?start=...&end=... "
            "(ISO 8601 or HexoTimestamps)."
        )
    return out
