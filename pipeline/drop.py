"""Drops: where the main server leaves its files and picks ours up.

A drop lists a folder's `*.xml` files, fetches one to a local file, puts one under a temporary name
then renames it, and removes one. Folders are relative to the drop's root. `file://` is a local folder;
`sftp://` (a later issue) implements the same interface.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlparse

from .errors import DropUnavailable, PipelineError

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def check_name(name: str) -> str:
    """A file name from a drop: no folder, no traversal, no hidden file."""
    if not _SAFE_NAME.match(name) or ".." in name:
        raise PipelineError(f"Nom de fichier refusé sur le serveur principal : « {name} » "
                            "(seuls lettres, chiffres, « _ », « - » et « . » sont admis).")
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

    def list(self, folder: str = "") -> list[str]:
        raise NotImplementedError

    def fetch(self, folder: str, name: str, dest: Path) -> None:
        raise NotImplementedError

    def put(self, src: Path, folder: str, name: str) -> None:
        raise NotImplementedError

    def remove(self, folder: str, name: str) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def display(self, folder: str, name: str) -> str:
        """The remote path as the log shows it ("/t_avoir.xml")."""
        folder = clean_folder(folder)
        return f"/{folder}/{name}" if folder else f"/{name}"

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

    def list(self, folder: str = "") -> list[str]:
        path = self._folder(folder)
        if not path.is_dir():
            return []
        try:
            return sorted(e.name for e in os.scandir(path) if e.is_file() and e.name.lower().endswith(".xml")
                          and not e.name.startswith("."))
        except OSError as e:
            raise DropUnavailable(self.host, f"lecture du dossier {path} impossible ({e.strerror})") from e

    def fetch(self, folder: str, name: str, dest: Path) -> None:
        src = self._folder(folder) / check_name(name)
        try:
            shutil.copyfile(src, dest)
        except OSError as e:
            raise DropUnavailable(self.host, f"réception de {src} impossible ({e.strerror})") from e

    def put(self, src: Path, folder: str, name: str) -> None:
        target = self._folder(folder)
        tmp = target / (check_name(name) + ".part")
        try:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, tmp)
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
            os.replace(tmp, target / name)
        except OSError as e:
            raise DropUnavailable(self.host, f"envoi de {name} vers {target} impossible ({e.strerror})") from e

    def remove(self, folder: str, name: str) -> None:
        path = self._folder(folder) / check_name(name)
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as e:
            raise DropUnavailable(self.host, f"suppression de {path} impossible ({e.strerror})") from e


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
    raise PipelineError(f"Adresse du serveur principal non prise en charge : « {url} » "
                        "(attendu : file:///chemin ou sftp://utilisateur@hôte:port/chemin).")
