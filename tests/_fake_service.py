"""An in-process stand-in for the data endpoint, to test planning and stitching fast.

It follows docs/architecture.md: half-open windows, the record/sample convention, the
65535-point cap with even subsampling (or a lower ``subsample_cap``), JSON/CSV/binary.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from typing import Any

import numpy as np

from hexoframe import catalog


def values_for(dt: catalog.Datatype, ticks: np.ndarray) -> np.ndarray:
    base = (ticks * 7 + dt.id) % 2000
    return base if not dt.signed else base - 1000


class FakeResponse:
    def __init__(self, content: bytes) -> None:
        self.content = content
        self.status_code = 200


class FakeClient:
    tick_rate = 256

    def __init__(self, records: dict[int, tuple[int, int]], cap: int = 65535,
                 events: dict[int, np.ndarray] | None = None, user: int = 1511) -> None:
        self.records = records
        self.cap = cap
        self.events = events or {}
        self.user = user
        self.data_requests = 0

    def get(self, resource: str, ident: Any) -> dict[str, Any]:
        start, end = self.records[int(ident)]
        return {"id": int(ident), "start": start, "end": end,
                "user": f"/api/v1/user/{self.user}/"}

    def samples(self, dt: catalog.Datatype, rec: int, lo: int, hi: int, binary: bool):
        rs, re_ = self.records[rec]
        if dt.is_async:
            t = self.events.get(dt.id, np.empty(0, np.int64))
            t = t[(t >= max(lo, rs)) & (t < min(hi, re_))]
            return t, values_for(dt, t)
        t = catalog.sample_ticks(dt, rs, re_)
        if binary:  # interval starts in [lo, hi)
            keep = (t - dt.first_offset >= lo) & (t - dt.first_offset < hi)
        else:
            keep = (t >= lo) & (t < hi)
        t = t[keep]
        return t, values_for(dt, t)

    def request(self, method: str, path: str, *, params: dict[str, Any], headers: dict[str, str],
                stream: bool = False) -> FakeResponse:
        self.data_requests += 1
        ids = ([int(params["datatype"])] if "datatype" in params
               else [int(x) for x in str(params["datatype__in"]).split(",")])
        rec = int(params["record"])
        lo, hi = int(params["start"]), int(params["end"])
        accept = headers.get("Accept", "application/json")
        dts = [catalog.lookup(i) for i in ids]
        if accept == "application/octet-stream":
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as z:
                z.writestr("info.json", json.dumps({"start": lo, "user": self.user}))
                for dt in dts:
                    t, v = self.samples(dt, rec, lo, hi, True)
                    if dt.is_async:
                        arr = np.empty(t.size, dtype=[("t", "<u8"), ("v", "<i8")])
                        arr["t"], arr["v"] = t, v
                        z.writestr(f"{dt.stem}.hxd", arr.tobytes())
                    else:
                        data = v.astype("<i2" if dt.signed else "<u2").tobytes()
                        rate = int(dt.freq) if dt.freq >= 1 else int(round(1 / dt.freq))
                        hdr = (b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt "
                               + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
                               + b"data" + struct.pack("<I", len(data)))
                        z.writestr(f"{dt.stem}.wav", hdr + data)
            return FakeResponse(buf.getvalue())
        cols = {}
        for dt in dts:
            t, v = self.samples(dt, rec, lo, hi, False)
            if t.size > self.cap:
                k = -(-t.size // self.cap)
                t, v = t[::k], v[::k]
            cols[dt] = (t, v * dt.api_scale if dt.api_scale != 1 else v)
        user = f"/api/v1/user/{self.user}/"
        if accept == "text/csv":
            allt = np.unique(np.concatenate([t for t, _ in cols.values()] or [np.empty(0, int)]))
            lines = ["user,timestamp," + ",".join(str(dt.id) for dt in dts)]
            lookup = {dt: dict(zip(t.tolist(), v.tolist(), strict=True))
                      for dt, (t, v) in cols.items()}
            for ts in allt.tolist():
                cells = [repr(lookup[dt][ts]) if ts in lookup[dt] else "" for dt in dts]
                lines.append(f"{user},{ts}," + ",".join(cells))
            return FakeResponse(("\n".join(lines) + "\n").encode())
        data = {str(dt.id): [[int(a), b] for a, b in zip(t.tolist(), v.tolist(), strict=True)]
                for dt, (t, v) in cols.items()}
        return FakeResponse(json.dumps([{"data": data, "user": user}]).encode())
