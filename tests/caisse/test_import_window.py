"""One writer of the reference data at a time (issue 29): an import holds its window from its first check to its
last write; an opening, or a switch to training, that comes in the middle is refused in a sentence, and the
import never loads prices, users and rights under an open day. A register in training never opens a real day."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from caisse.common.errors import CaisseError, OpenNotAllowed
from caisse.rules.lifecycle import in_training
from caisse.rules.opening import open_day
from caisse.services import training
from caisse.services.home import open_store
from caisse.services.sync import run_import
from caisse.storage.turns import import_under_way
from pipeline.demo import write_demo_shop
from tests.caisse.helpers import D, new_lot, rows, users
from tests.conftest import MANAGER

ROOT = Path(__file__).resolve().parents[2]


def test_an_opening_in_the_middle_of_an_import_is_refused_and_nothing_loads_under_an_open_day(imported):
    store = open_store(imported)
    manager, _ = users(store)
    write_demo_shop(imported.local_drop_dir, lot=new_lot())
    tried: list[str] = []

    def meanwhile(line: str) -> None:  # the manager clicks Ouvrir while the files are being received
        if line.startswith("Réception de") and not tried:
            try:
                open_day(store, "C01", manager, D("100.00"))
                tried.append("ouverte")
            except OpenNotAllowed as e:
                tried.append(str(e))

    result = run_import(store, imported, "C01", MANAGER.login, MANAGER.password, echo=meanwhile)
    assert result.tables["t_article"] == 2002
    assert len(tried) == 1 and "un import des données du serveur principal est en cours (lancé à " in tried[0] \
        and "pour la caisse C01" in tried[0] and "attendez qu'il se termine, puis ouvrez" in tried[0]
    assert rows(store, "SELECT count(*) FROM t_journee") == [(0,)]
    assert import_under_way(store.path) is None  # the window closes with the import
    open_day(store, "C01", manager, D("100.00"))  # and the opening goes through afterwards


def test_an_opening_beside_a_long_import_in_another_process_waits_for_it(imported):
    """The CLI's import in its own process (a lot of 200,000 articles): the app's opening in the middle is refused,
    and the import ends loaded; a killed import never leaves the window closed."""
    store = open_store(imported)
    manager, _ = users(store)
    write_demo_shop(imported.local_drop_dir, lot=new_lot(), articles=200_000)
    env = {"CAISSE_HOME": str(imported.home), "CAISSE_PASSWORD": MANAGER.password, "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-m", "caisse", "import", "--caisse", "C01", "--user", MANAGER.login]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while import_under_way(store.path) is None and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert import_under_way(store.path), proc.communicate()[0].decode()
    with pytest.raises(OpenNotAllowed, match="un import des données du serveur principal est en cours"):
        open_day(store, "C01", manager, D("100.00"))
    assert proc.wait(120) == 0
    assert rows(store, "SELECT count(*) FROM t_article") == [(200_002,)]  # and the 2 clothing models
    assert rows(store, "SELECT count(*) FROM t_journee") == [(0,)]
    write_demo_shop(imported.local_drop_dir, lot=new_lot(), articles=200_000)  # killed in the middle this time
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while import_under_way(store.path) is None and proc.poll() is None and time.monotonic() < deadline + 60:
        time.sleep(0.01)
    proc.kill()
    proc.wait(10)
    assert import_under_way(store.path) is None
    open_day(store, "C01", manager, D("100.00"))


def test_training_is_not_entered_during_an_import_and_a_register_in_training_never_opens_a_real_day(imported):
    store = open_store(imported)
    manager, _ = users(store)
    write_demo_shop(imported.local_drop_dir, lot=new_lot())
    said: list[str] = []

    def meanwhile(line: str) -> None:
        if line.startswith("Réception de") and not said:
            try:
                said.append(training.switch(store, imported, "C01", manager, True))
            except CaisseError as e:
                said.append(str(e))

    run_import(store, imported, "C01", MANAGER.login, MANAGER.password, echo=meanwhile)
    assert said == ["Un import des données est en cours : attendez qu'il se termine avant de passer la caisse C01 en "
                    "mode formation."]
    assert not in_training(store, "C01")
    training.switch(store, imported, "C01", manager, True)
    with pytest.raises(OpenNotAllowed, match="elle est en mode formation"):  # the real store, whoever asks
        open_day(store, "C01", manager, D("100.00"))
    assert rows(store, "SELECT count(*) FROM t_journee") == [(0,)]
    trainee = open_store(training.training_settings(imported, "C01"))
    open_day(trainee, "C01", manager, D("20.00"))  # its copy opens


@pytest.mark.parametrize("change", ["renumbered", "dropped"])
def test_a_lot_may_not_renumber_or_drop_a_register_that_has_days(imported, change):
    """Last round C01 with another id_caisse restarted at ticket n°1 and Z n°1 and overwrote its first lot; a lot
    without C01 hid its closed days. Now the lot is refused naming the register, and nothing changes."""
    from pipeline.demo import demo_tables
    from tests.caisse.helpers import export, full_day
    from tests.conftest import snapshot
    store = open_store(imported)
    manager, seller = users(store)
    full_day(imported, store, manager, seller)
    export(imported, store, manager)
    tables = demo_tables()
    registers, style = tables["t_caisse"]
    if change == "renumbered":
        registers[0]["id_caisse"] = 7
    else:
        del registers[0]
    write_demo_shop(imported.local_drop_dir, tables=tables, lot=new_lot())
    before = snapshot(imported)
    expected = ("le lot donne à la caisse C01 le numéro 7, alors que ses journées, tickets et Z sont enregistrés sous "
                "le numéro 1" if change == "renumbered" else "le lot ne contient plus la caisse C01 (numéro 1), qui a "
                "des journées enregistrées")
    with pytest.raises(CaisseError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        run_import(store, imported, "C02" if change == "dropped" else "C01", MANAGER.login, MANAGER.password)
    assert snapshot(imported) == before
    assert rows(store, "SELECT id_caisse, code FROM t_caisse WHERE code = 'C01'") == [(1, "C01")]
