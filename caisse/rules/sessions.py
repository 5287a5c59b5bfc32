"""Who is signed in, held server-side (DESIGN section 14): a browser keeps only an opaque token (a cookie),
the store keeps its hash with the user, the register, the seller's connection and the ticket being rung.

A refresh, a second tab or a tablet waking up finds the same seller on the same ticket without a password
within the idle timeout; after it, the seller's password (or PIN) brings the same ticket back. A session
ends at sign-out and at the closing of its day; a copied Streamlit session id without the token carries
nothing. The token is never logged, never stored in clear.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from caisse.common.errors import CaisseError, LoginFailed
from caisse.rules.auth import User, login, user_by_id
from caisse.storage.store import Store
from pipeline.passwords import check_hash


class SessionExpired(CaisseError):
    """The session is still there, but idle for too long: the seller's password (or PIN) resumes it."""

    def __init__(self, session: Session, minutes: int):
        self.session = session
        super().__init__(f"{session.user.display}, votre session est en pause après {minutes} minutes sans activité : "
                         "saisissez votre mot de passe (ou votre code) pour reprendre votre ticket.")


@dataclass
class Session:
    jeton: str  # the sha256 of the browser's token (the token itself is never stored)
    user: User
    caisse: str | None
    id_connexion: str | None
    id_ticket: str | None
    dernier_ticket: str | None  # the last ticket validated: its confirmation shows until the next scan
    vu: datetime


TOUCH = timedelta(seconds=20)  # how stale the last-seen time may get (the idle timeout is in minutes)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(store: Store, user: User, caisse: str | None = None, id_connexion: str | None = None,
                 now: datetime | None = None) -> str:
    """A new session for a signed-in user; the token to give the browser (and only the browser)."""
    now = now or datetime.now()
    token = secrets.token_urlsafe(32)
    with store.transaction() as con:
        con.execute("INSERT INTO session_caisse (jeton, id_utilisateur, caisse, id_connexion, debut, vu)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    [_hash(token), user.id_utilisateur, caisse, id_connexion, now, now])
    return token


def holds(store: Store, token: str | None) -> bool:
    """Whether `store` holds a session of this token that has not ended."""
    if not token or not store.path.exists():
        return False
    with store.connect() as con:
        return bool(con.execute("SELECT count(*) FROM session_caisse WHERE jeton = ? AND fin IS NULL",
                                [_hash(token)]).fetchall()[0][0])


def end_all(store: Store, reason: str, now: datetime | None = None) -> int:
    """End every open session of `store` (a training home left: nobody goes on in it); how many."""
    with store.transaction() as con:
        ended = con.execute("SELECT count(*) FROM session_caisse WHERE fin IS NULL").fetchall()[0][0]
        con.execute("UPDATE session_caisse SET fin = ?, motif_fin = ? WHERE fin IS NULL", [now or datetime.now(),
                                                                                           reason])
    return ended


def resume(store: Store, token: str | None, idle: timedelta, now: datetime | None = None) -> Session | None:
    """The session of a token (None: no token, unknown, or ended); SessionExpired after `idle`. It is touched
    when last seen more than TOUCH ago: a rerun of the sale screen reads, and writes once in a while."""
    if not token:
        return None
    now = now or datetime.now()
    with store.connect() as con:
        rows = con.execute("SELECT jeton, id_utilisateur, caisse, id_connexion, id_ticket, dernier_ticket, vu, fin "
                           "FROM session_caisse WHERE jeton = ?", [_hash(token)]).fetchall()
        if not rows or rows[0][7] is not None:
            return None
        jeton, id_user, caisse, id_connexion, id_ticket, last, seen, _ = rows[0]
        user = user_by_id(con, id_user)
    if user is None:  # no longer an active user (an import removed them)
        with store.transaction() as con:
            con.execute("UPDATE session_caisse SET fin = ?, motif_fin = 'utilisateur inactif' WHERE jeton = ?",
                        [now, jeton])
        return None
    session = Session(jeton, user, caisse, id_connexion, id_ticket, last, seen)
    if now - seen > idle:
        raise SessionExpired(session, int(idle.total_seconds() // 60))
    if now - seen > TOUCH or now < seen:
        with store.transaction() as con:
            con.execute("UPDATE session_caisse SET vu = ? WHERE jeton = ?", [now, jeton])
        session.vu = now
    return session


def unlock(store: Store, token: str, secret: str, now: datetime | None = None) -> Session:
    """Resume an idle session with the seller's password or PIN (a failure counts like a failed login)."""
    now = now or datetime.now()
    with store.connect() as con:
        rows = con.execute("SELECT s.id_utilisateur, u.login, u.pin FROM session_caisse s JOIN t_utilisateur u "
                           "USING (id_utilisateur) WHERE s.jeton = ? AND s.fin IS NULL", [_hash(token)]).fetchall()
    if not rows:
        raise LoginFailed("", "Cette session est terminée : identifiez-vous à nouveau sur l'écran Ouverture.")
    _, login_name, pin = rows[0]
    if not (pin and check_hash(secret, pin)):
        login(store, login_name, secret, now=now)  # the password; failures and lockouts recorded
    with store.transaction() as con:
        con.execute("UPDATE session_caisse SET vu = ? WHERE jeton = ?", [now, _hash(token)])
    return resume(store, token, timedelta(days=1), now)


def attach_ticket(store: Store, session: Session, id_ticket: str | None, validated: str | None = None) -> None:
    """The draft the session is ringing (None: none), and the last ticket it validated."""
    with store.transaction() as con:
        con.execute("UPDATE session_caisse SET id_ticket = ?, dernier_ticket = coalesce(?, dernier_ticket) "
                    "WHERE jeton = ?", [id_ticket, validated, session.jeton])
    session.id_ticket = id_ticket
    if validated:
        session.dernier_ticket = validated


def clear_confirmation(store: Store, session: Session) -> None:
    with store.transaction() as con:
        con.execute("UPDATE session_caisse SET dernier_ticket = NULL WHERE jeton = ?", [session.jeton])
    session.dernier_ticket = None


def close_session(store: Store, token: str | None, reason: str = "déconnexion", now: datetime | None = None) -> None:
    if not token:
        return
    with store.transaction() as con:
        con.execute("UPDATE session_caisse SET fin = ?, motif_fin = ? WHERE jeton = ? AND fin IS NULL",
                    [now or datetime.now(), reason, _hash(token)])


def end_sessions_of_day(con, id_journee: str, now: datetime) -> None:
    """At the closing: every session bound to a seller's connection of that day ends."""
    con.execute("UPDATE session_caisse SET fin = ?, motif_fin = 'fermeture de la caisse' WHERE fin IS NULL AND "
                "id_connexion IN (SELECT id_connexion FROM connexion WHERE id_journee = ?)", [now, id_journee])
