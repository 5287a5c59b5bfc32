"""The one pattern every identifier that ends up in a name must match: register codes, logins, lot names,
file names from a drop and manifest entries. Such values are used in file paths (printed documents,
exported lots, chain heads, run logs), so nothing that could climb out of a folder gets in."""

from __future__ import annotations

import re

from .errors import PipelineError

IDENTIFIER = r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$"
_IDENTIFIER = re.compile(IDENTIFIER)
IDENTIFIER_WORDS = ("de 1 à 64 caractères parmi les lettres sans accent, les chiffres, « _ », « - », « . » et « @ », "
                    "commençant par une lettre ou un chiffre, sans « .. »")


def ascii_digits(text: str) -> bool:
    """Digits 0-9 only, at least one: str.isdigit() also takes ², ٣ or ४ (a key of the French keyboard types ²),
    which int() then refuses or reads as another number."""
    return text.isascii() and text.isdigit()


def is_identifier(value: str) -> bool:
    return bool(_IDENTIFIER.match(value)) and ".." not in value


def check_identifier(value: str, what: str) -> str:
    """`value` when it is a safe identifier; otherwise PipelineError naming `what` ("le code de caisse")."""
    if not isinstance(value, str) or not is_identifier(value):
        raise PipelineError(f"{what[:1].upper()}{what[1:]} « {value} » est refusé : il doit compter "
                            f"{IDENTIFIER_WORDS}.")
    return value
