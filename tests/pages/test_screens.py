"""The screens a manager needs (issue 13), through AppTest on a real store: the closing count kept and checked,
cash moves and the X report, a void and reprints from Rapprochement, a place released after failed passwords,
the export retried in auto mode, why a button is greyed, and an unexpected error as one sentence."""

from __future__ import annotations

from decimal import Decimal

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from caisse.common.config import load_settings
from caisse.rules.auth import login
from caisse.rules.payments import PaymentRequest
from caisse.services.home import open_store
from caisse.services.workflow import print_receipt
from tests.caisse.helpers import sell
from tests.conftest import MANAGER, SELLER
from tests.pages.test_app import APP, as_user, button, click, fresh_cache, said, sign, start, tables, text_input

__all__ = ["fresh_cache"]  # the fixture, used by every test here


def manager_at(store, page: str) -> AppTest:
    at = as_user(AppTest.from_file(APP, default_timeout=60), store, MANAGER)
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def test_the_closing_count_survives_the_toggle_and_refuses_negative_or_decimal_counts(opened):
    at = click(sign(start(), MANAGER), "Fermer la caisse")
    text_input(at, "20,00 €").set_value("3").run()
    text_input(at, "0,50 €").set_value("-3").run()
    assert "Le nombre de 0,50 € « -3 » doit être un nombre entier, positif ou nul (par exemple 3)." in said(at.error)
    text_input(at, "0,50 €").set_value("1,5").run()
    assert any("« 1,5 » doit être un nombre entier" in e for e in said(at.error))
    assert button(at, "Valider la fermeture").disabled  # nothing is validated on a count that is wrong
    text_input(at, "0,50 €").set_value("2").run()
    assert not at.error and "Total compté : 61,00 €" in " ".join(said(at.markdown))
    at.toggle(key="direct").set_value(True).run()
    at.toggle(key="direct").set_value(False).run()
    assert text_input(at, "20,00 €").value == "3" and text_input(at, "0,50 €").value == "2"
    assert "Total compté : 61,00 €" in " ".join(said(at.markdown))


def test_validating_the_closing_asks_for_the_managers_password_again(opened):
    at = click(sign(start(), MANAGER), "Fermer la caisse")
    at.toggle(key="direct").set_value(True).run()
    text_input(at, "Montant des espèces").set_value("150,00").run()
    click(at, "Valider la fermeture")
    assert said(at.error) == ["Saisissez votre mot de passe pour confirmer cette action."]
    text_input(at, "Mot de passe du responsable").set_value("faux")
    click(at, "Valider la fermeture")
    assert said(at.error) == ["Identifiant ou mot de passe incorrect."]
    text_input(at, "Mot de passe du responsable").set_value(MANAGER.password)
    click(at, "Valider la fermeture")
    assert "Caisse C01 fermée : Z n°1, écart 0,00 €" in said(at.success)[0]


def test_cash_moves_and_the_x_report_from_the_browser(opened):
    at = manager_at(opened, "pages/mouvements.py")
    assert at.radio[0].value is None  # no type by default: the person chooses it
    text_input(at, "Montant (€)").set_value("40,00")
    text_input(at, "Motif").set_value("Dépôt à la banque")
    click(at, "Enregistrer le mouvement")
    assert said(at.error) == ["Choisissez le type du mouvement : entrée d'espèces, sortie d'espèces ou remise en "
                              "banque."]
    at.radio[0].set_value("REMISE")
    text_input(at, "Montant (€)").set_value("1e3")
    click(at, "Enregistrer le mouvement")
    assert said(at.error) == ["Le montant « 1e3 » n'est pas un montant : écrivez par exemple 150,00."]
    # a refused form keeps what was typed: the deposit stays a deposit
    assert at.radio[0].value == "REMISE" and text_input(at, "Motif").value == "Dépôt à la banque"
    text_input(at, "Montant (€)").set_value("40,00")
    click(at, "Enregistrer le mouvement")
    assert said(at.success) == ["Remise en banque de 40,00 € enregistrée sur la caisse C01, motif : « Dépôt à la "
                                "banque ». Bordereau archivé."]
    assert at.radio[0].value is None and text_input(at, "Montant (€)").value == ""
    moves = tables(at)[0]
    assert [(m["Type"], m["Montant"], m["Motif"]) for m in moves][-1] == ("Remise en banque", "40,00 €",
                                                                        "Dépôt à la banque")
    click(at, "Afficher le rapport X")
    assert "RAPPORT X" in at.code[0].value
    click(at, "Imprimer le rapport X")
    assert "Rapport X imprimé" in said(at.success)[0]


def test_a_seller_moves_cash_but_sees_no_x_report(opened):
    at = as_user(AppTest.from_file(APP, default_timeout=60), opened, SELLER)
    at.switch_page("pages/mouvements.py").run()
    assert "Le rapport X est réservé aux responsables (ceux qui ferment la caisse)." in said(at.caption)
    assert not [b for b in at.button if "rapport X" in b.label]


def test_a_void_and_the_reprints_from_rapprochement(opened):
    seller = login(opened, SELLER.login, SELLER.password)
    sale = sell(opened, seller, articles=(("ART00001", 1),), pay=[PaymentRequest("ESP", Decimal("10.70"))])
    print_receipt(opened, load_settings(), sale, seller)  # its original, archived at the sale
    at = manager_at(opened, "pages/rapprochement.py")
    assert [row["N°"] for row in tables(at)[-1]] == ["1"]  # the open day's tickets
    at.selectbox(key="reimpression").set_value(1)
    click(at, "Réimprimer (DUPLICATA)")
    assert said(at.error) == ["Saisissez votre mot de passe pour confirmer cette action."]  # a reprint asks it
    at.selectbox(key="reimpression").set_value(1)
    at.text_input(key="mdp-reimpression").set_value(MANAGER.password)
    click(at, "Réimprimer (DUPLICATA)")
    assert "Ticket n°1 : DUPLICATA n°1 enregistré (aucune imprimante réglée" in said(at.success)[0]
    at.selectbox(key="annulation").set_value(1)
    text_input(at, "Motif de l'annulation").set_value("Erreur de saisie")
    click(at, "Annuler la vente")
    assert said(at.error) == ["Saisissez votre mot de passe pour confirmer cette action."]
    at.selectbox(key="annulation").set_value(1)
    text_input(at, "Motif de l'annulation").set_value("Erreur de saisie")
    at.text_input(key="mdp-annulation").set_value(MANAGER.password)
    click(at, "Annuler la vente")
    assert said(at.success) == ["Vente n°1 annulée par le ticket n°2 (-10,70 €) : Erreur de saisie."]
    # at once, not after another click: the day's tickets list the void, the voided sale is no longer offered
    assert [row["Type"] for row in tables(at)[-1]] == ["Vente", "Annulation du n°1"]
    assert at.selectbox(key="annulation").options == []


def test_a_seller_without_the_right_cannot_void(opened):
    at = manager_at(opened, "pages/rapprochement.py")
    assert at.title[0].value == "Rapprochement"
    seller_at = as_user(AppTest.from_file(APP, default_timeout=60), opened, SELLER)
    seller_at.switch_page("pages/rapprochement.py").run()
    assert "il faut le droit de consulter le back-office" in said(seller_at.error)[0]


def test_a_manager_releases_a_place_slowed_by_failed_passwords(imported):
    from caisse.rules.auth import from_source
    store = open_store(imported)
    from_source("192.168.1.77")
    for _ in range(3):
        with pytest.raises(Exception, match="incorrect"):
            login(store, SELLER.login, "faux")
    from_source(None)
    at = manager_at(store, "pages/reglages.py")
    assert [row["Poste (adresse) ou identifiant"] for row in tables(at)[-1]] == ["192.168.1.77"]
    text_input(at, "Votre mot de passe").set_value(MANAGER.password)
    click(at, "Débloquer ce poste")
    assert said(at.success) == ["Le poste 192.168.1.77 peut de nouveau se connecter (enregistré au journal)."]
    assert "Aucun poste n'est ralenti" in said(at.info)[-1]  # at once: the table says it too


def test_auto_mode_offers_to_retry_a_failed_export_and_says_why_another_register_cannot_open(imported,
                                                                                             monkeypatch):
    from caisse.common.config import load_settings
    from caisse.services.workflow import finish_day
    from tests.caisse.helpers import users
    store = open_store(imported)
    manager, seller = users(store)
    from caisse.rules.opening import open_day
    open_day(store, "C01", manager, Decimal("150.00"))
    monkeypatch.setenv("CAISSE_MODE", "auto")
    monkeypatch.setenv("CAISSE_DROP", (imported.home / "serveur_absent").as_uri())
    end = finish_day(store, load_settings(), "C01", manager, especes=Decimal("150.00"))
    warning = " ".join(end.warnings)
    assert warning.lower().count("hotline") == 1 and "Exporter" not in warning
    at = start()
    assert "Fermée, l'export a échoué (à réessayer)" in said(at.markdown)[0]
    assert [b.label for b in at.button if b.label == "Réessayer l'export"] == ["Réessayer l'export"]
    at.selectbox(key="caisse").set_value("C02").run()
    assert ("Ouvrir est grisé : la caisse C01 attend l'export de ses journées : une seule caisse à la fois, "
            "exportez-les d'abord.") in said(at.caption)
    monkeypatch.setenv("CAISSE_DROP", imported.drop)
    st.cache_resource.clear()  # the app restarted with the shop's server back
    at = start()
    text_input(at, "Mot de passe").set_value(MANAGER.password)
    click(at, "Réessayer l'export")
    assert "Journées exportées vers le serveur principal (lot C01-Z000001-Z000001)" in said(at.success)[0]


def test_an_unexpected_error_is_one_sentence_with_a_reference_and_its_traceback_in_the_log(opened):
    with opened.transaction() as con:
        con.execute("DROP TABLE sync_run CASCADE")  # behind the program's back: not a CaisseError
    at = as_user(AppTest.from_file(APP, default_timeout=60), opened, MANAGER)
    at.run()  # the opening screen, through app.py as a browser gets it
    assert not at.exception
    sentence = said(at.error)[0]
    assert sentence.startswith("Une erreur inattendue a interrompu cette action (réf. ")
    ref = sentence.split("réf. ")[1].split(")")[0]
    log = (opened.path.parent / "echanges" / "journaux" / "application.log").read_text(encoding="utf-8")
    assert f"réf. {ref}" in log and "Traceback" in log and "sync_run" in log
