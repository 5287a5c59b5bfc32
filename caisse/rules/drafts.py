"""What a seller is ringing: a provisional document (R18) kept in the store, never only in a browser, with its
lines and the payments entered so far. It counts nowhere until it is validated (sales.pay_ticket), when the
ticket is written once in t_ticket; a parked one survives a restart and can be resumed; one cancelled at
the closing stays, marked abandoned, with who and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import duckdb

from caisse.common.errors import RegisterNotOpen, SaleRefused
from caisse.common.money import ZERO, cents, eur, plural
from caisse.common.words import too_long
from caisse.fiscal.jet import record_event
from caisse.rules.articles import Line, find_article, make_line
from caisse.rules.auth import User, person, require_now
from caisse.rules.payments import CREDIT_NOTE, PaymentRequest, check_request
from caisse.rules.tickets import TicketLine, TicketPayment, TicketView
from caisse.storage.store import Store, new_id, scalar

EN_COURS, VALIDE, ABANDONNE = "EN_COURS", "VALIDE", "ABANDONNE"


@dataclass(frozen=True)
class LineRequest:
    """An article by code, EAN or id, a quantity and a discount in euros on the line."""

    article: str
    quantite: Decimal = Decimal("1")
    remise: Decimal = ZERO


_CONTEXT = """
    SELECT c.id_caisse, any_value(j.id_journee), count(k.id_connexion) FROM t_caisse c
    LEFT JOIN t_journee j ON j.id_caisse = c.id_caisse AND j.date_fermeture IS NULL
    LEFT JOIN connexion k ON k.id_journee = j.id_journee AND k.id_utilisateur = ? AND k.fin IS NULL
    WHERE c.code = ? GROUP BY c.id_caisse"""


def selling_context(con, caisse: str, user: User) -> tuple[int, str]:
    """(id_caisse, id_journee) when `user` may sell on `caisse` now: the register is open and the seller is
    connected to it (CAISSE_VENDRE is checked at the connection, and rights only change by an import, which
    is refused while a register is open)."""
    rows = con.execute(_CONTEXT, [user.id_utilisateur, caisse]).fetchall()
    if not rows or rows[0][1] is None:
        raise RegisterNotOpen(caisse)
    id_caisse, id_journee, connected = rows[0]
    if not connected:
        raise SaleRefused(f"{user.display} n'a pas de connexion ouverte à la caisse {caisse} : cliquez d'abord sur "
                          "Connecter.")
    return id_caisse, id_journee


def start_draft(store: Store, caisse: str, user: User, now: datetime | None = None) -> str:
    """A new, empty ticket being rung, for a connected seller."""
    with store.transaction() as con:
        id_caisse, id_journee = selling_context(con, caisse, user)
        id_ticket = new_id()
        con.execute("INSERT INTO ticket_attente (id_ticket, id_caisse, id_journee, id_utilisateur, date_creation, "
                    "statut) VALUES (?, ?, ?, ?, ?, 'EN_COURS')",
                    [id_ticket, id_caisse, id_journee, user.id_utilisateur, now or datetime.now()])
        return id_ticket


def is_open(con, id_ticket: str) -> bool:
    """Whether a draft is still being rung (neither validated nor abandoned)."""
    return bool(scalar(con, "SELECT count(*) FROM ticket_attente WHERE id_ticket = ? AND statut = ?",
                       [id_ticket, EN_COURS]))


def editable(con, id_ticket: str, user: User) -> tuple:
    """(id_caisse, id_journee, date_creation, id_utilisateur) of a draft `user` may still change: its own, or
    any with CAISSE_ANNULER (a manager taking over)."""
    require_now(con, user, "CAISSE_VENDRE")
    rows = con.execute("SELECT statut, id_caisse, id_journee, date_creation, id_utilisateur FROM ticket_attente "
                       "WHERE id_ticket = ?", [id_ticket]).fetchall()
    if not rows:
        raise SaleRefused("Ce ticket n'existe pas.")
    if rows[0][0] != EN_COURS:
        raise SaleRefused("Ce ticket est déjà validé ou abandonné : il ne peut plus être modifié.")
    if rows[0][4] != user.id_utilisateur:
        require_now(con, user, "CAISSE_ANNULER")
    return rows[0][1:]


def add_to_draft(store: Store, id_ticket: str, user: User, line: LineRequest) -> TicketView:
    """Add a line; the same article again (without a discount) adds to its line's quantity, unless the setting
    `merge_lines` keeps separate lines."""
    limit = store.limits.max_quantity
    with store.transaction() as con:
        editable(con, id_ticket, user)
        article = find_article(con, line.article)
        same = con.execute("SELECT num_ligne, quantite FROM ligne_attente WHERE id_ticket = ? AND id_article = ? AND "
                           "remise = 0 ORDER BY num_ligne DESC LIMIT 1", [id_ticket, article.id_article]).fetchall()
        if store.limits.merge_lines and same and not line.remise:
            num, quantite = same[0]
            _write_line(con, id_ticket, make_line(num, article, quantite + line.quantite, max_quantity=limit),
                        replace=True)
        else:
            num = scalar(con, "SELECT coalesce(max(num_ligne), 0) + 1 FROM ligne_attente WHERE id_ticket = ?",
                         [id_ticket])
            _write_line(con, id_ticket, make_line(num, article, line.quantite, line.remise, limit))
        return draft_view(con, id_ticket)


def set_quantity(store: Store, id_ticket: str, user: User, num_ligne: int, quantite: Decimal) -> TicketView:
    with store.transaction() as con:
        editable(con, id_ticket, user)
        rows = con.execute("SELECT id_article, remise FROM ligne_attente WHERE id_ticket = ? AND num_ligne = ?",
                           [id_ticket, num_ligne]).fetchall()
        if not rows:
            raise SaleRefused(f"La ligne {num_ligne} n'existe pas sur ce ticket.")
        article = find_article(con, str(rows[0][0]))
        _write_line(con, id_ticket, make_line(num_ligne, article, quantite, rows[0][1], store.limits.max_quantity),
                    replace=True)
        return draft_view(con, id_ticket)


def remove_line(store: Store, id_ticket: str, user: User, num_ligne: int) -> TicketView:
    with store.transaction() as con:
        editable(con, id_ticket, user)
        con.execute("DELETE FROM ligne_attente WHERE id_ticket = ? AND num_ligne = ?", [id_ticket, num_ligne])
        return draft_view(con, id_ticket)


def _write_line(con, id_ticket: str, line: Line, replace: bool = False) -> None:
    if replace:
        con.execute("DELETE FROM ligne_attente WHERE id_ticket = ? AND num_ligne = ?", [id_ticket, line.num_ligne])
    con.execute("INSERT INTO ligne_attente (id_ticket, num_ligne, id_article, code_article, libelle, quantite, "
                "prix_unitaire_ttc, remise, taux_tva, montant_ttc, montant_ht) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [id_ticket, line.num_ligne, line.id_article, line.code_article, line.libelle, line.quantite,
                 line.prix_unitaire_ttc, line.remise, line.taux_tva, line.montant_ttc, line.montant_ht])


def add_payment(store: Store, id_ticket: str, user: User, request: PaymentRequest,
                now: datetime | None = None) -> TicketView:
    """Record a payment handed over, checked now (amount, number, credit note's balance, voucher's state)."""
    with store.transaction() as con:
        editable(con, id_ticket, user)
        view = draft_view(con, id_ticket)
        paid = sum((p.montant for p in view.payments), ZERO)
        remaining = view.total_ttc - paid
        if request.code.upper() == CREDIT_NOTE and 0 < remaining < cents(request.montant):
            request = PaymentRequest(request.code, remaining, request.numero)  # what is due: the rest stays on it
        check_request(con, request, remaining, view.payments, now or datetime.now(), store.limits, view.total_ttc)
        num = scalar(con, "SELECT coalesce(max(num), 0) + 1 FROM reglement_attente WHERE id_ticket = ?", [id_ticket])
        con.execute("INSERT INTO reglement_attente (id_ticket, num, code_moyen, montant, numero_piece)"
                    " VALUES (?, ?, ?, ?, ?)",
                    [id_ticket, num, request.code.upper(), cents(request.montant), (request.numero or "").strip()
                     or None])
        return draft_view(con, id_ticket)


def remove_payment(store: Store, id_ticket: str, user: User, num: int) -> TicketView:
    with store.transaction() as con:
        editable(con, id_ticket, user)
        con.execute("DELETE FROM reglement_attente WHERE id_ticket = ? AND num = ?", [id_ticket, num])
        return draft_view(con, id_ticket)


def draft_lines(con, id_ticket: str) -> list[Line]:
    return [Line(*row) for row in con.execute(
        "SELECT num_ligne, id_article, code_article, libelle, quantite, prix_unitaire_ttc, remise, taux_tva, "
        "montant_ttc, montant_ht FROM ligne_attente WHERE id_ticket = ? ORDER BY num_ligne", [id_ticket]).fetchall()]


def draft_payments(con, id_ticket: str) -> list[PaymentRequest]:
    return [PaymentRequest(code, montant, numero) for code, montant, numero in con.execute(
        "SELECT code_moyen, montant, numero_piece FROM reglement_attente WHERE id_ticket = ? ORDER BY num",
        [id_ticket]).fetchall()]


def draft_view(con: duckdb.DuckDBPyConnection, id_ticket: str) -> TicketView:
    rows = con.execute(f"SELECT d.id_ticket, d.statut, c.code, {person()}, d.date_creation FROM ticket_attente d "
                       "JOIN t_caisse c USING (id_caisse) LEFT JOIN t_utilisateur u USING (id_utilisateur) "
                       "WHERE d.id_ticket = ?", [id_ticket]).fetchall()
    if not rows:
        raise SaleRefused("Ce ticket n'existe pas.")
    ident, statut, caisse, vendeur, created = rows[0]
    lines = draft_lines(con, id_ticket)
    payments = con.execute("SELECT code_moyen, montant, numero_piece, NULL, num FROM reglement_attente "
                           "WHERE id_ticket = ? ORDER BY num", [id_ticket]).fetchall()
    return TicketView(ident, None, statut, caisse, vendeur or "", sum((li.montant_ttc for li in lines), ZERO),
                      sum((li.montant_ht for li in lines), ZERO),
                      [TicketLine(li.num_ligne, li.code_article, li.libelle, li.quantite, li.prix_unitaire_ttc,
                                  li.remise, li.taux_tva, li.montant_ttc) for li in lines],
                      [TicketPayment(*row) for row in payments], date_creation=created)


def parked(con: duckdb.DuckDBPyConnection, caisse: str) -> list[TicketView]:
    """The register's drafts still being rung or parked, oldest first."""
    ids = con.execute("SELECT d.id_ticket FROM ticket_attente d JOIN t_caisse c USING (id_caisse) WHERE c.code = ? "
                      "AND d.statut = 'EN_COURS' AND d.id_journee IN (SELECT id_journee FROM t_journee WHERE "
                      "date_fermeture IS NULL) ORDER BY d.date_creation", [caisse]).fetchall()
    return [draft_view(con, i) for (i,) in ids]


def cancel_draft(store: Store, id_ticket: str, user: User, reason: str, now: datetime | None = None) -> str:
    """Abandon a ticket still being rung (the closing's way out of "tickets en cours"), with a reason: it
    stays, marked abandoned, and the event is in the JET. The sentence to say, with what the customer handed over
    and must get back (cash, credit notes, gift cheques: nothing of it was taken, the ticket was never paid)."""
    reason = (reason or "").strip()
    if not reason:
        raise SaleRefused("Un motif est obligatoire pour abandonner un ticket en cours.")
    if refused := too_long(reason, "Le motif de l'abandon"):
        raise SaleRefused(refused)
    now = now or datetime.now()
    with store.transaction() as con:
        require_now(con, user, "CAISSE_ANNULER")
        view = draft_view(con, id_ticket)
        if view.statut != EN_COURS:
            raise SaleRefused("Ce ticket n'est plus en cours.")
        con.execute("UPDATE ticket_attente SET statut = 'ABANDONNE', date_fin = ?, id_utilisateur_fin = ?, motif = ? "
                    "WHERE id_ticket = ?", [now, user.id_utilisateur, reason, id_ticket])
        labels = dict(con.execute("SELECT code, coalesce(libelle, code) FROM tr_moyen_paiement").fetchall())
        handed = [f"{eur(amount)} en {labels.get(code, code).lower()}" + (f" n°{numero}" if numero else "")
                  for code, amount, numero, *_ in view.payments]
        back = f" ; à rendre au client : {', '.join(handed)}" if handed else ""
        record_event(con, 155, caisse=view.caisse, login=user.login,
                     detail=f"ticket en cours de {view.vendeur} ({eur(view.total_ttc)}, "
                            f"{plural(len(view.lines), 'ligne')}) : {reason}{back}", now=now)
    return ("Ticket abandonné" + (f" : rendez au client ce qu'il avait remis, {', '.join(handed)}." if handed
                                  else "."))
