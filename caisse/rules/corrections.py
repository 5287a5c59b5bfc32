"""Corrections on an open register, each a record of its own (R04, R05): a void is a ticket of type
ANNULATION with the opposite lines and payments, referring to the sale it cancels (which stays as it was);
cash moves are written once in the cash book and linked in the register's chain of moves."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from caisse.common.errors import SaleRefused
from caisse.common.money import cents, eur
from caisse.common.words import too_long
from caisse.fiscal import chains
from caisse.fiscal.jet import record_event
from caisse.rules.articles import stored_lines, taken_back
from caisse.rules.auth import User, require_now
from caisse.rules.figures import day_figures
from caisse.rules.payments import Payment, give_back
from caisse.rules.sales import open_day_of
from caisse.rules.tickets import ANNULATION, VENTE, TicketView, record_ticket, ticket_by_number
from caisse.storage.store import Store, new_id

MOVE_TYPES = {"ENTREE": "Entrée d'espèces", "SORTIE": "Sortie d'espèces", "REMISE": "Remise en banque"}


def void_ticket(store: Store, caisse: str, user: User, numero: int, reason: str,
                now: datetime | None = None) -> TicketView:
    """Cancel a sale of the open day by a ticket of its own (ANNULATION, the next number), with the opposite
    lines and payments and the reason; what the sale consumed (credit notes, vouchers) comes back."""
    reason = required_reason(reason, "l'annulation")
    now = now or datetime.now()
    with store.writing(), store.transaction() as con:
        require_now(con, user, "CAISSE_ANNULER")
        id_caisse, id_journee = open_day_of(con, caisse)
        original = ticket_by_number(con, caisse, numero)
        day, type_ = con.execute("SELECT id_journee, type_ticket FROM t_ticket WHERE id_ticket = ?",
                                 [original.id_ticket]).fetchall()[0]
        if type_ != VENTE:
            raise SaleRefused(f"Le ticket n°{numero} est une {type_.lower()} : seule une vente s'annule.")
        if original.annule_par:
            raise SaleRefused(f"Le ticket n°{numero} est déjà annulé (ticket n°{original.annule_par}).")
        if day != id_journee:
            raise SaleRefused(f"Le ticket n°{numero} appartient à une journée fermée : il ne s'annule plus, faites un "
                              "retour.")
        if con.execute("SELECT count(*) FROM t_ligne_ticket WHERE id_ligne_origine IN (SELECT id_ligne_ticket FROM "
                       "t_ligne_ticket WHERE id_ticket = ?)", [original.id_ticket]).fetchall()[0][0]:
            raise SaleRefused(f"Des articles du ticket n°{numero} ont déjà été repris : faites un retour du reste.")
        lines = [taken_back(line, line.num_ligne, line.quantite, line.montant_ttc, line.montant_ht, line.remise, ident)
                 for ident, line in stored_lines(con, original.id_ticket)]
        payments = [(new_id(), Payment(method, code, -amount, number, False), -(rendu or 0))
                    for method, code, amount, number, rendu in con.execute(
                        "SELECT id_moyen_paiement, code_moyen, montant, numero_piece, rendu FROM t_reglement "
                        "WHERE id_ticket = ? ORDER BY id_reglement", [original.id_ticket]).fetchall()]
        id_void = new_id()
        give_back(con, original.id_ticket, id_void, id_caisse, now)
        view = record_ticket(con, id_ticket=id_void, id_caisse=id_caisse, caisse=caisse, id_journee=id_journee,
                             user=user, type_ticket=ANNULATION, created=now, lines=lines, payments=payments, now=now,
                             origine=original.id_ticket, motif=reason)
        record_event(con, 150, caisse=caisse, login=user.login,
                     detail=f"ticket n°{numero} ({eur(original.total_ttc)}) annulé par le ticket n°{view.numero} : "
                            f"{reason}", now=now)
    return replace(view, origine=numero)


MANAGER_RIGHT = "CAISSE_FERMER"  # who may approve a large cash move: a manager, the one who closes


def cash_move(store: Store, caisse: str, user: User, type_: str, montant: Decimal, reason: str,
              approver: User | None = None, now: datetime | None = None) -> str:
    """ENTREE, SORTIE or REMISE of cash on the open register, with a reason, written once in the cash book and
    linked in the register's chain of moves. Refused when it would take out more cash than the drawer should
    hold; above `move_manager_above` it needs `approver`, a manager authenticated by the caller (a manager's own
    move approves itself). Its id."""
    if type_ not in MOVE_TYPES:
        raise SaleRefused("Choisissez le type du mouvement : entrée d'espèces, sortie d'espèces ou remise en banque.")
    montant = cents(montant)
    if montant <= 0:
        raise SaleRefused("Le montant d'un mouvement d'espèces doit être positif.")
    reason = required_reason(reason, "le mouvement")
    now = now or datetime.now()
    ceiling = store.limits.move_manager_above
    with store.transaction() as con:
        require_now(con, user, "CAISSE_MOUVEMENT")
        id_caisse, id_journee = open_day_of(con, caisse)
        if type_ != "ENTREE":
            expected = day_figures(con, id_journee).expected
            if montant > expected:
                raise SaleRefused(f"{MOVE_TYPES[type_]} de {eur(montant)} refusée : la caisse {caisse} ne doit "
                                  f"contenir que {eur(expected)} d'espèces (fond, encaissements, mouvements), qui ne "
                                  "peuvent pas devenir négatives. Vérifiez le montant.")
        approved = ""
        if montant > ceiling:
            approver = approver or (user if user.can(MANAGER_RIGHT) else None)
            if approver is None:
                raise SaleRefused(f"Un mouvement de plus de {eur(ceiling)} demande le mot de passe d'un responsable "
                                  f"({eur(montant)} demandés).")
            require_now(con, approver, MANAGER_RIGHT)
            approved = f", autorisé par {approver.login}"
        id_mouvement = record_move(con, id_caisse, id_journee, type_, montant, reason, user, now)
        record_event(con, 175, caisse=caisse, login=user.login,
                     detail=f"{MOVE_TYPES[type_]} de {eur(montant)} : {reason}{approved}", now=now)
        return id_mouvement


def record_move(con, id_caisse: int, id_journee: str, type_: str, montant: Decimal, libelle: str, user: User,
                now: datetime) -> str:
    """The one way a cash-book move of this register is written: once, then linked."""
    id_mouvement = new_id()
    con.execute("INSERT INTO t_livre_de_caisse (id_mouvement, id_caisse, id_journee, date_mouvement, type, montant, "
                "libelle, id_utilisateur) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [id_mouvement, id_caisse, id_journee, now, type_, montant, libelle, user.id_utilisateur])
    chains.link(con, "mouvement", id_caisse, id_mouvement, now)
    return id_mouvement


def required_reason(reason: str | None, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise SaleRefused(f"Un motif est obligatoire pour {what}.")
    if refused := too_long(reason, f"Le motif pour {what}"):
        raise SaleRefused(refused)
    return reason
