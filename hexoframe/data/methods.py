"""The fetch methods of the data endpoint, one registry entry each.

A method says how the engine asks for data and reads the answer: the ``Accept`` header,
the decoder, whether its windows must sit on the record's sample grid (binary and EDF
answers hold whole grid samples of one record and user) and whether the service's point
cap applies (JSON and CSV answers are subsampled above it; binary and EDF never are).
Everything else in the engine asks this registry instead of comparing method names.

Decoders of *paired* methods (``grid_aligned=False``) return
``{(user, datatype id): (ticks, values in API units)}``; decoders of grid-aligned methods
return a :class:`GridAnswer`, which gives each channel's raw samples from the answer's
start.

Examples
--------
>>> get("edf").accept, get("edf").capped, get("edf").grid_aligned
('application/x-edf', False, True)
>>> sorted(METHODS)
['binary', 'csv', 'edf', 'json']
>>> get("xml")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
hexoframe.core.errors.InvalidQueryError: method='xml' is not one of 'auto', 'json', 'csv', ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from hexoframe.core.catalog import Datatype
from hexoframe.core.errors import InvalidQueryError, ResponseError
from hexoframe.data.decode import ZipContents, decode_csv, decode_json, decode_zip, read_wav

__all__ = ["Method", "GridAnswer", "METHODS", "CHOICES", "get", "check"]

_NO_EVENTS = (np.empty(0, np.int64), np.empty(0, np.int64))


class GridAnswer(Protocol):
    """A grid-aligned answer: one record's samples from ``start`` on.

    ``start`` is None when the answer does not say it (the request's start applies).
    """

    start: int | None

    def sync(self, dt: Datatype) -> tuple[int | None, np.ndarray] | None:
        """``(ticks from start to the first sample, raw samples)`` of a sync channel, or
        None if the answer does not hold it. The ticks are None when the first sample is
        where the channel's grid puts it (its first offset in the connection's time base)."""

    def events(self, dt: Datatype) -> tuple[np.ndarray, np.ndarray]:
        """``(ticks, raw values)`` of an event channel (empty if absent)."""


class _ZipAnswer:
    """A binary zip as a :class:`GridAnswer` (WAV per sync channel, ``.hxd`` per event one)."""

    def __init__(self, contents: ZipContents, start: int | None) -> None:
        self.contents = contents
        self.start = start

    def sync(self, dt: Datatype) -> tuple[int | None, np.ndarray] | None:
        data = self.contents.wav.get(dt.stem)
        if data is None:
            return None
        return None, read_wav(data, signed=dt.signed)[1]

    def events(self, dt: Datatype) -> tuple[np.ndarray, np.ndarray]:
        return self.contents.hxd.get(dt.stem, _NO_EVENTS)


class _EdfAnswer:
    """An EDF+ answer as a :class:`GridAnswer` (signals by catalogue name, events from
    annotations; see ``docs/edf.md``)."""

    def __init__(self, contents: Any) -> None:
        self.contents = contents
        self.start: int | None = int(contents.start)

    def sync(self, dt: Datatype) -> tuple[int | None, np.ndarray] | None:
        got = self.contents.channels.get(dt.name)
        if got is None:
            return None
        ticks, raw = got
        return (int(ticks[0]) - int(self.contents.start) if ticks.size else None), raw

    def events(self, dt: Datatype) -> tuple[np.ndarray, np.ndarray]:
        return self.contents.events.get(dt.name, _NO_EVENTS)


def _decode_binary(body: bytes) -> GridAnswer:
    contents = decode_zip(body)
    start = contents.info.get("start")
    if start is not None and (isinstance(start, bool) or not isinstance(start, int)):
        raise ResponseError(
            f"The binary answer's info.json 'start' is {start!r}, not an "
            "integer HexoTimestamp; its samples cannot be placed in time."
        )
    return _ZipAnswer(contents, start)


def _decode_edf(body: bytes) -> GridAnswer:
    from hexoframe.formats import edf  # edfio is imported only when EDF is used

    return _EdfAnswer(edf.read_edf(body))


@dataclass(frozen=True)
class Method:
    """One way of fetching data.

    Attributes
    ----------
    name : str
        What users pass as ``method=``.
    accept : str
        The ``Accept`` header of its requests.
    decode : callable
        Answer bytes to pairs per (user, datatype) or to a :class:`GridAnswer`.
    grid_aligned : bool
        Windows start on the record's sample grid, one record and user per answer, and the
        answer holds raw grid samples (the request's window is in interval-start time).
    capped : bool
        The service's point cap applies (answers above it are subsampled).
    tick_rates : tuple of int
        The time bases (ticks per second) the method can place samples in; empty for all.
    """

    name: str
    accept: str
    decode: Callable[[bytes], Any]
    grid_aligned: bool
    capped: bool
    tick_rates: tuple[int, ...] = ()

    def check_tick_rate(self, tick_rate: int) -> None:
        """Refuse a time base the method cannot place samples in.

        Examples
        --------
        >>> try:
        ...     get("edf").check_tick_rate(1000)
        ... except InvalidQueryError as exc:
        ...     print(str(exc).split(";")[0])
        method='edf' reads 256 ticks/s time bases only, not 1000
        """
        if self.tick_rates and int(tick_rate) not in self.tick_rates:
            rates = ", ".join(str(r) for r in self.tick_rates)
            raise InvalidQueryError(
                f"method={self.name!r} reads {rates} ticks/s time bases only, not {tick_rate}; "
                "use method='binary' for full resolution."
            )


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("json", "application/json", decode_json, grid_aligned=False, capped=True),
        Method("csv", "text/csv", decode_csv, grid_aligned=False, capped=True),
        Method(
            "binary", "application/octet-stream", _decode_binary, grid_aligned=True, capped=False
        ),
        Method(
            "edf",
            "application/x-edf",
            _decode_edf,
            grid_aligned=True,
            capped=False,
            tick_rates=(256,),  # EDF+ onsets are read into Hexoskin ticks (docs/edf.md)
        ),
    )
}
#: What ``method=`` accepts: ``"auto"`` (the engine chooses) and every registered method.
CHOICES = ("auto", *METHODS)


def check(name: Any) -> str:
    """``name`` if it is ``"auto"`` or a registered method, else a clear error.

    Examples
    --------
    >>> check("auto")
    'auto'
    """
    if name not in CHOICES:
        raise InvalidQueryError(
            f"method={name!r} is not one of {', '.join(repr(c) for c in CHOICES)}."
        )
    return str(name)


def get(name: Any) -> Method:
    """The registry entry of a concrete method (not ``"auto"``).

    Examples
    --------
    >>> get("binary").grid_aligned
    True
    """
    if name == "auto" or name not in METHODS:
        check("auto" if name == "auto" else name)
        raise InvalidQueryError(
            "method='auto' is resolved by choose_method; pass a concrete method here."
        )
    return METHODS[name]
