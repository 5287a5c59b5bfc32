"""Training mode (FISCAL.md R26): a register in training sells in a home of its own; nothing of it reaches the
real figures, every document says MODE FORMATION, entering and leaving are events."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from caisse.common.errors import CaisseError
from caisse.common.words import TRAINING_MARK
from caisse.rules.opening import open_day
from caisse.services import training
from caisse.services.home import open_store
from caisse.services.workflow import finish_day, print_receipt
from tests.caisse.helpers import D, breaks, close_exact, sell, users
from tests.caisse.test_cli import caisse
from tests.conftest import MANAGER, SELLER


def real_figures(store) -> dict:
    """Everything that counts in the real store, except the JET (which records entering and leaving)."""
    with store.connect() as con:
        return {
            "tickets": con.execute("SELECT count(*), coalesce(sum(total_ttc), 0), coalesce(max(numero), 0) FROM "
                                   "t_ticket").fetchall(),
            "days": con.execute("SELECT numero_z, total_ttc, grand_total, grand_total_absolu FROM t_journee ORDER BY "
                                "numero_z").fetchall(),
            "links": con.execute("SELECT chaine, count(*) FROM maillon WHERE chaine <> 'jet' GROUP BY chaine "
                                 "ORDER BY chaine").fetchall(),
            "moves": con.execute("SELECT count(*), coalesce(sum(montant), 0) FROM t_livre_de_caisse").fetchall(),
            "runs": con.execute("SELECT count(*) FROM sync_run").fetchall(),
        }


def test_r26_a_training_day_leaves_every_real_figure_untouched(settings, store, manager, seller):
    open_day(store, "C01", manager, D("150.00"))
    sell(store, seller)
    close_exact(store, manager)
    before = real_figures(store)
    said = training.switch(store, settings, "C01", manager, True)
    assert "mode formation" in said
    practice = training.training_settings(settings, "C01")
    assert training.settings_for(settings, "C01") == practice
    t_store = open_store(practice)
    t_manager, t_seller = users(t_store)
    open_day(t_store, "C01", t_manager, D("100.00"))
    first = sell(t_store, t_seller)
    assert first.numero == 1  # its own numbering
    receipt = print_receipt(t_store, practice, first, t_seller)
    text = receipt.text_path.read_text(encoding="utf-8")
    assert text.lstrip().startswith(TRAINING_MARK) and text.rstrip().endswith(TRAINING_MARK)
    assert str(receipt.text_path).startswith(str(settings.home / "formation" / "C01"))
    end = finish_day(t_store, practice, "C01", t_manager, especes=D("110.70"))
    assert end.closed.numero_z == 1 and TRAINING_MARK in end.z.text_path.read_text(encoding="utf-8")
    with pytest.raises(CaisseError, match="mode formation"):
        from caisse.services.export import run_export
        run_export(t_store, practice, "C01", t_manager)
    assert breaks(t_store) == []  # its own chains, intact
    assert training.switch(store, settings, "C01", manager, False) == "La caisse C01 est revenue au mode réel."
    assert real_figures(store) == before
    with store.connect() as con:
        events = con.execute("SELECT code, login FROM jet WHERE code IN (200, 205) ORDER BY ts").fetchall()
    assert events == [(200, MANAGER.login), (205, MANAGER.login)]
    assert breaks(store) == []


def test_r26_training_refused_over_an_open_real_day_and_left_only_with_its_day_closed(settings, store, manager):
    open_day(store, "C01", manager, D("150.00"))
    with pytest.raises(CaisseError, match="journée réelle ouverte"):
        training.switch(store, settings, "C01", manager, True)
    close_exact(store, manager)
    training.switch(store, settings, "C01", manager, True)
    practice = open_store(training.training_settings(settings, "C01"))
    open_day(practice, "C01", users(practice)[0], D("10.00"), now=datetime.now())
    with pytest.raises(CaisseError, match="journée de formation"):
        training.switch(store, settings, "C01", manager, False)
    _, seller = users(store)
    with pytest.raises(CaisseError):  # the seller has no back-office right
        training.switch(store, settings, "C01", seller, False)


def test_r26_cli_training_on_sells_apart_and_never_exports(imported):
    env = {"CAISSE_HOME": str(imported.home)}
    done = caisse("training", "on", "--caisse", "C01", "--user", MANAGER.login, password=MANAGER.password, env=env)
    assert done.returncode == 0, done.stderr
    listed = json.loads(caisse("status", "--json", env=env).stdout)["caisses"]
    assert [c["formation"] for c in listed if c["code"] == "C01"] == [True]
    assert "MODE FORMATION" in caisse("status", env=env).stdout
    assert caisse("open", "--caisse", "C01", "--user", MANAGER.login, "--fond", "50", password=MANAGER.password,
                  env=env).returncode == 0
    sold = caisse("sell", "--caisse", "C01", "--user", SELLER.login, "--article", "ART00001", "--pay", "ESP=20",
                  password=SELLER.password, env=env)
    assert sold.returncode == 0 and "MODE FORMATION" in sold.stdout, sold.stdout + sold.stderr
    export = caisse("export", "--caisse", "C01", "--user", MANAGER.login, password=MANAGER.password, env=env)
    assert export.returncode == 1 and "mode formation" in export.stderr
    with open_store(imported).connect() as con:
        assert con.execute("SELECT count(*) FROM t_ticket").fetchall()[0][0] == 0
        assert con.execute("SELECT count(*) FROM t_journee").fetchall()[0][0] == 0


def test_r26_the_training_home_is_where_the_session_is_recorded_never_what_the_cookie_says(settings, store, manager):
    """Last round a cookie `formation:C01:<token>` chose the training home by its text: a real session worked under
    the MODE FORMATION banner, and a training session outlived `training off`."""
    from datetime import timedelta

    from caisse.rules.sessions import holds, open_session, resume
    real = open_session(store, manager)
    training.switch(store, settings, "C01", manager, True)
    practice = open_store(training.training_settings(settings, "C01"))
    trainee = open_session(practice, manager)
    assert training.session_home(store, settings, real) is None  # the real home
    assert training.session_home(store, settings, trainee) == "C01"
    forged = f"formation:C01:{real}"
    assert training.session_home(store, settings, forged) is None
    assert resume(store, forged, timedelta(minutes=15)) is None and resume(practice, forged, timedelta(minutes=15)) \
        is None  # nobody, in either home
    training.switch(store, settings, "C01", manager, False)
    assert not holds(practice, trainee) and training.session_home(store, settings, trainee) is None
    assert resume(practice, trainee, timedelta(minutes=15)) is None  # ended with the training
