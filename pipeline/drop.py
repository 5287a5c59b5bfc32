"""Drops: where the main server leaves its files and picks ours up.

A drop lists a folder's `*.xml` files with their sizes (never following a link: a symbolic link, a
device or anything else that is not a regular file is refused, never copied), fetches one to a private
local file (refused before any byte is copied when it is over the size limit), puts one under a
temporary name then renames it, and removes one. Folders are relative to the drop's root. `file://` is a
local folder; `sftp://` (`pipeline.sftp`) implements the same interface.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlparse

from .errors import BadTableFile, DropRefused, DropUnavailable, PipelineError, os_words
from .names import is_identifier

PRIVATE_FILE = 0o600


SPARSE_FROM = 16 * 1048576  # a file this large occupying less than half its size on disk is a sparse file


def too_large(name: str, size: int, max_bytes: int | None) -> BadTableFile | None:
    """The refusal of a file over the size limit (checked from the listing, before any byte is copied)."""
    if max_bytes is None or size <= max_bytes:
        return None
    return BadTableFile(name, f"il pèse {size / 1048576:.1f} Mo, plus que la limite de {max_bytes / 1048576:g} Mo "
                              "(CAISSE_MAX_FILE_MB)")


class SizeChanged(EOFError):
    """What arrived is not the size the drop announced: the file was being written, or cut, meanwhile. An
    EOFError, so that a drop that retries cut transfers retries this one too."""

    def __init__(self, name: str, announced: int, received: int):
        got = f"plus de {announced}" if received > announced else str(received)
        super().__init__(f"« {name} » a changé de taille pendant sa réception ({announced} octets annoncés, {got} "
                         "reçus) : le serveur principal l'écrit peut-être encore ; réessayez quand il a fini")


def copy_announced(source, target, size: int, name: str, chunk: int = 1 << 20) -> str:
    """Copy the `size` bytes the drop announced, and refuse a file that grows or shrinks meanwhile. Reading stops
    one byte past `size`: a file still being written is never copied without end (nor past the size limit).
    The copy's SHA-256 (computed on the way: a 250 MB file is not read again to check its manifest)."""
    received = 0
    digest = hashlib.sha256()
    while received <= size:
        data = source.read(min(chunk, size + 1 - received))
        if not data:
            break
        target.write(data)
        digest.update(data)
        received += len(data)
    if received != size:
        raise SizeChanged(name, size, received)
    return digest.hexdigest()


def not_regular(host: str, name: str, mode: int) -> DropRefused:
    kind = ("un lien symbolique" if stat.S_ISLNK(mode) else "un dossier" if stat.S_ISDIR(mode)
            else "un fichier spécial (périphérique, tube ou socket)")
    return DropRefused(host, f"« {name} » est {kind}, pas un fichier ordinaire : le serveur caisse ne le lit pas. "
                             "Retirez-le du dossier d'échange")


FRESH_FOLDER, OLD_FOLDER = ".envoi", ".ancien"  # a lot being sent, a lot giving way: never read as lots


def check_name(name: str) -> str:
    """A file name from a drop: no folder, no traversal, no hidden file (the identifiers' one pattern)."""
    if not is_identifier(name):
        raise PipelineError(f"Nom de fichier refusé sur le serveur principal : « {name} » "
                            "(seuls lettres, chiffres, « _ », « - », « . » et « @ » sont admis, sans « .. »).")
    return name


def clean_folder(folder: str) -> str:
    """A folder relative to the drop's root, refused if it climbs out of it."""
    parts = [p for p in PurePosixPath(folder or ".").parts if p not in ("", ".", "/")]
    if ".." in parts:
        raise PipelineError(f"Dossier refusé sur le serveur principal : « {folder} ».")
    return "/".join(parts)


class Drop:
    """The interface every drop implements."""

    host = "local"

    def listing(self, folder: str = "") -> dict[str, int]:
        """{name: size} of the folder's `*.xml` regular files; DropRefused for any other kind of entry."""
        raise NotImplementedError

    def list(self, folder: str = "") -> list[str]:
        return sorted(self.listing(folder))

    def folders(self, folder: str = "") -> list[str]:
        """The names of the sub-folders of `folder` (the lots sent, under the export folder)."""
        raise NotImplementedError

    def fetch(self, folder: str, name: str, dest: Path, max_bytes: int | None = None) -> str:
        """Copy one file into `dest` (mode 600) and give its SHA-256; BadTableFile when it is over `max_bytes`."""
        raise NotImplementedError

    def put(self, src: Path, folder: str, name: str) -> None:
        raise NotImplementedError

    def remove(self, folder: str, name: str) -> None:
        raise NotImplementedError

    def remove_folder(self, folder: str, name: str) -> None:
        """Remove the sub-folder `name` of `folder` and its files (a link there is removed, never followed)."""
        raise NotImplementedError

    def rename_folder(self, folder: str, name: str, new: str) -> bool:
        """Rename the sub-folder `name` of `folder` to `new` (absent); False when there is no `name`."""
        raise NotImplementedError

    def put_folder(self, src: Path, folder: str, lot: str, names: list[str]) -> None:
        """Send a lot: its files go into a fresh folder (`lot.envoi`), which is then renamed into place. The main
        server never sees half a lot, and nothing planted in the lot's folder beforehand stays beside it."""
        fresh, old = check_name(lot) + FRESH_FOLDER, lot + OLD_FOLDER
        self.remove_folder(folder, fresh)  # a try cut off earlier
        self.remove_folder(folder, old)
        try:
            for name in names:
                self.put(src / name, f"{folder}/{fresh}", name)
        except PipelineError:
            try:
                self.remove_folder(folder, fresh)  # nothing of a half-sent lot stays (a full disk gets its room back)
            except PipelineError:
                pass  # the next try removes it first
            raise
        moved = self.rename_folder(folder, lot, old)  # a retry: the lot sent before gives way
        self.rename_folder(folder, fresh, lot)
        if moved:
            self.remove_folder(folder, old)

    def close(self) -> None:
        pass

    def shares_disk_with(self, path: Path) -> bool:
        """Whether this drop writes on the same disk as `path` (the register's home): a full disk there is then
        the register's, not the main server's."""
        return False

    def display(self, folder: str, name: str) -> str:
        """The remote path as the log shows it ("/t_avoir.xml")."""
        folder = clean_folder(folder)
        return f"/{folder}/{name}" if folder else f"/{name}"

    @property
    def named(self) -> str:
        """The drop for a sentence: the main server's host (« depuis srv-appli2 », as the manual's log)."""
        return self.host

    def place(self, folder: str, name: str = "") -> str:
        """A folder or file of the drop for a sentence: « /import/t_avoir.xml sur srv-appli2 »."""
        return f"{self.display(folder, name).rstrip('/') or '/'} sur {self.named}"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class LocalDrop(Drop):
    """A folder on this machine standing for the main server (the embedded default)."""

    def __init__(self, root: Path, host: str = "local"):
        self.root = Path(root)
        self.host = host
        if not self.root.is_dir():
            raise DropUnavailable(host, f"le dossier {self.root} n'existe pas")

    def _folder(self, folder: str) -> Path:
        return self.root / clean_folder(folder)

    @property
    def named(self) -> str:
        return f"le dossier local {self.root}"

    def shares_disk_with(self, path: Path) -> bool:
        try:
            return os.stat(self.root).st_dev == os.stat(path).st_dev
        except OSError:
            return False

    def place(self, folder: str, name: str = "") -> str:
        """A local drop is a folder of this machine: its full path says where, there is no host to name."""
        path = self._folder(folder) / name if name else self._folder(folder)
        return str(path)

    def listing(self, folder: str = "") -> dict[str, int]:
        path = self._folder(folder)
        if not path.is_dir():
            return {}
        found = {}
        try:
            for entry in os.scandir(path):
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISDIR(info.st_mode) and not entry.name.lower().endswith(".xml"):
                    continue  # a sub-folder (the export folder lives under the root)
                if not stat.S_ISREG(info.st_mode):
                    raise not_regular(self.host, entry.name, info.st_mode)
                if entry.name.lower().endswith(".xml") and not entry.name.startswith("."):
                    found[entry.name] = info.st_size
        except OSError as e:
            raise DropUnavailable(self.host, f"lecture du dossier {path} impossible ({os_words(e)})") from e
        return found

    def folders(self, folder: str = "") -> list[str]:
        path = self._folder(folder)
        if not path.is_dir():
            return []
        return sorted(e.name for e in os.scandir(path) if e.is_dir(follow_symlinks=False)
                      and not e.name.endswith((FRESH_FOLDER, OLD_FOLDER)))

    def fetch(self, folder: str, name: str, dest: Path, max_bytes: int | None = None) -> str:
        src = self._folder(folder) / check_name(name)
        try:
            fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError as e:
            if e.errno == 40:  # ELOOP: a link put there after the listing
                raise not_regular(self.host, name, stat.S_IFLNK) from None
            raise DropUnavailable(self.host, f"réception de {src} impossible ({os_words(e)})") from e
        with os.fdopen(fd, "rb") as source:
            info = os.fstat(source.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise not_regular(self.host, name, info.st_mode)
            refused = too_large(name, info.st_size, max_bytes)
            if refused:
                raise refused
            if info.st_size > SPARSE_FROM and info.st_blocks * 512 < info.st_size // 2:
                raise BadTableFile(name, f"il annonce {info.st_size / 1048576:.0f} Mo mais n'en occupe que "
                                         f"{info.st_blocks * 512 / 1048576:.0f} sur le disque (un fichier « creux », "
                                         "fait de zéros qu'aucun programme d'export n'écrit) : il n'a pas été copié")
            try:
                out = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
                with os.fdopen(out, "wb") as target:
                    return copy_announced(source, target, info.st_size, name)
            except SizeChanged as e:
                dest.unlink(missing_ok=True)
                raise DropUnavailable(self.host, f"réception de {src} impossible ({e})") from None
            except OSError as e:
                raise DropUnavailable(self.host, f"réception de {src} impossible ({os_words(e)})") from e

    def _no_links(self, folder: str) -> None:
        """Each folder of the path, below the drop's root, is a real folder (lstat), never a link planted to send
        the register's files elsewhere."""
        path = self.root
        for part in Path(clean_folder(folder)).parts:
            path = path / part
            try:
                mode = os.lstat(path).st_mode
            except FileNotFoundError:
                return  # made below by mkdir, as a real folder
            if not stat.S_ISDIR(mode):
                kind = "un lien symbolique" if stat.S_ISLNK(mode) else "un fichier"
                raise DropRefused(self.host, f"{path} est {kind}, pas un dossier : l'export n'y écrit pas. Remplacez-"
                                             "le par un vrai dossier (ou supprimez-le), puis relancez l'export")

    def put(self, src: Path, folder: str, name: str) -> None:
        target = self._folder(folder)
        tmp = target / (check_name(name) + ".part")
        self._no_links(folder)
        try:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, tmp)
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
            os.replace(tmp, target / name)
        except OSError as e:
            tmp.unlink(missing_ok=True)  # never a .part left behind
            raise DropUnavailable(self.host, f"envoi de {name} vers {target} impossible ({os_words(e)})") from e

    def remove(self, folder: str, name: str) -> None:
        path = self._folder(folder) / check_name(name)
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as e:
            raise DropUnavailable(self.host, f"suppression de {path} impossible ({os_words(e)})") from e

    def remove_folder(self, folder: str, name: str) -> None:
        self._no_links(folder)
        path = self._folder(folder) / check_name(name)
        try:
            if stat.S_ISDIR(os.lstat(path).st_mode):
                shutil.rmtree(path)
            else:
                path.unlink()  # a link or a file planted under the name: itself, never what it points to
        except FileNotFoundError:
            pass
        except OSError as e:
            raise DropUnavailable(self.host, f"suppression de {path} impossible ({os_words(e)})") from e

    def rename_folder(self, folder: str, name: str, new: str) -> bool:
        self._no_links(f"{folder}/{check_name(name)}")
        path = self._folder(folder) / name
        try:
            path.rename(path.with_name(check_name(new)))
        except FileNotFoundError:
            return False
        except OSError as e:
            raise DropUnavailable(self.host, f"renommage de {path} impossible ({os_words(e)})") from e
        return True


def masked_url(url: str) -> str:
    """A drop's address as it may be shown or logged: a password written in it becomes `***`."""
    # Not urlparse: a password holding « # », « / » or « ? » ends its netloc early and the rest of the password
    # would be shown as a fragment, a path or a query. What lies between « :// » and the last « @ » is the user's.
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    userinfo, _, place = rest.rpartition("@")
    user, colon, _ = userinfo.partition(":")
    return f"{scheme}://{user}:***@{place}" if colon else url


def open_drop(url: str, **sftp_options) -> Drop:
    """Open the drop of a `file://` URL (or a plain path) or of an `sftp://user@host:port/path` URL
    (`sftp_options`: key_file, known_hosts, password, timeout, retries)."""
    parsed = urlparse(url)
    if parsed.scheme in ("", "file"):
        path = unquote(parsed.path) if parsed.scheme else url
        return LocalDrop(Path(path))
    if parsed.scheme == "sftp":
        from .sftp import SftpDrop
        return SftpDrop(url, **sftp_options)
    raise PipelineError(f"Adresse du serveur principal non prise en charge : « {masked_url(url)} » "
                        "(attendu : file:///chemin ou sftp://utilisateur@hôte:port/chemin).")
