"""The software's name and version (R27): printed with the fiscal core's own version (caisse/fiscal/version.py)."""

from __future__ import annotations

from importlib import metadata

SOFTWARE = "Caisse web"
try:
    VERSION = metadata.version("caisse-web")
except metadata.PackageNotFoundError:  # run from a source tree that was never installed
    VERSION = "0+source"

