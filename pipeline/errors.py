"""Errors of the data-movement layer: each says what happened, where, and what to do."""

from __future__ import annotations

import errno

OS_WORDS = {errno.ENOSPC: "plus de place sur le disque", errno.EDQUOT: "quota du disque dépassé",
            errno.EACCES: "accès refusé", errno.EPERM: "opération non permise", errno.ENOENT: "introuvable",
            errno.EROFS: "disque en lecture seule", errno.EIO: "erreur d'entrée-sortie du disque",
            errno.ENOTDIR: "n'est pas un dossier", errno.EISDIR: "est un dossier", errno.EEXIST: "existe déjà",
            errno.EPIPE: "liaison coupée", errno.ECONNREFUSED: "connexion refusée", errno.ETIMEDOUT: "délai dépassé",
            errno.EHOSTUNREACH: "hôte injoignable", errno.ENETUNREACH: "réseau injoignable",
            errno.ECONNRESET: "connexion coupée par l'autre côté", errno.ELOOP: "lien symbolique refusé",
            errno.EADDRINUSE: "adresse déjà prise", errno.EADDRNOTAVAIL: "cette adresse n'est pas celle de ce serveur"}


def os_words(error: BaseException) -> str:
    """What an operating system error means, in French (the C library speaks English)."""
    number = getattr(error, "errno", None)
    return OS_WORDS.get(number) or getattr(error, "strerror", None) or str(error)


class PipelineError(Exception):
    """Root of the pipeline's errors; `str()` is one whole French sentence."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadTableFile(PipelineError):
    """A file from a drop is not a valid table: it stays where it is and nothing is loaded."""

    def __init__(self, file: str, reason: str, row: int | None = None, column: str | None = None):
        self.file, self.reason, self.row, self.column = file, reason, row, column
        where = f"le fichier {file}"
        if row is not None:
            where += f", ligne {row}"
        if column is not None:
            where += f", colonne {column}"
        super().__init__(f"Fichier refusé ({where}) : {reason}. Corrigez ce fichier sur le serveur "
                         "principal puis relancez l'import ; rien n'a été chargé.")


class ManifestMismatch(PipelineError):
    """The lot does not match its manifest (a file missing, a row count or a checksum different)."""

    def __init__(self, manifest: str, file: str, reason: str):
        self.manifest, self.file, self.reason = manifest, file, reason
        super().__init__(f"Le lot ne correspond pas à son manifeste {manifest} ({file} : {reason}). "
                         "Le lot est peut-être incomplet : relancez l'envoi depuis le serveur principal.")


class DropUnavailable(PipelineError):
    """The drop (local folder or SFTP server) could not be reached or used; may be retried."""

    transient = True

    def __init__(self, host: str, reason: str):
        self.host, self.reason = host, reason
        if host == "local":  # the embedded default: a folder of this machine stands for the main server
            super().__init__(f"Le dossier de dépôt local n'est pas utilisable : {reason}. Vérifiez le dossier "
                             "(réglage CAISSE_DROP) puis réessayez ; contactez la hotline si cela persiste.")
        else:
            super().__init__(f"Le serveur principal {host} n'est pas joignable ou refuse l'opération : {reason}. "
                             "Vérifiez la connexion puis réessayez ; contactez la hotline si cela persiste.")


class DropRefused(PipelineError):
    """The main server answered but refuses (host key, login, permission, disk): retrying will not help."""

    transient = False

    def __init__(self, host: str, reason: str):
        self.host, self.reason = host, reason
        who = "Le dossier de dépôt local" if host == "local" else f"Le serveur principal {host}"
        super().__init__(f"{who} refuse l'opération : {reason}.")
