"""The emulator's EDF+ answer of ``/api/v1/data/`` (``Accept: application/x-edf``).

One user per answer, like binary answers; the file starts at the first record's start
inside the window, sync channels are the record's grid samples, event channels are EDF+
annotations (see ``docs/edf.md``).

Example
-------
>>> from hexoframe.emulator.signals import make_source
>>> from hexoframe.formats import edf
>>> t0 = 1_700_000_000 * 256
>>> src = make_source(0, {"id": 1, "user": 7, "start": t0, "end": t0 + 2560})
>>> body = render_edf([(7, src, t0, t0 + 2560)], [catalog.lookup("hr")], t0, t0 + 2560)
>>> len(edf.read_edf(body).channels["heart_rate"][1])
9
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hexoframe.core import catalog
from hexoframe.emulator.dataview import DataQueryError, Segment, collect
from hexoframe.formats import edf

__all__ = ["render_edf"]


def render_edf(
    segments: Sequence[Segment],
    dts: list[catalog.Datatype],
    start: int,
    end: int,
    people: Mapping[int, Mapping[str, Any]] | None = None,
) -> bytes:
    """The EDF+C body for one user's datatypes over ``[start, end)`` (ticks).

    ``people`` gives, per user id, the EDF+ ``patient`` subfields (code, sex, birthdate,
    name) and the ``equipment`` (device serial) for the header.
    """
    users = sorted({int(s[0]) for s in segments})
    if len(users) > 1:
        raise DataQueryError(400, "EDF answers hold one user; give user=<id>.")
    segs = sorted(segments, key=lambda s: int(s[2]))
    live = [s for s in segs if min(end, int(s[3])) > max(start, int(s[2]))]
    if not live:
        raise DataQueryError(404, "No record of this user holds data in the window.")
    if len(live) > 1:
        raise DataQueryError(400, "EDF answers hold one record; query one record at a time.")
    user = users[0]
    b_start = max(start, int(live[0][2]))
    end = min(end, int(live[0][3]))
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    channels: dict[str, np.ndarray] = {}
    events: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for dt in dts:
        if dt.kind == "annotation":
            continue
        if dt.is_async:
            events[dt.name] = collect(live, dt, b_start, end).get(user, empty)
            continue
        shift = int(dt.step_ticks) if dt.end_stamped else 0  # type: ignore[arg-type]
        ts, raw = collect(live, dt, b_start, end, shift=shift).get(user, empty)
        if ts.size and int(ts[0]) != b_start + dt.first_offset:
            raise DataQueryError(
                400,
                f"EDF window start {b_start} is not on the sample grid "
                f"of datatype {dt.id} ({dt.name}); start on its grid.",
            )
        channels[dt.name] = raw
    who = dict((people or {}).get(user, {}))
    patient = {"code": f"hexoskin_user_{user}", **dict(who.get("patient", {}))}
    try:
        return edf.edf_bytes(
            channels,
            b_start,
            end=end,
            events=events,
            patient=patient,
            recording=f"hexoskin_user_{user}_start_{b_start}",
            equipment=who.get("equipment"),
        )
    except edf.EdfError as exc:
        raise DataQueryError(400, str(exc)) from None
