"""Bounds on what a person types (issue 29): digits are ASCII digits (the French keyboard's ² passed isdigit() and
ended in « Erreur inattendue »), and a reason or a comment is a few hundred characters, refused in a sentence
beyond (a 20 MB reason through the app made Caisse du jour take 47 s, and would be printed and archived)."""

from __future__ import annotations

import pytest

from caisse.cli.arguments import return_line
from caisse.common.errors import CaisseError
from caisse.common.money import parse_count
from caisse.common.words import TEXT_LIMIT
from caisse.rules.closing import close_day, read_summary
from caisse.rules.corrections import cash_move, void_ticket
from caisse.rules.drafts import LineRequest, add_to_draft, cancel_draft, start_draft
from caisse.rules.returns import find_sale
from caisse.rules.sales import connect_seller
from tests.caisse.helpers import D, sell, users


@pytest.mark.parametrize("typed", ["²", "³", "٣", "४", "1²", "¹0"])
def test_digits_are_ascii_digits_everywhere_a_number_is_typed(opened, typed):
    with pytest.raises(CaisseError, match="nombre entier"):
        parse_count(typed, D("0.50"))
    with pytest.raises(CaisseError, match="mal écrite"):
        return_line(typed)
    with opened.connect() as con, pytest.raises(CaisseError, match="ni un numéro de ticket"):
        find_sale(con, "C01", typed)


def test_a_reason_or_a_comment_beyond_the_limit_is_a_sentence_and_records_nothing(opened):
    manager, seller = users(opened)
    long = "x" * (TEXT_LIMIT + 1)
    sale = sell(opened, seller)
    with pytest.raises(CaisseError, match=f"Le motif pour le mouvement est trop long \\({TEXT_LIMIT + 1} caractères\\)"
                                          f" : {TEXT_LIMIT} au plus"):
        cash_move(opened, "C01", manager, "ENTREE", D("10"), long)
    with pytest.raises(CaisseError, match="Le motif pour l'annulation est trop long"):
        void_ticket(opened, "C01", manager, sale.numero, long)
    connect_seller(opened, "C01", seller)
    draft = start_draft(opened, "C01", seller)
    add_to_draft(opened, draft, seller, LineRequest("ART00001"))
    with pytest.raises(CaisseError, match="Le motif de l'abandon est trop long"):
        cancel_draft(opened, draft, manager, long)
    cancel_draft(opened, draft, manager, "x" * TEXT_LIMIT)  # at the limit: taken
    summary = read_summary(opened, "C01")
    with pytest.raises(CaisseError, match="Le commentaire de l'écart est trop long"):
        close_day(opened, "C01", manager, especes=summary.especes_theorique + 5, accept_difference=True, comment=long,
                  force=True)
    with opened.connect() as con:
        assert con.execute("SELECT count(*) FROM t_livre_de_caisse WHERE type = 'ENTREE'").fetchall() == [(0,)]
        assert con.execute("SELECT count(*) FROM t_ticket WHERE type_ticket = 'ANNULATION'").fetchall() == [(0,)]
        assert con.execute("SELECT count(*) FROM t_journee WHERE date_fermeture IS NOT NULL").fetchall() == [(0,)]


def test_a_sparse_file_in_the_drop_is_refused_before_a_byte_is_copied(imported):
    """Last round a 2 GiB sparse file was copied densely (13 s, 2 GB written) before being refused."""
    from caisse.services.home import open_store
    from caisse.services.sync import run_import
    from tests.caisse.test_import import redeliver
    from tests.conftest import MANAGER, snapshot
    redeliver(imported)
    with open(imported.local_drop_dir / "t_article.xml", "r+b") as f:
        f.truncate(512 * 1048576)  # 512 MB announced, none of it on disk
    before = snapshot(imported)
    with pytest.raises(CaisseError, match="t_article.xml.*fichier « creux »"):
        run_import(open_store(imported), imported, "C01", MANAGER.login, MANAGER.password)
    assert snapshot(imported) == before
    kept = [p for p in imported.received_dir.rglob("*") if p.is_file()]  # the fixture's import keeps its lot
    assert kept and max(p.stat().st_size for p in kept) < 16 * 1048576  # the sparse file was never copied


def test_the_export_never_follows_a_link_planted_in_the_drop(imported, tmp_path):
    """Last round a symlinked export/C01 sent the day's files wherever it pointed."""
    from caisse.common.errors import ExportFailed
    from caisse.services.export import run_export
    from caisse.services.home import open_store
    from tests.caisse.helpers import full_day
    store = open_store(imported)
    manager, seller = users(store)
    full_day(imported, store, manager, seller)
    elsewhere = tmp_path / "ailleurs"
    elsewhere.mkdir()
    (imported.local_drop_dir / "export").mkdir(exist_ok=True)
    (imported.local_drop_dir / "export" / "C01").symlink_to(elsewhere)
    with pytest.raises(ExportFailed, match="export/C01 est un lien symbolique, pas un dossier"):
        run_export(store, imported, "C01", manager)
    assert list(elsewhere.iterdir()) == []
    (imported.local_drop_dir / "export" / "C01").unlink()
    assert run_export(store, imported, "C01", manager).lot  # the day was kept to export: it goes now


def test_the_export_writes_a_fresh_folder_renamed_into_place_so_nothing_planted_stays_beside_the_lot(imported):
    """Last round the export wrote its files one by one into the lot's folder on the drop: a manifest planted there
    beforehand stayed beside the real files, and the main server could read a half-sent lot. Now the lot is written
    into a fresh folder and renamed into place whole; a try cut off earlier leaves nothing the main server reads."""
    from caisse.services.export import run_export
    from caisse.services.home import open_store
    from tests.caisse.helpers import full_day
    store = open_store(imported)
    manager, seller = users(store)
    full_day(imported, store, manager, seller)
    exports = imported.local_drop_dir / "export" / "C01"
    planted = exports / "C01-Z000001-Z000001"
    planted.mkdir(parents=True)
    (planted / "manifest.json").write_text('{"lot": "faux"}')
    (planted / "t_ticket.xml").write_text("<faux/>")
    (exports / "C01-Z000001-Z000001.envoi").mkdir()  # a try cut off in the middle of its sending
    (exports / "C01-Z000001-Z000001.envoi" / "t_journee.xml").write_text("<moitie/>")
    result = run_export(store, imported, "C01", manager)
    assert sorted(p.name for p in exports.iterdir()) == [result.lot] == ["C01-Z000001-Z000001"]
    sent = {p.name: p.read_bytes() for p in (exports / result.lot).iterdir()}
    kept = imported.sent_dir / result.lot
    assert sent == {p.name: p.read_bytes() for p in kept.iterdir()}  # exactly the lot written, nothing planted
