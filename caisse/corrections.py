"""Corrections on an open register: voided tickets (recorded with who, when and why, never deleted),
parked tickets cancelled at the closing, and cash moves in the cash book."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from .auth import User, require_now
from .errors import SaleRefused
from .journal import audit
from .money import cents, eur
from .sales import new_id, open_day_of, ticket_view
from .store import Store

MOVE_TYPES = {"ENTREE": "Entrée d'espèces", "SORTIE": "Sortie d'espèces", "REMISE": "Remise en banque"}


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
