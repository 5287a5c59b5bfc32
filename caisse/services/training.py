"""Training mode (R26): a register switched to training sells, opens and closes in a store of its own.

`CAISSE_HOME/formation/<CODE>/` is a whole home: its store (the reference data copied from the real one when
training starts: registers, users and rights, payment methods, articles...), its integrity key and chains, its
archived documents. So training tickets have their own numbering and chains, and nothing of them can reach the
real closings, perpetual totals, reconciliation or exports: they are not in the real store at all. Every
document printed there says MODE FORMATION, nothing is imported nor exported there, and entering and leaving
are events of the real JET (200, 205) as of the training one, with the operator.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from caisse.common.config import Settings
from caisse.common.errors import CaisseError
from caisse.fiscal.jet import record_event
from caisse.rules.auth import User, require_now
from caisse.rules.lifecycle import OUVERTE, in_training, register_state, trained, training_on
from caisse.rules.sessions import end_all, holds
from caisse.services.home import initialise, open_store
from caisse.storage.store import Store, new_id, scalar
from caisse.storage.turns import import_under_way
from pipeline import CONTRACTS
from pipeline.contracts import IMPORTED

RIGHT = "BACKOFFICE"
# What a training store copies from the real one: the main server's reference data, not the register's own
# records nor what a register shares with the main server (cash book, credit notes used).
_NOT_COPIED = {"t_livre_de_caisse", "t_avoir_utilise"}


def training_settings(settings: Settings, caisse: str) -> Settings:
    return dataclasses.replace(settings, home=settings.home / "formation" / caisse, mode="manual", formation=True,
                               drop=(settings.home / "formation" / caisse / "aucun-serveur").as_uri())


def settings_for(settings: Settings, caisse: str | None) -> Settings:
    """The settings a command on `caisse` works with: the training home's while the register is in training."""
    if caisse and not settings.formation:
        if in_training(open_store(settings), caisse):
            return training_settings(settings, caisse)
    return settings


def session_home(real: Store, settings: Settings, token: str | None) -> str | None:
    """The register whose training home holds this browser's session, or None (the real home, or nobody).
    Read from the session rows and from which registers are in training now, never from what the browser sends:
    a session of a register no longer in training is nobody's."""
    if not token or holds(real, token):
        return None
    for code in sorted(trained(real)):
        if holds(open_store(training_settings(settings, code)), token):
            return code
    return None


def switch(store: Store, settings: Settings, caisse: str, user: User, on: bool, now: datetime | None = None) -> str:
    """Enter or leave training on `caisse`; the sentence that says what was done."""
    now = now or datetime.now()
    with store.connect() as con:
        require_now(con, user, RIGHT)
        state = register_state(con, caisse)
        if state is None:
            raise CaisseError(f"La caisse {caisse} n'existe pas.")
        current = training_on(con, caisse)
    training = training_settings(settings, caisse)
    if on == current:
        return f"La caisse {caisse} est déjà {'en mode formation' if on else 'en mode réel'}."
    if on:
        if state.etat == OUVERTE:
            raise CaisseError(f"La caisse {caisse} a une journée réelle ouverte : fermez-la avant de passer en mode "
                              "formation (les ventes réelles et de formation ne se mélangent jamais).")
        initialise(training)
        _copy_reference(store, open_store(training), caisse, now)
    else:
        with open_store(training).connect() as con:
            if scalar(con, "SELECT count(*) FROM t_journee j JOIN t_caisse c USING (id_caisse) WHERE c.code = ? AND "
                           "j.date_fermeture IS NULL", [caisse]):
                raise CaisseError(f"La journée de formation de la caisse {caisse} est encore ouverte : fermez-la avant "
                                  "de revenir au mode réel.")
    code, words = (200, "entrée en mode formation") if on else (205, "retour au mode réel")
    with store.transaction() as con:
        if on and register_state(con, caisse).etat == OUVERTE:  # opened while the copy was made
            raise CaisseError(f"La caisse {caisse} vient d'être ouverte en mode réel : fermez-la avant de passer en "
                              "mode formation.")
        if on and import_under_way(store.path):
            raise CaisseError(f"Un import des données est en cours : attendez qu'il se termine avant de passer la "
                              f"caisse {caisse} en mode formation.")
        con.execute("INSERT INTO mode_formation (caisse, actif, ts, id_utilisateur) VALUES (?, ?, ?, ?)",
                    [caisse, on, now, user.id_utilisateur])
        record_event(con, code, caisse=caisse, login=user.login, detail=words, now=now)
    with open_store(training).transaction() as con:
        record_event(con, code, caisse=caisse, login=user.login, detail=words, now=now)
    if not on:  # nobody goes on selling in a home that is left
        end_all(open_store(training), "retour au mode réel", now)
    if on:
        return (f"La caisse {caisse} est en mode formation : ses tickets ont leur propre numérotation, portent « MODE "
                "FORMATION » et ne comptent nulle part (clôtures, totaux, rapprochement, export).")
    return f"La caisse {caisse} est revenue au mode réel."


def _copy_reference(real: Store, training: Store, caisse: str, now: datetime) -> None:
    """The real store's reference data into the training store, replacing what an earlier training had."""
    tables = [name for name, c in CONTRACTS.items() if c.role == IMPORTED and name not in _NOT_COPIED]
    data = {}
    with real.connect() as con:
        for table in tables:
            data[table] = con.sql(f"SELECT * FROM {table}").to_arrow_table()
    with training.transaction() as con:
        for table, rows in data.items():
            columns = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
            wanted = [c for c in rows.column_names if c in columns]
            con.register("copie", rows.select(wanted))
            con.execute(f"DELETE FROM {table}")
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM copie")
            con.unregister("copie")
        con.execute("INSERT INTO sync_run (id_run, sens, lot, caisse, debut, fin, statut, message, fichiers) "
                    "VALUES (?, 'import', 'formation', ?, ?, ?, 'reussi', ?, ?)",
                    [new_id(), caisse, now, now, "données copiées de la base réelle pour le mode formation",
                     len(data)])
