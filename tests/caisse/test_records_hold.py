"""Records that hold against someone with the files (issue 22): what gets through one record at a time is caught
as a structure. Each test plays the attack an auditor played, and fails on the code before it was held."""

from __future__ import annotations

import json
import secrets
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from caisse.cli.main import main
from caisse.common.config import load_settings
from caisse.common.errors import CaisseError
from caisse.fiscal import chains
from caisse.fiscal.keys import KEY_BYTES
from caisse.paper.printing import print_document
from caisse.rules.closing import close_day, read_summary
from caisse.rules.lifecycle import in_training, trained
from caisse.rules.opening import open_day
from caisse.rules.payments import PaymentRequest as Pay
from caisse.services.verification import run_verify
from caisse.services.workflow import consult_z, finish_day, print_z, z_document
from pipeline import EXPORT_MANIFEST, read_manifest, write_manifest
from tests.caisse.helpers import D, breaks, receipt, returned, rows, sell, tamper, users


def verified(store, settings, drop: bool = False) -> list[str]:
    return run_verify(store, settings, use_drop=drop).broken


def heads_folder(settings) -> Path:
    return settings.integrity_key_path.parent / "chaines"


def wipe_register(store, id_caisse: int = 1) -> None:
    """Every row of a register removed from the store, as someone with the file would."""
    tickets = f"SELECT id_ticket FROM t_ticket WHERE id_caisse = {id_caisse}"
    days = f"SELECT id_journee FROM t_journee WHERE id_caisse = {id_caisse}"
    for sql in (f"DELETE FROM t_reglement WHERE id_ticket IN ({tickets})",
                f"DELETE FROM t_ligne_ticket WHERE id_ticket IN ({tickets})",
                f"DELETE FROM t_ticket WHERE id_caisse = {id_caisse}",
                f"DELETE FROM t_comptage WHERE id_journee IN ({days})",
                f"DELETE FROM t_livre_de_caisse WHERE id_journee IN ({days})",
                f"DELETE FROM cloture_tetes WHERE id_journee IN ({days})",
                f"DELETE FROM journee_periode WHERE id_journee IN ({days})",
                f"DELETE FROM journee_z WHERE id_journee IN ({days})",
                f"DELETE FROM lot_envoye WHERE id_journee IN ({days})",
                f"DELETE FROM connexion WHERE id_caisse = {id_caisse}",
                f"DELETE FROM ticket_attente WHERE id_caisse = {id_caisse}",
                f"DELETE FROM t_journee WHERE id_caisse = {id_caisse}",
                f"DELETE FROM impression WHERE id_caisse = {id_caisse}",
                f"DELETE FROM jet WHERE id_caisse = {id_caisse}",
                f"DELETE FROM maillon WHERE id_caisse = {id_caisse}"):
        tamper(store, sql)


# R11: verify knows every register that ever existed.

def test_r11_a_register_wiped_from_the_store_is_seen_and_never_starts_again_at_n1(history):
    store, settings = history
    wipe_register(store)
    found = verified(store, settings)
    assert any(line.startswith("Caisse C01") and "fichier des têtes" in line for line in found), found
    (heads_folder(settings) / "caisse-1.json").unlink()  # its heads file and every local witness gone too
    for folder in ("tickets", "echanges/envoye"):
        shutil.rmtree(settings.home / folder)
    found = verified(store, settings)
    assert any(line.startswith("Caisse C01") and "le relevé n°" in line and "du journal du serveur" in line
               for line in found), found
    manager, _ = users(store)
    with pytest.raises(CaisseError, match="allait jusqu'au n°.*Restaurez la base"):
        open_day(store, "C01", manager, D("100"))  # the shop does not go on from ticket n°1
    assert rows(store, "SELECT count(*) FROM t_journee WHERE id_caisse = 1") == [(0,)]


# R11: heads never go back.

def test_r11_an_older_heads_file_put_back_over_deleted_sales_is_seen(history, tmp_path):
    store, settings = history
    _, seller = users(store)
    shutil.copytree(heads_folder(settings), tmp_path / "copie")
    sold = [receipt(store, settings, sell(store, seller, pay=[Pay("ESP", D("10.70"))]), seller) for _ in range(3)]
    numbers = [t.numero for t in sold]
    for sql in ("DELETE FROM t_reglement WHERE id_ticket IN (SELECT id_ticket FROM t_ticket WHERE numero IN ({n}))",
                "DELETE FROM t_ligne_ticket WHERE id_ticket IN (SELECT id_ticket FROM t_ticket WHERE numero IN ({n}))",
                "DELETE FROM t_ticket WHERE numero IN ({n})",
                "DELETE FROM maillon WHERE chaine = 'ticket' AND numero IN ({n})"):
        tamper(store, sql.format(n=", ".join(map(str, numbers))))
    shutil.rmtree(heads_folder(settings))
    shutil.copytree(tmp_path / "copie", heads_folder(settings))
    for path in (settings.home / "tickets").rglob("C01-T*.txt"):
        if int(path.stem.split("-T")[1][:6]) in numbers:
            path.unlink()
    found = verified(store, settings)
    assert any("remis d'une copie plus ancienne" in line for line in found), found


def test_r10_a_failed_verification_is_not_erased_by_an_older_server_heads_file(history, tmp_path):
    store, settings = history
    shutil.copy(heads_folder(settings) / "serveur.json", tmp_path / "serveur.json")
    tamper(store, "UPDATE t_ticket SET total_ttc = total_ttc + 1 WHERE numero = 1")
    assert verified(store, settings)  # event 90, then a relevé, in the server's journal
    tamper(store, "UPDATE t_ticket SET total_ttc = total_ttc - 1 WHERE numero = 1")
    tail = rows(store, "SELECT m.numero, m.ref FROM maillon m JOIN jet j ON j.id_evenement = m.ref WHERE m.id_caisse "
                       "= 0 AND m.chaine = 'jet' AND m.numero >= (SELECT max(m2.numero) FROM maillon m2 JOIN jet j2 "
                       "ON j2.id_evenement = m2.ref WHERE m2.id_caisse = 0 AND j2.code = 90)")
    assert len(tail) == 2  # the failure and its relevé: the whole tail
    for _, ref in tail:
        tamper(store, "DELETE FROM jet WHERE id_evenement = ?", [ref])
        tamper(store, "DELETE FROM maillon WHERE id_caisse = 0 AND ref = ?", [ref])
    shutil.copy(tmp_path / "serveur.json", heads_folder(settings) / "serveur.json")
    found = verified(store, settings)
    assert any(line.startswith("Caisse serveur, le journal des événements techniques") and "caisse-1.json" in line
               for line in found), found


def test_r11_a_heads_file_behind_the_store_is_a_break_but_a_commit_cut_short_is_not(history):
    store, settings = history
    path = heads_folder(settings) / "caisse-1.json"
    written = json.loads(path.read_text(encoding="utf-8"))
    assert "en_cours" not in written and verified(store, settings) == []
    keys = chains.load_keys(store.key_path)
    with store.connect() as con:  # the file as a commit cut short leaves it: committed heads + the one under way
        current = chains.heads(con, 1)
    older = {**current, "ticket": (current["ticket"][0] - 1, rows(
        store, "SELECT empreinte FROM maillon WHERE id_caisse = 1 AND chaine = 'ticket' AND numero = ?",
        [current["ticket"][0] - 1])[0][0])}
    chains._write_file(keys, path, 1, older, current)
    assert verified(store, settings) == []
    chains._write_file(keys, path, 1, older, None)  # an older file, signed: behind the store
    assert any("ticket n°" in line and "remis d'une copie plus ancienne" in line for line in verified(store, settings))


# R11: witnesses keyed by the register's identity; R25: lots authenticated and in their place.

def test_r11_witnesses_follow_the_register_s_identity_not_its_code(history):
    store, settings = history
    tamper(store, "UPDATE t_caisse SET code = 'C09' WHERE code = 'C01'")
    tamper(store, "DELETE FROM maillon WHERE chaine = 'ticket' AND numero >= 9")
    tamper(store, "DELETE FROM t_ticket WHERE numero >= 9")
    shutil.rmtree(heads_folder(settings))
    found = verified(store, settings)
    assert any("ticket n°9 : manquant" in line and "C01-T000009.txt" in line for line in found), found


def test_r25_a_decoy_lot_on_the_drop_is_refused_and_lots_carry_their_place(history):
    store, settings = history
    sent = settings.sent_dir / "C01-Z000001-Z000001" / EXPORT_MANIFEST
    manifest = read_manifest(sent)
    assert manifest.sequence == "1" and manifest.precedent == "" and manifest.id_caisse == "1"
    assert len(manifest.mac) == 64 and manifest.journal_serveur is not None
    assert verified(store, settings, drop=True) == []
    decoy = settings.local_drop_dir / "export" / "C01" / "C01-Z000009-Z000009"
    decoy.mkdir(parents=True)
    manifest.lot = "C01-Z000009-Z000009"
    manifest.chaines = {"ticket": (1, rows(
        store, "SELECT empreinte FROM maillon WHERE id_caisse = 1 AND chaine = 'ticket' AND numero = 1")[0][0])}
    write_manifest(manifest, decoy / EXPORT_MANIFEST)  # a lot that looks newer, its MAC not redone
    found = verified(store, settings, drop=True)
    assert any("C01-Z000009-Z000009" in line and "n'est pas authentique" in line for line in found), found


# The day is signed when it opens.

def test_r04_a_float_lowered_before_the_closing_is_not_signed(opened, imported):
    store = opened
    manager, seller = users(store)
    sell(store, seller, pay=[Pay("ESP", D("10.70"))])
    tamper(store, "UPDATE t_journee SET fond_caisse = fond_caisse - 100 WHERE date_fermeture IS NULL")
    assert read_summary(store, "C01").especes_theorique == D("160.70")  # the float signed at opening
    closed = close_day(store, "C01", manager, especes=D("160.70"))
    assert closed.ecart == 0 and closed.especes_theorique == D("160.70")
    assert rows(store, "SELECT fond_caisse FROM t_journee") == [(D("150.00"),)]
    assert rows(store, "SELECT count(*) FROM jet WHERE code = 90 AND detail LIKE '%fond de caisse%'") == [(1,)]
    assert breaks(store) == []
    tamper(store, "UPDATE t_journee SET fond_caisse = 50")  # a closed day's float: its signature and its opening
    found = breaks(store)
    assert any("ne dit plus ce que son ouverture a signé" in line for line in found), found


def test_r04_a_forged_opening_stops_the_closing(opened, imported):
    store = opened
    manager, _ = users(store)
    tamper(store, "UPDATE t_livre_de_caisse SET montant = 50 WHERE type = 'FOND'")
    with pytest.raises(CaisseError, match="fond de caisse signé à l'ouverture a été modifié"):
        close_day(store, "C01", manager, especes=D("50"))


# R15: a Z is frozen at its closing.

def test_r15_a_reprinted_z_is_the_frozen_one_whatever_is_imported_after(opened, imported):
    store, settings = opened, load_settings()
    manager, seller = users(store)
    sell(store, seller, pay=[Pay("CB", D("10.70"))])
    end = finish_day(store, settings, "C01", manager, especes=D("150"))
    original = end.z.text_path.read_text(encoding="utf-8").splitlines()
    tamper(store, "UPDATE tr_moyen_paiement SET libelle = 'Autre chose', actif = false WHERE code = 'CB'")
    tamper(store, "UPDATE tr_societe SET raison_sociale = 'Autre société'")
    tamper(store, "DELETE FROM tr_moyen_paiement WHERE code = 'CB'")  # an import that drops the method
    reprint = print_z(store, settings, "C01", manager, 1)
    lines = reprint.text_path.read_text(encoding="utf-8").splitlines()
    assert lines[0].strip() == "*** DUPLICATA n°1 ***" and lines[1:-1] == original
    assert breaks(store) == []


def test_r15_deleting_the_original_s_print_record_never_gives_a_second_original(opened, imported):
    store, settings = opened, load_settings()
    manager, seller = users(store)
    sell(store, seller)
    finish_day(store, settings, "C01", manager, especes=D("160.70"))
    tamper(store, "DELETE FROM impression WHERE duplicata = 0 AND type = 'z'")
    again = print_document(store, settings, z_document(store, settings, "C01", 1), user=manager)
    assert again.duplicata == 1 and "DUPLICATA n°1" in again.text_path.read_text(encoding="utf-8")
    assert any("la chaîne des duplicatas, duplicata n°1 : l'enregistrement a été supprimé" in line
               for line in breaks(store))


def test_r15_a_z_read_on_screen_is_a_copy_not_valid_and_the_reading_is_recorded(opened, imported, capsys):
    store, settings = opened, load_settings()
    manager, seller = users(store)
    sell(store, seller)
    finish_day(store, settings, "C01", manager, especes=D("160.70"))
    lines = consult_z(store, settings, "C01", 1, manager.login)
    assert lines[0].strip() == lines[-1].strip() == "*** COPIE - NON VALABLE ***"
    store.release()
    assert main(["report", "z", "--caisse", "C01"]) == 0
    assert capsys.readouterr().out.count("COPIE - NON VALABLE") == 2
    assert rows(store, "SELECT count(*) FROM jet WHERE code = 185") == [(2,)]
    assert rows(store, "SELECT count(*) FROM impression WHERE type = 'z'") == [(1,)]  # a reading prints nothing


# R09: a key counts from its signed event.

def test_r09_a_key_appended_without_its_event_signs_nothing_verify_accepts(opened, imported):
    store = opened
    _, seller = users(store)
    with open(store.key_path, "a", encoding="ascii") as f:  # a rogue key: the last one signs
        f.write(secrets.token_hex(KEY_BYTES) + "\n")
    sell(store, seller)
    found = breaks(store)
    assert any("qu'aucun événement signé de création ou de renouvellement n'a introduite" in line for line in found)


def test_r09_a_rotated_key_counts_from_its_event(history):
    from caisse.services.home import rotate_integrity_key
    store, settings = history
    manager, seller = users(store)
    rotate_integrity_key(store, manager)
    sell(store, seller)
    assert verified(store, settings) == []


# R26: the training switch is a signed event; R19: settings changes are events.

def test_r26_a_row_written_behind_the_program_s_back_does_not_switch_training(opened, imported):
    store = opened
    tamper(store, "INSERT INTO mode_formation VALUES ('C01', true, now(), 1)")
    tamper(store, "INSERT INTO jet VALUES ('faux', 1, now(), 200, 'C01', 'responsable', 'à la main')")
    assert not in_training(store, "C01") and trained(store) == set()


def test_r19_a_change_of_settings_is_an_event_240(imported, monkeypatch):
    from caisse.services.home import open_store
    store = open_store(load_settings())
    manager, _ = users(store)
    open_day(store, "C01", manager, D("100"))
    said = [d.split("\n")[0] for d, in rows(store, "SELECT detail FROM jet WHERE code = 240")]
    assert said == ["réglages en service"]
    close_day(store, "C01", manager, especes=D("100"))
    monkeypatch.setenv("CAISSE_PRINTER", "network://127.0.0.1:9100")
    monkeypatch.setenv("CAISSE_DEBUT_JOURNEE", "04:00")
    store = open_store(load_settings())
    open_day(store, "C01", manager, D("100"), now=datetime.now() + timedelta(seconds=1))
    said = [d.split("\n")[0] for d, in rows(store, "SELECT detail FROM jet WHERE code = 240 ORDER BY ts")]
    assert len(said) == 2 and "imprimante preview → network://127.0.0.1:9100" in said[1]
    assert "debut_journee 00:00 → 04:00" in said[1]


# R13: the absolute grand total adds every amount, whatever its sign.

def test_r13_voids_and_returns_add_to_the_absolute_grand_total(opened, imported):
    from caisse.rules.corrections import void_ticket
    store = opened
    manager, seller = users(store)
    first = sell(store, seller, pay=[Pay("ESP", D("10.70"))])
    void_ticket(store, "C01", manager, first.numero, "Erreur")
    sold = sell(store, seller, pay=[Pay("ESP", D("10.70"))])
    returned(store, seller, refund="ESP", reason="Taille", sale=str(sold.numero), quantities={1: D("1")})
    close_day(store, "C01", manager, especes=read_summary(store, "C01").especes_theorique)
    assert rows(store, "SELECT total_ttc, grand_total, grand_total_absolu FROM t_journee") == [
        (D("0.00"), D("0.00"), D("42.80"))]


# R21-R24: the archives, checked by verify; the server's journal archived with the month; the keys elsewhere.

def test_r21_the_server_s_journal_is_archived_with_the_month_and_verify_checks_each_archive(store, manager, seller):
    from caisse.services.workflow import archive_period
    from tests.caisse.test_periods import two_months, verifier
    settings = load_settings()
    two_months(store, manager, seller)
    january = archive_period(store, settings, "C01", "2027-01", manager)
    february = archive_period(store, settings, "C01", "2027-02", manager)
    text = january.path.read_text(encoding="utf-8")
    assert "<evenements_serveur>" in text and 'code="96"' in text  # the relevés of the server's journal
    done = verifier(january.path, february.path)  # the server's chain follows from one month to the next
    assert done.returncode == 0 and "le journal des événements du serveur" in done.stdout, done.stdout
    assert verified(store, settings) == []
    original = february.path.read_bytes()
    february.path.write_bytes(original.replace(b"<tickets>", b"<tickets> ", 1))
    assert any("l'archive du mois 2027-02" in line and "SHA-256" in line for line in verified(store, settings))
    february.path.unlink()
    assert any("l'archive du mois 2027-02" in line and "a disparu" in line for line in verified(store, settings))


def test_r09_the_keys_and_heads_live_in_their_own_folder(settings, monkeypatch, tmp_path):
    from caisse.services.home import initialise, open_store
    from caisse.services.sync import run_import
    from tests.conftest import MANAGER
    monkeypatch.setenv("CAISSE_KEYS_DIR", str(tmp_path / "autre-disque"))
    settings = load_settings()
    initialise(settings, demo=True)
    run_import(open_store(settings), settings, "C01", MANAGER.login, MANAGER.password)
    assert settings.integrity_key_path == tmp_path / "autre-disque" / "integrity.key"
    assert (tmp_path / "autre-disque" / "chaines" / "serveur.json").is_file()
    assert not (settings.home / "integrity.key").exists() and not (settings.home / "chaines").exists()
