"""The back-office's reads: reconciliation of closed days, a day's tickets, the audit log, the sales of a period
by seller and its discounts by reason, seller and collection, the labels to print after price changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

import duckdb

from caisse.common.csvfile import french_csv
from caisse.common.errors import DropFailed
from caisse.common.money import plural
from caisse.fiscal.jet import events
from caisse.fiscal.periods import TYPE_WORDS
from caisse.paper.reports import DISCOUNT_TITLES
from caisse.rules.auth import person
from caisse.rules.day_report import discounts_by, sales_by_seller
from caisse.rules.parameters import shown
from caisse.rules.prices import label_batch
from caisse.storage.store import Store
from pipeline import PipelineError, open_drop


@dataclass(frozen=True)
class DayLine:
    caisse: str
    numero_z: int
    ouverture: datetime
    fermeture: datetime
    fond: Decimal
    especes: Decimal
    carte: Decimal
    autres: Decimal
    mouvements: Decimal
    theorique: Decimal
    compte: Decimal
    ecart: Decimal
    valide_par: str
    nb_tickets: int
    id_journee: str
    commentaire: str
    forcee: bool


_RECONCILIATION = f"""
WITH days AS (
    SELECT j.*, c.code FROM t_journee j JOIN t_caisse c USING (id_caisse)
    WHERE j.numero_z IS NOT NULL AND CAST(j.date_fermeture AS DATE) BETWEEN $1 AND $2
      AND ($3 IS NULL OR c.code = $3)),
pay AS (
    SELECT t.id_journee,
           sum(r.montant - coalesce(r.rendu, 0)) FILTER (WHERE m.especes) AS especes,
           sum(r.montant - coalesce(r.rendu, 0)) FILTER (WHERE m.code = 'CB') AS carte,
           sum(r.montant - coalesce(r.rendu, 0)) FILTER (WHERE NOT m.especes AND m.code <> 'CB') AS autres
    FROM t_reglement r JOIN t_ticket t USING (id_ticket)
    JOIN tr_moyen_paiement m ON m.id_moyen_paiement = r.id_moyen_paiement
    WHERE t.id_journee IN (SELECT id_journee FROM days)
    GROUP BY t.id_journee),
moves AS (
    SELECT id_journee, sum(CASE type WHEN 'ENTREE' THEN montant WHEN 'SORTIE' THEN -montant
                                     WHEN 'REMISE' THEN -montant ELSE 0 END) AS mouvements
    FROM t_livre_de_caisse WHERE id_journee IN (SELECT id_journee FROM days) GROUP BY id_journee)
SELECT d.code, d.numero_z, d.date_ouverture, d.date_fermeture, d.fond_caisse, coalesce(p.especes, 0),
       coalesce(p.carte, 0), coalesce(p.autres, 0), coalesce(mv.mouvements, 0), d.especes_theorique,
       d.especes_compte, d.ecart, coalesce({person()}, ''), d.nb_tickets, d.id_journee,
       coalesce(d.commentaire, ''), coalesce(d.fermeture_forcee, false)
FROM days d LEFT JOIN pay p USING (id_journee) LEFT JOIN moves mv USING (id_journee)
LEFT JOIN t_utilisateur u ON u.id_utilisateur = d.ecart_valide_par
ORDER BY d.date_fermeture DESC
"""


def reconciliation(store: Store, start: date, end: date, caisse: str | None = None) -> list[DayLine]:
    """Closed days between two dates (inclusive), newest first, with their takings and difference: one query."""
    with store.connect() as con:
        rows = con.execute(_RECONCILIATION, [start, end, caisse]).fetchall()
    return [DayLine(*row) for row in rows]


def reconciliation_rows(days: list[DayLine]) -> list[dict]:
    """The reconciliation as rows with their French headings and typed values (amounts as Decimal, moments as
    datetime): what the screen formats and the CSV writes."""
    # what a manager checks first (expected, counted, difference) before the takings that make it up
    return [{"Caisse": d.caisse, "Z": d.numero_z, "Fermeture": d.fermeture, "Attendu": d.theorique,
             "Compté": d.compte, "Écart": d.ecart, "Écart validé par": d.valide_par or None, "Fond": d.fond,
             "Espèces": d.especes, "Carte": d.carte, "Autres": d.autres, "Mouvements": d.mouvements,
             "Tickets": d.nb_tickets, "Ouverture": d.ouverture, "Commentaire": d.commentaire or None,
             "Fermeture forcée": d.forcee} for d in days]


def reconciliation_csv(days: list[DayLine]) -> bytes:
    return french_csv(reconciliation_rows(days))


def open_days(store: Store) -> list[tuple[str, str, datetime]]:
    """(caisse, id_journee, date_ouverture) of the days open now."""
    with store.connect() as con:
        return con.execute("SELECT c.code, j.id_journee, j.date_ouverture FROM t_journee j JOIN t_caisse c "
                           "USING (id_caisse) WHERE j.date_fermeture IS NULL ORDER BY c.code").fetchall()


class DayMove(NamedTuple):
    """A cash-book move of a day, as Caisse du jour lists it."""

    moment: datetime
    type: str
    montant: Decimal
    libelle: str
    par: str


class DayTicket(NamedTuple):
    """A ticket of a day, as Rapprochement lists it: its payments net of change, the ticket a void or return
    refers to."""

    numero: int
    moment: datetime
    vendeur: str
    type_ticket: str
    total_ttc: Decimal
    reglements: list[tuple[str, Decimal]] | None
    origine: int | None


def day_moves(store: Store, id_journee: str) -> list[DayMove]:
    """A day's cash-book moves, in their order."""
    with store.connect() as con:
        return [DayMove(*row) for row in con.execute(
            f"SELECT m.date_mouvement, m.type, m.montant, m.libelle, {person()} "
            "FROM t_livre_de_caisse m LEFT JOIN t_utilisateur u USING (id_utilisateur) "
            "WHERE m.id_journee = ? ORDER BY m.date_mouvement", [id_journee]).fetchall()]


def day_tickets(store: Store, id_journee: str) -> list[DayTicket]:
    """A day's tickets, in their order."""
    with store.connect() as con:
        return [DayTicket(*row) for row in con.execute(f"""
            SELECT t.numero, t.date_validation, {person()}, t.type_ticket, t.total_ttc,
                   list((coalesce(m.libelle, r.code_moyen), r.montant - coalesce(r.rendu, 0)) ORDER BY r.id_reglement)
                       FILTER (WHERE r.id_reglement IS NOT NULL),
                   o.numero
            FROM t_ticket t LEFT JOIN t_utilisateur u USING (id_utilisateur)
            LEFT JOIN t_reglement r USING (id_ticket) LEFT JOIN tr_moyen_paiement m USING (id_moyen_paiement)
            LEFT JOIN t_ticket o ON o.id_ticket = t.id_ticket_origine
            WHERE t.id_journee = ? GROUP BY ALL ORDER BY t.numero""", [id_journee]).fetchall()]


def audit_log(store: Store, code: int | None = None, login: str | None = None, limit: int = 500) -> list[tuple]:
    """The JET, newest first: (ts, code, libellé, caisse, login, detail)."""
    with store.connect() as con:
        return events(con, code, login, limit)


def parameters(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT cle, valeur FROM tr_parametre ORDER BY cle").fetchall())


def shop_parameters(store: Store) -> list[tuple[str, str]]:
    """The parameters received from the main server, as Réglages shows them (labels, French values)."""
    return shown(read_parameters(store))


def read_parameters(store: Store) -> dict[str, str]:
    with store.connect() as con:
        return parameters(con)


def test_drop(settings) -> str:
    """Open the drop and list its import folder: a sentence saying what was found, or DropFailed."""
    folder = settings.import_folder("C01")
    try:
        with open_drop(settings.drop, **settings.drop_options()) as drop:
            names = drop.list(folder)
            return f"Connexion réussie ({drop.place(folder)}) : {plural(len(names), 'fichier')} en attente d'import."
    except PipelineError as e:
        raise DropFailed(str(e)) from e


def periods_of(store) -> list[tuple]:
    """(caisse, type words, period, numero, date, total TTC, grand total, archive file or None) of every closing by
    period, newest first (the Journal page)."""
    with store.connect() as con:
        rows = con.execute("""SELECT c.code, p.type, p.periode, p.numero, p.date_cloture, p.total_ttc, p.grand_total,
                                     a.fichier, a.purgee
                              FROM cloture_periode p JOIN t_caisse c USING (id_caisse)
                              LEFT JOIN archive a ON a.id_caisse = p.id_caisse AND a.type = p.type
                                   AND a.periode = p.periode
                              ORDER BY p.date_cloture DESC, p.type""").fetchall()
    return [(code, TYPE_WORDS[kind], *rest) for code, kind, *rest in rows]


@dataclass(frozen=True)
class SalesReport:
    days: int
    par_vendeur: list[tuple[str, Decimal, Decimal]]  # seller, net TTC, discounts
    remises: list[tuple[str, str, Decimal]]  # « motif » | « vendeur » | « collection », name, amount


def sales_report(store: Store, start: date, end: date, caisse: str | None = None) -> SalesReport:
    """The days opened between two dates (inclusive; the open day too): sales by seller, discounts by reason,
    seller and collection, net of voids and returns."""
    with store.connect() as con:
        days = [d for (d,) in con.execute(
            "SELECT j.id_journee FROM t_journee j JOIN t_caisse c USING (id_caisse) WHERE "
            "CAST(j.date_ouverture AS DATE) BETWEEN ? AND ? AND (? IS NULL OR c.code = ?)",
            [start, end, caisse, caisse]).fetchall()]
        return SalesReport(len(days), sales_by_seller(con, days), discounts_by(con, days))


def sales_csv(report: SalesReport) -> bytes:
    rows = [{"Rubrique": "Ventes par vendeur", "Nom": name, "Montant TTC": ttc, "Remises": off}
            for name, ttc, off in report.par_vendeur]
    rows += [{"Rubrique": DISCOUNT_TITLES[kind], "Nom": name, "Montant TTC": None, "Remises": amount}
             for kind, name, amount in report.remises]
    return french_csv(rows)


def labels(store: Store, since: datetime) -> list[dict]:
    """The labels to print for the prices changed since `since`, by label type (tr_etiquette) then code."""
    with store.connect() as con:
        rows = label_batch(con, since)
    return [{"Étiquette": kind, "Code": code, "EAN": ean, "Article": label, "Taille, couleur": variant or None,
             "Ancien prix": before, "Nouveau prix": after, "Depuis": moment}
            for kind, code, ean, label, variant, before, after, moment in rows]


def labels_csv(rows: list[dict]) -> bytes:
    return french_csv(rows)
