"""Widened tables never jam (issue 29): the main server may send up to 20 columns outside the contract in any table
(kept as text, exported back); the register names the columns of everything it writes, so a whole day runs and
its lot is valid XML. A column whose name could not be an XML element (or is unsafe in SQL) is refused at import."""

from __future__ import annotations

import re

import pytest
from lxml import etree

from caisse.common.errors import CaisseError
from caisse.rules.opening import open_day
from caisse.rules.payments import PaymentRequest as Pay
from caisse.services.export import run_export
from caisse.services.home import open_store
from caisse.services.workflow import record_cash_move
from pipeline.contracts import contract_for
from pipeline.demo import demo_tables, write_demo_shop
from tests.caisse.helpers import D, close_exact, new_lot, rows, sell, users
from tests.caisse.test_import import do_import, redeliver

EXTRAS = ["champ-libre", "note.interne"] + [f"extra_{i:02d}" for i in range(18)]  # 20, two needing quotes in SQL


def widened_lot(settings) -> None:
    """The demo lot with 20 extra columns in every table, the cash book and the credit notes' uses included (a
    row of the main server's history each, so that the columns are there)."""
    tables = demo_tables()
    tables["t_livre_de_caisse"] = ([{"id_mouvement": "MV-SIEGE-1", "id_caisse": 2, "id_journee": "J-SIEGE-1",
                                     "date_mouvement": "2026-10-20 09:00:00", "type": "FOND", "montant": "100,00",
                                     "libelle": "Fond", "id_utilisateur": 1}], {})
    tables["t_avoir_utilise"] = ([{"id_avoir_utilise": "AU-SIEGE-1", "id_avoir": "AV-DEMO-0009",
                                   "date_utilisation": "2026-10-21 10:00:00", "montant": "5,00", "id_caisse": 2,
                                   "id_ticket": "T-SIEGE-1"}], {})
    for table, (rows_, _) in tables.items():
        known = set(contract_for(table).column_names)
        already = {k for row in rows_ for k in row} - known  # the demo's own extras (a gift cheque's comment)
        added = EXTRAS[:2] + EXTRAS[2 + len(already):]  # 20 in all, the two quoted names always among them
        for i, row in enumerate(rows_):
            row.update({name: f"{name} {i}" for name in added})
    write_demo_shop(settings.local_drop_dir, tables=tables, lot=new_lot())


def test_every_table_widened_by_twenty_columns_runs_a_whole_day_and_exports_valid_xml(imported):
    widened_lot(imported)
    result = do_import(imported)
    store = open_store(imported)
    for table in ("t_livre_de_caisse", "t_avoir_utilise", "t_avoir", "t_cheque_cadeau", "t_article", "t_caisse"):
        columns = {c for c, in rows(store, "SELECT column_name FROM information_schema.columns WHERE table_name = ?",
                                    [table])}
        assert set(EXTRAS[:2]) <= columns and len(columns - set(contract_for(table).column_names)) == 20, table
    assert result.tables["t_livre_de_caisse"] == 1
    manager, seller = users(store)
    open_day(store, "C01", manager, D("150.00"))  # writes the cash book (FOND): 8 values into 28 columns
    sell(store, seller)
    sell(store, seller, pay=[Pay("AVOIR", D("10.70"), "AV000003")])  # a credit note's use
    sell(store, seller, pay=[Pay("CHQCAD", D("30"), "CC000001")])  # a gift cheque above the basket: an avoir
    record_cash_move(store, imported, "C01", manager, "ENTREE", D("20"), "Monnaie")
    close_exact(store, manager)
    lot = run_export(store, imported, "C01", manager)
    folder = imported.local_drop_dir / "export" / "C01" / lot.lot
    files = sorted(folder.glob("*.xml"))
    assert files
    for path in files:
        etree.parse(str(path))  # well-formed, every element name a name
    credit_notes = etree.parse(str(folder / "t_avoir.xml"))  # AV000003 goes back with the columns it came with
    assert credit_notes.xpath("count(//*[local-name()='champ-libre'])") >= 1
    assert rows(store, "SELECT count(*) FROM t_avoir_utilise WHERE id_ticket IN (SELECT id_ticket FROM t_ticket)") \
        == [(1,)]


@pytest.mark.parametrize("name", ["1x", "a@b", "xml_extra", "prix public", 'a"b', "_x"])
def test_a_column_whose_name_is_no_xml_name_is_refused_at_import_and_nothing_changes(imported, name):
    field = name.replace("&", "&amp;").replace('"', "&quot;")
    dump = ('<?xml version="1.0"?>\n<mysqldump><database name="gespx"><table_data name="t_unite">'
            '<row><field name="id_unite">1</field><field name="code">U</field><field name="libelle">Unité</field>'
            f'<field name="{field}">a</field></row></table_data></database></mysqldump>\n').encode()
    redeliver(imported, **{"t_unite.xml": dump})
    before = rows(open_store(imported), "SELECT * FROM t_unite ORDER BY id_unite")
    with pytest.raises(CaisseError, match="t_unite.xml.*colonne.*« " + re.escape(name) + " »"):
        do_import(imported)
    assert rows(open_store(imported), "SELECT * FROM t_unite ORDER BY id_unite") == before


def test_every_insert_of_the_code_names_its_columns():
    """A positional INSERT breaks as soon as a lot widens the table: none is left, and none comes back."""
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    positional = re.compile(r"INSERT\s+(OR\s+\w+\s+)?INTO\s+[\w{}\"]+\s+(VALUES|SELECT)\b", re.IGNORECASE)
    found = [f"{path.relative_to(root)}:{text[:match.start()].count(chr(10)) + 1}"
             for folder in ("caisse", "pipeline") for path in sorted((root / folder).rglob("*.py"))
             for text in [path.read_text(encoding="utf-8")] for match in positional.finditer(text)]
    assert found == []
