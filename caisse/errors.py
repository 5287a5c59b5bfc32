"""The domain's errors: one whole French sentence each, and the CLI exit status they mean."""

from __future__ import annotations


class CaisseError(Exception):
    """Root of the domain's errors. `exit_code` is the CLI status (DESIGN section 11)."""

    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ConfigError(CaisseError):
    exit_code = 2


class StoreBusy(CaisseError):
    def __init__(self, path, seconds: float):
        self.path, self.seconds = path, seconds
        super().__init__(f"La base {path} est occupée par un autre programme depuis {seconds:g} s. "
                         "Réessayez dans un instant.")


class LoginFailed(CaisseError):
    def __init__(self, login: str, reason: str = "Identifiant ou mot de passe incorrect."):
        self.login = login
        super().__init__(reason)


class RightMissing(CaisseError):
    def __init__(self, login: str, right: str, action: str):
        self.login, self.right, self.action = login, right, action
        de = "d'" if action[:1].lower() in "aeéèêiou" else "de "
        super().__init__(f"L'utilisateur {login} n'a pas le droit {de}{action} ({right}). "
                         "Demandez à un responsable.")


class ImportNotAllowed(CaisseError):
    def __init__(self, caisse: str, raison: str):
        self.caisse, self.raison = caisse, raison
        super().__init__(f"Import impossible pour la caisse {caisse} : {raison}")


class NothingToImport(CaisseError):
    def __init__(self, where: str, host: str):
        self.where, self.host = where, host
        super().__init__(f"Aucun fichier à importer dans {where} sur {host} : le serveur principal n'a "
                         "rien déposé depuis le dernier import.")


class UnknownRegister(CaisseError):
    def __init__(self, caisse: str, known: list[str]):
        self.caisse, self.known = caisse, known
        choices = ", ".join(known) if known else "aucune caisse importée"
        super().__init__(f"La caisse {caisse} n'existe pas dans les données du serveur principal "
                         f"(caisses connues : {choices}).")


class DropFailed(CaisseError):
    """The drop could not be used: exit 3, the day's data untouched."""

    exit_code = 3
