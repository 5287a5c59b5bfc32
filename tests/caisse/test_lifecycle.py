"""Seed 001's state machine, one rule a test, on a real store."""

from __future__ import annotations

import pytest

from caisse.common.errors import CaisseError, ImportNotAllowed, OpenNotAllowed, RightMissing
from caisse.rules.opening import open_day
from tests.caisse.helpers import D, export, full_day, redeliver_and_import, states, users
from tests.conftest import MANAGER


def test_a_register_without_imported_data_cannot_be_opened(store):
    manager, _ = users(store)
    with pytest.raises(OpenNotAllowed, match="importer les données de cette caisse"):
        open_day(store, "C02", manager, D("100"))


def test_after_an_import_the_imported_register_is_ready_and_the_others_wait(store):
    assert states(store) == {"C01": "prete", "C02": "a_importer"}


def test_import_stays_possible_for_another_register_until_one_is_opened(imported, store):
    redeliver_and_import(imported, "C02")
    assert states(store) == {"C01": "a_importer", "C02": "prete"}


def test_once_a_register_is_open_import_is_refused(imported, opened):
    with pytest.raises(ImportNotAllowed, match="ouverte"):
        redeliver_and_import(imported)


def test_once_a_register_is_open_no_other_register_can_be_opened(opened):
    manager, _ = users(opened)
    with pytest.raises(OpenNotAllowed, match="C01 est ouverte"):
        open_day(opened, "C02", manager, D("0"))


def test_an_open_register_cannot_be_opened_twice(opened):
    manager, _ = users(opened)
    with pytest.raises(OpenNotAllowed, match="déjà ouverte"):
        open_day(opened, "C01", manager, D("0"))


def test_a_register_can_be_closed_and_reopened_several_times_before_one_export(imported, store):
    manager, seller = users(store)
    for _ in range(3):
        full_day(imported, store, manager, seller)
        assert states(store)["C01"] == "a_exporter"
    result = export(imported, store, manager)
    assert result.lot == "C01-Z000001-Z000003" and len(result.days) == 3


def test_import_is_greyed_while_closed_days_wait_for_export(imported, store):
    manager, seller = users(store)
    full_day(imported, store, manager, seller)
    with pytest.raises(ImportNotAllowed, match="n'ont pas été exportées"):
        redeliver_and_import(imported)


def test_other_registers_are_blocked_until_the_export_is_done(imported, store):
    manager, seller = users(store)
    full_day(imported, store, manager, seller)
    with pytest.raises(OpenNotAllowed, match="attend l'export"):
        open_day(store, "C02", manager, D("0"))


def test_export_is_refused_while_the_register_is_open(imported, opened):
    manager, _ = users(opened)
    with pytest.raises(CaisseError, match="est ouverte"):
        export(imported, opened, manager)


def test_after_the_export_the_register_waits_for_a_new_import(imported, store):
    manager, seller = users(store)
    full_day(imported, store, manager, seller)
    export(imported, store, manager)
    assert states(store) == {"C01": "a_importer", "C02": "a_importer"}
    with pytest.raises(OpenNotAllowed, match="importer"):
        open_day(store, "C01", manager, D("0"))
    redeliver_and_import(imported)
    open_day(store, "C01", manager, D("0"))


def test_a_failed_export_leaves_the_register_in_failure_yet_a_new_day_can_open(imported, store, monkeypatch):
    manager, seller = users(store)
    full_day(imported, store, manager, seller)
    monkeypatch.setenv("CAISSE_DROP", (imported.home / "serveur_absent").as_uri())
    from caisse.common.config import load_settings
    with pytest.raises(CaisseError, match="(?i)contactez la hotline") as failed:
        export(load_settings(), store, manager)
    assert str(failed.value).lower().count("hotline") == 1  # said once, not twice
    assert states(store)["C01"] == "echec_export"
    with pytest.raises(ImportNotAllowed):
        redeliver_and_import(imported)
    open_day(store, "C01", manager, D("50"))
    assert states(store)["C01"] == "ouverte"


@pytest.mark.parametrize("fond", [D("-1"), D("1.234")])
def test_the_float_must_be_a_positive_amount_to_the_cent(store, fond):
    manager, _ = users(store)
    with pytest.raises(OpenNotAllowed, match="fond de caisse"):
        open_day(store, "C01", manager, fond)
    assert states(store)["C01"] == "prete"


def test_a_seller_cannot_open_the_register(store):
    _, seller = users(store)
    with pytest.raises(RightMissing, match="le droit d'ouvrir la caisse"):
        open_day(store, "C01", seller, D("0"))


def test_opening_writes_the_float_in_the_cash_book_and_the_event_log(opened):
    with opened.connect() as con:
        assert con.execute("SELECT type, montant FROM t_livre_de_caisse").fetchall() == [("FOND", D("150.00"))]
        assert con.execute("SELECT count(*) FROM jet WHERE code = 45").fetchall() == [(1,)]
        assert con.execute("SELECT count(*) FROM maillon WHERE chaine = 'mouvement'").fetchall() == [(1,)]


def test_an_auto_opening_with_nothing_new_in_the_drop_opens_on_the_data_already_there(imported, store):
    from caisse.services.open_register import open_day_auto
    manager, _ = users(store)
    lines = []
    opened = open_day_auto(store, imported, "C01", MANAGER.login, MANAGER.password, D("80"), echo=lines.append)
    assert not opened.imported and "rien déposé" in opened.notes[0]
    assert lines[-1].endswith("La journée s'ouvre sur les données déjà présentes.")
    assert states(store)["C01"] == "ouverte"


def test_an_auto_opening_imports_the_new_lot_first(imported, store):
    from caisse.services.open_register import open_day_auto
    from pipeline.demo import write_demo_shop
    from tests.caisse.helpers import new_lot
    manager, seller = users(store)
    full_day(imported, store, manager, seller)
    export(imported, store, manager)
    write_demo_shop(imported.local_drop_dir, lot=new_lot())
    opened = open_day_auto(store, imported, "C01", MANAGER.login, MANAGER.password, D("80"))
    assert opened.imported and states(store)["C01"] == "ouverte"


def test_an_auto_opening_after_a_failed_export_opens_without_importing(imported, store, monkeypatch):
    from caisse.common.config import load_settings
    from caisse.services.open_register import open_day_auto
    from pipeline.demo import write_demo_shop
    from tests.caisse.helpers import new_lot
    manager, seller = users(store)
    full_day(imported, store, manager, seller)
    monkeypatch.setenv("CAISSE_DROP", (imported.home / "absent").as_uri())
    with pytest.raises(CaisseError):
        export(load_settings(), store, manager)
    monkeypatch.delenv("CAISSE_DROP")
    write_demo_shop(imported.local_drop_dir, lot=new_lot())
    opened = open_day_auto(store, imported, "C01", MANAGER.login, MANAGER.password, D("80"))
    assert not opened.imported and "n'ont pas été exportées" in opened.notes[0]
    assert states(store)["C01"] == "ouverte"
