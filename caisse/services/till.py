"""The counter (le comptoir): what a seller does at the sale screen, one command at a time, on the ticket the
seller's session is ringing (kept in the store: a refresh loses nothing).

Scanner first: a code or an EAN that matches exactly adds the article at once (`3*CODE` for three), the same
article again adds to its line; a variant's EAN adds the model in its size and colour; a model's code opens its
grid of sizes and colours; a seller's login (their badge) names the seller of the next lines; any other text
searches the labels and returns the articles to pick from; an unknown code is said in a sentence. Discounts (a
line's, the ticket's) and forced prices go through the rules' ceilings and rights, a manager's password on the
spot letting one through. Payments are checked as they are added; the change to give is known
before validating; a validation opens the cash drawer when cash was paid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from caisse.common.config import Settings
from caisse.common.errors import CaisseError, SaleRefused
from caisse.common.money import ZERO, eur, parse_amount, parse_quantity, plural, qty
from caisse.common.words import too_long
from caisse.fiscal.jet import record_event
from caisse.paper.printing import open_drawer
from caisse.rules import auth, discounts, drafts
from caisse.rules.articles import VARIANT_KEY, Grid, exact_code, find_articles_exact, model_grid, search_articles
from caisse.rules.auth import require_now
from caisse.rules.payments import CREDIT_NOTE, VOUCHER, PaymentRequest, payment_methods, voucher_rest, voucher_value
from caisse.rules.sales import connected_sellers, pay_ticket
from caisse.rules.sessions import Session, attach_ticket, clear_confirmation
from caisse.rules.tickets import TicketView, ticket_view
from caisse.services.workflow import print_note, print_receipt
from caisse.storage.store import Store

_QUANTITY = re.compile(r"^\s*(\d+(?:[.,]\d{1,3})?)\s*[*xX×]\s*(\S.*?)\s*$")
NOTES = [Decimal(n) for n in ("5", "10", "20", "50", "100", "200", "500")]
SEARCH_LIMIT = 8


@dataclass(frozen=True)
class Method:
    code: str
    libelle: str
    especes: bool
    rendu: bool
    numero: bool  # needs a number (credit note, voucher)


@dataclass
class Outcome:
    """What a command did: a sentence for the seller (an error is `ok=False`), articles to pick from."""

    ok: bool = True
    message: str = ""
    results: list[tuple[str, str, str]] = field(default_factory=list)  # code, label, price
    warnings: list[str] = field(default_factory=list)
    grid: dict | None = None  # a model's sizes and colours to pick from (pages.browser.scanner's `grid`)
    needs_manager: bool = False  # refused for want of a manager's approval: the screen asks for one


@dataclass
class Counter:
    """What the sale screen shows, read in two queries (the draft's lines, then its payments)."""

    ticket: TicketView | None
    total: Decimal
    paid: Decimal
    remaining: Decimal  # still to pay (0 when covered)
    change: Decimal  # to give back, from the cash handed over
    confirmation: TicketView | None  # the last ticket validated, shown until the next scan
    quick_cash: list[Decimal]  # the exact amount, then the next notes
    reste_cheque: Decimal = ZERO  # a gift cheque's value beyond the ticket: a credit note at validation (or lost)


def methods(store: Store) -> list[Method]:
    with store.connect() as con:
        return [Method(code, libelle, bool(especes), bool(rendu), bool(numero))
                for code, libelle, especes, rendu, numero in payment_methods(con)]


def counter(store: Store, session: Session) -> Counter:
    ticket = None
    with store.connect() as con:
        if session.id_ticket:
            ticket = drafts.draft_view(con, session.id_ticket)
            if ticket.statut != drafts.EN_COURS:
                ticket = None
        confirmation = ticket_view(con, session.dernier_ticket) if session.dernier_ticket and not (
            ticket and ticket.lines) else None
    total = ticket.total_ttc if ticket else ZERO
    paid = sum((p.montant for p in ticket.payments), ZERO) if ticket else ZERO
    remaining = max(total - paid, ZERO)
    rest = ZERO
    if ticket and ticket.lines:
        cash = {m.code for m in methods(store) if m.rendu}
        rest = voucher_rest([PaymentRequest(p.code, p.montant, p.numero) for p in ticket.payments], total, cash)
    change = max(paid - total - rest, ZERO) if ticket and ticket.lines else ZERO
    return Counter(ticket, total, paid, remaining, change, confirmation, quick_amounts(remaining, store.limits), rest)


def quick_amounts(remaining: Decimal, limits=None) -> list[Decimal]:
    """The exact amount, then the next notes above it (5, 10, 20, 50, 100 €; above 100 €, the next round
    tens and hundreds), for a cash payment in one touch."""
    if remaining <= 0:
        return []
    rounded = {(remaining // step + 1) * step for step in (Decimal("10"), Decimal("50"), Decimal("100"))}
    above = sorted({n for n in NOTES if n > remaining} | rounded)
    if limits is not None:  # never a button the tender check would refuse
        ceiling = min(limits.max_cash, max(remaining * limits.max_cash_factor, limits.largest_note))
        above = [n for n in above if n <= ceiling]
    return [remaining] + above[:3]


def _draft(store: Store, session: Session) -> str:
    """The draft the session rings, started when there is none."""
    if session.id_ticket:
        with store.connect() as con:
            if drafts.is_open(con, session.id_ticket):
                return session.id_ticket
    if not session.caisse:
        raise SaleRefused("Connectez-vous d'abord à une caisse ouverte (écran Ouverture, Connecter).")
    attach_ticket(store, session, drafts.start_draft(store, session.caisse, session.user))
    return session.id_ticket


def scan(store: Store, session: Session, text: str) -> Outcome:
    """What the scanner (or the keyboard) typed, then Enter."""
    text = (text or "").strip()
    if not text:
        return Outcome()
    quantity = Decimal("1")
    match = _QUANTITY.match(text)
    if match:
        quantity, text = parse_quantity(match.group(1)), match.group(2)
    with store.connect() as con:
        exact = exact_code(con, text)
        found = [] if exact else search_articles(con, text, SEARCH_LIMIT + 1)
    if exact:
        return add(store, session, exact, quantity)
    if not match:
        with store.connect() as con:
            voucher = voucher_code(con, text)
            seller = None if voucher or found else drafts.seller_of(con, text)
        if voucher:  # a credit note's or a gift cheque's number (its printed barcode): taken as that payment
            return pay(store, session, voucher, None, text)
        if seller:  # a seller's badge: the next lines are theirs
            return next_seller(store, session, text)
    if not found:
        return Outcome(False, f"« {text} » : aucun article n'a ce code, cet EAN ou ce libellé.")
    if len(found) == 1 and match:
        return add(store, session, found[0][0], quantity)
    results = [(code, label, eur(price)) for code, _, label, price in found[:SEARCH_LIMIT]]
    more = " (les premiers ; précisez la recherche)" if len(found) > SEARCH_LIMIT else ""
    return Outcome(True, f"{plural(len(results), 'article')} pour « {text} »{more} : choisissez avec les flèches "
                         "puis Entrée.", results)


def add(store: Store, session: Session, code: str, quantity: Decimal = Decimal("1")) -> Outcome:
    """Add an article (a variant, by its key), or open the model's grid when it is sold by size and colour."""
    if not code.startswith(VARIANT_KEY):
        with store.connect() as con:  # a model (its variants counted by the lookup) opens its grid
            found = find_articles_exact(con, [code])[code]
            grid = model_grid(con, code) if found.variants and found.id_declinaison is None else None
        if grid:
            return Outcome(True, f"{grid.model.libelle} : choisissez la taille et la couleur (flèches puis Entrée, "
                                 "Échap pour fermer ; prix en euros).", grid=grid_data(grid))
    id_ticket = _draft(store, session)
    view = drafts.add_to_draft(store, id_ticket, session.user, drafts.LineRequest(code, quantity))
    if session.dernier_ticket:
        clear_confirmation(store, session)
    line = max(view.lines, key=lambda li: li.num) if view.lines else None
    return Outcome(True, f"{line.named} : {qty(line.quantite)} × {eur(line.prix_unitaire_ttc)}" if line else "")


def grid_data(grid: Grid, command: dict | None = None, selected: str | None = None) -> dict:
    """A model's grid as the scanner field draws it: sizes across, colours down, a price per cell."""
    return {"title": f"{grid.model.libelle} ({grid.model.code})", "sizes": grid.sizes,
            "colours": grid.colours, "selected": selected,
            "cells": [[{"code": grid.cells[(c, s)][0], "price": eur(grid.cells[(c, s)][1]).removesuffix(" €")}
                       if (c, s) in grid.cells else None for s in grid.sizes] for c in grid.colours],
            "command": command or {"kind": "pick"}}


def size_grid(store: Store, session: Session, num_ligne: int) -> Outcome:
    """« Same model, other size »: the grid of a line's model, a pick changing that line."""
    state = counter(store, session)
    line = next((li for li in (state.ticket.lines if state.ticket else []) if li.num == num_ligne), None)
    if line is None:
        raise SaleRefused(f"La ligne {num_ligne} n'existe pas sur ce ticket.")
    with store.connect() as con:
        grid = model_grid(con, line.code)
        selected = drafts.variant_of_line(con, state.ticket.id_ticket, num_ligne)
    if grid is None:
        raise SaleRefused(f"{line.libelle} n'a pas de tailles ni de couleurs.")
    return Outcome(True, f"{line.named} : choisissez l'autre taille ou couleur (flèches puis Entrée).",
                   grid=grid_data(grid, {"kind": "change_size", "num": num_ligne}, selected))


def change_size(store: Store, session: Session, num_ligne: int, code: str, manager: str | None = None,
                password: str | None = None) -> Outcome:
    def run_it():
        view = drafts.change_variant(store, _draft(store, session), session.user, num_ligne, code,
                                     _approver(store, session, manager, password))
        line = next(li for li in view.lines if li.num == num_ligne)
        return Outcome(True, f"Ligne changée : {line.named}, {eur(line.prix_unitaire_ttc)}.")
    return _approval(run_it)


def _approver(store: Store, session: Session, login: str | None, password: str | None):
    """The manager who lets a discount or a price through, by their password typed on the spot (None if none)."""
    if not (login or "").strip():
        return None
    return auth.login(store, login.strip(), password or "", caisse=session.caisse, sign_in=False)


def _approval(run_it) -> Outcome:
    try:
        return run_it()
    except discounts.ApprovalNeeded as e:
        return Outcome(False, str(e), needs_manager=True)


def discount_line(store: Store, session: Session, num_ligne: int, typed: str, reason: str,
                  manager: str | None = None, password: str | None = None) -> Outcome:
    """A discount on one line (« 10 % » or « 5,00 »), with its reason."""
    def run_it():
        approver = _approver(store, session, manager, password)
        view = drafts.discount_line(store, _draft(store, session), session.user, num_ligne,
                                    discounts.typed_discount(typed), reason, approver)
        line = next(li for li in view.lines if li.num == num_ligne)
        if not line.own_discount:
            return Outcome(True, f"Remise retirée : {line.named}.")
        return Outcome(True, f"Remise de {eur(line.own_discount)} sur {line.named} ({line.motif_remise}).")
    return _approval(run_it)


def discount_ticket(store: Store, session: Session, typed: str, reason: str, manager: str | None = None,
                    password: str | None = None) -> Outcome:
    """A discount on the whole ticket (« 5 % » or « 5,00 »), with its reason, spread over the lines."""
    def run_it():
        view = drafts.discount_ticket(store, _draft(store, session), session.user, discounts.typed_discount(typed),
                                      reason, _approver(store, session, manager, password))
        if not view.remise_ticket:
            return Outcome(True, "Remise sur le ticket retirée.")
        return Outcome(True, f"Remise de {eur(view.remise_ticket)} sur le ticket ({view.motif_remise}).")
    return _approval(run_it)


def force_price(store: Store, session: Session, num_ligne: int, price: str, reason: str, manager: str | None = None,
                password: str | None = None) -> Outcome:
    """A line's unit price forced (empty: the catalogue's price back)."""
    def run_it():
        amount = parse_amount(price, "Le prix forcé") if (price or "").strip() else None
        view = drafts.force_price(store, _draft(store, session), session.user, num_ligne, amount, reason,
                                  _approver(store, session, manager, password))
        line = next(li for li in view.lines if li.num == num_ligne)
        if line.prix_force is None:
            return Outcome(True, f"Prix du catalogue rendu à {line.named} : {eur(line.prix_unitaire_ttc)}.")
        return Outcome(True, f"Prix de {line.named} forcé à {eur(line.prix_force)} (au lieu de "
                             f"{eur(line.prix_unitaire_ttc)}).")
    return _approval(run_it)


def next_seller(store: Store, session: Session, login: str) -> Outcome:
    name = drafts.set_next_seller(store, _draft(store, session), session.user, login)
    return Outcome(True, f"Vendeur des prochaines lignes : {name}.")


def line_seller(store: Store, session: Session, num_ligne: int, login: str) -> Outcome:
    name = drafts.set_line_seller(store, _draft(store, session), session.user, num_ligne, login)
    return Outcome(True, f"Ligne {num_ligne} : vendue par {name}.")


def discount_reasons(store: Store) -> list[tuple[str, str]]:
    with store.connect() as con:
        return discounts.reasons(con)


def sellers(store: Store, caisse: str) -> list[tuple[str, str]]:
    """(login, name) of the sellers connected to the register's open day, who may be named on a line."""
    with store.connect() as con:
        rows = con.execute("SELECT j.id_journee FROM t_journee j JOIN t_caisse c USING (id_caisse) WHERE c.code = ? "
                           "AND j.date_fermeture IS NULL", [caisse]).fetchall()
        return [(login, name or login) for login, name, _ in connected_sellers(con, rows[0][0])] if rows else []


def voucher_code(con, text: str) -> str | None:
    """The payment method of a credit note's or a gift cheque's number, or None when it is neither."""
    if con.execute("SELECT count(*) FROM t_avoir WHERE numero = ?", [text]).fetchall()[0][0]:
        return CREDIT_NOTE
    if con.execute("SELECT count(*) FROM t_cheque_cadeau WHERE numero = ?", [text]).fetchall()[0][0]:
        return VOUCHER
    return None


def pay(store: Store, session: Session, code: str, amount: Decimal | str | None = None,
        numero: str | None = None) -> Outcome:
    """A payment handed over with one method (`amount` None: what is left to pay; for a credit note, what it
    still holds up to that; for a gift cheque, its value, its rest then a credit note at validation)."""
    state = counter(store, session)
    if not state.ticket or not state.ticket.lines:
        raise SaleRefused("Scannez d'abord un article : le ticket est vide.")
    numero = (numero or "").strip() or None
    if amount is None or (isinstance(amount, str) and not amount.strip()):
        if state.remaining <= 0:
            raise SaleRefused("Le ticket est déjà payé : validez-le.")
        amount = state.remaining
        if code in (CREDIT_NOTE, VOUCHER) and numero:
            with store.connect() as con:
                value = voucher_value(con, code, numero, datetime.now())
            amount = min(value, state.remaining) if code == CREDIT_NOTE else value
    elif isinstance(amount, str):
        amount = parse_amount(amount, "Le montant")
    view = drafts.add_payment(store, state.ticket.id_ticket, session.user, PaymentRequest(code, amount, numero))
    if code == CREDIT_NOTE and numero:
        used = view.payments[-1].montant
        with store.connect() as con:
            left = voucher_value(con, code, numero, datetime.now()) - used
        return Outcome(True, f"Avoir n°{numero} : {eur(used)} utilisés" + (f", il y restera {eur(left)}." if left > 0
                                                                          else "."))
    if code == VOUCHER and numero:
        after = counter(store, session)
        if after.reste_cheque:
            where = ("remis au client en avoir à la validation" if store.limits.cheque_cadeau_reste == "avoir"
                     else "perdu (réglage cheque_cadeau_reste)")
            return Outcome(True, f"Chèque cadeau n°{numero} ({eur(amount)}) : le reste, {eur(after.reste_cheque)}, "
                                 f"sera {where}.")
    return Outcome(True, "")


def remove_payment(store: Store, session: Session, num: int) -> Outcome:
    drafts.remove_payment(store, _draft(store, session), session.user, num)
    return Outcome()


def set_quantity(store: Store, session: Session, num_ligne: int, quantity: str | Decimal,
                 manager: str | None = None, password: str | None = None) -> Outcome:
    """A line's quantity (a discount in euros on fewer pieces may then exceed the ceiling: a manager, again)."""
    quantity = parse_quantity(quantity) if isinstance(quantity, str) else quantity

    def run_it():
        drafts.set_quantity(store, _draft(store, session), session.user, num_ligne, quantity,
                            _approver(store, session, manager, password))
        return Outcome()
    return _approval(run_it)


def remove_line(store: Store, session: Session, num_ligne: int) -> Outcome:
    drafts.remove_line(store, _draft(store, session), session.user, num_ligne)
    return Outcome()


def validate(store: Store, settings: Settings, session: Session, now: datetime | None = None,
             manager: str | None = None, password: str | None = None) -> Outcome:
    """Validate the ticket with the payments entered; its receipt archived (printed when asked), the drawer
    opened when cash was paid. A second call (a double click) finds nothing to validate and says the last one.
    A ticket's discount that now exceeds the seller's ceiling (its basket changed) asks for a manager."""
    state = counter(store, session)
    if not state.ticket or not state.ticket.lines:
        if state.confirmation:
            return Outcome(True, confirmation_text(state.confirmation))
        raise SaleRefused("Le ticket est vide : scannez un article.")
    try:
        done = pay_ticket(store, state.ticket.id_ticket, session.user, now=now,
                          approver=_approver(store, session, manager, password))
    except discounts.ApprovalNeeded as e:
        return Outcome(False, str(e), needs_manager=True)
    attach_ticket(store, session, None, validated=done.id_ticket)
    outcome = Outcome(True, confirmation_text(done))
    printed = print_receipt(store, settings, done, session.user)
    if printed.warning:
        outcome.warnings.append(f"Le ticket est validé, mais {printed.warning}")
    cash = {m.code for m in methods(store) if m.especes}
    if any(p.code in cash for p in done.payments):
        warning = open_drawer(settings)
        if warning:
            outcome.warnings.append(f"Le ticket est validé, mais le tiroir ne s'est pas ouvert : {warning}")
    return outcome


def confirmation_text(ticket: TicketView) -> str:
    return (f"Ticket n°{ticket.numero} validé : {eur(ticket.total_ttc)}"
            + (f" · à rendre {eur(ticket.rendu)}" if ticket.rendu else "")
            + (f" · reste du chèque cadeau : {eur(ticket.reste_cheque)}" if ticket.reste_cheque else "") + ".")


def park(store: Store, session: Session) -> Outcome:
    """Put the ticket aside (it stays in the store) and start with an empty one."""
    state = counter(store, session)
    if not state.ticket or not state.ticket.lines:
        return Outcome(False, "Le ticket est vide : rien à mettre en attente.")
    attach_ticket(store, session, None)
    return Outcome(True, "Ticket mis en attente : reprenez-le avec le bouton « Reprise ».")


def resume(store: Store, session: Session, id_ticket: str) -> Outcome:
    """Take a parked ticket back (the current one, if it has lines, is parked in its place)."""
    with store.connect() as con:
        drafts.editable(con, id_ticket, session.user)
    attach_ticket(store, session, id_ticket)
    return Outcome(True, "Ticket repris.")


def note(store: Store, settings: Settings, session: Session) -> Outcome:
    """A provisional note of the ticket being rung (R18): « DOCUMENT PROVISOIRE », counted nowhere."""
    state = counter(store, session)
    if not state.ticket or not state.ticket.lines:
        raise SaleRefused("Le ticket est vide : rien à mettre sur une note provisoire.")
    printed = print_note(store, settings, state.ticket.id_ticket, session.caisse, session.user)
    if printed.warning:
        return Outcome(False, printed.warning)
    return Outcome(True, "Note provisoire imprimée (elle ne vaut pas ticket : le ticket sera remis au paiement).")


def drawer(store: Store, settings: Settings, session: Session, reason: str, now: datetime | None = None) -> Outcome:
    """Open the cash drawer outside a sale: a right, a reason, an event (170)."""
    reason = (reason or "").strip()
    if not reason:
        raise SaleRefused("Un motif est obligatoire pour ouvrir le tiroir hors vente.")
    if refused := too_long(reason, "Le motif d'ouverture du tiroir"):
        raise SaleRefused(refused)
    with store.transaction() as con:
        require_now(con, session.user, "CAISSE_TIROIR")
        record_event(con, 170, caisse=session.caisse, login=session.user.login, detail=reason, now=now)
    warning = open_drawer(settings)
    return Outcome(not warning, warning or "Tiroir ouvert (enregistré au journal).")


def run(store: Store, settings: Settings, session: Session, command: dict) -> Outcome:
    """One command of the sale screen (from the scanner field, a shortcut or a button), as a sentence."""
    kind = command.get("kind")
    try:
        if kind == "scan":
            return scan(store, session, command.get("text", ""))
        if kind == "pick":
            return add(store, session, command["code"])
        if kind == "change_size":
            return change_size(store, session, int(command["num"]), command["code"], command.get("manager"),
                               command.get("password"))
        if kind == "size_grid":
            return size_grid(store, session, int(command["num"]))
        if kind == "discount_line":
            return discount_line(store, session, int(command["num"]), command.get("amount", ""),
                                 command.get("reason", ""), command.get("manager"), command.get("password"))
        if kind == "discount_ticket":
            return discount_ticket(store, session, command.get("amount", ""), command.get("reason", ""),
                                   command.get("manager"), command.get("password"))
        if kind == "force_price":
            return force_price(store, session, int(command["num"]), command.get("price", ""),
                               command.get("reason", ""), command.get("manager"), command.get("password"))
        if kind == "line_seller":
            return line_seller(store, session, int(command["num"]), command["login"])
        if kind == "next_seller":
            return next_seller(store, session, command["login"])
        if kind == "pay":
            return pay(store, session, command["code"], command.get("amount"), command.get("numero"))
        if kind == "validate":
            return validate(store, settings, session, manager=command.get("manager"),
                            password=command.get("password"))
        if kind == "remove_payment":
            return remove_payment(store, session, int(command["num"]))
        if kind == "remove_line":
            return remove_line(store, session, int(command["num"]))
        if kind == "quantity":
            return set_quantity(store, session, int(command["num"]), str(command["quantity"]),
                                command.get("manager"), command.get("password"))
        if kind == "park":
            return park(store, session)
        if kind == "resume":
            return resume(store, session, command["id"])
        if kind == "note":
            return note(store, settings, session)
    except CaisseError as e:
        return Outcome(False, str(e))
    return Outcome(False, "Action inconnue.")
