"""Turns at the store file: the processes that want the DuckDB file (the app, each CLI command) take it in
the order they asked for it.

DuckDB lets one process at a time open a file for writing, and its own lock is no queue: a process that
finds the file taken can only retry, and a busy app that reopens the file at once keeps winning. So each
process takes a numbered turn before it opens the file and gives it back when it closes it:

- the queue is a folder beside the store (`caisse.duckdb.file-attente/`), one file per process in it,
  named by its number (`000000000042.<pid>`), the number taken from a counter under an exclusive lock;
- a process holds an exclusive `flock` on its own file for as long as it waits or holds the store, so a
  file whose lock can be taken belongs to a process that died: the next waiter removes it;
- the first living number is the one whose turn it is; the holder sees that others wait (more than one file)
  and closes the store after its units in progress instead of lingering, then queues again behind them.

Files are created and locked under a temporary name and renamed into the queue while the counter is held,
so the queue's files appear in the order of their numbers and nobody sees a half-made place."""

from __future__ import annotations

import fcntl
import os
import re
import time
from pathlib import Path

from caisse.common.errors import CaisseError, StoreBusy
from pipeline.names import ascii_digits

COUNTER = "compteur"
POLL = (0.002, 0.02)  # first and longest pause between two looks at the queue, in seconds
PLACE = re.compile(r"(\d{12})\.(\d+)")  # a place's name: its number, then its process's id


def queue_folder(store_path: Path) -> Path:
    return store_path.with_name(store_path.name + ".file-attente")


class Turn:
    """One process's place in the queue of a store file, from asking for the file to closing it."""

    def __init__(self, folder: Path, number: int, path: Path, fd: int):
        self.folder, self.number, self.path, self.fd = folder, number, path, fd

    def others_waiting(self) -> bool:
        """Whether another place is in the queue (a place left by a dead process counts until a waiter
        removes it: the holder then only closes early, which is harmless)."""
        try:
            with os.scandir(self.folder) as entries:
                return sum(1 for e in entries if PLACE.fullmatch(e.name)) > 1
        except OSError:
            return False

    def leave(self) -> None:
        if self.fd < 0:
            return
        try:
            self.path.unlink(missing_ok=True)
        finally:
            os.close(self.fd)  # releases the flock
            self.fd = -1


def take(store_path: Path, timeout: float) -> Turn:
    """Queue for the store file and return when it is this process's turn; StoreBusy after `timeout`
    seconds (the place is given back)."""
    folder = queue_folder(store_path)
    folder.mkdir(mode=0o700, exist_ok=True)
    turn = _join(folder)
    deadline = time.monotonic() + timeout
    pause = POLL[0]
    try:
        while True:
            first, holder = _first_alive(folder, turn)
            if first == turn.number:
                return turn
            if time.monotonic() >= deadline:
                raise StoreBusy(store_path, timeout, holder)
            time.sleep(pause)
            pause = min(pause * 2, POLL[1])
    except BaseException:
        turn.leave()
        raise


def _join(folder: Path) -> Turn:
    counter = os.open(folder / COUNTER, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(counter, fcntl.LOCK_EX)
        number = _last_number(counter, folder) + 1
        os.pwrite(counter, f"{number:<31d}\n".encode("ascii"), 0)
        temporary = folder / f".{number}.{os.getpid()}"
        fd = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        path = folder / f"{number:012d}.{os.getpid()}"
        os.rename(temporary, path)
        return Turn(folder, number, path, fd)
    finally:
        os.close(counter)  # releases the counter's lock


def _last_number(counter: int, folder: Path) -> int:
    """The counter's number; when the counter is damaged (a crash, a power cut, a hand), the highest place in
    the queue, so that the order of arrival still holds."""
    text = os.pread(counter, 32, 0).decode("ascii", "replace").strip()
    if ascii_digits(text) or not text:
        return int(text or 0)
    return max((int(m.group(1)) for m in map(PLACE.fullmatch, os.listdir(folder)) if m), default=0)


def _first_alive(folder: Path, mine: Turn) -> tuple[int, int | None]:
    """The number of the first place whose process is alive, and that process's id. Places of dead
    processes met on the way are removed; any other file in the folder is not a place and is let be."""
    for name in sorted(n for n in os.listdir(folder) if PLACE.fullmatch(n)):
        number_text, _, pid_text = name.partition(".")
        number = int(number_text)
        if number == mine.number:
            return number, os.getpid()
        path = folder / name
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            continue  # left meanwhile
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return number, int(pid_text)
        finally:
            os.close(fd)
        path.unlink(missing_ok=True)  # nobody holds it: its process died
    return mine.number, os.getpid()


# The import's window: one writer of the reference data at a time. An import holds an exclusive flock on a file
# beside the store (`caisse.duckdb.import`) from its first check to its last write; an opening (or a switch to
# training) that finds it held is refused in a sentence. A process that dies lets go of its lock with it, so a
# killed import never blocks the shop.

def _window_path(store_path: Path) -> Path:
    return Path(f"{store_path}.import")


class ImportWindow:
    """Held while an import runs: `with ImportWindow(store.path, "C01 par responsable"):`."""

    def __init__(self, store_path: Path, what: str):
        self.path, self.what, self.fd = _window_path(store_path), what, -1

    def __enter__(self) -> ImportWindow:
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            raise CaisseError(f"Import impossible : un autre import est en cours ({self.holder()}). Attendez qu'il "
                              "se termine, puis relancez.") from None
        os.ftruncate(self.fd, 0)
        os.write(self.fd, f"lancé à {time.strftime('%H:%M')} {self.what}".encode())
        return self

    def holder(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8", errors="replace").strip() or "lancé à l'instant"
        except OSError:
            return "lancé à l'instant"

    def __exit__(self, *_) -> None:
        os.ftruncate(self.fd, 0)
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def import_under_way(store_path: Path) -> str | None:
    """What the import under way says of itself ("09:12 C01 par responsable"), or None when none runs."""
    path = _window_path(store_path)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "lancé à l'instant"
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
