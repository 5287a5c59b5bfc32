"""Printing (issue 5): a fake network printer on 127.0.0.1 records the bytes, a decoder reads them back."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys

import pytest

from caisse.common.config import load_settings
from caisse.fiscal.version import FISCAL_VERSION
from caisse.paper.printing import PrintFailed, check_page, print_document, printable, render
from caisse.rules.payments import PaymentRequest as Pay
from caisse.services.workflow import finish_day, print_receipt, reprint_command, z_document
from tests.caisse.helpers import D, sell, users
from tests.conftest import MANAGER
from tests.printer import CUT, FakePrinter, decode


@pytest.fixture
def printer(monkeypatch):
    fake = FakePrinter()
    monkeypatch.setenv("CAISSE_PRINTER", fake.url)
    yield fake
    fake.close()


def test_a_closing_prints_the_z_a_manager_recognises(opened, printer):
    manager, seller = users(opened)
    sell(opened, seller, articles=(("ART00001", 2),), pay=[Pay("ESP", D("50"))])
    sell(opened, seller, pay=[Pay("CB", D("10.70"))])
    end = finish_day(opened, load_settings(), "C01", manager, count={D("100"): 1, D("50"): 1, D("20"): 1,
                                                                      D("1"): 1, D("0.20"): 2})
    text = decode(printer.wait()[0])
    lines = text.split("\n")
    assert end.z.printed and not end.warnings
    assert "Épicerie Fine du Marché SARL" in text
    for expected in ("TICKET Z n°1".center(42).rstrip(), "Caisse C01 - Caisse principale",
                     "Espèces                            21,40 €", "Carte Bancaire                     10,70 €",
                     "Nombre de ticket                         2", "Espèces attendues                 171,40 €",
                     "Espèces comptées                  171,40 €", "Grand total perpétuel              32,10 €",
                     "Grand total absolu                 32,10 €", "  dont cette journée               32,10 €"):
        assert expected in lines, expected
    assert all(len(line) <= 42 for line in lines)
    # R11, R27: the chain heads as of the closing, the closing's link, the software and fiscal core versions
    assert any(re.fullmatch(r"Tickets +2 [0-9a-f]{16}", line) for line in lines)
    assert any(re.fullmatch(r"Clôtures +1 [0-9a-f]{16}", line) for line in lines)
    assert any(re.fullmatch(rf"Caisse web \S+ · noyau fiscal {re.escape(FISCAL_VERSION)}", line) for line in lines)
    assert text.rstrip().endswith(CUT)
    assert end.z.text_path.read_text(encoding="utf-8") == text.replace(CUT, "").rstrip("\n") + "\n"


def test_the_preview_and_the_archive_hold_the_same_content_as_the_bytes(opened, monkeypatch):
    monkeypatch.setenv("CAISSE_PRINTER", "preview")
    manager, seller = users(opened)
    sell(opened, seller)
    end = finish_day(opened, load_settings(), "C01", manager, especes=D("160.70"))
    assert not end.z.printed and not end.warnings
    assert decode(end.z.bytes_path.read_bytes()).replace(CUT, "").rstrip() == end.z.text_path.read_text().rstrip()


def test_a_reprint_says_duplicata_with_its_number_and_is_recorded(opened, printer):
    manager, seller = users(opened)
    sell(opened, seller)
    settings = load_settings()
    finish_day(opened, settings, "C01", manager, especes=D("160.70"))
    for expected in (1, 2):
        printed = print_document(opened, settings, z_document(opened, settings, "C01", 1), user=manager)
        assert printed.duplicata == expected
        assert f"*** DUPLICATA n°{expected} ***" in decode(printer.wait(expected + 1)[expected])
    with opened.connect() as con:
        assert con.execute("SELECT duplicata, statut, id_utilisateur FROM impression WHERE type = 'z' "
                           "ORDER BY duplicata").fetchall() == [(0, "imprime", 1), (1, "imprime", 1), (2, "imprime", 1)]
        # R17: each reprint is a record of its own, linked in the register's chain of duplicates after the Z's
        # original (R15: linked too, so that no second original can print), and an event
        assert con.execute("SELECT m.numero, i.duplicata FROM maillon m JOIN impression i ON i.id_impression = m.ref "
                           "WHERE m.chaine = 'duplicata' ORDER BY m.numero").fetchall() == [(1, 0), (2, 1), (3, 2)]
        assert con.execute("SELECT detail FROM jet WHERE code = 180 ORDER BY ts").fetchall() == [
            ("C01-Z000001 : DUPLICATA n°1",), ("C01-Z000001 : DUPLICATA n°2",)]


def test_a_dead_printer_changes_nothing_but_a_warning(opened, monkeypatch):
    monkeypatch.setenv("CAISSE_PRINTER", "network://127.0.0.1:9")  # nothing listens there
    manager, seller = users(opened)
    sell(opened, seller)
    end = finish_day(opened, load_settings(), "C01", manager, especes=D("160.70"))
    assert end.closed.numero_z == 1 and not end.z.printed
    assert "L'impression sur network://127.0.0.1:9 a échoué" in end.warnings[0]
    assert reprint_command("C01", 1) in end.warnings[0]
    assert end.z.text_path.exists()


def test_the_cli_closing_exits_0_with_a_dead_printer_and_a_reprint_exits_3(opened, imported):
    manager, seller = users(opened)
    sell(opened, seller)
    opened.release()
    env = {**os.environ, "CAISSE_HOME": str(imported.home), "CAISSE_PASSWORD": MANAGER.password,
           "CAISSE_PRINTER": "network://127.0.0.1:9"}
    closing = subprocess.run([sys.executable, "-m", "caisse", "close", "--caisse", "C01", "--user", "responsable",
                              "--especes", "160.70"], env=env, capture_output=True, text=True)
    assert closing.returncode == 0 and "la journée est fermée (Z n°1)" in closing.stderr
    reprint = subprocess.run([sys.executable, "-m", "caisse", "report", "z", "--caisse", "C01", "--print", "--user",
                              "responsable"], env=env, capture_output=True, text=True)
    assert reprint.returncode == 3 and "a échoué" in reprint.stderr and "Traceback" not in reprint.stderr


def test_a_receipt_prints_at_each_sale_when_the_setting_asks(opened, printer, monkeypatch):
    _, seller = users(opened)
    ticket = sell(opened, seller, articles=(("ART00001", 2), ("ART00005", 1)), pay=[Pay("ESP", D("50"))])
    archived = print_receipt(opened, load_settings(), ticket, seller)  # off by default: archived, no paper
    assert not archived.printed and archived.text_path.name == "C01-T000001.txt" and archived.duplicata == 0
    monkeypatch.setenv("CAISSE_PRINT_RECEIPTS", "oui")
    ticket = sell(opened, seller, articles=(("ART00001", 2), ("ART00005", 1)), pay=[Pay("ESP", D("50"))])
    printed = print_receipt(opened, load_settings(), ticket, seller)
    text = decode(printer.wait()[0])
    assert printed.printed and "Ticket n°2" in text and "Vendeur : Paul Durand" in text
    assert "  2 x 10,70 €" in text and "TOTAL TTC                          25,30 €" in text
    assert "Rendu                              24,70 €" in text and "Merci de votre visite" in text
    assert f"Empreinte {ticket.empreinte[:16]}" in text and f"noyau fiscal {FISCAL_VERSION}" in text
    assert "C01-T000002" in text


def test_paper_48_columns_wide(opened, monkeypatch):
    monkeypatch.setenv("CAISSE_PRINTER_WIDTH", "48")
    manager, seller = users(opened)
    sell(opened, seller)
    end = finish_day(opened, load_settings(), "C01", manager, especes=D("160.70"))
    lines = end.z.text_path.read_text().splitlines()
    assert max(map(len, lines)) == 48 and "Total TTC                                10,70 €" in lines


def test_escpos_neither_configures_logging_nor_writes_to_stdout(capsys):
    root = logging.getLogger()
    before = list(root.handlers)
    data = render(printable(check_page(load_settings()).lines))
    assert root.handlers == before
    assert capsys.readouterr().out == ""
    assert "€" in decode(data) and "Crème brûlée, Œuf" in decode(data).replace("OE", "Œ")


def test_an_unknown_printer_address_is_a_sentence(opened):
    with pytest.raises(PrintFailed, match="adresse d'imprimante mal écrite : usb://VID:PID en hexadécimal"):
        from caisse.paper.printing import send
        send("usb://pas-un-identifiant", b"")


@pytest.mark.parametrize("url,words", [
    ("network://127.0.0.1:9", "connexion refusée"),
    ("file:///dossier/absent/lp0", "introuvable"),
    ("serial:///dev/ttyCAISSE99", "introuvable"),  # pyserial installed (it said "requires the pyserial library")
    ("usb://04b8:0e15", "aucune imprimante USB de cet identifiant n'est branchée"),  # pyusb and libusb installed
])
def test_every_printer_link_that_fails_says_why_in_french(opened, url, words):
    """escpos's, pyusb's and the C library's English reached the screen ("DeviceNotFoundError : Device not found
    (... [Errno 111] Connection refused)"); a USB or serial printer could not be used at all (no driver)."""
    from caisse.paper.printing import send
    with pytest.raises(PrintFailed) as failed:
        send(url, b"\x1b@")
    message = str(failed.value)
    assert f"L'impression sur {url} a échoué : {words}." in message, message
    for english in ("Error", "not found", "Errno", "library", "refused", "No such"):
        assert english not in message, message


def test_r16_each_x_report_is_an_original_and_r15_a_z_never_printed_is_printed_as_the_original(opened, monkeypatch):
    from caisse.rules.closing import close_day
    from caisse.services.workflow import x_document
    monkeypatch.setenv("CAISSE_PRINTER", "preview")
    settings = load_settings()
    manager, seller = users(opened)
    sell(opened, seller)
    first = print_document(opened, settings, x_document(opened, settings, "C01"), user=manager)
    second = print_document(opened, settings, x_document(opened, settings, "C01"), user=manager)
    assert (first.duplicata, second.duplicata) == (0, 0)
    close_day(opened, "C01", manager, especes=D("160.70"))  # closed without printing its Z (killed, say)
    original = print_document(opened, settings, z_document(opened, settings, "C01", 1), user=manager)
    assert original.duplicata == 0 and "DUPLICATA" not in original.text_path.read_text()
    reprint = print_document(opened, settings, z_document(opened, settings, "C01", 1), user=manager)
    assert reprint.duplicata == 1 and "DUPLICATA n°1" in reprint.text_path.read_text()
    assert reprint.text_path.read_text().replace("*** DUPLICATA n°1 ***".center(42).rstrip() + "\n", "") == \
        original.text_path.read_text()  # the same values, chain heads included


CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def paper_lines(home):
    """Every line of every document archived as printed, with the document it comes from."""
    for path in sorted((home / "tickets").rglob("*.txt")):
        for line in path.read_text(encoding="utf-8").split("\n"):
            yield path.name, line


def test_every_document_of_a_day_keeps_within_the_paper_and_holds_no_printer_command(history):
    store, settings = history
    from caisse.services.workflow import print_credit_note
    manager, _ = users(store)
    print_test_page = __import__("caisse.services.workflow", fromlist=["print_test_page"]).print_test_page
    print_test_page(store, settings, manager)
    print_credit_note(store, settings, "C01", "AV-C01-000001", manager)
    seen = {name for name, _ in paper_lines(settings.home)}
    assert {"AV-C01-000001.txt", "C01-T000009.txt", "C01-Z000002.txt", "C01-Z000001-DUPLICATA-1.txt"} <= seen, seen
    for name, line in paper_lines(settings.home):
        assert len(line) <= settings.printer_width, (name, line)
        assert not CONTROL.search(line), (name, line)


def test_a_line_break_or_a_control_character_typed_or_imported_never_reaches_the_paper_as_such(opened, monkeypatch):
    """An article label from the main server with a line break and a C1 control, a reason typed with CR LF and an
    escape sequence (ESC i cuts the paper, ESC p opens the drawer): a break is a space (the layout holds),
    controls are dropped, nothing runs past the paper's 48 columns."""
    monkeypatch.setenv("CAISSE_PRINTER_WIDTH", "48")
    settings = load_settings()
    manager, seller = users(opened)
    with opened.connect() as con:  # what an import of such a label leaves (XML 1.0 carries LF and C1)
        con.execute("UPDATE t_article SET libelle = ? WHERE code = 'ART00001'",
                    ["Bocal de miel\nde lavande\x85 du Ventoux en édition limitée numérotée"])
    ticket = sell(opened, seller, articles=(("ART00001", 1),), pay=[Pay("CB", D("10.70"))])
    from caisse.services.workflow import record_cash_move
    print_receipt(opened, settings, ticket, seller)
    record_cash_move(opened, settings, "C01", manager, "SORTIE", D("2"), "Timbres\r\nposte\x1bi\x1bp\x00\x9b2J fin")
    lines = [line for _, line in paper_lines(settings.home)]
    assert any(line.startswith("Bocal de miel de lavande") and line.endswith("10,70 €") for line in lines)
    assert any(line.startswith("Motif : Timbres") and line.endswith("posteip2J fin") for line in lines), lines
    for line in lines:
        assert len(line) <= 48 and not CONTROL.search(line), line
    assert printable(["a\tb\u2028c\x1b", "x" * 50], 42) == ["a b c", "x" * 42, "x" * 8]
