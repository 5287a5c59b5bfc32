"""Validated tickets (VENTE, ANNULATION, RETOUR): written once, with their lines and payments, numbered
without a gap per register whatever their type, and linked in the tickets' chain, in one transaction
(`record_ticket`, the one way a ticket is written). Never updated nor deleted afterwards (R04, R05)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

import duckdb

from caisse.common.errors import SaleRefused
from caisse.common.money import ZERO
from caisse.fiscal import chains
from caisse.rules.articles import LINE_COLUMNS, Line, forced_gap, line_label
from caisse.rules.auth import User, person
from caisse.storage.store import new_id

VENTE, ANNULATION, RETOUR = "VENTE", "ANNULATION", "RETOUR"
TYPE_WORDS = {VENTE: "Vente", ANNULATION: "Annulation", RETOUR: "Retour"}


class TicketLine(NamedTuple):
    """A line of a ticket (or of a draft) as the screens and the receipts read it."""

    num: int
    code: str
    libelle: str
    quantite: Decimal
    prix_unitaire_ttc: Decimal
    remise: Decimal
    taux_tva: Decimal
    montant_ttc: Decimal
    taille: str | None = None
    couleur: str | None = None
    vendeur: str | None = None  # the line's seller, by name
    prix_force: Decimal | None = None
    taux_remise: Decimal | None = None
    motif_remise: str | None = None
    remise_ticket: Decimal | None = None
    prix_reference: Decimal | None = None
    id_vendeur: int | None = None

    @property
    def named(self) -> str:
        return line_label(self.libelle, self.taille, self.couleur)

    @property
    def own_discount(self) -> Decimal:
        return self.remise - (self.remise_ticket or ZERO)

    @property
    def forced_gap(self) -> Decimal:
        return forced_gap(self.quantite, self.prix_unitaire_ttc, self.prix_force)


# A line as TicketLine reads it from t_ligne_ticket or ligne_attente (`l`), its seller's name from t_utilisateur `v`.
LINE_VIEW = ("l.num_ligne, l.code_article, l.libelle, l.quantite, l.prix_unitaire_ttc, l.remise, l.taux_tva, "
             "l.montant_ttc, l.taille, l.couleur, nullif(trim(coalesce(v.prenom, '') || ' ' || coalesce(v.nom, '')), "
             "''), l.prix_force, l.taux_remise, l.motif_remise, l.remise_ticket, l.prix_reference, l.id_vendeur")


def ticket_line(line: Line, vendeur: str | None = None) -> TicketLine:
    return TicketLine(line.num_ligne, line.code_article, line.libelle, line.quantite, line.prix_unitaire_ttc,
                      line.remise, line.taux_tva, line.montant_ttc, line.taille, line.couleur, vendeur, line.prix_force,
                      line.taux_remise, line.motif_remise, line.remise_ticket, line.prix_reference, line.id_vendeur)


class TicketPayment(NamedTuple):
    """A payment of a ticket (or one entered on a draft: `num` is its place, to remove it)."""

    code: str
    montant: Decimal
    numero: str | None
    rendu: Decimal | None
    num: int | None = None


@dataclass
class TicketView:
    id_ticket: str
    numero: int | None
    statut: str  # "EN_COURS" (a draft, being rung or parked) or "VALIDE"
    caisse: str
    vendeur: str
    total_ttc: Decimal
    total_ht: Decimal
    lines: list[TicketLine] = field(default_factory=list)
    payments: list[TicketPayment] = field(default_factory=list)
    empreinte: str | None = None
    date_validation: datetime | None = None
    type_ticket: str = VENTE
    origine: int | None = None  # the number of the ticket a void or a return refers to
    motif: str | None = None
    date_creation: datetime | None = None
    annule_par: int | None = None  # the number of the void of this sale, if any
    remise_ticket: Decimal | None = None  # the discount on the whole ticket (spread over its lines), its % and reason
    taux_remise_ticket: Decimal | None = None
    motif_remise: str | None = None
    vendeur_suivant: str | None = None  # a draft: the seller its next lines will name, when not the one ringing

    @property
    def rendu(self) -> Decimal:
        """The change given back (a gift cheque's rest is not change: it is `reste_cheque`)."""
        return sum((p.rendu or ZERO for p in self.payments if p.code != "CHQCAD"), ZERO)

    @property
    def reste_cheque(self) -> Decimal:
        """What the gift cheques brought beyond the ticket: a credit note issued, or lost (by the setting)."""
        return sum((p.rendu or ZERO for p in self.payments if p.code == "CHQCAD"), ZERO)


def record_ticket(con: duckdb.DuckDBPyConnection, *, id_ticket: str, id_caisse: int, caisse: str, id_journee: str,
                  user: User, type_ticket: str, created: datetime, lines: list[Line], payments: list[tuple],
                  now: datetime, origine: str | None = None, motif: str | None = None,
                  discount: tuple | None = None) -> TicketView:
    """Write a validated ticket, its lines and payments (`payments`: (id, Payment, rendu) as
    payments.apply_payments gives them), give it the register's next number and link it. `discount`: the ticket's
    (amount, % typed, reason), already spread over `lines`."""
    if not lines:
        raise SaleRefused("Un ticket sans ligne ne peut pas être validé.")
    last = chains.last(con, "ticket", id_caisse)
    numero = last[0] + 1
    total = sum((line.montant_ttc for line in lines), ZERO)
    total_ht = sum((line.montant_ht for line in lines), ZERO)
    remise_ticket, taux_remise_ticket, motif_remise = discount or (None, None, None)
    con.execute("INSERT INTO t_ticket (id_ticket, numero, type_ticket, id_caisse, id_journee, id_utilisateur, "
                "date_creation, date_validation, total_ttc, total_ht, id_ticket_origine, motif, remise_ticket, "
                "taux_remise_ticket, motif_remise) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [id_ticket, numero, type_ticket, id_caisse, id_journee, user.id_utilisateur, created, now, total,
                 total_ht, origine, motif, remise_ticket or None, taux_remise_ticket, motif_remise])
    insert_rows(con, "t_ligne_ticket", "id_ligne_ticket, id_ticket, " + LINE_COLUMNS,
                [(new_id(), id_ticket, *astuple_line(line)) for line in lines])
    insert_rows(con, "t_reglement", "id_reglement, id_ticket, id_moyen_paiement, code_moyen, montant, numero_piece, "
                "rendu", [(ident, id_ticket, p.id_moyen_paiement, p.code, p.montant, p.numero, rendu)
                                     for ident, p, rendu in payments])
    link = chains.link(con, "ticket", id_caisse, id_ticket, now, after=last)
    sellers = _seller_names(con, {line.id_vendeur for line in lines if line.id_vendeur})
    return TicketView(id_ticket, numero, "VALIDE", caisse, user.login, total, total_ht,
                      [ticket_line(line, sellers.get(line.id_vendeur)) for line in lines],
                      [TicketPayment(p.code, p.montant, p.numero, rendu) for _, p, rendu in payments],
                      link.empreinte, now, type_ticket, None, motif, created, None, remise_ticket or None,
                      taux_remise_ticket, motif_remise)


def astuple_line(line: Line) -> tuple:
    """A Line's values in LINE_COLUMNS' order."""
    return tuple(getattr(line, f.name) for f in fields(line))


def _seller_names(con, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(con.execute("SELECT id_utilisateur, trim(coalesce(prenom, '') || ' ' || coalesce(nom, '')) FROM "
                            "t_utilisateur WHERE id_utilisateur IN (SELECT unnest(?::BIGINT[]))", [sorted(ids)])
                .fetchall())


def insert_rows(con, table: str, columns: str, rows: list[tuple]) -> None:
    """One multi-row INSERT (DuckDB pays per statement, not per row), its columns named."""
    if rows:
        marks = "(" + ", ".join("?" * len(rows[0])) + ")"
        con.execute(f"INSERT INTO {table} ({columns}) VALUES {', '.join([marks] * len(rows))}",
                    [value for row in rows for value in row])


_VIEW = f"""
    SELECT t.id_ticket, t.numero, c.code, {person()}, t.total_ttc, t.total_ht, m.empreinte, t.date_validation,
           t.type_ticket, o.numero, t.motif, t.date_creation, t.remise_ticket, t.taux_remise_ticket, t.motif_remise,
           (SELECT min(a.numero) FROM t_ticket a
            WHERE a.id_ticket_origine = t.id_ticket AND a.type_ticket = 'ANNULATION')
    FROM t_ticket t JOIN t_caisse c USING (id_caisse) LEFT JOIN t_utilisateur u USING (id_utilisateur)
    LEFT JOIN t_ticket o ON o.id_ticket = t.id_ticket_origine
    LEFT JOIN maillon m ON m.id_caisse = t.id_caisse AND m.chaine = 'ticket' AND m.numero = t.numero
    WHERE t.id_ticket = ?"""


def ticket_view(con: duckdb.DuckDBPyConnection, id_ticket: str) -> TicketView:
    """A validated ticket as recorded; SaleRefused when there is none."""
    rows = con.execute(_VIEW, [id_ticket]).fetchall()
    if not rows:
        raise SaleRefused("Ce ticket n'existe pas.")
    (ident, numero, caisse, vendeur, ttc, ht, link, validated, type_, origine, motif, created, remise, taux,
     motif_remise, voided) = rows[0]
    lines = con.execute(f"SELECT {LINE_VIEW} FROM t_ligne_ticket l LEFT JOIN t_utilisateur v ON v.id_utilisateur = "
                        "l.id_vendeur WHERE l.id_ticket = ? ORDER BY l.num_ligne", [id_ticket]).fetchall()
    payments = con.execute("SELECT code_moyen, montant, numero_piece, rendu FROM t_reglement WHERE id_ticket = ? "
                           "ORDER BY id_reglement", [id_ticket]).fetchall()
    return TicketView(ident, numero, "VALIDE", caisse, vendeur or "", ttc, ht, [TicketLine(*row) for row in lines],
                      [TicketPayment(*row) for row in payments], link, validated, type_, origine, motif, created,
                      voided, remise, taux, motif_remise)


def ticket_by_number(con: duckdb.DuckDBPyConnection, caisse: str, numero: int) -> TicketView:
    rows = con.execute("SELECT t.id_ticket FROM t_ticket t JOIN t_caisse c USING (id_caisse) WHERE c.code = ? AND "
                       "t.numero = ?", [caisse, numero]).fetchall()
    if not rows:
        raise SaleRefused(f"Le ticket n°{numero} n'existe pas sur la caisse {caisse}.")
    return ticket_view(con, rows[0][0])
