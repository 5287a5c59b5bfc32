from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from caisse import audit_log, login, open_store, require
from caisse.errors import LoginFailed, RightMissing
from tests.conftest import MANAGER, SELLER

NOW = datetime(2026, 11, 23, 9, 0)


def test_the_manager_has_every_right_and_the_seller_only_selling(imported):
    store = open_store(imported)
    manager = login(store, MANAGER.login, MANAGER.password, now=NOW)
    seller = login(store, SELLER.login, SELLER.password, now=NOW)
    assert {"CAISSE_IMPORTER", "CAISSE_FERMER", "BACKOFFICE"} <= manager.rights
    assert seller.can("CAISSE_VENDRE") and not seller.can("CAISSE_OUVRIR")
    with pytest.raises(RightMissing, match="vendeur1 n'a pas le droit d'ouvrir la caisse"):
        require(seller, "CAISSE_OUVRIR")


def test_a_wrong_password_and_an_unknown_login_get_the_same_sentence(imported):
    store = open_store(imported)
    with pytest.raises(LoginFailed) as wrong:
        login(store, MANAGER.login, "faux", now=NOW)
    with pytest.raises(LoginFailed) as unknown:
        login(store, "personne", "faux", now=NOW)
    assert str(wrong.value) == str(unknown.value) == "Identifiant ou mot de passe incorrect."


def test_five_failures_in_a_row_lock_the_account_for_five_minutes(imported):
    store = open_store(imported)
    for i in range(5):
        with pytest.raises(LoginFailed):
            login(store, SELLER.login, "faux", now=NOW + timedelta(seconds=i))
    with pytest.raises(LoginFailed, match="verrouillé jusqu'à 09:05"):
        login(store, SELLER.login, SELLER.password, now=NOW + timedelta(minutes=1))
    assert login(store, SELLER.login, SELLER.password, now=NOW + timedelta(minutes=6)).login == SELLER.login
    codes = [row[1] for row in audit_log(store)]
    assert codes.count(85) == 6 and codes.count(86) == 1  # failed sign-ins, the lock, in the JET


def test_a_success_resets_the_count_of_failures(imported):
    store = open_store(imported)
    for _ in range(4):
        with pytest.raises(LoginFailed):
            login(store, SELLER.login, "faux", now=NOW)
    login(store, SELLER.login, SELLER.password, now=NOW)
    for _ in range(4):
        with pytest.raises(LoginFailed, match="incorrect"):
            login(store, SELLER.login, "faux", now=NOW)
