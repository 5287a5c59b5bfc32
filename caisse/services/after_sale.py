"""Undoing a sale, then its paper: a void (ANNULATION) and a return (RETOUR), each followed by its receipt and, for a
return refunded by credit note, the credit note the customer takes away. One service for the Rapprochement and
Retour screens and for `caisse void` and `caisse return`: the record is made first, and its paper failing is a
warning said with it, never a refusal of what is recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from caisse.common.config import Settings
from caisse.common.errors import CaisseError
from caisse.rules.auth import User
from caisse.rules.corrections import void_ticket
from caisse.rules.drafts import LineRequest
from caisse.rules.returns import Returned, return_goods
from caisse.rules.tickets import TicketView
from caisse.services.workflow import print_credit_note, print_receipt
from caisse.storage.store import Store


@dataclass
class Undone:
    """A void or a return as recorded, and what its paper said."""

    ticket: TicketView
    avoir: str | None = None  # the credit note a return issued
    credit_note: Path | None = None  # its archived text, to show on screen
    warnings: list[str] | None = None

    @property
    def warning(self) -> str:
        return " ".join(self.warnings or [])


def void_and_print(store: Store, settings: Settings, caisse: str, user: User, numero: int, reason: str,
                   now: datetime | None = None) -> Undone:
    """Void sale n°`numero` of the open day, then its receipt."""
    done = void_ticket(store, caisse, user, numero, reason, now=now)
    return Undone(done, warnings=[w for w in [_paper(lambda: print_receipt(store, settings, done, user))] if w])


def return_and_print(store: Store, settings: Settings, caisse: str, user: User, *, refund: str, reason: str,
                     sale: str | None = None, quantities: dict[int, Decimal] | None = None,
                     articles: list[LineRequest] | None = None, now: datetime | None = None) -> Undone:
    """Take goods back (from sale `sale`, or without a ticket), then the return's receipt and its credit note."""
    done: Returned = return_goods(store, caisse, user, refund=refund, reason=reason, sale=sale, quantities=quantities,
                                  articles=articles, now=now)
    warnings = [_paper(lambda: print_receipt(store, settings, done.ticket, user))]
    credit_note = None
    if done.avoir:
        try:
            printed = print_credit_note(store, settings, caisse, done.avoir, user)
        except CaisseError as e:
            warnings.append(f"l'avoir n°{done.avoir} est émis, mais {e}")
        else:
            credit_note = printed.text_path
            if printed.warning:
                warnings.append(f"l'avoir n°{done.avoir} est émis, mais {printed.warning}")
    return Undone(done.ticket, done.avoir, credit_note, [w for w in warnings if w])


def _paper(printing) -> str:
    try:
        return printing().warning
    except CaisseError as e:  # the record stands: its paper failing is said, not raised
        return str(e)
