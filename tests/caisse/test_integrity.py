"""caisse verify (DESIGN section 9): honest stores pass; altered, deleted and truncated records are named."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from caisse import integrity
from caisse.opening import open_day
from tests.caisse.helpers import D, close_exact, sell, users


@pytest.fixture
def history(opened):
    """Two closed days of three tickets each, then an open day with two tickets."""
    manager, seller = users(opened)
    for day in range(3):
        if day:
            open_day(opened, "C01", manager, D("100"))
        for _ in range(3 if day < 2 else 2):
            sell(opened, seller)
        if day < 2:
            close_exact(opened, manager)
    return opened


def broken(store):
    with store.connect() as con:
        return [str(b) for b in integrity.verify(con, store.key_path)]


def tamper(store, sql):
    with store.transaction() as con:
        con.execute(sql)


def test_an_honest_store_verifies(history):
    assert broken(history) == []


@pytest.mark.parametrize("sql,expected", [
    ("UPDATE t_ticket SET total_ttc = 1 WHERE numero = 4", "ticket n°4 : son contenu a été modifié"),
    ("UPDATE t_ligne_ticket SET quantite = 2 WHERE id_ticket = (SELECT id_ticket FROM t_ticket WHERE numero = 2)",
     "ticket n°2 : son contenu a été modifié"),
    ("UPDATE t_reglement SET rendu = 0 WHERE id_ticket = (SELECT id_ticket FROM t_ticket WHERE numero = 7)",
     "ticket n°7 : son contenu a été modifié"),
    ("DELETE FROM t_ticket WHERE numero = 5", "ticket n°5 : manquant"),
    ("UPDATE t_journee SET especes_compte = especes_compte + 10 WHERE numero_z = 1",
     "journée Z n°1 : son contenu a été modifié"),
    ("DELETE FROM t_journee WHERE numero_z = 1", "journée Z n°1 : manquant"),
    ("UPDATE t_ticket SET statut = 'ANNULE' WHERE numero = 2", "journée Z n°1 : 3 tickets enregistrés à la fermeture, "
                                                             "2 trouvés"),
])
def test_an_altered_or_deleted_record_is_named(history, sql, expected):
    tamper(history, sql)
    assert any(expected in line for line in broken(history)), broken(history)


def test_deleting_the_tail_after_the_last_z_is_seen(history):
    tamper(history, "DELETE FROM t_ticket WHERE numero > 6")
    assert any("ticket n°7 : manquant" in line and "fin de chaîne supprimée" in line for line in broken(history))


def test_deleting_the_last_day_and_its_tickets_is_seen(history):
    tamper(history, "DELETE FROM t_ticket WHERE numero > 3")
    tamper(history, "DELETE FROM t_journee WHERE numero_z = 2 OR numero_z IS NULL")
    lines = broken(history)
    assert any("journée Z n°2 : manquant" in line for line in lines), lines


def test_a_tampered_head_file_is_seen(history):
    head = history.key_path.parent / "chaines" / "C01.json"
    head.write_text(head.read_text().replace('"ticket": 8', '"ticket": 5'))
    assert any("fichier de tête" in line for line in broken(history))


def test_the_cli_exits_0_on_an_honest_store_and_1_naming_the_first_broken_link(history, imported):
    history.release()
    env = {**os.environ, "CAISSE_HOME": str(imported.home)}
    ok = subprocess.run([sys.executable, "-m", "caisse", "verify"], capture_output=True, text=True, env=env)
    assert ok.returncode == 0 and "intactes" in ok.stdout
    tamper(history, "UPDATE t_ticket SET total_ht = 0 WHERE numero = 3")
    history.release()
    bad = subprocess.run([sys.executable, "-m", "caisse", "verify"], capture_output=True, text=True, env=env)
    assert bad.returncode == 1 and "Caisse C01, ticket n°3 : son contenu a été modifié" in bad.stderr
