"""Damaged copies of an export, for property tests and the reliability benchmark.

Each damage is a pure function of the undamaged bytes and a ``random.Random``; the same seed
gives the same damaged file.

Examples
--------
>>> import random
>>> damage_bytes(b"abcdef", "truncate", random.Random(0)) in {b"", b"a", b"ab", b"abc",
...                                                           b"abcd", b"abcde"}
True
"""

from __future__ import annotations

import random
import shutil
import struct
from collections.abc import Iterator
from pathlib import Path

KINDS = ("truncate", "flip_header_bit", "shrink_size_field", "cut_row")


def damage_bytes(data: bytes, kind: str, rng: random.Random) -> bytes:
    """One damaged copy of ``data``.

    A truncation, a bit flip in the header (44 bytes of a WAV, first line of a CSV), a WAV
    data-size field made smaller, or a CSV cut inside its last row.
    """
    if kind == "truncate":
        return data[: rng.randrange(len(data))] if data else data
    if kind == "flip_header_bit":
        header = 44 if data[:4] == b"RIFF" else data.find(b"\n") + 1
        if header <= 0:
            return damage_bytes(data, "truncate", rng)
        bit = rng.randrange(min(len(data), header) * 8)
        out = bytearray(data)
        out[bit // 8] ^= 1 << (bit % 8)
        return bytes(out)
    if kind == "shrink_size_field":
        if data[:4] != b"RIFF" or len(data) < 44:
            return damage_bytes(data, "truncate", rng)
        (size,) = struct.unpack_from("<I", data, 40)
        if size < 2:
            return damage_bytes(data, "truncate", rng)
        return data[:40] + struct.pack("<I", size - 2 * rng.randint(1, size // 2)) + data[44:]
    if kind == "cut_row":
        body = data.rstrip(b"\n")
        last = body.rfind(b"\n")
        if last < 0 or last + 2 >= len(body):
            return damage_bytes(data, "truncate", rng)
        return body[: rng.randrange(last + 2, len(body))]
    raise ValueError(f"unknown damage {kind!r}; one of {KINDS}")


def damaged_exports(
    source: Path, dest: Path, seed: int, count: int
) -> Iterator[tuple[Path, str, str]]:
    """Yield ``count`` damaged copies of the export folder ``source`` made under ``dest``:
    ``(folder, damaged file name, damage kind)``, one damaged file in each."""
    rng = random.Random(seed)
    files = sorted(p.name for p in source.iterdir() if p.is_file())
    for i in range(count):
        name, kind = rng.choice(files), rng.choice(KINDS)
        folder = dest / f"damaged_{seed}_{i}"
        shutil.copytree(source, folder, ignore=shutil.ignore_patterns("matlab-converted"))
        target = folder / name
        target.write_bytes(damage_bytes(target.read_bytes(), kind, rng))
        yield folder, name, kind
