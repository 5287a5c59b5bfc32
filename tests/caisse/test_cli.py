"""The `caisse` command as an operator runs it: real processes, exit codes, sentences, no traceback."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from tests.caisse.test_store import hold_lock
from tests.conftest import MANAGER


def caisse(*args, password=None, env=None, timeout=60):
    environ = {**os.environ, **(env or {})}
    environ.pop("CAISSE_PASSWORD", None)
    if password is not None:
        environ["CAISSE_PASSWORD"] = password
    done = subprocess.run([sys.executable, "-m", "caisse", *args], capture_output=True, text=True, env=environ,
                          stdin=subprocess.DEVNULL, timeout=timeout)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def status(env=None):
    done = caisse("status", "--json", env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_init_demo_import_and_status_on_the_embedded_default(settings):
    done = caisse("init", "--demo")
    assert done.returncode == 0 and "Boutique de démonstration" in done.stdout
    assert (settings.integrity_key_path.stat().st_mode & 0o777) == 0o600
    assert status()["caisses"] == []
    done = caisse("import", "--caisse", "C01", "--user", MANAGER.login, password=MANAGER.password)
    assert done.returncode == 0, done.stderr
    assert "Lot GESPX" in done.stdout and "préparé par le serveur principal srv-appli2" in done.stdout
    assert "DELETE FROM t_caisse" in done.stdout
    assert [(c["code"], c["etat"]) for c in status()["caisses"]] == [("C01", "prete"), ("C02", "a_importer")]
    lot = status()["synchronisations"][0]["lot"]
    log = caisse("log", lot)
    assert log.returncode == 0 and "*** Début de vidage des tables du serveur nomade ***" in log.stdout


def test_a_second_init_keeps_the_integrity_key(settings):
    caisse("init")
    key = settings.integrity_key_path.read_bytes()
    assert "déjà présente" in caisse("init").stdout
    assert settings.integrity_key_path.read_bytes() == key


@pytest.mark.parametrize("args,password,code,words", [
    (["import", "--caisse", "C01", "--user", "responsable"], "faux", 1, "mot de passe incorrect"),
    (["import", "--caisse", "C01", "--user", "responsable"], None, 2, "CAISSE_PASSWORD"),
    (["import", "--caisse", "C09", "--user", "responsable"], MANAGER.password, 1, "C09 n'existe pas"),
    (["import", "--user", "responsable"], MANAGER.password, 2, "--caisse"),
    (["log", "inconnu"], None, 1, "Aucun échange"),
])
def test_refusals_exit_with_their_code_and_a_sentence(settings, args, password, code, words):
    caisse("init", "--demo")
    done = caisse(*args, password=password)
    assert done.returncode == code
    assert words in done.stderr


def test_a_drop_that_cannot_be_reached_exits_3(settings, tmp_path):
    caisse("init")
    done = caisse("import", "--caisse", "C01", "--user", "responsable", password="x",
                  env={"CAISSE_DROP": (tmp_path / "absent").as_uri()})
    assert done.returncode == 3 and "n'est pas utilisable" in done.stderr


def test_a_bad_mode_is_a_usage_error(settings):
    done = caisse("status", env={"CAISSE_MODE": "turbo"})
    assert done.returncode == 2 and "manual ou auto" in done.stderr


@pytest.mark.parametrize("name, typed, words", [
    ("CAISSE_PRINTER", "imprimante", "Imprimante « imprimante » (CAISSE_PRINTER) mal écrite"),
    ("CAISSE_PRINTER", "usb://zz", "usb://VID:PID en hexadécimal"),
    ("CAISSE_IDLE_MINUTES", "99999999999999", "de 1 à 1440 (un jour), pas « 99999999999999 »"),
    ("CAISSE_SFTP_TIMEOUT", "1e12", "entre 0,1 et 3600, pas « 1e12 »"),
    ("CAISSE_LOCK_TIMEOUT", "1e12", "entre 0,1 et 3600"),
    ("CAISSE_SFTP_RETRIES", "10000", "de 0 à 20"),
    ("CAISSE_EXPORT_DIR", "../../ailleurs", "sans « .. », par exemple export/{caisse}"),
    ("CAISSE_IMPORT_DIR", "../x", "sans « .. », par exemple import/{caisse}"),
    ("CAISSE_ARCHIVE_COPY", "copie", "doit être complet"),
    ("CAISSE_KEYS_DIR", "cles", "doit être complet"),
    ("CAISSE_DROP", "ftp://serveur/depot", "non prise en charge : file:///chemin ou sftp://"),
    ("CAISSE_TLS_CERT", "/etc/caisse.pem", "réglez les deux, ou aucun"),
    ("CAISSE_PRINTER_WIDTH", "40", "42 ou 48 colonnes, pas « 40 »"),
])
def test_a_setting_that_would_fail_later_is_refused_at_the_start(settings, name, typed, words):
    """Each of these passed `status` and failed later: the printer's address made a closing say « Erreur »
    after it was recorded, a huge idle time broke every page of the app, a huge timeout broke the SFTP
    connection, an export folder climbing out of the drop failed only at the export, a relative copy folder
    depended on where the command was started. Now the start refuses them, naming the setting."""
    done = caisse("status", env={name: typed})
    assert done.returncode == 2 and words in done.stderr, done.stderr


def test_a_folder_of_the_main_server_with_spaces_or_accents_is_still_a_folder(settings):
    caisse("init")
    for folder in ("Import Caisse/{caisse}", "échanges/{caisse}", "./export"):
        done = caisse("status", env={"CAISSE_IMPORT_DIR": folder, "CAISSE_EXPORT_DIR": folder})
        assert done.returncode == 0, done.stderr


def test_a_text_setting_written_as_a_number_in_the_file_is_said(settings, tmp_path):
    config = tmp_path / "caisse.toml"
    for name in ("drop", "printer", "keys_dir", "export_dir"):
        config.write_text(f"{name} = 5\n", encoding="utf-8")
        done = caisse("status", env={"CAISSE_CONFIG": str(config)})
        assert done.returncode == 2 and f"Le réglage {name}" in done.stderr and "entre guillemets" in done.stderr


def test_the_cli_works_beside_another_process_holding_the_store(settings):
    caisse("init", "--demo")
    holder = hold_lock(settings.store_path, 1.5)
    done = caisse("import", "--caisse", "C01", "--user", MANAGER.login, password=MANAGER.password)
    holder.wait()
    assert done.returncode == 0, done.stderr
    holder = hold_lock(settings.store_path, 30)
    try:
        done = caisse("status", env={"CAISSE_LOCK_TIMEOUT": "1"})
    finally:
        holder.kill()
    assert done.returncode == 1 and "occupée par un autre programme" in done.stderr


def test_status_loads_the_store_not_the_import_pipeline_arrow_or_the_printer(settings):
    """A shop's scripts may run `caisse status` every second beside a busy app (issue 16): it imports what it
    reads and nothing else. Checked by the modules a real `status` left loaded, not by a timing."""
    assert caisse("init", "--demo").returncode == 0
    assert caisse("import", "--caisse", "C01", "--user", MANAGER.login, password=MANAGER.password).returncode == 0
    probe = ("import sys\nfrom caisse.cli.main import main\nassert main(['status']) == 0\n"
             "print(' '.join(sorted(sys.modules)), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=os.environ,
                          stdin=subprocess.DEVNULL, timeout=60)
    assert done.returncode == 0 and "C01" in done.stdout, done.stderr
    loaded = set(done.stderr.split())
    heavy = {"pyarrow", "pandas", "lxml", "escpos", "paramiko", "cryptography", "pipeline.xmlread",
             "pipeline.xmlwrite", "caisse.paper.printing", "caisse.services.sync", "caisse.services.workflow",
             "caisse.services.export"}
    assert loaded & heavy == set() and "duckdb" in loaded and "caisse.rules.lifecycle" in loaded


BROKEN_OS = """import os, sys
listdir = os.listdir
def broken(path="."):  # a fault of the system nobody foresaw, met by the store's queue
    if "file-attente" in str(path):
        raise RuntimeError("panne imprévue du système")
    return listdir(path)
os.listdir = broken
from caisse.cli.main import main
sys.exit(main(["status"]))
"""


def test_a_fault_nobody_foresaw_is_a_sentence_with_a_reference_and_its_traceback_is_in_the_log(settings):
    """The CLI printed Python's traceback for anything it had no sentence for (a damaged queue counter did it):
    now the person reads one sentence and a reference, the traceback is in application.log under it."""
    assert caisse("init", "--demo").returncode == 0
    done = subprocess.run([sys.executable, "-c", BROKEN_OS], capture_output=True, text=True, env=os.environ,
                          stdin=subprocess.DEVNULL, timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    ref = re.search(r"Erreur inattendue \(réf\. (\d{8}-\d{6}-[0-9a-f]{4})\) : la commande « caisse status »",
                    done.stderr)
    assert ref, done.stderr
    log = (settings.logs_dir / "application.log").read_text(encoding="utf-8")
    assert f"réf. {ref.group(1)}" in log and "RuntimeError: panne imprévue du système" in log
    assert str(settings.logs_dir / "application.log") in done.stderr


def test_every_name_the_pages_face_gives_and_every_command_resolves():
    """The pages read `api.<name>`, imported statically (no lazy facade: `caisse/__init__.py` is empty)."""
    from pathlib import Path

    import caisse
    import pipeline
    from caisse import api
    assert Path(caisse.__file__).read_text(encoding="utf-8") == ""
    for name in pipeline.__all__:
        assert getattr(pipeline, name) is not None, f"pipeline.{name}"
    pages = (Path(__file__).parents[2] / "pages").glob("*.py")
    used = set(re.findall(r"\bapi\.(\w+)", "".join(p.read_text(encoding="utf-8") for p in pages)))
    assert used and all(getattr(api, name, None) is not None for name in used), used - set(dir(api))
    from caisse.cli.arguments import build_parser
    from caisse.cli.main import COMMANDS, command
    assert set(COMMANDS) == set(build_parser()._subparsers._group_actions[0].choices)
    assert all(callable(command(name)) for name in COMMANDS)


def test_serve_on_a_taken_port_or_a_foreign_address_is_a_french_sentence(settings):
    """`caisse serve` twice (a second `make run`) let Streamlit say "Port 8501 is not available" in English."""
    import socket
    assert caisse("init").returncode == 0
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = caisse("serve", "--port", str(port), timeout=30)
    assert done.returncode == 2 and "not available" not in done.stderr + done.stdout
    assert f"Le port {port} est déjà pris sur 127.0.0.1" in done.stderr and f"--port {port + 1}" in done.stderr
    for address, words in (("192.0.2.1", "cette adresse n'est pas celle de ce serveur"),  # TEST-NET-1, never ours
                           ("caisse.example", "n'est pas une adresse IP")):  # no DNS lookup is made for it
        done = caisse("serve", "--port", str(port), "--address", address, timeout=30)
        assert done.returncode == 2 and words in done.stderr, done.stderr


def test_a_broken_config_file_or_a_store_that_is_not_duckdb_is_said_in_french(settings, tmp_path):
    """tomllib's, Python's and DuckDB's own English reached the terminal: "Invalid value (at line 1, column 8)",
    "'utf-8' codec can't decode byte 0xff", "IO Error: ... is not a valid DuckDB database file!"."""
    assert caisse("init").returncode == 0
    config = tmp_path / "reglages.toml"
    for content, words in ((b"mode = manual\n", "illisible (ligne 1, colonne 8 : ce n'est pas du TOML valide"),
                           (b"\xff\xfe", "n'est pas en UTF-8 (octet 1)")):
        config.write_bytes(content)
        done = caisse("status", env={"CAISSE_CONFIG": str(config)})
        assert done.returncode == 2 and words in done.stderr, done.stderr
        assert "Invalid" not in done.stderr and "codec" not in done.stderr
    settings.store_path.write_bytes(b"\x00garbage" * 4096)  # replaced behind the program's back
    done = caisse("status")
    assert done.returncode == 1 and "n'est pas une base DuckDB (fichier endommagé ou remplacé)" in done.stderr
    assert "IO Error" not in done.stderr and settings.store_path.stat().st_size == 8 * 4096  # left as it was
