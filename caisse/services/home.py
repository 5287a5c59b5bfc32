"""The data folder (CAISSE_HOME): store, integrity key, exchanges, and the demo drop."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from caisse.common.config import Settings
from caisse.common.errors import CaisseError
from caisse.common.words import plural
from caisse.fiscal.chains import publish_heads
from caisse.fiscal.jet import record_event
from caisse.fiscal.keys import KeyProblem, create_key, load_keys, rotate_key
from caisse.rules.auth import User, require_now
from caisse.storage.store import SCHEMA_VERSION, Store, scalar
from pipeline.names import ascii_digits

HEADS_WITH_COMMIT = 8  # the schema version from which heads files keep the commit under way


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
    return Store(settings.store_path, settings.lock_timeout, settings.integrity_key_path, settings.limits,
                 settings.calendar, settings.fiscal_words(), training=settings.formation)


def initialise(settings: Settings, demo: bool = False) -> InitReport:
    """Create or upgrade the store and make the integrity key (only where no chained record exists: a lost
    key is restored from its backup, never replaced); `demo` fills the local drop."""
    private_dir(settings.home)
    for folder in (settings.received_dir, settings.sent_dir, settings.logs_dir):
        private_dir(folder)
    store = open_store(settings)
    before = store.schema_version() if store.path.exists() else 0
    version = store.migrate()
    key_path = settings.integrity_key_path
    created = False
    with store.connect() as con:
        links = scalar(con, "SELECT count(*) FROM maillon")
        events = scalar(con, "SELECT count(*) FROM jet")
    if key_path.exists():
        load_keys(key_path)  # refused when readable by others or unreadable, with the command that fixes it
    elif links:
        raise KeyProblem(f"La clé d'intégrité {key_path} est introuvable alors que la base contient "
                         f"{plural(links, 'enregistrement chaîné', 'enregistrements chaînés')} : une nouvelle "
                         "clé ne permettrait plus de les vérifier. "
                         "Restaurez la clé depuis votre sauvegarde (elle n'est jamais recréée).")
    else:
        create_key(key_path)
        created = True
    demo_files, folder = 0, None
    if demo:
        folder = settings.local_drop_dir
        if folder is None:
            raise CaisseError(f"La boutique de démonstration ne s'écrit que dans un dossier local "
                              f"(CAISSE_DROP=file:///...), pas dans {settings.drop_shown}.")
        target = folder / settings.import_folder("C01")
        from pipeline.demo import write_demo_shop  # the XML writer, loaded by the one command that writes files
        demo_files = len(write_demo_shop(target, lot=next_demo_lot(store), today=date.today()).fichiers) + 1
    if 0 < before < HEADS_WITH_COMMIT and links:
        republish_heads(store)
    with store.transaction() as con:
        if not events:
            record_event(con, 260, detail=f"schéma v{version}")
        if created:
            record_event(con, 250, detail=f"clé {load_keys(key_path).current_id} ({key_path})")
    return InitReport(settings.store_path, version, created, demo_files, folder)


def next_demo_lot(store: Store) -> str:
    """The demo lot after the last one applied: a lot is applied once, so each `init --demo` deposits a new one."""
    with store.connect() as con:
        applied = [lot for lot, in con.execute("SELECT DISTINCT lot FROM sync_run WHERE sens = 'import' AND statut = "
                                               "'reussi' AND lot LIKE 'GESPX-DEMO-%'").fetchall()]
    numbers = [int(lot.rsplit("-", 1)[1]) for lot in applied if ascii_digits(lot.rsplit("-", 1)[1])]
    return f"GESPX-DEMO-{max(numbers, default=0) + 1:04d}"


def republish_heads(store: Store) -> None:
    """Heads files written by a version before the commit under way was kept in them (schema 8) may lag behind the
    store after a full disk, which those versions tolerated: written again from the store at the upgrade."""
    with store.connect() as con:
        registers = [ident for ident, in con.execute("SELECT DISTINCT id_caisse FROM maillon").fetchall()]
    for id_caisse in registers:
        publish_heads(store, id_caisse)


def upgrade(settings: Settings) -> None:
    """The store brought to this version's schema when an earlier version wrote it (the app's start)."""
    store = open_store(settings)
    if store.path.exists() and store.schema_version() < SCHEMA_VERSION:
        initialise(settings)


def rotate_integrity_key(store: Store, user: User) -> tuple[str, str]:
    """Start signing with a new key (R09): the old ones stay in the file so that earlier links still verify,
    and the event links the two (the new key's id signed by the old key). (old id, new id)."""
    with store.connect() as con:
        require_now(con, user, "BACKOFFICE")
    old, new, attestation = rotate_key(store.key_path)
    with store.transaction() as con:
        record_event(con, 255, login=user.login, detail=f"clé {old} remplacée par {new} ; attestation {attestation}")
    return old, new
