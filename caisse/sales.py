"""Selling on an open register: sellers' connections, tickets, lines, validation, voids, cash moves.

A ticket is EN_COURS (parked, it survives a restart) until it is paid; its validation is one
transaction that checks the payments, gives it the register's next number and its chain link.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import duckdb

from . import integrity
from .auth import User, require_now
from .errors import RegisterNotOpen, SaleRefused
from .journal import audit
from .money import ZERO, cents, eur
from .payments import PaymentRequest, apply_payments
from .store import Store, scalar

MOVE_TYPES = {"ENTREE": "Entrée d'espèces", "SORTIE": "Sortie d'espèces", "REMISE": "Remise en banque"}


@dataclass(frozen=True)
class LineRequest:
    """An article by code, EAN or id, a quantity and a discount in euros on the line."""

    article: str
    quantite: Decimal = Decimal("1")
    remise: Decimal = ZERO


@dataclass
class TicketView:
    id_ticket: str
    numero: int | None
    statut: str
    caisse: str
    vendeur: str
    total_ttc: Decimal
    total_ht: Decimal
    lines: list[tuple] = field(default_factory=list)
    payments: list[tuple] = field(default_factory=list)
    empreinte: str | None = None
    date_validation: datetime | None = None

    @property
    def rendu(self) -> Decimal:
        return sum((p[3] for p in self.payments), ZERO)


def new_id() -> str:
    return str(uuid.uuid4())


def open_day_of(con: duckdb.DuckDBPyConnection, caisse: str) -> tuple[int, str]:
    """(id_caisse, id_journee) of the register's open day; raises RegisterNotOpen."""
    rows = con.execute("SELECT c.id_caisse, j.id_journee FROM t_caisse c LEFT JOIN t_journee j "
                       "ON j.id_caisse = c.id_caisse AND j.date_fermeture IS NULL WHERE c.code = ?",
                       [caisse]).fetchall()
    if not rows or rows[0][1] is None:
        raise RegisterNotOpen(caisse)
    return rows[0]


# Sellers' connections.

def connect_seller(store: Store, caisse: str, user: User, now: datetime | None = None) -> str:
    """Connect a seller to the open register (the same connection if already connected)."""
    with store.transaction() as con:
        require_now(con, user, "CAISSE_VENDRE")
        id_caisse, id_journee = open_day_of(con, caisse)
        existing = scalar(con, "SELECT id_connexion FROM connexion WHERE id_journee = ? AND id_utilisateur = ? "
                               "AND fin IS NULL", [id_journee, user.id_utilisateur])
        if existing:
            return existing
        id_connexion = new_id()
        con.execute("INSERT INTO connexion VALUES (?, ?, ?, ?, ?, NULL, false)",
                    [id_connexion, id_caisse, id_journee, user.id_utilisateur, now or datetime.now()])
        return id_connexion


def disconnect_seller(store: Store, id_connexion: str, now: datetime | None = None) -> None:
    with store.transaction() as con:
        con.execute("UPDATE connexion SET fin = ? WHERE id_connexion = ? AND fin IS NULL",
                    [now or datetime.now(), id_connexion])


def connected_sellers(con: duckdb.DuckDBPyConnection, id_journee: str) -> list[tuple[str, str, datetime]]:
    """(login, name, since) of the sellers still connected to a day."""
    return con.execute("SELECT u.login, trim(coalesce(u.prenom, '') || ' ' || coalesce(u.nom, '')), c.debut "
                       "FROM connexion c JOIN t_utilisateur u USING (id_utilisateur) "
                       "WHERE c.id_journee = ? AND c.fin IS NULL ORDER BY c.debut", [id_journee]).fetchall()


def _require_connected(con, id_journee: str, user: User) -> None:
    if not scalar(con, "SELECT count(*) FROM connexion WHERE id_journee = ? AND id_utilisateur = ? AND fin IS NULL",
                  [id_journee, user.id_utilisateur]):
        raise SaleRefused(f"{user.login} n'est pas connecté à la caisse : cliquez d'abord sur Connecter.")


# Tickets.

def start_ticket(store: Store, caisse: str, user: User, now: datetime | None = None) -> str:
    with store.transaction() as con:
        return _start(con, caisse, user, now or datetime.now())


def _start(con, caisse, user, now) -> str:
    require_now(con, user, "CAISSE_VENDRE")
    id_caisse, id_journee = open_day_of(con, caisse)
    _require_connected(con, id_journee, user)
    id_ticket = new_id()
    con.execute("INSERT INTO t_ticket (id_ticket, id_caisse, id_journee, id_utilisateur, date_creation, statut, "
                "total_ttc, total_ht) VALUES (?, ?, ?, ?, ?, 'EN_COURS', 0, 0)",
                [id_ticket, id_caisse, id_journee, user.id_utilisateur, now])
    return id_ticket


def find_article(con: duckdb.DuckDBPyConnection, query: str) -> tuple:
    """(id_article, code, libelle, prix_ttc, taux) of an active article by code, EAN or id."""
    rows = con.execute(
        "SELECT a.id_article, a.code, coalesce(a.libelle, a.code), a.prix_ttc, t.taux FROM t_article a "
        "LEFT JOIN tr_tva t USING (id_tva) WHERE coalesce(a.actif, true) AND "
        "(a.code = ? OR a.ean = ? OR CAST(a.id_article AS VARCHAR) = ?) ORDER BY a.code = ? DESC LIMIT 1",
        [query, query, query, query]).fetchall()
    if not rows:
        raise SaleRefused(f"Article « {query} » introuvable (ni code, ni EAN, ni identifiant d'un article actif).")
    if rows[0][4] is None:
        raise SaleRefused(f"L'article {rows[0][1]} n'a pas de taux de TVA connu : réimportez tr_tva.")
    return rows[0]


def search_articles(con: duckdb.DuckDBPyConnection, text: str, limit: int = 20) -> list[tuple]:
    """Active articles whose code, EAN or label contains `text` (accents and case ignored)."""
    like = f"%{text.strip()}%"
    return con.execute("SELECT code, ean, libelle, prix_ttc FROM t_article WHERE coalesce(actif, true) AND "
                       "(code ILIKE ? OR ean LIKE ? OR strip_accents(libelle) ILIKE strip_accents(?)) "
                       f"ORDER BY code LIMIT {int(limit)}", [like, like, like]).fetchall()


def add_line(store: Store, id_ticket: str, user: User, line: LineRequest) -> TicketView:
    with store.transaction() as con:
        _add_line(con, _editable(con, id_ticket, user), line)
        return ticket_view(con, id_ticket)


def remove_line(store: Store, id_ticket: str, user: User, num_ligne: int) -> TicketView:
    with store.transaction() as con:
        _editable(con, id_ticket, user)
        con.execute("DELETE FROM t_ligne_ticket WHERE id_ticket = ? AND num_ligne = ?", [id_ticket, num_ligne])
        _update_totals(con, id_ticket)
        return ticket_view(con, id_ticket)


def _editable(con, id_ticket: str, user: User) -> str:
    require_now(con, user, "CAISSE_VENDRE")
    rows = con.execute("SELECT statut, id_journee FROM t_ticket WHERE id_ticket = ?", [id_ticket]).fetchall()
    if not rows:
        raise SaleRefused("Ce ticket n'existe pas.")
    if rows[0][0] != "EN_COURS":
        raise SaleRefused("Ce ticket est déjà validé ou annulé : il ne peut plus être modifié.")
    return id_ticket


def _add_line(con, id_ticket: str, line: LineRequest) -> None:
    id_article, code, libelle, prix, taux = find_article(con, line.article)
    remise = cents(line.remise)
    gross = cents(line.quantite * prix)
    if remise < 0 or remise > gross:
        raise SaleRefused(f"La remise {eur(remise)} sur {code} doit être comprise entre 0 et le montant de la "
                          f"ligne ({eur(gross)}).")
    ttc = gross - remise
    ht = cents(ttc * 100 / (100 + taux))
    num = scalar(con, "SELECT coalesce(max(num_ligne), 0) + 1 FROM t_ligne_ticket WHERE id_ticket = ?", [id_ticket])
    con.execute("INSERT INTO t_ligne_ticket VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [new_id(), id_ticket, num, id_article, code, libelle, line.quantite, prix, remise, taux, ttc, ht])
    _update_totals(con, id_ticket)


def _update_totals(con, id_ticket: str) -> None:
    con.execute("UPDATE t_ticket SET total_ttc = (SELECT coalesce(sum(montant_ttc), 0) FROM t_ligne_ticket "
                "WHERE id_ticket = ?), total_ht = (SELECT coalesce(sum(montant_ht), 0) FROM t_ligne_ticket "
                "WHERE id_ticket = ?) WHERE id_ticket = ?", [id_ticket, id_ticket, id_ticket])


def pay_ticket(store: Store, id_ticket: str, user: User, payments: list[PaymentRequest],
               now: datetime | None = None) -> TicketView:
    """Validate a parked ticket with its payments: number, chain link and VALIDE, in one transaction."""
    with store.transaction() as con:
        _editable(con, id_ticket, user)
        view = _validate(con, store, id_ticket, payments, now or datetime.now())
        integrity.write_head(store.key_path, con, view.caisse, _id_caisse(con, id_ticket))
    return view


def ring_ticket(store: Store, caisse: str, user: User, lines: list[LineRequest], payments: list[PaymentRequest],
                now: datetime | None = None) -> TicketView:
    """A whole ticket at once (the CLI's `caisse sell`): lines and payments, validated, in one transaction."""
    if not lines:
        raise SaleRefused("Un ticket doit avoir au moins une ligne.")
    now = now or datetime.now()
    with store.transaction() as con:
        id_ticket = _start(con, caisse, user, now)
        for line in lines:
            _add_line(con, id_ticket, line)
        view = _validate(con, store, id_ticket, payments, now)
        integrity.write_head(store.key_path, con, caisse, _id_caisse(con, id_ticket))
    return view


def _id_caisse(con, id_ticket) -> int:
    return scalar(con, "SELECT id_caisse FROM t_ticket WHERE id_ticket = ?", [id_ticket])


def _validate(con, store: Store, id_ticket: str, payments: list[PaymentRequest], now: datetime) -> TicketView:
    total, id_caisse, id_journee = con.execute("SELECT total_ttc, id_caisse, id_journee FROM t_ticket "
                                               "WHERE id_ticket = ?", [id_ticket]).fetchall()[0]
    if not scalar(con, "SELECT count(*) FROM t_ligne_ticket WHERE id_ticket = ?", [id_ticket]):
        raise SaleRefused("Un ticket sans ligne ne peut pas être validé.")
    if scalar(con, "SELECT date_fermeture FROM t_journee WHERE id_journee = ?", [id_journee]) is not None:
        raise SaleRefused("La journée de ce ticket est fermée : il ne peut plus être validé.")
    for id_reglement, request, rendu in apply_payments(con, id_ticket, id_caisse, total, payments, now):
        con.execute("INSERT INTO t_reglement VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [id_reglement, id_ticket, request.id_moyen_paiement, request.code, request.montant,
                     request.numero, rendu])
    numero, previous = integrity.last_link(con, "ticket", id_caisse)
    con.execute("UPDATE t_ticket SET numero = ?, statut = 'VALIDE', date_validation = ?, empreinte_precedente = ? "
                "WHERE id_ticket = ?", [numero + 1, now, previous, id_ticket])
    link = integrity.link_ticket(con, integrity.load_key(store.key_path), id_ticket, previous)
    con.execute("UPDATE t_ticket SET empreinte = ? WHERE id_ticket = ?", [link, id_ticket])
    return ticket_view(con, id_ticket)


def ticket_view(con: duckdb.DuckDBPyConnection, id_ticket: str) -> TicketView:
    rows = con.execute("SELECT t.id_ticket, t.numero, t.statut, c.code, u.login, t.total_ttc, t.total_ht, "
                       "t.empreinte, t.date_validation FROM t_ticket t JOIN t_caisse c USING (id_caisse) "
                       "LEFT JOIN t_utilisateur u USING (id_utilisateur) WHERE t.id_ticket = ?", [id_ticket]).fetchall()
    if not rows:
        raise SaleRefused("Ce ticket n'existe pas.")
    ident, numero, statut, caisse, vendeur, ttc, ht, link, validated = rows[0]
    lines = con.execute("SELECT num_ligne, code_article, libelle, quantite, prix_unitaire_ttc, remise, taux_tva, "
                        "montant_ttc FROM t_ligne_ticket WHERE id_ticket = ? ORDER BY num_ligne",
                        [id_ticket]).fetchall()
    payments = con.execute("SELECT code_moyen, montant, numero_piece, rendu FROM t_reglement WHERE id_ticket = ? "
                           "ORDER BY id_reglement", [id_ticket]).fetchall()
    return TicketView(ident, numero, statut, caisse, vendeur or "", ttc, ht, lines, payments, link, validated)


def parked_tickets(con: duckdb.DuckDBPyConnection, caisse: str) -> list[TicketView]:
    """The register's tickets still EN_COURS (parked or being rung), oldest first."""
    ids = con.execute("SELECT t.id_ticket FROM t_ticket t JOIN t_caisse c USING (id_caisse) WHERE c.code = ? "
                      "AND t.statut = 'EN_COURS' ORDER BY t.date_creation", [caisse]).fetchall()
    return [ticket_view(con, i) for (i,) in ids]


# Voids and cash moves.

def void_ticket(store: Store, caisse: str, user: User, numero: int, reason: str, now: datetime | None = None) -> None:
    """Cancel a validated ticket of the open day: recorded (who, when, why), never deleted."""
    reason = _reason(reason, "l'annulation")
    now = now or datetime.now()
    with store.transaction() as con:
        require_now(con, user, "CAISSE_ANNULER")
        id_caisse, id_journee = open_day_of(con, caisse)
        rows = con.execute("SELECT id_ticket, statut, id_journee FROM t_ticket WHERE id_caisse = ? AND numero = ?",
                           [id_caisse, numero]).fetchall()
        if not rows:
            raise SaleRefused(f"Le ticket n°{numero} n'existe pas sur la caisse {caisse}.")
        id_ticket, statut, day = rows[0]
        if statut == "ANNULE":
            raise SaleRefused(f"Le ticket n°{numero} est déjà annulé.")
        if day != id_journee:
            raise SaleRefused(f"Le ticket n°{numero} appartient à une journée fermée : il ne peut plus être annulé.")
        _cancel(con, id_ticket, user, reason, now)
        _restore_payments(con, id_ticket)
        audit(con, "ANNULATION", login=user.login, caisse=caisse, detail=f"ticket n°{numero} : {reason}", now=now)


def cancel_parked_ticket(store: Store, id_ticket: str, user: User, reason: str, now: datetime | None = None) -> None:
    """Cancel a ticket still EN_COURS (the closing's way out of "tickets en cours"), with a reason."""
    reason = _reason(reason, "l'annulation")
    now = now or datetime.now()
    with store.transaction() as con:
        require_now(con, user, "CAISSE_ANNULER")
        view = ticket_view(con, id_ticket)
        if view.statut != "EN_COURS":
            raise SaleRefused("Ce ticket n'est plus en cours.")
        _cancel(con, id_ticket, user, reason, now)
        audit(con, "ANNULATION", login=user.login, caisse=view.caisse,
              detail=f"ticket en cours {id_ticket[:8]} ({view.total_ttc} €) : {reason}", now=now)


def _cancel(con, id_ticket, user, reason, now) -> None:
    con.execute("UPDATE t_ticket SET statut = 'ANNULE', date_annulation = ?, id_utilisateur_annulation = ?, "
                "motif_annulation = ? WHERE id_ticket = ?", [now, user.id_utilisateur, reason, id_ticket])


def _restore_payments(con, id_ticket: str) -> None:
    """A voided ticket gives back what its credit notes and gift vouchers paid."""
    for id_avoir, montant in con.execute("SELECT id_avoir, montant FROM t_avoir_utilise WHERE id_ticket = ?",
                                         [id_ticket]).fetchall():
        con.execute("UPDATE t_avoir SET montant_utilise = montant_utilise - ?, statut = 'EMIS' WHERE id_avoir = ?",
                    [montant, id_avoir])
    con.execute("DELETE FROM t_avoir_utilise WHERE id_ticket = ?", [id_ticket])
    con.execute("UPDATE t_cheque_cadeau SET statut = 'VENDU', date_utilisation = NULL, id_ticket = NULL "
                "WHERE id_ticket = ?", [id_ticket])


def cash_move(store: Store, caisse: str, user: User, type_: str, montant: Decimal, reason: str,
              now: datetime | None = None) -> str:
    """ENTREE, SORTIE or REMISE of cash on the open register, with a reason, in the cash book."""
    if type_ not in MOVE_TYPES:
        raise SaleRefused(f"Type de mouvement « {type_} » inconnu : ENTREE, SORTIE ou REMISE.")
    if montant <= 0:
        raise SaleRefused("Le montant d'un mouvement d'espèces doit être positif.")
    reason = _reason(reason, "le mouvement")
    now = now or datetime.now()
    with store.transaction() as con:
        require_now(con, user, "CAISSE_MOUVEMENT")
        id_caisse, id_journee = open_day_of(con, caisse)
        id_mouvement = new_id()
        con.execute("INSERT INTO t_livre_de_caisse VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [id_mouvement, id_caisse, id_journee, now, type_, cents(montant), reason, user.id_utilisateur])
        audit(con, "MOUVEMENT", login=user.login, caisse=caisse, detail=f"{type_} {eur(montant)} : {reason}", now=now)
        return id_mouvement


def _reason(reason: str | None, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise SaleRefused(f"Un motif est obligatoire pour {what}.")
    return reason
