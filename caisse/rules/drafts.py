"""What a seller is ringing: a provisional document (R18) kept in the store, never only in a browser, with its
lines and the payments entered so far. It counts nowhere until it is validated (sales.pay_ticket), when the
ticket is written once in t_ticket; a parked one survives a restart and can be resumed; one cancelled at
the closing stays, marked abandoned, with who and why.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

import duckdb

from caisse.common.errors import RegisterNotOpen, SaleRefused
from caisse.common.money import ZERO, cents, eur, plural
from caisse.common.words import too_long
from caisse.fiscal.jet import record_event
from caisse.rules import discounts
from caisse.rules.articles import LINE_COLUMNS, Line, find_article, make_line, spread_ticket_discount, variant_key
from caisse.rules.auth import User, person, require_now
from caisse.rules.payments import CREDIT_NOTE, PaymentRequest, check_request
from caisse.rules.tickets import TicketPayment, TicketView, astuple_line, ticket_line
from caisse.storage.store import Store, new_id, scalar

EN_COURS, VALIDE, ABANDONNE = "EN_COURS", "VALIDE", "ABANDONNE"
_KEEP = object()  # a value a line keeps when it is made again


@dataclass(frozen=True)
class LineRequest:
    """An article by code, EAN or id (or a variant's EAN, `declinaison:ID`), a quantity; what the CLI's `caisse sell`
    may add: a discount in euros or in % with its reason, a forced price, the line's seller (a login)."""

    article: str
    quantite: Decimal = Decimal("1")
    remise: Decimal = ZERO
    taux_remise: Decimal | None = None
    prix_force: Decimal | None = None
    motif: str | None = None
    vendeur: str | None = None


@dataclass(frozen=True)
class TicketDiscount:
    """A discount on the whole ticket: an amount in euros or a percentage, and its reason."""

    remise: Decimal | None = None
    taux: Decimal | None = None
    motif: str | None = None

    def amount(self, base: Decimal) -> Decimal:
        return cents(base * self.taux / 100) if self.taux is not None else cents(self.remise or ZERO)


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
    """Add a line; the same article again adds to its line's quantity (one without a discount, of the same seller),
    unless the setting `merge_lines` keeps separate lines. A discount is given afterwards (discount_line)."""
    limit = store.limits.max_quantity
    with store.transaction() as con:
        editable(con, id_ticket, user)
        article = find_article(con, line.article)
        if article.variants and article.id_declinaison is None:
            raise SaleRefused(f"{article.libelle} se vend par taille et couleur : choisissez-les dans sa grille.")
        seller = next_seller(con, id_ticket, user)
        same = con.execute("SELECT num_ligne, quantite FROM ligne_attente WHERE id_ticket = ? AND id_article = ? AND "
                           "id_declinaison IS NOT DISTINCT FROM ? AND id_vendeur IS NOT DISTINCT FROM ? AND "
                           "remise = 0 AND prix_force IS NULL ORDER BY num_ligne DESC LIMIT 1",
                           [id_ticket, article.id_article, article.id_declinaison, seller]).fetchall()
        if line.remise or line.taux_remise or line.prix_force is not None:  # never past the ceilings and rights
            raise SaleRefused("Une remise ou un prix forcé se donne sur la ligne une fois ajoutée (« Modifier une "
                              "ligne »), avec son motif.")
        if store.limits.merge_lines and same:
            num, quantite = same[0]
            _write_line(con, id_ticket, make_line(num, article, quantite + line.quantite, max_quantity=limit,
                                                  id_vendeur=seller), replace=True)
        else:
            num = scalar(con, "SELECT coalesce(max(num_ligne), 0) + 1 FROM ligne_attente WHERE id_ticket = ?",
                         [id_ticket])
            _write_line(con, id_ticket, make_line(num, article, line.quantite, max_quantity=limit, id_vendeur=seller))
        return draft_view(con, id_ticket)


def next_seller(con, id_ticket: str, user: User) -> int:
    """The seller the draft's next line names: the one chosen for the next lines (a badge scanned), else the
    one ringing."""
    chosen = scalar(con, "SELECT id_vendeur FROM ticket_attente WHERE id_ticket = ?", [id_ticket])
    return chosen or user.id_utilisateur


def seller_of(con, text: str) -> tuple[int, str] | None:
    """(id, name) of the active seller whose login (or badge code: the same login scanned) is `text`, or None."""
    rows = con.execute(f"SELECT u.id_utilisateur, {person()} FROM t_utilisateur u WHERE lower(u.login) = lower(?) "
                       "AND coalesce(u.actif, true)", [(text or "").strip()]).fetchall()
    return rows[0] if rows else None


def set_next_seller(store: Store, id_ticket: str, user: User, login: str) -> str:
    """The seller of the draft's next lines (a seller's badge scanned, or chosen): their name."""
    with store.transaction() as con:
        editable(con, id_ticket, user)
        found = _seller(con, login)
        con.execute("UPDATE ticket_attente SET id_vendeur = ? WHERE id_ticket = ?", [found[0], id_ticket])
        return found[1]


def set_line_seller(store: Store, id_ticket: str, user: User, num_ligne: int, login: str) -> str:
    """One line's seller changed: their name."""
    with store.transaction() as con:
        editable(con, id_ticket, user)
        line = _line(con, id_ticket, num_ligne)
        found = _seller(con, login)
        _write_line(con, id_ticket, replace(line, id_vendeur=found[0]), replace=True,
                    allowed=_approved(con, id_ticket, num_ligne))
        return found[1]


def _seller(con, login: str) -> tuple[int, str]:
    found = seller_of(con, login)
    if found is None:
        raise SaleRefused(f"Aucun vendeur actif n'a l'identifiant « {login} ».")
    require_seller = con.execute("""
        SELECT count(*) FROM t_utilisateur u JOIN tr_groupe_droit g ON g.id_utilisateur_groupe = u.id_utilisateur_groupe
        AND g.autorise JOIN tr_fonctionnalite f ON f.id_fonctionnalite = g.id_fonctionnalite
        WHERE u.id_utilisateur = ? AND f.code = 'CAISSE_VENDRE'""", [found[0]]).fetchall()[0][0]
    if not require_seller:
        raise SaleRefused(f"{found[1]} n'a pas le droit de vendre : une ligne ne peut pas lui être attribuée.")
    return found


def _line(con, id_ticket: str, num_ligne: int) -> Line:
    for line in draft_lines(con, id_ticket):
        if line.num_ligne == num_ligne:
            return line
    raise SaleRefused(f"La ligne {num_ligne} n'existe pas sur ce ticket.")


def _rebuilt(con, line: Line, max_quantity: Decimal, *, quantite: Decimal | None = None, article=None,
             remise: Decimal | None = None, taux_remise: Decimal | None = None, prix_force=_KEEP,
             motif: str | None = _KEEP) -> Line:
    """A draft line made again after a change (its quantity, its size, its discount, its price), keeping the rest:
    a discount typed in % follows the new amount, one in euros stays."""
    article = article or find_article(con, variant_key(line.id_declinaison) if line.id_declinaison
                                      else str(line.id_article))
    quantite = line.quantite if quantite is None else quantite
    forced = line.prix_force if prix_force is _KEEP else prix_force
    if remise is None and taux_remise is None:
        taux_remise = line.taux_remise
        own = line.remise - line.forced_gap
        remise = own if taux_remise is None else ZERO
    return make_line(line.num_ligne, article, quantite, remise or ZERO, max_quantity, taux_remise=taux_remise,
                     prix_force=forced, motif_remise=line.motif_remise if motif is _KEEP else motif,
                     id_vendeur=line.id_vendeur)


def _allowed(con, user: User, line: Line, approver: User | None, id_caisse: int, now, approved=None):
    """The line's own discount checked against the seller's ceiling (again after a change of quantity or size: a
    discount in euros on fewer pieces is a larger share), or what a manager approved before, or `approver`: the
    amount a manager has approved (kept on the draft line), or None."""
    own = line.own_discount - line.forced_gap
    if not own or (approved is not None and own <= approved):
        return approved
    said = discounts.authorise(con, user, "ligne", own, line.montant_ttc + own, approver, _code(con, id_caisse),
                               f"remise sur {line.named} (motif {line.motif_remise})", now)
    return own if said else None


def _approved(con, id_ticket: str, num_ligne: int):
    return scalar(con, "SELECT remise_autorisee FROM ligne_attente WHERE id_ticket = ? AND num_ligne = ?",
                  [id_ticket, num_ligne])


def discount_line(store: Store, id_ticket: str, user: User, num_ligne: int, typed: tuple, reason: str,
                  approver: User | None = None, now: datetime | None = None) -> TicketView:
    """A discount on one line (`typed`: (euros, None) or (None, %), as discounts.typed_discount reads it), with its
    reason; within the seller's ceiling, or let through by a manager (recorded). (0, None) takes it off."""
    now = now or datetime.now()
    with store.transaction() as con:
        id_caisse = editable(con, id_ticket, user)[0]
        line = _line(con, id_ticket, num_ligne)
        euros, pct = typed
        if not (euros or pct):
            _write_line(con, id_ticket, _rebuilt(con, line, store.limits.max_quantity, remise=ZERO, motif=None),
                        replace=True)
            return draft_view(con, id_ticket)
        code = discounts.reason_code(con, reason)
        new = _rebuilt(con, line, store.limits.max_quantity, remise=euros or ZERO, taux_remise=pct, motif=code)
        allowed = _allowed(con, user, new, approver, id_caisse, now)
        _write_line(con, id_ticket, new, replace=True, allowed=allowed)
        return draft_view(con, id_ticket)


def force_price(store: Store, id_ticket: str, user: User, num_ligne: int, price: Decimal | None, reason: str,
                approver: User | None = None, now: datetime | None = None) -> TicketView:
    """A line's unit price forced (CAISSE_PRIX_FORCE, or a manager's), recorded as such on the line: the catalogue's
    price stays its unit price, the gap is a discount with its reason. `price` None gives the catalogue's back."""
    now = now or datetime.now()
    with store.transaction() as con:
        id_caisse = editable(con, id_ticket, user)[0]
        line = _line(con, id_ticket, num_ligne)
        if price is None:
            _write_line(con, id_ticket, _rebuilt(con, line, store.limits.max_quantity, prix_force=None), replace=True,
                        allowed=_approved(con, id_ticket, num_ligne))
            return draft_view(con, id_ticket)
        code = discounts.reason_code(con, reason)
        new = _rebuilt(con, line, store.limits.max_quantity, prix_force=price, motif=code)
        discounts.authorise_price(con, user, approver, _code(con, id_caisse),
                                  f"prix de {new.named} forcé à {eur(new.prix_force)} au lieu de "
                                  f"{eur(new.prix_unitaire_ttc)} (motif {code})", now)
        _write_line(con, id_ticket, new, replace=True, allowed=_approved(con, id_ticket, num_ligne))
        return draft_view(con, id_ticket)


def discount_ticket(store: Store, id_ticket: str, user: User, typed: tuple, reason: str,
                    approver: User | None = None, now: datetime | None = None) -> TicketView:
    """A discount on the whole ticket, spread over its lines at validation (and on screen): within the seller's
    ceiling on a ticket, or let through by a manager (recorded). (0, None) takes it off."""
    now = now or datetime.now()
    with store.transaction() as con:
        id_caisse = editable(con, id_ticket, user)[0]
        euros, pct = typed
        if not (euros or pct):
            con.execute("UPDATE ticket_attente SET remise_ticket = NULL, taux_remise_ticket = NULL, "
                        "motif_remise = NULL WHERE id_ticket = ?", [id_ticket])
            return draft_view(con, id_ticket)
        code = discounts.reason_code(con, reason)
        lines = draft_lines(con, id_ticket)
        if not lines:
            raise SaleRefused("Le ticket est vide : scannez d'abord les articles, puis faites la remise.")
        base = sum((line.montant_ttc for line in lines), ZERO)
        asked = TicketDiscount(euros, pct, code)
        amount = asked.amount(base)
        spread_ticket_discount(lines, amount)  # refused here when it is more than the ticket
        said = discounts.authorise(con, user, "ticket", amount, base, approver, _code(con, id_caisse),
                                   f"remise sur le ticket (motif {code})", now)
        con.execute("UPDATE ticket_attente SET remise_ticket = ?, taux_remise_ticket = ?, motif_remise = ?, "
                    "remise_autorisee = ? WHERE id_ticket = ?",
                    [euros if pct is None else None, pct, code, amount if said else None, id_ticket])
        return draft_view(con, id_ticket)


def check_ticket_discount(con, id_ticket: str, user: User, approver: User | None, now) -> None:
    """At validation: the ticket's discount as it now comes out (a % of a basket that grew, euros on one that
    shrank) within the seller's ceiling, or what a manager approved, or `approver` (ApprovalNeeded otherwise)."""
    asked = ticket_discount(con, id_ticket)
    lines = draft_lines(con, id_ticket)
    base = sum((line.montant_ttc for line in lines), ZERO)
    amount = asked.amount(base)
    approved = scalar(con, "SELECT remise_autorisee FROM ticket_attente WHERE id_ticket = ?", [id_ticket])
    if amount and not (approved is not None and amount <= approved):
        caisse = scalar(con, "SELECT c.code FROM ticket_attente d JOIN t_caisse c USING (id_caisse) WHERE "
                             "d.id_ticket = ?", [id_ticket])
        discounts.authorise(con, user, "ticket", amount, base, approver, caisse,
                            f"remise sur le ticket (motif {asked.motif}), au moment de valider", now)


def change_variant(store: Store, id_ticket: str, user: User, num_ligne: int, key: str,
                   approver: User | None = None, now: datetime | None = None) -> TicketView:
    """« Same model, other size »: a line's variant replaced by another of the same model (its quantity, discount
    and seller kept; its price the new variant's)."""
    with store.transaction() as con:
        id_caisse = editable(con, id_ticket, user)[0]
        line = _line(con, id_ticket, num_ligne)
        article = find_article(con, key)
        if article.id_article != line.id_article or article.id_declinaison is None:
            raise SaleRefused(f"« {key} » n'est pas une taille ou une couleur de {line.libelle}.")
        new = _rebuilt(con, line, store.limits.max_quantity, article=article)
        allowed = _allowed(con, user, new, approver, id_caisse, now or datetime.now(),
                           _approved(con, id_ticket, num_ligne))
        _write_line(con, id_ticket, new, replace=True, allowed=allowed)
        return draft_view(con, id_ticket)


def variant_of_line(con, id_ticket: str, num_ligne: int) -> str | None:
    """The key of a draft line's variant (the cell its grid starts on)."""
    found = scalar(con, "SELECT id_declinaison FROM ligne_attente WHERE id_ticket = ? AND num_ligne = ?",
                   [id_ticket, num_ligne])
    return variant_key(found) if found else None


def ticket_discount(con, id_ticket: str) -> TicketDiscount:
    rows = con.execute("SELECT remise_ticket, taux_remise_ticket, motif_remise FROM ticket_attente WHERE id_ticket = ?",
                       [id_ticket]).fetchall()
    return TicketDiscount(*rows[0]) if rows else TicketDiscount()


def lines_to_record(con, id_ticket: str) -> tuple[list[Line], tuple | None]:
    """The draft's lines as the ticket will hold them (the ticket's discount spread over them), and that discount
    (amount, %, reason) for t_ticket, or None."""
    return _spread(draft_lines(con, id_ticket), ticket_discount(con, id_ticket))


def _spread(lines: list[Line], asked: TicketDiscount) -> tuple[list[Line], tuple | None]:
    amount = asked.amount(sum((line.montant_ttc for line in lines), ZERO))
    if not amount:
        return lines, None
    return spread_ticket_discount(lines, amount), (amount, asked.taux, asked.motif)


def set_quantity(store: Store, id_ticket: str, user: User, num_ligne: int, quantite: Decimal,
                 approver: User | None = None, now: datetime | None = None) -> TicketView:
    with store.transaction() as con:
        id_caisse = editable(con, id_ticket, user)[0]
        line = _line(con, id_ticket, num_ligne)
        new = _rebuilt(con, line, store.limits.max_quantity, quantite=quantite)
        allowed = _allowed(con, user, new, approver, id_caisse, now or datetime.now(),
                           _approved(con, id_ticket, num_ligne))
        _write_line(con, id_ticket, new, replace=True, allowed=allowed)
        return draft_view(con, id_ticket)


def remove_line(store: Store, id_ticket: str, user: User, num_ligne: int) -> TicketView:
    with store.transaction() as con:
        editable(con, id_ticket, user)
        con.execute("DELETE FROM ligne_attente WHERE id_ticket = ? AND num_ligne = ?", [id_ticket, num_ligne])
        return draft_view(con, id_ticket)


def _code(con, id_caisse: int) -> str:
    return scalar(con, "SELECT code FROM t_caisse WHERE id_caisse = ?", [id_caisse])


def _write_line(con, id_ticket: str, line: Line, replace: bool = False, allowed=None) -> None:
    """A draft line written (`replace`: in place of the one with its number); `allowed`, the discount a manager let
    through on it (none, when it has none)."""
    if replace:
        con.execute("DELETE FROM ligne_attente WHERE id_ticket = ? AND num_ligne = ?", [id_ticket, line.num_ligne])
    values = [id_ticket, *astuple_line(line), allowed]
    del values[11]  # id_ligne_origine: a draft only sells
    con.execute(f"INSERT INTO ligne_attente (id_ticket, {DRAFT_LINE}, remise_autorisee) "
                f"VALUES ({', '.join('?' * len(values))})", values)


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


# A draft line's columns: a validated line's, but the line taken back (a draft only sells).
DRAFT_LINE = LINE_COLUMNS.replace("id_ligne_origine, ", "")


def draft_lines(con, id_ticket: str) -> list[Line]:
    """The draft's lines as rung (without the ticket's discount)."""
    return [Line(*row[:10], None, *row[10:]) for row in con.execute(
        f"SELECT {DRAFT_LINE} FROM ligne_attente WHERE id_ticket = ? ORDER BY num_ligne", [id_ticket]).fetchall()]


def draft_payments(con, id_ticket: str) -> list[PaymentRequest]:
    return [PaymentRequest(code, montant, numero) for code, montant, numero in con.execute(
        "SELECT code_moyen, montant, numero_piece FROM reglement_attente WHERE id_ticket = ? ORDER BY num",
        [id_ticket]).fetchall()]


def draft_view(con: duckdb.DuckDBPyConnection, id_ticket: str) -> TicketView:
    """A draft as the screens show it, in three queries (the sale screen reads it at every action): its header
    with the ticket's discount and the next lines' seller, its lines with their sellers' names, its payments."""
    rows = con.execute(f"SELECT d.id_ticket, d.statut, c.code, {person()}, d.date_creation, d.remise_ticket, "
                       f"d.taux_remise_ticket, d.motif_remise, {person('v')} FROM ticket_attente d "
                       "JOIN t_caisse c USING (id_caisse) LEFT JOIN t_utilisateur u USING (id_utilisateur) "
                       "LEFT JOIN t_utilisateur v ON v.id_utilisateur = d.id_vendeur WHERE d.id_ticket = ?",
                       [id_ticket]).fetchall()
    if not rows:
        raise SaleRefused("Ce ticket n'existe pas.")
    ident, statut, caisse, vendeur, created, remise, taux, motif, chosen = rows[0]
    found = con.execute(f"SELECT {', '.join('l.' + c for c in DRAFT_LINE.split(', '))}, {person('v')} FROM "
                        "ligne_attente l LEFT JOIN t_utilisateur v ON v.id_utilisateur = l.id_vendeur "
                        "WHERE l.id_ticket = ? ORDER BY l.num_ligne", [id_ticket]).fetchall()
    lines = [Line(*row[:10], None, *row[10:-1]) for row in found]
    names = {line.num_ligne: row[-1] for line, row in zip(lines, found)}
    lines, discount = _spread(lines, TicketDiscount(remise, taux, motif))
    payments = con.execute("SELECT code_moyen, montant, numero_piece, NULL, num FROM reglement_attente "
                           "WHERE id_ticket = ? ORDER BY num", [id_ticket]).fetchall()
    amount, taux, motif = discount or (None, None, None)
    return TicketView(ident, None, statut, caisse, vendeur or "", sum((li.montant_ttc for li in lines), ZERO),
                      sum((li.montant_ht for li in lines), ZERO),
                      [ticket_line(li, names[li.num_ligne] if li.id_vendeur else None) for li in lines],
                      [TicketPayment(*row) for row in payments], date_creation=created, remise_ticket=amount,
                      taux_remise_ticket=taux, motif_remise=motif, vendeur_suivant=chosen)


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
