"""Discounts at the till, under control: a right to give one (CAISSE_REMISE), always a reason from a list, and
ceilings per user group (in % and in €, on a line and on a ticket) from tr_parametre. Above a ceiling, or without
the right, a manager (CAISSE_REMISE_LIBRE) types a password on the spot: the discount passes, an event (178) names
both. A forced price needs CAISSE_PRIX_FORCE, or such a manager (event 179).

The ceilings' keys in tr_parametre: `remise_max_ligne_pct`, `remise_max_ligne_eur`, `remise_max_ticket_pct`,
`remise_max_ticket_eur`, for every group; the same key followed by `.N` for the group whose id_utilisateur_groupe
is N (for example `remise_max_ligne_pct.2 = 10`). The reasons: tr_motif_remise, else the parameter `motifs_remise`
(« SOLDES:Soldes;FIDELITE:Fidélité »), else DEFAULT_REASONS.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import duckdb

from caisse.common.errors import RightMissing, SaleRefused
from caisse.common.money import cents, eur
from caisse.fiscal.jet import record_event
from caisse.rules.auth import RIGHT_WORDS, User, require_now
from caisse.rules.parameters import CEILING_KEYS, check_ceiling

RIGHT, FREE, FORCE = "CAISSE_REMISE", "CAISSE_REMISE_LIBRE", "CAISSE_PRIX_FORCE"
DEFAULT_REASONS = [("SOLDES", "Soldes"), ("FIDELITE", "Fidélité"), ("DEFAUT", "Article défectueux"),
                   ("GESTE", "Geste commercial"), ("PERSONNEL", "Remise du personnel")]
WHERE = {"ligne": "sur une ligne", "ticket": "sur le ticket"}


@dataclass(frozen=True)
class Ceiling:
    pct: Decimal
    eur: Decimal


def ceilings(con: duckdb.DuckDBPyConnection, user: User) -> dict[str, Ceiling]:
    """{"ligne": Ceiling, "ticket": Ceiling} of the user's group (its own keys, else everyone's, else the defaults)."""
    group = con.execute("SELECT id_utilisateur_groupe FROM t_utilisateur WHERE id_utilisateur = ?",
                        [user.id_utilisateur]).fetchall()
    group = group[0][0] if group else None
    values = dict(CEILING_KEYS)
    found = dict(con.execute("SELECT cle, valeur FROM tr_parametre WHERE cle LIKE 'remise_max_%'").fetchall())
    for key in CEILING_KEYS:
        for candidate in (key, f"{key}.{group}"):
            if (found.get(candidate) or "").strip():
                values[key] = check_ceiling(key, found[candidate])
    return {where: Ceiling(values[f"remise_max_{where}_pct"], values[f"remise_max_{where}_eur"])
            for where in ("ligne", "ticket")}


def reasons(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(code, label) of the discount's reasons offered at the till."""
    rows = con.execute("SELECT code, coalesce(libelle, code) FROM tr_motif_remise WHERE coalesce(actif, true) AND "
                       "coalesce(trim(code), '') <> '' ORDER BY id_motif_remise").fetchall()
    if rows:
        return rows
    said = con.execute("SELECT valeur FROM tr_parametre WHERE cle = 'motifs_remise'").fetchall()
    if said and (said[0][0] or "").strip():
        out = []
        for item in said[0][0].split(";"):
            code, _, label = item.strip().partition(":")
            if code.strip():
                out.append((code.strip().upper(), label.strip() or code.strip()))
        if out:
            return out
    return DEFAULT_REASONS


def reason_code(con: duckdb.DuckDBPyConnection, text: str | None) -> str:
    """The code of a reason typed or chosen (its code or its label, any case); SaleRefused with the list."""
    text = (text or "").strip()
    offered = reasons(con)
    for code, label in offered:
        if text.upper() == code.upper() or text.lower() == label.lower():
            return code
    listed = ", ".join(f"{code} ({label})" for code, label in offered)
    if not text:
        raise SaleRefused(f"Une remise a toujours un motif : choisissez-le parmi {listed}.")
    raise SaleRefused(f"Motif de remise « {text} » inconnu : choisissez parmi {listed}.")


def authorise(con: duckdb.DuckDBPyConnection, user: User, where: str, amount: Decimal, base: Decimal,
              approver: User | None, caisse: str, detail: str, now) -> str:
    """Let a discount of `amount` on `base` (the amount before it) through, or refuse it in a sentence: within the
    user's ceilings with CAISSE_REMISE; beyond, or without the right, with an `approver` holding CAISSE_REMISE_LIBRE
    (authenticated by the caller), recorded (178). Returns the words said of who allowed it ('' when the user)."""
    if amount <= 0:
        return ""
    pct = (amount * 100 / base) if base > 0 else Decimal(100)
    own = _holds(con, user, RIGHT)
    free = _holds(con, user, FREE)
    limit = ceilings(con, user)[where]
    within = own and (free or (pct <= limit.pct and amount <= limit.eur))
    if within:
        return ""
    why = (f"la remise de {eur(amount)} ({_pct(pct)}) {WHERE[where]} dépasse votre plafond ({_pct(limit.pct)}, "
           f"{eur(limit.eur)})" if own else f"{user.display} n'a pas le droit de {RIGHT_WORDS[RIGHT]}")
    if approver is None:
        raise ApprovalNeeded(f"{why[:1].upper()}{why[1:]} : un responsable doit l'autoriser avec son mot de passe.")
    try:
        require_now(con, approver, FREE)
    except RightMissing:
        raise SaleRefused(f"{approver.display} n'a pas le droit d'autoriser une remise au-delà des plafonds : "
                          "un responsable qui l'a doit taper son identifiant et son mot de passe.") from None
    record_event(con, 178, caisse=caisse, login=user.login,
                 detail=f"{detail} : {eur(amount)} ({_pct(pct)}) {WHERE[where]}, autorisée par {approver.login} "
                        f"({why})", now=now)
    return f" (autorisée par {approver.display})"


def authorise_price(con: duckdb.DuckDBPyConnection, user: User, approver: User | None, caisse: str, detail: str,
                    now) -> str:
    """A forced price: the user's right CAISSE_PRIX_FORCE, or an approver's (recorded, 179)."""
    if _holds(con, user, FORCE):
        return ""
    if approver is None:
        raise ApprovalNeeded(f"{user.display} n'a pas le droit de {RIGHT_WORDS[FORCE]} : un responsable doit "
                             "l'autoriser avec son mot de passe.")
    try:
        require_now(con, approver, FORCE)
    except RightMissing:
        raise SaleRefused(f"{approver.display} n'a pas le droit de forcer un prix : un responsable qui l'a doit "
                          "taper son identifiant et son mot de passe.") from None
    record_event(con, 179, caisse=caisse, login=user.login, detail=f"{detail}, autorisé par {approver.login}", now=now)
    return f" (autorisé par {approver.display})"


class ApprovalNeeded(SaleRefused):
    """A discount or a price the seller may not give alone: the screen asks for a manager's password."""


def _holds(con, user: User, right: str) -> bool:
    try:
        require_now(con, user, right)
        return True
    except RightMissing:
        return False


def _pct(value: Decimal) -> str:
    text = f"{value.quantize(Decimal('0.1')):f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") + " %"


def typed_discount(text: str) -> tuple[Decimal | None, Decimal | None]:
    """« 10 % », « 10% » -> (None, 10); « 5,00 », « 5 € » -> (5.00, None); SaleRefused otherwise."""
    raw = (text or "").strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if not raw:
        raise SaleRefused("Tapez la remise : un montant (5,00), un pourcentage (10 %), ou 0 pour la retirer.")
    percent = raw.endswith("%")
    number = raw.rstrip("%").rstrip("€").strip().replace(",", ".")
    try:
        value = Decimal(number)
    except InvalidOperation:
        raise SaleRefused(f"Remise « {text} » illisible : tapez un montant (5,00) ou un pourcentage (10 %).") from None
    if not value.is_finite() or value < 0:
        raise SaleRefused(f"Remise « {text} » refusée : elle doit être positive.")
    if percent:
        if value > 100:
            raise SaleRefused(f"Remise « {text} » refusée : un pourcentage va de 0 à 100 %.")
        return None, value
    if value != cents(value):
        raise SaleRefused(f"Remise « {text} » refusée : un montant se donne au centime (5,00).")
    return cents(value), None

