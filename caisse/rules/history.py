"""The history of sync runs and their logs (`caisse status`, `caisse log`, the Synchronisation page)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from caisse.common.errors import CaisseError
from caisse.common.money import plural


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


RUN_WORDS = {"reussi": "réussi", "echec": "échec", "rien": "rien de neuf"}  # a run's outcome, as people read it

Log = Callable[[str], None]
_PAUSE_AT = os.environ.get("CAISSE_TEST_PAUSE_AT", "")


def crash_point(message: str) -> None:
    """A place where the crash tests kill the process (CAISSE_TEST_PAUSE_AT, set only by them): the message is
    written on stdout, then the process waits to be killed."""
    if _PAUSE_AT and _PAUSE_AT in message:
        print(message, flush=True)
        time.sleep(3600)


def new_run_id(sens: str, caisse: str, now: datetime) -> str:
    return f"{now:%Y%m%d-%H%M%S-%f}"[:-3] + f"-{sens}-{caisse}"


class RunLog:
    """The log of one sync run: shown live through `echo`, appended to a file, then saved in the store."""

    def __init__(self, folder: Path, id_run: str, echo: Log | None = None):
        self.path = folder / f"{id_run}.log"
        self.lines: list[tuple[datetime, str]] = []
        self.echo = echo
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a", encoding="utf-8")
        except OSError:  # a full disk: the lines still reach the screen and the store
            self._file = None

    def __call__(self, message: str) -> None:
        now = datetime.now()
        self.lines.append((now, message))
        if self._file is not None:
            try:
                self._file.write(f"{now:%Y-%m-%d %H:%M:%S} {message}\n")
                self._file.flush()
            except OSError:  # a full disk: the lines still reach the screen and the store
                self._close_file()
        if self.echo:
            self.echo(message)
        if _PAUSE_AT and _PAUSE_AT in message:  # a crash point, switched on only by the crash tests
            sys.stdout.flush()
            time.sleep(3600)

    def close(self) -> None:
        self._close_file()

    def _close_file(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            try:
                file.close()
            except OSError:
                pass


def record_run(con, sens, id_run, lot, caisse, login, host, debut, statut, message, fichiers, lignes,
               files=()) -> None:
    con.execute("INSERT INTO sync_run (id_run, sens, lot, caisse, login, hote, debut, fin, statut, message, fichiers, "
                "lignes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [id_run, sens, lot, caisse, login, host, debut, datetime.now(), statut, message, fichiers, lignes])
    if files:  # DuckDB refuses executemany with no rows
        con.executemany("INSERT INTO sync_fichier (id_run, nom, table_name, lignes, sha256)"
                        " VALUES (?, ?, ?, ?, ?)", [(id_run, *f) for f in files])


def save_log(con, id_run: str, log: RunLog) -> None:
    if log.lines:
        con.executemany("INSERT INTO sync_log (id_run, seq, ts, message) VALUES (?, ?, ?, ?)",
                        [(id_run, i, ts, message) for i, (ts, message) in enumerate(log.lines, 1)])


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
        runs = last_runs(con, limit)
        lines: dict[str, list] = {run.id_run: [] for run in runs}
        for id_run, ts, message in con.execute(
                "SELECT id_run, ts, message FROM sync_log WHERE list_contains(?, id_run) ORDER BY id_run, seq",
                [list(lines)]).fetchall():
            lines[id_run].append((ts, message))
    return [(run, lines[run.id_run]) for run in runs]


def outcome(run: SyncRun) -> str:
    """A run's result in a sentence, for the screens."""
    what = "Import" if run.sens == "import" else "Export"
    if run.statut == "reussi":
        return (f"{what} réussi : lot {run.lot}, {plural(run.fichiers or 0, 'fichier')}, "
                f"{plural(run.lignes or 0, 'ligne')}.")
    if run.statut == "rien":
        return f"Rien de neuf à importer : {run.message}"
    return f"{what} non effectué : {run.message}"
