"""The history of sync runs and their logs (`caisse status`, `caisse log`, the Synchronisation page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from .errors import CaisseError


@dataclass(frozen=True)
class SyncRun:
    id_run: str
    sens: str
    lot: str
    caisse: str
    login: str
    hote: str
    debut: datetime
    fin: datetime
    statut: str
    message: str
    fichiers: int
    lignes: int


_COLUMNS = "id_run, sens, lot, caisse, login, hote, debut, fin, statut, message, fichiers, lignes"


def last_runs(con: duckdb.DuckDBPyConnection, limit: int = 10) -> list[SyncRun]:
    rows = con.execute(f"SELECT {_COLUMNS} FROM sync_run ORDER BY debut DESC LIMIT {int(limit)}").fetchall()
    return [SyncRun(*r) for r in rows]


def run_log(con: duckdb.DuckDBPyConnection, key: str) -> tuple[SyncRun, list[tuple[datetime, str]]]:
    """A run (by its id or its lot, the latest if several) and its whole log."""
    rows = con.execute(f"SELECT {_COLUMNS} FROM sync_run WHERE id_run = ? OR lot = ? ORDER BY debut DESC LIMIT 1",
                       [key, key]).fetchall()
    if not rows:
        raise CaisseError(f"Aucun échange « {key} » dans l'historique : « caisse status » liste les derniers.")
    run = SyncRun(*rows[0])
    lines = con.execute("SELECT ts, message FROM sync_log WHERE id_run = ? ORDER BY seq", [run.id_run]).fetchall()
    return run, lines


def read_history(store, limit: int = 20) -> list[tuple[SyncRun, list[tuple[datetime, str]]]]:
    """The last runs, each with its whole log, in one unit of work (the Synchronisation page)."""
    with store.connect() as con:
        return [run_log(con, run.id_run) for run in last_runs(con, limit)]
