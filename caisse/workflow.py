"""What follows a closing or a sale, in the order DESIGN section 8 gives: the transaction, then the print,
then (auto mode) the export. A failed print or export never undoes what was committed before it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from .auth import User
from .closing import Closed, close_day
from .config import Settings
from .errors import ExportFailed
from .export import ExportResult, run_export
from .history import Log
from .printing import Document, Printed, print_document
from .receipts import receipt_lines
from .reports import report_lines, x_report, z_report
from .sales import TicketView
from .store import Store


def z_document(store: Store, settings: Settings, caisse: str, numero: int | None = None) -> Document:
    with store.connect() as con:
        report = z_report(con, caisse, numero)
    return Document("z", f"{caisse}-Z{report.numero_z:06d}", caisse, report_lines(report, settings.printer_width))


def x_document(store: Store, settings: Settings, caisse: str) -> Document:
    """An X report: the figures at this moment, so each one is an original of its own."""
    with store.connect() as con:
        report = x_report(con, caisse)
    return Document("x", f"{caisse}-X{datetime.now():%Y%m%d%H%M%S%f}", caisse,
                    report_lines(report, settings.printer_width))


def receipt_document(store: Store, settings: Settings, ticket: TicketView) -> Document:
    with store.connect() as con:
        lines = receipt_lines(con, ticket.id_ticket, settings.printer_width)
    return Document("ticket", f"{ticket.caisse}-T{ticket.numero:06d}", ticket.caisse, lines)


def reprint_command(caisse: str, numero: int) -> str:
    return f"caisse report z --caisse {caisse} --numero {numero} --print"


@dataclass
class DayEnd:
    closed: Closed
    z: Printed
    export: ExportResult | None = None
    warnings: list[str] = field(default_factory=list)


def finish_day(store: Store, settings: Settings, caisse: str, user: User, *, count: dict[Decimal, int] | None = None,
               especes: Decimal | None = None, force: bool = False, accept_difference: bool = False,
               comment: str = "", echo: Log | None = None) -> DayEnd:
    """Close the day, print its Z (the archived original), and in auto mode export; failures after the
    commit are warnings, the closing stands."""
    closed = close_day(store, caisse, user, count=count, especes=especes, force=force,
                       accept_difference=accept_difference, comment=comment)
    z = print_document(store, settings, z_document(store, settings, caisse, closed.numero_z),
                       reprint_hint=reprint_command(caisse, closed.numero_z))
    end = DayEnd(closed, z, warnings=[z.warning] if z.warning else [])
    if settings.mode == "auto":
        try:
            end.export = run_export(store, settings, caisse, user, echo=echo)
        except ExportFailed as e:
            end.warnings.append(str(e))
    return end


def print_receipt(store: Store, settings: Settings, ticket: TicketView) -> Printed | None:
    """The receipt of a validated ticket when `print_receipts` is on; a failure is a warning."""
    if not settings.print_receipts:
        return None
    return print_document(store, settings, receipt_document(store, settings, ticket))
