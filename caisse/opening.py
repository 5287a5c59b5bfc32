"""Opening a register day (seed 001 2.2, seed 000 2.1): the float, the FOND move; in auto mode, the import first."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from pipeline import CORE_TABLES

from .auth import User, has_users, require_now
from .auth import login as login_user
from .config import Settings
from .corrections import record_move
from .errors import CaisseError, LoginFailed, OpenNotAllowed, RightMissing
from .fiscal.jet import record_event, record_settings
from .lifecycle import A_EXPORTER, A_IMPORTER, ECHEC_EXPORT, OUVERTE, PRETE, register_states
from .money import eur
from .store import Store, new_id
from .sync import Log, run_import
from .training import training_on
from .turns import import_under_way


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


def open_day_auto(store: Store, settings: Settings, caisse: str, login: str, password: str, fond: Decimal, *,
                  echo: Log | None = None, now: datetime | None = None) -> Opened:
    """Seed 000: opening imports first; when the import cannot run (an export failed, nothing new in the drop,
    the main server out of reach, a refused lot), the day opens on the data already there, as the manual says.

    On a store with no users yet (a new shop's first day), the import comes before any login, and the user is
    checked against the lot, exactly as Import does in manual mode (DESIGN section 5)."""
    now = now or datetime.now()
    with store.connect() as con:
        first_day = not has_users(con)
    if not first_day:
        login_user(store, login, password, caisse=caisse, now=now)  # a wrong password stops here, before the drop
    notes, imported = [], False
    try:
        run_import(store, settings, caisse, login, password, echo=echo, now=now)
        imported = True
    except (LoginFailed, RightMissing):
        raise
    except CaisseError as e:  # nothing imported, store untouched: the day opens on what is there
        if first_day:
            raise  # nothing is there yet: the import's sentence says what to do
        note = f"Import non effectué : {e} La journée s'ouvre sur les données déjà présentes."
        notes.append(note)
        if echo:
            echo(note)
    user = login_user(store, login, password, caisse=caisse, now=now)
    opened = open_day(store, caisse, user, fond, auto=True, now=now)
    opened.imported, opened.notes, opened.user = imported, notes, user
    return opened
