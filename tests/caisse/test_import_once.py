"""What a careless main server can send, through the whole import (issue 27): a table is never emptied by a file
it cannot read, names are compared without case, a lot is applied once, and a stale lot never makes a credit note
or a gift cheque the register used usable again."""

from __future__ import annotations

import pytest

from caisse.cli.main import main
from caisse.common.errors import CaisseError, LotAlreadyApplied, SaleRefused
from caisse.rules.payments import PaymentRequest as Pay
from caisse.services.export import run_export
from caisse.services.home import open_store
from pipeline import IMPORT_MANIFEST, read_manifest
from pipeline.demo import demo_tables, write_demo_shop
from tests.caisse.helpers import D, close_exact, new_lot, rows, sell, users
from tests.caisse.test_import import do_import, redeliver
from tests.conftest import MANAGER, SELLER, drop_files, snapshot


def test_a_table_file_of_rows_without_a_root_empties_nothing(imported):
    redeliver(imported, **{"t_cheque_cadeau.xml": b'<row id_cheque_cadeau="X1" numero="CC900001" montant="30.00"/>'
                                                  b'<row id_cheque_cadeau="X2" numero="CC900002" montant="20.00"/>'})
    before, drop_before = snapshot(imported), drop_files(imported)
    with pytest.raises(CaisseError, match="t_cheque_cadeau.xml.*sans élément racine autour"):
        do_import(imported)
    assert snapshot(imported) == before and drop_files(imported) == drop_before
    assert rows(open_store(imported), "SELECT count(*) FROM t_cheque_cadeau") == [(10,)]


def test_upper_case_files_and_a_namespaced_manifest_listing_them_in_lower_case_import(imported):
    folder = imported.local_drop_dir
    redeliver(imported)
    (folder / "t_article.xml").rename(folder / "T_ARTICLE.XML")
    manifest = (folder / IMPORT_MANIFEST).read_text(encoding="utf-8")
    namespaced = manifest.replace("<infos_import>", '<infos_import xmlns="urn:gespx:lot">', 1)
    assert namespaced != manifest
    (folder / IMPORT_MANIFEST).write_text(namespaced, encoding="utf-8")
    assert read_manifest(folder / IMPORT_MANIFEST).entry("T_ARTICLE.XML") is not None
    result = do_import(imported)
    assert result.tables["t_article"] == 2002 and result.lot.startswith("GESPX-DEMO-")


def test_a_lot_is_applied_once_and_a_manager_may_reapply_it_on_record(imported, monkeypatch):
    lot = "GESPX-DEMO-0001"  # what `caisse init --demo` deposited, and the fixture imported
    write_demo_shop(imported.local_drop_dir, lot=lot)  # the same lot, deposited again
    before, drop_before = snapshot(imported), drop_files(imported)
    with pytest.raises(LotAlreadyApplied, match=f"Le lot {lot} a déjà été appliqué le .* à "):
        do_import(imported)
    assert snapshot(imported) == before and drop_files(imported) == drop_before
    with pytest.raises(CaisseError):  # a seller may not
        do_import(imported, user=SELLER)
    monkeypatch.setenv("CAISSE_PASSWORD", MANAGER.password)
    assert main(["import", "--caisse", "C01", "--user", MANAGER.login]) == 1
    assert main(["import", "--caisse", "C01", "--user", MANAGER.login, "--reapply"]) == 0
    detail = rows(open_store(imported), "SELECT detail FROM jet WHERE code = 110 ORDER BY ts DESC LIMIT 1")[0][0]
    assert f"lot {lot}" in detail and "réappliqué à la demande" in detail


def _spend(store, imported):
    """A day that uses 20,60 € of credit note AV000003 (30 €) and gift cheque CC000001, closed and exported."""
    from caisse.rules.opening import open_day
    manager, seller = users(store)
    open_day(store, "C01", manager, D("100"))
    used = sell(store, seller, articles=(("ART00002", 1),), pay=[Pay("AVOIR", D("20.60"), "AV000003"),
                                                                 Pay("ESP", D("20"))])
    sell(store, seller, articles=(("ART00002", 1),), pay=[Pay("CHQCAD", D("30"), "CC000001"), Pay("ESP", D("20"))])
    close_exact(store, manager)
    run_export(store, imported, "C01", manager)
    return used


def test_a_stale_lot_never_makes_a_used_credit_note_or_gift_cheque_usable_again(imported):
    store = open_store(imported)
    _spend(store, imported)
    write_demo_shop(imported.local_drop_dir, lot=new_lot())  # the main server has not read the export yet
    do_import(imported)
    assert rows(store, "SELECT montant_utilise, statut FROM t_avoir WHERE numero = 'AV000003'") == [
        (D("20.60"), "EMIS")]
    assert rows(store, "SELECT statut FROM t_cheque_cadeau WHERE numero = 'CC000001'") == [("UTILISE",)]
    from caisse.rules.opening import open_day
    manager, seller = users(store)
    open_day(store, "C01", manager, D("100"))
    with pytest.raises(SaleRefused, match="n'a plus que 9,40"):
        sell(store, seller, articles=(("ART00002", 1),), pay=[Pay("AVOIR", D("30"), "AV000003"), Pay("ESP", D("20"))])
    with pytest.raises(SaleRefused, match="déjà été utilisé"):
        sell(store, seller, articles=(("ART00002", 1),), pay=[Pay("CHQCAD", D("30"), "CC000001"), Pay("ESP", D("20"))])


def test_a_lot_that_acknowledges_the_uses_is_taken_as_it_is(imported):
    store = open_store(imported)
    ticket = _spend(store, imported)
    use, = rows(store, "SELECT id_avoir_utilise, id_avoir, date_utilisation FROM t_avoir_utilise WHERE id_ticket = ?",
                [ticket.id_ticket])
    cheque_ticket = rows(store, "SELECT id_ticket FROM t_cheque_cadeau WHERE numero = 'CC000001'")[0][0]
    tables = demo_tables()
    avoirs, style = tables["t_avoir"]
    for row in avoirs:
        if row["numero"] == "AV000003":
            row["montant_utilise"] = "20,60"
    tables["t_avoir_utilise"] = ([{"id_avoir_utilise": use[0], "id_avoir": use[1],
                                   "date_utilisation": use[2].isoformat(), "montant": "20.60", "id_caisse": 1,
                                   "id_ticket": ticket.id_ticket}], {})
    cheques, _ = tables["t_cheque_cadeau"]
    for row in cheques:
        if row["numero"] == "CC000001":
            row.update(statut="UTILISE", id_ticket=cheque_ticket)
    from datetime import date, timedelta
    write_demo_shop(imported.local_drop_dir, lot=new_lot(), tables=tables, today=date.today() + timedelta(days=1))
    do_import(imported)
    assert rows(store, "SELECT montant_utilise, statut FROM t_avoir WHERE numero = 'AV000003'") == [
        (D("20.60"), "EMIS")]  # not 41,20: the lot already counts the use
    assert rows(store, "SELECT statut, id_ticket FROM t_cheque_cadeau WHERE numero = 'CC000001'") == [
        ("UTILISE", cheque_ticket)]


def test_caisse_init_demo_again_deposits_the_next_demo_lot_and_it_imports(imported, capsys):
    """The README's way to a new demo day after an export: `caisse init --demo` deposits GESPX-DEMO-0002, a lot
    not applied yet, which imports; the credit note used before stays used."""
    store = open_store(imported)
    _spend(store, imported)
    assert main(["init", "--demo"]) == 0
    assert read_manifest(imported.local_drop_dir / IMPORT_MANIFEST).lot == "GESPX-DEMO-0002"
    assert do_import(imported).lot == "GESPX-DEMO-0002"
    assert rows(store, "SELECT montant_utilise FROM t_avoir WHERE numero = 'AV000003'") == [(D("20.60"),)]
    assert main(["init", "--demo"]) == 0
    assert read_manifest(imported.local_drop_dir / IMPORT_MANIFEST).lot == "GESPX-DEMO-0003"
