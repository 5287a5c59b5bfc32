"""A register's state, derived from the store every time (DESIGN section 4), and the import rule."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from caisse.common.errors import BadArgument
from caisse.rules.auth import rights_of
from caisse.storage.store import Store
from pipeline import PipelineError
from pipeline.contracts import CORE_TABLES
from pipeline.names import check_identifier

A_IMPORTER = "a_importer"
PRETE = "prete"
OUVERTE = "ouverte"
A_EXPORTER = "a_exporter"
ECHEC_EXPORT = "echec_export"

STATE_WORDS = {
    A_IMPORTER: "Fermée, en attente d'import",
    PRETE: "Fermée, données importées",
    OUVERTE: "Ouverte",
    A_EXPORTER: "Fermée, en attente d'export",
    ECHEC_EXPORT: "Fermée, l'export a échoué (à réessayer)",
}


@dataclass(frozen=True)
class RegisterState:
    id_caisse: int
    code: str
    libelle: str
    etat: str
    jours_a_exporter: int

    @property
    def etat_libelle(self) -> str:
        return STATE_WORDS[self.etat]


def valid_code(code: str) -> str:
    """A register code safe to use in names (it ends up in file paths); BadArgument otherwise."""
    try:
        return check_identifier(code, "le code de caisse")
    except PipelineError as e:
        raise BadArgument(e.message) from None


_CORE_FILLED = " AND ".join(f"EXISTS (SELECT 1 FROM {t})" for t in CORE_TABLES)
_STATES_SQL = """
WITH last_import AS (
    SELECT caisse, fin FROM sync_run WHERE sens = 'import' AND statut = 'reussi'
    ORDER BY fin DESC LIMIT 1),
exports AS (
    SELECT caisse,
           max(fin) FILTER (WHERE statut = 'reussi') AS last_ok,
           max(fin) FILTER (WHERE statut = 'echec') AS last_failed
    FROM sync_run WHERE sens = 'export' GROUP BY caisse),
days AS (
    SELECT id_caisse,
           count(*) FILTER (WHERE date_fermeture IS NULL) AS ouvertes,
           count(*) FILTER (WHERE date_fermeture IS NOT NULL
                            AND id_journee NOT IN (SELECT id_journee FROM lot_envoye)) AS a_exporter
    FROM t_journee GROUP BY id_caisse)
SELECT c.id_caisse, c.code, coalesce(c.libelle, c.code),
       CASE
         WHEN coalesce(d.ouvertes, 0) > 0 THEN 'ouverte'
         WHEN coalesce(d.a_exporter, 0) > 0 AND e.last_failed IS NOT NULL
              AND (e.last_ok IS NULL OR e.last_failed > e.last_ok) THEN 'echec_export'
         WHEN coalesce(d.a_exporter, 0) > 0 THEN 'a_exporter'
         WHEN li.caisse = c.code AND (e.last_ok IS NULL OR e.last_ok < li.fin) AND core.filled THEN 'prete'
         ELSE 'a_importer'
       END,
       coalesce(d.a_exporter, 0)
FROM t_caisse c
LEFT JOIN days d ON d.id_caisse = c.id_caisse
LEFT JOIN exports e ON e.caisse = c.code
LEFT JOIN last_import li ON true
CROSS JOIN (SELECT CORE_FILLED AS filled) core
WHERE coalesce(c.actif, true)
ORDER BY c.code
""".replace("CORE_FILLED", _CORE_FILLED)


def register_states(con: duckdb.DuckDBPyConnection) -> list[RegisterState]:
    """Every active register of the store with its state."""
    return [RegisterState(*row) for row in con.execute(_STATES_SQL).fetchall()]


def register_states_of(store) -> list[RegisterState]:
    with store.connect() as con:
        return register_states(con)


def register_state(con: duckdb.DuckDBPyConnection, code: str) -> RegisterState | None:
    return next((s for s in register_states(con) if s.code == code), None)


def import_blocker(con: duckdb.DuckDBPyConnection) -> str | None:
    """Why an import is not possible now (seed 001), or None when it is."""
    states = register_states(con)
    open_ = [s.code for s in states if s.etat == OUVERTE]
    if open_:
        return (f"la caisse {', '.join(open_)} est ouverte. Fermez-la avant d'importer "
                "(une fois la caisse ouverte, il n'est plus possible d'importer les données).")
    waiting = [s.code for s in states if s.etat in (A_EXPORTER, ECHEC_EXPORT)]
    if waiting:
        return (f"les journées de la caisse {', '.join(waiting)} n'ont pas été exportées. "
                "Exportez-les d'abord (le bouton Importer reste grisé tant que l'export n'est pas fait).")
    return None


@dataclass(frozen=True)
class Overview:
    """What the opening screen shows: every register's state, why import is blocked, who may log in."""

    caisses: list[RegisterState]
    import_blocker: str | None
    logins: list[str]
    rights: dict[str, frozenset[str]]


def overview(con: duckdb.DuckDBPyConnection) -> Overview:
    logins = [r[0] for r in con.execute(
        "SELECT login FROM t_utilisateur WHERE coalesce(actif, true) ORDER BY login").fetchall()]
    return Overview(register_states(con), import_blocker(con), logins, {login: rights_of(con, login)
                                                                         for login in logins})


def read_overview(store) -> Overview:
    """The opening screen's data in one unit of work."""
    with store.connect() as con:
        return overview(con)


@dataclass(frozen=True)
class Actions:
    """The opening screen's buttons for one register, as seed 001 enables them (a courtesy: every action
    checks its rule again in caisse/), and why Ouvrir or Exporter is greyed, in a sentence."""

    importer: bool
    ouvrir: bool
    exporter: bool
    connecter: bool
    fermer: bool
    montant: bool
    pourquoi_ouvrir: str | None = None
    pourquoi_exporter: str | None = None


def allowed_actions(view: Overview, code: str, mode: str) -> Actions:
    states = {s.code: s.etat for s in view.caisses}
    mine = states.get(code, A_IMPORTER)
    busy = [c for c, etat in states.items() if c != code and etat in (OUVERTE, A_EXPORTER, ECHEC_EXPORT)]
    ready = mine in (PRETE, A_EXPORTER, ECHEC_EXPORT) or (mode == "auto" and mine == A_IMPORTER)
    can_open = ready and not busy
    why_open = None
    if mine == OUVERTE:
        why_open = f"la caisse {code} est déjà ouverte."
    elif busy:
        waiting = [c for c in busy if states[c] != OUVERTE]
        why_open = (f"la caisse {', '.join(c for c in busy if states[c] == OUVERTE) or ', '.join(busy)} "
                    + ("est ouverte" if not waiting else "attend l'export de ses journées")
                    + " : une seule caisse à la fois, "
                    + ("fermez-la d'abord." if not waiting else "exportez-les d'abord."))
    elif not ready:
        why_open = f"importez d'abord les données de la caisse {code}."
    exporter = mode == "manual" and mine in (A_EXPORTER, ECHEC_EXPORT)
    why_export = None
    if mode == "manual" and not exporter:
        why_export = (f"la caisse {code} est ouverte : fermez-la avant d'exporter." if mine == OUVERTE else
                      f"aucune journée fermée de la caisse {code} n'attend l'export.")
    return Actions(importer=mode == "manual" and view.import_blocker is None, ouvrir=can_open, exporter=exporter,
                   connecter=mine == OUVERTE, fermer=mine == OUVERTE, montant=can_open, pourquoi_ouvrir=why_open,
                   pourquoi_exporter=why_export)


# A register is in training when the last of its signed switches (events 200 and 205 of the real journal, each
# with its link) says so: no table row written behind the program's back can switch it (R26).
_SWITCHES = """SELECT c.code, arg_max(j.code, m.numero) = 200 FROM jet j
    JOIN maillon m ON m.id_caisse = j.id_caisse AND m.chaine = 'jet' AND m.ref = j.id_evenement
    JOIN t_caisse c ON c.id_caisse = j.id_caisse WHERE j.code IN (200, 205) {where} GROUP BY c.code"""


def training_on(con, caisse: str) -> bool:
    rows = con.execute(_SWITCHES.format(where="AND c.code = ?"), [caisse]).fetchall()
    return bool(rows and rows[0][1])


def in_training(store: Store, caisse: str) -> bool:
    if not store.path.exists():
        return False
    with store.connect() as con:
        return training_on(con, caisse)


def trained(store: Store) -> set[str]:
    """The registers in training now (for the screens and `status`)."""
    with store.connect() as con:
        return {code for code, on in con.execute(_SWITCHES.format(where="")).fetchall() if on}
