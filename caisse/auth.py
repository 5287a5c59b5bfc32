"""Users and rights from the imported tables; PBKDF2 passwords; lockout after repeated failures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

from pipeline.passwords import check_hash

from .errors import LoginFailed, RightMissing
from .fiscal.jet import record_event
from .store import Store

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=5)

RIGHT_WORDS = {
    "CAISSE_IMPORTER": "importer les données", "CAISSE_OUVRIR": "ouvrir la caisse",
    "CAISSE_VENDRE": "vendre", "CAISSE_FERMER": "fermer la caisse",
    "CAISSE_FORCER_FERMETURE": "forcer la fermeture", "CAISSE_VALIDER_ECART": "valider un écart",
    "CAISSE_EXPORTER": "exporter les données", "CAISSE_MOUVEMENT": "faire un mouvement d'espèces",
    "CAISSE_ANNULER": "annuler un ticket", "BACKOFFICE": "consulter le back-office",
    "CAISSE_RETOUR": "reprendre des articles vendus", "CAISSE_RETOUR_LIBRE": "reprendre des articles sans ticket",
    "CAISSE_TIROIR": "ouvrir le tiroir hors vente",
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


def locked_until(con: duckdb.DuckDBPyConnection, login: str, now: datetime) -> datetime | None:
    rows = con.execute("SELECT verrouille_jusqu FROM login_echec WHERE login = ?", [login]).fetchall()
    if rows and rows[0][0] and rows[0][0] > now:
        return rows[0][0]
    return None


def record_failure(con: duckdb.DuckDBPyConnection, login: str, now: datetime, caisse: str | None = None) -> None:
    """Count a failed login; the fifth in a row locks the account for LOCKOUT. Both are audited."""
    rows = con.execute("SELECT echecs FROM login_echec WHERE login = ?", [login]).fetchall()
    failures = (rows[0][0] if rows else 0) + 1
    until = now + LOCKOUT if failures >= MAX_FAILURES else None
    con.execute("INSERT OR REPLACE INTO login_echec VALUES (?, ?, ?)",
                [login, 0 if until else failures, until])
    record_event(con, 85, caisse=caisse, login=login, detail=f"échec n°{failures}", now=now)
    if until:
        record_event(con, 86, caisse=caisse, login=login,
                     detail=f"{MAX_FAILURES} échecs : verrouillé jusqu'à {until:%H:%M:%S}", now=now)


def locked_message(login: str, until: datetime) -> str:
    return (f"Le compte {login} est verrouillé jusqu'à {until:%H:%M} après {MAX_FAILURES} mots de passe "
            "erronés. Réessayez plus tard ou demandez à un responsable.")


def login(store: Store, login: str, password: str, *, caisse: str | None = None,
          now: datetime | None = None) -> User:
    """Authenticate against the store; raises LoginFailed (failures and lockouts are recorded)."""
    now = now or datetime.now()
    with store.transaction() as con:
        until = locked_until(con, login, now)
        if until:
            record_event(con, 85, caisse=caisse, login=login, detail="compte verrouillé", now=now)
            refused = LoginFailed(login, locked_message(login, until))
        else:
            user = check_credentials(con, login, password)
            if user:
                con.execute("DELETE FROM login_echec WHERE login = ?", [login])
                record_event(con, 80, caisse=caisse, login=login, detail="identification", now=now)
                return user
            record_failure(con, login, now, caisse)
            until = locked_until(con, login, now)
            refused = LoginFailed(login, locked_message(login, until)) if until else LoginFailed(login)
    raise refused


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
