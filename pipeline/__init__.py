"""Data movement: table contracts, XML <-> Arrow/pandas frames, manifests and drops.

Knows nothing of registers or rights, never imports `caisse` or streamlit, never opens the store.
Each name is imported from its module at first use (PEP 562), so that a command that only reads the store does
not load the XML reader and Arrow's compute kernels.
"""

from __future__ import annotations

import importlib

_NAMES = {
    "contracts": "CONTRACTS CORE_TABLES EXPORT_TABLES Contract contract_for",
    "drop": "Drop LocalDrop check_name masked_url open_drop",
    "errors": "BadTableFile DropRefused DropUnavailable ManifestMismatch PipelineError",
    "manifest": "EXPORT_MANIFEST IMPORT_MANIFEST MANIFESTS FileEntry Manifest read_manifest write_manifest",
    "xmlread": "iter_batches read_arrow read_table",
    "xmlwrite": "Written write_table",
}
_WHERE = {name: module for module, names in _NAMES.items() for name in names.split()}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
