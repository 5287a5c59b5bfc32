"""Purging archived months, as a manager asks it (`caisse purge`): the right checked, then the fiscal core's purge."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from caisse.fiscal.purge import Purged, purge
from caisse.rules.auth import User, require_now
from caisse.storage.store import Store


def purge_months(store: Store, home: Path, before: str, user: User, now: datetime | None = None,
                 copy: str | Path | None = None) -> list[Purged]:
    """The purge of the months before `before` by `user`, who must hold BACKOFFICE now (a month not over has no
    closing, so no archive: it is never purged)."""
    with store.connect() as con:
        require_now(con, user, "BACKOFFICE")
    return purge(store, home, before, user.login, now, copy)
