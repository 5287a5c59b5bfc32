"""A whole register day from the command line, in each sync mode, as a manager would run it."""

from __future__ import annotations

import json

import pytest

from tests.caisse.test_cli import caisse
from tests.conftest import MANAGER, SELLER


def run(*args, user=MANAGER, env=None, expect=0):
    done = caisse(*args, password=user.password, env=env)
    assert done.returncode == expect, done.stdout + done.stderr
    return done


def etat(env=None):
    return {c["code"]: c["etat"] for c in json.loads(caisse("status", "--json", env=env).stdout)["caisses"]}


def day(env):
    """Sell with every payment method, move cash, void, close on a count: 150 float, takings known."""
    sell = ["sell", "--caisse", "C01", "--user", SELLER.login]
    run(*sell, "--article", "ART00001x2", "--pay", "ESP=50", user=SELLER, env=env)           # 21.40, change 28.60
    run(*sell, "--article", "ART00001", "--pay", "CB=10.70", user=SELLER, env=env)
    run(*sell, "--article", "ART00001", "--pay", "CHQ=10.70", user=SELLER, env=env)
    run(*sell, "--article", "ART00001", "--pay", "AVOIR=10:AV000002", "--pay", "ESP=1", user=SELLER, env=env)
    run(*sell, "--article", "ART00002", "--pay", "CHQCAD=30:CC000001", "--pay", "ESP=20", user=SELLER, env=env)
    refused = run(*sell, "--article", "ART00001", "--pay", "CB=5", user=SELLER, env=env, expect=1)
    assert "il reste 5,70 € à payer" in refused.stderr
    run("move", "--caisse", "C01", "--user", MANAGER.login, "--type", "SORTIE", "--amount", "5", "--reason",
        "Timbres", env=env)
    run("void", "--caisse", "C01", "--user", MANAGER.login, "--ticket", "3", "--reason", "Chèque refusé", env=env)
    # cash: 150 + 21.40 + 0.70 (10.70 - 10 by credit note) + 10.60 (40.60 - 30 by voucher) - 5 = 177.70
    wrong = run("close", "--caisse", "C01", "--user", MANAGER.login, "--count", "100=1", env=env, expect=1)
    assert "177,70 € attendus" in wrong.stderr
    return run("close", "--caisse", "C01", "--user", MANAGER.login, "--count", "100=1", "--count", "50=1",
               "--count", "20=1", "--count", "5=1", "--count", "2=1", "--count", "0.50=1", "--count", "0.20=1",
               env=env)


def test_a_whole_day_in_manual_mode(settings):
    run("init", "--demo")
    run("import", "--caisse", "C01", "--user", MANAGER.login)
    run("open", "--caisse", "C01", "--user", MANAGER.login, "--fond", "150,00")
    closed = day(None)
    assert "Z n°1" in closed.stdout and "TICKET Z n°1" in closed.stdout and "Tickets annulés" in closed.stdout
    assert etat() == {"C01": "a_exporter", "C02": "a_importer"}
    z = run("report", "z", "--caisse", "C01")
    assert "Espèces comptées                  177,70 €" in z.stdout
    exported = run("export", "--caisse", "C01", "--user", MANAGER.login)
    assert "Lot C01-Z000001-Z000001 envoyé" in exported.stdout
    assert etat() == {"C01": "a_importer", "C02": "a_importer"}
    assert run("verify").returncode == 0


def test_a_new_shops_whole_first_day_in_auto_mode(settings):
    auto = {"CAISSE_MODE": "auto"}
    run("init", "--demo", env=auto)
    # Seed 000: no Import in this mode; the first opening imports the lot that brings the users, then opens.
    opened = run("open", "--caisse", "C01", "--user", MANAGER.login, "--fond", "150", env=auto)
    assert "*** Début de vidage des tables du serveur nomade ***" in opened.stdout
    assert "Caisse C01 ouverte par Claire Martin" in opened.stdout
    closed = day(auto)
    assert "Export terminé : lot C01-Z000001-Z000001" in closed.stdout
    assert etat(auto) == {"C01": "a_importer", "C02": "a_importer"}
    again = run("open", "--caisse", "C01", "--user", MANAGER.login, "--fond", "150", env=auto)
    assert "rien déposé" in again.stdout


def test_a_new_shops_first_auto_opening_checks_the_user_against_the_lot(settings):
    auto = {"CAISSE_MODE": "auto"}
    run("init", "--demo", env=auto)
    wrong = caisse("open", "--caisse", "C01", "--user", MANAGER.login, "--fond", "150", password="faux", env=auto)
    assert wrong.returncode == 1 and "Identifiant ou mot de passe incorrect." in wrong.stderr
    seller = run("open", "--caisse", "C01", "--user", SELLER.login, "--fond", "150", user=SELLER, env=auto, expect=1)
    assert "n'a pas le droit d'importer les données" in seller.stderr
    assert etat(auto) == {}  # nothing was written: the store still has no register
    run("open", "--caisse", "C01", "--user", MANAGER.login, "--fond", "150", env=auto)
    assert etat(auto) == {"C01": "ouverte", "C02": "a_importer"}


def test_an_auto_closing_whose_export_fails_exits_3_with_the_day_closed(settings, tmp_path):
    auto = {"CAISSE_MODE": "auto"}
    run("init", "--demo", env=auto)
    run("import", "--caisse", "C01", "--user", MANAGER.login, env=auto)
    run("open", "--caisse", "C01", "--user", MANAGER.login, "--fond", "0", env=auto)
    broken = {**auto, "CAISSE_DROP": (tmp_path / "absent").as_uri()}
    done = run("close", "--caisse", "C01", "--user", MANAGER.login, "--especes", "0", env=broken, expect=3)
    assert "la journée est fermée (Z n°1)" in done.stderr and "hotline" in done.stderr
    assert etat(auto) == {"C01": "echec_export", "C02": "a_importer"}


@pytest.mark.parametrize("args,words", [
    (["open", "--caisse", "C01", "--user", "responsable", "--fond", "cent"], "n'est pas un montant"),
    (["open", "--caisse", "C01", "--user", "responsable", "--fond", "-5"], "négatif"),
    (["sell", "--caisse", "C01", "--user", "vendeur1", "--article", "ART00001", "--pay", "ESP"], "CODE=MONTANT"),
    (["close", "--caisse", "C01", "--user", "responsable"], "comptage"),
])
def test_bad_arguments_are_sentences(settings, args, words):
    run("init", "--demo")
    run("import", "--caisse", "C01", "--user", MANAGER.login)
    done = caisse(*args, password=MANAGER.password if "responsable" in args else SELLER.password)
    assert done.returncode in (1, 2) and words in done.stderr
