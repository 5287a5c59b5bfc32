"""What the `caisse` commands share: the password (never an argument), the sign-in, the exit status of a print."""

from __future__ import annotations

import getpass
import os
import sys

from caisse.common.errors import ConfigError
from caisse.paper.printing import PrintFailed
from caisse.rules import auth
from caisse.services.home import open_store


def secret(variable: str, prompt: str, missing: str) -> str:
    """A password from the environment `variable`, or typed in a terminal (never an argument); `missing` said
    when there is neither."""
    value = os.environ.get(variable)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise ConfigError(missing)
    return getpass.getpass(prompt)


def password(args) -> str:
    return secret("CAISSE_PASSWORD", f"Mot de passe de {args.user} : ",
                  "Mot de passe requis : définissez CAISSE_PASSWORD ou lancez la commande dans un terminal pour le "
                  "saisir (jamais en argument).")


def login(args, settings):
    store = open_store(settings)
    secret = password(args)
    return store, auth.login(store, args.user, secret, caisse=getattr(args, "caisse", None)), secret


def print_status(printed, done: str) -> int:
    """Exit status of a command whose whole purpose was to print."""
    if printed.warning:
        print(f"Erreur : {printed.warning}", file=sys.stderr)
        return PrintFailed.exit_code
    print(f"{done}, archivé : {printed.text_path}.")
    return 0
