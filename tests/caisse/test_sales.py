"""Selling (DESIGN section 8): lines, payments, change, credit notes, gift vouchers, voids, cash moves."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest

from caisse.common.errors import RightMissing, SaleRefused
from caisse.rules.corrections import cash_move, void_ticket
from caisse.rules.drafts import add_payment, add_to_draft, parked, remove_payment, start_draft
from caisse.rules.payments import PaymentRequest as Pay
from caisse.rules.sales import LineRequest, connect_seller, pay_ticket, ring_ticket
from caisse.storage.store import Store
from tests.caisse.helpers import D, breaks, sell, users


@pytest.fixture
def counter(opened):
    """The opened store, a connected seller and the manager."""
    manager, seller = users(opened)
    connect_seller(opened, "C01", seller)
    return opened, seller, manager


def one(store, seller, pay, articles=(("ART00001", 1),)):
    return ring_ticket(store, "C01", seller, [LineRequest(c, D(str(q))) for c, q in articles], pay)


def table(store, sql, params=()):
    with store.connect() as con:
        return con.execute(sql, list(params)).fetchall()


def test_cash_gives_change_and_the_ticket_gets_number_one(counter):
    store, seller, _ = counter
    ticket = one(store, seller, [Pay("ESP", D("50"))])  # ART00001 costs 10.70
    assert (ticket.numero, ticket.total_ttc, ticket.rendu) == (1, D("10.70"), D("39.30"))
    assert table(store, "SELECT montant, rendu FROM t_reglement") == [(D("50.00"), D("39.30"))]


def test_a_card_payment_must_be_exact(counter):
    store, seller, _ = counter
    with pytest.raises(SaleRefused, match="ne rendent pas la monnaie"):
        one(store, seller, [Pay("CB", D("20"))])
    with pytest.raises(SaleRefused, match="il reste 0,70 € à payer"):
        one(store, seller, [Pay("CB", D("10"))])
    assert one(store, seller, [Pay("CB", D("10.70"))]).rendu == 0
    assert table(store, "SELECT count(*) FROM t_ticket") == [(1,)]


def test_mixed_payments_give_change_only_on_cash(counter):
    store, seller, _ = counter
    ticket = one(store, seller, [Pay("CB", D("5")), Pay("ESP", D("10"))])
    assert ticket.rendu == D("4.30")


def test_quantities_and_discounts_make_the_line_amounts_and_vat(counter):
    store, seller, _ = counter
    ticket = ring_ticket(store, "C01", seller, [LineRequest("ART00001", D("3"), D("2.10"), motif="GESTE")],
                         [Pay("CB", D("30"))])
    assert ticket.total_ttc == D("30.00") and ticket.total_ht == D("25.00")  # 20 % VAT
    with pytest.raises(SaleRefused, match="remise"):
        ring_ticket(store, "C01", seller, [LineRequest("ART00001", D("1"), D("11"), motif="GESTE")],
                    [Pay("CB", D("1"))])


def test_an_article_is_found_by_code_ean_or_id(counter):
    store, seller, _ = counter
    ticket = one(store, seller, [Pay("CB", D("61.30"))], [("ART00001", 1), ("3760000000024", 1), ("3", 1)])
    assert [line[1] for line in ticket.lines] == ["ART00001", "ART00002", "ART00003"]
    with pytest.raises(SaleRefused, match="introuvable"):
        one(store, seller, [Pay("CB", D("1"))], [("NEXISTEPAS", 1)])


def test_a_credit_note_needs_its_number_and_enough_remaining(counter):
    store, seller, _ = counter
    with pytest.raises(SaleRefused, match="demande son numéro"):
        one(store, seller, [Pay("AVOIR", D("10.70"))])
    with pytest.raises(SaleRefused, match="n'a plus que 10,00 €"):
        one(store, seller, [Pay("AVOIR", D("10.70"), "AV000001")])
    one(store, seller, [Pay("AVOIR", D("10.00"), "AV000002"), Pay("ESP", D("1"))])  # AV000002 is worth 20
    assert table(store, "SELECT montant_utilise, statut FROM t_avoir WHERE numero = 'AV000002'") == [
        (D("10.00"), "EMIS")]
    one(store, seller, [Pay("AVOIR", D("10.00"), "AV000002"), Pay("ESP", D("1"))])
    assert table(store, "SELECT montant_utilise, statut FROM t_avoir WHERE numero = 'AV000002'") == [
        (D("20.00"), "UTILISE")]
    assert table(store, "SELECT count(*), sum(montant) FROM t_avoir_utilise") == [(2, D("20.00"))]
    with pytest.raises(SaleRefused, match="il est entièrement utilisé"):
        one(store, seller, [Pay("AVOIR", D("1"), "AV000002"), Pay("ESP", D("10"))])


def test_an_expired_credit_note_is_refused(counter):
    store, seller, _ = counter
    with pytest.raises(SaleRefused, match="expiré"):
        ring_ticket(store, "C01", seller, [LineRequest("ART00001")], [Pay("AVOIR", D("10"), "AV000001"),
                                                                      Pay("ESP", D("1"))], now=datetime(2028, 1, 1))


def test_a_gift_voucher_is_used_whole_once_and_only_when_sold(counter):
    store, seller, _ = counter
    # CC000001 is a sold voucher worth 30.00; ART00002 costs 40.60.
    with pytest.raises(SaleRefused, match="s'utilise en entier"):
        one(store, seller, [Pay("CHQCAD", D("20"), "CC000001"), Pay("ESP", D("50"))], [("ART00002", 1)])
    one(store, seller, [Pay("CHQCAD", D("30"), "CC000001"), Pay("ESP", D("20"))], [("ART00002", 1)])
    assert table(store, "SELECT statut FROM t_cheque_cadeau WHERE numero = 'CC000001'") == [("UTILISE",)]
    with pytest.raises(SaleRefused, match="déjà été utilisé"):
        one(store, seller, [Pay("CHQCAD", D("30"), "CC000001"), Pay("ESP", D("20"))], [("ART00002", 1)])
    with pytest.raises(SaleRefused, match="pas encore été vendu"):
        one(store, seller, [Pay("CHQCAD", D("20"), "CC000008"), Pay("ESP", D("30"))], [("ART00002", 1)])


@pytest.mark.parametrize("rest", ["avoir", "perdu"])
def test_a_gift_cheque_worth_more_than_the_basket_pays_it_and_its_rest_is_a_credit_note(counter, monkeypatch, rest):
    """CC000005 is worth 30,00 € and ART00001 costs 10,70 €: the cheque pays the ticket, and its 19,30 € rest is
    issued at once as a credit note of the register (or lost, by the setting cheque_cadeau_reste)."""
    store, seller, _ = counter
    monkeypatch.setenv("CAISSE_CHEQUE_CADEAU_RESTE", rest)
    from caisse.common.config import load_settings
    from caisse.services.home import open_store
    store = open_store(load_settings())
    done = one(store, seller, [Pay("CHQCAD", D("30"), "CC000005")], [("ART00001", 1)])
    assert done.total_ttc == D("10.70") and done.rendu == 0 and done.reste_cheque == D("19.30")
    assert table(store, "SELECT montant, rendu FROM t_reglement WHERE code_moyen = 'CHQCAD'") == [(D("30.00"),
                                                                                                  D("19.30"))]
    issued = table(store, "SELECT numero, montant, statut FROM t_avoir WHERE id_ticket_emission = ?", [done.id_ticket])
    assert issued == ([("AV-C01-000001", D("19.30"), "EMIS")] if rest == "avoir" else [])
    assert table(store, "SELECT statut FROM t_cheque_cadeau WHERE numero = 'CC000005'") == [("UTILISE",)]


def test_an_unknown_payment_method_is_refused_with_the_known_ones(counter):
    store, seller, _ = counter
    with pytest.raises(SaleRefused, match="ESP, CB, CHQ, AVOIR, CHQCAD"):
        one(store, seller, [Pay("BITCOIN", D("10.70"))])


def test_a_seller_must_be_connected_and_the_register_open(opened):
    _, seller = users(opened)
    with pytest.raises(SaleRefused, match="pas de connexion ouverte à la caisse C01 : cliquez d.abord sur Connecter"):
        one(opened, seller, [Pay("ESP", D("20"))])


def test_a_parked_ticket_survives_a_restart_with_its_payments_and_can_be_paid_later(counter):
    store, seller, _ = counter
    id_ticket = start_draft(store, "C01", seller)
    add_to_draft(store, id_ticket, seller, LineRequest("ART00001", D("2")))
    add_payment(store, id_ticket, seller, Pay("ESP", D("25")))
    store.release()
    again = Store(store.path, key_path=store.key_path)  # as a restarted app would
    with again.connect() as con:
        found = parked(con, "C01")
    assert [(t.id_ticket, t.total_ttc, t.statut, t.payments[0][:2]) for t in found] == [
        (id_ticket, D("21.40"), "EN_COURS", ("ESP", D("25.00")))]
    ticket = pay_ticket(again, id_ticket, seller)
    assert (ticket.numero, ticket.rendu) == (1, D("3.60"))
    with pytest.raises(SaleRefused, match="déjà validé"):  # a second click records nothing more
        pay_ticket(again, id_ticket, seller)
    assert table(again, "SELECT count(*) FROM t_ticket") == [(1,)]


def test_the_same_article_again_adds_to_its_line_and_a_payment_is_removed_alone(counter):
    store, seller, _ = counter
    id_ticket = start_draft(store, "C01", seller)
    add_to_draft(store, id_ticket, seller, LineRequest("ART00001"))
    view = add_to_draft(store, id_ticket, seller, LineRequest("3760000000017"))  # its EAN
    assert [(n, q) for n, _, _, q, *_ in view.lines] == [(1, D("2.000"))] and view.total_ttc == D("21.40")
    add_payment(store, id_ticket, seller, Pay("CB", D("10")))
    view = add_payment(store, id_ticket, seller, Pay("ESP", D("20")))
    view = remove_payment(store, id_ticket, seller, view.payments[0][4])
    assert [p[:2] for p in view.payments] == [("ESP", D("20.00"))]


def test_a_payment_is_checked_when_it_is_added(counter):
    store, seller, _ = counter
    id_ticket = start_draft(store, "C01", seller)
    add_to_draft(store, id_ticket, seller, LineRequest("ART00001"))
    with pytest.raises(SaleRefused, match="doit être positif"):
        add_payment(store, id_ticket, seller, Pay("ESP", D("0")))
    with pytest.raises(SaleRefused, match="demande son numéro"):
        add_payment(store, id_ticket, seller, Pay("AVOIR", D("5")))
    with pytest.raises(SaleRefused, match="n'a plus que 10,00 €"):
        add_payment(store, id_ticket, seller, Pay("AVOIR", D("10.70"), "AV000001"))
    with pytest.raises(SaleRefused, match="dépasse ce qui reste à payer"):
        add_payment(store, id_ticket, seller, Pay("CB", D("11")))


def test_r05_a_void_is_a_ticket_of_its_own_and_the_sale_stays_as_it_was(counter):
    store, seller, manager = counter
    one(store, seller, [Pay("AVOIR", D("10.00"), "AV000002"), Pay("ESP", D("1"))])
    before = table(store, "SELECT * FROM t_ticket"), table(store, "SELECT * FROM t_reglement")
    with pytest.raises(RightMissing, match="le droit d'annuler un ticket"):
        void_ticket(store, "C01", seller, 1, "erreur")
    with pytest.raises(SaleRefused, match="motif"):
        void_ticket(store, "C01", manager, 1, "  ")
    void = void_ticket(store, "C01", manager, 1, "Erreur de saisie")
    assert (void.numero, void.type_ticket, void.total_ttc, void.origine) == (2, "ANNULATION", D("-10.70"), 1)
    sale = table(store, "SELECT * FROM t_ticket WHERE numero = 1")
    assert sale == before[0] and set(before[1]) <= set(table(store, "SELECT * FROM t_reglement"))
    assert table(store, "SELECT numero, type_ticket, motif FROM t_ticket ORDER BY numero") == [
        (1, "VENTE", None), (2, "ANNULATION", "Erreur de saisie")]
    assert table(store, "SELECT code_moyen, montant, rendu, numero_piece FROM t_reglement WHERE id_ticket = ? "
                        "ORDER BY montant", [void.id_ticket]) == [("AVOIR", D("-10.00"), D("0.00"), "AV000002"),
                                                                  ("ESP", D("-1.00"), D("-0.30"), None)]
    assert table(store, "SELECT montant_utilise FROM t_avoir WHERE numero = 'AV000002'") == [(D("0.00"),)]
    assert table(store, "SELECT sum(montant) FROM t_avoir_utilise") == [(D("0.00"),)]  # +10 then -10, none deleted
    with pytest.raises(SaleRefused, match="déjà annulé"):
        void_ticket(store, "C01", manager, 1, "encore")
    with pytest.raises(SaleRefused, match="seule une vente s'annule"):
        void_ticket(store, "C01", manager, 2, "encore")
    assert breaks(store) == []


def test_cash_moves_need_the_right_and_a_reason(counter):
    store, seller, manager = counter
    with pytest.raises(SaleRefused, match="motif"):
        cash_move(store, "C01", manager, "SORTIE", D("5"), "")
    cash_move(store, "C01", seller, "ENTREE", D("20"), "Appoint de monnaie")
    assert table(store, "SELECT type, montant, libelle FROM t_livre_de_caisse WHERE type <> 'FOND'") == [
        ("ENTREE", D("20.00"), "Appoint de monnaie")]


def test_four_sellers_at_once_never_get_a_duplicate_or_a_missing_number(opened):
    from caisse.rules.auth import login
    from tests.conftest import MANAGER
    manager = login(opened, MANAGER.login, MANAGER.password)
    sellers = [login(opened, u, p) for u, p in [("vendeur1", "vente2026"), ("vendeur2", "vente2026")]] + [manager]
    sellers.append(sellers[0])
    for s in set(sellers):
        connect_seller(opened, "C01", s)
    errors = []

    def ring(seller):
        try:
            for _ in range(25):
                one(opened, seller, [Pay("ESP", D("20"))])
        except Exception as e:  # collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=ring, args=(s,)) for s in sellers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    numbers = [n for (n,) in table(opened, "SELECT numero FROM t_ticket ORDER BY numero")]
    assert numbers == list(range(1, 101))
    assert breaks(opened) == []


def test_a_ticket_rung_through_the_cli_helper_disconnects_the_seller(opened):
    _, seller = users(opened)
    sell(opened, seller)
    assert table(opened, "SELECT count(*) FROM connexion WHERE fin IS NULL") == [(0,)]
