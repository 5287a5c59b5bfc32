"""Import from the main server's drop (DESIGN section 5), logged in the seed's words.

The received files are kept; every table of the lot is replaced in ONE transaction; the remote files
are deleted only after the commit, so a failure at any point leaves both the store and the drop as
they were. Each run keeps its whole log in the store and, line by line as it goes, in a text file.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from caisse.common.config import Settings
from caisse.common.errors import (
    CaisseError,
    DropFailed,
    ImportNotAllowed,
    LoginFailed,
    LotAlreadyApplied,
    NothingToImport,
    UnknownRegister,
)
from caisse.common.money import plural
from caisse.fiscal.jet import record_event
from caisse.fiscal.registry import record_survey
from caisse.rules import auth, parameters
from caisse.rules.auth import known_login
from caisse.rules.history import Log, RunLog, new_run_id, record_run, save_log
from caisse.rules.lifecycle import import_blocker, valid_code
from caisse.rules.prices import PriceChanges, record_prices
from caisse.rules.vouchers import overlay_credit_notes, overlay_gift_cheques
from caisse.services.home import private_dir
from caisse.storage.store import Store, own_table_names, replace_table
from caisse.storage.turns import ImportWindow
from pipeline import (
    IMPORT_MANIFEST,
    MANIFESTS,
    BadTableFile,
    DropRefused,
    DropUnavailable,
    ManifestMismatch,
    PipelineError,
    check_name,
    contract_for,
    open_drop,
    read_manifest,
)
from pipeline.contracts import CONTRACTS, CORE_TABLES, EXPORTED, LOAD_ORDER
from pipeline.drop import too_large
from pipeline.manifest import check_files, check_rows, sha256_file
from pipeline.staging import Staged, stage_file

BANNER = "*** Début de vidage des tables du serveur nomade ***"
PROGRESS_ROWS = 100_000
STAGED = "validees"  # beside the received files: the validated tables, as Arrow files, until the load
# The register's days are its own records: they never come from the main server (FISCAL R03).
REGISTER_TABLES = {c.name for c in CONTRACTS.values() if c.role == EXPORTED}
# Tables both sides write: the rows of the register's own days are kept whatever a lot says
# (a condition on a row, and the key an incoming row may not take from a kept one).
SHARED = {
    "t_livre_de_caisse": ("id_journee IN (SELECT id_journee FROM t_journee)", ("id_mouvement",)),
    "t_avoir_utilise": ("id_ticket IN (SELECT id_ticket FROM t_ticket)", ("id_avoir_utilise",)),
    "t_avoir": ("id_ticket_emission IN (SELECT id_ticket FROM t_ticket)", ("id_avoir",)),  # issued by a return here
}


@dataclass
class ImportResult:
    id_run: str
    lot: str
    caisse: str
    host: str
    tables: dict[str, int] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    previews: dict[str, list[dict]] = field(default_factory=dict)  # the first rows of each validated frame
    digests: dict[str, str] = field(default_factory=dict)  # sha256 of each received file, computed once
    sources: dict[str, str] = field(default_factory=dict)  # the file each table came from
    missing_core: list[str] = field(default_factory=list)  # core tables still empty after the import
    lot_made: datetime | None = None  # when the main server made the lot (its manifest's date_creation)
    acknowledged: set[str] | None = None  # the credit note uses the lot's t_avoir_utilise carries
    reapplied: str = ""  # when the lot had been applied already (a manager's --reapply)
    prices: PriceChanges | None = None  # the prices the lot changes (up, down, new), kept in the price history
    preview: bool = False  # checked and measured, then rolled back: nothing applied, the drop left as it was

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


@dataclass
class ImportRun:
    """One import under way: the store and settings it works with, who asked, where it logs, what it has found
    (`result`). Its steps (`_import`: check, receive; `_validate`; `_load`) share it instead of eight values."""

    store: Store
    settings: Settings
    caisse: str
    login: str
    password: str
    log: Log
    result: ImportResult
    now: datetime
    reapply: bool = False
    first_import: bool = False
    preview: bool = False


class _PreviewDone(Exception):
    """Raised at the end of a preview's loading transaction, to roll it back."""


def run_import(store: Store, settings: Settings, caisse: str, login: str, password: str, *,
               echo: Log | None = None, now: datetime | None = None, reapply: bool = False,
               preview: bool = False) -> ImportResult:
    """Import the drop's lot for register `caisse`; raises a CaisseError with a sentence. A lot already applied
    is refused with its date, unless a manager asks to `reapply` it (recorded). `preview`: the lot received,
    checked and loaded in a transaction rolled back, to say what it would change (its prices) before it is
    applied; nothing is kept and the drop's files stay."""
    now = now or datetime.now()
    caisse = valid_code(caisse)
    if settings.formation:
        raise CaisseError(f"La caisse {caisse} est en mode formation : elle travaille sur une copie des données "
                          "réelles. Revenez au mode réel pour importer (écran Réglages, « Mode formation »).")
    id_run = new_run_id("import", caisse, now)
    log = RunLog(settings.logs_dir, id_run, echo)
    result = ImportResult(id_run, "", caisse, "local")
    try:
        with ImportWindow(store.path, f"pour la caisse {caisse}"):  # no opening while it runs
            _import(ImportRun(store, settings, caisse, login, password, log, result, now, reapply, preview=preview))
    except (CaisseError, PipelineError) as e:
        log(f"Import interrompu : {e}")
        log("Rien n'a été modifié : ni la base du serveur caisse, ni les fichiers du serveur principal.")
        nothing = isinstance(e, NothingToImport)  # the main server sent nothing new: not a failure
        with store.transaction() as con:
            record_run(con, "import", id_run, result.lot, caisse, known_login(con, login), result.host, now,
                       "rien" if nothing else "echec", str(e), 0, 0)
            save_log(con, id_run, log)
            if not nothing:
                record_event(con, 115, caisse=caisse, login=known_login(con, login), detail=str(e), now=now)
        log.close()
        shutil.rmtree(settings.received_dir / id_run, ignore_errors=True)  # a refused reception is not kept
        if isinstance(e, (DropUnavailable, DropRefused)):
            raise DropFailed(str(e)) from e
        if isinstance(e, PipelineError):
            raise CaisseError(str(e)) from e
        raise
    if not preview:
        with store.transaction() as con:
            save_log(con, id_run, log)
    log.close()
    if preview:
        shutil.rmtree(settings.received_dir / id_run, ignore_errors=True)
    return result


def _import(run: ImportRun) -> None:
    store, settings, caisse, log, result = run.store, run.settings, run.caisse, run.log, run.result
    with store.connect() as con:
        run.first_import = not auth.has_users(con)
    if not run.first_import:
        user = auth.login(store, run.login, run.password, caisse=caisse, now=run.now)
        auth.require(user, "CAISSE_IMPORTER")
        if run.reapply:
            auth.require(user, "BACKOFFICE")
        with store.connect() as con:
            blocker = import_blocker(con)
        if blocker:
            raise ImportNotAllowed(caisse, blocker)

    for left in settings.received_dir.glob(f"*/{STAGED}"):  # left by an import killed mid-way
        shutil.rmtree(left, ignore_errors=True)
    folder = settings.import_folder(caisse)
    received = private_dir(settings.received_dir / result.id_run)
    max_bytes = int(settings.max_file_mb * 1024 * 1024)
    with open_drop(settings.drop, **settings.drop_options()) as drop:
        listing = drop.listing(folder)
        names = [check_name(n) for n in sorted(listing)]
        if not names:
            raise NothingToImport(drop.place(folder))
        for name in names:  # from the listing, before any byte is copied
            if refused := too_large(name, listing[name], max_bytes):
                raise refused
        announced, free = sum(listing.values()), shutil.disk_usage(received).free
        if announced * 2 + 4 * 1048576 > free:  # received, then staged: about twice the lot, and a margin
            raise CaisseError(f"Import impossible : le lot annonce {announced / 1048576:.0f} Mo et le disque du "
                              f"serveur caisse n'a que {free / 1048576:.0f} Mo libres ({received.parent}). Libérez de "
                              "la place, puis relancez ; rien n'a été copié.")
        log("Synchronisation des données en cours ...")
        # The manifest first: a local drop is named after its server, and the lot checked against it.
        # It is also removed first, so that a removal cut short never leaves a manifest whose files are gone.
        names.sort(key=lambda n: n.lower() != IMPORT_MANIFEST)
        manifest = None
        for name in names:
            if manifest is not None and name.lower() not in MANIFESTS and manifest.entry(name) is None:
                raise ManifestMismatch(IMPORT_MANIFEST, name,
                                       "fichier présent dans le dépôt mais absent du manifeste ; il n'a pas été lu")
            result.digests[name] = drop.fetch(folder, name, received / name, max_bytes)
            if name.lower() == IMPORT_MANIFEST:
                manifest = read_manifest(received / name)
                if manifest.serveur:
                    log(f"Lot {manifest.lot} préparé par le serveur principal {manifest.serveur}.")
                result.reapplied = _applied_once(store, manifest.lot, run.reapply)
            log(f"Réception de {drop.display(folder, name)} depuis {drop.named} en tant que {received / name} réussi.")
        result.host = manifest.serveur if drop.host == "local" and manifest and manifest.serveur else drop.host

        tables: dict[str, Staged] = {}
        try:
            with store.connect() as con:
                own_tables = own_table_names(con)
            _validate(run, received, names, manifest, tables, own_tables)
            result.lot = manifest.lot if manifest and manifest.lot else result.id_run
            _load(run, tables)
        finally:
            shutil.rmtree(received / STAGED, ignore_errors=True)
        if run.preview:
            return

        for name in names:
            try:
                drop.remove(folder, name)
                log(f"Suppression de {drop.display(folder, name)} sur {drop.named} réussie.")
            except DropUnavailable as e:
                result.warnings.append(str(e))
                log(f"Suppression de {drop.display(folder, name)} sur {drop.named} impossible : {e.reason}. "
                    "Les données sont importées ; le fichier sera simplement relu au prochain import.")
    log(f"Import terminé : {plural(len(result.tables), 'table')}, {plural(result.rows, 'ligne')} (lot {result.lot}).")
    if result.missing_core:
        warning = (f"Données incomplètes : les tables {', '.join(result.missing_core)} sont vides ; la caisse ne "
                   "pourra pas être ouverte avant un import qui les apporte.")
        result.warnings.append(warning)
        log(warning)


def _keep_identities(con, caisse: str, lived: dict[int, str]) -> None:
    """A register that has days keeps its number (its chains, Z and lots are counted under it) and stays listed
    (its days stay reachable): a lot that renumbers or drops it is refused, naming it."""
    now_ = dict(con.execute("SELECT id_caisse, code FROM t_caisse").fetchall())
    numbers = {code: ident for ident, code in now_.items()}
    for ident, code in sorted(lived.items()):
        if ident in now_:
            continue
        if code in numbers:
            raise ImportNotAllowed(caisse, f"le lot donne à la caisse {code} le numéro {numbers[code]}, alors que ses "
                                           f"journées, tickets et Z sont enregistrés sous le numéro {ident} : un "
                                           "numéro de caisse ne change jamais. Corrigez t_caisse sur le serveur "
                                           "principal ; rien n'a été chargé.")
        raise ImportNotAllowed(caisse, f"le lot ne contient plus la caisse {code} (numéro {ident}), qui a des "
                                       "journées enregistrées : une caisse qui a servi reste dans t_caisse (mettez-la "
                                       "inactive). Corrigez t_caisse sur le serveur principal ; rien n'a été chargé.")


def _applied_once(store: Store, lot: str, reapply: bool) -> str:
    """A lot is applied once: one applied already is refused with its date, unless `reapply` ("" when new)."""
    if not lot:
        return ""
    with store.connect() as con:
        rows = con.execute("SELECT fin FROM sync_run WHERE sens = 'import' AND statut = 'reussi' AND lot = ? "
                           "ORDER BY fin DESC LIMIT 1", [lot]).fetchall()
    if not rows:
        return ""
    when = f"{rows[0][0]:%d/%m/%Y à %H:%M}"
    if not reapply:
        raise LotAlreadyApplied(lot, when)
    return when


def _lot_date(text: str) -> datetime | None:
    try:
        made = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return made.astimezone().replace(tzinfo=None) if made.tzinfo else made


def _resolver(name: str, own_tables: set[str], max_extras: int):
    """The contract of each table a file holds (None: a table the register does not use, skipped); the
    register's own tables are refused, whatever file carries them."""
    def resolve(table: str):
        key = table.lower()
        if key in REGISTER_TABLES:
            raise BadTableFile(name, f"il apporte la table {table}, qui appartient au serveur caisse (ses journées, "
                                     "tickets, règlements et comptages ne viennent jamais du serveur principal) : "
                                     "retirez-le du lot")
        if key in own_tables:
            raise BadTableFile(name, f"il apporte la table {table}, une table interne du serveur caisse : "
                                     "retirez-le du lot")
        contract = contract_for(key)
        return replace(contract, max_extras=max_extras) if contract else None
    return resolve


def price_words(changes: PriceChanges) -> str:
    """« Prix : 3 hausses, 12 baisses, 2 nouveaux articles. »"""
    if not changes.any:
        return "Prix : aucun changement."
    parts = [plural(changes.up, "hausse") if changes.up else "", plural(changes.down, "baisse") if changes.down else "",
             (plural(changes.new, "nouveau prix", "nouveaux prix")) if changes.new else ""]
    return "Prix : " + ", ".join(p for p in parts if p) + "."


def _validate(run: ImportRun, received: Path, names: list[str], manifest, tables: dict[str, Staged],
              own_tables: set[str]) -> None:
    """Check the manifest and parse every table file into `tables` (on disk, beside the received files);
    nothing is written to the store yet."""
    settings, caisse, log, result = run.settings, run.caisse, run.log, run.result
    result.digests = {name: result.digests.get(name) or sha256_file(received / name) for name in names
                      if name.lower() not in MANIFESTS}
    if manifest:
        if manifest.caisse and manifest.caisse != caisse:
            raise ImportNotAllowed(caisse, f"ce lot est destiné à la caisse {manifest.caisse}.")
        check_files(manifest, received, digests=result.digests)
        log(f"Manifeste {IMPORT_MANIFEST} vérifié : {plural(len(manifest.fichiers), 'fichier')}, empreintes conformes.")
    else:
        log(f"Pas de manifeste {IMPORT_MANIFEST} : l'exhaustivité du lot (fichiers, lignes, empreintes) n'a pas pu "
            "être vérifiée.")
    counts: dict[str, int] = {}
    for name in names:
        if name.lower() in MANIFESTS:
            continue
        resolve = _resolver(name, own_tables, settings.max_unknown_columns)
        found = stage_file(received / name, resolve, received / STAGED,
                           max_mb=settings.max_file_mb, progress=_progress(name, log), notes=log)
        counts[name] = sum(one.rows for one in found.values())
        if not found:
            result.ignored.append(name)
            log(f"Fichier {name} ignoré : table inconnue du serveur caisse.")
        for table, one in found.items():
            if table in tables:
                raise BadTableFile(name, f"la table {table} est déjà livrée par le fichier {result.sources[table]}")
            tables[table], result.sources[table], result.previews[table] = one, name, one.preview
            log(f"Fichier {name} validé : {plural(one.rows, 'ligne')}" + ("." if f"{table}.xml" == name else
                                                                f" de la table {table}."))
    if manifest:
        check_rows(manifest, counts)
        result.lot_made = _lot_date(manifest.date_creation)
    if "t_avoir_utilise" in tables:
        result.acknowledged = {row["id_avoir_utilise"] for row in
                               tables["t_avoir_utilise"].read_all().select(["id_avoir_utilise"]).to_pylist()}
    if "tr_parametre" in tables:
        rows = tables["tr_parametre"].read_all().select(["cle", "valeur"]).to_pylist()
        parameters.check({row["cle"]: row["valeur"] for row in rows})


def _progress(name: str, log, every: int = PROGRESS_ROWS):
    """A log line each `every` rows of a large file, so a long validation shows it is moving."""
    shown = [0]

    def report(rows: int) -> None:
        if rows - shown[0] >= every:
            shown[0] = rows - rows % every
            log(f"Lecture de {name} en cours : {rows:,} lignes validées ...".replace(",", " "))
    return report


def _load(run: ImportRun, tables: dict[str, Staged]) -> None:
    """Replace the lot's tables in one transaction; on a first import, check the user against the lot."""
    store, caisse, log, result, now = run.store, run.caisse, run.log, run.result, run.now
    login, password, first_import = run.login, run.password, run.first_import
    try:
        with store.transaction() as con:
            blocker = import_blocker(con)  # again, in the transaction that loads: nothing opened meanwhile
            if blocker:
                raise ImportNotAllowed(caisse, blocker)
            log(BANNER)
            lived = dict(con.execute("SELECT id_caisse, code FROM t_caisse WHERE id_caisse IN "
                                     "(SELECT id_caisse FROM t_journee)").fetchall())
            for table in sorted(tables, key=LOAD_ORDER.index):
                log(f"DELETE FROM {table}")
                keep, key = SHARED.get(table, (None, ()))
                result.tables[table] = replace_table(con, table, tables[table], keep, key)
                if keep and result.tables[table] < tables[table].rows:
                    kept = tables[table].rows - result.tables[table]
                    log(f"{plural(kept, 'ligne')} de {table} concernent les journées de ce serveur caisse : "
                        "elles sont gardées telles qu'il les a enregistrées.")
            if "t_caisse" in tables:
                _keep_identities(con, caisse, lived)
            if "t_avoir" in tables:  # what the register used and the lot does not know yet stays used
                for said in overlay_credit_notes(con, result.acknowledged or set(), result.lot_made):
                    log(said)
            if "t_cheque_cadeau" in tables:
                for said in overlay_gift_cheques(con):
                    log(said)
            if "t_article" in tables or "t_declinaison" in tables:
                result.prices = record_prices(con, result.lot, now)
                log(price_words(result.prices))
            known = [r[0] for r in con.execute("SELECT code FROM t_caisse ORDER BY code").fetchall()]
            if caisse not in known:
                raise UnknownRegister(caisse, known)
            if first_import:
                until = auth.held_until(con, auth.login_source(), now)
                if until:
                    raise LoginFailed(login, auth.held_message(until, now), held=True)
                user = auth.check_credentials(con, login, password) if auth.has_users(con) else None
                if user is None:
                    raise LoginFailed(login)
                auth.require(user, "CAISSE_IMPORTER")
            result.missing_core = [t for t in CORE_TABLES if not con.execute(f"SELECT count(*) FROM {t}")
                                   .fetchall()[0][0]]
            record_run(con, "import", result.id_run, result.lot, result.caisse, login, result.host, now, "reussi", "",
                       len(result.tables), result.rows,
                       [(result.sources[t], t, n, result.digests[result.sources[t]]) for t, n in result.tables.items()])
            again = f" ; réappliqué à la demande (déjà appliqué le {result.reapplied})" if result.reapplied else ""
            record_event(con, 110, caisse=caisse, login=login,
                         detail=f"lot {result.lot} : {plural(len(result.tables), 'table')}, "
                                f"{plural(result.rows, 'ligne')}{again}", now=now)
            record_survey(con, f"import du lot {result.lot}", login=login, now=now)
            if run.preview:
                raise _PreviewDone
    except _PreviewDone:
        result.preview = True
        log("Aperçu seulement : rien n'a été appliqué, le lot reste sur le serveur principal.")
    except LoginFailed as refused:
        result.tables.clear()
        if not refused.held:
            with store.transaction() as con:
                auth.record_failure(con, login, auth.login_source(), now, caisse)
        raise
    except CaisseError:
        result.tables.clear()
        raise
