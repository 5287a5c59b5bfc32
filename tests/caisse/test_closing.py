"""Closing (seed 3.1, DESIGN section 8): refusals, forced closing, count, expected cash, difference, the Z."""

from __future__ import annotations

import pytest

from caisse.common.errors import CaisseError, EcartNonValide, RightMissing, TicketsEnCours, UsersConnected
from caisse.rules.closing import close_day, read_summary
from caisse.rules.corrections import cash_move
from caisse.rules.drafts import add_to_draft, cancel_draft, start_draft
from caisse.rules.opening import open_day
from caisse.rules.payments import PaymentRequest as Pay
from caisse.rules.sales import LineRequest, connect_seller, ring_ticket
from tests.caisse.helpers import D, close_exact, sell, states, users


def table(store, sql):
    with store.connect() as con:
        return con.execute(sql).fetchall()


def test_expected_cash_is_float_plus_cash_takings_less_change_plus_moves(opened):
    manager, seller = users(opened)
    sell(opened, seller, pay=[Pay("ESP", D("50"))])                                # +10.70 cash
    sell(opened, seller, pay=[Pay("CB", D("5")), Pay("ESP", D("10"))])             # +5.70 cash
    sell(opened, seller, pay=[Pay("CHQ", D("10.70"))])                              # no cash
    cash_move(opened, "C01", manager, "ENTREE", D("20"), "Monnaie")
    cash_move(opened, "C01", manager, "SORTIE", D("3.40"), "Timbres")
    cash_move(opened, "C01", manager, "REMISE", D("100"), "Banque")
    summary = read_summary(opened, "C01")
    assert summary.especes_theorique == D("150.00") + D("10.70") + D("5.70") + D("20") - D("3.40") - D("100")
    assert [(code, amount) for code, _, amount in summary.per_method] == [
        ("ESP", D("16.40")), ("CB", D("5.00")), ("CHQ", D("10.70"))]
    assert summary.nb_tickets == 3 and summary.total_ttc == D("32.10")


def test_the_count_by_denomination_makes_the_counted_cash(opened):
    manager, seller = users(opened)
    sell(opened, seller, pay=[Pay("ESP", D("10.70"))])
    count = {D("100"): 1, D("50"): 1, D("10"): 1, D("0.50"): 1, D("0.20"): 1}   # 160.70
    closed = close_day(opened, "C01", manager, count=count)
    assert (closed.numero_z, closed.especes_compte, closed.ecart) == (1, D("160.70"), D("0.00"))
    assert table(opened, "SELECT valeur, nombre, total FROM t_comptage ORDER BY valeur DESC")[0] == (
        D("100.00"), 1, D("100.00"))
    assert states(opened)["C01"] == "a_exporter"


def test_an_unknown_denomination_is_refused(opened):
    manager, _ = users(opened)
    with pytest.raises(CaisseError, match="Coupure inconnue"):
        close_day(opened, "C01", manager, count={D("3"): 1})


def test_tickets_in_progress_stop_the_closing_and_can_be_cancelled_with_a_reason(opened):
    manager, seller = users(opened)
    connect_seller(opened, "C01", seller)
    id_ticket = start_draft(opened, "C01", seller)
    add_to_draft(opened, id_ticket, seller, LineRequest("ART00001"))
    with pytest.raises(TicketsEnCours) as refused:
        close_exact(opened, manager, force=True)
    assert f"{seller.display} depuis" in str(refused.value) and ", 10,70 €" in str(refused.value)
    with pytest.raises(RightMissing):
        cancel_draft(opened, id_ticket, seller, "oubli")
    cancel_draft(opened, id_ticket, manager, "Client parti")
    close_exact(opened, manager, force=True)
    assert table(opened, "SELECT statut, motif FROM ticket_attente") == [("ABANDONNE", "Client parti")]
    assert table(opened, "SELECT count(*) FROM t_ticket") == [(0,)]  # a provisional document counts nowhere (R18)
    assert table(opened, "SELECT code FROM jet WHERE code = 155") == [(155,)]


def test_sellers_still_connected_stop_the_closing_unless_forced(opened):
    manager, seller = users(opened)
    connect_seller(opened, "C01", seller)
    with pytest.raises(UsersConnected, match="vendeur1.*forcer"):
        close_exact(opened, manager)
    with pytest.raises(RightMissing, match="le droit de forcer la fermeture"):
        close_day(opened, "C01", _closer_without_force(opened), especes=D("150"), force=True)
    with opened.transaction() as con:  # the right comes back with the next import
        con.execute("UPDATE tr_groupe_droit SET autorise = true")
    close_exact(opened, manager, force=True)
    assert table(opened, "SELECT fin IS NOT NULL, fin_forcee FROM connexion") == [(True, True)]
    assert table(opened, "SELECT fermeture_forcee FROM t_journee") == [(True,)]
    assert table(opened, "SELECT count(*) FROM jet WHERE code = 130") == [(1,)]


def _closer_without_force(store):
    """A manager whose group may close but not force: the rights come from the imported tables."""
    from caisse.rules.auth import login
    with store.transaction() as con:
        con.execute("UPDATE tr_groupe_droit SET autorise = false WHERE id_utilisateur_groupe = 1 AND "
                    "id_fonctionnalite = (SELECT id_fonctionnalite FROM tr_fonctionnalite "
                    "WHERE code = 'CAISSE_FORCER_FERMETURE')")
    return login(store, "responsable", "resp2026")


def test_a_difference_beyond_tolerance_needs_the_right_and_a_comment(opened):
    manager, seller = users(opened)
    sell(opened, seller, pay=[Pay("ESP", D("10.70"))])
    with pytest.raises(EcartNonValide, match="155,00 € comptés pour 160,70 € attendus"):
        close_day(opened, "C01", manager, especes=D("155"))
    with pytest.raises(CaisseError, match="commentaire"):
        close_day(opened, "C01", manager, especes=D("155"), accept_difference=True)
    closed = close_day(opened, "C01", manager, especes=D("155"), accept_difference=True, comment="Erreur de rendu")
    assert closed.ecart == D("-5.70")
    assert table(opened, "SELECT type, montant, libelle FROM t_livre_de_caisse WHERE type = 'ECART'") == [
        ("ECART", D("-5.70"), "Erreur de rendu")]
    assert table(opened, "SELECT ecart_valide_par, commentaire FROM t_journee") == [(1, "Erreur de rendu")]


def test_a_difference_within_tolerance_closes_without_validation(opened):
    manager, _ = users(opened)
    with opened.transaction() as con:
        con.execute("INSERT OR REPLACE INTO tr_parametre VALUES ('tolerance_ecart', '0,50')")
    closed = close_day(opened, "C01", manager, especes=D("149.60"))
    assert closed.ecart == D("-0.40")


def test_a_seller_cannot_close(opened):
    _, seller = users(opened)
    with pytest.raises(RightMissing, match="le droit de fermer la caisse"):
        close_exact(opened, seller)


def test_z_numbers_are_gapless_and_the_grand_total_perpetual(opened):
    manager, seller = users(opened)
    sell(opened, seller)
    close_exact(opened, manager)
    for _ in range(2):
        open_day(opened, "C01", manager, D("0"))
        sell(opened, seller)
        close_exact(opened, manager)
    assert table(opened, "SELECT numero_z, total_ttc, grand_total FROM t_journee ORDER BY numero_z") == [
        (1, D("10.70"), D("10.70")), (2, D("10.70"), D("21.40")), (3, D("10.70"), D("32.10"))]


def test_voided_tickets_are_shown_apart_from_the_ticket_count(opened):
    from caisse.rules.corrections import void_ticket
    manager, seller = users(opened)
    sell(opened, seller)
    sell(opened, seller)
    void_ticket(opened, "C01", manager, 1, "Doublon")
    summary = read_summary(opened, "C01")
    assert (summary.nb_tickets, summary.nb_annules, summary.total_ttc) == (1, 1, D("10.70"))


def test_the_blind_count_setting_is_read_from_the_parameters(opened):
    assert read_summary(opened, "C01").comptage_aveugle is False
    with opened.transaction() as con:
        con.execute("INSERT OR REPLACE INTO tr_parametre VALUES ('comptage_aveugle', 'oui')")
    assert read_summary(opened, "C01").comptage_aveugle is True


def test_a_refused_closing_changes_nothing(opened):
    manager, seller = users(opened)
    connect_seller(opened, "C01", seller)
    ring_ticket(opened, "C01", seller, [LineRequest("ART00001")], [Pay("ESP", D("20"))])  # and stays connected
    before = table(opened, "SELECT * FROM t_journee")
    with pytest.raises(UsersConnected):
        close_exact(opened, manager)
    with pytest.raises(EcartNonValide):
        close_day(opened, "C01", manager, especes=D("1"), force=True)
    assert table(opened, "SELECT * FROM t_journee") == before
    assert table(opened, "SELECT count(*) FROM t_comptage") == [(0,)]
    assert table(opened, "SELECT count(*) FROM connexion WHERE fin IS NULL") == [(1,)]


def test_the_reconciliation_shows_each_closed_day_with_its_takings_and_difference(opened):
    from datetime import date, timedelta

    from caisse.services.backoffice import reconciliation
    manager, seller = users(opened)
    sell(opened, seller, pay=[Pay("CB", D("5")), Pay("ESP", D("10"))])             # 5.70 cash, 5.00 card
    sell(opened, seller, pay=[Pay("CHQ", D("10.70"))])
    cash_move(opened, "C01", manager, "ENTREE", D("20"), "Monnaie")
    cash_move(opened, "C01", manager, "REMISE", D("5"), "Banque")
    close_day(opened, "C01", manager, especes=D("170.00"), accept_difference=True, comment="pièce perdue")
    open_day(opened, "C01", manager, D("0"))
    sell(opened, seller)
    close_exact(opened, manager)
    today = date.today()
    second, first = reconciliation(opened, today, today)
    assert (first.caisse, first.numero_z, first.fond, first.especes, first.carte, first.autres) == (
        "C01", 1, D("150.00"), D("5.70"), D("5.00"), D("10.70"))
    assert (first.mouvements, first.theorique, first.compte, first.ecart, first.valide_par, first.nb_tickets) == (
        D("15.00"), D("170.70"), D("170.00"), D("-0.70"), manager.display, 2)
    assert (second.numero_z, second.especes, second.ecart, second.valide_par) == (2, D("10.70"), D("0.00"), "")
    assert reconciliation(opened, today, today, "C02") == []
    assert reconciliation(opened, today - timedelta(9), today - timedelta(1)) == []
