"""Sphinx configuration of the hexoframe documentation (MyST markdown pages).

Build: ``python -m sphinx -W --keep-going -b html docs <output folder>`` from the
repository root (``pip install -e ".[docs]"`` first).  No step needs the network.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import hexoframe  # noqa: E402

project = "hexoframe"
author = "hexoframe contributors"
copyright = "hexoframe contributors"  # noqa: A001  (the name Sphinx reads)
release = hexoframe.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
]
# No intersphinx: the documentation builds without a network.

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
# "Attributes" sections as :ivar: fields, so a documented property is described once.
napoleon_use_ivar = True

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"show-inheritance": True}

html_theme = "alabaster"
html_title = f"hexoframe {release}"
