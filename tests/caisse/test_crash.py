"""Crash safety (DESIGN section 5): `caisse import` and `caisse export` killed with SIGKILL at each step.

Each process is stopped at a crash point (a log line at which it pauses, switched on by
CAISSE_TEST_PAUSE_AT, which only these tests set), killed with -9, and the store and the drop are
checked: wholly before or wholly after the import, remote files kept until the commit; an export
unmarked (a retry sends the same lot) or marked with the lot complete on the server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from caisse.services.home import open_store
from pipeline import IMPORT_MANIFEST, read_manifest, write_manifest
from pipeline.demo import write_demo_shop
from pipeline.manifest import FileEntry, sha256_file
from tests.caisse.helpers import full_day, new_lot, states, users
from tests.conftest import MANAGER, drop_files, snapshot

NEW_ARTICLES = b'<t_article><a id_article="1" code="NOUVEAU" prix_ttc="2" id_tva="1"/></t_article>'


def run_until(args, marker: str, home) -> subprocess.CompletedProcess | None:
    """Run `caisse ARGS`, kill -9 it when it logs `marker`; None when killed, else its result."""
    env = {**os.environ, "CAISSE_HOME": str(home), "CAISSE_PASSWORD": MANAGER.password,
           "CAISSE_TEST_PAUSE_AT": marker, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "caisse", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if marker in line:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            return None
    proc.wait(30)
    return subprocess.CompletedProcess(args, proc.returncode, "", proc.stderr.read())


def caisse(args, home):
    env = {**os.environ, "CAISSE_HOME": str(home), "CAISSE_PASSWORD": MANAGER.password}
    return subprocess.run([sys.executable, "-m", "caisse", *args], env=env, capture_output=True, text=True)


IMPORT_STEPS = {
    "downloading": "Réception de /t_article.xml",
    "validated": "Manifeste infos_import.xml vérifié",
    "loading, before the commit": "DELETE FROM t_article",
    "committed, removing the remote files": "Suppression de /infos_import.xml",
    "committed, half the remote files removed": "Suppression de /t_emplacement.xml",
    "done, log not yet saved": "Import terminé",
}


@pytest.mark.parametrize("marker", IMPORT_STEPS.values(), ids=IMPORT_STEPS.keys())
def test_an_import_killed_at_any_step_is_wholly_before_or_wholly_after(imported, marker):
    folder = imported.local_drop_dir
    write_demo_shop(folder, lot=new_lot())
    (folder / "t_article.xml").write_bytes(NEW_ARTICLES)
    manifest = read_manifest(folder / IMPORT_MANIFEST)
    manifest.fichiers = [f if f.nom != "t_article.xml" else FileEntry(f.nom, 1, sha256_file(folder / f.nom))
                         for f in manifest.fichiers]
    write_manifest(manifest, folder / IMPORT_MANIFEST)
    before, lot = snapshot(imported), drop_files(imported)
    open_store(imported).release()
    assert run_until(["import", "--caisse", "C01", "--user", MANAGER.login], marker, imported.home) is None
    after_crash = snapshot(imported)
    committed = after_crash["t_article"] != before["t_article"]
    if committed:
        assert len(after_crash["t_article"]) == 1
        assert {t: rows for t, rows in after_crash.items() if t != "t_article"} == {
            t: rows for t, rows in before.items() if t != "t_article"}
    else:
        assert after_crash == before
        assert drop_files(imported) == lot, "the remote files must stay until the import is committed"
    left = drop_files(imported)
    open_store(imported).release()
    done = caisse(["import", "--caisse", "C01", "--user", MANAGER.login], imported.home)
    if left:  # what is left is imported again, harmlessly
        assert done.returncode == 0, done.stderr
    else:
        assert done.returncode == 1 and "rien déposé" in done.stderr
    final = snapshot(imported)
    assert len(final["t_article"]) == 1 and drop_files(imported) == {}
    assert not list(imported.received_dir.glob("*/validees/*")), "the next import clears validated tables left"


EXPORT_STEPS = {
    "writing the lot": "Écriture de t_ticket.xml",
    "half uploaded": "/t_ligne_ticket.xml sur le dossier local",
    "uploaded, manifest last": "/infos_export.xml sur le dossier local",
    "uploaded, not yet marked": "Export terminé",
}


@pytest.mark.parametrize("marker", EXPORT_STEPS.values(), ids=EXPORT_STEPS.keys())
def test_an_export_killed_at_any_step_is_unmarked_and_a_retry_sends_the_same_lot(imported, store, marker):
    manager, seller = users(store)
    full_day(imported, store, manager, seller, tickets=3)
    store.release()
    assert run_until(["export", "--caisse", "C01", "--user", MANAGER.login], marker, imported.home) is None
    assert states(store)["C01"] == "a_exporter"
    remote = imported.local_drop_dir / "export" / "C01" / "C01-Z000001-Z000001"
    partial = {p.name: p.read_bytes() for p in remote.glob("*.xml")} if remote.exists() else {}
    store.release()
    done = caisse(["export", "--caisse", "C01", "--user", MANAGER.login], imported.home)
    assert done.returncode == 0, done.stderr
    files = {p.name: p.read_bytes() for p in remote.iterdir()}
    assert len(files) == 10 and not any(name.endswith(".part") for name in files)
    assert all(files[name] == content for name, content in partial.items()), "a retry sends the same lot"
    assert states(store)["C01"] == "a_importer"
