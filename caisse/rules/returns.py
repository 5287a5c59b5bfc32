"""Returns of goods (R05): a ticket of type RETOUR takes back lines of an earlier sale (found by its number or
the barcode printed on its receipt; never more than was sold, across several returns) or, with the right
CAISSE_RETOUR_LIBRE, articles without a ticket, and refunds them in cash, by the sale's own method, or by a
credit note issued at once from the register's own series (printed with its barcode, exported with the lot).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from caisse.common.errors import SaleRefused
from caisse.common.money import ZERO, cents, eur, qty
from caisse.fiscal.jet import record_event
from caisse.rules.articles import Line, find_article, make_line, stored_lines, taken_back
from caisse.rules.auth import User, require_now
from caisse.rules.corrections import required_reason
from caisse.rules.drafts import LineRequest, selling_context
from caisse.rules.payments import Payment
from caisse.rules.tickets import RETOUR, VENTE, TicketView, record_ticket, ticket_by_number
from caisse.rules.vouchers import issue_credit_note
from caisse.storage.store import Store, new_id
from pipeline.names import ascii_digits

REFUNDS = {"ESP": "en espèces", "ORIGINE": "par le moyen de paiement de la vente", "AVOIR": "par un avoir"}
_BARCODE = re.compile(r"^([A-Za-z0-9_.@-]+)-T(\d+)$")


@dataclass(frozen=True)
class Returnable:
    """A line of a sale and what may still be taken back of it."""

    id_ligne: str
    num_ligne: int
    code: str
    libelle: str
    vendu: Decimal
    repris: Decimal
    montant_ttc: Decimal

    @property
    def reste(self) -> Decimal:
        return self.vendu - self.repris


@dataclass
class Returned:
    ticket: TicketView
    avoir: str | None = None  # the number of the credit note issued
    lines: list[Returnable] = field(default_factory=list)


def find_sale(con, caisse: str, ref: str) -> TicketView:
    """A sale by its number on this register, or by its receipt's barcode (`C01-T000012`, any register)."""
    ref = (ref or "").strip()
    match = _BARCODE.match(ref)
    if match:
        caisse, ref = match.group(1), match.group(2)
    if not ascii_digits(ref):
        raise SaleRefused(f"« {ref} » n'est ni un numéro de ticket ni le code-barres d'un ticket (C01-T000012).")
    sale = ticket_by_number(con, caisse, int(ref))
    if sale.type_ticket != VENTE:
        raise SaleRefused(f"Le ticket n°{sale.numero} est un ticket de {sale.type_ticket.lower()}, pas une vente.")
    if sale.annule_par:
        raise SaleRefused(f"Le ticket n°{sale.numero} a été annulé (ticket n°{sale.annule_par}) : rien à reprendre.")
    return sale


def returnable_lines(con, id_ticket: str) -> list[Returnable]:
    """The sale's lines with what earlier returns already took back."""
    return [Returnable(*row) for row in con.execute("""
        SELECT l.id_ligne_ticket, l.num_ligne, l.code_article, l.libelle, l.quantite,
               coalesce(-sum(r.quantite), 0), l.montant_ttc
        FROM t_ligne_ticket l LEFT JOIN t_ligne_ticket r ON r.id_ligne_origine = l.id_ligne_ticket
        WHERE l.id_ticket = ? GROUP BY ALL ORDER BY l.num_ligne""", [id_ticket]).fetchall()]


def read_returnable(store: Store, caisse: str, ref: str) -> Returned:
    with store.connect() as con:
        sale = find_sale(con, caisse, ref)
        return Returned(sale, lines=returnable_lines(con, sale.id_ticket))


def return_goods(store: Store, caisse: str, user: User, *, refund: str, reason: str, sale: str | None = None,
                 quantities: dict[int, Decimal] | None = None, articles: list[LineRequest] | None = None,
                 now: datetime | None = None) -> Returned:
    """Ring a RETOUR ticket: `quantities` {line number: quantity} of the sale `sale` (a number or a barcode), or
    `articles` without a ticket (CAISSE_RETOUR_LIBRE); refunded `refund` (ESP, ORIGINE or AVOIR)."""
    if refund not in REFUNDS:
        raise SaleRefused(f"Remboursement « {refund} » inconnu : ESP (espèces), ORIGINE (moyen de la vente) ou AVOIR.")
    reason = required_reason(reason, "un retour")
    now = now or datetime.now()
    with store.writing(), store.transaction() as con:
        id_caisse, id_journee = selling_context(con, caisse, user)
        origin = None
        if sale is not None:
            require_now(con, user, "CAISSE_RETOUR")
            origin = find_sale(con, caisse, sale)
            lines = _lines_of_sale(con, origin, quantities or {})
        else:
            require_now(con, user, "CAISSE_RETOUR_LIBRE")
            if refund == "ORIGINE":
                raise SaleRefused("Un retour sans ticket ne connaît pas le moyen de paiement d'origine : remboursez en "
                                  "espèces ou par un avoir.")
            lines = _free_lines(con, articles or [], store.limits.max_quantity)
        total = sum((line.montant_ttc for line in lines), ZERO)
        id_ticket = new_id()
        payment, avoir = _refund(con, refund, total, origin, id_caisse, caisse, id_ticket, now)
        view = record_ticket(con, id_ticket=id_ticket, id_caisse=id_caisse, caisse=caisse, id_journee=id_journee,
                             user=user, type_ticket=RETOUR, created=now, lines=lines, payments=[payment], now=now,
                             origine=origin.id_ticket if origin else None, motif=reason)
        record_event(con, 160, caisse=caisse, login=user.login,
                     detail=f"ticket n°{view.numero} : {eur(-total)} remboursés {REFUNDS[refund]}"
                            + (f" (avoir n°{avoir})" if avoir else "")
                            + (f", reprise sur le ticket n°{origin.numero}" if origin else ", sans ticket")
                            + f" : {reason}", now=now)
    if origin:
        view.origine = origin.numero
    return Returned(view, avoir)


def _lines_of_sale(con, sale: TicketView, quantities: dict[int, Decimal]) -> list[Line]:
    wanted = {int(k): Decimal(v) for k, v in quantities.items() if Decimal(v) != 0}
    if not wanted:
        raise SaleRefused("Indiquez au moins un article à reprendre et sa quantité.")
    rows = {line.num_ligne: (ident, line) for ident, line in stored_lines(con, sale.id_ticket)}
    done = {r.num_ligne: r for r in returnable_lines(con, sale.id_ticket)}
    taken = {row[0]: row[1:] for row in con.execute(
        "SELECT r.id_ligne_origine, -sum(r.montant_ttc), -sum(r.montant_ht), -sum(r.remise) FROM t_ligne_ticket r "
        "JOIN t_ligne_ticket l ON l.id_ligne_ticket = r.id_ligne_origine WHERE l.id_ticket = ? GROUP BY ALL",
        [sale.id_ticket]).fetchall()}
    out = []
    for num, (number, quantity) in enumerate(sorted(wanted.items()), 1):
        if number not in rows:
            raise SaleRefused(f"Le ticket n°{sale.numero} n'a pas de ligne {number}.")
        id_line, line = rows[number]
        code, sold, discount, ttc, ht = line.code_article, line.quantite, line.remise, line.montant_ttc, line.montant_ht
        left = done[number].reste
        if quantity < 0 or quantity > left:
            raise SaleRefused(f"{code} : on demande d'en reprendre {qty(quantity)}, mais il reste {qty(left)} à "
                              f"reprendre sur la quantité vendue de {qty(sold)} au ticket n°{sale.numero}.")
        back_ttc, back_ht, back_discount = taken.get(id_line, (ZERO, ZERO, ZERO))
        if quantity == left:  # the rest of the line: exactly what is left, so that amounts add up to the cent
            amount, amount_ht, remise = ttc - back_ttc, ht - back_ht, discount - back_discount
        else:
            share = quantity / sold
            amount, amount_ht, remise = cents(ttc * share), cents(ht * share), cents(discount * share)
        out.append(taken_back(line, num, quantity, amount, amount_ht, remise, id_line))
    return out


def _free_lines(con, articles: list[LineRequest], max_quantity: Decimal) -> list[Line]:
    if not articles:
        raise SaleRefused("Indiquez au moins un article à reprendre.")
    out = []
    for num, request in enumerate(articles, 1):
        line = make_line(num, find_article(con, request.article), request.quantite, request.remise, max_quantity)
        out.append(taken_back(line, num, line.quantite, line.montant_ttc, line.montant_ht, line.remise, None))
    return out


def _method(con, where: str, what: str) -> tuple[int, str, bool]:
    rows = con.execute(f"SELECT id_moyen_paiement, code, coalesce(rendu_monnaie, false) FROM tr_moyen_paiement "
                       f"WHERE coalesce(actif, true) AND {where} ORDER BY ordre NULLS LAST LIMIT 1").fetchall()
    if not rows:
        raise SaleRefused(f"Aucun moyen de paiement actif pour rembourser {what} : vérifiez tr_moyen_paiement.")
    return rows[0]


def _refund(con, refund: str, total: Decimal, origin: TicketView | None, id_caisse: int, caisse: str, id_ticket: str,
            now: datetime) -> tuple[tuple, str | None]:
    """The refund's payment (negative) and the credit note issued, if any."""
    if refund == "ORIGINE":
        methods = con.execute("SELECT id_moyen_paiement, code_moyen FROM t_reglement WHERE id_ticket = ? "
                              "GROUP BY ALL HAVING sum(montant - coalesce(rendu, 0)) > 0",
                              [origin.id_ticket]).fetchall()
        if len(methods) != 1:
            raise SaleRefused(f"Le ticket n°{origin.numero} a été payé par plusieurs moyens : remboursez en espèces ou "
                              "par un avoir.")
        method, code = methods[0]
        if code in ("AVOIR", "CHQCAD"):
            refund = "AVOIR"  # paid by a credit note or a voucher: the refund is a new credit note
        else:
            return (new_id(), Payment(method, code, total, None, False), ZERO), None
    if refund == "ESP":
        method, code, _ = _method(con, "especes", "en espèces")
        return (new_id(), Payment(method, code, total, None, False), ZERO), None
    method, code, _ = _method(con, "code = 'AVOIR'", "par un avoir")
    numero = issue_credit_note(con, -total, id_caisse, caisse, id_ticket, now)
    return (new_id(), Payment(method, code, total, numero, False), ZERO), numero
