"""What the front doors (xarray, fsspec, cohort) share: a source's metadata and
position-based reads of one channel, on top of the data engine.

This module plans, fetches and decodes nothing itself: it asks
:func:`hexoframe.data.plan.plan_query` for the channels and their windows and
:func:`hexoframe.data.plan.choose_method` for the format, and gives each channel a
:class:`~hexoframe.data.positions.ChannelReader` (the data engine's position-based
reads).

Examples
--------
>>> from hexoframe.frontends.urls import parse_url
>>> src = open_source(parse_url("hexoskin://record/37700"), ["hr"], client=client)
>>> src.channels[0].read(0, 10, "api")
array([106., 108., 106., 109., 106., 103., 107., 104., 102., 108.])
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from hexoframe.core import catalog
from hexoframe.core.catalog import Datatype
from hexoframe.core.references import ref_id
from hexoframe.core.timestamps import TICKS_PER_SECOND, to_ticks
from hexoframe.data.positions import ChannelReader, SharedWindows
from hexoframe.frontends.urls import HexoskinURL

__all__ = [
    "DEFAULT_DATATYPES",
    "SECRET_KEYS",
    "Source",
    "open_source",
    "dim_name",
]

#: Channels a Hexoskin shirt records, read when ``datatypes`` is not given (sync only:
#: asynchronous channels need a request each to know their times).
DEFAULT_DATATYPES: tuple[str, ...] = (
    "ecg_i",
    "respiration_thoracic",
    "respiration_abdominal",
    "acceleration_x",
    "acceleration_y",
    "acceleration_z",
    "heart_rate",
    "heart_rate_quality",
    "breathing_rate",
    "breathing_rate_quality",
    "minute_ventilation",
    "tidal_volume",
    "activity",
    "cadence",
)

#: Client options that are credentials: kept by the client, never serialised.
SECRET_KEYS = frozenset(
    {"password", "api_secret", "token", "client_secret", "refresh_token", "api_key"}
)


def dim_name(dt: Datatype) -> str:
    """The time dimension of a channel: ``time_256hz``, ``time_1hz``, ``time_300s``, or
    ``time_<name>`` for asynchronous channels.

    Examples
    --------
    >>> [dim_name(catalog.lookup(k)) for k in ("ecg", "sdnn", "rr")]
    ['time_256hz', 'time_300s', 'time_rr_interval']
    """
    if dt.freq is None:
        return f"time_{dt.name}"
    if dt.freq >= 1:
        return f"time_{dt.freq:g}hz"
    return f"time_{1 / dt.freq:g}s"


@dataclass
class Source:
    """A record, range or user span: its metadata and one reader per channel.

    Examples
    --------
    >>> src = open_source(parse_url("hexoskin://range/58979"), "hr", client=client)
    >>> src.user, [r.count for r in src.channels]
    (1511, [1200])
    """

    url: HexoskinURL
    start: int
    end: int
    user: int | None
    meta: dict[str, Any] = field(default_factory=dict)
    channels: list[ChannelReader] = field(default_factory=list)
    tick_rate: int = TICKS_PER_SECOND

    @property
    def last_modified(self) -> str | None:
        return self.meta.get("last_modified") or self.meta.get("start_date")


def source_meta(client: Any, url: HexoskinURL) -> dict[str, Any]:
    """The record's or range's resource (one metadata request); ``{}`` for a user span."""
    if url.kind in ("record", "range"):
        return dict(client.get(url.kind, url.id))
    return {}


def open_source(
    url: HexoskinURL,
    datatypes: Iterable[Any] | Any = None,
    *,
    client: Any = None,
    start: Any = None,
    end: Any = None,
    method: str = "auto",
    meta: dict[str, Any] | None = None,
) -> Source:
    """Plan the channels of a source (metadata requests only, never data).

    Parameters
    ----------
    url : HexoskinURL
    datatypes : datatype key(s), optional
        Defaults to the URL's ``datatypes`` or :data:`DEFAULT_DATATYPES`.
    client : Client, optional
    start, end : time-like, optional
        Narrow the source (override the URL's own bounds).
    method : str
        Fetch method for the data engine (``"auto"``, ``"binary"``, ``"json"``, ``"csv"``).
    meta : dict, optional
        The record/range resource when already known (saves a request).
    """
    from hexoframe.data.plan import choose_method, plan_query

    if datatypes is None:
        datatypes = url.datatypes or DEFAULT_DATATYPES
    dts = catalog.resolve(datatypes)
    kwargs = url.query_kwargs()
    if start is not None:
        kwargs["start"] = start
    if end is not None:
        kwargs["end"] = end
    tick_rate = int(getattr(client, "tick_rate", TICKS_PER_SECOND) or TICKS_PER_SECOND)
    for key in ("start", "end"):
        if key in kwargs:
            kwargs[key] = to_ticks(kwargs[key], tick_rate)
    if meta is None:
        meta = source_meta(client, url)
    plan = plan_query(client, dts, **kwargs)
    method = choose_method(plan, method)[0]
    shared = SharedWindows(client, plan, method)
    readers = [ChannelReader(client, plan, ch, method, shared) for ch in plan.channels]
    s = getattr(plan, "start", None)
    e = getattr(plan, "end", None)
    if s is None:
        s = min(int(ch.start) for ch in plan.channels)
    if e is None:
        e = max(int(ch.end) for ch in plan.channels)
    user = ref_id(getattr(plan, "user", None) or meta.get("user"))
    if url.kind == "user":
        user = url.id
    if user is None and plan.channels:
        user = ref_id(plan.channels[0].user)
    return Source(
        url=url,
        start=int(s),
        end=int(e),
        user=user,
        meta=meta,
        channels=readers,
        tick_rate=tick_rate,
    )
