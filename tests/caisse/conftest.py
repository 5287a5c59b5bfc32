"""Fixtures of the register's tests: a history of days that every fiscal test starts from."""

from __future__ import annotations

import pytest

from caisse.common.config import load_settings
from caisse.paper.printing import print_document
from caisse.rules.closing import read_summary
from caisse.rules.corrections import cash_move, void_ticket
from caisse.rules.opening import open_day
from caisse.rules.payments import PaymentRequest as Pay
from caisse.services.export import run_export
from caisse.services.workflow import finish_day, z_document
from tests.caisse.helpers import D, receipt, redeliver_and_import, returned, sell, users


@pytest.fixture
def history(opened, imported):
    """C01: day 1 (three sales, one voided, a cash move, closed on a count, exported), day 2 (two sales, a return
    refunded by a credit note, a Z reprint, closed), day 3 open with two sales; every receipt archived."""
    settings = load_settings()
    store = opened
    manager, seller = users(store)
    receipt(store, settings, sell(store, seller, pay=[Pay("ESP", D("20"))]), seller)
    receipt(store, settings, sell(store, seller, pay=[Pay("CB", D("10.70"))]), seller)
    receipt(store, settings, sell(store, seller, articles=(("ART00002", 1),), pay=[Pay("CHQCAD", D("30"), "CC000001"),
                                                                                   Pay("ESP", D("20"))]), seller)
    receipt(store, settings, void_ticket(store, "C01", manager, 3, "Erreur de caisse"), manager)
    cash_move(store, "C01", manager, "SORTIE", D("4.20"), "Timbres")
    finish_day(store, settings, "C01", manager, count={D("100"): 1, D("50"): 1, D("20"): 1, D("0.50"): 1},
               accept_difference=True, comment="compté vite")
    run_export(store, settings, "C01", manager)
    redeliver_and_import(settings)
    open_day(store, "C01", manager, D("100"))
    receipt(store, settings, sell(store, seller, articles=(("ART00001", 3),), pay=[Pay("ESP", D("40"))]), seller)
    receipt(store, settings, sell(store, seller, pay=[Pay("AVOIR", D("10"), "AV000002"), Pay("ESP", D("1"))]), seller)
    done = returned(store, seller, refund="AVOIR", reason="Taille", sale="6", quantities={1: D("1")})
    receipt(store, settings, done.ticket, seller)
    print_document(store, settings, z_document(store, settings, "C01", 1), user=manager)
    finish_day(store, settings, "C01", manager, especes=read_summary(store, "C01").especes_theorique)
    open_day(store, "C01", manager, D("100"))
    receipt(store, settings, sell(store, seller, pay=[Pay("ESP", D("10.70"))]), seller)
    receipt(store, settings, sell(store, seller, pay=[Pay("AVOIR", D("10.70"), done.avoir)]), seller)  # used at once
    return store, settings
