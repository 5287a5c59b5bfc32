"""The data folder (CAISSE_HOME): store, integrity key, exchanges, and the demo drop."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pipeline.demo import write_demo_shop

from .config import Settings
from .errors import CaisseError
from .integrity import ensure_key
from .journal import audit
from .store import Store


@dataclass(frozen=True)
class InitReport:
    store: Path
    schema_version: int
    key_created: bool
    demo_files: int
    demo_folder: Path | None


def private_dir(path: Path) -> Path:
    """A folder only the register server's account can enter (mode 700), created with its parents."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def open_store(settings: Settings) -> Store:
    return Store(settings.store_path, settings.lock_timeout, settings.integrity_key_path)


def initialise(settings: Settings, demo: bool = False) -> InitReport:
    """Create or upgrade the store and make the integrity key; `demo` fills the local drop."""
    private_dir(settings.home)
    for folder in (settings.received_dir, settings.sent_dir, settings.logs_dir):
        private_dir(folder)
    store = open_store(settings)
    version = store.migrate()
    created = ensure_key(settings.integrity_key_path)
    demo_files, folder = 0, None
    if demo:
        folder = settings.local_drop_dir
        if folder is None:
            raise CaisseError(f"La boutique de démonstration ne s'écrit que dans un dossier local "
                              f"(CAISSE_DROP=file:///...), pas dans {settings.drop}.")
        target = folder / settings.import_dir.replace("{caisse}", "C01")
        demo_files = len(write_demo_shop(target).fichiers) + 1
    with store.transaction() as con:
        audit(con, "INIT", detail=f"schéma v{version}" + (", démo" if demo else "")
              + (", clé d'intégrité créée" if created else ""))
    return InitReport(settings.store_path, version, created, demo_files, folder)
