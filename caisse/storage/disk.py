"""A full disk never lies: what the program says when a write fails for lack of space, and a reserve of space
that makes the failure itself recordable.

The store, its WAL, received files, archived documents, logs and exported lots all live under the home
folder. When that disk is full, the failure of an export or of a Z archive must still reach the store (the
register shown `echec_export`, the failed run listed), and that record needs a little space too. So the home
keeps a reserve file (`reserve-disque`, RESERVE bytes): the first write that meets a full disk gives it back,
and the record of the failure fits in it. It is made again after any committed unit of work, once
ROOM_FOR_RESERVE is free."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import duckdb

from caisse.common.errors import DiskFull

RESERVE = 1024 * 1024  # a failed run, its log and its event fit many times over
RESERVE_NAME = "reserve-disque"
ROOM_FOR_RESERVE = 16 * RESERVE  # free space needed before the reserve is made again
NO_SPACE = ("no space left", "disk full", "not enough space", "quota exceeded")  # DuckDB quotes the OS error


def reserve_path(home: Path) -> Path:
    return Path(home) / RESERVE_NAME


def ensure_reserve(home: Path) -> bool:
    """Make the reserve if it is missing and there is room for it; True when it is there."""
    path = reserve_path(home)
    if path.exists() and path.stat().st_size >= RESERVE:
        return True
    try:
        room = os.statvfs(home)
        if room.f_bavail * room.f_frsize < ROOM_FOR_RESERVE:
            return False  # the disk is still (nearly) full: the reserve given back stays given back
        with open(path, "wb") as f:
            os.posix_fallocate(f.fileno(), 0, RESERVE)
        os.chmod(path, 0o600)
        return True
    except OSError:
        path.unlink(missing_ok=True)  # no room yet: never leave half a reserve
        return False


def release_reserve(home: Path) -> bool:
    """Give the reserve back to the disk (a write met a full disk); True if there was one."""
    path = reserve_path(home)
    try:
        path.unlink()
        return True
    except FileNotFoundError:
        return False


def is_no_space(error: BaseException | None) -> bool:
    """A write that failed because the disk (or the user's quota) is full: from the OS, from DuckDB (which
    quotes the OS's words, also when it invalidates the database after such a failure), our own DiskFull, or
    an error caused by one of those (a drop's error wrapping the OSError)."""
    while error is not None:
        if isinstance(error, DiskFull):
            return True
        if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if isinstance(error, duckdb.Error) and any(words in str(error).lower() for words in NO_SPACE):
            return True
        error = error.__cause__
    return False

