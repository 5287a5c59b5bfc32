"""The SFTP drop against a real OpenSSH server on 127.0.0.1."""

from __future__ import annotations

import pytest

from pipeline import DropRefused, DropUnavailable, open_drop
from tests.sshd import PASSWORD, CuttingProxy


def drop(sshd, url=None, **options):
    settings = {"key_file": str(sshd.client_key), "known_hosts": str(sshd.known_hosts), "timeout": 5, "retries": 1,
                "backoff": 0.1}
    return open_drop(url or sshd.url, **{**settings, **options})


def test_list_fetch_put_and_remove(sshd, tmp_path):
    (sshd.remote / "t_caisse.xml").write_text("<t_caisse/>")
    (sshd.remote / "lisez-moi.txt").write_text("ignoré")
    sshd.own(sshd.remote)
    with drop(sshd) as d:
        assert d.host == "127.0.0.1" and d.list("") == ["t_caisse.xml"]
        d.fetch("", "t_caisse.xml", tmp_path / "t_caisse.xml")
        d.put(tmp_path / "t_caisse.xml", "export/C01/lot1", "t_ticket.xml")
        d.put(tmp_path / "t_caisse.xml", "export/C01/lot1", "t_ticket.xml")  # replaced atomically
        d.remove("", "t_caisse.xml")
        assert d.list("") == [] and d.list("export/C01/lot1") == ["t_ticket.xml"]
    assert (tmp_path / "t_caisse.xml").read_text() == "<t_caisse/>"
    assert not list((sshd.remote / "export/C01/lot1").glob("*.part"))


def test_a_password_works_too(sshd):
    with drop(sshd, key_file="", password=PASSWORD) as d:
        assert d.list("") == []


def test_a_wrong_key_is_refused(sshd, tmp_path):
    from tests.sshd import keygen
    keygen(tmp_path / "autre")
    with pytest.raises(DropRefused, match="caissesftp est refusé.*CAISSE_SFTP_KEY"):
        drop(sshd, key_file=str(tmp_path / "autre"))


def test_an_unknown_host_key_is_refused_showing_its_fingerprint_and_where_to_put_it(sshd):
    sshd.known_hosts.write_text("")
    with pytest.raises(DropRefused) as refused:
        drop(sshd)
    message = str(refused.value)
    assert "clé du serveur est inconnue (ssh-ed25519 SHA256:" in message and str(sshd.known_hosts) in message
    assert f"ssh-keyscan -p {sshd.port} 127.0.0.1" in message


def test_a_changed_host_key_is_refused(sshd):
    sshd.new_host_key()
    with pytest.raises(DropRefused, match="la clé du serveur a changé \\(attendue ssh-ed25519 SHA256:.*reçue"):
        drop(sshd)


def test_a_missing_known_hosts_file_is_refused(sshd, tmp_path):
    with pytest.raises(DropRefused, match="CAISSE_SFTP_KNOWN_HOSTS"):
        drop(sshd, known_hosts=str(tmp_path / "absent"))


def test_a_server_that_is_down_is_unavailable_after_the_retries(sshd):
    sshd.stop()
    with pytest.raises(DropUnavailable, match="après 2 essais \\(connexion refusée : aucun serveur SFTP n'écoute "
                                              f"sur 127.0.0.1:{sshd.port}\\)"):
        drop(sshd)


def test_a_port_where_something_else_than_ssh_answers_is_said_so_in_french(sshd):
    """A web server on the drop's port: paramiko's "SSHException : Error reading SSH protocol banner" reached the
    screen, class name and all."""
    import socket
    import threading
    with socket.create_server(("127.0.0.1", 0)) as web:
        def answer():
            for _ in range(2):
                client, _ = web.accept()
                client.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")
                client.close()
        threading.Thread(target=answer, daemon=True).start()
        port = web.getsockname()[1]
        with pytest.raises(DropUnavailable) as failed:
            drop(sshd, url=sshd.url_through(port))
    assert f"ce qui répond sur 127.0.0.1:{port} n'est pas un serveur SSH" in str(failed.value)
    assert "Exception" not in str(failed.value) and "banner" not in str(failed.value)


def test_permission_denied_is_a_refusal_not_retried(sshd, tmp_path):
    (tmp_path / "f.xml").write_text("<t/>")
    locked = sshd.remote / "export"
    locked.mkdir(mode=0o755)  # owned by root: the SFTP user may not write there
    with drop(sshd) as d, pytest.raises(DropRefused, match="permission refusée"):
        d.put(tmp_path / "f.xml", "export", "f.xml")


def fetch_cut_short(sshd, tmp_path, limit: int) -> CuttingProxy:
    """Fetch t_article.xml through a line cut after `limit` bytes, each try: refused after its retries."""
    proxy = CuttingProxy(sshd.port, limit=limit)
    sshd.trust_current_key(proxy.port)
    try:
        with pytest.raises(DropUnavailable, match="réception de .*t_article.xml impossible après 2 essais"):
            with drop(sshd, url=sshd.url_through(proxy.port)) as d:
                d.fetch("", "t_article.xml", tmp_path / "t_article.xml")
    finally:
        proxy.close()
    return proxy


def test_a_connection_cut_in_the_middle_of_a_transfer_is_retried_then_reported(sshd, tmp_path):
    (sshd.remote / "t_article.xml").write_bytes(b"<t_article>" + b"<r/>" * 500_000 + b"</t_article>")
    sshd.own(sshd.remote)
    proxy = fetch_cut_short(sshd, tmp_path, limit=300_000)
    assert proxy.cuts >= 2
    assert not (tmp_path / "t_article.xml").exists() and not list(tmp_path.glob("*.part"))


@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_cut_transfer_prints_no_traceback_from_paramikos_read_ahead_thread(sshd, tmp_path):
    """paramiko asks for a file's blocks from a thread of its own; a cut while it still asks (a big file, cut
    early) killed that thread with OSError and put its traceback on the terminal beside our sentence. Failed
    three times out of three before the filter (pytest turns the thread's death into this test's failure)."""
    with (sshd.remote / "t_article.xml").open("wb") as sparse:
        sparse.truncate(16 << 20)  # 512 read requests; no disk used
    sshd.own(sshd.remote)
    fetch_cut_short(sshd, tmp_path, limit=100_000)
    assert not list(tmp_path.iterdir())


def test_a_file_still_being_written_on_the_server_is_never_taken_as_received(sshd, tmp_path):
    """The main server's export script still appending to t_article.xml while the shop fetches it: what arrives
    is not the size the server announced, so it is fetched again, then refused with a sentence; nothing is kept.
    (paramiko's own check compares the bytes written with the bytes read, not with the file's size.)"""
    import threading
    growing = sshd.remote / "t_article.xml"
    growing.write_bytes(b"<t_article>" + b"<r/>" * 250_000)
    sshd.own(sshd.remote)
    done = threading.Event()

    def write_on():  # about 1.6 MB a second, 16 MB at most: a slow script, never a full disk
        with growing.open("ab") as out:
            for _ in range(2_000):
                if done.wait(0.005):
                    return
                out.write(b"<r/>" * 2_000)
                out.flush()
    writer = threading.Thread(target=write_on, daemon=True)
    writer.start()
    try:
        with pytest.raises(DropUnavailable, match="t_article.xml impossible après 2 essais .*a changé de taille"):
            with drop(sshd) as d:
                d.fetch("", "t_article.xml", tmp_path / "t_article.xml")
    finally:
        done.set()
        writer.join()
    assert not (tmp_path / "t_article.xml").exists() and not list(tmp_path.glob("*.part"))
