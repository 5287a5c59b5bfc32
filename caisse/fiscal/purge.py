"""Purge after archive (R24): the elementary records of months whose archive verifies are removed from the store;
their closings, counts, perpetual totals, chain links and events stay.

Removed: the tickets of the months' days with their lines and payments, and the drafts they were rung from.
Kept: every day's closing (its Z figures, count, grand totals), the closings by period, every link of every
chain (so that the chains still follow on), the cash book, duplicates and the JET. What the days' closing links
signed of their tickets (how many, the last one's number and link) is kept in `purge_journee`, so that verify
still recomputes each closing, and knows which ticket numbers are gone on purpose (a ticket removed behind the
program's back is still a break).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

import duckdb

from caisse.common.errors import CaisseError
from caisse.common.money import plural
from caisse.fiscal.archive import public_keys
from caisse.fiscal.jet import record_event
from caisse.fiscal.periods import MONTH, next_month, parse_period
from caisse.storage.store import Store
from pipeline.manifest import sha256_file


@cache
def standalone_verifier():
    """caisse/fiscal/verifier_archive.py, the very script given with the archives (one verifier, not two). Imported
    when an archive is checked, not before: it loads `cryptography`, which `caisse status` never needs."""
    return importlib.import_module("caisse.fiscal.verifier_archive")


class ArchiveBroken(CaisseError):
    """An archive that is not intact: `reason` says what the verifier met."""

    def __init__(self, path: Path, reason: str):
        self.path, self.reason = Path(path), reason
        super().__init__(f"L'archive {self.path.name} est rompue : {reason}.")


def verify_archive(path: Path, keys: list[str], recorded_sha: str | None = None,
                   heads: dict | None = None) -> tuple[list[str], dict]:
    """The one archive check (the purge's and `caisse verify-archive`'s): the file the store recorded (its SHA-256),
    then the standalone verifier (signature, schema, chains following `heads` from the archive before, totals).
    (what was checked, the chains' heads after it); ArchiveBroken when it is not intact."""
    verifier = standalone_verifier()
    if not Path(path).is_file():
        raise CaisseError(f"L'archive {path} est introuvable : restaurez-la depuis votre sauvegarde.")
    if recorded_sha is not None and sha256_file(path) != recorded_sha:
        raise ArchiveBroken(path, "elle n'est plus celle que la base a enregistrée (SHA-256 différent)")
    try:
        said, heads = verifier.verify(path, keys, None, heads or {})
    except verifier.Broken as e:
        raise ArchiveBroken(path, str(e)) from None
    return said + (["Enregistrée dans la base : même SHA-256"] if recorded_sha is not None else []), heads


def check_archive(path: Path, keys: list[str], recorded_sha: str | None = None) -> list[str]:
    """What the verifier checked of an archive a purge relies on; CaisseError with its sentence otherwise."""
    return verify_archive(path, keys, recorded_sha)[0]


@dataclass(frozen=True)
class Purged:
    caisse: str
    periode: str
    tickets: int
    archive: Path


def purgeable(con: duckdb.DuckDBPyConnection, home: Path, before: str) -> list[tuple]:
    """(id_archive, code, id_caisse, period, path, sha256) of the monthly archives before `before` not purged
    yet; CaisseError naming the first closed month before `before` that has no archive."""
    missing = con.execute(
        "SELECT c.code, p.periode FROM cloture_periode p JOIN t_caisse c USING (id_caisse) WHERE p.type = ? AND "
        "p.periode < ? AND NOT EXISTS (SELECT 1 FROM archive a WHERE a.id_caisse = p.id_caisse AND a.type = p.type "
        "AND a.periode = p.periode) ORDER BY p.periode, c.code", [MONTH, before]).fetchall()
    if missing:
        code, period = missing[0]
        raise CaisseError(f"Purge refusée : le mois {period} de la caisse {code} n'a pas d'archive. Faites-la d'abord "
                          f"(caisse archive --caisse {code} --periode {period} --user LOGIN) ; rien n'a été supprimé.")
    return [(ident, code, id_caisse, period, Path(home) / "archives" / fichier, sha) for
            ident, code, id_caisse, period, fichier, sha in con.execute(
                "SELECT a.id_archive, c.code, a.id_caisse, a.periode, a.fichier, a.sha256 FROM archive a JOIN "
                "t_caisse c USING (id_caisse) WHERE a.type = ? AND a.periode < ? AND a.purgee IS NULL "
                "ORDER BY a.periode, c.code",
                [MONTH, before]).fetchall()]


def second_copy(home: Path, copy: str | Path | None) -> Path:
    """The folder that keeps a second copy of the archives, outside the data folder; CaisseError otherwise."""
    if not copy:
        raise CaisseError("Purge refusée : après une purge l'archive est la seule trace des tickets, il en faut une "
                          "seconde copie hors du dossier de données. Réglez archive_copy (ou CAISSE_ARCHIVE_COPY) "
                          "vers un autre disque, lancez « caisse archive » pour chaque mois (la copie est faite), "
                          "puis recommencez ; rien n'a été supprimé.")
    folder = Path(copy).expanduser().resolve()
    if folder == Path(home).resolve() or Path(home).resolve() in folder.parents:
        raise CaisseError(f"Purge refusée : la copie des archives ({folder}) est dans le dossier de données ; elle "
                          "doit être ailleurs (un autre disque, une clé USB). Rien n'a été supprimé.")
    return folder


def purge(store: Store, home: Path, before: str, login: str, now: datetime | None = None,
          copy: str | Path | None = None) -> list[Purged]:
    """Remove the elementary records of the archived months before `before` (AAAA-MM), each archive and its second
    copy (in `copy`, outside the data folder) verified first; refused with a sentence (nothing removed) when a
    month has no archive, no second copy, or either is not intact. Who may purge is the service's question
    (caisse/services/archives.py): the fiscal core knows no rights."""
    kind, before = parse_period(before)
    if kind != MONTH:
        raise CaisseError("La purge se fait par mois : --avant AAAA-MM (les mois avant celui-ci).")
    elsewhere = second_copy(home, copy)
    now = now or datetime.now()
    with store.connect() as con:
        candidates = purgeable(con, home, before)
        keys = public_keys(con)
    for _, code, _, period, path, sha in candidates:  # verified before anything is removed (outside the store's turn)
        check_archive(path, keys, sha)
        copied = elsewhere / path.relative_to(Path(home) / "archives")
        if not copied.is_file():
            raise CaisseError(f"Purge refusée : la seconde copie de l'archive {path.name} manque dans {elsewhere} ; "
                              f"« caisse archive --caisse {code} --periode {period} --user LOGIN » la fait. Rien n'a "
                              "été supprimé.")
        check_archive(copied, keys, sha)
    done = []
    with store.writing(), store.transaction() as con:
        for ident, code, id_caisse, period, path, _ in candidates:
            days = [d for d, in con.execute(
                "SELECT p.id_journee FROM journee_periode p JOIN t_journee j USING (id_journee) WHERE j.id_caisse = ? "
                "AND p.date_comptable >= CAST(? || '-01' AS DATE) AND p.date_comptable < CAST(? || '-01' AS DATE)",
                [id_caisse, period, next_month(period)]).fetchall()]
            con.execute("""INSERT INTO purge_journee
                (id_journee, id_caisse, nb, max_numero, empreinte, min_numero, id_archive, ts)
                SELECT t.id_journee, t.id_caisse, count(*), max(t.numero), arg_max(m.empreinte, t.numero),
                       min(t.numero), ?, ? FROM t_ticket t
                LEFT JOIN maillon m ON m.id_caisse = t.id_caisse AND m.chaine = 'ticket' AND m.numero = t.numero
                WHERE t.id_journee IN (SELECT unnest(?::VARCHAR[])) GROUP BY t.id_journee, t.id_caisse""",
                        [ident, now, days])
            tickets = "SELECT id_ticket FROM t_ticket WHERE id_journee IN (SELECT unnest(?::VARCHAR[]))"
            count = con.execute(f"SELECT count(*) FROM ({tickets})", [days]).fetchall()[0][0]
            drafts = "SELECT id_ticket FROM ticket_attente WHERE id_journee IN (SELECT unnest(?::VARCHAR[]))"
            for table in ("reglement_attente", "ligne_attente", "ticket_attente"):  # what they were rung from
                con.execute(f"DELETE FROM {table} WHERE id_ticket IN ({drafts})", [days])
            # R24, the only deletions of records that count: after their archive was verified, above
            con.execute(f"DELETE FROM t_reglement WHERE id_ticket IN ({tickets})", [days])
            con.execute(f"DELETE FROM t_ligne_ticket WHERE id_ticket IN ({tickets})", [days])
            con.execute("DELETE FROM t_ticket WHERE id_journee IN (SELECT unnest(?::VARCHAR[]))", [days])
            con.execute("UPDATE archive SET purgee = ? WHERE id_archive = ?", [now, ident])
            record_event(con, 215, caisse=code, login=login,
                         detail=f"{period} : {plural(count, 'ticket')} et leurs lignes et règlements retirés de la "
                                f"base, l'archive {path.name} vérifiée les garde ; clôtures et totaux conservés",
                         now=now)
            done.append(Purged(code, period, count, path))
    return done


def purged_ranges(con: duckdb.DuckDBPyConnection, id_caisse: int) -> list[tuple[int, int]]:
    """The ticket numbers a purge removed on purpose, as (first, last) per day: only for days of a month whose
    archive is recorded (the archives' chain) and whose purge is a signed event (215). A row added behind the
    program's back to hide a deleted ticket does not count."""
    return con.execute("""
        SELECT p.min_numero, p.max_numero FROM purge_journee p
        JOIN journee_periode d USING (id_journee)
        JOIN archive a ON a.id_caisse = p.id_caisse AND a.type = 'MOIS'
             AND a.periode = strftime(d.date_comptable, '%Y-%m') AND a.id_archive = p.id_archive
        WHERE p.id_caisse = ? AND EXISTS (SELECT 1 FROM jet j WHERE j.id_caisse = p.id_caisse AND j.code = 215
                                          AND starts_with(j.detail, a.periode || ' :'))
        ORDER BY p.min_numero""", [id_caisse]).fetchall()
