"""Returns of goods (issue 14, point 2; R05): RETOUR tickets on a sale found by its number or its receipt's
barcode, never more than was sold across several returns, without a ticket with the right, refunded in cash,
by the sale's method or by a credit note from the register's own series, usable at once and exported."""

from __future__ import annotations

import pytest

from caisse.common.config import load_settings
from caisse.common.errors import RightMissing, SaleRefused
from caisse.rules.payments import PaymentRequest as Pay
from caisse.rules.returns import read_returnable, return_goods
from caisse.rules.sales import LineRequest, connect_seller, disconnect_seller, ring_ticket
from caisse.services.export import run_export
from caisse.services.workflow import print_credit_note
from pipeline import EXPORT_MANIFEST, read_manifest, read_table
from tests.caisse.helpers import D, close_exact, sell, users
from tests.caisse.test_day_cli import run
from tests.conftest import SELLER


def rows(store, sql, params=()):
    with store.connect() as con:
        return con.execute(sql, list(params)).fetchall()


def returned(store, user, **options):
    connection = connect_seller(store, "C01", user)
    try:
        return return_goods(store, "C01", user, **options)
    finally:
        disconnect_seller(store, connection)


@pytest.fixture
def sale(opened):
    """Ticket n°1: 3 x ART00001 (10.70) and 1 x ART00002 (40.60) with a 0.60 discount, paid by card."""
    manager, seller = users(opened)
    connection = connect_seller(opened, "C01", seller)
    ticket = ring_ticket(opened, "C01", seller, [LineRequest("ART00001", D("3")),
                                                 LineRequest("ART00002", D("1"), D("0.60"), motif="GESTE")],
                         [Pay("CB", D("72.10"))])
    disconnect_seller(opened, connection)
    return opened, manager, seller, ticket


def test_r05_a_return_is_a_ticket_of_type_retour_referring_to_the_sale(sale):
    store, _, seller, ticket = sale
    done = returned(store, seller, refund="ESP", reason="Ne convient pas", sale="1", quantities={1: D("1")})
    view = done.ticket
    assert (view.numero, view.type_ticket, view.total_ttc, view.origine, done.avoir) == (2, "RETOUR", D("-10.70"), 1,
                                                                                        None)
    assert rows(store, "SELECT quantite, montant_ttc, id_ligne_origine IS NOT NULL FROM t_ligne_ticket l JOIN t_ticket "
                       "t USING (id_ticket) WHERE t.numero = 2") == [(D("-1.000"), D("-10.70"), True)]
    assert rows(store, "SELECT code_moyen, montant FROM t_reglement r JOIN t_ticket t USING (id_ticket) WHERE "
                       "t.numero = 2") == [("ESP", D("-10.70"))]
    assert rows(store, "SELECT code, detail LIKE '%remboursés en espèces%' FROM jet WHERE code = 160") == [(160, True)]


def test_never_more_than_was_sold_across_several_returns_and_the_last_one_adds_up_to_the_cent(sale):
    store, _, seller, _ = sale
    returned(store, seller, refund="ESP", reason="a", sale="1", quantities={1: D("2")})
    with pytest.raises(SaleRefused, match="il reste 1 à reprendre sur la quantité vendue de 3"):
        returned(store, seller, refund="ESP", reason="b", sale="1", quantities={1: D("2")})
    returned(store, seller, refund="ESP", reason="c", sale="1", quantities={1: D("1"), 2: D("1")})
    left = read_returnable(store, "C01", "1").lines
    assert [(r.num_ligne, r.reste) for r in left] == [(1, D("0.000")), (2, D("0.000"))]
    assert rows(store, "SELECT sum(total_ttc) FROM t_ticket") == [(D("0.00"),)]  # every cent came back
    with pytest.raises(SaleRefused, match="il reste 0 à reprendre"):
        returned(store, seller, refund="ESP", reason="d", sale="1", quantities={2: D("1")})


def test_a_sale_is_found_by_the_barcode_printed_on_its_receipt(sale):
    store, _, seller, ticket = sale
    from caisse.services.workflow import receipt_document
    doc = receipt_document(store, load_settings(), ticket)
    assert doc.barcode == "C01-T000001" and doc.lines[-1] == "C01-T000001"
    done = returned(store, seller, refund="ORIGINE", reason="Cadeau en double", sale="C01-T000001",
                    quantities={2: D("1")})
    assert done.ticket.total_ttc == D("-40.00") and done.ticket.payments[0][:2] == ("CB", D("-40.00"))


def test_a_return_without_a_ticket_needs_its_right(opened):
    manager, seller = users(opened)
    with pytest.raises(RightMissing, match="le droit de reprendre des articles sans ticket"):
        returned(opened, seller, refund="ESP", reason="x", articles=[LineRequest("ART00003")])
    done = returned(opened, manager, refund="AVOIR", reason="Sans ticket", articles=[LineRequest("ART00003", D("2"))])
    assert done.ticket.total_ttc < 0 and done.ticket.origine is None and done.avoir == "AV-C01-000001"
    with pytest.raises(SaleRefused, match="ne connaît pas le moyen de paiement"):
        returned(opened, manager, refund="ORIGINE", reason="x", articles=[LineRequest("ART00003")])


def test_a_credit_note_is_issued_from_the_registers_series_printed_and_usable_at_once(sale, monkeypatch):
    store, _, seller, _ = sale
    first = returned(store, seller, refund="AVOIR", reason="Échange", sale="1", quantities={1: D("1")})
    second = returned(store, seller, refund="AVOIR", reason="Échange", sale="1", quantities={1: D("1")})
    assert (first.avoir, second.avoir) == ("AV-C01-000001", "AV-C01-000002")
    assert rows(store, "SELECT montant, montant_utilise, statut FROM t_avoir WHERE numero = 'AV-C01-000001'") == [
        (D("10.70"), D("0.00"), "EMIS")]
    monkeypatch.setenv("CAISSE_PRINTER", "preview")
    printed = print_credit_note(store, load_settings(), "C01", first.avoir, seller)
    text = printed.text_path.read_text()
    assert "AVOIR" in text and "n°AV-C01-000001" in text and "10,70 €" in text and text.rstrip().endswith(
        "AV-C01-000001")
    assert b"\x1dk" in printed.bytes_path.read_bytes()  # the ESC/POS barcode command
    paid = sell(store, seller, articles=(("ART00001", 1),), pay=[Pay("AVOIR", D("10.70"), "AV-C01-000001")])
    assert paid.total_ttc == D("10.70")
    assert rows(store, "SELECT statut FROM t_avoir WHERE numero = 'AV-C01-000001'") == [("UTILISE",)]


def test_a_credit_note_issued_here_travels_with_its_lot_and_survives_the_next_import(sale, imported):
    store, manager, seller, _ = sale
    done = returned(store, seller, refund="AVOIR", reason="Échange", sale="1", quantities={2: D("1")})
    close_exact(store, manager)
    result = run_export(store, imported, "C01", manager)
    lot = imported.local_drop_dir / "export" / "C01" / result.lot
    credit_notes = read_table(lot / "t_avoir.xml")
    assert list(credit_notes.numero) == [done.avoir] and credit_notes.montant.iloc[0] == D("40.00")
    assert read_manifest(lot / EXPORT_MANIFEST).entry("t_avoir.xml").lignes == 1
    from tests.caisse.helpers import redeliver_and_import
    redeliver_and_import(imported)  # the main server's lot does not know it yet: it stays (R03)
    assert rows(store, "SELECT numero, montant, statut FROM t_avoir WHERE numero = ?", [done.avoir]) == [
        (done.avoir, D("40.00"), "EMIS")]


def test_a_voided_sale_cannot_be_returned_and_a_partly_returned_sale_cannot_be_voided(sale):
    store, manager, seller, _ = sale
    from caisse.rules.corrections import void_ticket
    returned(store, seller, refund="ESP", reason="a", sale="1", quantities={1: D("1")})
    with pytest.raises(SaleRefused, match="déjà été repris : faites un retour du reste"):
        void_ticket(store, "C01", manager, 1, "erreur")
    other = sell(store, seller, pay=[Pay("ESP", D("20"))])
    void_ticket(store, "C01", manager, other.numero, "erreur")
    with pytest.raises(SaleRefused, match="a été annulé"):
        returned(store, seller, refund="ESP", reason="b", sale=str(other.numero), quantities={1: D("1")})


def test_the_cli_rings_a_return_and_prints_the_credit_note(settings):
    run("init", "--demo")
    run("import", "--caisse", "C01", "--user", "responsable")
    run("open", "--caisse", "C01", "--user", "responsable", "--fond", "100")
    run("sell", "--caisse", "C01", "--user", SELLER.login, "--article", "ART00001x2", "--pay", "ESP=30", user=SELLER)
    done = run("return", "--caisse", "C01", "--user", SELLER.login, "--ticket", "C01-T000001", "--line", "1=1",
               "--refund", "AVOIR", "--reason", "Taille", user=SELLER)
    assert "Retour enregistré : ticket n°2, avoir n°AV-C01-000001 de 10,70 € émis." in done.stdout
    refused = run("return", "--caisse", "C01", "--user", SELLER.login, "--ticket", "1", "--line", "1=5", "--refund",
                  "ESP", "--reason", "x", user=SELLER, expect=1)
    assert "il reste 1 à reprendre sur la quantité vendue de 2 au ticket n°1" in refused.stderr
    assert run("verify", "--local").returncode == 0


def test_a_void_or_a_return_whose_paper_fails_stands_and_says_so(sale, imported, monkeypatch):
    """The Retour screen printed the receipt outside any guard: a printer that failed after the return was
    recorded showed an error, as if nothing had been done. One service now records, then prints, and says what
    the paper met beside what was recorded, for the screens and the CLI alike."""
    from caisse.services.after_sale import return_and_print, void_and_print
    store, manager, seller, ticket = sale
    monkeypatch.setenv("CAISSE_PRINTER", "network://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("CAISSE_PRINT_RECEIPTS", "oui")
    settings = load_settings()
    connection = connect_seller(store, "C01", seller)
    try:
        done = return_and_print(store, settings, "C01", seller, refund="AVOIR", reason="Échange", sale="1",
                                quantities={1: D("1")})
    finally:
        disconnect_seller(store, connection)
    assert done.avoir == "AV-C01-000001" and done.credit_note is not None and "AVOIR" in done.credit_note.read_text()
    assert "network://127.0.0.1:9" in done.warning and f"l'avoir n°{done.avoir} est émis, mais" in done.warning
    assert rows(store, "SELECT type_ticket FROM t_ticket WHERE numero = ?", [done.ticket.numero]) == [("RETOUR",)]
    other = sell(store, seller)
    void = void_and_print(store, settings, "C01", manager, other.numero, "Erreur de saisie")
    assert void.warning and rows(store, "SELECT type_ticket FROM t_ticket WHERE numero = ?", [void.ticket.numero]) == [
        ("ANNULATION",)]
