"""Data movement: table contracts, XML <-> Arrow/pandas frames, manifests and drops.

Knows nothing of registers or rights, never imports `caisse` or streamlit, never opens the store.
"""

from .contracts import CONTRACTS, CORE_TABLES, EXPORT_TABLES, Contract, contract_for
from .drop import Drop, LocalDrop, check_name, masked_url, open_drop
from .errors import BadTableFile, DropRefused, DropUnavailable, ManifestMismatch, PipelineError
from .manifest import EXPORT_MANIFEST, IMPORT_MANIFEST, MANIFESTS, FileEntry, Manifest, read_manifest, write_manifest
from .xmlread import iter_batches, read_arrow, read_table
from .xmlwrite import Written, write_table

__all__ = [
    "CONTRACTS", "CORE_TABLES", "EXPORT_TABLES", "Contract", "contract_for", "Drop", "LocalDrop",
    "check_name", "masked_url", "open_drop", "BadTableFile", "DropRefused", "DropUnavailable", "ManifestMismatch",
    "PipelineError",
    "EXPORT_MANIFEST", "IMPORT_MANIFEST", "MANIFESTS", "FileEntry", "Manifest", "read_manifest",
    "write_manifest", "iter_batches", "read_arrow", "read_table", "Written", "write_table",
]
