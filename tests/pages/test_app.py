"""The app's pages through Streamlit's AppTest, on a real store in tmp_path."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from caisse import initialise
from tests.conftest import MANAGER

APP = "../../app.py"


@pytest.fixture(autouse=True)
def fresh_cache():
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


def run_app(page=None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def test_the_opening_screen_without_data_invites_to_import(demo):
    at = run_app()
    assert at.title[0].value == "Ouverture de la caisse"
    assert "Aucune donnée importée" in at.info[0].value
    assert [b.label for b in at.button] == ["Importer"]


def test_importing_from_the_opening_screen_shows_the_log_and_the_new_state(demo):
    at = run_app()
    at.text_input[0].set_value("C01")
    at.text_input[1].set_value(MANAGER.login)
    at.text_input[2].set_value(MANAGER.password)
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert "Données importées pour la caisse C01" in at.success[0].value
    logged = at.expander[0].code[0].value.splitlines()
    assert "*** Début de vidage des tables du serveur nomade ***" in logged
    assert any(line.startswith("Réception de /t_avoir.xml depuis srv-appli2") for line in logged)
    states = at.dataframe[0].value
    assert list(states["État"]) == ["Fermée, données importées", "Fermée, en attente d'import"]


def test_a_wrong_password_is_a_sentence_not_a_traceback(demo):
    at = run_app()
    at.text_input[0].set_value("C01")
    at.text_input[1].set_value(MANAGER.login)
    at.text_input[2].set_value("faux")
    at.button[0].click().run()
    assert not at.exception
    assert at.error[0].value == "Identifiant ou mot de passe incorrect."


def test_the_synchronisation_page_lists_runs_with_their_logs(imported):
    at = run_app("pages/synchronisation.py")
    assert at.title[0].value == "Synchronisation"
    assert "import" in at.expander[0].label and "GESPX-DEMO-0001" in at.expander[0].label
    assert "DELETE FROM t_caisse" in at.code[0].value


def test_a_missing_store_is_explained(settings):
    at = run_app()
    assert "caisse init" in at.error[0].value


def test_init_does_not_need_the_app(settings):
    initialise(settings)
    assert run_app().info
