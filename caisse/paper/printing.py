"""Printing (DESIGN section 8): documents laid out once as text lines, rendered to ESC/POS bytes (CP858, so
accents and the euro sign come out right) and archived, then sent to the printer of `CAISSE_PRINTER`.

Every printed document is kept under `CAISSE_HOME/tickets/` as `.txt` and `.bin` and recorded in the
store; a later print of the same document says DUPLICATA with its reprint number. A printer that fails
never undoes what was printed for: the caller gets a warning sentence.

python-escpos 3.1 calls `logging.basicConfig()` when imported and prints diagnostics with `print()`:
it is imported behind a NullHandler and called with stdout redirected, so neither leaks.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse

from caisse.common.config import Settings
from caisse.common.errors import CaisseError
from caisse.common.words import TRAINING_MARK
from caisse.fiscal import chains
from caisse.fiscal.jet import record_event
from caisse.rules.auth import User, require_now
from caisse.storage.store import Store, scalar
from pipeline.drop import check_name
from pipeline.errors import OS_WORDS

CODE_PAGE = "CP858"


def _escpos():
    """The escpos printer classes, imported without touching the program's logging or stdout."""
    root = logging.getLogger()
    guard = logging.NullHandler()
    added = not root.handlers
    if added:
        root.addHandler(guard)  # basicConfig() does nothing on a root logger that has a handler
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            from escpos import printer  # escpos and its drivers load only for a real printer (slow to import)
    finally:
        if added:
            root.removeHandler(guard)
    return printer


class PrintFailed(CaisseError):
    """The printer could not be reached or refused the bytes (exit 3 when printing was the whole purpose)."""

    exit_code = 3

    def __init__(self, printer: str, cause: str, reprint: str = ""):
        self.printer, self.cause = printer, cause
        hint = f" Le document est archivé ; pour le réimprimer : {reprint}." if reprint else ""
        super().__init__(f"L'impression sur {printer} a échoué : {cause}. Vérifiez que l'imprimante est allumée, "
                         f"reliée et garnie de papier.{hint}")


@dataclass(frozen=True)
class Document:
    kind: str  # "ticket", "z", "x", "avoir", "test"
    ref: str  # e.g. C01-Z000003, C01-T000012
    caisse: str
    lines: list[str]
    barcode: str | None = None  # printed under the text (CODE128): a receipt's or a credit note's number
    original: str | None = None  # a closing's document (a Z, a month, a year): its original print's record id,
    # linked in the register's chain of prints, so that a second original can never be printed (R15, R17)


@dataclass(frozen=True)
class Printed:
    text_path: Path
    bytes_path: Path
    duplicata: int
    printed: bool
    warning: str = ""


_SUBSTITUTES = str.maketrans({"Œ": "OE", "œ": "oe", "’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-",
                              "…": "...", "\u00a0": " ", "\u202f": " "})


_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_BREAKS = re.compile(r"\r\n|[\r\n\u2028\u2029\x0b\x0c\x85]")


def printable(lines: list[str], width: int | None = None) -> list[str]:
    """The lines as the printer's code page can show them, so that the archived text is exactly what came out
    on paper: a line break inside a text (a label, a reason) is a space, so that the layout holds, control
    characters (which would be printer commands: cut, drawer, code page) are dropped, common typography is
    substituted, anything else outside CP858 is shown as '?', and no line is wider than the paper."""
    out = []
    for line in lines:
        line = _CONTROLS.sub("", _BREAKS.sub(" ", line.replace("\t", " "))).translate(_SUBSTITUTES)
        line = line.encode("cp858", errors="replace").decode("cp858")
        while width and len(line) > width:  # every document's layout keeps within the width; this is the guard
            out.append(line[:width])
            line = line[width:]
        out.append(line)
    return out


def render(lines: list[str], barcode: str | None = None) -> bytes:
    """ESC/POS bytes of a document: initialise, code page CP858, the lines, its barcode, feed and cut."""
    printer = _escpos()
    with contextlib.redirect_stdout(io.StringIO()):
        dummy = printer.Dummy(profile="TM-T88V")
        dummy.hw("INIT")
        dummy.charcode(CODE_PAGE)
        dummy.text("\n".join(lines) + "\n")
        if barcode:
            # ESC/POS CODE128 names its code set first ("{B": letters, digits and punctuation)
            dummy.barcode("{B" + barcode, "CODE128", width=2, function_type="B", pos="OFF", align_ct=True)
            dummy.text("\n")
        dummy.cut()
        return dummy.output


def drawer_kick() -> bytes:
    """The ESC/POS pulse that opens the cash drawer on the printer's drawer port (ESC p)."""
    printer = _escpos()
    with contextlib.redirect_stdout(io.StringIO()):
        dummy = printer.Dummy(profile="TM-T88V")
        dummy.cashdraw(2)
        return dummy.output


def printer_words(url: str) -> str:
    """Where a document went, for a sentence: `preview` is no printer (archived only)."""
    if url in ("", "preview"):
        return "aucune imprimante réglée : document archivé seulement"
    return f"imprimante {url}"


def open_drawer(settings: Settings) -> str:
    """Open the cash drawer through the printer; "" when done (or when there is no printer: `preview`), else
    the sentence of the failure (a warning, never a lost sale)."""
    if settings.printer in ("", "preview"):
        return ""
    try:
        send(settings.printer, drawer_kick())
    except PrintFailed as e:
        return str(e)
    return ""


def with_mark(lines: list[str], width: int) -> list[str]:
    """A document printed in training: MODE FORMATION above and below."""
    mark = TRAINING_MARK.center(width).rstrip()
    return [mark, *lines, mark]


def with_duplicata(doc: Document, number: int, width: int) -> list[str]:
    if not number:
        return doc.lines
    mark = f"*** DUPLICATA n°{number} ***".center(width).rstrip()
    return [mark, *doc.lines, mark]


def _device(url: str, timeout: float = 5.0):
    """The escpos printer of a CAISSE_PRINTER URL, or None for `preview`."""
    parsed = urlparse(url)
    printer = _escpos()
    try:
        if url in ("", "preview"):
            return None
        if parsed.scheme == "network":
            return printer.Network(parsed.hostname, parsed.port or 9100, timeout=timeout)
        if parsed.scheme == "usb":
            vendor, product = (parsed.netloc or parsed.path.strip("/")).split(":")
            return printer.Usb(int(vendor, 16), int(product, 16))
        if parsed.scheme == "serial":
            return printer.Serial(parsed.path)
        if parsed.scheme == "file":
            return printer.File(parsed.path)
    except ValueError:
        raise PrintFailed(url, "adresse d'imprimante mal écrite : usb://VID:PID en hexadécimal (usb://04b8:0202), "
                               "network://hôte:9100, serial:///dev/ttyS0 ou file:///dev/usb/lp0") from None
    except Exception as e:  # escpos checks its driver (pyusb, pyserial) when the device is made
        raise PrintFailed(url, failure_words(e)) from None
    raise PrintFailed(url, "adresse d'imprimante non prise en charge : preview, network://hôte:9100, usb://VID:PID, "
                           "serial:///dev/ttyS0 ou file:///dev/usb/lp0")  # a warning after the record, never an error


def send(url: str, data: bytes) -> None:
    """Send ESC/POS bytes to the printer of `url` (nothing for `preview`); raises PrintFailed."""
    device = _device(url)
    if device is None:
        return
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            device.open()
            device._raw(data)
            device.close()
    except Exception as e:  # escpos raises its own, OSError or usb errors: all mean "did not print"
        raise PrintFailed(url, failure_words(e)) from None


def failure_words(error: BaseException) -> str:
    """What the printer's link met, in French: escpos, pyusb and the C library speak English."""
    text = " ".join(str(error).split())  # escpos puts line breaks in its messages
    kind = type(error).__name__
    if kind == "NoBackendError":
        return "la bibliothèque USB du système manque sur ce serveur (apt install libusb-1.0-0)"
    if isinstance(error, RuntimeError) and "library" in text:
        return "le pilote de cette liaison manque sur ce serveur : relancez l'installation (make setup)"
    if kind == "USBNotFoundError" or "USB device not found" in text:
        return "aucune imprimante USB de cet identifiant n'est branchée"
    if "timed out" in text or isinstance(error, TimeoutError):
        return "l'imprimante ne répond pas"
    number = getattr(error, "errno", None) or next((int(n) for n in re.findall(r"\[Errno (\d+)\]", text)), None)
    if number:
        return OS_WORDS.get(number, f"erreur système n°{number}")
    return "l'imprimante n'a pas pris le document"


# Who may print what (any of the rights): a receipt (or its duplicate) whoever sells or takes goods back, a
# credit note whoever takes goods back, a Z or an X whoever closes, the test page the back-office.
PRINT_RIGHTS = {"ticket": ("CAISSE_VENDRE", "CAISSE_RETOUR"), "note": ("CAISSE_VENDRE",), "avoir": ("CAISSE_RETOUR",),
                "mouvement": ("CAISSE_MOUVEMENT",),
                "z": ("CAISSE_FERMER",), "x": ("CAISSE_FERMER",), "test": ("BACKOFFICE",)}


def print_document(store: Store, settings: Settings, doc: Document, *, user: User | None, paper: bool = True,
                   reprint_hint: str = "", system: bool = False, now: datetime | None = None) -> Printed:
    """Archive the document, record it, then send it to the printer (when `paper`: a receipt is archived
    at every sale, and printed only when the setting asks). `user` must have the right of PRINT_RIGHTS for
    the document's kind; only the program itself (`system`: the original Z of a closing cut short, printed
    at the next start) prints without one.

    The first print of a document is its original (the archived one, whether or not paper came out); any
    later print is a numbered DUPLICATA, a record of its own (R17): who, when, which original, linked in the
    register's chain of duplicates, and an event. A printer failure is a warning, never a lost document."""
    now = now or datetime.now()
    if user is None and not system:
        raise CaisseError("Imprimer demande un utilisateur identifié : chaque impression est enregistrée avec "
                          "son auteur.")
    with store.transaction() as con:
        if user is not None:
            require_now(con, user, *PRINT_RIGHTS.get(doc.kind, ("BACKOFFICE",)))
        previous = con.execute("SELECT coalesce(max(duplicata), -1) FROM impression WHERE ref = ? OR "
                               "id_impression = ?", [doc.ref, doc.original]).fetchall()[0][0]
        if doc.original and previous < 0 and con.execute(
                "SELECT count(*) FROM maillon WHERE chaine = 'duplicata' AND ref = ?", [doc.original]).fetchall()[0][0]:
            previous = 0  # its original's record is gone, not its link: it was printed (verify says the deletion)
        number = previous + 1
        lines = with_duplicata(doc, number, settings.printer_width)
        if settings.formation:
            lines = with_mark(lines, settings.printer_width)
        lines = printable(lines, settings.printer_width)
        text = "\n".join(lines) + "\n"
        data = render(lines, doc.barcode)
        folder = settings.home / "tickets" / f"{now:%Y-%m-%d}"
        folder.mkdir(parents=True, exist_ok=True)
        stem = check_name(doc.ref + (f"-DUPLICATA-{number}" if number else ""))  # a file name, never a path
        text_path, bytes_path = folder / f"{stem}.txt", folder / f"{stem}.bin"
        text_path.write_text(text, encoding="utf-8")
        bytes_path.write_bytes(data)
        status = "a_imprimer" if paper and settings.printer not in ("", "preview") else (
            "apercu" if paper else "archive")
        id_caisse = scalar(con, "SELECT id_caisse FROM t_caisse WHERE code = ?", [doc.caisse]) if doc.caisse else None
        ident = doc.original if doc.original and not number else str(uuid.uuid4())
        con.execute("INSERT INTO impression (id_impression, ts, type, ref, caisse, duplicata, imprimante, statut, "
                    "message, fichier, id_caisse, id_utilisateur, empreinte_document) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?)",
                    [ident, now, doc.kind, doc.ref, doc.caisse, number, settings.printer, status, str(text_path),
                     id_caisse, user.id_utilisateur if user else None, hashlib.sha256(text.encode()).hexdigest()])
        if (number or doc.original) and id_caisse is not None:
            chains.link(con, "duplicata", id_caisse, ident, now)
        if number and id_caisse is not None:
            record_event(con, 180, caisse=doc.caisse, login=user.login if user else None,
                         detail=f"{doc.ref} : DUPLICATA n°{number}", now=now)
    warning = ""
    if status == "a_imprimer":
        try:
            send(settings.printer, data)
            status = "imprime"
        except PrintFailed as e:
            warning, status = str(PrintFailed(e.printer, e.cause, reprint_hint) if reprint_hint else e), "echec"
        with store.transaction() as con:  # how it went: not part of the record, which was written above
            con.execute("UPDATE impression SET statut = ?, message = ? WHERE id_impression = ?",
                        [status, warning, ident])
    return Printed(text_path, bytes_path, number, status == "imprime", warning)


def check_page(settings: Settings, now: datetime | None = None) -> Document:
    """A test page: width ruler, accents and the euro sign, both alignments."""
    now = now or datetime.now()
    width = settings.printer_width
    lines = ["TICKET DE TEST".center(width).rstrip(), "-" * width, "0123456789" * (width // 10) + "01234567"[
        :width % 10], "Crème brûlée, Œuf, Ça, À côté, été", f"{'Total':<{width - 8}}{'12,50 €':>8}",
             ("Imprimante : aucune (aperçu)" if settings.printer in ("", "preview")
              else f"Imprimante : {settings.printer}")[:width],
             f"Largeur : {width} colonnes", f"{now:%d/%m/%Y %H:%M:%S}"]
    return Document("test", f"TEST-{now:%Y%m%d%H%M%S}", "", lines)
