"""The store file's connection in this process: one DuckDB instance per file, shared by every unit of work
through cursors, opened on this process's turn at the file (caisse.storage.turns) and closed when it should let another
process have it."""

from __future__ import annotations

import atexit
import threading
import time
from pathlib import Path

import duckdb

from caisse.storage import turns


class Database:
    """One open DuckDB instance per file and process, shared by every unit of work through cursors.

    The process opens the file on its turn (caisse.storage.turns: processes take the file in the order they asked
    for it) and keeps it `LINGER` seconds after its last unit, so that consecutive units (a seller's tickets)
    skip the cost of opening it, unless another process waits: then the units in progress finish, the file is
    closed at once, and this process's next unit queues behind the waiting one. A unit started in a thread that
    already holds a cursor never waits (it would wait for itself)."""

    LINGER = 0.5

    def __init__(self, path: Path):
        self.path = path
        self.writer = threading.RLock()  # write units are serialised within the process
        self.lock = threading.Condition()
        self.con: duckdb.DuckDBPyConnection | None = None
        self.turn: turns.Turn | None = None
        self.users = 0
        self.draining = False  # another process waits: no new unit joins, the file closes when the last ends
        self.broken = False  # a write failed for lack of space: the file is closed and opened again
        self.held = threading.local()  # cursors the current thread holds
        self.last_used = 0.0
        self.timer_pending = False  # at most one idle timer per database, not one thread per unit

    def acquire(self, opener, timeout: float) -> duckdb.DuckDBPyConnection:
        nested = getattr(self.held, "count", 0) > 0
        with self.lock:
            while not nested:
                if self.con is not None and not self.draining and self.turn.others_waiting():
                    self.draining = True
                if not self.draining:
                    break
                if self.users == 0:
                    self._close()
                else:
                    self.lock.wait()
            if self.con is None:
                turn = turns.take(self.path, timeout)
                try:
                    self.con = opener()
                except BaseException:
                    turn.leave()
                    raise
                self.turn = turn
            self.users += 1
            self.held.count = getattr(self.held, "count", 0) + 1
            return self.con.cursor()

    def release(self, cursor) -> None:
        cursor.close()
        with self.lock:
            self.users -= 1
            self.held.count -= 1
            self.last_used = time.monotonic()
            if self.users == 0 and self.con is not None:
                if self.draining or self.broken or self.turn.others_waiting():
                    self._close()
                elif not self.timer_pending:
                    self._schedule(self.LINGER)

    def _close(self) -> None:
        """Close the file and give the turn back (the lock held, no unit in progress)."""
        try:
            if self.con is not None:
                self.con.close()
        finally:
            self.con = None
            if self.turn is not None:
                self.turn.leave()
                self.turn = None
            self.draining = self.broken = False
            self.lock.notify_all()

    def _schedule(self, delay: float) -> None:
        self.timer_pending = True
        timer = threading.Timer(delay, self._close_if_idle)
        timer.daemon = True
        timer.start()

    def _close_if_idle(self) -> None:
        with self.lock:
            self.timer_pending = False
            if self.con is None:
                return
            idle = time.monotonic() - self.last_used
            if self.users == 0 and idle >= self.LINGER:
                self._close()
            elif self.users == 0:
                self._schedule(self.LINGER - idle)  # used again meanwhile: wait out the rest

    def close_now(self) -> None:
        with self.lock:
            if self.users == 0 and self.con is not None:
                self._close()


_DATABASES: dict[Path, Database] = {}
_DATABASES_LOCK = threading.Lock()


@atexit.register
def _close_all() -> None:
    for db in list(_DATABASES.values()):
        db.close_now()


def database(path: Path) -> Database:
    with _DATABASES_LOCK:
        return _DATABASES.setdefault(path.resolve(), Database(path.resolve()))
