"""Opening a register day (seed 001 2.2, seed 000 2.1): the float, the FOND move. The import that comes first in
auto mode is the service's (caisse/services/open_register.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from caisse.common.errors import OpenNotAllowed
from caisse.common.money import eur
from caisse.fiscal.jet import record_event, record_settings
from caisse.rules.auth import User, require_now
from caisse.rules.corrections import record_move
from caisse.rules.lifecycle import A_EXPORTER, A_IMPORTER, ECHEC_EXPORT, OUVERTE, PRETE, register_states, training_on
from caisse.storage.store import Store, new_id
from caisse.storage.turns import import_under_way
from pipeline import CORE_TABLES


@dataclass
class Opened:
    caisse: str
    id_journee: str
    fond: Decimal
    imported: bool = False
    notes: list[str] = field(default_factory=list)
    user: User | None = None


def open_day(store: Store, caisse: str, user: User, fond: Decimal, *, auto: bool = False,
             now: datetime | None = None) -> Opened:
    """Open a day on `caisse` with the float `fond`; refused with a sentence when the state forbids it."""
    if not isinstance(fond, Decimal) or fond < 0 or fond != fond.quantize(Decimal("0.01")):
        raise OpenNotAllowed(caisse, "le fond de caisse doit être un montant positif ou nul, au centime près.")
    if fond > store.limits.max_float:
        raise OpenNotAllowed(caisse, f"un fond de caisse de {eur(fond)} dépasse {eur(store.limits.max_float)} : "
                                     "vérifiez le montant ; s'il est juste, l'administrateur peut relever le "
                                     "plafond du fond de caisse.")
    now = now or datetime.now()
    with store.transaction() as con:
        require_now(con, user, "CAISSE_OUVRIR")
        states = {s.code: s for s in register_states(con)}
        if caisse not in states:
            raise OpenNotAllowed(caisse, f"cette caisse n'existe pas (caisses : {', '.join(states) or 'aucune'}).")
        empty = [t for t in CORE_TABLES if not con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]]
        if empty:
            raise OpenNotAllowed(caisse, f"les données sont incomplètes (tables vides : {', '.join(empty)}). "
                                         "Importez les données du serveur principal.")
        _check_state(caisse, states, auto)
        if not store.training and training_on(con, caisse):  # checked in the transaction that opens
            raise OpenNotAllowed(caisse, "elle est en mode formation : elle s'ouvre sur sa copie de formation "
                                         "(écran Ouverture ou commandes de cette caisse), jamais sur la base réelle.")
        running = import_under_way(store.path)
        if running:
            raise OpenNotAllowed(caisse, f"un import des données du serveur principal est en cours ({running}) : "
                                         "attendez qu'il se termine, puis ouvrez.")
        id_journee = new_id()
        id_caisse = states[caisse].id_caisse
        con.execute("INSERT INTO t_journee (id_journee, id_caisse, date_ouverture, id_utilisateur_ouverture, "
                    "fond_caisse, fermeture_forcee) VALUES (?, ?, ?, ?, ?, false)",
                    [id_journee, id_caisse, now, user.id_utilisateur, fond])
        record_move(con, id_caisse, id_journee, "FOND", fond, "Fond de caisse", user, now)
        record_event(con, 45, caisse=caisse, login=user.login, detail=f"fond de caisse {eur(fond)}", now=now)
        record_settings(con, store.settings_words, login=user.login, now=now)
    return Opened(caisse, id_journee, fond, user=user)


def _check_state(caisse: str, states: dict, auto: bool) -> None:
    mine = states[caisse].etat
    if mine == OUVERTE:
        raise OpenNotAllowed(caisse, "elle est déjà ouverte.")
    others = [s for code, s in states.items() if code != caisse]
    busy = [s.code for s in others if s.etat in (OUVERTE, A_EXPORTER, ECHEC_EXPORT)]
    if busy:
        raise OpenNotAllowed(caisse, f"la caisse {', '.join(busy)} est ouverte ou attend l'export de ses journées ; "
                                     "les autres caisses sont bloquées tant que l'export n'est pas fait.")
    if mine == A_IMPORTER and not auto:
        ready = [s.code for s in others if s.etat == PRETE]
        hint = f" (les données importées sont celles de la caisse {ready[0]})" if ready else ""
        raise OpenNotAllowed(caisse, f"il faut d'abord importer les données de cette caisse{hint} : cliquez sur "
                                     "Importer.")
