"""The import of DESIGN section 5 from a local drop: the seed's log, one transaction, nothing lost."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from caisse.common.errors import (
    CaisseError,
    ImportNotAllowed,
    LoginFailed,
    NothingToImport,
    RightMissing,
    UnknownRegister,
)
from caisse.rules.lifecycle import register_states
from caisse.services.home import open_store
from caisse.services.sync import BANNER, run_import
from pipeline import IMPORT_MANIFEST, PipelineError, read_manifest, read_table, write_manifest
from pipeline.demo import write_demo_shop
from pipeline.manifest import FileEntry, sha256_file
from tests.caisse.helpers import new_lot
from tests.conftest import MANAGER, SELLER, drop_files, snapshot
from tests.pipeline.test_xmlread import HOSTILE


def do_import(settings, caisse="C01", user=MANAGER, password=None, lines=None):
    return run_import(open_store(settings), settings, caisse, user.login, password or user.password,
                      echo=None if lines is None else lines.append)


def states(settings):
    with open_store(settings).connect() as con:
        return {s.code: s.etat for s in register_states(con)}


def redeliver(settings, **changes):
    """The main server drops the demo lot again; `changes` replaces files (name -> bytes) and the manifest follows."""
    folder = settings.local_drop_dir
    write_demo_shop(folder, lot=new_lot())
    manifest = read_manifest(folder / IMPORT_MANIFEST)
    for name, content in changes.items():
        (folder / name).write_bytes(content)
        try:
            rows = len(read_table(folder / name))
        except PipelineError:
            rows = 0
        manifest.fichiers = [f for f in manifest.fichiers if f.nom != name] + [
            FileEntry(name, rows, sha256_file(folder / name))]
    write_manifest(manifest, folder / IMPORT_MANIFEST)


def test_the_first_import_fills_the_store_and_logs_the_seeds_lines_in_order(demo):
    lines = []
    result = do_import(demo, lines=lines)
    assert lines[0] == "Synchronisation des données en cours ..."
    received = [i for i, line in enumerate(lines) if line.startswith("Réception de ")]
    banner = lines.index(BANNER)
    deletes = [i for i, line in enumerate(lines) if line.startswith("DELETE FROM ")]
    removed = [i for i, line in enumerate(lines) if line.startswith("Suppression de ")]
    assert len(received) == len(removed) == 26 and len(deletes) == 25
    assert max(received) < banner < min(deletes) <= max(deletes) < min(removed)
    assert re.fullmatch(r"Réception de /t_avoir\.xml depuis le dossier local .*/home/\S+ en tant que .*/t_avoir\.xml "
                        r"réussi\.", lines[received[2]])
    assert any(re.fullmatch(r"Suppression de /t_avoir\.xml sur le dossier local .*/home/\S+ réussie\.", line)
               for line in lines)
    assert "Lot GESPX-DEMO-0001 préparé par le serveur principal srv-appli2." in lines
    assert lines[deletes[0]] == "DELETE FROM t_caisse" and lines[deletes[1]] == "DELETE FROM t_utilisateur"
    assert result.lot == "GESPX-DEMO-0001" and result.tables["t_article"] == 2002
    assert states(demo) == {"C01": "prete", "C02": "a_importer"}
    assert drop_files(demo) == {}
    kept = demo.received_dir / result.id_run
    assert len(list(kept.glob("*.xml"))) == 26


def test_the_run_and_its_whole_log_are_recorded(demo):
    lines = []
    result = do_import(demo, lines=lines)
    from caisse.rules.history import run_log
    with open_store(demo).connect() as con:
        run, logged = run_log(con, result.lot)
    assert run.statut == "reussi" and run.lignes == result.rows
    assert [message for _, message in logged] == lines
    assert (demo.logs_dir / f"{result.id_run}.log").read_text(encoding="utf-8").count("\n") == len(lines)


def test_only_the_tables_delivered_are_replaced(imported):
    folder = imported.local_drop_dir
    (folder / "t_article.xml").write_text(
        '<t_article><a id_article="1" code="NOUVEAU" prix_ttc="2" id_tva="1"/></t_article>', encoding="utf-8")
    do_import(imported)
    with open_store(imported).connect() as con:
        assert con.execute("SELECT count(*), min(code) FROM t_article").fetchall() == [(1, "NOUVEAU")]
        assert con.execute("SELECT count(*) FROM t_utilisateur").fetchall() == [(3,)]


def test_reimporting_the_same_lot_is_harmless(imported):
    before = snapshot(imported)
    redeliver(imported)
    do_import(imported)
    assert snapshot(imported) == before


def test_an_import_for_another_register_makes_it_the_one_ready(imported):
    redeliver(imported)
    do_import(imported, caisse="C02")
    assert states(imported) == {"C01": "a_importer", "C02": "prete"}


@pytest.mark.parametrize("content,words,where", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_file_changes_neither_the_store_nor_the_drop(imported, monkeypatch, content, words, where):
    if isinstance(content, str):
        content = content.encode()
    redeliver(imported, **{"t_article.xml": content})
    store_before, drop_before = snapshot(imported), drop_files(imported)
    with pytest.raises(CaisseError) as refused:
        do_import(imported)
    assert "t_article.xml" in str(refused.value) and words in str(refused.value)
    assert snapshot(imported) == store_before
    assert drop_files(imported) == drop_before


def test_a_file_over_the_configured_size_limit_changes_nothing(imported, monkeypatch):
    monkeypatch.setenv("CAISSE_MAX_FILE_MB", "0.01")
    from caisse.common.config import load_settings
    settings = load_settings()
    redeliver(settings)
    store_before, drop_before = snapshot(settings), drop_files(settings)
    with pytest.raises(CaisseError, match="t_article.xml.*limite"):
        do_import(settings)
    assert (snapshot(settings), drop_files(settings)) == (store_before, drop_before)


@pytest.mark.parametrize("case", ["missing_file", "wrong_checksum", "wrong_row_count", "other_register"])
def test_a_lot_that_does_not_match_its_manifest_changes_nothing(imported, case):
    redeliver(imported)
    folder = imported.local_drop_dir
    manifest = read_manifest(folder / IMPORT_MANIFEST)
    if case == "missing_file":
        (folder / "t_caisse.xml").unlink()
    elif case == "wrong_checksum":
        (folder / "tr_tva.xml").write_bytes((folder / "tr_tva.xml").read_bytes() + b"\n")
    elif case == "wrong_row_count":
        manifest.fichiers = [FileEntry(f.nom, f.lignes + (f.nom == "t_unite.xml"), f.sha256)
                             for f in manifest.fichiers]
    else:
        manifest.caisse = "C02"
    write_manifest(manifest, folder / IMPORT_MANIFEST)
    store_before, drop_before = snapshot(imported), drop_files(imported)
    with pytest.raises(CaisseError):
        do_import(imported)
    assert (snapshot(imported), drop_files(imported)) == (store_before, drop_before)


def test_an_import_failing_half_way_through_the_load_keeps_the_previous_data(imported):
    # Valid files, but the new t_caisse no longer knows C01: the failure comes after every DELETE.
    redeliver(imported, **{
        "t_caisse.xml": b'<t_caisse><c id_caisse="2" code="C02"/></t_caisse>',
        "t_article.xml": b'<t_article><a id_article="9" code="X" prix_ttc="1" id_tva="1"/></t_article>'})
    store_before, drop_before = snapshot(imported), drop_files(imported)
    lines = []
    with pytest.raises(UnknownRegister, match="caisses connues : C02"):
        do_import(imported, lines=lines)
    assert "DELETE FROM t_article" in lines
    assert (snapshot(imported), drop_files(imported)) == (store_before, drop_before)


def test_import_needs_the_importer_right_and_a_good_password(imported):
    redeliver(imported)
    with pytest.raises(RightMissing, match="le droit d'importer les données"):
        do_import(imported, user=SELLER)
    with pytest.raises(LoginFailed):
        do_import(imported, password="faux")
    assert len(drop_files(imported)) == 26


def test_the_first_import_checks_the_user_against_the_lot(demo):
    with pytest.raises(LoginFailed):
        do_import(demo, password="faux")
    with pytest.raises(RightMissing):
        do_import(demo, user=SELLER)
    assert snapshot(demo)["t_utilisateur"] == [] and len(drop_files(demo)) == 26
    do_import(demo)
    assert states(demo)["C01"] == "prete"


@pytest.mark.parametrize("day,expected", [("open", "ouverte"), ("closed", "fermée")])
def test_import_is_refused_while_a_register_is_open_or_a_day_waits_for_export(imported, day, expected):
    closed = datetime(2026, 11, 22, 19, 0) if day == "closed" else None
    with open_store(imported).transaction() as con:
        con.execute("INSERT INTO t_journee (id_journee, id_caisse, numero_z, date_ouverture, date_fermeture) "
                    "VALUES ('J1', 1, 1, ?, ?)", [datetime(2026, 11, 22, 9, 0), closed])
    redeliver(imported)
    with pytest.raises(ImportNotAllowed) as refused:
        do_import(imported)
    assert ("ouverte" if day == "open" else "exportées") in str(refused.value)
    assert states(imported)["C01"] == ("ouverte" if day == "open" else "a_exporter")
    assert len(drop_files(imported)) == 26


def test_an_empty_drop_says_there_is_nothing_to_import(imported):
    with pytest.raises(NothingToImport, match="rien déposé"):
        do_import(imported)


def test_an_unknown_table_listed_in_the_manifest_is_received_logged_and_ignored(imported):
    redeliver(imported, **{"t_inconnue.xml": b"<t_inconnue/>"})
    lines = []
    result = do_import(imported, lines=lines)
    assert result.ignored == ["t_inconnue.xml"]
    assert "Fichier t_inconnue.xml ignoré : table inconnue du serveur caisse." in lines


def test_a_large_file_shows_its_progress_and_is_loaded_whole(imported):
    rows = 250_000  # about 15 MB: read in one process; the parts are tested in tests/pipeline
    body = "".join(f'<a id_article="{i}" code="A{i}" prix_ttc="1,5" id_tva="1"/>\n' for i in range(1, rows + 1))
    (imported.local_drop_dir / "t_article.xml").write_text(f"<t_article>\n{body}</t_article>", encoding="utf-8")
    lines = []
    result = do_import(imported, lines=lines)
    assert result.tables["t_article"] == rows
    progress = [line for line in lines if line.startswith("Lecture de t_article.xml en cours : ")]
    counts = [int(re.sub(r"\D", "", line.split(":")[1])) for line in progress]  # one line about each 100 000
    assert len(counts) == 2 and 100_000 <= counts[0] < 200_000 <= counts[1] < rows
    assert lines.index(progress[-1]) < lines.index("Fichier t_article.xml validé : 250000 lignes.")
    with open_store(imported).connect() as con:
        assert con.execute("SELECT count(*), sum(prix_ttc) FROM t_article").fetchall() == [
            (rows, __import__("decimal").Decimal("375000.00"))]
    assert not list(imported.received_dir.glob("*/validees/*"))
