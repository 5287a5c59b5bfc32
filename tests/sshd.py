"""A real OpenSSH server on 127.0.0.1 for the SFTP tests, and a loopback proxy that cuts connections.

sshd runs from a temporary folder (its own config, host key, authorized_keys, known_hosts); the SFTP
session runs as an unprivileged user, so that folder permissions apply as on a real main server.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

SSHD = "/usr/sbin/sshd"
USER = "caissesftp"
PASSWORD = "mot-de-passe-sftp"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_user(name: str = USER, shell: str = "/usr/sbin/nologin") -> pwd.struct_passwd:
    """The unprivileged account the SFTP sessions run as (made once; root is needed, as in CI). An external
    sftp program runs through the account's shell: that account needs a real one."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--no-create-home", "--shell", shell, name], check=True)
        return pwd.getpwnam(name)


def keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


class SshServer:
    def __init__(self, sftp: str = "internal-sftp"):
        """`sftp`: the program behind the sftp subsystem (`/bin/sleep 3600`: a server that accepts the session and
        then says nothing, as a stuck sftp-server or a hung NFS export does)."""
        self.sftp = sftp
        self.login = USER if sftp == "internal-sftp" else f"{USER}x"
        self.user = ensure_user(self.login, "/usr/sbin/nologin" if sftp == "internal-sftp" else "/bin/sh")
        subprocess.run(["chpasswd"], input=f"{self.login}:{PASSWORD}", text=True, check=True)
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        self.base = Path(tempfile.mkdtemp(prefix="caisse-sshd-", dir="/tmp"))
        self.base.chmod(0o755)
        self.remote = self.base / "serveur_principal"
        self.remote.mkdir()
        os.chown(self.remote, self.user.pw_uid, self.user.pw_gid)
        self.host_key = self.base / "host_ed25519"
        self.client_key = self.base / "client_ed25519"
        keygen(self.host_key)
        keygen(self.client_key)
        (self.base / "authorized_keys").write_text((self.base / "client_ed25519.pub").read_text())
        self.port = free_port()
        self.known_hosts = self.base / "known_hosts"
        self.trust_current_key()
        self.proc: subprocess.Popen | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"sftp://{self.login}@127.0.0.1:{self.port}{self.remote}"

    def url_through(self, port: int) -> str:
        return f"sftp://{self.login}@127.0.0.1:{port}{self.remote}"

    def env(self, **extra) -> dict[str, str]:
        return {"CAISSE_DROP": self.url, "CAISSE_SFTP_KEY": str(self.client_key),
                "CAISSE_SFTP_KNOWN_HOSTS": str(self.known_hosts), "CAISSE_SFTP_RETRIES": "1",
                "CAISSE_SFTP_TIMEOUT": "5", **extra}

    def trust_current_key(self, port: int | None = None) -> None:
        public = (self.base / "host_ed25519.pub").read_text().split()[:2]
        self.known_hosts.write_text(f"[127.0.0.1]:{port or self.port} {' '.join(public)}\n")

    def config(self) -> Path:
        cfg = self.base / "sshd_config"
        cfg.write_text("\n".join([
            f"Port {self.port}", "ListenAddress 127.0.0.1", f"HostKey {self.host_key}",
            f"PidFile {self.base / 'sshd.pid'}", f"AuthorizedKeysFile {self.base / 'authorized_keys'}",
            "PubkeyAuthentication yes", "PasswordAuthentication yes", "KbdInteractiveAuthentication no",
            "PermitRootLogin no", f"AllowUsers {self.login}", "UsePAM no", "StrictModes no",
            f"Subsystem sftp {self.sftp}", "MaxStartups 50",
            *(["ForceCommand internal-sftp"] if self.sftp == "internal-sftp" else []),
        ]) + "\n")
        return cfg

    def start(self) -> None:
        self.proc = subprocess.Popen([SSHD, "-f", str(self.config()), "-D", "-E", str(self.base / "sshd.log")])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"sshd did not start: {(self.base / 'sshd.log').read_text()}") from None
                time.sleep(0.05)
        raise RuntimeError("sshd did not listen in 10 s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(5)

    def new_host_key(self) -> None:
        """The server gets another key (a reinstalled or impersonating server)."""
        self.stop()
        for suffix in ("", ".pub"):
            Path(f"{self.host_key}{suffix}").unlink()
        keygen(self.host_key)
        self.start()

    def own(self, path: Path) -> None:
        """Give a folder of the remote tree to the SFTP user."""
        for p in [path, *path.rglob("*")]:
            os.chown(p, self.user.pw_uid, self.user.pw_gid)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


class CuttingProxy:
    """A TCP proxy on loopback that forwards to `port` and drops each connection once `limit` bytes have
    gone one way or the other, as a flaky line would in the middle of a transfer."""

    def __init__(self, port: int, limit: int):
        self.target, self.limit = port, limit
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cuts = 0
        self.stopped = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stopped:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self._pipe, args=(client, server, self.limit), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, self.limit), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, limit: int | None) -> None:
        sent = 0
        try:
            while data := src.recv(16384):
                if limit is not None and sent + len(data) > limit:
                    dst.sendall(data[:max(0, limit - sent)])
                    self.cuts += 1
                    break
                dst.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self) -> None:
        self.stopped = True
        self.listener.close()
