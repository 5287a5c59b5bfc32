"""Import from the main server's drop (DESIGN section 5), logged in the seed's words.

The received files are kept; every table of the lot is replaced in ONE transaction; the remote files
are deleted only after the commit, so a failure at any point leaves both the store and the drop as
they were. Each run keeps its whole log in the store and, line by line as it goes, in a text file.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pipeline import (
    IMPORT_MANIFEST,
    MANIFESTS,
    DropRefused,
    DropUnavailable,
    PipelineError,
    check_name,
    contract_for,
    open_drop,
    read_manifest,
)
from pipeline.contracts import LOAD_ORDER
from pipeline.manifest import check_files, check_rows, sha256_file
from pipeline.staging import Staged, stage

from . import auth
from .config import Settings
from .errors import CaisseError, DropFailed, ImportNotAllowed, LoginFailed, NothingToImport, UnknownRegister
from .history import Log, RunLog, new_run_id, record_run, save_log
from .journal import audit
from .lifecycle import import_blocker
from .store import Store, replace_table

BANNER = "*** Début de vidage des tables du serveur nomade ***"
PROGRESS_ROWS = 100_000
STAGED = "validees"  # beside the received files: the validated tables, as Arrow files, until the load


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

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def run_import(store: Store, settings: Settings, caisse: str, login: str, password: str, *,
               echo: Log | None = None, now: datetime | None = None) -> ImportResult:
    """Import the drop's lot for register `caisse`; raises a CaisseError with a sentence."""
    now = now or datetime.now()
    id_run = new_run_id("import", caisse, now)
    log = RunLog(settings.logs_dir, id_run, echo)
    result = ImportResult(id_run, "", caisse, "local")
    try:
        _import(store, settings, caisse, login, password, log, result, now)
    except (CaisseError, PipelineError) as e:
        log(f"Import interrompu : {e}")
        log("Rien n'a été modifié : ni la base du serveur caisse, ni les fichiers du serveur principal.")
        with store.transaction() as con:
            record_run(con, "import", id_run, result.lot, caisse, login, result.host, now, "echec", str(e), 0, 0)
            save_log(con, id_run, log)
            audit(con, "IMPORT_ECHEC", login=login, caisse=caisse, detail=str(e), now=now)
        log.close()
        if isinstance(e, (DropUnavailable, DropRefused)):
            raise DropFailed(str(e)) from e
        if isinstance(e, PipelineError):
            raise CaisseError(str(e)) from e
        raise
    with store.transaction() as con:
        save_log(con, id_run, log)
    log.close()
    return result


def _import(store, settings, caisse, login, password, log, result, now) -> None:
    with store.connect() as con:
        first_import = not auth.has_users(con)
    if not first_import:
        user = auth.login(store, login, password, caisse=caisse, now=now)
        auth.require(user, "CAISSE_IMPORTER")
        with store.connect() as con:
            blocker = import_blocker(con)
        if blocker:
            raise ImportNotAllowed(caisse, blocker)

    for left in settings.received_dir.glob(f"*/{STAGED}"):  # left by an import killed mid-way
        shutil.rmtree(left, ignore_errors=True)
    folder = settings.import_dir.replace("{caisse}", caisse)
    received = settings.received_dir / result.id_run
    received.mkdir(parents=True, exist_ok=True)
    with open_drop(settings.drop, **settings.drop_options()) as drop:
        names = [check_name(n) for n in drop.list(folder)]
        if not names:
            raise NothingToImport(drop.display(folder, ""), drop.host)
        log("Synchronisation des données en cours ...")
        # The manifest first: a local drop is named after its server, and the lot checked against it.
        # It is also removed first, so that a removal cut short never leaves a manifest whose files are gone.
        names.sort(key=lambda n: n != IMPORT_MANIFEST)
        manifest = None
        for name in names:
            drop.fetch(folder, name, received / name)
            if name == IMPORT_MANIFEST:
                manifest = read_manifest(received / IMPORT_MANIFEST)
                if drop.host == "local" and manifest.serveur:
                    drop.host = manifest.serveur
            log(f"Réception de {drop.display(folder, name)} depuis {drop.host} en tant que {received / name} réussi.")
        result.host = drop.host

        tables: dict[str, Staged] = {}
        try:
            _validate(received, names, manifest, settings, log, result, caisse, tables)
            result.lot = manifest.lot if manifest and manifest.lot else result.id_run
            _load(store, tables, caisse, login, password, first_import, log, result, now)
        finally:
            shutil.rmtree(received / STAGED, ignore_errors=True)

        for name in names:
            try:
                drop.remove(folder, name)
                log(f"Suppression de {drop.display(folder, name)} sur {drop.host} réussie.")
            except DropUnavailable as e:
                result.warnings.append(str(e))
                log(f"Suppression de {drop.display(folder, name)} sur {drop.host} impossible : {e.reason}. "
                    "Les données sont importées ; le fichier sera simplement relu au prochain import.")
    log(f"Import terminé : {len(result.tables)} tables, {result.rows} lignes (lot {result.lot}).")


def _validate(received: Path, names: list[str], manifest, settings, log, result, caisse,
              tables: dict[str, Staged]) -> None:
    """Check the manifest and parse every table file into `tables` (on disk, beside the received files);
    nothing is written to the store yet."""
    result.digests = {name: sha256_file(received / name) for name in names if name not in MANIFESTS}
    if manifest:
        if manifest.caisse and manifest.caisse != caisse:
            raise ImportNotAllowed(caisse, f"ce lot est destiné à la caisse {manifest.caisse}.")
        check_files(manifest, received, digests=result.digests)
        log(f"Manifeste {IMPORT_MANIFEST} vérifié : {len(manifest.fichiers)} fichiers, empreintes conformes.")
    for name in names:
        if name in MANIFESTS:
            continue
        contract = contract_for(Path(name).stem)
        if contract is None:
            result.ignored.append(name)
            log(f"Fichier {name} ignoré : table inconnue du serveur caisse.")
            continue
        tables[contract.name] = stage(received / name, contract, received / STAGED, max_mb=settings.max_file_mb,
                                      progress=_progress(name, log))
        result.previews[contract.name] = tables[contract.name].preview
        log(f"Fichier {name} validé : {tables[contract.name].rows} lignes.")
    if manifest:
        check_rows(manifest, {f"{t}.xml": data.rows for t, data in tables.items()})


def _progress(name: str, log, every: int = PROGRESS_ROWS):
    """A log line each `every` rows of a large file, so a long validation shows it is moving."""
    shown = [0]

    def report(rows: int) -> None:
        if rows - shown[0] >= every:
            shown[0] = rows - rows % every
            log(f"Lecture de {name} en cours : {rows:,} lignes validées ...".replace(",", " "))
    return report


def _load(store, tables, caisse, login, password, first_import, log, result, now) -> None:
    """Replace the lot's tables in one transaction; on a first import, check the user against the lot."""
    try:
        with store.transaction() as con:
            log(BANNER)
            for table in sorted(tables, key=LOAD_ORDER.index):
                log(f"DELETE FROM {table}")
                result.tables[table] = replace_table(con, table, tables[table])
            known = [r[0] for r in con.execute("SELECT code FROM t_caisse ORDER BY code").fetchall()]
            if caisse not in known:
                raise UnknownRegister(caisse, known)
            if first_import:
                user = auth.check_credentials(con, login, password) if auth.has_users(con) else None
                if user is None:
                    raise LoginFailed(login)
                auth.require(user, "CAISSE_IMPORTER")
            record_run(con, "import", result.id_run, result.lot, result.caisse, login, result.host, now, "reussi", "",
                       len(result.tables), result.rows,
                       [(f"{t}.xml", t, n, result.digests[f"{t}.xml"]) for t, n in result.tables.items()])
            audit(con, "IMPORT", login=login, caisse=caisse,
                  detail=f"lot {result.lot} : {len(result.tables)} tables, {result.rows} lignes", now=now)
    except LoginFailed:
        result.tables.clear()
        with store.transaction() as con:
            auth.record_failure(con, login, now, caisse)
        raise
    except CaisseError:
        result.tables.clear()
        raise
