"""The integrity key (R09): 32 random bytes kept out of the store, in a file only the register server's
account may read (mode 600, checked at every use), never made anew while chained records exist.

The file holds one key per line (hex), oldest first; the last one signs. A rotation appends a new key:
links keep the id of the key that signed them, so earlier links still verify.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from caisse.common.errors import CaisseError

KEY_BYTES = 32


class KeyProblem(CaisseError):
    """The key is missing, unreadable or readable by others: nothing that counts can be written."""


def key_id(key: bytes) -> str:
    """A key's public name, written in each link it signs (never the key)."""
    return hashlib.sha256(key).hexdigest()[:16]


@dataclass(frozen=True)
class Keys:
    path: Path
    keys: tuple[bytes, ...]

    @property
    def current(self) -> bytes:
        return self.keys[-1]

    @property
    def current_id(self) -> str:
        return key_id(self.current)

    def by_id(self, ident: str) -> bytes | None:
        return next((k for k in self.keys if key_id(k) == ident), None)


def drawn_at_random(key: bytes) -> bool:
    """A key written by hand rather than drawn (zeros, one byte repeated, a short pattern, a counting sequence):
    32 random bytes hold about 30 distinct values, and fewer than 12 happens once in more than 10^20 draws."""
    steps = {(b - a) % 256 for a, b in zip(key, key[1:])}
    return len(set(key)) >= 12 and len(steps) > 1


_CACHE: dict[Path, tuple[tuple[int, int, int], Keys]] = {}


def load_keys(path: Path) -> Keys:
    """The keys of `path`; KeyProblem with the sentence that says what to do."""
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise KeyProblem(f"La clé d'intégrité {path} est introuvable : sans elle, aucun ticket, aucune fermeture ni "
                         "aucun événement ne peut être enregistré ni vérifié. Restaurez-la depuis votre sauvegarde ; "
                         "elle n'est jamais recréée quand des enregistrements chaînés existent.") from None
    if stat.S_IMODE(info.st_mode) & 0o077:
        raise KeyProblem(f"La clé d'intégrité {path} est lisible par d'autres comptes (mode "
                         f"{stat.S_IMODE(info.st_mode):o}) : protégez-la avec « chmod 600 {path} » puis recommencez.")
    signature = (info.st_mtime_ns, info.st_size, info.st_ino)
    cached = _CACHE.get(path)
    if cached and cached[0] == signature:
        return cached[1]
    try:
        keys = tuple(bytes.fromhex(line.strip()) for line in path.read_text(encoding="ascii").splitlines()
                     if line.strip())
    except (ValueError, UnicodeDecodeError):
        keys = ()
    if not keys or any(len(k) != KEY_BYTES for k in keys):
        raise KeyProblem(f"La clé d'intégrité {path} est vide ou illisible (attendu : {KEY_BYTES} octets en "
                         "hexadécimal par ligne). Restaurez-la depuis votre sauvegarde.")
    if any(not drawn_at_random(k) for k in keys) or len(set(keys)) != len(keys):
        raise KeyProblem(f"La clé d'intégrité {path} n'a pas été tirée au hasard (des zéros, un octet répété, une "
                         "suite, ou deux fois la même clé) : n'importe qui pourrait signer avec elle. Restaurez-la "
                         "depuis votre sauvegarde ; une clé ne s'écrit jamais à la main.")
    loaded = Keys(path, keys)
    _CACHE[path] = (signature, loaded)
    return loaded


def create_key(path: Path) -> Keys:
    """A new key file (never over an existing one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(secrets.token_hex(KEY_BYTES) + "\n")
    return load_keys(path)


def rotate_key(path: Path) -> tuple[str, str, str]:
    """Append a new key; (old id, new id, attestation): the new id signed by the old key, so that the event
    recording the rotation links the two."""
    old = load_keys(path)
    new = secrets.token_bytes(KEY_BYTES)
    attestation = hmac.new(old.current, key_id(new).encode(), hashlib.sha256).hexdigest()
    with open(path, "a", encoding="ascii") as f:
        f.write(new.hex() + "\n")
        f.flush()
        os.fsync(f.fileno())
    return old.current_id, key_id(new), attestation
