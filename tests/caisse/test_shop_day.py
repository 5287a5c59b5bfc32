"""A shop's day as a cashier and a manager live it (issue 28): money recorded as meant, vouchers as customers use
them, the CLI sharing the seller's connection, quantities that follow the article's unit."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import timedelta

import pytest

from caisse.common.config import load_settings
from caisse.common.errors import CaisseError, SaleRefused
from caisse.rules.closing import close_day, keep_count, kept_count, read_summary
from caisse.rules.day_report import z_report
from caisse.rules.drafts import add_to_draft, cancel_draft, start_draft
from caisse.rules.payments import PaymentRequest as Pay
from caisse.rules.sales import LineRequest, connect_seller, disconnect_seller, pay_ticket
from caisse.rules.sessions import open_session, resume
from caisse.services.till import counter, run
from caisse.services.workflow import record_cash_move
from tests.caisse.helpers import D, rows, sell, users
from tests.caisse.test_cli import caisse
from tests.conftest import MANAGER, SELLER

IDLE = timedelta(minutes=15)

# Cash moves under control.

def test_a_cash_move_that_would_make_the_expected_cash_negative_is_refused(opened):
    manager, seller = users(opened)
    with pytest.raises(SaleRefused, match="ne doit contenir que 150,00 € d'espèces"):
        record_cash_move(opened, load_settings(), "C01", seller, "SORTIE", D("150.01"), "Fournitures")
    with pytest.raises(SaleRefused, match="ne doit contenir que 150,00 €"):
        record_cash_move(opened, load_settings(), "C01", manager, "REMISE", D("5000"), "Banque")
    assert rows(opened, "SELECT count(*) FROM t_livre_de_caisse WHERE type <> 'FOND'") == [(0,)]
    assert read_summary(opened, "C01").especes_theorique == D("150.00")


def test_a_cash_move_above_the_threshold_needs_a_managers_password_and_prints_a_slip(opened):
    manager, seller = users(opened)
    settings = load_settings()
    record_cash_move(opened, settings, "C01", seller, "ENTREE", D("1500"), "Apport de monnaie", manager)
    with pytest.raises(SaleRefused, match="plus de 200,00 € demande le mot de passe d'un responsable"):
        record_cash_move(opened, settings, "C01", seller, "SORTIE", D("1500"), "Achat")
    with pytest.raises(CaisseError, match="pas le droit de fermer la caisse"):  # another seller is no manager
        record_cash_move(opened, settings, "C01", seller, "SORTIE", D("1500"), "Achat", seller)
    ident, slip = record_cash_move(opened, settings, "C01", seller, "SORTIE", D("250"), "Réparation vitrine", manager)
    text = slip.text_path.read_text(encoding="utf-8")
    assert "SORTIE D'ESPÈCES" in text and "250,00 €" in text and "Motif : Réparation vitrine" in text
    link = rows(opened, "SELECT empreinte FROM maillon WHERE chaine = 'mouvement' AND ref = ?", [ident])[0][0]
    assert f"Empreinte {link[:16]}" in text and slip.text_path.stem.startswith("C01-MVT")
    assert rows(opened, "SELECT detail FROM jet WHERE code = 175 ORDER BY ts DESC LIMIT 1")[0][0].endswith(
        f"autorisé par {MANAGER.login}")
    record_cash_move(opened, settings, "C01", manager, "SORTIE", D("300"), "Banque")  # a manager approves himself
    assert read_summary(opened, "C01").especes_theorique == D("1100.00")


def test_the_cli_move_asks_a_manager_above_the_threshold(opened, settings):
    opened.release()
    env = {"CAISSE_HOME": str(settings.home)}
    refused = caisse("move", "--caisse", "C01", "--user", SELLER.login, "--type", "ENTREE", "--amount", "500",
                     "--reason", "Apport", password=SELLER.password, env=env)
    assert refused.returncode == 1 and "demande le mot de passe d'un responsable" in refused.stderr
    done = caisse("move", "--caisse", "C01", "--user", SELLER.login, "--type", "ENTREE", "--amount", "500",
                  "--reason", "Apport", "--responsable", MANAGER.login, password=SELLER.password,
                  env={**env, "CAISSE_RESPONSABLE_PASSWORD": MANAGER.password})
    assert done.returncode == 0 and "Entrée d'espèces de 500,00 € enregistrée" in done.stdout, done.stderr
    assert "Bordereau" in done.stdout


# Vouchers as customers use them.

def test_a_credit_note_is_taken_for_what_is_due_and_a_voucher_number_scanned_pays(opened):
    _, seller = users(opened)
    connection = connect_seller(opened, "C01", seller)
    token = open_session(opened, seller, "C01", connection)
    session = resume(opened, token, IDLE)
    assert run(opened, load_settings(), session, {"kind": "scan", "text": "ART00001"}).ok  # 10,70 €
    said = run(opened, load_settings(), resume(opened, token, IDLE), {"kind": "scan", "text": "AV000003"})  # 30 € note
    assert said.ok and said.message == "Avoir n°AV000003 : 10,70 € utilisés, il y restera 19,30 €.", said.message
    state = counter(opened, resume(opened, token, IDLE))
    assert state.remaining == 0 and state.change == 0
    done = run(opened, load_settings(), resume(opened, token, IDLE), {"kind": "validate"})
    assert done.ok
    assert rows(opened, "SELECT montant_utilise FROM t_avoir WHERE numero = 'AV000003'") == [(D("10.70"),)]
    run(opened, load_settings(), resume(opened, token, IDLE), {"kind": "scan", "text": "ART00001"})
    said = run(opened, load_settings(), resume(opened, token, IDLE), {"kind": "pay", "code": "CHQCAD",
                                                                      "numero": "CC000005"})
    assert said.ok and "le reste, 19,30 €, sera remis au client en avoir" in said.message  # its value, not the due
    state = counter(opened, resume(opened, token, IDLE))
    assert state.change == 0 and state.reste_cheque == D("19.30")
    assert "reste du chèque cadeau : 19,30 €" in run(opened, load_settings(), resume(opened, token, IDLE),
                                                      {"kind": "validate"}).message
    disconnect_seller(opened, connection)


def test_credit_notes_redeemed_and_issued_are_two_lines_on_the_z(opened):
    from tests.caisse.helpers import returned
    manager, seller = users(opened)
    sale = sell(opened, seller, articles=(("ART00002", 1),), pay=[Pay("AVOIR", D("30"), "AV000003"),
                                                                  Pay("ESP", D("20"))])
    returned(opened, seller, refund="AVOIR", reason="Taille", sale=str(sale.numero), quantities={1: D("1")})
    lines = {label: amount for _, label, amount in read_summary(opened, "C01").per_method}
    assert lines["Avoir utilisés"] == D("30.00") and lines["Avoir émis"] == D("-40.60")
    close_day(opened, "C01", manager, especes=read_summary(opened, "C01").especes_theorique)
    with opened.connect() as con:
        z = z_report(con, "C01")
    assert [(label, amount) for _, label, amount in z.per_method if label.startswith("Avoir")] == [
        ("Avoir utilisés", D("30.00")), ("Avoir émis", D("-40.60"))]
    assert z.avoirs_emis == D("40.60")


# An abandoned ticket says what to hand back.

def test_abandoning_a_ticket_that_holds_a_cash_payment_says_what_to_hand_back(opened):
    from caisse.rules.drafts import add_payment
    manager, seller = users(opened)
    connect_seller(opened, "C01", seller)
    draft = start_draft(opened, "C01", seller)
    add_to_draft(opened, draft, seller, LineRequest("ART00001", D("1")))
    add_payment(opened, draft, seller, Pay("ESP", D("5")))
    said = cancel_draft(opened, draft, manager, "Client parti")
    assert said == "Ticket abandonné : rendez au client ce qu'il avait remis, 5,00 € en espèces."
    detail = rows(opened, "SELECT detail FROM jet WHERE code = 155")[0][0]
    assert "Client parti ; à rendre au client : 5,00 € en espèces" in detail and "1 ligne)" in detail


# Quantities follow the article's unit.

def test_a_piece_is_sold_by_whole_numbers_and_a_weight_by_any_quantity(opened):
    _, seller = users(opened)
    with pytest.raises(SaleRefused, match="se vend à l'unité : la quantité doit être un nombre entier .1,5 refusé"):
        sell(opened, seller, articles=(("ART00001", "1.5"),))
    done = sell(opened, seller, articles=(("ART00084", "1.5"),))  # sugar, by the kg
    assert done.lines[0][3] == D("1.500")


# The count in progress survives a refresh and a second tab.

def test_the_count_in_progress_is_kept_in_the_store(opened):
    manager, _ = users(opened)
    keep_count(opened, "C01", manager, {"20.00": "3", "0.50": "4"})
    keep_count(opened, "C01", manager, {"0.50": "5"})
    assert kept_count(opened, "C01") == {"20.00": "3", "0.50": "5"}


# The CLI shares the seller's connection.

def test_fifty_cli_sells_of_one_seller_from_two_loops_all_succeed_and_keep_the_tablets_connection(opened, settings):
    _, seller = users(opened)
    tablet = connect_seller(opened, "C01", seller)
    opened.release()
    env = {**os.environ, "CAISSE_HOME": str(settings.home), "CAISSE_PASSWORD": SELLER.password,
           "CAISSE_LOCK_TIMEOUT": "60"}
    env.pop("CAISSE_CONFIG", None)
    failures: list[str] = []

    def loop(n: int) -> None:
        for _ in range(n):
            done = subprocess.run([sys.executable, "-m", "caisse", "sell", "--caisse", "C01", "--user", SELLER.login,
                                   "--article", "ART00001", "--pay", "ESP=20"], env=env, capture_output=True,
                                  text=True, cwd=settings.home.parent)
            if done.returncode:
                failures.append(done.stderr)
    threads = [threading.Thread(target=loop, args=(25,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert rows(opened, "SELECT count(*), max(numero) FROM t_ticket") == [(50, 50)]
    assert rows(opened, "SELECT fin FROM connexion WHERE id_connexion = ?", [tablet]) == [(None,)]
    draft = start_draft(opened, "C01", seller)  # the tablet still sells
    add_to_draft(opened, draft, seller, LineRequest("ART00001", D("1")))
    assert pay_ticket(opened, draft, seller, [Pay("ESP", D("10.70"))]).numero == 51


