"""Payments of a ticket (DESIGN section 8): methods, change, credit notes (AVOIR) and gift vouchers (CHQCAD)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import duckdb

from caisse.common.errors import SaleRefused
from caisse.common.money import ZERO, cents, eur
from caisse.rules.vouchers import REST_AS_CREDIT_NOTE, issue_credit_note


@dataclass(frozen=True)
class PaymentRequest:
    """What the customer hands over with one method; `numero` for a credit note or a voucher."""

    code: str
    montant: Decimal
    numero: str | None = None


@dataclass(frozen=True)
class Payment:
    id_moyen_paiement: int
    code: str
    montant: Decimal
    numero: str | None
    rendu_monnaie: bool


def payment_methods(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(code, libelle, especes, rendu_monnaie, necessite_numero) of the active methods, in their order."""
    return con.execute("SELECT code, coalesce(libelle, code), especes, rendu_monnaie, necessite_numero "
                       "FROM tr_moyen_paiement WHERE actif ORDER BY ordre NULLS LAST, code").fetchall()


def _methods(con) -> dict[str, tuple]:
    return {row[1]: row for row in con.execute(
        "SELECT id_moyen_paiement, code, rendu_monnaie, necessite_numero, actif, coalesce(libelle, code) "
        "FROM tr_moyen_paiement ORDER BY ordre NULLS LAST, code").fetchall()}


def check_request(con, request: PaymentRequest, remaining: Decimal, entered: list[tuple], now: datetime,
                  limits=None, total: Decimal | None = None) -> None:
    """A payment checked when a seller adds it to a ticket (before validation): the method, the amount, the
    number a credit note or a voucher needs, and what it may still pay. SaleRefused with a sentence."""
    payment = _resolve(_methods(con), request)
    if limits is not None and payment.rendu_monnaie:
        check_tender(payment.montant + sum((m for c, m, *_ in entered if c == payment.code), ZERO),
                     total if total is not None else remaining, limits)
    if payment.code == "AVOIR":
        _credit_note(con, payment, now)
    elif payment.code == "CHQCAD":
        _voucher(con, payment, now)
        if any(code == "CHQCAD" and numero == payment.numero for code, _, numero, *_ in entered):
            raise SaleRefused(f"Le chèque cadeau n°{payment.numero} est déjà dans les règlements de ce ticket.")
    if not payment.rendu_monnaie and payment.code != VOUCHER and payment.montant > remaining:
        raise SaleRefused(f"Le montant en {_label(con, payment.code)} ({eur(payment.montant)}) dépasse ce qui reste à "
                          f"payer ({eur(max(remaining, ZERO))}).")


CREDIT_NOTE, VOUCHER = "AVOIR", "CHQCAD"


def voucher_value(con, code: str, numero: str, now: datetime) -> Decimal:
    """What a credit note (its balance) or a gift cheque (its whole value) brings, checked as a payment would be
    (it exists, may pay now); SaleRefused otherwise."""
    probe = Payment(0, code, Decimal("0.01"), numero, False)
    if code == CREDIT_NOTE:
        _, montant, used = _credit_note(con, probe, now)
        return montant - used
    ident = _voucher(con, probe, now, whole=False)
    return con.execute("SELECT montant FROM t_cheque_cadeau WHERE id_cheque_cadeau = ?", [ident]).fetchall()[0][0]


def voucher_rest(requests: list[PaymentRequest], total: Decimal, methods_with_change: set[str]) -> Decimal:
    """The part of the gift cheques handed over that the ticket does not need (after any cash change): issued as
    a credit note, or lost, by the setting cheque_cadeau_reste."""
    paid = sum((cents(r.montant) for r in requests), ZERO)
    cash = sum((cents(r.montant) for r in requests if r.code.upper() in methods_with_change), ZERO)
    vouchers = sum((cents(r.montant) for r in requests if r.code.upper() == VOUCHER), ZERO)
    return min(max(paid - total - cash, ZERO), vouchers)


def _label(con, code: str) -> str:
    rows = con.execute("SELECT coalesce(libelle, code) FROM tr_moyen_paiement WHERE code = ?", [code]).fetchall()
    return rows[0][0] if rows else code


def _resolve(methods: dict[str, tuple], request: PaymentRequest) -> Payment:
    method = methods.get(request.code.upper())
    if method is None or not method[4]:
        known = ", ".join(code for code, m in methods.items() if m[4])
        raise SaleRefused(f"Moyen de paiement « {request.code} » inconnu ou inactif (moyens possibles : {known}).")
    ident, code, rendu, needs_number, _, libelle = method
    montant = cents(request.montant)
    if montant <= 0:
        raise SaleRefused(f"Le montant payé en {libelle} doit être positif.")
    numero = (request.numero or "").strip() or None
    if needs_number and not numero:
        raise SaleRefused(f"Le paiement par {libelle} demande son numéro.")
    return Payment(ident, code, montant, numero, bool(rendu))


def check_tender(cash: Decimal, total: Decimal, limits) -> None:
    """Cash handed over beyond plausible limits (a note of 99999999999 € typed for 12,30 €) is refused: more
    than `max_cash_factor` times the total (a note up to `largest_note` always passes: a coffee paid with a
    100 € note) or more than `max_cash`."""
    ceiling = min(limits.max_cash, max(max(total, ZERO) * limits.max_cash_factor, limits.largest_note))
    if cash > ceiling:
        raise SaleRefused(f"{eur(cash)} d'espèces pour un ticket de {eur(total)} : c'est plus de "
                          f"{limits.max_cash_factor:f} fois le total ou plus de {eur(limits.max_cash)}. "
                          "Vérifiez le montant remis.")


def apply_payments(con, id_ticket: str, id_caisse: int, total: Decimal, requests: list[PaymentRequest],
                   now: datetime, limits=None) -> list[tuple[str, Payment, Decimal]]:
    """Check the payments against the total and apply their side effects; (id, payment, change) each.

    Payments must cover the total exactly, except that a method giving change (cash) may bring more: the surplus
    is given back from it; and a gift cheque (used whole) may be worth more than the ticket: its rest is recorded
    as its `rendu` and issued at once as a credit note of the register (or lost, by the setting
    cheque_cadeau_reste). Other methods without change may not exceed what remains to pay."""
    methods = _methods(con)
    payments = [_resolve(methods, r) for r in requests]
    paid = sum((p.montant for p in payments), ZERO)
    without_change = sum((p.montant for p in payments if not p.rendu_monnaie), ZERO)
    vouchers = sum((p.montant for p in payments if p.code == VOUCHER), ZERO)
    with_change = paid - without_change
    if limits is not None and with_change:
        check_tender(with_change, total, limits)
    if paid < total:
        raise SaleRefused(f"Le paiement ({eur(paid)}) ne couvre pas le total du ticket ({eur(total)}) : "
                          f"il reste {eur(total - paid)} à payer.")
    if without_change - vouchers > total:
        raise SaleRefused(f"Les moyens de paiement qui ne rendent pas la monnaie ({eur(without_change - vouchers)}) "
                          f"dépassent le total du ticket ({eur(total)}).")
    surplus = paid - total
    out = []
    for p in reversed(payments):  # the change comes from the last cash payment first, then the cheques' rest
        rendu = ZERO
        if p.rendu_monnaie and surplus > 0:
            rendu = min(p.montant, surplus)
            surplus -= rendu
        out.append([str(uuid.uuid4()), p, rendu])
    for entry in reversed(out):
        if entry[1].code == VOUCHER and surplus > 0:
            entry[2] = min(entry[1].montant, surplus)
            surplus -= entry[2]
    if surplus > 0:  # cannot happen given the checks above; kept as the rule's statement
        raise SaleRefused("La monnaie ne peut être rendue que sur les espèces.")
    out = [tuple(entry) for entry in reversed(out)]
    rest = sum((rendu for _, p, rendu in out if p.code == VOUCHER), ZERO)
    if rest and getattr(limits, "cheque_cadeau_reste", REST_AS_CREDIT_NOTE) == REST_AS_CREDIT_NOTE:
        caisse = con.execute("SELECT code FROM t_caisse WHERE id_caisse = ?", [id_caisse]).fetchall()[0][0]
        issue_credit_note(con, rest, id_caisse, caisse, id_ticket, now)
    for _, p, _ in out:
        if p.code == "AVOIR":
            _use_credit_note(con, p, id_ticket, id_caisse, now)
        elif p.code == "CHQCAD":
            _use_voucher(con, p, id_ticket, now)
    return out


STATE_WORDS = {"EMIS": "émis", "UTILISE": "entièrement utilisé", "ANNULE": "annulé", "VENDU": "vendu"}


def _credit_note(con, p: Payment, now: datetime) -> tuple[str, Decimal, Decimal]:
    """(id, amount, used) of a credit note that may pay `p.montant` now; SaleRefused otherwise."""
    rows = con.execute("SELECT id_avoir, montant, coalesce(montant_utilise, 0), statut, date_validite FROM t_avoir "
                       "WHERE numero = ?", [p.numero]).fetchall()
    if not rows:
        raise SaleRefused(f"L'avoir n°{p.numero} n'existe pas.")
    id_avoir, montant, used, statut, validite = rows[0]
    if statut != "EMIS":
        raise SaleRefused(f"L'avoir n°{p.numero} ne peut pas servir : il est {STATE_WORDS.get(statut, statut)}.")
    if validite is not None and validite < now.date():
        raise SaleRefused(f"L'avoir n°{p.numero} a expiré le {validite:%d/%m/%Y}.")
    remaining = montant - used
    if p.montant > remaining:
        raise SaleRefused(f"L'avoir n°{p.numero} n'a plus que {eur(remaining)} disponibles "
                          f"({eur(p.montant)} demandés).")
    return id_avoir, montant, used


_INSERT_USE = ("INSERT INTO t_avoir_utilise (id_avoir_utilise, id_avoir, date_utilisation, montant, id_caisse, "
               "id_ticket) VALUES (?, ?, ?, ?, ?, ?)")  # columns named: a lot may widen the table


def _use_credit_note(con, p: Payment, id_ticket: str, id_caisse: int, now: datetime) -> None:
    id_avoir, montant, used = _credit_note(con, p, now)
    con.execute("UPDATE t_avoir SET montant_utilise = ?, statut = ? WHERE id_avoir = ?",
                [used + p.montant, "UTILISE" if used + p.montant == montant else "EMIS", id_avoir])
    con.execute(_INSERT_USE,
                [str(uuid.uuid4()), id_avoir, now, p.montant, id_caisse, id_ticket])


def _voucher(con, p: Payment, now: datetime, whole: bool = True) -> str:
    rows = con.execute("SELECT id_cheque_cadeau, montant, statut, date_validite FROM t_cheque_cadeau "
                       "WHERE numero = ?", [p.numero]).fetchall()
    if not rows:
        raise SaleRefused(f"Le chèque cadeau n°{p.numero} n'existe pas.")
    ident, montant, statut, validite = rows[0]
    if statut != "VENDU":
        words = {"EMIS": "n'a pas encore été vendu", "UTILISE": "a déjà été utilisé", "ANNULE": "est annulé"}
        raise SaleRefused(f"Le chèque cadeau n°{p.numero} {words.get(statut, 'ne peut pas servir')}.")
    if validite is not None and validite < now.date():
        raise SaleRefused(f"Le chèque cadeau n°{p.numero} a expiré le {validite:%d/%m/%Y}.")
    if whole and p.montant != montant:
        raise SaleRefused(f"Le chèque cadeau n°{p.numero} vaut {eur(montant)} : il s'utilise en entier "
                          f"({eur(p.montant)} indiqués).")
    return ident


def _use_voucher(con, p: Payment, id_ticket: str, now: datetime) -> None:
    ident = _voucher(con, p, now)
    con.execute("UPDATE t_cheque_cadeau SET statut = 'UTILISE', date_utilisation = ?, id_ticket = ? "
                "WHERE id_cheque_cadeau = ?", [now, id_ticket, ident])


def give_back(con, original: str, correction: str, id_caisse: int, now: datetime) -> None:
    """What a voided sale consumed comes back: its credit notes' balance (a negative use of each, recorded for
    the void ticket, never a deletion) and its gift vouchers (sold again, usable)."""
    for id_avoir, montant in con.execute("SELECT id_avoir, sum(montant) FROM t_avoir_utilise WHERE id_ticket = ? "
                                         "GROUP BY id_avoir", [original]).fetchall():
        con.execute("UPDATE t_avoir SET montant_utilise = montant_utilise - ?, statut = 'EMIS' WHERE id_avoir = ?",
                    [montant, id_avoir])
        con.execute(_INSERT_USE,
                    [str(uuid.uuid4()), id_avoir, now, -montant, id_caisse, correction])
    con.execute("UPDATE t_cheque_cadeau SET statut = 'VENDU', date_utilisation = NULL, id_ticket = NULL "
                "WHERE id_ticket = ?", [original])
