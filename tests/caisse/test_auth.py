from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from caisse.common.errors import LoginFailed, RightMissing
from caisse.rules.auth import login, require
from caisse.services.backoffice import audit_log
from caisse.services.home import open_store
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


def test_failures_from_one_place_slow_its_tries_and_never_lock_the_account_elsewhere(imported):
    from caisse.rules.auth import from_source, held_sources, release_source
    store = open_store(imported)
    from_source("192.168.1.50")
    for i in range(3):
        with pytest.raises(LoginFailed, match="incorrect"):
            login(store, MANAGER.login, "faux", now=NOW + timedelta(seconds=i))
    with pytest.raises(LoginFailed, match="patientez 1 seconde"):  # the third failure: 1 s to wait
        login(store, MANAGER.login, MANAGER.password, now=NOW + timedelta(seconds=2, milliseconds=500))
    with pytest.raises(LoginFailed, match="incorrect"):
        login(store, MANAGER.login, "faux", now=NOW + timedelta(seconds=4))
    with pytest.raises(LoginFailed, match="patientez 2 seconde"):  # the fourth: 2 s, and so on
        login(store, MANAGER.login, MANAGER.password, now=NOW + timedelta(seconds=4))
    from_source("192.168.1.20")  # the manager's own till is not held by what another place typed
    assert login(store, MANAGER.login, MANAGER.password, now=NOW + timedelta(seconds=5)).login == MANAGER.login
    assert [row[:2] for row in held_sources(store, now=NOW + timedelta(seconds=5))] == [("192.168.1.50", 4)]
    release_source(store, login(store, MANAGER.login, MANAGER.password, now=NOW + timedelta(seconds=5)),
                   "192.168.1.50", now=NOW + timedelta(seconds=5))
    assert held_sources(store, now=NOW + timedelta(seconds=5)) == []
    from_source("192.168.1.50")
    with pytest.raises(LoginFailed, match="incorrect"):  # released: a wrong password is just wrong again
        login(store, MANAGER.login, "faux", now=NOW + timedelta(seconds=5))
    assert 87 in [row[1] for row in audit_log(store)]  # the release is an event
    from_source(None)


def test_a_failed_sign_in_records_the_login_only_when_it_exists(imported):
    store = open_store(imported)
    for typed in ("resp2026", SELLER.login):  # a password typed in the login field, then a real login
        with pytest.raises(LoginFailed):
            login(store, typed, "faux", now=NOW)
    failures = [(who, detail) for _, code, _, _, who, detail in audit_log(store) if code == 85]
    assert sorted(failures, key=str) == sorted([(None, "échec n°1 depuis local (identifiant inconnu)"),
                                                (SELLER.login, "échec n°2 depuis local")], key=str)
    assert "resp2026" not in " ".join(str(f) for f in failures)


def test_a_success_resets_the_count_of_failures(imported):
    store = open_store(imported)
    for i in range(3):
        with pytest.raises(LoginFailed, match="incorrect"):
            login(store, SELLER.login, "faux", now=NOW + timedelta(seconds=i))
    login(store, SELLER.login, SELLER.password, now=NOW + timedelta(seconds=5))
    for _ in range(2):  # counted from zero again: no wait before the third
        with pytest.raises(LoginFailed, match="incorrect"):
            login(store, SELLER.login, "faux", now=NOW + timedelta(seconds=6))


def test_guesses_spread_over_many_places_slow_the_account_gently_and_never_lock_it(imported):
    """The throttle counts by place; guesses from twelve places on one account also add up on the account: its next
    tries wait (30 s at most), whatever the place, and the right password goes through once the wait is over."""
    from datetime import datetime, timedelta

    from caisse.common.errors import LoginFailed
    from caisse.rules.auth import from_source, login
    from caisse.services.home import open_store
    from tests.conftest import MANAGER
    store, now = open_store(imported), datetime(2026, 12, 3, 10, 0)
    try:
        for i in range(12):  # twelve places, a guess each: the account's tries wait 1 s, 2 s, then 4 s
            from_source(f"10.0.0.{i + 1}")
            with pytest.raises(LoginFailed, match="incorrect"):
                login(store, MANAGER.login, "devine", now=now + timedelta(seconds=5 * i))
        from_source("10.0.0.99")  # a place that never failed
        later = now + timedelta(seconds=56)
        with pytest.raises(LoginFailed, match="pour l'identifiant responsable, depuis plusieurs postes"):
            login(store, MANAGER.login, MANAGER.password, now=later)
        assert login(store, MANAGER.login, MANAGER.password, now=later + timedelta(seconds=31)).login == MANAGER.login
        from_source("10.0.0.98")
        assert login(store, MANAGER.login, MANAGER.password, now=later + timedelta(seconds=32))  # counter reset
    finally:
        from_source(None)
