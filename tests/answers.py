"""Reading the emulator's error answers in tests.

Tastypie sends some errors with an empty body (401, a missing detail's 404, 405's list
of methods); the emulator then says why in its own ``X-Emulator-Reason`` header. Other
errors carry ``{"error": "..."}``.
"""

from __future__ import annotations

from typing import Any


def reason(r: Any) -> str:
    """Why the emulator refused a request: its reason header, else the JSON ``error``."""
    header = r.headers.get("X-Emulator-Reason")
    if header:
        return str(header)
    return str(r.json()["error"])
