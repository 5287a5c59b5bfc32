"""The DuckDB store: one file, opened per unit of work, its schema made from the table contracts.

Only one process may hold a DuckDB file open for writing, so no process keeps it: each unit of work takes a
cursor of the process's connection, opened on the process's turn (caisse.storage.turns, first come first served
between the app and the CLI) and closed soon after the last unit, at once when another process waits. A
process that does not get its turn within `lock_timeout` seconds says in a sentence that the store is busy.
"""

from __future__ import annotations

import contextvars
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from caisse.common.config import Limits
from caisse.common.dates import Calendar
from caisse.common.errors import CaisseError, DiskFull, StoreBusy
from caisse.storage import disk
from caisse.storage.connection import Database, database
from pipeline.contracts import CONTRACTS

if TYPE_CHECKING:  # the import pipeline and Arrow are loaded by the commands that move data
    import pyarrow as pa

    from pipeline.staging import Staged

OWN_TABLES = [
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP)",
    """CREATE TABLE IF NOT EXISTS sync_run (
        id_run VARCHAR PRIMARY KEY, sens VARCHAR, lot VARCHAR, caisse VARCHAR, login VARCHAR,
        hote VARCHAR, debut TIMESTAMP, fin TIMESTAMP, statut VARCHAR, message VARCHAR,
        fichiers INTEGER, lignes BIGINT)""",
    """CREATE TABLE IF NOT EXISTS sync_log (
        id_run VARCHAR, seq INTEGER, ts TIMESTAMP, message VARCHAR, PRIMARY KEY (id_run, seq))""",
    """CREATE TABLE IF NOT EXISTS sync_fichier (
        id_run VARCHAR, nom VARCHAR, table_name VARCHAR, lignes BIGINT, sha256 VARCHAR)""",
    "CREATE SEQUENCE IF NOT EXISTS audit_seq START 1",
    """CREATE TABLE IF NOT EXISTS audit (
        seq BIGINT PRIMARY KEY DEFAULT nextval('audit_seq'), ts TIMESTAMP, action VARCHAR,
        caisse VARCHAR, login VARCHAR, detail VARCHAR)""",
]

# Sellers connected to an open register: the "users still connected" of the closing.
CONNEXION = """CREATE TABLE IF NOT EXISTS connexion (
    id_connexion VARCHAR PRIMARY KEY, id_caisse BIGINT, id_journee VARCHAR, id_utilisateur BIGINT,
    debut TIMESTAMP, fin TIMESTAMP, fin_forcee BOOLEAN)"""

# Every printed document (an original, then its numbered duplicates).
IMPRESSION = """CREATE TABLE IF NOT EXISTS impression (
    id_impression VARCHAR PRIMARY KEY, ts TIMESTAMP, type VARCHAR, ref VARCHAR, caisse VARCHAR,
    duplicata INTEGER, imprimante VARCHAR, statut VARCHAR, message VARCHAR, fichier VARCHAR)"""

# The fiscal core's tables (caisse/fiscal): every record that counts is a link of one chain per register
# and kind (`maillon`), and the technical event log (`jet`) is such a record too.
MAILLON = """CREATE TABLE IF NOT EXISTS maillon (
    id_caisse BIGINT, chaine VARCHAR, numero BIGINT, ref VARCHAR, ts TIMESTAMP, version VARCHAR, cle VARCHAR,
    empreinte VARCHAR, empreinte_precedente VARCHAR, PRIMARY KEY (id_caisse, chaine, numero))"""
JET = """CREATE TABLE IF NOT EXISTS jet (
    id_evenement VARCHAR PRIMARY KEY, id_caisse BIGINT, ts TIMESTAMP, code INTEGER, caisse VARCHAR,
    login VARCHAR, detail VARCHAR)"""
# What a seller is ringing (a provisional document, R18: it counts nowhere until validated, then the
# validated ticket is written once in t_ticket and its lines and payments).
DRAFTS = [
    """CREATE TABLE IF NOT EXISTS ticket_attente (
        id_ticket VARCHAR PRIMARY KEY, id_caisse BIGINT, id_journee VARCHAR, id_utilisateur BIGINT,
        date_creation TIMESTAMP, statut VARCHAR, date_fin TIMESTAMP, id_utilisateur_fin BIGINT, motif VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS ligne_attente (
        id_ticket VARCHAR, num_ligne INTEGER, id_article BIGINT, code_article VARCHAR, libelle VARCHAR,
        quantite DECIMAL(18,3), prix_unitaire_ttc DECIMAL(18,2), remise DECIMAL(18,2), taux_tva DECIMAL(18,2),
        montant_ttc DECIMAL(18,2), montant_ht DECIMAL(18,2), PRIMARY KEY (id_ticket, num_ligne))""",
    """CREATE TABLE IF NOT EXISTS reglement_attente (
        id_ticket VARCHAR, num INTEGER, code_moyen VARCHAR, montant DECIMAL(18,2), numero_piece VARCHAR,
        PRIMARY KEY (id_ticket, num))""",
]
# The lots a day was sent in: a closed day is never updated, its export is a record of its own.
LOT_ENVOYE = """CREATE TABLE IF NOT EXISTS lot_envoye (
    id_journee VARCHAR PRIMARY KEY, lot VARCHAR, ts TIMESTAMP)"""
# The register's chain heads as they were when a day was closed: its Z shows them, and a reprint shows the same.
CLOTURE_TETES = """CREATE TABLE IF NOT EXISTS cloture_tetes (
    id_journee VARCHAR, chaine VARCHAR, numero BIGINT, empreinte VARCHAR, PRIMARY KEY (id_journee, chaine))"""

# Sign-in sessions held server-side (caisse/sessions.py): a browser keeps only an opaque token, hashed here.
SESSION = """CREATE TABLE IF NOT EXISTS session_caisse (
    jeton VARCHAR PRIMARY KEY, id_utilisateur BIGINT, caisse VARCHAR, id_connexion VARCHAR, id_ticket VARCHAR,
    dernier_ticket VARCHAR, debut TIMESTAMP, vu TIMESTAMP, fin TIMESTAMP, motif_fin VARCHAR)"""

# Closings by period (caisse/fiscal/periods.py), the date each closed day counts for, the archives made
# (caisse/fiscal/archive.py) and their signing key's public half, and what a purge removed.
PERIODS = [
    """CREATE TABLE IF NOT EXISTS cloture_periode (
        id_cloture VARCHAR PRIMARY KEY, id_caisse BIGINT, type VARCHAR, periode VARCHAR, numero INTEGER,
        date_cloture TIMESTAMP, id_utilisateur BIGINT, debut DATE, fin DATE, nb_journees INTEGER, premier_z INTEGER,
        dernier_z INTEGER, nb_tickets INTEGER, nb_annulations INTEGER, nb_retours INTEGER, total_ttc DECIMAL(18,2),
        total_ht DECIMAL(18,2), total_absolu DECIMAL(18,2), grand_total DECIMAL(18,2),
        grand_total_absolu DECIMAL(18,2), detail VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS journee_periode (
        id_journee VARCHAR PRIMARY KEY, id_caisse BIGINT, date_comptable DATE)""",
    """CREATE TABLE IF NOT EXISTS archive (
        id_archive VARCHAR PRIMARY KEY, id_caisse BIGINT, type VARCHAR, periode VARCHAR, ts TIMESTAMP,
        fichier VARCHAR, taille BIGINT, sha256 VARCHAR, cle_publique VARCHAR, signature VARCHAR, purgee TIMESTAMP,
        version_logiciel VARCHAR, version_noyau VARCHAR)""",
    "CREATE TABLE IF NOT EXISTS cle_archive (cle_publique VARCHAR PRIMARY KEY, creee TIMESTAMP)",
    "CREATE TABLE IF NOT EXISTS mode_formation (caisse VARCHAR, actif BOOLEAN, ts TIMESTAMP, id_utilisateur BIGINT)",
    """CREATE TABLE IF NOT EXISTS purge_journee (
        id_journee VARCHAR PRIMARY KEY, id_caisse BIGINT, nb BIGINT, max_numero BIGINT, empreinte VARCHAR,
        min_numero BIGINT, id_archive VARCHAR, ts TIMESTAMP)""",
]

# The Z of each closed day as printed at its closing (R15), covered by the day's link: reprints print it.
JOURNEE_Z = "CREATE TABLE IF NOT EXISTS journee_z (id_journee VARCHAR PRIMARY KEY, id_caisse BIGINT, detail VARCHAR)"

# The drawer count being typed on Fermeture (a draft, not a record: the closing writes t_comptage once): a refresh,
# or a second tab, finds it again.
COMPTAGE_EN_COURS = """CREATE TABLE IF NOT EXISTS comptage_en_cours (
    id_journee VARCHAR, cle VARCHAR, saisie VARCHAR, ts TIMESTAMP, id_utilisateur BIGINT,
    PRIMARY KEY (id_journee, cle))"""

# The clothing till (variants, discounts, a seller per line, forced prices): what a draft's lines and the draft
# itself hold beside the catalogue price, as t_ligne_ticket and t_ticket will; and every price an article or a variant
# had, from each import (the reference price of a markdown, Code de la consommation L112-1-1, and the labels to print).
LINE_DETAIL = ("id_declinaison BIGINT", "taille VARCHAR", "couleur VARCHAR", "id_vendeur BIGINT",
               "prix_force DECIMAL(18,2)", "taux_remise DECIMAL(18,2)", "motif_remise VARCHAR",
               "remise_ticket DECIMAL(18,2)", "prix_reference DECIMAL(18,2)")
CLOTHING = [
    # reference tables until now, kept as text: their contracts are typed (the next import fills them)
    "DROP TABLE IF EXISTS t_declinaison", "DROP TABLE IF EXISTS t_grille_declinaison",
    CONTRACTS["t_declinaison"].ddl(), CONTRACTS["t_grille_declinaison"].ddl(),
    # remise_autorisee: the discount a manager let through on a draft line or ticket (a change may not exceed it)
    *(f"ALTER TABLE ligne_attente ADD COLUMN IF NOT EXISTS {c}" for c in
      (*LINE_DETAIL, "remise_autorisee DECIMAL(18,2)")),
    *(f"ALTER TABLE ticket_attente ADD COLUMN IF NOT EXISTS {c}" for c in
      ("remise_ticket DECIMAL(18,2)", "taux_remise_ticket DECIMAL(18,2)", "motif_remise VARCHAR",
       "id_vendeur BIGINT", "remise_autorisee DECIMAL(18,2)")),
    """CREATE TABLE IF NOT EXISTS prix_article (
        id_article BIGINT, id_declinaison BIGINT, prix_ttc DECIMAL(18,2), prix_precedent DECIMAL(18,2),
        depuis TIMESTAMP, lot VARCHAR)""",
]

# Versioned migrations: each entry runs once, in order, and is recorded in schema_version.
MIGRATIONS: list[list[str]] = [
    [c.ddl() for c in CONTRACTS.values()] + OWN_TABLES,
    [CONNEXION],
    [IMPRESSION],
    [MAILLON, JET, *DRAFTS, LOT_ENVOYE, CLOTURE_TETES,
     "ALTER TABLE impression ADD COLUMN IF NOT EXISTS id_caisse BIGINT",
     "ALTER TABLE impression ADD COLUMN IF NOT EXISTS id_utilisateur BIGINT",
     "ALTER TABLE impression ADD COLUMN IF NOT EXISTS empreinte_document VARCHAR",
     # a void is a ticket of its own now (DESIGN section 14): the columns that rewrote the original are gone
     *(f"ALTER TABLE t_ticket DROP COLUMN IF EXISTS {c}" for c in
       ("statut", "date_annulation", "id_utilisateur_annulation", "motif_annulation"))],
    [SESSION],
    # failed sign-ins are counted by place (a browser's address), not by account: nobody can lock a manager out
    ["""CREATE TABLE IF NOT EXISTS essai_echec (
        source VARCHAR PRIMARY KEY, echecs INTEGER, dernier TIMESTAMP, attente_jusqu TIMESTAMP)""",
     "DROP TABLE IF EXISTS login_echec"],
    PERIODS,
    [JOURNEE_Z],
    [COMPTAGE_EN_COURS],
    CLOTHING,
]
SCHEMA_VERSION = len(MIGRATIONS)


# The transaction being run in this thread: its store, what to do just before it commits and once it has.
@dataclass
class _Unit:
    store: Store
    before: dict[object, Callable[[duckdb.DuckDBPyConnection], None]] = field(default_factory=dict)
    after: dict[object, Callable[[], None]] = field(default_factory=dict)
    state: dict = field(default_factory=dict)


_CURRENT: contextvars.ContextVar[_Unit | None] = contextvars.ContextVar("caisse_transaction", default=None)


class Store:
    """The store's path and settings, never an open connection (safe to cache in the app)."""

    def __init__(self, path: Path, lock_timeout: float = 10.0, key_path: Path | None = None, limits=None,
                 calendar=None, settings_words: dict[str, str] | None = None, training: bool = False):
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self.key_path = Path(key_path) if key_path else self.path.parent / "integrity.key"
        self.limits = limits or Limits()  # what people may type (settings), read by the rules
        self.calendar = calendar or Calendar()  # when a business day starts, the fiscal year's first month
        self.settings_words = settings_words  # the settings whose change the journal records (240)
        self.training = training  # the copy a register in training works on, not the real store

    @property
    def _db(self) -> Database:
        return database(self.path)

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor for one unit of work; waits up to `lock_timeout` for another process's lock."""
        if not self.path.exists():
            raise CaisseError(f"La base {self.path} n'existe pas encore : lancez « caisse init » "
                              "(ou « caisse init --demo »).")
        db = self._db
        cursor = db.acquire(self._open, self.lock_timeout)
        try:
            yield cursor
        finally:
            db.release(cursor)

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One atomic unit: committed when the block ends, rolled back if it raises. What was given to
        `before_commit` runs last inside it (its failure rolls it back); what was given to `after_commit` runs
        once it has committed (never if it rolled back), while this process still holds the file and its write
        lock, so that nothing another unit writes can come between the commit and it."""
        with self._db.writer, self.connect() as con:
            outer = _CURRENT.get()
            if outer is not None and outer.store.path == self.path:
                raise RuntimeError("transaction inside a transaction of the same store")
            unit = _Unit(self)
            token = _CURRENT.set(unit)
            try:
                con.begin()
                try:
                    yield con
                    for hook in unit.before.values():
                        hook(con)
                    con.commit()
                except BaseException as e:
                    _rollback(con)
                    if isinstance(e, duckdb.Error) and "invalidated" in str(e).lower():
                        self._db.broken = True  # a fatal error ended the instance: open the file again
                    if disk.is_no_space(e):
                        self._db.broken = True  # DuckDB may have invalidated the instance: reopen it
                        disk.release_reserve(self.path.parent)  # so that the failure itself can be recorded
                        raise DiskFull(self.path.parent) from e
                    raise
            finally:
                _CURRENT.reset(token)
            for callback in unit.after.values():
                callback()
        disk.ensure_reserve(self.path.parent)  # a stat while it is there; made again once space is back

    def writing(self):
        """Hold the process's write lock across several units (a commit and what must follow it)."""
        return self._db.writer

    def release(self) -> None:
        """Close the file now if no unit uses it (before handing it to another process)."""
        self._db.close_now()

    def _open(self) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + self.lock_timeout
        pause = 0.05
        while True:
            try:
                return duckdb.connect(str(self.path))
            except duckdb.IOException as e:
                if "not a valid duckdb database" in str(e).lower():
                    raise CaisseError(f"La base {self.path} n'est pas une base DuckDB (fichier endommagé ou "
                                      "remplacé) : ne la supprimez pas, l'historique fiscal y est ; remettez à sa "
                                      "place sa dernière copie sauvegardée s'il y en a une, et contactez la "
                                      "hotline.") from None
                if "lock" not in str(e).lower():
                    raise CaisseError(f"La base {self.path} ne peut pas être ouverte : contactez la hotline avec le "
                                      f"message de DuckDB, « {str(e).splitlines()[0][:200]} ».") from None
                if time.monotonic() >= deadline:
                    raise StoreBusy(self.path, self.lock_timeout) from None
                time.sleep(pause)
                pause = min(pause * 2, 0.5)

    def migrate(self) -> int:
        """Create the file if needed and apply the pending migrations; return the schema version."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            duckdb.connect(str(self.path)).close()
        os.chmod(self.path, 0o600)
        with self.transaction() as con:
            con.execute(OWN_TABLES[0])
            done = {v for (v,) in con.execute("SELECT version FROM schema_version").fetchall()}
            for version, statements in enumerate(MIGRATIONS, 1):
                if version in done:
                    continue
                for sql in statements:
                    con.execute(sql)
                con.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", [version, datetime.now()])
            add_missing_columns(con)
        return SCHEMA_VERSION

    def schema_version(self) -> int:
        with self.connect() as con:
            return con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0]


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.rollback()
    except duckdb.Error:
        pass  # a commit that failed has already ended the transaction (or the instance is invalidated)


def current_store() -> Store:
    """The store of the transaction this code runs in (the fiscal core finds the key from it)."""
    active = _CURRENT.get()
    if active is None:
        raise RuntimeError("a record that counts is written only inside Store.transaction()")
    return active.store


def transaction_state() -> dict:
    """A dict that lives as long as the current transaction (what it wrote, for its after-commit work)."""
    active = _CURRENT.get()
    if active is None:
        raise RuntimeError("transaction_state outside a transaction")
    return active.state


def after_commit(key: object, callback: Callable[[], None]) -> None:
    """Run `callback` once the current transaction has committed (chain heads written outside the store);
    a second callback under the same `key` replaces the first."""
    active = _CURRENT.get()
    if active is None:
        raise RuntimeError("after_commit outside a transaction")
    active.after[key] = callback


def before_commit(key: object, hook: Callable[[duckdb.DuckDBPyConnection], None]) -> None:
    """Run `hook(con)` as the last step of the current transaction, before its commit (an OSError there rolls
    it back); a second hook under the same `key` replaces the first."""
    active = _CURRENT.get()
    if active is None:
        raise RuntimeError("before_commit outside a transaction")
    active.before[key] = hook


def add_missing_columns(con: duckdb.DuckDBPyConnection) -> None:
    """Columns added to a contract since the store was made are added to its table (NULL for old rows)."""
    existing = set(con.execute("SELECT table_name || '.' || column_name FROM information_schema.columns")
                   .fetchall())
    for contract in CONTRACTS.values():
        for column in contract.columns:
            if (f"{contract.name}.{column.name}",) not in existing:
                con.execute(f"ALTER TABLE {contract.name} ADD COLUMN {column.name} {column.sql_type}")


def own_table_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The store's own tables (runs, logs, audit, connections, prints...): never the main server's."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    return tables - set(CONTRACTS)


def replace_table(con: duckdb.DuckDBPyConnection, table: str, data: pa.Table | Staged, keep: str | None = None,
                  key: tuple[str, ...] = ()) -> int:
    """DELETE the table's rows and insert `data` (extras become VARCHAR columns); returns rows inserted.

    `keep`: a condition on a row (SQL) marking the rows that are the register's own: they are neither
    deleted nor replaced, and incoming rows that match it, or that bear the `key` of a kept row, are
    skipped. Staged data streams from its files into DuckDB one batch at a time."""
    from pipeline.staging import Staged  # Arrow: loaded by the commands that move data, never by `status`
    names = data.columns if isinstance(data, Staged) else data.schema.names
    existing = {r[0].lower(): r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]).fetchall()}
    for name in names:
        if name.lower() not in existing:
            con.execute(f'ALTER TABLE {table} ADD COLUMN "{name}" VARCHAR')
    contract = {c.lower() for c in CONTRACTS[table].column_names}
    for gone in set(existing) - contract - {n.lower() for n in names}:
        con.execute(f'ALTER TABLE {table} DROP COLUMN "{existing[gone]}"')  # an extra the lot no longer sends
    own = f"coalesce(({keep}), false)" if keep else "false"
    con.execute(f"DELETE FROM {table} WHERE NOT {own}")
    skip = f"WHERE NOT {own}" + (f" AND ({', '.join(key)}) NOT IN (SELECT {', '.join(key)} FROM {table})"
                                 if keep and key else "")
    staged = isinstance(data, Staged)
    inserted = 0
    for reader in data.readers() if staged else [data.to_reader()]:
        columns = ", ".join(f'"{n}"' for n in reader.schema.names)
        con.register("_incoming", reader)
        try:
            inserted += con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _incoming "
                                    f"{skip if keep else ''}").fetchall()[0][0]
        finally:
            con.unregister("_incoming")
    return inserted


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    """The first column of the first row, or None."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0][0] if rows else None


def new_id() -> str:
    """The id of a row created at the register (DESIGN section 7: UUID text)."""
    return str(uuid.uuid4())
