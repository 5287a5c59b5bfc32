"""The integrity key: made at `caisse init`, kept outside the store, mode 600 (DESIGN section 9)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from .errors import CaisseError


def ensure_key(path: Path) -> bool:
    """Create the key file if it does not exist; True when it was created. An existing key is never replaced."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32) + "\n")
    return True


def load_key(path: Path) -> bytes:
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        raise CaisseError(f"La clé d'intégrité {path} est introuvable : sans elle, les tickets ne peuvent "
                          "être ni chaînés ni vérifiés. Restaurez-la depuis votre sauvegarde.") from None
    except ValueError:
        raise CaisseError(f"La clé d'intégrité {path} est illisible. Restaurez-la depuis votre sauvegarde.") from None
