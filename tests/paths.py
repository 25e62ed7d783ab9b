"""Where the tests find the repository and the shared real export (one rule for all)."""

from __future__ import annotations

import os
from pathlib import Path

#: The repository root.
REPO = Path(__file__).resolve().parents[1]
#: ``../shared`` beside the repository, or ``HEXOFRAME_SHARED``.
SHARED = Path(os.environ.get("HEXOFRAME_SHARED", REPO.parent / "shared"))
#: The real Hexoskin export (absent in a fresh clone without ``../shared``).
EXPORT = SHARED / "fixtures" / "hexoskin-export-122445"
