"""What follows a closing or a sale, in the order DESIGN section 8 gives: the transaction, then the print,
then (auto mode) the export. A failed print or export never undoes what was committed before it, and a Z
whose original was never printed (a process killed after the closing's commit) is printed as the original
at the next start or by `caisse report z`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from caisse.common.config import Settings
from caisse.common.errors import CaisseError, DiskFull, ExportFailed, disk_full_words
from caisse.fiscal.archive import Archive, ArchiveRefused, copy_archive, make_archive
from caisse.fiscal.jet import record_event, record_settings
from caisse.fiscal.keys import load_keys
from caisse.fiscal.periods import MONTH, TYPE_WORDS, period_report
from caisse.fiscal.registry import record_survey
from caisse.fiscal.version import signature_line
from caisse.paper.printing import Document, Printed, check_page, print_document
from caisse.paper.receipts import credit_note_lines, move_lines, note_lines, receipt_lines, receipt_ref
from caisse.paper.reports import period_lines, report_lines
from caisse.rules.auth import User, require_now
from caisse.rules.closing import Closed, close_day
from caisse.rules.corrections import cash_move
from caisse.rules.day_report import x_report, z_report
from caisse.rules.history import Log, crash_point
from caisse.rules.tickets import TicketView, ticket_by_number
from caisse.services.export import ExportResult, run_export
from caisse.services.home import upgrade
from caisse.storage import disk
from caisse.storage.store import Store
from pipeline.errors import os_words


def z_ref(caisse: str, numero: int) -> str:
    return f"{caisse}-Z{numero:06d}"


def z_document(store: Store, settings: Settings, caisse: str, numero: int | None = None) -> Document:
    with store.connect() as con:
        report = z_report(con, caisse, numero)
    return Document("z", z_ref(caisse, report.numero_z), caisse, report_lines(report, settings.printer_width),
                    original=f"Z:{report.id_journee}" if report.id_journee else None)


COPY_MARK = "*** COPIE - NON VALABLE ***"


def consult_z(store: Store, settings: Settings, caisse: str, numero: int | None = None,
              login: str | None = None) -> list[str]:
    """A Z read on screen, not printed (R15, R17): its frozen lines between « COPIE - NON VALABLE » marks, the
    reading recorded in the journal (185)."""
    doc = z_document(store, settings, caisse, numero)
    with store.transaction() as con:
        record_event(con, 185, caisse=caisse, login=login, detail=f"{doc.ref} lu à l'écran (copie non valable)")
    mark = COPY_MARK.center(settings.printer_width).rstrip()
    return [mark, *doc.lines, mark]


def x_document(store: Store, settings: Settings, caisse: str) -> Document:
    """An X report: the figures at this moment, so each one is an original of its own (R16)."""
    with store.connect() as con:
        report = x_report(con, caisse)
    return Document("x", f"{caisse}-X{datetime.now():%Y%m%d%H%M%S%f}", caisse,
                    report_lines(report, settings.printer_width))


def receipt_document(store: Store, settings: Settings, ticket: TicketView) -> Document:
    with store.connect() as con:
        lines = receipt_lines(con, ticket.id_ticket, settings.printer_width)
    ref = receipt_ref(ticket.caisse, ticket.numero)
    return Document("ticket", ref, ticket.caisse, lines, barcode=ref)


def credit_note_document(store: Store, settings: Settings, caisse: str, numero: str) -> Document:
    with store.connect() as con:
        lines = credit_note_lines(con, numero, settings.printer_width)
    return Document("avoir", numero, caisse, lines, barcode=numero)


def period_ref(caisse: str, kind: str, period: str) -> str:
    return f"{caisse}-{'M' if kind == MONTH else 'A'}{period}"


def period_document(store: Store, settings: Settings, caisse: str, kind: str, period: str) -> Document:
    with store.connect() as con:
        report = period_report(con, caisse, kind, period)
    return Document("z", period_ref(caisse, kind, period), caisse, period_lines(report, settings.printer_width),
                    original=f"P:{report.id_cloture}")


def print_period(store: Store, settings: Settings, caisse: str, kind: str, period: str, user: User | None,
                 system: bool = False) -> Printed:
    """A monthly or annual closing on paper: the original the first time, then a DUPLICATA."""
    word = "month" if kind == MONTH else "year"
    return print_document(store, settings, period_document(store, settings, caisse, kind, period), user=user,
                          system=system, reprint_hint=f"caisse report {word} --caisse {caisse} --periode {period} "
                                                      "--print")


def archive_period(store: Store, settings: Settings, caisse: str, period: str, user: User | None,
                   now: datetime | None = None) -> Archive:
    """Write the period's archive (or find it identical), its record, link and event (20); a failure is an event
    too (30) and comes back as ArchiveRefused with its sentence."""
    now = now or datetime.now()
    try:
        if user is not None:
            with store.connect() as con:
                require_now(con, user, "CAISSE_FERMER")

        def event(con, made) -> None:
            record_event(con, 20, caisse=caisse, login=user.login if user else None,
                         detail=f"archive {made.path.name} : {made.taille} octets, SHA-256 {made.sha256[:16]}, "
                                f"clé {made.cle_publique[:16]}", now=now)
        made = make_archive(store, settings.home, caisse, period, now, on_record=event)
        if settings.archive_copy:  # the second copy a purge requires, on another disk
            copy_archive(made, settings.home, settings.archive_copy)
        return made
    except (CaisseError, OSError) as e:
        cause = str(e) if isinstance(e, CaisseError) else f"{os_words(e)} : {getattr(e, 'filename', '') or ''}"
        try:
            with store.transaction() as con:
                record_event(con, 30, caisse=caisse, login=user.login if user else None,
                             detail=f"archive {caisse} {period} : {cause}", now=now)
        except (CaisseError, OSError):
            pass
        if isinstance(e, ArchiveRefused):
            raise
        raise ArchiveRefused(f"L'archive {caisse} {period} n'a pas pu être écrite : {cause}. Corrigez la cause puis "
                             f"« caisse archive --caisse {caisse} --periode {period} --user LOGIN ».") from None


def reprint_command(caisse: str, numero: int) -> str:
    return f"caisse report z --caisse {caisse} --numero {numero} --print"


@dataclass
class DayEnd:
    closed: Closed
    z: Printed | None  # None: the Z could not be archived (a full disk), made later from the store
    export: ExportResult | None = None
    warnings: list[str] = field(default_factory=list)
    periods: list[str] = field(default_factory=list)  # the closings by period made first, in sentences


def finish_day(store: Store, settings: Settings, caisse: str, user: User, *, count: dict[Decimal, int] | None = None,
               especes: Decimal | None = None, force: bool = False, accept_difference: bool = False,
               comment: str = "", echo: Log | None = None) -> DayEnd:
    """Close the day, print its Z (the archived original), and in auto mode export; failures after the
    commit are warnings, the closing stands."""
    closed = close_day(store, caisse, user, count=count, especes=especes, force=force,
                       accept_difference=accept_difference, comment=comment)
    crash_point(f"Fermeture enregistrée : Z n°{closed.numero_z}, impression du ticket Z")
    try:
        z = print_document(store, settings, z_document(store, settings, caisse, closed.numero_z), user=user,
                           reprint_hint=reprint_command(caisse, closed.numero_z))
        end = DayEnd(closed, z, warnings=[z.warning] if z.warning else [])
    except (DiskFull, OSError) as e:  # the closing stands: its Z is made from the store once it can be written
        cause = (disk_full_words(settings.home) if disk.is_no_space(e) else
                 f"écriture impossible ({os_words(e)} : {getattr(e, 'filename', None) or settings.home})")
        end = DayEnd(closed, None, warnings=[
            f"Z non archivé : {cause}. Libérez de la place ou corrigez le dossier, puis "
            f"« {reprint_command(caisse, closed.numero_z)} --user {user.login} » (sinon, le Z original sera archivé "
            "et imprimé au prochain démarrage)."])
    for kind, period, numero in closed.periodes:  # the months (and year) closed first: archived, printed
        try:
            made = archive_period(store, settings, caisse, period, None)
            end.periods.append(f"{TYPE_WORDS[kind]} n°{numero} ({period}) faite avant ce Z et archivée : "
                               f"{made.path.relative_to(settings.home)}.")
        except ArchiveRefused as e:
            end.periods.append(f"{TYPE_WORDS[kind]} n°{numero} ({period}) faite avant ce Z.")
            end.warnings.append(str(e))
        try:
            printed = print_period(store, settings, caisse, kind, period, user)
            if printed.warning:
                end.warnings.append(printed.warning)
        except (DiskFull, OSError) as e:
            end.warnings.append(f"{TYPE_WORDS[kind]} {period} non archivée : {os_words(e)}. Libérez de la place puis "
                                f"« caisse report {'month' if kind == MONTH else 'year'} --caisse {caisse} --periode "
                                f"{period} --print --user {user.login} ».")
    end.warnings += closed.en_attente  # a period that does not add up waits; the day is closed
    if settings.mode == "auto":
        try:
            end.export = run_export(store, settings, caisse, user, echo=echo)
        except ExportFailed as e:
            end.warnings.append(str(e))
    return end


def print_receipt(store: Store, settings: Settings, ticket: TicketView, user: User) -> Printed:
    """A validated ticket's receipt: archived at every sale (the original, which a return finds by its barcode
    and verify compares with the store), printed on paper when `print_receipts` asks; a failure is a warning."""
    return print_document(store, settings, receipt_document(store, settings, ticket), user=user,
                          paper=settings.print_receipts)


def print_note(store: Store, settings: Settings, id_ticket: str, caisse: str, user: User) -> Printed:
    """A provisional note of the ticket being rung (R18), on paper: « DOCUMENT PROVISOIRE », no number, no link."""
    with store.connect() as con:
        lines = note_lines(con, id_ticket, settings.printer_width)
    ref = f"{caisse}-NOTE-{datetime.now():%Y%m%d%H%M%S%f}"
    return print_document(store, settings, Document("note", ref, caisse, lines), user=user)


def print_move(store: Store, settings: Settings, id_mouvement: str, caisse: str, user: User) -> Printed:
    """A cash move's slip, on paper (it goes with the cash: to the bank, in the drawer), archived as every document."""
    with store.connect() as con:
        ref, lines = move_lines(con, id_mouvement, settings.printer_width)
    return print_document(store, settings, Document("mouvement", ref, caisse, lines), user=user)


def record_cash_move(store: Store, settings: Settings, caisse: str, user: User, type_: str, montant: Decimal,
                     reason: str, approver: User | None = None) -> tuple[str, Printed]:
    """A cash move (the page's and the CLI's one way), then its slip; (id, the slip printed)."""
    id_mouvement = cash_move(store, caisse, user, type_, montant, reason, approver)
    return id_mouvement, print_move(store, settings, id_mouvement, caisse, user)


def print_credit_note(store: Store, settings: Settings, caisse: str, numero: str, user: User) -> Printed:
    """The credit note a return issued, always on paper: the customer takes it away."""
    return print_document(store, settings, credit_note_document(store, settings, caisse, numero), user=user)


def reprint_receipt(store: Store, settings: Settings, caisse: str, numero: int, user: User) -> Printed:
    """A receipt printed again: a DUPLICATA (its original was archived at the sale), on paper."""
    with store.connect() as con:
        ticket = ticket_by_number(con, caisse, numero)
    return print_document(store, settings, receipt_document(store, settings, ticket), user=user)


def print_z(store: Store, settings: Settings, caisse: str, user: User, numero: int | None = None) -> Printed:
    """A Z (the last one by default) on paper: the original if it was never printed, else a DUPLICATA."""
    doc = z_document(store, settings, caisse, numero)
    return print_document(store, settings, doc, user=user,
                          reprint_hint=reprint_command(caisse, int(doc.ref.rsplit("Z", 1)[1])))


def print_x(store: Store, settings: Settings, caisse: str, user: User) -> Printed:
    """The X report of the open day: each one is an original of its own."""
    return print_document(store, settings, x_document(store, settings, caisse), user=user)


def print_test_page(store: Store, settings: Settings, user: User) -> Printed:
    return print_document(store, settings, check_page(settings), user=user)


def print_pending(store: Store, settings: Settings) -> list[Printed]:
    """The original Z of every closed day that has none yet (a process stopped after the closing's commit)."""
    with store.connect() as con:
        pending = con.execute("""
            SELECT c.code, j.numero_z FROM t_journee j JOIN t_caisse c USING (id_caisse)
            WHERE j.numero_z IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM impression i WHERE i.ref = c.code || '-Z' || lpad(CAST(j.numero_z AS VARCHAR), 6, '0'))
            ORDER BY c.code, j.numero_z""").fetchall()
    done = [print_document(store, settings, z_document(store, settings, code, numero), user=None, system=True,
                           reprint_hint=reprint_command(code, numero)) for code, numero in pending]
    return done + _pending_periods(store, settings)


def _pending_periods(store: Store, settings: Settings) -> list[Printed]:
    """A closing by period cut short after its commit: its archive made and its original printed now."""
    with store.connect() as con:
        rows = con.execute("""
            SELECT c.code, p.type, p.periode,
                   NOT EXISTS (SELECT 1 FROM archive a WHERE a.id_caisse = p.id_caisse AND a.type = p.type
                               AND a.periode = p.periode),
                   NOT EXISTS (SELECT 1 FROM impression i WHERE i.ref = c.code || CASE p.type WHEN 'MOIS' THEN '-M'
                               ELSE '-A' END || p.periode)
            FROM cloture_periode p JOIN t_caisse c USING (id_caisse) ORDER BY p.date_cloture, p.type DESC""").fetchall()
    printed = []
    for code, kind, period, unarchived, unprinted in rows:
        if unarchived:
            try:
                archive_period(store, settings, code, period, None)
            except ArchiveRefused:
                pass  # recorded as event 30; `caisse archive` says why
        if unprinted:
            printed.append(print_period(store, settings, code, kind, period, None, system=True))
    return printed


def start(store: Store, settings: Settings) -> list[str]:
    """What the app does when it starts: the key checked, the event recorded (10), and the original Z of any
    closing cut short printed. Problems come back as sentences (the app shows them; it still serves)."""
    try:
        load_keys(store.key_path)
        upgrade(settings)  # a store written by an earlier version is brought to this one's schema first
        with store.transaction() as con:
            record_event(con, 10, detail=signature_line())
            record_settings(con, store.settings_words)
            record_survey(con, "démarrage")
        return [p.warning for p in print_pending(store, settings) if p.warning]
    except CaisseError as e:
        return [str(e)]
