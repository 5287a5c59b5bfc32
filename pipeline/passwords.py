"""The format of `t_utilisateur.mot_de_passe`: Django's `pbkdf2_sha256$<iterations>$<salt>$<b64 hash>`."""

from __future__ import annotations

import base64
import hashlib
import hmac

ALGORITHM = "pbkdf2_sha256"


def make_hash(password: str, salt: str, iterations: int = 120_000) -> str:
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"{ALGORITHM}${iterations}${salt}${base64.b64encode(digest).decode('ascii')}"


def check_hash(password: str, encoded: str | None) -> bool:
    """True when `password` matches `encoded`; compared in constant time; False for any other format."""
    try:
        algorithm, iterations, salt, expected = (encoded or "").split("$", 3)
        rounds = int(iterations)
    except ValueError:
        return False
    if algorithm != ALGORITHM or not 1 <= rounds <= 10_000_000:
        return False
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), rounds)
    return hmac.compare_digest(base64.b64encode(digest).decode("ascii").encode(), expected.encode())
