"""The SFTP drop: the main server reached with paramiko, behind the same interface as the local folder.

The server's host key is checked against a known_hosts file and refused when unknown or changed (never
added by itself). Transient failures (refused or cut connections, timeouts) are retried a few times with
backoff, reconnecting each time; anything else stops at once. Uploads go to `NAME.part`, then
`posix_rename` replaces the final name atomically.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import posixpath
import socket
import stat
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

import paramiko

from .drop import (
    FRESH_FOLDER,
    OLD_FOLDER,
    PRIVATE_FILE,
    Drop,
    SizeChanged,
    check_name,
    clean_folder,
    copy_announced,
    masked_url,
    not_regular,
    too_large,
)
from .errors import DropRefused, DropUnavailable, os_words

# paramiko's transport thread logs what it meets with its traceback (« Exception (client): Error reading SSH protocol
# banner »); with no handler of its own, Python's last-resort handler printed them under our French sentence. The
# same failure reaches the caller, who says it: paramiko's own words stay out of the terminal and of the app's log.
_PARAMIKO_LOG = logging.getLogger("paramiko")
_PARAMIKO_LOG.addHandler(logging.NullHandler())
_PARAMIKO_LOG.propagate = False

TRANSIENT = (socket.timeout, TimeoutError, ConnectionError, EOFError, paramiko.ssh_exception.NoValidConnectionsError)


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH's way of showing a key: `ssh-ed25519 SHA256:...`."""
    digest = base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode().rstrip("=")
    return f"{key.get_name()} SHA256:{digest}"


class _Refuse(paramiko.MissingHostKeyPolicy):
    """Never trust an unknown server: remember what it showed, then refuse."""

    def __init__(self):
        self.seen: paramiko.PKey | None = None

    def missing_host_key(self, client, hostname, key):
        self.seen = key
        raise paramiko.SSHException(f"unknown host key for {hostname}")


class SftpDrop(Drop):
    def __init__(self, url: str, *, key_file: str = "", known_hosts: str = "", password: str = "",
                 timeout: float = 10.0, retries: int = 3, backoff: float = 0.5):
        parsed = urlparse(url)
        if not parsed.hostname or not parsed.username:
            raise DropRefused(masked_url(url), "l'adresse doit avoir la forme sftp://utilisateur@hôte:port/chemin")
        self.host, self.port = parsed.hostname, parsed.port or 22
        self.user = unquote(parsed.username)
        self.password = unquote(parsed.password) if parsed.password else password
        self.root = unquote(parsed.path) or "."
        self.key_file, self.known_hosts = key_file, known_hosts
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self.client: paramiko.SSHClient | None = None
        self.sftp: paramiko.SFTPClient | None = None
        self._connect_with_retries()

    @property
    def where(self) -> str:
        return self.host if self.port == 22 else f"{self.host}:{self.port}"

    # Connection.

    def _connect_with_retries(self) -> None:
        self._retrying("connexion", self._connect, connect=False)

    def _connect(self) -> None:
        self.close()
        if not self.known_hosts or not Path(self.known_hosts).is_file():
            raise DropRefused(self.where, f"le fichier des clés connues « {self.known_hosts or '(aucun)'} » est "
                                          "introuvable : indiquez-le dans CAISSE_SFTP_KNOWN_HOSTS")
        client = paramiko.SSHClient()
        client.load_host_keys(self.known_hosts)
        policy = _Refuse()
        client.set_missing_host_key_policy(policy)
        try:
            client.connect(self.host, self.port, username=self.user, password=self.password or None,
                           key_filename=self.key_file or None, timeout=self.timeout, banner_timeout=self.timeout,
                           auth_timeout=self.timeout, channel_timeout=self.timeout, look_for_keys=False,
                           allow_agent=False)
        except paramiko.BadHostKeyException as e:
            client.close()
            raise DropRefused(self.where, f"la clé du serveur a changé (attendue {fingerprint(e.expected_key)}, "
                                          f"reçue {fingerprint(e.key)}). C'est peut-être un autre serveur qui se fait "
                                          "passer pour lui : ne continuez pas sans le responsable informatique ; si "
                                          f"le changement est normal, remplacez sa ligne dans {self.known_hosts}") \
                from None
        except paramiko.AuthenticationException:
            client.close()
            raise DropRefused(self.where, f"l'utilisateur {self.user} est refusé : vérifiez la clé "
                                          "(CAISSE_SFTP_KEY) ou le mot de passe (CAISSE_SFTP_PASSWORD)") from None
        except paramiko.SSHException:
            client.close()
            if policy.seen is not None:
                host = self.host if self.port == 22 else f"[{self.host}]:{self.port}"
                raise DropRefused(self.where, f"la clé du serveur est inconnue ({fingerprint(policy.seen)}). Si "
                                              "c'est bien le serveur principal, ajoutez-la à "
                                              f"{self.known_hosts} (par exemple : ssh-keyscan -p {self.port} "
                                              f"{self.host} >> {self.known_hosts}, ligne « {host} ... »)") from None
            raise  # a handshake cut short: transient, retried by the caller
        except OSError:
            client.close()
            raise
        self.client = client
        self.sftp = self._open_sftp(client)
        self.sftp.get_channel().settimeout(self.timeout)

    def _open_sftp(self, client: paramiko.SSHClient) -> paramiko.SFTPClient:
        """The SFTP session on the connection, within `timeout`: paramiko waits for the subsystem's answer and for
        the server's version with no deadline of its own (a stuck sftp-server, a hung NFS export would hold the
        import, and auto mode's morning opening, for ever). Past the deadline the connection is closed from a
        timer, which wakes paramiko's waits; the failure is then said as a silence, and retried as one."""
        abandoned = threading.Event()

        def abandon() -> None:
            abandoned.set()
            client.close()

        timer = threading.Timer(self.timeout, abandon)
        timer.daemon = True
        timer.start()
        try:
            return client.open_sftp()
        except paramiko.SFTPError:
            client.close()
            raise DropRefused(self.where, "le serveur accepte la connexion SSH mais ne répond pas en SFTP (réponse "
                                          "illisible : un message d'accueil ou un programme à la place du service "
                                          "sftp) : vérifiez le compte sur le serveur principal") from None
        except (OSError, EOFError, paramiko.SSHException):
            if abandoned.is_set():
                raise TimeoutError(f"session SFTP sans réponse en {self.timeout:g} s") from None
            raise
        finally:
            timer.cancel()

    def _retrying(self, what: str, operation, connect: bool = True):
        """Run `operation`, reconnecting and retrying transient failures `retries` times with backoff."""
        pause = self.backoff
        for attempt in range(self.retries + 1):
            try:
                if connect and self.sftp is None:
                    self._connect()
                return operation()
            except PermissionError as e:
                raise DropRefused(self.where, f"{what} : permission refusée ({e.filename or e})") from None
            except (OSError, EOFError, paramiko.SSHException) as e:
                if not self._transient(e):
                    raise DropRefused(self.where, f"{what} : {self.failure_words(e)}") from None
                self.close()
                if attempt == self.retries:
                    raise DropUnavailable(self.where, f"{what} impossible après {attempt + 1} essais "
                                                      f"({self.failure_words(e)})") from e
                time.sleep(pause)
                pause *= 2

    def failure_words(self, error: BaseException) -> str:
        """What a failed attempt met, in French (paramiko and the C library speak English)."""
        if isinstance(error, SizeChanged):
            return str(error)
        if isinstance(error, (socket.timeout, TimeoutError)):
            return f"aucune réponse en {self.timeout:g} s"
        if isinstance(error, paramiko.ssh_exception.NoValidConnectionsError) or \
                isinstance(error, ConnectionRefusedError):
            return f"connexion refusée : aucun serveur SFTP n'écoute sur {self.host}:{self.port}"
        if isinstance(error, paramiko.SSHException) and "banner" in str(error).lower():
            return f"ce qui répond sur {self.host}:{self.port} n'est pas un serveur SSH : vérifiez l'adresse et le port"
        if isinstance(error, OSError) and error.errno:
            return os_words(error)
        if isinstance(error, OSError) and (str(error) == "Failure" or str(error).startswith("size mismatch")):
            # OpenSSH says only SSH_FX_FAILURE for ENOSPC, and paramiko's pipelined writes show it as a short file
            return ("le serveur principal n'a pas gardé ce qui lui a été envoyé (son disque est probablement plein "
                    "ou un quota est atteint)")
        if isinstance(error, paramiko.SSHException) and str(error):
            return "l'échange SSH a échoué (le serveur a refusé ou interrompu la session)"
        return "connexion coupée"

    def _transient(self, error: BaseException) -> bool:
        """A refused, cut or silent connection may be retried; an error on a live session may not."""
        if isinstance(error, TRANSIENT):
            return True
        transport = self.client.get_transport() if self.client else None
        return transport is None or not transport.is_active()

    def close(self) -> None:
        for closable in (self.sftp, self.client):
            if closable is not None:
                try:
                    closable.close()
                except (OSError, EOFError, paramiko.SSHException):
                    pass  # closing a connection that is already cut
        self.sftp = self.client = None

    # The drop interface.

    def _path(self, folder: str, name: str = "") -> str:
        return posixpath.join(self.root, clean_folder(folder), name) if name else \
            posixpath.join(self.root, clean_folder(folder))

    def listing(self, folder: str = "") -> dict[str, int]:
        def entries():
            try:
                found = self.sftp.listdir_attr(self._path(folder))  # lstat-like: links show as links
            except FileNotFoundError:
                return {}
            out = {}
            for e in found:
                mode = e.st_mode or 0
                if stat.S_ISDIR(mode) and not e.filename.lower().endswith(".xml"):
                    continue
                if not stat.S_ISREG(mode):
                    raise not_regular(self.where, e.filename, mode)
                if e.filename.lower().endswith(".xml") and not e.filename.startswith("."):
                    out[e.filename] = e.st_size or 0
            return out
        return self._retrying(f"lecture du dossier {self._path(folder)}", entries)

    def folders(self, folder: str = "") -> list[str]:
        def entries():
            try:
                return sorted(e.filename for e in self.sftp.listdir_attr(self._path(folder))
                              if stat.S_ISDIR(e.st_mode or 0) and not e.filename.endswith((FRESH_FOLDER, OLD_FOLDER)))
            except FileNotFoundError:
                return []
        return self._retrying(f"lecture du dossier {self._path(folder)}", entries)

    def fetch(self, folder: str, name: str, dest: Path, max_bytes: int | None = None) -> str:
        remote = self._path(folder, check_name(name))
        partial = Path(f"{dest}.part")

        def get() -> str:
            info = self.sftp.lstat(remote)
            if not stat.S_ISREG(info.st_mode or 0):
                raise not_regular(self.where, name, info.st_mode or 0)
            refused = too_large(name, info.st_size or 0, max_bytes)
            if refused:
                raise refused
            partial.touch(PRIVATE_FILE)
            partial.chmod(PRIVATE_FILE)
            size = info.st_size or 0
            with self.sftp.open(remote, "rb") as source, partial.open("wb") as target:
                _quiet_prefetch_thread()
                source.prefetch(size)  # streamed to disk; what is ahead is bounded by the channel's window
                digest = copy_announced(source, target, size, name)  # get() takes a file that grew or was cut
            partial.replace(dest)
            return digest
        try:
            return self._retrying(f"réception de {remote}", get)
        finally:
            partial.unlink(missing_ok=True)

    def put(self, src: Path, folder: str, name: str) -> None:
        target = self._path(folder)
        final, partial = posixpath.join(target, check_name(name)), posixpath.join(target, name + ".part")

        def upload():
            self._makedirs(target)
            self.sftp.put(str(src), partial, confirm=True)
            self.sftp.posix_rename(partial, final)
        self._retrying(f"envoi de {final}", upload)

    def remove(self, folder: str, name: str) -> None:
        remote = self._path(folder, check_name(name))

        def delete():
            try:
                self.sftp.remove(remote)
            except FileNotFoundError:
                pass
        self._retrying(f"suppression de {remote}", delete)

    def remove_folder(self, folder: str, name: str) -> None:
        remote = self._path(folder, check_name(name))

        def delete(path: str = remote) -> None:
            try:
                mode = self.sftp.lstat(path).st_mode or 0
            except FileNotFoundError:
                return
            if stat.S_ISDIR(mode):
                for entry in self.sftp.listdir(path):
                    delete(posixpath.join(path, entry))
                self.sftp.rmdir(path)
            else:
                self.sftp.remove(path)  # a link: itself, never what it points to
        self._retrying(f"suppression de {remote}", delete)

    def rename_folder(self, folder: str, name: str, new: str) -> bool:
        remote, target = self._path(folder, check_name(name)), self._path(folder, check_name(new))

        def rename() -> bool:
            try:
                self.sftp.lstat(remote)
            except FileNotFoundError:
                return False
            self.sftp.rename(remote, target)
            return True
        return self._retrying(f"renommage de {remote}", rename)

    def _makedirs(self, path: str) -> None:
        """Each folder of the path is made, or is a real folder (lstat): never a link planted to send the lot
        elsewhere on the main server."""
        parts, current = [p for p in path.split("/") if p], "/" if path.startswith("/") else ""
        for part in parts:
            current = posixpath.join(current, part) if current else part
            try:
                mode = self.sftp.lstat(current).st_mode or 0
            except FileNotFoundError:
                self.sftp.mkdir(current)
                continue
            if not stat.S_ISDIR(mode) and current.startswith(self.root.rstrip("/") + "/"):
                raise DropRefused(self.where, f"{current} n'est pas un dossier (un lien ou un fichier) : l'export "
                                              "n'y écrit pas. Remplacez-le par un vrai dossier, puis relancez l'export")


def _quiet_prefetch_thread() -> None:
    """paramiko sends a file's read requests from a thread of its own (`_prefetch_thread`); when the connection
    is cut, that thread dies with EOFError and Python prints its traceback on the terminal (paramiko issue
    #2379), while the reading side meets the same cut and reports it in a sentence. Put a filter in front of
    the current hook (once: the hook in place may have been changed since, by a test runner for one)."""
    current = threading.excepthook
    if getattr(current, "quiets_prefetch", False):
        return

    def hook(args: threading.ExceptHookArgs) -> None:
        thread = args.thread.name if args.thread is not None else ""
        if thread.endswith("(_prefetch_thread)") and issubclass(args.exc_type, (EOFError, OSError,
                                                                                   paramiko.SSHException)):
            return
        current(args)
    hook.quiets_prefetch = True
    threading.excepthook = hook
