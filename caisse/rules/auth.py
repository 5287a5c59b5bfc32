"""Users and rights from the imported tables; PBKDF2 passwords; failed sign-ins slowed by where they come from
(a place that keeps failing waits longer and longer; nobody can lock someone else's account out)."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

from caisse.common.errors import LoginFailed, RightMissing
from caisse.common.words import plural
from caisse.fiscal.jet import record_event
from caisse.storage.store import Store
from pipeline.passwords import check_hash

FREE_TRIES = 3  # failed sign-ins in a row from one place before its tries are slowed
SLOWED_AT = 5  # the failure recorded as an event of its own (86)
MAX_WAIT = timedelta(minutes=5)
LOGIN_FREE_TRIES = 10  # failures in a row on one account, from any places, before its tries are slowed
LOGIN_MAX_WAIT = timedelta(seconds=30)  # and never more: nobody can lock a manager out by typing wrong passwords
FAILURE_MEMORY = timedelta(minutes=15)  # a failure older than this is forgotten
_SOURCE: ContextVar[str] = ContextVar("source", default="local")

RIGHT_WORDS = {
    "CAISSE_IMPORTER": "importer les données", "CAISSE_OUVRIR": "ouvrir la caisse",
    "CAISSE_VENDRE": "vendre", "CAISSE_FERMER": "fermer la caisse",
    "CAISSE_FORCER_FERMETURE": "forcer la fermeture", "CAISSE_VALIDER_ECART": "valider un écart",
    "CAISSE_EXPORTER": "exporter les données", "CAISSE_MOUVEMENT": "faire un mouvement d'espèces",
    "CAISSE_ANNULER": "annuler un ticket", "BACKOFFICE": "consulter le back-office",
    "CAISSE_RETOUR": "reprendre des articles vendus", "CAISSE_RETOUR_LIBRE": "reprendre des articles sans ticket",
    "CAISSE_TIROIR": "ouvrir le tiroir hors vente", "CAISSE_REMISE": "faire une remise",
    "CAISSE_REMISE_LIBRE": "faire une remise au-delà des plafonds", "CAISSE_PRIX_FORCE": "forcer un prix",
}


@dataclass(frozen=True)
class User:
    id_utilisateur: int
    login: str
    nom: str
    prenom: str
    rights: frozenset[str]

    @property
    def display(self) -> str:
        return f"{self.prenom or ''} {self.nom or ''}".strip() or self.login

    def can(self, right: str) -> bool:
        return right in self.rights


def person(alias: str = "u") -> str:
    """The SQL of a user's name as screens and paper show it (« Claire Martin »; the login when no name)."""
    return (f"coalesce(nullif(trim(coalesce({alias}.prenom, '') || ' ' || coalesce({alias}.nom, '')), ''), "
            f"{alias}.login)")


def require(user: User, right: str) -> None:
    """Raise RightMissing unless the user holds `right`."""
    if not user.can(right):
        raise RightMissing(user.login, right, RIGHT_WORDS.get(right, right))


def has_users(con: duckdb.DuckDBPyConnection) -> bool:
    return con.execute("SELECT count(*) FROM t_utilisateur").fetchall()[0][0] > 0


def check_credentials(con: duckdb.DuckDBPyConnection, login: str, password: str) -> User | None:
    """The user when the password matches an active account, else None; reads only."""
    rows = con.execute("SELECT id_utilisateur, login, nom, prenom, mot_de_passe, coalesce(actif, true) "
                       "FROM t_utilisateur WHERE login = ?", [login]).fetchall()
    if not rows:
        check_hash(password, "pbkdf2_sha256$120000$x$x")  # same cost whether the login exists or not
        return None
    id_, login, nom, prenom, hashed, actif = rows[0]
    if not check_hash(password, hashed) or not actif:
        return None
    rights = con.execute("""
        SELECT DISTINCT f.code FROM t_utilisateur u
        JOIN tr_groupe_droit g ON g.id_utilisateur_groupe = u.id_utilisateur_groupe AND g.autorise
        JOIN tr_fonctionnalite f ON f.id_fonctionnalite = g.id_fonctionnalite
        WHERE u.id_utilisateur = ?""", [id_]).fetchall()
    return User(id_, login, nom, prenom, frozenset(r[0] for r in rights))


def user_by_id(con: duckdb.DuckDBPyConnection, id_utilisateur: int) -> User | None:
    """An active user with the rights the store gives them now (a resumed session), or None."""
    rows = con.execute("""
        SELECT u.login, u.nom, u.prenom, list(DISTINCT f.code) FILTER (WHERE f.code IS NOT NULL)
        FROM t_utilisateur u
        LEFT JOIN tr_groupe_droit g ON g.id_utilisateur_groupe = u.id_utilisateur_groupe AND g.autorise
        LEFT JOIN tr_fonctionnalite f ON f.id_fonctionnalite = g.id_fonctionnalite
        WHERE u.id_utilisateur = ? AND coalesce(u.actif, true) GROUP BY ALL""", [id_utilisateur]).fetchall()
    if not rows:
        return None
    login_name, nom, prenom, rights = rows[0]
    return User(id_utilisateur, login_name, nom, prenom, frozenset(rights or ()))


def login_source() -> str:
    """Where the sign-in attempts of this unit of work come from (the app sets the browser's address)."""
    return _SOURCE.get()


def from_source(source: str | None) -> None:
    """The address the next sign-ins come from: a browser's (the app, at each run), else the console."""
    _SOURCE.set((source or "local")[:64])


def held_until(con: duckdb.DuckDBPyConnection, source: str, now: datetime) -> datetime | None:
    rows = con.execute("SELECT attente_jusqu FROM essai_echec WHERE source = ?", [source]).fetchall()
    if rows and rows[0][0] and rows[0][0] > now:
        return rows[0][0]
    return None


def login_key(login: str) -> str:
    """The throttle's name for an account (beside the places, which are addresses)."""
    return f"identifiant {login}"


def _count_failure(con, key: str, now: datetime, free: int, longest: timedelta) -> int:
    rows = con.execute("SELECT echecs, dernier FROM essai_echec WHERE source = ?", [key]).fetchall()
    failures = rows[0][0] + 1 if rows and rows[0][1] and now - rows[0][1] < FAILURE_MEMORY else 1
    wait = min(2 ** (failures - free), longest.total_seconds()) if failures >= free else 0
    until = now + timedelta(seconds=wait) if wait else None
    con.execute("INSERT OR REPLACE INTO essai_echec (source, echecs, dernier, attente_jusqu) VALUES (?, ?, ?, ?)",
                [key, failures, now, until])
    return failures


def record_failure(con: duckdb.DuckDBPyConnection, login: str, source: str, now: datetime,
                   caisse: str | None = None) -> None:
    """Count a failed sign-in from `source`: after FREE_TRIES in a row (within FAILURE_MEMORY), each new try
    from there waits longer (1 s, 2 s, 4 s... up to MAX_WAIT). A login is recorded only when it exists: a
    password typed in the login field never reaches the journal."""
    failures = _count_failure(con, source, now, FREE_TRIES, MAX_WAIT)
    known = con.execute("SELECT count(*) FROM t_utilisateur WHERE login = ?", [login]).fetchall()[0][0]
    if known:  # guesses spread over many places still add up on the account, slowed gently, never locked
        _count_failure(con, login_key(login), now, LOGIN_FREE_TRIES, LOGIN_MAX_WAIT)
    record_event(con, 85, caisse=caisse, login=login if known else None,
                 detail=f"échec n°{failures} depuis {source}" + ("" if known else " (identifiant inconnu)"), now=now)
    if failures == SLOWED_AT:
        record_event(con, 86, caisse=caisse, detail=f"{failures} échecs de suite depuis {source} : essais ralentis",
                     now=now)


def known_login(con, login: str | None) -> str | None:
    """`login` when it is a user's, else None: what someone typed in a login field (a password, by mistake) is never
    written in the journal for ever."""
    if not login:
        return None
    return login if con.execute("SELECT count(*) FROM t_utilisateur WHERE login = ?", [login]).fetchall()[0][0] \
        else None


def held_message(until: datetime, now: datetime) -> str:
    seconds = max(1, int((until - now).total_seconds() + 0.999))
    return (f"Trop de mots de passe erronés depuis ce poste : patientez {plural(seconds, 'seconde')} avant de "
            "réessayer, ou demandez à un responsable de débloquer ce poste (Réglages).")


def login(store: Store, login: str, password: str, *, caisse: str | None = None,
          now: datetime | None = None, sign_in: bool = True) -> User:
    """Authenticate against the store; raises LoginFailed (failures recorded, tries slowed by source). A sign-in
    is an event (80); a password typed again to confirm an action (`sign_in` False) is not, but its failure is."""
    now = now or datetime.now()
    source = login_source()
    with store.transaction() as con:
        here, account = held_until(con, source, now), held_until(con, login_key(login), now)
        if here or account:
            until = max(filter(None, (here, account)))
            said = held_message(until, now)
            if account and (not here or account >= here):
                said = said.replace("depuis ce poste", f"pour l'identifiant {login}, depuis plusieurs postes")
            refused = LoginFailed(login, said, held=True)
        else:
            user = check_credentials(con, login, password)
            if user:
                con.execute("DELETE FROM essai_echec WHERE source IN (?, ?)", [source, login_key(login)])
                if sign_in:
                    record_event(con, 80, caisse=caisse, login=login, detail="identification", now=now)
                return user
            record_failure(con, login, source, now, caisse)
            refused = LoginFailed(login)
    raise refused


def held_sources(store: Store, now: datetime | None = None) -> list[tuple[str, int, datetime, datetime | None]]:
    """(source, failures in a row, last failure, waiting until) of the places whose tries are being slowed."""
    now = now or datetime.now()
    with store.connect() as con:
        return con.execute("SELECT source, echecs, dernier, attente_jusqu FROM essai_echec WHERE echecs >= CASE WHEN "
                           "starts_with(source, 'identifiant ') THEN ? ELSE ? END AND dernier > ? "
                           "ORDER BY dernier DESC", [LOGIN_FREE_TRIES, FREE_TRIES, now - FAILURE_MEMORY]).fetchall()


def release_source(store: Store, user: User, source: str, now: datetime | None = None) -> None:
    """A manager lets a place try again at once (recorded: event 87)."""
    with store.transaction() as con:
        require_now(con, user, "BACKOFFICE")
        con.execute("DELETE FROM essai_echec WHERE source = ?", [source])
        record_event(con, 87, login=user.login, detail=f"essais débloqués depuis {source}", now=now)


def require_now(con: duckdb.DuckDBPyConnection, user: User, right: str, *others: str) -> None:
    """Check `right` (or any of `others`) against the store as it is now (rights may have been re-imported
    since the login)."""
    wanted = [right, *others]
    rows = con.execute("""
        SELECT count(*) FROM t_utilisateur u
        JOIN tr_groupe_droit g ON g.id_utilisateur_groupe = u.id_utilisateur_groupe AND g.autorise
        JOIN tr_fonctionnalite f ON f.id_fonctionnalite = g.id_fonctionnalite
        WHERE u.id_utilisateur = ? AND list_contains(?, f.code) AND coalesce(u.actif, true)""",
                       [user.id_utilisateur, wanted])
    if rows.fetchall()[0][0] == 0:
        raise RightMissing(user.login, right, RIGHT_WORDS.get(right, right))


def rights_of(con: duckdb.DuckDBPyConnection, login: str) -> frozenset[str]:
    """The rights of a login (not secret: the opening screen shows the restricted layout from them)."""
    return frozenset(r[0] for r in con.execute("""
        SELECT DISTINCT f.code FROM t_utilisateur u
        JOIN tr_groupe_droit g ON g.id_utilisateur_groupe = u.id_utilisateur_groupe AND g.autorise
        JOIN tr_fonctionnalite f ON f.id_fonctionnalite = g.id_fonctionnalite
        WHERE u.login = ? AND coalesce(u.actif, true)""", [login]).fetchall())
