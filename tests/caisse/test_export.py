"""Export (DESIGN section 5): the lot, its manifest, marking, failure and an identical retry."""

from __future__ import annotations

import pytest

from caisse.common.config import load_settings
from caisse.common.errors import CaisseError, NothingToExport
from caisse.rules.history import run_log
from caisse.rules.payments import PaymentRequest as Pay
from pipeline import EXPORT_MANIFEST, EXPORT_TABLES, read_manifest, read_table
from pipeline.manifest import check_files, check_rows
from tests.caisse.helpers import D, export, full_day, sell, states, users
from tests.conftest import drop_files


def test_a_two_day_export_is_one_lot_that_adds_up_when_read_back(imported, store):
    manager, seller = users(store)
    from caisse.rules.corrections import void_ticket
    from caisse.rules.opening import open_day
    from tests.caisse.helpers import close_exact
    for _ in range(2):
        open_day(store, "C01", manager, D("100"))
        sell(store, seller, pay=[Pay("CB", D("10.70"))])
        sell(store, seller, pay=[Pay("AVOIR", D("10"), f"AV00000{_ + 2}"), Pay("ESP", D("5"))])
        sell(store, seller, articles=(("ART00002", 2),), pay=[Pay("ESP", D("100"))])
        void_ticket(store, "C01", manager, 4 * _ + 3, "Erreur")  # a void takes the next number
        close_exact(store, manager)
    result = export(imported, store, manager)
    assert result.lot == "C01-Z000001-Z000002"
    lot = imported.local_drop_dir / "export" / "C01" / result.lot
    manifest = read_manifest(lot / EXPORT_MANIFEST)
    check_files(manifest, lot, EXPORT_MANIFEST)
    frames = {t: read_table(lot / f"{t}.xml") for t in EXPORT_TABLES}
    check_rows(manifest, {f"{t}.xml": len(f) for t, f in frames.items()}, EXPORT_MANIFEST)
    assert [z for _, z in manifest.journees] == [1, 2] and manifest.caisse == "C01"
    days, tickets, lines, payments = (frames[t] for t in ("t_journee", "t_ticket", "t_ligne_ticket", "t_reglement"))
    assert list(days.lot_export) == [result.lot] * 2
    assert manifest.empreinte == days.empreinte.iloc[-1] and len(manifest.empreinte) == 64
    assert set(manifest.chaines) == {"ticket", "cloture", "mouvement", "jet"} and manifest.chaines["ticket"][0] == 8
    assert list(days.nb_tickets) == [2, 2] and list(days.nb_annulations) == [1, 1] and len(tickets) == 8
    assert sorted(tickets.type_ticket.value_counts().items()) == [("ANNULATION", 2), ("VENTE", 6)]
    assert tickets.empreinte.notna().all() and (tickets.empreinte_precedente.iloc[1:].values ==
                                                tickets.empreinte.iloc[:-1].values).all()
    assert days.total_ttc.sum() == tickets.total_ttc.sum() == lines.montant_ttc.sum()  # net of the voids
    assert (payments.montant - payments.rendu).sum() == days.total_ttc.sum()
    assert set(frames["t_avoir"].numero) == {"AV000002", "AV000003"}
    assert len(frames["t_avoir_utilise"]) == 2 and len(frames["t_comptage"]) == 0
    assert sorted(frames["t_livre_de_caisse"].type) == ["FOND", "FOND"]
    assert states(store)["C01"] == "a_importer"


def test_files_arrive_under_their_final_names_with_the_manifest(imported, store):
    manager, seller = users(store)
    full_day(imported, store, manager, seller)
    result = export(imported, store, manager)
    names = sorted(drop_files(imported))
    assert names == sorted(f"export/C01/{result.lot}/{n}" for n in [f"{t}.xml" for t in EXPORT_TABLES]
                           + [EXPORT_MANIFEST])


def test_nothing_to_export_is_said(imported, store):
    manager, _ = users(store)
    with pytest.raises(NothingToExport):
        export(imported, store, manager)


def test_a_seller_cannot_export(imported, store):
    manager, seller = users(store)
    full_day(imported, store, manager, seller)
    with pytest.raises(CaisseError, match="le droit d'exporter les données"):
        export(imported, store, seller)


def test_a_failed_export_keeps_the_days_and_a_retry_sends_the_same_lot(imported, store, monkeypatch):
    manager, seller = users(store)
    full_day(imported, store, manager, seller, tickets=3)
    monkeypatch.setenv("CAISSE_DROP", (imported.home / "absent").as_uri())
    with pytest.raises(CaisseError) as failed:
        export(load_settings(), store, manager)
    assert str(failed.value).lower().count("contactez la hotline") == 1 and "n'existe pas" in str(failed.value)
    assert failed.value.exit_code == 3 and states(store)["C01"] == "echec_export"
    sent = imported.sent_dir / "C01-Z000001-Z000001"
    first = {p.name: p.read_bytes() for p in sent.iterdir()}
    monkeypatch.delenv("CAISSE_DROP")
    result = export(imported, store, manager)
    assert result.lot == "C01-Z000001-Z000001"
    remote = imported.local_drop_dir / "export" / "C01" / result.lot
    assert {p.name: p.read_bytes() for p in remote.iterdir()} == first
    assert states(store)["C01"] == "a_importer"
    with store.connect() as con:
        run, lines = run_log(con, result.lot)
    assert run.statut == "reussi" and any("Envoi de" in m for _, m in lines)


def test_another_program_reads_the_lot_and_it_adds_up(imported, store):
    """pandas.read_xml, not our reader, as the main server's own tools would."""
    from decimal import Decimal

    import pandas as pd
    manager, seller = users(store)
    full_day(imported, store, manager, seller, tickets=4)
    result = export(imported, store, manager)
    lot = imported.local_drop_dir / "export" / "C01" / result.lot
    tickets = pd.read_xml(lot / "t_ticket.xml", dtype=str)
    lines = pd.read_xml(lot / "t_ligne_ticket.xml", dtype=str)
    day = pd.read_xml(lot / "t_journee.xml", dtype=str)
    assert len(tickets) == int(day.nb_tickets[0]) == 4
    assert sum(map(Decimal, tickets.total_ttc)) == sum(map(Decimal, lines.montant_ttc)) == Decimal(day.total_ttc[0])
