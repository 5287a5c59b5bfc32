"""Validated tickets (VENTE, ANNULATION, RETOUR): written once, with their lines and payments, numbered
without a gap per register whatever their type, and linked in the tickets' chain, in one transaction
(`record_ticket`, the one way a ticket is written). Never updated nor deleted afterwards (R04, R05)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

import duckdb

from caisse.common.errors import SaleRefused
from caisse.common.money import ZERO
from caisse.fiscal import chains
from caisse.rules.articles import Line
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
                  now: datetime, origine: str | None = None, motif: str | None = None) -> TicketView:
    """Write a validated ticket, its lines and payments (`payments`: (id, Payment, rendu) as
    payments.apply_payments gives them), give it the register's next number and link it."""
    if not lines:
        raise SaleRefused("Un ticket sans ligne ne peut pas être validé.")
    last = chains.last(con, "ticket", id_caisse)
    numero = last[0] + 1
    total = sum((line.montant_ttc for line in lines), ZERO)
    total_ht = sum((line.montant_ht for line in lines), ZERO)
    con.execute("INSERT INTO t_ticket (id_ticket, numero, type_ticket, id_caisse, id_journee, id_utilisateur, "
                "date_creation, date_validation, total_ttc, total_ht, id_ticket_origine, motif) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [id_ticket, numero, type_ticket, id_caisse, id_journee, user.id_utilisateur, created, now, total,
                 total_ht, origine, motif])
    insert_rows(con, "t_ligne_ticket", "id_ligne_ticket, id_ticket, num_ligne, id_article, code_article, libelle, "
                "quantite, prix_unitaire_ttc, remise, taux_tva, montant_ttc, montant_ht, id_ligne_origine",
                [(new_id(), id_ticket, line.num_ligne, line.id_article, line.code_article,
                                         line.libelle, line.quantite, line.prix_unitaire_ttc, line.remise,
                                         line.taux_tva, line.montant_ttc, line.montant_ht, line.id_ligne_origine)
                                        for line in lines])
    insert_rows(con, "t_reglement", "id_reglement, id_ticket, id_moyen_paiement, code_moyen, montant, numero_piece, "
                "rendu", [(ident, id_ticket, p.id_moyen_paiement, p.code, p.montant, p.numero, rendu)
                                     for ident, p, rendu in payments])
    link = chains.link(con, "ticket", id_caisse, id_ticket, now, after=last)
    return TicketView(id_ticket, numero, "VALIDE", caisse, user.login, total, total_ht,
                      [TicketLine(line.num_ligne, line.code_article, line.libelle, line.quantite,
                                  line.prix_unitaire_ttc, line.remise, line.taux_tva, line.montant_ttc)
                       for line in lines],
                      [TicketPayment(p.code, p.montant, p.numero, rendu) for _, p, rendu in payments],
                      link.empreinte, now,
                      type_ticket, None, motif, created)


def insert_rows(con, table: str, columns: str, rows: list[tuple]) -> None:
    """One multi-row INSERT (DuckDB pays per statement, not per row), its columns named."""
    if rows:
        marks = "(" + ", ".join("?" * len(rows[0])) + ")"
        con.execute(f"INSERT INTO {table} ({columns}) VALUES {', '.join([marks] * len(rows))}",
                    [value for row in rows for value in row])


_VIEW = f"""
    SELECT t.id_ticket, t.numero, c.code, {person()}, t.total_ttc, t.total_ht, m.empreinte, t.date_validation,
           t.type_ticket, o.numero, t.motif, t.date_creation,
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
    ident, numero, caisse, vendeur, ttc, ht, link, validated, type_, origine, motif, created, voided = rows[0]
    lines = con.execute("SELECT num_ligne, code_article, libelle, quantite, prix_unitaire_ttc, remise, taux_tva, "
                        "montant_ttc FROM t_ligne_ticket WHERE id_ticket = ? ORDER BY num_ligne",
                        [id_ticket]).fetchall()
    payments = con.execute("SELECT code_moyen, montant, numero_piece, rendu FROM t_reglement WHERE id_ticket = ? "
                           "ORDER BY id_reglement", [id_ticket]).fetchall()
    return TicketView(ident, numero, "VALIDE", caisse, vendeur or "", ttc, ht, [TicketLine(*row) for row in lines],
                      [TicketPayment(*row) for row in payments], link, validated, type_, origine, motif, created,
                      voided)


def ticket_by_number(con: duckdb.DuckDBPyConnection, caisse: str, numero: int) -> TicketView:
    rows = con.execute("SELECT t.id_ticket FROM t_ticket t JOIN t_caisse c USING (id_caisse) WHERE c.code = ? AND "
                       "t.numero = ?", [caisse, numero]).fetchall()
    if not rows:
        raise SaleRefused(f"Le ticket n°{numero} n'existe pas sur la caisse {caisse}.")
    return ticket_view(con, rows[0][0])
