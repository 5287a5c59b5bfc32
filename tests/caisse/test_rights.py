"""Rights in the domain (issue 13, point 7): every function of caisse/ that changes or prints something takes the
user and checks the right itself, whatever a page shows; each is called here by a user who lacks it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from caisse.common.config import load_settings
from caisse.common.errors import CaisseError, RightMissing, SaleRefused
from caisse.rules.auth import login
from caisse.rules.drafts import LineRequest, add_payment, add_to_draft, remove_line, set_quantity, start_draft
from caisse.rules.opening import open_day
from caisse.rules.payments import PaymentRequest
from caisse.rules.sales import connect_seller, disconnect_seller, pay_ticket
from caisse.services.home import open_store
from caisse.services.sync import run_import
from caisse.services.workflow import (
    print_credit_note,
    print_receipt,
    print_test_page,
    print_x,
    print_z,
    reprint_receipt,
)
from pipeline.demo import DEMO_USERS, demo_tables, write_demo_shop
from pipeline.passwords import make_hash
from tests.caisse.helpers import close_exact, sell
from tests.conftest import MANAGER, SELLER

NOBODY = ("stagiaire", "stage2026")  # a user of a group granted nothing


@pytest.fixture
def shop(settings):
    """The demo shop where vendeur2 belongs to a group granted nothing; C01 open, one sale, one closed day."""
    from caisse.services.home import initialise
    tables = demo_tables()
    tables["t_utilisateur_groupe"][0].append({"id_utilisateur_groupe": 3, "libelle": "Stagiaires"})
    tables["t_utilisateur"][0].append({"id_utilisateur": 99, "login": NOBODY[0], "nom": "Stagiaire", "prenom": "Léa",
                                       "mot_de_passe": make_hash(NOBODY[1], "sel-du-stagiaire"),
                                       "id_utilisateur_groupe": 3, "actif": "true"})
    initialise(settings)
    write_demo_shop(settings.local_drop_dir, tables=tables)
    store = open_store(settings)
    run_import(store, settings, "C01", MANAGER.login, MANAGER.password)
    manager, seller = login(store, MANAGER.login, MANAGER.password), login(store, SELLER.login, SELLER.password)
    open_day(store, "C01", manager, Decimal("150.00"))
    sale = sell(store, seller)
    close_exact(store, manager)
    open_day(store, "C01", manager, Decimal("150.00"))
    return store, manager, seller, login(store, *NOBODY), sale


def test_every_print_checks_its_right(shop):
    store, manager, seller, nobody, sale = shop
    settings = load_settings()
    refused = {
        "receipt": lambda: print_receipt(store, settings, sale, nobody),
        "duplicate": lambda: reprint_receipt(store, settings, "C01", sale.numero, nobody),
        "credit note": lambda: print_credit_note(store, settings, "C01", "AV000001", nobody),
        "Z by a seller": lambda: print_z(store, settings, "C01", seller, 1),
        "X by a seller": lambda: print_x(store, settings, "C01", seller),
        "test page by a seller": lambda: print_test_page(store, settings, seller),
    }
    for what, attempt in refused.items():
        with pytest.raises(RightMissing):
            attempt()
        assert what  # each one refused, by name
    with store.connect() as con:
        assert con.execute("SELECT count(*) FROM impression").fetchall()[0][0] == 0  # nothing printed, nothing kept
    assert print_z(store, settings, "C01", manager, 1).duplicata == 0  # the one with the right may
    with pytest.raises(CaisseError, match="utilisateur identifié"):
        from caisse.paper.printing import print_document
        from caisse.services.workflow import x_document
        print_document(store, settings, x_document(store, settings, "C01"), user=None)


def test_paying_a_ticket_needs_the_seller_connected_now(shop):
    store, _, seller, _, _ = shop
    connection = connect_seller(store, "C01", seller)
    draft = start_draft(store, "C01", seller)
    add_to_draft(store, draft, seller, LineRequest("ART00001", Decimal("1")))
    add_payment(store, draft, seller, PaymentRequest("ESP", Decimal("20")))
    disconnect_seller(store, connection)
    with pytest.raises(SaleRefused, match="n'a pas de connexion ouverte à la caisse C01"):
        pay_ticket(store, draft, seller)


def test_a_seller_cannot_change_another_sellers_parked_ticket_nor_someone_without_the_right(shop):
    store, manager, seller, nobody, _ = shop
    other = login(store, DEMO_USERS[2].login, DEMO_USERS[2].password)  # vendeur2, a seller too
    connect_seller(store, "C01", seller)
    connect_seller(store, "C01", other)
    draft = start_draft(store, "C01", seller)
    add_to_draft(store, draft, seller, LineRequest("ART00001", Decimal("1")))
    for who in (other, nobody):
        for change, *values in ((add_to_draft, LineRequest("ART00002", Decimal("1"))),
                                (set_quantity, 1, Decimal("3")), (remove_line, 1),
                                (add_payment, PaymentRequest("ESP", Decimal("5"))), (pay_ticket,)):
            with pytest.raises(RightMissing):
                change(store, draft, who, *values)
    assert len(add_to_draft(store, draft, manager, LineRequest("ART00002", Decimal("1"))).lines) == 2  # a manager may
