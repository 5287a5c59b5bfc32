"""The domain's errors: one whole French sentence each, and the CLI exit status they mean."""

from __future__ import annotations

from caisse.common.words import plural


class CaisseError(Exception):
    """Root of the domain's errors. `exit_code` is the CLI status (DESIGN section 11)."""

    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ConfigError(CaisseError):
    exit_code = 2


def disk_full_words(where) -> str:
    return f"le disque du serveur caisse est plein ({where})"


class DiskFull(CaisseError):
    """A write met a full disk: what was being done did not happen (or, `done`, what did), exit 4."""

    exit_code = 4

    def __init__(self, where, done: str = ""):
        self.where = where
        super().__init__((f"{done} " if done else "Rien n'a été enregistré de cette opération. ")
                         + f"{disk_full_words(where).capitalize()} : libérez de la place (anciens fichiers "
                         "reçus sous echanges/recu, sauvegardes), puis recommencez.")


class BadArgument(CaisseError):
    """A value typed by a person (an argument, a field) that cannot be used: said in a sentence, exit 2."""

    exit_code = 2


class StoreBusy(CaisseError):
    def __init__(self, path, seconds: float, holder: int | None = None):
        self.path, self.seconds = path, seconds
        who = f" (processus {holder})" if holder else ""
        waited = f"{seconds:g}".replace(".", ",")
        super().__init__(f"La base {path} est occupée par un autre programme{who} depuis {waited} s. "
                         "Réessayez dans un instant.")


class LoginFailed(CaisseError):
    def __init__(self, login: str, reason: str | None = None, *, held: bool = False):
        self.login = login
        self.held = held  # refused before the password was read: the tries from that place are being slowed
        super().__init__(reason or "Identifiant ou mot de passe incorrect.")


class RightMissing(CaisseError):
    def __init__(self, login: str, right: str, action: str):
        self.login, self.right, self.action = login, right, action
        de = "d'" if action[:1].lower() in "aeéèêiou" else "de "
        super().__init__(f"L'utilisateur {login} n'a pas le droit {de}{action}. Demandez à un responsable.")


class ImportNotAllowed(CaisseError):
    def __init__(self, caisse: str, raison: str):
        self.caisse, self.raison = caisse, raison
        super().__init__(f"Import impossible pour la caisse {caisse} : {raison}")


class NothingToImport(CaisseError):
    def __init__(self, where: str):
        self.where = where
        super().__init__(f"Aucun fichier à importer dans {where} : le serveur principal n'a "
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


class RegisterNotOpen(CaisseError):
    def __init__(self, caisse: str, etat: str = ""):
        self.caisse = caisse
        super().__init__(f"La caisse {caisse} n'est pas ouverte{f' ({etat})' if etat else ''} : "
                         "un responsable doit d'abord l'ouvrir.")


class OpenNotAllowed(CaisseError):
    def __init__(self, caisse: str, raison: str):
        self.caisse, self.raison = caisse, raison
        super().__init__(f"Ouverture impossible pour la caisse {caisse} : {raison}")


class SaleRefused(CaisseError):
    """A ticket, a payment, a void or a cash move refused by a rule; nothing was written."""


class TicketsEnCours(CaisseError):
    def __init__(self, caisse: str, tickets: list):
        self.caisse, self.tickets = caisse, tickets
        from caisse.common.money import eur  # money.py imports this module: read when said
        listed = "; ".join(describe_draft(t, eur) for t in tickets)
        super().__init__(f"Fermeture impossible : {plural(len(tickets), 'ticket')} en cours sur la caisse {caisse} : "
                         f"{listed}. Terminez-les, ou faites-les abandonner avec un motif par un responsable.")


def describe_draft(ticket, eur) -> str:
    """A ticket being rung as people know it: its seller, since when, its first article and its total."""
    first = "aucun article"
    if ticket.lines:
        first = f"{ticket.lines[0].libelle}{' et autres' if len(ticket.lines) > 1 else ''}"
    since = f" depuis {ticket.date_creation:%H:%M}" if ticket.date_creation else ""
    return f"{ticket.vendeur}{since}, {first}, {eur(ticket.total_ttc)}"


class UsersConnected(CaisseError):
    def __init__(self, caisse: str, users: list[str]):
        self.caisse, self.users = caisse, users
        super().__init__(f"Un ou plusieurs utilisateurs encore connectés à la caisse {caisse} : {', '.join(users)}. "
                         "Il est possible de forcer la fermeture (un responsable qui en a le droit).")


class EcartNonValide(CaisseError):
    def __init__(self, caisse: str, attendu, compte, ecart, tolerance):
        from caisse.common.money import eur  # money.py imports this module: read when said
        self.caisse, self.attendu, self.compte, self.ecart, self.tolerance = caisse, attendu, compte, ecart, tolerance
        super().__init__(f"Le montant indiqué n'est pas celui attendu : {eur(compte)} comptés pour {eur(attendu)} "
                         f"attendus (écart {'+' if ecart > 0 else ''}{eur(ecart)}, tolérance {eur(tolerance)}). "
                         "Recomptez, ou faites valider la fermeture malgré l'écart, avec un commentaire, par "
                         "une personne qui a le droit de valider un écart.")


class NothingToExport(CaisseError):
    def __init__(self, caisse: str):
        self.caisse = caisse
        super().__init__(f"Aucune journée fermée à exporter pour la caisse {caisse}.")


class ExportFailed(CaisseError):
    """The export did not reach the main server: the days stay unexported (exit 3)."""

    exit_code = 3

    def __init__(self, caisse: str, cause: str):
        self.caisse, self.cause = caisse, cause
        hotline = "" if "hotline" in cause else " Contactez la hotline si cela persiste."
        super().__init__(f"L'export des données de la caisse {caisse} vers le serveur principal a échoué : {cause}"
                         f"{hotline} Les journées restent à exporter : un nouvel essai d'export renverra le même "
                         "lot. D'ici là, il n'est plus possible d'importer de nouvelles données, mais une nouvelle "
                         "journée de caisse peut s'ouvrir.")


class LotAlreadyApplied(CaisseError):
    """A lot is applied once: deposited again (or by a main server that sends the same lot twice), it would put
    back balances and statuses the register has changed since."""

    def __init__(self, lot: str, when: str):
        self.lot, self.when = lot, when
        super().__init__(f"Le lot {lot} a déjà été appliqué le {when} : il n'est pas appliqué deux fois (ses avoirs "
                         "et chèques cadeaux reviendraient à des soldes dépassés). Demandez au serveur principal un "
                         "nouveau lot ; la hotline peut le réappliquer (caisse import ... --reapply, par un "
                         "responsable).")
