"""What every printed document names (R27): the software, its version, and the fiscal core's own version."""

from __future__ import annotations

from importlib import metadata

from .fiscal import FISCAL_VERSION

SOFTWARE = "Caisse web"
try:
    VERSION = metadata.version("caisse-web")
except metadata.PackageNotFoundError:  # run from a source tree that was never installed
    VERSION = "0+source"


def signature_line() -> str:
    """`Caisse web 0.3.0 · noyau fiscal 1.1`."""
    return f"{SOFTWARE} {VERSION} · noyau fiscal {FISCAL_VERSION}"
