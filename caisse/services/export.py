"""Export to the main server (DESIGN section 5): the register's closed, unexported days, as one lot.

The lot is written under `CAISSE_HOME/echanges/envoye/<lot>/`, uploaded into `export_dir/<lot>/` (each
file as `.part` then renamed, the manifest last: its presence means "complete"), and only then are the
days marked exported, in one transaction. A lot is named after its register and its first and last Z,
and its content depends only on those days, so a retry sends the same lot again, name and content.
"""

from __future__ import annotations

import shutil
import socket
from dataclasses import dataclass, field
from datetime import datetime

from caisse.common.config import Settings
from caisse.common.errors import CaisseError, DiskFull, ExportFailed, NothingToExport, disk_full_words
from caisse.common.money import plural
from caisse.fiscal import chains
from caisse.fiscal.jet import record_event
from caisse.fiscal.keys import load_keys
from caisse.fiscal.records import HEAD_NAMES
from caisse.fiscal.registry import record_survey
from caisse.rules.auth import User, require_now
from caisse.rules.day_report import frozen_server_head
from caisse.rules.history import Log, RunLog, new_run_id, record_run, save_log
from caisse.rules.lifecycle import OUVERTE, register_state, valid_code
from caisse.storage import disk
from caisse.storage.store import Store
from pipeline import EXPORT_MANIFEST, EXPORT_TABLES, FileEntry, Manifest, PipelineError, open_drop, write_manifest
from pipeline.contracts import CONTRACTS
from pipeline.errors import DropRefused, os_words
from pipeline.xmlwrite import write_table

BATCH_ROWS = 65_536

# What each export table holds for the lot's days (`days` and `tickets` are temporary tables). In the store a
# record's link lives in `maillon` and a day's lot in `lot_envoye`: the lot's files carry them in their columns.
_LINK = "LEFT JOIN maillon m ON m.id_caisse = {t}.id_caisse AND m.chaine = '{kind}' AND m.ref = {t}.{key}"
_QUERIES = {
    "t_journee": "SELECT j.* REPLACE (? AS lot_export, m.empreinte AS empreinte, m.empreinte_precedente AS "
                 "empreinte_precedente) FROM t_journee j " + _LINK.format(t="j", kind="cloture", key="id_journee")
                 + " WHERE j.id_journee IN (SELECT id FROM days) ORDER BY j.numero_z",
    "t_ticket": "SELECT t.* REPLACE (m.empreinte AS empreinte, m.empreinte_precedente AS empreinte_precedente) "
                "FROM t_ticket t " + _LINK.format(t="t", kind="ticket", key="id_ticket")
                + " WHERE t.id_ticket IN (SELECT id FROM tickets) ORDER BY t.numero",
    "t_ligne_ticket": "SELECT * FROM t_ligne_ticket WHERE id_ticket IN (SELECT id FROM tickets) "
                      "ORDER BY id_ticket, num_ligne",
    "t_reglement": "SELECT * FROM t_reglement WHERE id_ticket IN (SELECT id FROM tickets) "
                   "ORDER BY id_ticket, id_reglement",
    "t_comptage": "SELECT * FROM t_comptage WHERE id_journee IN (SELECT id FROM days) ORDER BY id_journee, valeur",
    "t_livre_de_caisse": "SELECT * FROM t_livre_de_caisse WHERE id_journee IN (SELECT id FROM days) "
                         "ORDER BY date_mouvement, id_mouvement",
    "t_avoir": "SELECT * FROM t_avoir WHERE id_avoir IN (SELECT id_avoir FROM t_avoir_utilise "
               "WHERE id_ticket IN (SELECT id FROM tickets)) OR id_ticket_emission IN (SELECT id FROM tickets) "
               "ORDER BY id_avoir",
    "t_avoir_utilise": "SELECT * FROM t_avoir_utilise WHERE id_ticket IN (SELECT id FROM tickets) "
                       "ORDER BY id_avoir_utilise",
    "t_cheque_cadeau": "SELECT * FROM t_cheque_cadeau WHERE id_ticket IN (SELECT id FROM tickets) "
                       "ORDER BY id_cheque_cadeau",
}
assert set(_QUERIES) == set(EXPORT_TABLES)


@dataclass
class ExportResult:
    id_run: str
    lot: str
    caisse: str
    host: str
    days: list[tuple[str, int]] = field(default_factory=list)
    files: dict[str, int] = field(default_factory=dict)
    heads: dict[str, tuple[int, str]] = field(default_factory=dict)
    where: str = ""  # the folder the lot was put in, for a sentence

    @property
    def rows(self) -> int:
        return sum(self.files.values())


def lot_name(caisse: str, first_z: int, last_z: int) -> str:
    return f"{valid_code(caisse)}-Z{first_z:06d}-Z{last_z:06d}"


def run_export(store: Store, settings: Settings, caisse: str, user: User, *, echo: Log | None = None,
               now: datetime | None = None) -> ExportResult:
    """Send every closed, unexported day of `caisse`; raises ExportFailed (the days stay unexported)."""
    now = now or datetime.now()
    if settings.formation:
        raise CaisseError(f"La caisse {caisse} est en mode formation : ses journées ne sont jamais exportées.")
    with store.connect() as con:
        require_now(con, user, "CAISSE_EXPORTER")
        state = register_state(con, caisse)
        if state is None:
            raise CaisseError(f"La caisse {caisse} n'existe pas.")
        if state.etat == OUVERTE:
            raise CaisseError(f"Export impossible : la caisse {caisse} est ouverte. Fermez-la d'abord.")
        days = con.execute("SELECT id_journee, numero_z, date_fermeture FROM t_journee WHERE id_caisse = ? "
                           "AND numero_z IS NOT NULL AND id_journee NOT IN (SELECT id_journee FROM lot_envoye) "
                           "ORDER BY numero_z", [state.id_caisse]).fetchall()
    if not days:
        raise NothingToExport(caisse)
    lot = lot_name(caisse, days[0][1], days[-1][1])
    id_run = new_run_id("export", caisse, now)
    log = RunLog(settings.logs_dir, id_run, echo)
    result = ExportResult(id_run, lot, caisse, "local", [(d, z) for d, z, _ in days])
    try:
        log("Synchronisation des données en cours ...")
        log(f"Export du lot {lot} : {plural(len(days), 'journée')}, Z n°{days[0][1]} à {days[-1][1]}.")
        folder = _write_lot(store, settings, result, days[-1][2], log)
        _upload(settings, folder, result, log)
    except (PipelineError, OSError, DiskFull) as e:
        full = disk.is_no_space(e)
        if full:
            shutil.rmtree(settings.sent_dir / lot, ignore_errors=True)  # half written: the retry makes it again
            disk.release_reserve(settings.home)
            cause = f"{disk_full_words(settings.home)} : libérez de la place, puis relancez l'export."
        else:
            cause = str(e) if isinstance(e, PipelineError) else f"{os_words(e)} ({getattr(e, 'filename', '')})."
        log(f"Export interrompu : {cause}")
        try:
            with store.transaction() as con:  # the failure's record, outside the unit that failed
                record_run(con, "export", id_run, lot, caisse, user.login, result.host, now, "echec", cause, 0, 0)
                save_log(con, id_run, log)
                record_event(con, 125, caisse=caisse, login=user.login, detail=f"lot {lot} : {cause}", now=now)
        except DiskFull:
            cause += " (Cet échec n'a pas pu être enregistré dans la base, pleine elle aussi.)"
        finally:
            log.close()
        failed = ExportFailed(caisse, cause)
        failed.exit_code = DiskFull.exit_code if full else failed.exit_code
        raise failed from e
    log(f"Export terminé : lot {lot}, {plural(len(result.files), 'fichier')}, {plural(result.rows, 'ligne')}.")
    with store.transaction() as con:
        con.execute("INSERT INTO lot_envoye (id_journee, lot, ts) SELECT unnest(?::VARCHAR[]), ?, ?",
                    [[d for d, _ in result.days], lot, now])
        record_run(con, "export", id_run, lot, caisse, user.login, result.host, now, "reussi", "",
                   len(result.files), result.rows)
        save_log(con, id_run, log)
        record_event(con, 120, caisse=caisse, login=user.login,
                     detail=f"lot {lot} : {plural(len(days), 'journée')}, {plural(result.rows, 'ligne')} ; "
                            + ", ".join(f"{HEAD_NAMES.get(k, k + ' n°{}').format(n)} {e[:16]}"
                                        for k, (n, e) in sorted(result.heads.items())), now=now)
        record_survey(con, f"export du lot {lot}", login=user.login, now=now)
    log.close()
    return result


def _write_lot(store: Store, settings: Settings, result: ExportResult, closed_at: datetime, log: Log):
    folder = settings.sent_dir / result.lot
    if folder.exists():
        shutil.rmtree(folder)  # a retry writes the same lot again from the store
    folder.mkdir(parents=True)
    manifest = Manifest(lot=result.lot, date_creation=closed_at.isoformat(timespec="seconds"),
                        serveur=socket.gethostname(), caisse=result.caisse, journees=list(result.days))
    with store.connect() as con:
        con.execute("CREATE TEMP TABLE days AS SELECT unnest(?::VARCHAR[]) AS id", [[d for d, _ in result.days]])
        con.execute("CREATE TEMP TABLE tickets AS SELECT id_ticket AS id FROM t_ticket WHERE id_journee IN "
                    "(SELECT id FROM days)")
        for table in EXPORT_TABLES:
            params = [result.lot] if table == "t_journee" else []
            reader = con.sql(_QUERIES[table], params=params).to_arrow_reader(BATCH_ROWS)
            written = write_table(reader, folder / f"{table}.xml", table, CONTRACTS[table])
            result.files[table] = written.rows
            manifest.fichiers.append(FileEntry(f"{table}.xml", written.rows, written.sha256))
            log(f"Écriture de {table}.xml : {plural(written.rows, 'ligne')}.")
        manifest.empreinte = con.execute("SELECT empreinte FROM maillon WHERE chaine = 'cloture' AND ref = ?",
                                         [result.days[-1][0]]).fetchall()[0][0]
        id_caisse = con.execute("SELECT id_caisse FROM t_journee WHERE id_journee = ?",
                                [result.days[0][0]]).fetchall()[0][0]
        # the lot's place among the register's lots (R25): what verify follows on the drop, decoys refused by the MAC
        (sequence, previous), = con.execute(
            "SELECT count(DISTINCT l.lot) + 1, arg_max(l.lot, l.ts) FROM lot_envoye l JOIN t_journee j "
            "USING (id_journee) WHERE j.id_caisse = ?", [id_caisse]).fetchall()
        manifest.id_caisse, manifest.identite = str(id_caisse), chains.identity(con, id_caisse)
        manifest.sequence, manifest.precedent = str(sequence), previous or ""
        manifest.journal_serveur = frozen_server_head(con, result.days[-1][0])
        # the register's chain heads as of its last exported day's closing: the same whatever the retry (R11, R25)
        manifest.chaines = result.heads = {chaine: (numero, empreinte) for chaine, numero, empreinte in con.execute(
            "SELECT chaine, numero, empreinte FROM cloture_tetes WHERE id_journee = ?",
            [result.days[-1][0]]).fetchall()}
    keys = load_keys(store.key_path)
    manifest.cle = keys.current_id
    manifest.mac = chains.mac(keys.current, manifest.signed_body())
    write_manifest(manifest, folder / EXPORT_MANIFEST)
    return folder


def _upload(settings: Settings, folder, result: ExportResult, log: Log) -> None:
    parent = settings.export_folder(result.caisse)
    remote = f"{parent}/{result.lot}"
    names = [f"{t}.xml" for t in EXPORT_TABLES] + [EXPORT_MANIFEST]  # the manifest last
    with open_drop(settings.drop, **settings.drop_options()) as drop:
        result.host, result.where = drop.host, drop.place(remote)
        try:
            drop.put_folder(folder, parent, result.lot, names)  # sent whole into a fresh folder, renamed into place
        except PipelineError as e:
            if disk.is_no_space(e) and not drop.shares_disk_with(settings.home):  # the main server's disk, exit 3
                raise DropRefused(getattr(drop, "where", drop.host),
                                  f"son disque est plein ({drop.place(remote)}) ; rien du lot n'y est resté. "
                                  "Faites libérer de la place sur le serveur principal, puis relancez l'export"
                                  ) from None
            raise
        for name in names:
            log(f"Envoi de {folder / name} vers {drop.display(remote, name)} sur {drop.named} réussi.")
