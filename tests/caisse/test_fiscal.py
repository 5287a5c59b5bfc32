"""The fiscal core (FISCAL.md), one test per requirement this product meets here, named after it, and the
tampering of every table that counts (alter, delete, insert, swap, truncate, roll back with an older head),
each shown named by `verify`: the register, the chain and the record."""

from __future__ import annotations

import os
import re
import shutil
import signal
import stat
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from caisse.cli.main import build_parser
from caisse.common.config import load_settings
from caisse.common.errors import CaisseError
from caisse.fiscal.jet import CODES
from caisse.fiscal.keys import KeyProblem
from caisse.fiscal.version import FISCAL_VERSION
from caisse.paper.printing import print_document
from caisse.rules.corrections import void_ticket
from caisse.rules.opening import open_day
from caisse.rules.payments import PaymentRequest as Pay
from caisse.rules.sales import LineRequest
from caisse.services.export import run_export
from caisse.services.home import initialise, rotate_integrity_key
from caisse.services.verification import run_verify
from caisse.services.workflow import z_document
from pipeline import EXPORT_MANIFEST, read_manifest
from tests.caisse.helpers import D, close_exact, receipt, redeliver_and_import, returned, rows, sell, tamper, users
from tests.conftest import MANAGER

# Every table a record that counts lives in, with the key its rows are known by.
RECORDS = {"t_ticket": "id_ticket", "t_ligne_ticket": "id_ligne_ticket", "t_reglement": "id_reglement",
           "t_comptage": "id_journee, valeur", "t_livre_de_caisse": "id_mouvement",
           "maillon": "id_caisse, chaine, numero",
           "jet": "id_evenement", "t_avoir_utilise": "id_avoir_utilise"}


def verified(store, settings) -> list[str]:
    return run_verify(store, settings, use_drop=False).broken


def test_an_honest_day_of_everything_verifies_and_the_result_is_an_event(history):
    store, settings = history
    assert verified(store, settings) == []
    assert rows(store, "SELECT code FROM jet WHERE code IN (90, 95)") == [(95,)]


# Conservation.

def test_r01_a_ticket_records_its_number_time_register_operator_totals_lines_and_payments(history):
    store, _ = history
    (numero, caisse, user, validated, ttc, ht, type_, origin), = rows(store, """
        SELECT t.numero, t.id_caisse, t.id_utilisateur, t.date_validation, t.total_ttc, t.total_ht, t.type_ticket,
               o.numero FROM t_ticket t LEFT JOIN t_ticket o ON o.id_ticket = t.id_ticket_origine WHERE t.numero = 4""")
    assert (numero, caisse, user, type_, origin, ttc) == (4, 1, 1, "ANNULATION", 3, D("-40.60"))
    assert validated.microsecond is not None and ht == D("-33.83")
    lines = rows(store, "SELECT libelle, quantite, prix_unitaire_ttc, remise, taux_tva, montant_ttc, montant_ht, "
                        "id_ligne_origine IS NOT NULL FROM t_ligne_ticket l JOIN t_ticket t USING (id_ticket) "
                        "WHERE t.numero = 4")
    assert len(lines) == 1 and lines[0][1:] == (D("-1.000"), D("40.60"), D("0.00"), D("20.00"), D("-40.60"),
                                                D("-33.83"), True)
    assert [n for (n,) in rows(store, "SELECT numero FROM t_ticket ORDER BY numero")] == list(range(1, 10))


def test_r02_every_elementary_record_is_kept_after_the_closing_and_the_export(history):
    store, _ = history
    exported = "SELECT count(*) FROM t_ticket WHERE id_journee IN (SELECT id_journee FROM lot_envoye)"
    assert rows(store, exported) == [(4,)]
    assert rows(store, "SELECT count(*) FROM t_ligne_ticket")[0][0] >= 9
    assert rows(store, "SELECT count(*) FROM t_comptage") == [(4,)]


# Inaltérabilité.

def test_r04_no_validated_record_is_ever_changed_by_voids_returns_reprints_closings_and_exports(history, imported):
    store, settings = history
    manager, seller = users(store)
    before = {table: set(rows(store, f"SELECT * FROM {table}")) for table in RECORDS}
    before["t_journee"] = set(rows(store, "SELECT * FROM t_journee WHERE date_fermeture IS NOT NULL"))
    before["impression"] = set(rows(store, "SELECT * EXCLUDE (statut, message) FROM impression"))
    void_ticket(store, "C01", manager, 8, "Doublon")
    returned(store, seller, refund="ESP", reason="Défaut", sale="1", quantities={1: D("1")})
    returned(store, manager, refund="AVOIR", reason="Sans ticket", articles=[LineRequest("ART00003")])
    print_document(store, settings, z_document(store, settings, "C01", 2), user=manager)
    close_exact(store, manager)
    run_export(store, settings, "C01", manager)
    after = {table: set(rows(store, f"SELECT * FROM {table}")) for table in RECORDS}
    after["t_journee"] = set(rows(store, "SELECT * FROM t_journee WHERE date_fermeture IS NOT NULL"))
    after["impression"] = set(rows(store, "SELECT * EXCLUDE (statut, message) FROM impression"))
    for table, old in before.items():
        assert old <= after[table], f"{table}: a validated row changed or disappeared"
    assert verified(store, settings) == []


SOURCES = sorted(Path(__file__).resolve().parents[2].joinpath("caisse").rglob("*.py"))
# The one UPDATE of a day allowed: filling its closing, once, while it is still open (date_fermeture IS NULL).
_WRITES = re.compile(r"(UPDATE|DELETE FROM)\s+(t_ticket|t_ligne_ticket|t_reglement|t_comptage|t_livre_de_caisse|"
                     r"maillon|jet|t_avoir_utilise|t_journee|lot_envoye|cloture_tetes|cloture_periode|journee_periode|"
                     r"archive|cle_archive|purge_journee|mode_formation)\b")


def test_r04_no_code_updates_or_deletes_a_record_that_counts():
    found = []
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        for match in _WRITES.finditer(text):
            statement = text[match.start():text.find('"""', match.start()) if '"""' in text[match.start():
                             match.start() + 600] else match.start() + 600]
            if match.group(0) == "UPDATE t_journee" and "WHERE id_journee = ? AND date_fermeture IS NULL" in statement:
                continue
            if match.group(0) == "UPDATE archive" and statement.startswith("UPDATE archive SET purgee = ?"):
                continue  # the archive's status (purged), outside its signed columns
            if path.name == "purge.py" and match.group(2) in ("t_ticket", "t_ligne_ticket", "t_reglement"):
                continue  # R24: a purge after a verified archive (tests/caisse/test_periods.py, test_r24_...)
            found.append(f"{path.name}: {match.group(0)}")
    assert found == []


def test_r06_no_command_deletes_or_reopens_and_a_closed_day_cannot_be_reopened(history):
    store, _ = history
    commands = set(build_parser()._subparsers._group_actions[0].choices)
    assert not commands & {"delete", "reopen", "rouvrir", "supprimer", "reset", "truncate"}
    manager, _ = users(store)
    days = rows(store, "SELECT id_journee FROM t_journee WHERE date_fermeture IS NOT NULL")
    with pytest.raises(CaisseError, match="déjà ouverte"):
        open_day(store, "C01", manager, D("1"))
    assert rows(store, "SELECT id_journee FROM t_journee WHERE date_fermeture IS NOT NULL") == days


# Sécurisation.

@pytest.mark.parametrize("sql,record", [
    ("UPDATE t_reglement SET id_moyen_paiement = 2 WHERE code_moyen = 'ESP' AND montant = 20", "ticket n°1"),
    ("UPDATE t_ligne_ticket SET id_article = 7 WHERE id_ticket = (SELECT id_ticket FROM t_ticket WHERE numero = 2)",
     "ticket n°2"),
    ("UPDATE t_ligne_ticket SET taux_tva = 5.5 WHERE id_ticket = (SELECT id_ticket FROM t_ticket WHERE numero = 5)",
     "ticket n°5"),
    ("UPDATE t_ticket SET date_validation = date_validation - INTERVAL 1 HOUR WHERE numero = 6", "ticket n°6"),
    ("UPDATE t_ticket SET type_ticket = 'VENTE' WHERE numero = 4", "ticket n°4"),
    ("UPDATE t_livre_de_caisse SET montant = 42 WHERE type = 'SORTIE'", "mouvement n°2"),
])
def test_r07_each_link_covers_every_column_a_report_or_an_export_reads(history, sql, record):
    store, settings = history
    tamper(store, sql)
    found = verified(store, settings)
    assert any(record in line and "son contenu a été modifié" in line for line in found), found


def test_r08_chains_are_separate_per_register_and_per_kind(history, imported):
    store, settings = history
    manager, seller = users(store)
    close_exact(store, manager)
    run_export(store, settings, "C01", manager)
    redeliver_and_import(settings, "C02")
    open_day(store, "C02", manager, D("10"))
    ticket = sell(store, seller, caisse="C02")
    assert ticket.numero == 1  # C02's own numbering
    kinds = rows(store, "SELECT id_caisse, chaine, max(numero) FROM maillon GROUP BY ALL ORDER BY ALL")
    assert {(c, k) for c, k, _ in kinds} >= {(1, "ticket"), (1, "cloture"), (1, "mouvement"), (1, "duplicata"),
                                             (1, "jet"), (2, "ticket"), (2, "mouvement"), (2, "jet"), (0, "jet")}
    assert verified(store, settings) == []


def test_r09_the_key_is_32_bytes_private_and_never_made_anew_while_links_exist(history, imported):
    store, settings = history
    key = settings.integrity_key_path
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(bytes.fromhex(key.read_text().strip())) == 32
    key.chmod(0o644)
    with pytest.raises(KeyProblem, match=f"chmod 600 {key}"):
        sell(store, users(store)[1])
    key.chmod(0o600)
    saved = key.read_bytes()
    key.write_text("")
    with pytest.raises(KeyProblem, match="vide ou illisible"):
        sell(store, users(store)[1])
    first = saved.decode().split()[0]
    for weak in ("00" * 32, "ab" * 32, "0123456789abcdef" * 4, bytes(range(32)).hex(), f"{first}\n{first}"):
        key.write_text(weak + "\n")  # its length was all that was checked: a key anyone can sign with
        with pytest.raises(KeyProblem, match="n'a pas été tirée au hasard"):
            sell(store, users(store)[1])
    key.unlink()
    with pytest.raises(KeyProblem, match="introuvable.*Restaurez"):
        sell(store, users(store)[1])
    with pytest.raises(KeyProblem, match="jamais recréée"):
        initialise(settings)
    assert not key.exists()
    key.write_bytes(saved)
    key.chmod(0o600)
    assert verified(store, settings) == []


def test_r09_a_rotation_is_an_event_linking_old_and_new_and_old_links_still_verify(history):
    store, settings = history
    manager, seller = users(store)
    old, new = rotate_integrity_key(store, manager)
    sell(store, seller)
    assert len(settings.integrity_key_path.read_text().split()) == 2
    assert rows(store, "SELECT DISTINCT cle FROM maillon ORDER BY cle") == sorted([(old,), (new,)])
    (detail,), = rows(store, "SELECT detail FROM jet WHERE code = 255")
    assert f"clé {old} remplacée par {new} ; attestation " in detail
    import hashlib
    import hmac
    first = bytes.fromhex(settings.integrity_key_path.read_text().split()[0])
    assert detail.endswith(hmac.new(first, new.encode(), hashlib.sha256).hexdigest())
    assert verified(store, settings) == []


def test_r10_every_break_is_reported_not_only_the_first(history):
    store, settings = history
    tamper(store, "UPDATE t_ticket SET total_ttc = 1 WHERE numero IN (2, 5)")
    tamper(store, "UPDATE t_comptage SET nombre = 9 WHERE valeur = 100")
    tamper(store, "UPDATE jet SET detail = 'rien' WHERE code = 45")
    found = verified(store, settings)
    assert any("ticket n°2 : son contenu" in line for line in found)
    assert any("ticket n°5 : son contenu" in line for line in found)
    assert any("la chaîne des clôtures, clôture n°1 : son contenu" in line for line in found)
    assert any("le journal des événements techniques" in line for line in found)
    assert rows(store, "SELECT code FROM jet WHERE code IN (90, 95)") == [(90,)]


def test_r10_the_cli_verify_exits_1_naming_every_break(history, imported):
    store, settings = history
    tamper(store, "DELETE FROM t_reglement WHERE code_moyen = 'CB' OR numero_piece LIKE 'AV-C01-%'")
    store.release()
    env = {**os.environ, "CAISSE_HOME": str(imported.home)}
    done = subprocess.run([sys.executable, "-m", "caisse", "verify", "--local"], capture_output=True, text=True,
                          env=env)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "Caisse C01, la chaîne des tickets, ticket n°2 : son contenu a été modifié" in done.stderr
    assert "Caisse C01, la chaîne des tickets, ticket n°9 : son contenu a été modifié" in done.stderr


def test_r11_links_without_their_head_file_are_a_broken_chain(history):
    store, settings = history
    tamper(store, "DELETE FROM maillon WHERE chaine = 'ticket' AND numero = 9")
    tamper(store, "DELETE FROM t_reglement WHERE id_ticket IN (SELECT id_ticket FROM t_ticket WHERE numero = 9)")
    tamper(store, "DELETE FROM t_ligne_ticket WHERE id_ticket IN (SELECT id_ticket FROM t_ticket WHERE numero = 9)")
    tamper(store, "DELETE FROM t_ticket WHERE numero = 9")
    shutil.rmtree(settings.integrity_key_path.parent / "chaines")
    found = verified(store, settings)
    assert any("son fichier de têtes a disparu" in line for line in found), found
    assert any("ticket n°9 : manquant" in line and "C01-T000009.txt" in line for line in found), found


def test_r11_a_store_and_head_file_put_back_from_an_older_copy_are_seen(history, tmp_path):
    store, settings = history
    _, seller = users(store)
    store.release()
    old_store, old_heads = tmp_path / "caisse.duckdb", tmp_path / "chaines"
    shutil.copy(settings.store_path, old_store)
    shutil.copytree(settings.integrity_key_path.parent / "chaines", old_heads)
    receipt(store, settings, sell(store, seller, pay=[Pay("ESP", D("10.70"))]), seller)
    store.release()
    shutil.copy(old_store, settings.store_path)  # the older copies, put back together
    shutil.rmtree(settings.integrity_key_path.parent / "chaines")
    shutil.copytree(old_heads, settings.integrity_key_path.parent / "chaines")
    found = verified(store, settings)
    assert any("ticket n°10 : manquant : la chaîne s'arrête au n°9 alors que le ticket archivé C01-T000010.txt" in line
               for line in found), found


def cut_tickets_from(store, settings, first: int) -> None:
    """Someone deletes the tickets from n°`first` on with their links, and the heads file."""
    for kind in ("maillon WHERE chaine = 'ticket' AND numero", "t_ticket WHERE numero"):
        tamper(store, f"DELETE FROM {kind} >= {first}")
    shutil.rmtree(settings.integrity_key_path.parent / "chaines")


def test_r11_the_last_lot_sent_witnesses_the_heads(history):
    store, settings = history
    manifest = read_manifest(settings.sent_dir / "C01-Z000001-Z000001" / EXPORT_MANIFEST)
    assert manifest.chaines["ticket"][0] == 4 and manifest.chaines["cloture"][0] == 1
    shutil.rmtree(settings.home / "tickets")  # no receipt nor Z archived any more
    cut_tickets_from(store, settings, 3)
    found = verified(store, settings)
    assert any("ticket n°3 : manquant : la chaîne s'arrête au n°2 alors que le lot C01-Z000001-Z000001 (copie locale) "
               "montre le n°4" in line for line in found), found


def test_r11_the_last_z_archived_witnesses_the_heads(history):
    store, settings = history
    shutil.rmtree(settings.sent_dir)
    for path in (settings.home / "tickets").rglob("C01-T*"):
        path.unlink()
    cut_tickets_from(store, settings, 6)
    found = verified(store, settings)
    assert any("ticket n°6 : manquant : la chaîne s'arrête au n°5 alors que le ticket Z archivé C01-Z000002.txt "
               "montre le n°7" in line for line in found), found


def test_r11_the_drop_s_copy_of_the_last_lot_is_compared_when_reachable(history):
    store, settings = history
    lot = next(p for p in settings.sent_dir.iterdir() if p.is_dir())
    shutil.rmtree(lot)  # the local copy is gone too: the main server still has the lot
    shutil.rmtree(settings.home / "tickets")
    for kind in ("maillon WHERE chaine = 'ticket' AND numero", "t_ticket WHERE numero"):
        tamper(store, f"DELETE FROM {kind} >= 3")
    shutil.rmtree(settings.integrity_key_path.parent / "chaines")
    found = run_verify(store, settings, use_drop=True).broken
    assert any("reçu par le serveur principal" in line and "ticket n°3 : manquant" in line for line in found), found


# Closings and duplicates.

def test_r15_a_z_cannot_be_closed_again_and_its_reprint_shows_the_same_values(history):
    store, settings = history
    first = z_document(store, settings, "C01", 1).lines
    manager, seller = users(store)
    sell(store, seller)
    assert z_document(store, settings, "C01", 1).lines == first
    assert rows(store, "SELECT count(*) FROM t_journee WHERE numero_z = 1") == [(1,)]


def test_closing_killed_between_its_commit_and_the_z_prints_the_original_once_at_the_next_start(history, imported):
    store, settings = history
    store.release()
    env = {**os.environ, "CAISSE_HOME": str(imported.home), "CAISSE_PASSWORD": MANAGER.password,
           "CAISSE_TEST_PAUSE_AT": "Fermeture enregistrée", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "caisse", "close", "--caisse", "C01", "--user", MANAGER.login,
                             "--especes", "110.70"], env=env, stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if "Fermeture enregistrée" in line:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(10)
    assert rows(store, "SELECT count(*) FROM impression WHERE ref = 'C01-Z000003'") == [(0,)]
    store.release()
    env.pop("CAISSE_TEST_PAUSE_AT")
    opened = subprocess.run([sys.executable, "-m", "caisse", "open", "--caisse", "C01", "--user", MANAGER.login,
                             "--fond", "50"], env=env, capture_output=True, text=True)
    assert opened.returncode == 0, opened.stderr
    assert "Document original imprimé" in opened.stdout and "C01-Z000003.txt" in opened.stdout
    assert rows(store, "SELECT duplicata FROM impression WHERE ref = 'C01-Z000003'") == [(0,)]
    store.release()
    again = subprocess.run([sys.executable, "-m", "caisse", "report", "z", "--caisse", "C01", "--numero", "3",
                            "--print", "--user", MANAGER.login], env=env, capture_output=True, text=True)
    assert again.returncode == 0 and "DUPLICATA n°1" in again.stdout  # the original came out once


# JET.

def test_r19_every_event_of_a_day_is_in_the_jet_with_its_code(history, imported):
    store, settings = history
    manager, _ = users(store)
    from caisse.rules.auth import login
    with pytest.raises(CaisseError):
        login(store, "vendeur2", "faux")
    run_verify(store, settings, use_drop=False)
    codes = {c for (c,) in rows(store, "SELECT DISTINCT code FROM jet")}
    assert {260, 250, 110, 80, 40, 45, 50, 120, 140, 150, 160, 175, 180, 85, 95} <= codes
    assert set(CODES) >= codes and all(CODES[c] for c in codes)


def test_r19_a_clock_that_moved_backwards_is_an_event(history):
    store, _ = history
    _, seller = users(store)
    from caisse.rules.auth import login
    login(store, seller.login, "vente2026", now=datetime.now() - timedelta(hours=3))
    assert rows(store, "SELECT count(*) FROM jet WHERE code = 270") == [(1,)]


def test_r20_the_jet_is_chained_like_tickets(history):
    store, settings = history
    tamper(store, "DELETE FROM jet WHERE code = 175")
    found = verified(store, settings)
    assert any("le journal des événements techniques, événement n°" in line and "supprimé" in line for line in found)


# Centralised flows and versions.

def test_r25_the_lot_is_checkable_for_exhaustiveness(history):
    store, settings = history
    lot = next(p for p in settings.sent_dir.iterdir() if p.is_dir())
    manifest = read_manifest(lot / EXPORT_MANIFEST)
    assert manifest.lot == "C01-Z000001-Z000001" and [z for _, z in manifest.journees] == [1]
    assert all(len(f.sha256) == 64 and f.lignes >= 0 for f in manifest.fichiers) and len(manifest.fichiers) == 9
    assert manifest.chaines["ticket"] == (4, rows(store, "SELECT empreinte FROM maillon WHERE chaine = 'ticket' AND "
                                                          "numero = 4 AND id_caisse = 1")[0][0])


def test_r28_the_fiscal_core_has_its_own_version_in_every_link_and_document(history):
    store, settings = history
    assert rows(store, "SELECT DISTINCT version FROM maillon") == [(FISCAL_VERSION,)]
    z = z_document(store, settings, "C01", 1).lines
    assert any(f"noyau fiscal {FISCAL_VERSION}" in line for line in z)


def test_r28_the_core_s_version_is_signed_in_every_link(history):
    from caisse.fiscal.chains import sign
    store, settings = history
    key, payload = b"k" * 32, {"a": 1}
    assert sign(key, "ticket", 1, 1, "0", payload, "1.2") != sign(key, "ticket", 1, 1, "0", payload, "1.1")
    tamper(store, "UPDATE maillon SET version = '1.0' WHERE chaine = 'ticket' AND numero = 2")
    assert any("ticket n°2 : son contenu a été modifié" in line for line in verified(store, settings))


def test_r17_every_reprint_says_duplicata_n_and_is_a_signed_record_of_who_and_when(history):
    from caisse.services.workflow import reprint_receipt
    store, settings = history
    manager, seller = users(store)
    before = rows(store, "SELECT count(*) FROM maillon WHERE chaine = 'duplicata'")[0][0]
    for number in (1, 2):
        printed = reprint_receipt(store, settings, "C01", 8, seller)
        text = printed.text_path.read_text(encoding="utf-8")
        assert printed.duplicata == number and text.count(f"*** DUPLICATA n°{number} ***") == 2
    reprints = rows(store, "SELECT i.ref, i.duplicata, u.login, i.ts IS NOT NULL, m.numero FROM impression i JOIN "
                           "t_utilisateur u USING (id_utilisateur) JOIN maillon m ON m.ref = i.id_impression AND "
                           "m.chaine = 'duplicata' WHERE i.ref = 'C01-T000008' ORDER BY i.duplicata")
    assert reprints == [("C01-T000008", 1, seller.login, True, before + 1),
                        ("C01-T000008", 2, seller.login, True, before + 2)]
    assert rows(store, "SELECT detail FROM jet WHERE code = 180 AND detail LIKE 'C01-T000008%' ORDER BY ts") == [
        ("C01-T000008 : DUPLICATA n°1",), ("C01-T000008 : DUPLICATA n°2",)]
    assert verified(store, settings) == []


def test_r18_a_provisional_note_says_document_provisoire_and_counts_nowhere(opened, imported):
    from caisse.rules.drafts import add_to_draft, start_draft
    from caisse.rules.sales import connect_seller, pay_ticket
    from caisse.services.workflow import print_note
    store, settings = opened, load_settings()
    _, seller = users(store)
    connect_seller(store, "C01", seller)
    draft = start_draft(store, "C01", seller)
    add_to_draft(store, draft, seller, LineRequest("ART00001", D("2")))
    links = rows(store, "SELECT chaine, count(*) FROM maillon GROUP BY ALL ORDER BY ALL")
    note = print_note(store, settings, draft, "C01", seller).text_path.read_text(encoding="utf-8")
    assert note.count("DOCUMENT PROVISOIRE") == 2 and "Ne vaut pas ticket de caisse" in note
    assert "Ticket n°" not in note and "Empreinte" not in note and "TOTAL TTC" in note
    assert rows(store, "SELECT chaine, count(*) FROM maillon GROUP BY ALL ORDER BY ALL") == links
    assert rows(store, "SELECT count(*) FROM t_ticket") == [(0,)]
    done = pay_ticket(store, draft, seller, [Pay("ESP", D("50"))])
    assert done.numero == 1  # the note took no number


def test_r23_archiving_is_traced_in_the_jet_and_chained(store, manager, seller):
    from caisse.services.workflow import archive_period
    from tests.caisse.test_periods import two_months
    settings = load_settings()
    two_months(store, manager, seller)
    made = archive_period(store, settings, "C01", "2027-01", manager)
    assert rows(store, "SELECT count(*) FROM jet WHERE code = 20 AND detail LIKE ?", [f"archive {made.path.name}%"]) \
        == [(1,)]
    assert rows(store, "SELECT m.numero FROM maillon m JOIN archive a ON a.id_archive = m.ref WHERE m.chaine = "
                       "'archive'") == [(1,)]
    from caisse.fiscal.archive import ArchiveRefused
    with pytest.raises(ArchiveRefused):
        archive_period(store, settings, "C01", "2027-03", manager)  # not closed yet: refused, and an event
    assert rows(store, "SELECT count(*) FROM jet WHERE code = 30") == [(1,)]
    assert verified(store, settings) == []


def test_r27_every_ticket_and_z_shows_software_register_numbers_vat_and_link_excerpt(history):
    store, settings = history
    from caisse.fiscal.version import signature_line
    receipt_text = next((settings.home / "tickets").rglob("C01-T000008.txt")).read_text(encoding="utf-8")
    link = rows(store, "SELECT empreinte FROM maillon WHERE id_caisse = 1 AND chaine = 'ticket' AND numero = 8")[0][0]
    for text in (receipt_text,):
        assert signature_line() in text and "Caisse C01" in text and "Ticket n°8" in text
        assert re.search(r"TVA \d+,\d\d %", text) and f"Empreinte {link[:16]}" in text
        assert "Identité caisse n°1 " in text
    z = "\n".join(z_document(store, settings, "C01", 1).lines)
    day = rows(store, "SELECT empreinte FROM maillon WHERE id_caisse = 1 AND chaine = 'cloture' AND ref = "
                      "(SELECT id_journee FROM t_journee WHERE numero_z = 1)")[0][0]
    assert signature_line() in z and "TICKET Z n°1" in z and "Caisse C01" in z and "HT / TVA / TTC" in z
    assert day[:42] in z and "Identité caisse n°1 " in z and "Journal serveur" in z


# Tampering, table by table: verify names the register, the chain and the record.

TAMPERING = {
    "ticket altered": ("UPDATE t_ticket SET total_ttc = total_ttc + 1 WHERE numero = 6",
                       "Caisse C01, la chaîne des tickets, ticket n°6 : son contenu a été modifié"),
    "ticket deleted": ("DELETE FROM t_ticket WHERE numero = 5",
                       "Caisse C01, la chaîne des tickets, ticket n°5 : l'enregistrement a été supprimé"),
    "ticket inserted": ("INSERT INTO t_ticket SELECT * REPLACE ('FAUX' AS id_ticket, 99 AS numero) FROM t_ticket "
                        "WHERE numero = 1", "ticket n°99 : enregistrement FAUX sans maillon"),
    "line altered": ("UPDATE t_ligne_ticket SET quantite = 2 WHERE id_ticket = (SELECT id_ticket FROM t_ticket WHERE "
                     "numero = 2)", "la chaîne des tickets, ticket n°2 : son contenu a été modifié"),
    "line deleted": ("DELETE FROM t_ligne_ticket WHERE id_ticket = (SELECT id_ticket FROM t_ticket WHERE numero = 7)",
                     "la chaîne des tickets, ticket n°7 : son contenu a été modifié"),
    "line inserted": ("INSERT INTO t_ligne_ticket SELECT * REPLACE ('L2' AS id_ligne_ticket, 2 AS num_ligne) FROM "
                      "t_ligne_ticket WHERE id_ticket = (SELECT id_ticket FROM t_ticket WHERE numero = 1)",
                      "la chaîne des tickets, ticket n°1 : son contenu a été modifié"),
    "payment relabelled": ("UPDATE t_reglement SET id_moyen_paiement = 2, code_moyen = 'CB' WHERE code_moyen = 'ESP' "
                           "AND montant = 20",
                           "la chaîne des tickets, ticket n°1 : son contenu a été modifié"),
    "payments swapped": ("UPDATE t_reglement SET id_ticket = CASE id_ticket WHEN (SELECT id_ticket FROM t_ticket "
                         "WHERE numero = 1) THEN (SELECT id_ticket FROM t_ticket WHERE numero = 2) ELSE (SELECT "
                         "id_ticket FROM t_ticket WHERE numero = 1) END WHERE id_ticket IN (SELECT id_ticket FROM "
                         "t_ticket WHERE numero IN (1, 2))",
                         "la chaîne des tickets, ticket n°2 : son contenu a été modifié"),
    "closing altered": ("UPDATE t_journee SET especes_compte = especes_compte + 10 WHERE numero_z = 1",
                        "la chaîne des clôtures, clôture n°1 : son contenu a été modifié"),
    "count altered": ("UPDATE t_comptage SET nombre = 2 WHERE valeur = 50",
                      "la chaîne des clôtures, clôture n°1 : son contenu a été modifié"),
    "count deleted": ("DELETE FROM t_comptage WHERE valeur = 20",
                      "la chaîne des clôtures, clôture n°1 : son contenu a été modifié"),
    "closed day's ticket voided behind": ("UPDATE t_ticket SET id_journee = 'AILLEURS' WHERE numero = 2",
                                          "la chaîne des clôtures, clôture n°1 : son contenu a été modifié"),
    "cash move altered": ("UPDATE t_livre_de_caisse SET montant = 1 WHERE type = 'SORTIE'",
                          "la chaîne des mouvements d'espèces, mouvement n°2 : son contenu a été modifié"),
    "cash move inserted": ("INSERT INTO t_livre_de_caisse SELECT * REPLACE ('M-FAUX' AS id_mouvement) FROM "
                           "t_livre_de_caisse WHERE type = 'SORTIE'", "enregistrement M-FAUX sans maillon"),
    "cash move deleted": ("DELETE FROM t_livre_de_caisse WHERE type = 'SORTIE'",
                          "mouvement n°2 : l'enregistrement a été supprimé"),
    "reprint altered": ("UPDATE impression SET duplicata = 7 WHERE duplicata = 1",
                        "la chaîne des duplicatas, duplicata n°2 : "),  # n°1: the first Z's original
    "event altered": ("UPDATE jet SET login = 'personne' WHERE code = 150",
                      "le journal des événements techniques, événement n°"),
    "chain truncated": ("DELETE FROM maillon WHERE chaine = 'ticket' AND numero >= 8",
                        "ticket n°8 : manquant : la chaîne s'arrête au n°7"),
    "link swapped": ("UPDATE maillon SET empreinte = CASE numero WHEN 1 THEN (SELECT empreinte FROM maillon WHERE "
                     "chaine = 'ticket' AND numero = 2 AND id_caisse = 1) ELSE (SELECT empreinte FROM maillon WHERE "
                     "chaine = "
                     "'ticket' AND numero = 1 AND id_caisse = 1) END WHERE chaine = 'ticket' AND id_caisse = 1 AND "
                     "numero IN (1, 2)", "la chaîne des tickets, ticket n°1 : son contenu a été modifié"),
}


@pytest.mark.parametrize("sql,expected", TAMPERING.values(), ids=TAMPERING.keys())
def test_tampering_with_any_table_is_named_by_verify(history, sql, expected):
    store, settings = history
    tamper(store, sql)
    found = verified(store, settings)
    assert any(expected in line for line in found), found
