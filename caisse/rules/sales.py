"""Selling on an open register: sellers' connections and the validation of a sale, the draft being rung
(drafts) or a whole ticket at once (`caisse sell`): payments checked and applied, the ticket written once and
linked (tickets.record_ticket), in one transaction."""

from __future__ import annotations

from datetime import datetime

import duckdb

from caisse.common.errors import RegisterNotOpen, SaleRefused
from caisse.common.money import ZERO, eur
from caisse.fiscal.jet import record_event
from caisse.rules import discounts
from caisse.rules.articles import find_articles_exact, make_line, search_articles, spread_ticket_discount
from caisse.rules.auth import User, require_now
from caisse.rules.drafts import (
    LineRequest,
    TicketDiscount,
    check_ticket_discount,
    draft_payments,
    draft_view,
    editable,
    lines_to_record,
    parked,
    seller_of,
    selling_context,
)
from caisse.rules.payments import PaymentRequest, apply_payments, payment_methods
from caisse.rules.prices import with_reference_prices
from caisse.rules.tickets import VENTE, TicketView, record_ticket, ticket_view
from caisse.storage.store import Store, new_id, scalar


def open_day_of(con: duckdb.DuckDBPyConnection, caisse: str) -> tuple[int, str]:
    """(id_caisse, id_journee) of the register's open day; raises RegisterNotOpen."""
    rows = con.execute("SELECT c.id_caisse, j.id_journee FROM t_caisse c LEFT JOIN t_journee j "
                       "ON j.id_caisse = c.id_caisse AND j.date_fermeture IS NULL WHERE c.code = ?",
                       [caisse]).fetchall()
    if not rows or rows[0][1] is None:
        raise RegisterNotOpen(caisse)
    return rows[0]


# Sellers' connections.

def connect_seller(store: Store, caisse: str, user: User, now: datetime | None = None, separate: bool = False) -> str:
    """Connect a seller to the open register (the same connection if already connected, unless `separate`: a
    command's own, which it ends without ending the seller's tablet or another command); a sign-in event."""
    now = now or datetime.now()
    with store.transaction() as con:
        require_now(con, user, "CAISSE_VENDRE")
        id_caisse, id_journee = open_day_of(con, caisse)
        existing = scalar(con, "SELECT id_connexion FROM connexion WHERE id_journee = ? AND id_utilisateur = ? "
                               "AND fin IS NULL", [id_journee, user.id_utilisateur])
        if existing and not separate:
            return existing
        id_connexion = new_id()
        con.execute("INSERT INTO connexion (id_connexion, id_caisse, id_journee, id_utilisateur, debut, fin, "
                    "fin_forcee) VALUES (?, ?, ?, ?, ?, NULL, false)",
                    [id_connexion, id_caisse, id_journee, user.id_utilisateur, now])
        record_event(con, 80, caisse=caisse, login=user.login, detail="connexion à la caisse", now=now)
        return id_connexion


def disconnect_seller(store: Store, id_connexion: str, now: datetime | None = None) -> None:
    now = now or datetime.now()
    with store.transaction() as con:
        rows = con.execute("SELECT c.code, u.login FROM connexion k JOIN t_caisse c USING (id_caisse) "
                           "LEFT JOIN t_utilisateur u USING (id_utilisateur) "
                           "WHERE k.id_connexion = ? AND k.fin IS NULL",
                           [id_connexion]).fetchall()
        if not rows:
            return
        con.execute("UPDATE connexion SET fin = ? WHERE id_connexion = ?", [now, id_connexion])
        record_event(con, 40, caisse=rows[0][0], login=rows[0][1], detail="déconnexion de la caisse", now=now)


def connected_sellers(con: duckdb.DuckDBPyConnection, id_journee: str) -> list[tuple[str, str, datetime]]:
    """(login, name, since) of the sellers still connected to a day."""
    return con.execute("SELECT u.login, trim(coalesce(u.prenom, '') || ' ' || coalesce(u.nom, '')), min(c.debut) "
                       "FROM connexion c JOIN t_utilisateur u USING (id_utilisateur) "
                       "WHERE c.id_journee = ? AND c.fin IS NULL GROUP BY ALL ORDER BY 3", [id_journee]).fetchall()


# Validation.

def pay_ticket(store: Store, id_ticket: str, user: User, payments: list[PaymentRequest] | None = None,
               now: datetime | None = None, approver: User | None = None) -> TicketView:
    """Validate the draft being rung with its payments (those entered on it, or `payments`): number, link and
    the ticket written once, in one transaction. A second call finds it validated and is refused."""
    now = now or datetime.now()
    with store.writing(), store.transaction() as con:
        id_caisse, id_journee, created, _ = editable(con, id_ticket, user)
        caisse = scalar(con, "SELECT code FROM t_caisse WHERE id_caisse = ?", [id_caisse])
        if selling_context(con, caisse, user)[1] != id_journee:
            raise SaleRefused("La journée de ce ticket est fermée : il ne peut plus être validé.")
        check_ticket_discount(con, id_ticket, user, approver, now)
        lines, discount = lines_to_record(con, id_ticket)
        if not lines:
            raise SaleRefused("Un ticket sans ligne ne peut pas être validé.")
        lines = with_reference_prices(con, lines, now)
        requests = draft_payments(con, id_ticket) if payments is None else payments
        total = sum(line.montant_ttc for line in lines)
        applied = apply_payments(con, id_ticket, id_caisse, total, requests, now, store.limits)
        view = record_ticket(con, id_ticket=id_ticket, id_caisse=id_caisse, caisse=caisse, id_journee=id_journee,
                             user=user, type_ticket=VENTE, created=created, lines=lines, payments=applied, now=now,
                             discount=discount)
        con.execute("UPDATE ticket_attente SET statut = 'VALIDE', date_fin = ?, id_utilisateur_fin = ? "
                    "WHERE id_ticket = ?", [now, user.id_utilisateur, id_ticket])
    return view


def ring_ticket(store: Store, caisse: str, user: User, lines: list[LineRequest], payments: list[PaymentRequest],
                now: datetime | None = None, discount: TicketDiscount | None = None,
                approver: User | None = None) -> TicketView:
    """A whole ticket at once (the CLI's `caisse sell`): lines (with their sizes, discounts, forced prices and
    sellers), a discount on the ticket and payments, validated, in one transaction; a discount beyond the seller's
    ceiling needs `approver` (a manager authenticated by the caller)."""
    if not lines:
        raise SaleRefused("Un ticket doit avoir au moins une ligne.")
    now = now or datetime.now()
    with store.writing(), store.transaction() as con:
        id_caisse, id_journee = selling_context(con, caisse, user)
        articles = find_articles_exact(con, [line.article for line in lines])
        built = []
        for num, request in enumerate(lines, 1):
            built.append(_requested_line(con, store, caisse, user, approver, num, articles[request.article], request,
                                         now))
        ticket_discount = None
        if discount and (discount.remise or discount.taux):
            code = discounts.reason_code(con, discount.motif)
            base = sum((line.montant_ttc for line in built), ZERO)
            amount = TicketDiscount(discount.remise, discount.taux, code).amount(base)
            built = spread_ticket_discount(built, amount)
            discounts.authorise(con, user, "ticket", amount, base, approver, caisse,
                                f"remise sur le ticket (motif {code})", now)
            ticket_discount = (amount, discount.taux, code)
        built = with_reference_prices(con, built, now)
        id_ticket = new_id()
        applied = apply_payments(con, id_ticket, id_caisse, sum(line.montant_ttc for line in built), payments, now,
                                 store.limits)
        return record_ticket(con, id_ticket=id_ticket, id_caisse=id_caisse, caisse=caisse, id_journee=id_journee,
                             user=user, type_ticket=VENTE, created=now, lines=built, payments=applied, now=now,
                             discount=ticket_discount)


def _requested_line(con, store: Store, caisse: str, user: User, approver: User | None, num: int, article,
                    request: LineRequest, now: datetime):
    """A line of `caisse sell`, its discount and forced price authorised as at the till."""
    if article.variants and article.id_declinaison is None:
        raise SaleRefused(f"{article.libelle} ({article.code}) se vend par taille et couleur : donnez l'EAN de la "
                          "déclinaison.")
    seller = user.id_utilisateur
    if request.vendeur:
        found = seller_of(con, request.vendeur)
        if found is None:
            raise SaleRefused(f"Aucun vendeur actif n'a l'identifiant « {request.vendeur} ».")
        seller = found[0]
    discounted = bool(request.remise or request.taux_remise or request.prix_force is not None)
    code = discounts.reason_code(con, request.motif) if discounted else None
    line = make_line(num, article, request.quantite, request.remise, store.limits.max_quantity,
                     taux_remise=request.taux_remise, prix_force=request.prix_force, motif_remise=code,
                     id_vendeur=seller)
    if request.prix_force is not None:
        discounts.authorise_price(con, user, approver, caisse, f"prix de {line.named} forcé à "
                                  f"{eur(line.prix_force)} au lieu de {eur(line.prix_unitaire_ttc)} (motif {code})",
                                  now)
    own = line.remise - line.forced_gap
    discounts.authorise(con, user, "ligne", own, line.montant_ttc + own, approver, caisse,
                        f"remise sur {line.named} (motif {code})", now)
    return line


# Reads for the selling screen, one unit of work each.

def read_ticket(store: Store, id_ticket: str) -> TicketView:
    """A draft (statut EN_COURS) or a validated ticket."""
    with store.connect() as con:
        if scalar(con, "SELECT count(*) FROM t_ticket WHERE id_ticket = ?", [id_ticket]):
            return ticket_view(con, id_ticket)
        return draft_view(con, id_ticket)


def read_parked(store: Store, caisse: str) -> list[TicketView]:
    with store.connect() as con:
        return parked(con, caisse)


def find_articles(store: Store, text: str, limit: int = 20) -> list[tuple]:
    with store.connect() as con:
        return search_articles(con, text, limit)


def read_methods(store: Store) -> list[tuple]:
    with store.connect() as con:
        return payment_methods(con)
