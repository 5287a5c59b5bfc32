"""The whole day against a real SFTP server, and every transport fault ending in a sentence, nothing lost."""

from __future__ import annotations

import os
import resource
import subprocess
import sys

import pytest

from caisse.common.config import load_settings
from caisse.common.errors import DropFailed, ExportFailed
from caisse.services.home import open_store
from caisse.services.sync import run_import
from pipeline.demo import write_demo_shop
from tests.caisse.helpers import D, export, full_day, new_lot, states, users
from tests.caisse.test_full_disk import mount_tmpfs
from tests.conftest import MANAGER, snapshot
from tests.sshd import CuttingProxy


def deliver(sshd):
    write_demo_shop(sshd.remote, lot=new_lot())
    sshd.own(sshd.remote)


def remote_files(sshd):
    return sorted(p.relative_to(sshd.remote).as_posix() for p in sshd.remote.rglob("*") if p.is_file())


@pytest.fixture
def sftp_imported(sftp_settings, sshd):
    from caisse.services.home import initialise
    initialise(sftp_settings)
    deliver(sshd)
    run_import(open_store(sftp_settings), sftp_settings, "C01", MANAGER.login, MANAGER.password)
    return sftp_settings


def test_import_and_export_round_trip_over_sftp_naming_the_host(sftp_settings, sshd):
    from caisse.services.home import initialise
    initialise(sftp_settings)
    deliver(sshd)
    lines = []
    run_import(open_store(sftp_settings), sftp_settings, "C01", MANAGER.login, MANAGER.password, echo=lines.append)
    assert "Réception de /t_avoir.xml depuis 127.0.0.1 en tant que" in "\n".join(lines)
    assert "Suppression de /t_avoir.xml sur 127.0.0.1 réussie." in lines
    assert remote_files(sshd) == []
    store = open_store(sftp_settings)
    manager, seller = users(store)
    full_day(sftp_settings, store, manager, seller)
    result = export(sftp_settings, store, manager)
    assert len(remote_files(sshd)) == 10 and all(f.startswith(f"export/C01/{result.lot}/") for f in remote_files(sshd))
    assert states(store)["C01"] == "a_importer"


def test_permission_denied_on_the_export_folder_fails_the_export_cleanly(sftp_imported, sshd):
    (sshd.remote / "export").mkdir(mode=0o755)  # root's folder: the SFTP user may not write in it
    store = open_store(sftp_imported)
    manager, seller = users(store)
    full_day(sftp_imported, store, manager, seller)
    with pytest.raises(ExportFailed, match="permission refusée.*Contactez la hotline"):
        export(sftp_imported, store, manager)
    assert states(store)["C01"] == "echec_export"
    sshd.own(sshd.remote / "export")
    assert export(sftp_imported, store, manager).lot == "C01-Z000001-Z000001"


def test_the_main_servers_full_disk_is_said_as_the_main_servers_and_leaves_nothing_there(sftp_imported, sshd):
    """A real full disk on the SFTP side (a small tmpfs under the export folder): OpenSSH answers only
    « Failure »; the export says it is the main server's refusal (exit 3, never « le disque du serveur caisse »),
    leaves no half lot there, and goes through once room is made."""
    export_dir = sshd.remote / "export"
    mount_tmpfs(export_dir, "64k")
    try:
        sshd.own(export_dir)
        filler = export_dir / "remplissage"
        with open(filler, "wb") as f:
            room = os.statvfs(export_dir)
            os.posix_fallocate(f.fileno(), 0, room.f_bavail * room.f_frsize - 4096)
        store = open_store(sftp_imported)
        manager, seller = users(store)
        full_day(sftp_imported, store, manager, seller)
        with pytest.raises(ExportFailed, match="serveur principal") as failed:
            export(sftp_imported, store, manager)
        assert failed.value.exit_code == 3 and "serveur caisse" not in str(failed.value)
        assert "son disque est probablement plein" in str(failed.value)
        assert states(store)["C01"] == "echec_export"
        assert [p.name for p in export_dir.rglob("*") if p.is_file()] == ["remplissage"]
        filler.unlink()
        export(sftp_imported, store, manager)
        assert len(list((export_dir / "C01" / "C01-Z000001-Z000001").iterdir())) == 10
    finally:
        subprocess.run(["umount", "-l", str(export_dir)], check=False)


def test_an_import_cut_in_the_middle_changes_nothing_and_succeeds_on_retry(sftp_imported, sshd, monkeypatch):
    deliver(sshd)
    before, remote = snapshot(sftp_imported), remote_files(sshd)
    proxy = CuttingProxy(sshd.port, limit=150_000)  # t_article.xml is about 250 kB
    sshd.trust_current_key(proxy.port)
    monkeypatch.setenv("CAISSE_DROP", sshd.url_through(proxy.port))
    try:
        with pytest.raises(DropFailed, match="127.0.0.1.*impossible après 2 essais"):
            run_import(open_store(sftp_imported), load_settings(), "C01", MANAGER.login, MANAGER.password)
    finally:
        proxy.close()
    assert proxy.cuts >= 2
    assert snapshot(sftp_imported) == before and remote_files(sshd) == remote
    sshd.trust_current_key()
    monkeypatch.setenv("CAISSE_DROP", sshd.url)
    run_import(open_store(sftp_imported), load_settings(), "C01", MANAGER.login, MANAGER.password)
    assert remote_files(sshd) == []


def test_an_export_cut_in_the_middle_is_unmarked_and_a_retry_completes_the_lot(sftp_imported, sshd, monkeypatch):
    store = open_store(sftp_imported)
    manager, seller = users(store)
    full_day(sftp_imported, store, manager, seller, tickets=400)
    proxy = CuttingProxy(sshd.port, limit=60_000)
    sshd.trust_current_key(proxy.port)
    monkeypatch.setenv("CAISSE_DROP", sshd.url_through(proxy.port))
    try:
        with pytest.raises(ExportFailed):
            export(load_settings(), store, manager)
    finally:
        proxy.close()
    assert states(store)["C01"] == "echec_export"
    assert not any(f.endswith("infos_export.xml") for f in remote_files(sshd))
    sshd.trust_current_key()
    monkeypatch.setenv("CAISSE_DROP", sshd.url)
    result = export(load_settings(), store, manager)
    assert len([f for f in remote_files(sshd) if f.startswith(f"export/C01/{result.lot}/")]) == 10
    assert not any(f.endswith(".part") for f in remote_files(sshd))


def test_the_server_down_is_exit_3_with_the_host_named(sftp_settings, sshd):
    from caisse.services.home import initialise
    initialise(sftp_settings)
    sshd.stop()
    with pytest.raises(DropFailed, match="127.0.0.1"):
        run_import(open_store(sftp_settings), sftp_settings, "C01", MANAGER.login, MANAGER.password)


def test_an_unknown_host_key_from_the_cli_exits_3_with_the_fingerprint(sftp_settings, sshd):
    sshd.known_hosts.write_text("")
    env = {**os.environ, **sshd.env(), "CAISSE_PASSWORD": MANAGER.password}
    subprocess.run([sys.executable, "-m", "caisse", "init"], env=env, check=True, capture_output=True)
    done = subprocess.run([sys.executable, "-m", "caisse", "import", "--caisse", "C01", "--user", "responsable"],
                          env=env, capture_output=True, text=True)
    assert done.returncode == 3 and "SHA256:" in done.stderr and str(sshd.known_hosts) in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("answer", [b"HTTP/1.0 400 Bad Request\r\n\r\n", b"SSH-2.0-x\r\n\x00\x00\x00\x05garbage!!"])
def test_no_paramiko_traceback_reaches_the_terminal_whatever_answers_on_the_port(sftp_settings, sshd, answer):
    """paramiko's transport thread logs its failures with their traceback (« Exception (client): Error reading
    SSH protocol banner », « Invalid packet blocking »), and Python's last-resort handler printed them under
    the CLI's French sentence."""
    import socket
    import threading
    env = {**os.environ, **sshd.env(), "CAISSE_PASSWORD": MANAGER.password, "CAISSE_SFTP_RETRIES": "1"}
    subprocess.run([sys.executable, "-m", "caisse", "init"], env=env, check=True, capture_output=True)
    with socket.create_server(("127.0.0.1", 0)) as other:
        def serve():
            for _ in range(2):
                client, _ = other.accept()
                client.sendall(answer)
                client.close()
        threading.Thread(target=serve, daemon=True).start()
        env["CAISSE_DROP"] = sshd.url_through(other.getsockname()[1])
        done = subprocess.run([sys.executable, "-m", "caisse", "import", "--caisse", "C01", "--user", "responsable"],
                              env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 3 and "Le serveur principal 127.0.0.1" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "Exception" not in done.stderr, done.stderr


def test_a_50_mb_article_table_streams_over_sftp(sftp_imported, sshd, tmp_path):
    from benchmarks.data import article_file
    deliver(sshd)
    big = article_file(200_000)  # about 49 MB
    (sshd.remote / "t_article.xml").write_bytes(big.read_bytes())
    (sshd.remote / "infos_import.xml").unlink()
    sshd.own(sshd.remote)
    open_store(sftp_imported).release()
    env = {**os.environ, "CAISSE_PASSWORD": MANAGER.password}
    done = subprocess.run([sys.executable, "-m", "caisse", "import", "--caisse", "C01", "--user", "responsable"],
                          env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert peak_mb < 1000, f"the import of a 49 MB file peaked at {peak_mb:.0f} MB"
    with open_store(sftp_imported).connect() as con:
        assert con.execute("SELECT count(*) FROM t_article").fetchall() == [(200_000,)]


def test_a_server_whose_sftp_never_answers_is_a_sentence_in_bounded_time_and_auto_mode_opens(imported, monkeypatch):
    """The main server accepts the SSH session, then its sftp subsystem says nothing (a stuck sftp-server, a hung
    NFS export): paramiko waited for its version for ever. Now the import gives up within its deadline, says so,
    changes nothing, and auto mode's morning opening opens on the data already there."""
    import time

    from caisse.services.open_register import open_day_auto
    from tests.sshd import SshServer
    silent = SshServer(sftp="/bin/sleep 3600")
    try:
        for name, value in silent.env(CAISSE_SFTP_TIMEOUT="2", CAISSE_SFTP_RETRIES="1", CAISSE_MODE="auto").items():
            monkeypatch.setenv(name, value)
        settings = load_settings()
        store = open_store(settings)
        before = snapshot(settings)
        started = time.monotonic()
        with pytest.raises(DropFailed) as failed:
            run_import(store, settings, "C01", MANAGER.login, MANAGER.password)
        assert time.monotonic() - started < 30  # 2 attempts of 2 s, a pause, the handshakes
        assert "aucune réponse en 2 s" in str(failed.value) and "127.0.0.1" in str(failed.value)
        assert snapshot(settings) == before
        opened = open_day_auto(store, settings, "C01", MANAGER.login, MANAGER.password, D("100.00"))
        assert not opened.imported and "La journée s'ouvre sur les données déjà présentes." in opened.notes[0]
    finally:
        silent.close()
