"""Opening a register, in either mode (seed 001 2.2, seed 000 2.1): the one decision the Ouverture screen and
`caisse open` share. Manual mode signs the manager in and opens; auto mode imports first, and opens on the data
already there when the import cannot run."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from caisse.common.config import Settings
from caisse.common.errors import CaisseError, LoginFailed, RightMissing
from caisse.rules.auth import has_users
from caisse.rules.auth import login as login_user
from caisse.rules.opening import Opened, open_day
from caisse.services.sync import Log, run_import
from caisse.storage.store import Store


def open_register(store: Store, settings: Settings, caisse: str, login: str, password: str, fond: Decimal, *,
                  echo: Log | None = None, now: datetime | None = None) -> Opened:
    """Open `caisse` with the float `fond` as the settings' mode says: the import first in auto mode."""
    if settings.mode == "auto":  # the import comes first: on a new shop's first day it brings the users
        return open_day_auto(store, settings, caisse, login, password, fond, echo=echo, now=now)
    user = login_user(store, login, password, caisse=caisse, now=now)
    return open_day(store, caisse, user, fond, now=now)


def open_day_auto(store: Store, settings: Settings, caisse: str, login: str, password: str, fond: Decimal, *,
                  echo: Log | None = None, now: datetime | None = None) -> Opened:
    """Seed 000: opening imports first; when the import cannot run (an export failed, nothing new in the drop,
    the main server out of reach, a refused lot), the day opens on the data already there, as the manual says.

    On a store with no users yet (a new shop's first day), the import comes before any login, and the user is
    checked against the lot, exactly as Import does in manual mode (DESIGN section 5)."""
    now = now or datetime.now()
    with store.connect() as con:
        first_day = not has_users(con)
    if not first_day:
        login_user(store, login, password, caisse=caisse, now=now)  # a wrong password stops here, before the drop
    notes, imported = [], False
    try:
        run_import(store, settings, caisse, login, password, echo=echo, now=now)
        imported = True
    except (LoginFailed, RightMissing):
        raise
    except CaisseError as e:  # nothing imported, store untouched: the day opens on what is there
        if first_day:
            raise  # nothing is there yet: the import's sentence says what to do
        note = f"Import non effectué : {e} La journée s'ouvre sur les données déjà présentes."
        notes.append(note)
        if echo:
            echo(note)
    user = login_user(store, login, password, caisse=caisse, now=now)
    opened = open_day(store, caisse, user, fond, auto=True, now=now)
    opened.imported, opened.notes, opened.user = imported, notes, user
    return opened
